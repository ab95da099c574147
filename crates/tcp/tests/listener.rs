//! The listener: handshakes through it, its queues and their bounds,
//! SYN-ACK retransmission, the LISTEN and SYN-RECEIVED rules of RFC 9293
//! (with RFC 5961), SYN cookies end to end, and the demultiplexing
//! contract.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod listener_support;

use core::net::{Ipv4Addr, SocketAddrV4};

use listener_support::*;
use strata_core::time::{Duration, Instant};
use strata_tcp::connection::Config;
use strata_tcp::cookie::MSS_TABLE;
use strata_tcp::listener::{
    AcceptOverflow, DropReason, Held, Listener, ListenerConfig, Outcome, SynCookies,
};
use strata_tcp::{Event, Flags, State};

/// SYN from client `n`, SYN-ACK back, then the client's ACK (not yet
/// delivered).
fn half_open(l: &mut Listener, n: u16, now: Instant) -> (strata_tcp::Connection, Seg, Seg) {
    let mut c = client(n, Config::default(), now);
    let syn = one(&mut c, now);
    assert_eq!(feed(l, now, &syn), Outcome::SynQueued);
    let syn_ack = one_from(l, now);
    assert!(syn_ack.is(Flags::SYN | Flags::ACK));
    deliver(&mut c, now, &syn_ack);
    assert_eq!(c.state(), State::Established);
    let ack = one(&mut c, now);
    (c, syn_ack, ack)
}

#[test]
fn handshake_through_the_listener_then_data_both_ways() {
    let mut w = World::new(listener(ListenerConfig::default()));
    w.add_client(client(1, Config::default(), ms(0)));
    w.pump(ms(0));
    assert_eq!(w.client(1).state(), State::Established);
    let server = w.server.conn(1);
    assert_eq!(server.state(), State::Established);
    assert_eq!(events(server), vec![Event::Established]);
    assert_eq!(server.remote(), client_addr(1));
    assert_eq!(server.local(), SERVER);
    // Everything the client offered was taken: window scaling, SACK,
    // timestamps, the exact MSS.
    assert!(server.sack_enabled());
    assert!(server.timestamps_enabled());
    // 64 KiB buffers need a shift of 1 to be advertised whole.
    assert_eq!(server.window_shifts(), (1, 1));
    assert_eq!(server.send_mss(), 1460 - 12);

    let up = pattern(300_000, 1);
    let down = pattern(200_000, 2);
    let (mut sent_up, mut sent_down) = (0, 0);
    let (mut got_up, mut got_down) = (Vec::new(), Vec::new());
    let mut now = ms(0);
    for _ in 0..10_000 {
        if sent_up < up.len() {
            sent_up += w.client(1).send(&up[sent_up..]).unwrap_or(0);
        }
        if sent_down < down.len() {
            sent_down += w.server.conn(1).send(&down[sent_down..]).unwrap_or(0);
        }
        w.pump(now);
        got_up.extend(read_all(w.server.conn(1)));
        got_down.extend(read_all(w.client(1)));
        if got_up.len() == up.len() && got_down.len() == down.len() {
            break;
        }
        now += Duration::from_millis(50);
        w.run(now, now);
    }
    assert_eq!(got_up, up);
    assert_eq!(got_down, down);
    let s = *w.server.listener.stats();
    assert_eq!(
        (
            s.syns_received,
            s.syn_acks_sent,
            s.handshakes_completed,
            s.accepted
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(s.cookies_sent, 0);
    assert_eq!(w.server.listener.syn_queue_len(), 0);
    assert_eq!(w.server.listener.accept_queue_len(), 0);
}

#[test]
fn a_listener_on_any_address_answers_from_the_address_asked() {
    let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    let mut l = Listener::from_random(
        any,
        ListenerConfig::default(),
        &mut strata_core::rand::SplitMix64::new(3),
    )
    .unwrap();
    let (mut c, syn_ack, ack) = half_open(&mut l, 1, ms(0));
    assert_eq!(syn_ack.src, SERVER_IP);
    assert_eq!(feed(&mut l, ms(0), &ack), Outcome::Completed);
    let s = l.accept().unwrap();
    assert_eq!(s.local(), SERVER);
    // Another port, or a listener bound elsewhere, does not take it.
    let stray = c.send(b"x").map(|_| one(&mut c, ms(1))).unwrap();
    let other_port = stray.edit(|r| r.dst_port = 81);
    assert_eq!(
        feed(&mut l, ms(1), &other_port),
        Outcome::Dropped(DropReason::NotForUs)
    );
    // Bound to any address, it still ignores broadcast destinations.
    let to_all = SocketAddrV4::new(Ipv4Addr::BROADCAST, 80);
    let syn = raw(
        client_addr(3),
        to_all,
        header(client_addr(3), to_all, 1, 0, Flags::SYN),
        &[],
    );
    assert_eq!(
        feed(&mut l, ms(1), &syn),
        Outcome::Dropped(DropReason::BadAddress)
    );
    let mut bound = listener(ListenerConfig::default());
    let elsewhere = raw(
        client_addr(2),
        SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 9), 80),
        header(client_addr(2), SERVER, 1, 0, Flags::SYN),
        &[],
    );
    assert_eq!(
        feed(&mut bound, ms(0), &elsewhere),
        Outcome::Dropped(DropReason::NotForUs)
    );
}

#[test]
fn accept_returns_connections_in_the_order_their_handshakes_completed() {
    let mut l = listener(ListenerConfig::default());
    let mut acks = Vec::new();
    for n in 1..=4 {
        let (_c, _sa, ack) = half_open(&mut l, n, ms(u64::from(n)));
        acks.push(ack);
    }
    assert_eq!(l.syn_queue_len(), 4);
    // Completed in the order 3, 1, 4, 2.
    for i in [2, 0, 3, 1] {
        assert_eq!(feed(&mut l, ms(10), &acks[i]), Outcome::Completed);
    }
    assert_eq!(l.syn_queue_len(), 0);
    assert_eq!(l.accept_queue_len(), 4);
    let order: Vec<u16> = std::iter::from_fn(|| l.accept())
        .map(|c| c.remote().port() - 40_000)
        .collect();
    assert_eq!(order, vec![3, 1, 4, 2]);
    assert!(l.accept().is_none());
}

