//! ICMP as a host speaks it: echo, errors it generates (protocol and port
//! unreachable, reassembly time exceeded) with their rate limit, and the
//! frames it refuses.

mod host_common;

use host_common::{drive, host_and_peer, ip, ipv4_frame, mac, pair_net, sa, udp, udp_frame};
use strata_core::time::{Duration, Instant};
use strata_ipv4::icmpv4::{Message, Repr as IcmpRepr, TimeExceededCode, UnreachableCode};
use strata_ipv4::{Packet, Protocol, Repr as Ipv4Repr};

#[test]
fn echo_between_two_hosts_measures_rtt() {
    let (net, a, b) = pair_net(1500);
    net.with_interface(&a, |i, now| {
        i.ping(now, ip(2), 0x1234, 1, b"0123456789abcdef")
    })
    .unwrap()
    .unwrap();
    let mut reply = None;
    let done = net
        .run_until(Duration::from_secs(2), |net| {
            reply = net.with_interface(&a, |i, _| i.poll_ping()).unwrap();
            reply.is_some()
        })
        .unwrap();
    assert!(done);
    let reply = reply.unwrap();
    assert_eq!(
        (reply.from, reply.ident, reply.seq, reply.len),
        (ip(2), 0x1234, 1, 16)
    );
    assert!(!reply.corrupted);
    assert_eq!(reply.ttl, 64);
    assert_eq!(
        net.with_interface(&b, |i, _| i.stats().echo_replies_sent)
            .unwrap(),
        1
    );

    // A second ping needs no ARP: the reply is immediate in simulated time.
    let t0 = net.now();
    net.with_interface(&a, |i, now| i.ping(now, ip(2), 0x1234, 2, b"x"))
        .unwrap()
        .unwrap();
    let mut reply = None;
    net.run_until(Duration::from_secs(1), |net| {
        reply = net.with_interface(&a, |i, _| i.poll_ping()).unwrap();
        reply.is_some()
    })
    .unwrap();
    let reply = reply.unwrap();
    assert_eq!(reply.seq, 2);
    assert!(net.now().saturating_duration_since(t0) < Duration::from_millis(1));
}

#[test]
fn unknown_protocol_draws_protocol_unreachable_quoting_the_datagram() {
    let (mut host, mut dev, mut peer) = host_and_peer(2);
    let mut now = Instant::ZERO;
    let mut ip_hdr = Ipv4Repr::new(ip(9), ip(2), Protocol(253), 12);
    ip_hdr.identification = 4242;
    peer.send(now, &ipv4_frame(mac(9), mac(2), &ip_hdr, b"experimental"));
    drive(&mut host, &mut dev, &mut peer, &mut now, 50);

    assert_eq!(host.stats().rx_drop_protocol, 1);
    let datagrams = peer.take_ipv4();
    let icmp: Vec<_> = datagrams
        .iter()
        .filter(|d| Packet::parse(&d[..]).unwrap().protocol() == Protocol::ICMP)
        .collect();
    assert_eq!(icmp.len(), 1);
    let packet = Packet::parse_verified(&icmp[0][..]).unwrap();
    assert_eq!((packet.src(), packet.dst()), (ip(2), ip(9)));
    let message = Message::parse_verified(packet.payload()).unwrap();
    assert_eq!(
        IcmpRepr::parse(&message).unwrap(),
        IcmpRepr::DestinationUnreachable {
            code: UnreachableCode::PROTOCOL,
            next_hop_mtu: 0
        }
    );
    let quoted = message.quoted_packet().unwrap();
    assert_eq!(quoted.identification(), 4242);
    assert_eq!(quoted.payload(), b"experimental");
}

#[test]
fn icmp_errors_are_rate_limited_by_a_token_bucket() {
    let (mut host, mut dev, mut peer) = host_and_peer(2);
    let mut now = Instant::ZERO;
    // The peer's MAC is known, so the errors are not held (and capped) in
    // the ARP queue.
    host.arp_mut().insert_static(ip(9), mac(9));
    // 120 datagrams to closed ports within one instant: the burst (50) is
    // answered, the rest is not.
    for i in 0..120u16 {
        peer.send(
            now,
            &udp_frame(mac(9), mac(2), sa(9, 5000), sa(2, 1000 + i), b"knock"),
        );
        if i % 60 == 59 {
            host.poll(now, &mut dev);
        }
    }
    drive(&mut host, &mut dev, &mut peer, &mut now, 5);
    let stats = host.stats().clone();
    assert_eq!(stats.rx_drop_udp_no_socket, 120);
    assert_eq!(stats.icmp_errors_sent, 50);
    assert_eq!(stats.icmp_rate_limited, 70);
    let icmp = peer.take_ipv4().len();
    assert_eq!(icmp, 50);

    // A second later the bucket has refilled (one token per 20 ms).
    drive(&mut host, &mut dev, &mut peer, &mut now, 1000);
    peer.send(
        now,
        &udp_frame(mac(9), mac(2), sa(9, 5000), sa(2, 999), b"again"),
    );
    drive(&mut host, &mut dev, &mut peer, &mut now, 5);
    assert_eq!(host.stats().icmp_errors_sent, 51);
}