#[test]
fn the_syn_backlog_bounds_embryos_and_without_cookies_drops_the_rest() {
    let config = ListenerConfig {
        syn_backlog: 3,
        syn_cookies: SynCookies::Never,
        ..ListenerConfig::default()
    };
    let mut l = listener(config);
    for n in 1..=3 {
        let mut c = client(n, Config::default(), ms(0));
        assert_eq!(feed(&mut l, ms(0), &one(&mut c, ms(0))), Outcome::SynQueued);
    }
    let mut c = client(4, Config::default(), ms(0));
    let syn = one(&mut c, ms(0));
    assert_eq!(
        feed(&mut l, ms(0), &syn),
        Outcome::Dropped(DropReason::SynQueueFull)
    );
    assert_eq!(l.syn_queue_len(), 3);
    assert_eq!(drain_listener(&mut l, ms(0)).len(), 3);
    let s = *l.stats();
    assert_eq!(
        (s.syns_received, s.syn_queue_overflows, s.syns_dropped),
        (4, 1, 1)
    );
    assert_eq!(l.holds(SERVER_IP, client_addr(1)), Some(Held::Embryo));
    assert_eq!(l.holds(SERVER_IP, client_addr(4)), None);
}

#[test]
fn a_full_accept_queue_drops_the_last_ack_and_completes_once_there_is_room() {
    let config = ListenerConfig {
        accept_backlog: 1,
        ..ListenerConfig::default()
    };
    let mut l = listener(config);
    let (_c1, _, ack1) = half_open(&mut l, 1, ms(0));
    let (mut c2, _, ack2) = half_open(&mut l, 2, ms(0));
    assert_eq!(feed(&mut l, ms(1), &ack1), Outcome::Completed);
    // Client 2 believes it is connected; its ACK is dropped (Linux's
    // default) and the embryo stays.
    assert_eq!(
        feed(&mut l, ms(1), &ack2),
        Outcome::Dropped(DropReason::AcceptQueueFull)
    );
    assert_eq!(l.holds(SERVER_IP, client_addr(2)), Some(Held::Embryo));
    assert_eq!(l.stats().accept_queue_overflows, 1);
    // New SYNs are dropped meanwhile.
    let mut c3 = client(3, Config::default(), ms(2));
    assert_eq!(
        feed(&mut l, ms(2), &one(&mut c3, ms(2))),
        Outcome::Dropped(DropReason::AcceptQueueFull)
    );
    silent(&mut l, ms(2));
    // Room: the listener repeats its SYN-ACK at once to prompt the ACK.
    let first = l.accept().unwrap();
    assert_eq!(first.remote(), client_addr(1));
    let again = one_from(&mut l, ms(3));
    assert!(again.is(Flags::SYN | Flags::ACK));
    assert_eq!(again.to(), client_addr(2));
    deliver(&mut c2, ms(3), &again);
    let ack = one(&mut c2, ms(3));
    assert!(ack.is(Flags::ACK));
    assert_eq!(feed(&mut l, ms(3), &ack), Outcome::Completed);
    let second = l.accept().unwrap();
    assert_eq!(second.remote(), client_addr(2));
    assert_eq!(second.state(), State::Established);
    assert_eq!(l.stats().syn_ack_retransmits, 1);
}

#[test]
fn a_full_accept_queue_drops_acks_until_the_syn_ack_timer_prompts_them() {
    // Nobody accepts; the client's data keeps being retransmitted and the
    // SYN-ACK repeated; once the application accepts, the next one
    // completes the handshake and the data arrives.
    let config = ListenerConfig {
        accept_backlog: 1,
        ..ListenerConfig::default()
    };
    let mut w = World::new(listener(config));
    w.server.auto_accept = false;
    w.add_client(client(1, Config::default(), ms(0)));
    w.add_client(client(2, Config::default(), ms(0)));
    w.pump(ms(0));
    w.client(2).send(b"hello after the queue").unwrap();
    w.run(ms(0), secs(2));
    assert_eq!(w.server.listener.accept_queue_len(), 1);
    assert_eq!(w.server.listener.syn_queue_len(), 1);
    assert!(w.server.listener.stats().accept_queue_overflows >= 2);
    assert_eq!(w.server.accept_all(), 1);
    w.server.auto_accept = true;
    w.run(secs(2), secs(10));
    assert_eq!(w.server.conns.len(), 2);
    assert_eq!(read_all(w.server.conn(2)), b"hello after the queue");
}

#[test]
fn a_full_accept_queue_can_reset_instead() {
    let config = ListenerConfig {
        accept_backlog: 1,
        accept_overflow: AcceptOverflow::Reset,
        ..ListenerConfig::default()
    };
    let mut l = listener(config);
    let (_c1, _, ack1) = half_open(&mut l, 1, ms(0));
    let (mut c2, _, ack2) = half_open(&mut l, 2, ms(0));
    assert_eq!(feed(&mut l, ms(1), &ack1), Outcome::Completed);
    assert_eq!(feed(&mut l, ms(1), &ack2), Outcome::Reset);
    assert_eq!(l.holds(SERVER_IP, client_addr(2)), None);
    let rst = one_from(&mut l, ms(1));
    assert!(rst.is(Flags::RST));
    assert_eq!(rst.repr.seq, ack2.repr.ack);
    deliver(&mut c2, ms(1), &rst);
    assert_eq!(c2.state(), State::Closed);
    assert_eq!(events(&mut c2), vec![Event::Established, Event::Reset]);
}

#[test]
fn syn_ack_is_retransmitted_with_backoff_then_the_embryo_is_dropped() {
    let mut l = listener(ListenerConfig::default());
    let mut c = client(1, Config::default(), ms(0));
    let syn = one(&mut c, ms(0));
    assert_eq!(feed(&mut l, ms(0), &syn), Outcome::SynQueued);
    let first = one_from(&mut l, ms(0));
    // Linux's schedule with 5 retries: 1, 3, 7, 15, 31 s, dropped at 63 s.
    let mut times = Vec::new();
    while let Some(t) = l.poll_timeout() {
        l.handle_timeout(t);
        for s in drain_listener(&mut l, t) {
            assert_eq!(s.repr.seq, first.repr.seq);
            assert_eq!(s.repr.ack, syn.repr.seq.wrapping_add(1));
            assert!(s.is(Flags::SYN | Flags::ACK));
            times.push(t.total_millis() / 1000);
        }
        assert!(t <= secs(63));
    }
    assert_eq!(times, vec![1, 3, 7, 15, 31]);
    assert_eq!(l.syn_queue_len(), 0);
    let s = *l.stats();
    assert_eq!(
        (s.syn_acks_sent, s.syn_ack_retransmits, s.embryos_expired),
        (1, 5, 1)
    );
    // The client's late ACK finds nothing: reset, as in LISTEN.
    deliver(&mut c, secs(64), &first);
    let ack = one(&mut c, secs(64));
    assert_eq!(feed(&mut l, secs(64), &ack), Outcome::Reset);
}

#[test]
fn lost_syn_acks_are_recovered_by_either_side() {
    // The first two SYN-ACKs are lost: the client's SYN retransmission (1 s)
    // gets a repeated SYN-ACK, and so on until one arrives.
    let mut w = World::new(listener(ListenerConfig::default()));
    w.add_client(client(1, Config::default(), ms(0)));
    let mut lost = 0;
    w.drop = Box::new(move |to_server, s| {
        if !to_server && s.has(Flags::SYN) && lost < 2 {
            lost += 1;
            return true;
        }
        false
    });
    w.run(ms(0), secs(10));
    assert_eq!(w.client(1).state(), State::Established);
    assert_eq!(w.server.conn(1).state(), State::Established);
    let s = *w.server.listener.stats();
    assert_eq!(s.syns_received, 1);
    assert_eq!(s.syn_acks_sent, 1);
    assert!(s.syn_ack_retransmits >= 2);
}

#[test]
fn a_retransmitted_syn_gets_the_same_syn_ack() {
    let mut l = listener(ListenerConfig::default());
    let mut c = client(1, Config::default(), ms(0));
    let syn = one(&mut c, ms(0));
    feed(&mut l, ms(0), &syn);
    let a = one_from(&mut l, ms(0));
    // Twice before the listener is polled: one SYN-ACK.
    let later = syn.edit(|r| {
        if let Some(ts) = &mut r.options.timestamps {
            ts.tsval += 1000;
        }
    });
    assert_eq!(feed(&mut l, secs(1), &later), Outcome::SynAckRepeated);
    assert_eq!(feed(&mut l, secs(1), &later), Outcome::SynAckRepeated);
    let b = one_from(&mut l, secs(1));
    assert_eq!((b.repr.seq, b.repr.ack), (a.repr.seq, a.repr.ack));
    // It echoes the newest timestamp.
    assert_eq!(
        b.repr.options.timestamps.unwrap().tsecr,
        later.repr.options.timestamps.unwrap().tsval
    );
    assert_eq!(l.stats().syns_received, 1);
    assert_eq!(l.syn_queue_len(), 1);
}

/// RFC 9293 §3.10.7.2, LISTEN.
#[test]
fn listen_ignores_resets_resets_acks_and_drops_the_rest() {
    let mut l = listener(ListenerConfig::default());
    let peer = client_addr(9);
    // "First, check for a RST: ... An incoming RST should be ignored."
    for flags in [Flags::RST, Flags::RST | Flags::ACK, Flags::RST | Flags::SYN] {
        let rst = raw(peer, SERVER, header(peer, SERVER, 5, 6, flags), &[]);
        assert_eq!(
            feed(&mut l, ms(0), &rst),
            Outcome::Dropped(DropReason::Reset)
        );
    }
    silent(&mut l, ms(0));
    // "Second, check for an ACK: Any acknowledgment is bad if it arrives
    // on a connection still in the LISTEN state. An acceptable reset
    // segment should be formed for any arriving ACK-bearing segment. The
    // RST should be formatted as <SEQ=SEG.ACK><CTL=RST>".
    for (flags, payload) in [
        (Flags::ACK, &b""[..]),
        (Flags::ACK | Flags::PSH, &b"data"[..]),
        (Flags::SYN | Flags::ACK, &b""[..]),
        (Flags::FIN | Flags::ACK, &b""[..]),
    ] {
        let seg = raw(
            peer,
            SERVER,
            header(peer, SERVER, 77, 123_456, flags),
            payload,
        );
        assert_eq!(feed(&mut l, ms(0), &seg), Outcome::Reset);
        let rst = one_from(&mut l, ms(0));
        assert_eq!(rst.repr.flags, Flags::RST);
        assert_eq!(rst.repr.seq, 123_456);
        assert_eq!((rst.src, rst.dst), (SERVER_IP, *peer.ip()));
        assert_eq!((rst.repr.src_port, rst.repr.dst_port), (80, peer.port()));
        assert!(rst.payload().is_empty());
    }
    // "Fourth, other data or control: ... Any other control or
    // text-bearing segment (not containing SYN) must have an ACK ... drop
    // the segment and return."
    for flags in [Flags::default(), Flags::FIN, Flags::PSH, Flags::URG] {
        let seg = raw(peer, SERVER, header(peer, SERVER, 1, 0, flags), b"zz");
        assert_eq!(
            feed(&mut l, ms(0), &seg),
            Outcome::Dropped(DropReason::NoAck)
        );
    }
    // A SYN with FIN opens nothing.
    let syn_fin = raw(
        peer,
        SERVER,
        header(peer, SERVER, 1, 0, Flags::SYN | Flags::FIN),
        &[],
    );
    assert_eq!(
        feed(&mut l, ms(0), &syn_fin),
        Outcome::Dropped(DropReason::BadSyn)
    );
    // Segments that cannot belong to a connection get nothing, not even a
    // reset (RFC 1122 §4.2.3.10).
    let odd_sources = [
        SocketAddrV4::new(Ipv4Addr::BROADCAST, 1),
        SocketAddrV4::new(Ipv4Addr::new(224, 0, 0, 1), 1),
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 1),
        SocketAddrV4::new(*peer.ip(), 0),
    ];
    for from in odd_sources {
        for flags in [Flags::SYN, Flags::ACK] {
            let seg = raw(from, SERVER, header(from, SERVER, 1, 9, flags), &[]);
            assert_eq!(
                feed(&mut l, ms(0), &seg),
                Outcome::Dropped(DropReason::BadAddress)
            );
        }
    }
    silent(&mut l, ms(0));
    assert_eq!(l.stats().resets_sent, 4);
    assert_eq!(l.stats().syns_received, 0);
    assert_eq!(l.syn_queue_len(), 0);
}