#[test]
fn lone_first_fragment_times_out_with_time_exceeded() {
    let (mut host, mut dev, mut peer) = host_and_peer(2);
    let mut now = Instant::ZERO;
    let whole = udp(sa(9, 5000), sa(2, 7), &[0xab; 2000]);
    let mut first = Ipv4Repr::new(ip(9), ip(2), Protocol::UDP, 1480);
    first.identification = 99;
    first.more_fragments = true;
    peer.send(now, &ipv4_frame(mac(9), mac(2), &first, &whole[..1480]));
    // A lone later fragment of another datagram: no error when it expires.
    let mut later = Ipv4Repr::new(ip(9), ip(2), Protocol::UDP, 528);
    later.identification = 100;
    later.fragment_offset = 185;
    peer.send(now, &ipv4_frame(mac(9), mac(2), &later, &whole[1480..]));
    drive(&mut host, &mut dev, &mut peer, &mut now, 10);
    assert_eq!(host.reassembler().pending(), 2);
    assert!(peer.take_ipv4().is_empty());

    drive(&mut host, &mut dev, &mut peer, &mut now, 31_000);
    assert_eq!(host.reassembler().pending(), 0);
    assert_eq!(host.stats().reassembly_timeouts, 2);
    let datagrams = peer.take_ipv4();
    assert_eq!(datagrams.len(), 1);
    let packet = Packet::parse_verified(&datagrams[0][..]).unwrap();
    let message = Message::parse_verified(packet.payload()).unwrap();
    assert_eq!(
        IcmpRepr::parse(&message).unwrap(),
        IcmpRepr::TimeExceeded {
            code: TimeExceededCode::FragmentReassembly
        }
    );
    assert_eq!(message.quoted_packet().unwrap().identification(), 99);
}

#[test]
fn bad_checksums_and_foreign_frames_are_dropped_and_counted() {
    let (mut host, mut dev, mut peer) = host_and_peer(2);
    let mut now = Instant::ZERO;
    let good = udp_frame(mac(9), mac(2), sa(9, 1), sa(2, 2), b"zz");

    let mut bad_ip = good.clone();
    bad_ip[14 + 10] ^= 0xff;
    peer.send(now, &bad_ip);

    let mut bad_udp = good.clone();
    let last = bad_udp.len() - 1;
    bad_udp[last] ^= 0x01;
    peer.send(now, &bad_udp);

    let mut other_mac = good.clone();
    other_mac[5] = 0x77;
    peer.send(now, &other_mac);

    let other_ip = udp_frame(mac(9), mac(2), sa(9, 1), sa(3, 2), b"zz");
    peer.send(now, &other_ip);

    let mut vlan = vec![0u8; good.len() + 4];
    vlan[..12].copy_from_slice(&good[..12]);
    vlan[12..16].copy_from_slice(&[0x81, 0x00, 0x00, 0x05]);
    vlan[16..].copy_from_slice(&good[12..]);
    peer.send(now, &vlan);

    peer.send(now, &[0u8; 10]);

    drive(&mut host, &mut dev, &mut peer, &mut now, 5);
    let s = host.stats();
    assert_eq!(s.rx_drop_ipv4_checksum, 1);
    assert_eq!(s.rx_drop_transport_checksum, 1);
    assert_eq!(s.rx_drop_other_mac, 1);
    assert_eq!(s.rx_drop_other_ip, 1);
    assert_eq!(s.rx_drop_vlan, 1);
    assert_eq!(s.rx_drop_malformed_frame, 1);
    assert_eq!(s.icmp_errors_sent, 0);
    assert_eq!(s.rx_frames, 6);
    assert_eq!(s.rx_frames, s.rx_frames_accounted());
}

#[test]
fn ping_to_a_silent_neighbour_fails_with_host_unreachable() {
    let (net, a, _b) = pair_net(1500);
    net.with_interface(&a, |i, now| i.ping(now, ip(77), 1, 1, b"?"))
        .unwrap()
        .unwrap();
    // Three requests a second apart, then the neighbour is given up;
    // the failure is remembered for three seconds.
    net.run_for(Duration::from_millis(4500)).unwrap();
    let stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(stats.tx_drop_neighbour_unreachable, 1);
    assert!(
        net.with_interface(&a, |i, _| i.poll_ping())
            .unwrap()
            .is_none()
    );
    // While the failure is fresh, a new ping fails at once.
    let again = net
        .with_interface(&a, |i, now| i.ping(now, ip(77), 1, 2, b"?"))
        .unwrap();
    assert_eq!(again, Err(strata::iface::PingError::HostUnreachable));
}