#[test]
fn a_syn_with_data_opens_the_connection_and_the_data_is_sent_again() {
    // RFC 9293 lets LISTEN queue data on a SYN; like Linux without Fast
    // Open we do not, and acknowledge only the SYN.
    let mut l = listener(ListenerConfig::default());
    let peer = client_addr(9);
    let syn = raw(
        peer,
        SERVER,
        header(peer, SERVER, 1000, 0, Flags::SYN),
        b"early",
    );
    assert_eq!(feed(&mut l, ms(0), &syn), Outcome::SynQueued);
    let syn_ack = one_from(&mut l, ms(0));
    assert_eq!(syn_ack.repr.ack, 1001);
    let ack = raw(
        peer,
        SERVER,
        header(
            peer,
            SERVER,
            1001,
            syn_ack.repr.seq.wrapping_add(1),
            Flags::ACK | Flags::PSH,
        ),
        b"early",
    );
    assert_eq!(feed(&mut l, ms(1), &ack), Outcome::Completed);
    let mut s = l.accept().unwrap();
    assert_eq!(read_all(&mut s), b"early");
}

/// RFC 9293 §3.10.7.4 in SYN-RECEIVED, with RFC 5961 §3 and §4.
#[test]
fn embryo_resets_are_taken_only_when_exact() {
    let mut l = listener(ListenerConfig::default());
    let (_c, syn_ack, ack) = half_open(&mut l, 1, ms(0));
    let rcv_nxt = syn_ack.repr.ack;
    let rst_at = |seq: u32| {
        ack.edit(|r| {
            r.flags = Flags::RST;
            r.seq = seq;
            r.ack = 0;
        })
    };
    // Outside the window: dropped, nothing sent.
    let window = u32::from(syn_ack.repr.window);
    for seq in [
        rcv_nxt.wrapping_sub(1),
        rcv_nxt.wrapping_add(window),
        rcv_nxt ^ 0x8000_0000,
    ] {
        assert_eq!(
            feed(&mut l, ms(1), &rst_at(seq)),
            Outcome::Dropped(DropReason::OutOfWindow)
        );
    }
    silent(&mut l, ms(1));
    // In the window but not exact: a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>.
    assert_eq!(
        feed(&mut l, ms(1), &rst_at(rcv_nxt + 10)),
        Outcome::ChallengeAck
    );
    let challenge = one_from(&mut l, ms(1));
    assert_eq!(challenge.repr.flags, Flags::ACK);
    assert_eq!(challenge.repr.seq, syn_ack.repr.seq.wrapping_add(1));
    assert_eq!(challenge.repr.ack, rcv_nxt);
    assert!(challenge.repr.options.timestamps.is_some());
    assert_eq!(l.holds(SERVER_IP, client_addr(1)), Some(Held::Embryo));
    // Exact: "return this connection to LISTEN state".
    assert_eq!(feed(&mut l, ms(1), &rst_at(rcv_nxt)), Outcome::EmbryoReset);
    assert_eq!(l.holds(SERVER_IP, client_addr(1)), None);
    assert_eq!(l.syn_queue_len(), 0);
    assert_eq!(l.stats().embryos_reset, 1);
    silent(&mut l, ms(1));
    // Its pending timer is harmless.
    if let Some(t) = l.poll_timeout() {
        l.handle_timeout(t);
    }
    silent(&mut l, secs(100));
    // The ACK that would have completed it is now a stray.
    assert_eq!(feed(&mut l, ms(2), &ack), Outcome::Reset);
}

#[test]
fn a_client_that_gives_up_resets_its_embryo() {
    let mut l = listener(ListenerConfig::default());
    let mut c = client(1, Config::default(), ms(0));
    let syn = one(&mut c, ms(0));
    feed(&mut l, ms(0), &syn);
    let syn_ack = one_from(&mut l, ms(0));
    deliver(&mut c, ms(0), &syn_ack);
    c.abort();
    let rst = one(&mut c, ms(1));
    assert!(rst.has(Flags::RST));
    assert_eq!(feed(&mut l, ms(1), &rst), Outcome::EmbryoReset);
    assert_eq!(l.syn_queue_len(), 0);
}

#[test]
fn embryo_syns_acks_and_data_per_the_rfc() {
    let mut l = listener(ListenerConfig::default());
    let (_c, syn_ack, ack) = half_open(&mut l, 1, ms(0));
    let iss = syn_ack.repr.seq;
    // A SYN with another sequence number: challenge ACK (RFC 5961 §4.2).
    let new_syn = ack.edit(|r| {
        r.flags = Flags::SYN;
        r.seq = r.seq.wrapping_add(1_000_000);
        r.ack = 0;
    });
    assert_eq!(feed(&mut l, ms(1), &new_syn), Outcome::ChallengeAck);
    assert!(one_from(&mut l, ms(1)).is(Flags::ACK));
    // An unacceptable ACK: "form a reset segment <SEQ=SEG.ACK><CTL=RST>",
    // and the embryo stays.
    for bad in [iss, iss.wrapping_add(2), iss.wrapping_sub(100)] {
        let seg = ack.edit(|r| r.ack = bad);
        assert_eq!(feed(&mut l, ms(1), &seg), Outcome::Reset);
        let rst = one_from(&mut l, ms(1));
        assert_eq!((rst.repr.flags, rst.repr.seq), (Flags::RST, bad));
    }
    // No ACK bit: dropped.
    let no_ack = ack.edit(|r| r.flags = Flags::PSH);
    assert_eq!(
        feed(&mut l, ms(1), &no_ack),
        Outcome::Dropped(DropReason::NoAck)
    );
    // Outside the window: an ACK in reply, dropped.
    let old = ack.edit(|r| r.seq = r.seq.wrapping_sub(5));
    assert_eq!(
        feed(&mut l, ms(1), &old),
        Outcome::Dropped(DropReason::OutOfWindow)
    );
    assert_eq!(one_from(&mut l, ms(1)).repr.flags, Flags::ACK);
    assert_eq!(l.holds(SERVER_IP, client_addr(1)), Some(Held::Embryo));
    assert_eq!(feed(&mut l, ms(2), &ack), Outcome::Completed);
}

#[test]
fn challenge_acks_are_rate_limited_across_embryos() {
    let config = ListenerConfig {
        challenge_ack_limit: 5,
        reply_queue: 1000,
        ..ListenerConfig::default()
    };
    let mut l = listener(config);
    let mut acks = Vec::new();
    for n in 1..=4 {
        acks.push(half_open(&mut l, n, ms(0)).2);
    }
    let mut sent = 0;
    for i in 0..20 {
        let seg = acks[i % 4].edit(|r| {
            r.flags = Flags::SYN;
            r.ack = 0;
        });
        if feed(&mut l, ms(10), &seg) == Outcome::ChallengeAck {
            sent += 1;
        }
    }
    assert_eq!(sent, 5);
    assert_eq!(l.stats().challenge_acks_suppressed, 15);
    // A second later the budget is back.
    let seg = acks[0].edit(|r| {
        r.flags = Flags::SYN;
        r.ack = 0;
    });
    assert_eq!(feed(&mut l, ms(1010), &seg), Outcome::ChallengeAck);
}

#[test]
fn data_before_accept_is_delivered_and_acknowledged_by_the_waiting_connection() {
    let mut w = World::new(listener(ListenerConfig::default()));
    w.server.auto_accept = false;
    w.add_client(client(1, Config::default(), ms(0)));
    w.pump(ms(0));
    assert_eq!(
        w.server.listener.holds(SERVER_IP, client_addr(1)),
        Some(Held::Unaccepted)
    );
    w.client(1).send(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    w.run(ms(0), secs(1));
    // Acknowledged while waiting: the client has nothing in flight.
    assert_eq!(w.client(1).snd_una(), w.client(1).snd_nxt());
    assert_eq!(w.server.listener.stats().segments_delivered, 1);
    assert_eq!(w.server.accept_all(), 1);
    assert_eq!(w.server.listener.holds(SERVER_IP, client_addr(1)), None);
    let s = w.server.conn(1);
    assert_eq!(events(s), vec![Event::Established, Event::Readable]);
    assert_eq!(read_all(s), b"GET / HTTP/1.1\r\n\r\n");
    // After accept the host routes; the reply flows.
    s.send(b"HTTP/1.1 200 OK\r\n\r\n").unwrap();
    w.pump(secs(1));
    assert_eq!(read_all(w.client(1)), b"HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn data_that_completes_the_handshake_is_kept_even_out_of_order() {
    // The pure ACK and the first data segment are lost; the second data
    // segment completes the handshake (ahead of RCV.NXT) and is held until
    // the retransmission fills the gap.
    let mut w = World::new(listener(ListenerConfig::default()));
    w.add_client(client(1, Config::default(), ms(0)));
    let mut n = 0;
    w.drop = Box::new(move |to_server, s| {
        if to_server && !s.has(Flags::SYN) {
            n += 1;
            return n <= 2;
        }
        false
    });
    w.pump(ms(0));
    let data = pattern(2000, 3);
    w.client(1).send(&data).unwrap();
    w.run(ms(0), secs(5));
    assert_eq!(read_all(w.server.conn(1)), data);
}

#[test]
fn close_aborts_waiting_connections_and_refuses_new_ones() {
    let mut l = listener(ListenerConfig::default());
    let (mut c1, _, ack1) = half_open(&mut l, 1, ms(0));
    let (_c2, _, _ack2) = half_open(&mut l, 2, ms(0));
    assert_eq!(feed(&mut l, ms(1), &ack1), Outcome::Completed);
    l.close();
    assert!(l.is_closed());
    assert_eq!(l.syn_queue_len(), 0);
    assert_eq!(l.accept_queue_len(), 0);
    assert!(l.accept().is_none());
    let out = drain_listener(&mut l, ms(2));
    assert_eq!(out.len(), 1);
    assert!(out[0].has(Flags::RST));
    assert_eq!(out[0].to(), client_addr(1));
    deliver(&mut c1, ms(2), &out[0]);
    assert_eq!(c1.state(), State::Closed);
    // A new SYN: reset, as from a closed port.
    let mut c3 = client(3, Config::default(), ms(3));
    assert_eq!(feed(&mut l, ms(3), &one(&mut c3, ms(3))), Outcome::Reset);
    let rst = one_from(&mut l, ms(3));
    assert_eq!(rst.repr.flags, Flags::RST | Flags::ACK);
    deliver(&mut c3, ms(3), &rst);
    assert_eq!(events(&mut c3), vec![Event::Refused]);
    silent(&mut l, ms(4));
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn the_reply_queue_is_bounded() {
    let config = ListenerConfig {
        reply_queue: 10,
        ..ListenerConfig::default()
    };
    let mut l = listener(config);
    let peer = client_addr(1);
    for i in 0..50 {
        let seg = raw(peer, SERVER, header(peer, SERVER, i, i, Flags::ACK), &[]);
        feed(&mut l, ms(0), &seg);
        assert!(l.reply_queue_len() <= 10);
    }
    assert_eq!(l.stats().resets_sent, 10);
    assert_eq!(l.stats().replies_dropped, 40);
    assert_eq!(drain_listener(&mut l, ms(0)).len(), 10);
    // A buffer too small for a header: nothing is lost, it waits.
    let seg = raw(peer, SERVER, header(peer, SERVER, 1, 1, Flags::ACK), &[]);
    feed(&mut l, ms(0), &seg);
    assert!(l.poll_transmit(ms(0), &mut [0u8; 10]).is_none());
    assert_eq!(drain_listener(&mut l, ms(0)).len(), 1);
}

// ---- SYN cookies --------------------------------------------------------

fn cookie_config() -> ListenerConfig {
    ListenerConfig {
        syn_backlog: 0,
        connection: Config {
            recv_buffer: 1 << 20,
            send_buffer: 1 << 20,
            ..Config::default()
        },
        ..ListenerConfig::default()
    }
}

/// Client `n` with a large buffer (so it scales its window) and MSS `mss`.
fn big_client(n: u16, mss: u16, timestamps: bool) -> strata_tcp::Connection {
    let c = Config {
        recv_buffer: 1 << 20,
        send_buffer: 1 << 20,
        mss,
        timestamps,
        ..Config::default()
    };
    client(n, c, ms(0))
}

fn transfer_both_ways(w: &mut World, n: u16, up: usize, down: usize) {
    let up = pattern(up, u64::from(n));
    let down = pattern(down, u64::from(n) + 100);
    let (mut su, mut sd) = (0, 0);
    let (mut gu, mut gd) = (Vec::new(), Vec::new());
    let mut now = secs(1);
    for _ in 0..100_000 {
        if su < up.len() {
            su += w.client(n).send(&up[su..]).unwrap_or(0);
        }
        if sd < down.len() {
            sd += w.server.conn(n).send(&down[sd..]).unwrap_or(0);
        }
        w.pump(now);
        gu.extend(read_all(w.server.conn(n)));
        gd.extend(read_all(w.client(n)));
        if gu.len() == up.len() && gd.len() == down.len() {
            break;
        }
        now += Duration::from_millis(10);
        w.run(now, now);
    }
    assert_eq!(gu, up);
    assert_eq!(gd, down);
}

#[test]
fn cookie_handshake_end_to_end_keeps_mss_window_scale_and_sack() {
    let mut w = World::new(listener(cookie_config()));
    w.add_client(big_client(1, 1400, true));
    w.pump(ms(0));
    // The SYN-ACK offered what the cookie carries.
    let syn_ack = w
        .log
        .iter()
        .find(|(up, s)| !up && s.has(Flags::SYN))
        .unwrap()
        .1
        .clone();
    let o = syn_ack.repr.options;
    assert_eq!(o.mss, Some(1460));
    assert_eq!(o.window_scale, Some(5));
    assert!(o.sack_permitted);
    assert!(o.timestamps.is_some());
    assert_eq!(w.server.listener.syn_queue_len(), 0);
    let s = *w.server.listener.stats();
    assert_eq!(
        (
            s.syns_received,
            s.syn_queue_overflows,
            s.cookies_sent,
            s.cookies_validated
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(s.handshakes_completed, 1);

    let server = w.server.conn(1);
    assert_eq!(server.state(), State::Established);
    assert_eq!(events(server), vec![Event::Established]);
    // MSS rounded down to the cookie table: 1400 -> 1300, less timestamps.
    assert!(MSS_TABLE.contains(&1300));
    assert_eq!(server.send_mss(), 1300 - 12);
    assert!(server.sack_enabled());
    assert!(server.timestamps_enabled());
    // Ours 5 (a 1 MiB buffer), the client's 5 as well.
    assert_eq!(server.window_shifts(), (5, 5));
    let client = w.client(1);
    assert_eq!(client.window_shifts(), (5, 5));
    assert!(client.sack_enabled());
    // Big enough transfers to need the scaled windows.
    transfer_both_ways(&mut w, 1, 3_000_000, 2_000_000);
}

#[test]
fn a_cookie_without_timestamps_carries_only_the_mss() {
    let mut w = World::new(listener(cookie_config()));
    w.add_client(big_client(1, 1220, false));
    w.pump(ms(0));
    let syn_ack = w
        .log
        .iter()
        .find(|(up, s)| !up && s.has(Flags::SYN))
        .unwrap()
        .1
        .clone();
    let o = syn_ack.repr.options;
    assert_eq!(o.mss, Some(1460));
    assert_eq!(o.window_scale, None);
    assert!(!o.sack_permitted);
    assert_eq!(o.timestamps, None);
    let server = w.server.conn(1);
    assert_eq!(server.send_mss(), 1200);
    assert!(!server.sack_enabled());
    assert!(!server.timestamps_enabled());
    assert_eq!(server.window_shifts(), (0, 0));
    transfer_both_ways(&mut w, 1, 500_000, 500_000);
}

#[test]
fn cookies_are_used_only_once_the_syn_queue_is_full() {
    let config = ListenerConfig {
        syn_backlog: 2,
        ..ListenerConfig::default()
    };
    let mut l = listener(config);
    let mut clients = Vec::new();
    let mut outcomes = Vec::new();
    for n in 1..=4 {
        let mut c = client(n, Config::default(), ms(0));
        outcomes.push(feed(&mut l, ms(0), &one(&mut c, ms(0))));
        clients.push(c);
    }
    assert_eq!(
        outcomes,
        vec![
            Outcome::SynQueued,
            Outcome::SynQueued,
            Outcome::CookieSent,
            Outcome::CookieSent
        ]
    );
    // Replies first (the cookies), then the embryos' SYN-ACKs.
    let out = drain_listener(&mut l, ms(0));
    assert_eq!(out.len(), 4);
    for s in &out {
        let c = clients.iter_mut().find(|c| c.local() == s.to()).unwrap();
        deliver(c, ms(1), s);
        let ack = one(c, ms(1));
        assert_eq!(feed(&mut l, ms(2), &ack), Outcome::Completed);
    }
    let mut accepted: Vec<_> = std::iter::from_fn(|| l.accept())
        .map(|c| c.remote())
        .collect();
    accepted.sort();
    assert_eq!(accepted, (1..=4).map(client_addr).collect::<Vec<_>>());
    let s = *l.stats();
    assert_eq!(
        (s.cookies_sent, s.cookies_validated, s.syn_acks_sent),
        (2, 2, 2)
    );
}

#[test]
fn always_cookies_keep_no_state() {
    let config = ListenerConfig {
        syn_cookies: SynCookies::Always,
        ..ListenerConfig::default()
    };
    let mut w = World::new(listener(config));
    for n in 1..=5 {
        w.add_client(client(n, Config::default(), ms(0)));
    }
    w.pump(ms(0));
    assert_eq!(w.server.conns.len(), 5);
    let s = *w.server.listener.stats();
    assert_eq!(
        (s.cookies_sent, s.cookies_validated, s.syn_acks_sent),
        (5, 5, 0)
    );
    assert_eq!(s.syn_queue_overflows, 0);
}

#[test]
fn forged_and_old_cookie_acks_are_rejected() {
    let mut l = listener(cookie_config());
    let mut c = big_client(1, 1460, true);
    let syn = one(&mut c, ms(0));
    assert_eq!(feed(&mut l, ms(0), &syn), Outcome::CookieSent);
    let syn_ack = one_from(&mut l, ms(0));
    deliver(&mut c, ms(0), &syn_ack);
    let ack = one(&mut c, ms(0));

    // Altered acknowledgment, sequence number, echoed timestamp, source.
    let forged = [
        ack.edit(|r| r.ack = r.ack.wrapping_add(1)),
        ack.edit(|r| r.ack ^= 0x0100_0000),
        ack.edit(|r| r.seq = r.seq.wrapping_add(1)),
        ack.edit(|r| r.options.timestamps.as_mut().unwrap().tsecr ^= 0x3f),
        ack.edit(|r| r.options.timestamps = None),
        ack.edit(|r| r.src_port += 1),
    ];
    for (i, seg) in forged.iter().enumerate() {
        assert_eq!(feed(&mut l, ms(1), seg), Outcome::Reset, "forgery {i}");
        let rst = one_from(&mut l, ms(1));
        assert_eq!(rst.repr.seq, seg.repr.ack);
    }
    assert_eq!(l.stats().cookies_rejected, forged.len() as u64);
    assert_eq!(l.accept_queue_len(), 0);

    // Within its time it is good, once.
    assert_eq!(feed(&mut l, secs(60), &ack), Outcome::Completed);
    assert_eq!(feed(&mut l, secs(60), &ack), Outcome::Delivered);
    assert_eq!(l.stats().cookies_validated, 1);

    // Another client's genuine ACK, too late (cookies live 64 to 128 s),
    // while cookies are still being sent.
    drain_listener(&mut l, secs(60));
    let mut c2 = big_client(2, 1460, true);
    let syn2 = one(&mut c2, ms(0));
    assert_eq!(feed(&mut l, secs(61), &syn2), Outcome::CookieSent);
    let syn_ack = one_from(&mut l, secs(61));
    deliver(&mut c2, secs(61), &syn_ack);
    let ack2 = one(&mut c2, secs(61));
    let mut c3 = big_client(3, 1460, true);
    assert_eq!(
        feed(&mut l, secs(160), &one(&mut c3, ms(0))),
        Outcome::CookieSent
    );
    drain_listener(&mut l, secs(160));
    assert_eq!(feed(&mut l, secs(192), &ack2), Outcome::Reset);
    assert_eq!(l.stats().cookies_rejected, forged.len() as u64 + 1);
    // Once no cookie sent can be valid any more, ACKs are not even looked
    // at as cookies, just reset as any ACK in LISTEN.
    drain_listener(&mut l, secs(192));
    assert_eq!(feed(&mut l, secs(300), &ack2), Outcome::Reset);
    assert_eq!(l.stats().cookies_rejected, forged.len() as u64 + 1);
    assert_eq!(l.stats().cookies_validated, 1);
}

#[test]
fn random_acks_never_pass_as_cookies() {
    let mut config = cookie_config();
    config.reply_queue = 100_000;
    let mut l = listener(config);
    // Make the listener look at cookies.
    let mut c = big_client(1, 1460, true);
    feed(&mut l, ms(0), &one(&mut c, ms(0)));
    let mut rng = strata_core::rand::SplitMix64::new(77);
    use strata_core::rand::RandomSource;
    for i in 0..20_000u32 {
        let peer = SocketAddrV4::new(
            Ipv4Addr::from(0xc612_0000 | (i & 0xffff)),
            1024 + (i as u16),
        );
        let mut r = header(peer, SERVER, rng.next_u32(), rng.next_u32(), Flags::ACK);
        if i % 2 == 0 {
            r.options.timestamps = Some(strata_tcp::Timestamps {
                tsval: rng.next_u32(),
                tsecr: rng.next_u32(),
            });
        }
        assert_eq!(
            feed(&mut l, ms(1), &raw(peer, SERVER, r, &[])),
            Outcome::Reset
        );
    }
    assert_eq!(l.stats().cookies_rejected, 20_000);
    assert_eq!(l.accept_queue_len(), 0);
}

#[test]
fn a_cookie_ack_into_a_full_accept_queue_is_dropped_and_checked_again_later() {
    let mut config = cookie_config();
    config.accept_backlog = 1;
    let mut l = listener(config);
    let mut clients: Vec<_> = (1..=2).map(|n| big_client(n, 1460, true)).collect();
    let mut acks = Vec::new();
    for c in &mut clients {
        feed(&mut l, ms(0), &one(c, ms(0)));
        let sa = one_from(&mut l, ms(0));
        deliver(c, ms(0), &sa);
        acks.push(one(c, ms(0)));
    }
    assert_eq!(feed(&mut l, ms(1), &acks[0]), Outcome::Completed);
    // Client 2's data: dropped, nothing kept.
    clients[1].send(b"payload").unwrap();
    let data = one(&mut clients[1], ms(1));
    assert_eq!(
        feed(&mut l, ms(1), &data),
        Outcome::Dropped(DropReason::AcceptQueueFull)
    );
    assert_eq!(l.stats().accept_queue_overflows, 1);
    l.accept().unwrap();
    // Its retransmission carries the same cookie and completes.
    assert_eq!(feed(&mut l, secs(1), &data), Outcome::Completed);
    let mut s = l.accept().unwrap();
    assert_eq!(read_all(&mut s), b"payload");
}

#[test]
fn a_syn_flood_fills_the_syn_queue_but_clients_still_connect() {
    // Without the simulator: 5000 spoofed SYNs around every real one.
    let config = ListenerConfig {
        syn_backlog: 64,
        reply_queue: 256,
        ..ListenerConfig::default()
    };
    let mut w = World::new(listener(config));
    let mut rng = strata_core::rand::SplitMix64::new(1);
    use strata_core::rand::RandomSource;
    for n in 1..=20u16 {
        let now = ms(u64::from(n) * 10);
        for _ in 0..250 {
            let ip = Ipv4Addr::new(
                198,
                18,
                (rng.next_u32() % 256) as u8,
                (rng.next_u32() % 256) as u8,
            );
            let from = SocketAddrV4::new(ip, 1024 + (rng.next_u32() % 60_000) as u16);
            let syn = raw(
                from,
                SERVER,
                header(from, SERVER, rng.next_u32(), 0, Flags::SYN),
                &[],
            );
            w.server.receive(now, &syn);
            assert!(w.server.listener.syn_queue_len() <= 64);
            assert!(w.server.listener.reply_queue_len() <= 256);
            if rng.next_u32().is_multiple_of(8) {
                // Replies go out (to nowhere) now and then.
                w.server.drain(now);
            }
        }
        w.add_client(client(n, Config::default(), now));
        w.run(now, now);
    }
    w.run(secs(1), secs(3));
    assert_eq!(w.server.conns.len(), 20);
    for n in 1..=20 {
        assert_eq!(w.client(n).state(), State::Established);
        w.client(n).send(b"ping").unwrap();
    }
    w.run(secs(3), secs(4));
    for n in 1..=20 {
        assert_eq!(read_all(w.server.conn(n)), b"ping");
    }
    let s = *w.server.listener.stats();
    assert!(s.syn_queue_overflows > 4000, "{s:?}");
    assert!(s.cookies_validated >= 1, "{s:?}");
}

#[test]
fn timers_cover_waiting_connections() {
    // A connection waiting in the accept queue retransmits its data on its
    // own timer, through the listener.
    let mut l = listener(ListenerConfig::default());
    let (mut c, _, ack) = half_open(&mut l, 1, ms(0));
    assert_eq!(feed(&mut l, ms(0), &ack), Outcome::Completed);
    // Let the waiting connection send something: it cannot (no send call
    // before accept), but a FIN from the client needs an ACK.
    c.shutdown().unwrap();
    let fin = one(&mut c, ms(1));
    assert_eq!(feed(&mut l, ms(1), &fin), Outcome::Delivered);
    let out = drain_listener(&mut l, ms(1));
    assert_eq!(out.len(), 1);
    assert!(out[0].is(Flags::ACK));
    deliver(&mut c, ms(1), &out[0]);
    assert_eq!(c.state(), State::FinWait2);
    // The accepted connection has seen the FIN.
    let mut s = l.accept().unwrap();
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(
        events(&mut s),
        vec![Event::Established, Event::Readable, Event::PeerClosed]
    );
}

/// The accept queue's timers come from a heap now: every queued
/// connection's keepalive probes go out exactly on time, whatever the
/// order they were armed in, and the listener's deadline is never late.
#[test]
fn accept_queue_timers_fire_exactly_on_time() {
    use strata_tcp::connection::KeepAlive;
    let mut config = ListenerConfig {
        accept_backlog: 64,
        ..ListenerConfig::default()
    };
    config.connection.keepalive = Some(KeepAlive {
        idle: Duration::from_secs(10),
        interval: Duration::from_secs(1),
        probes: 2,
    });
    let mut l = listener(config);
    // 40 handshakes complete 100 ms apart, in an order that is not the
    // order of their client numbers; nobody accepts them.
    let mut completed = std::collections::BTreeMap::new();
    let mut acks = std::collections::BTreeMap::new();
    for step in 0..40u16 {
        let n = (step * 17) % 40 + 1;
        let now = ms(u64::from(step) * 100);
        let (_c, _syn_ack, ack) = half_open(&mut l, n, now);
        assert_eq!(feed(&mut l, now, &ack), Outcome::Completed);
        silent(&mut l, now);
        completed.insert(client_addr(n).port(), now);
        acks.insert(n, ack);
    }
    // One of them hears from its client again at 3 s (its ACK, repeated),
    // which restarts its keepalive timer: the deadline entered for it
    // before goes stale in the heap.
    let moved = client_addr(18).port();
    assert_eq!(completed[&moved], ms(100));
    assert_eq!(
        l.holds(*SERVER.ip(), client_addr(18)),
        Some(Held::Unaccepted)
    );
    assert_eq!(feed(&mut l, secs(3), &acks[&18]), Outcome::Delivered);
    silent(&mut l, secs(3));
    completed.insert(moved, secs(3));

    // Jump from deadline to deadline, as a host would (a deadline may be
    // early, e.g. the SYN-ACK timer of the embryos that completed, never
    // late); collect every segment with the time it left.
    let mut probes: std::collections::BTreeMap<u16, Vec<Instant>> = Default::default();
    let mut now = ms(3_900);
    let mut wakeups = 0;
    while let Some(at) = l.poll_timeout() {
        now = now.max(at);
        if now > secs(30) {
            break;
        }
        l.handle_timeout(now);
        for seg in drain_listener(&mut l, now) {
            probes.entry(seg.repr.dst_port).or_default().push(now);
        }
        wakeups += 1;
        assert!(wakeups < 1000, "no progress");
    }
    assert_eq!(probes.len(), 40);
    for (port, times) in &probes {
        let done = completed[port];
        // Two probes a second apart, unanswered (the connection is then
        // dropped silently).
        let expect: Vec<Instant> = (0..2)
            .map(|k| done + Duration::from_secs(10) + Duration::from_secs(k))
            .collect();
        assert_eq!(times, &expect, "client port {port}");
    }
    // Each deadline was worth a wakeup: no busy loop on stale entries.
    assert!(wakeups <= 3 * 40 + 1, "{wakeups} wakeups");
    assert_eq!(l.poll_timeout(), None);
}
