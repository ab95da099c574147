//! Parse-and-verify and build of whole Ethernet/IPv4/TCP frames, strata
//! against smoltcp and etherparse in the same criterion groups.
//!
//! Two frames, both ACK|PSH segments with the NOP, NOP, timestamps option
//! that nearly every segment after the handshake carries:
//! - 1514 bytes: 14 Ethernet + 20 IPv4 + 32 TCP + 1448 payload (a full
//!   segment on a 1500-byte MTU path);
//! - 64 bytes: 14 + 20 + 20 (no options) + 10 payload, a small segment.
//!
//! Every implementation does the same work (see the comments at each one
//! for where an API forces a difference), and every result goes through
//! `black_box` so nothing is optimised away. Before timing anything, each
//! parser is checked to accept the frames and each builder is checked to
//! produce a frame the strata parser accepts with verified checksums.

// Benchmarks are test code, not library code: a broken fixture should stop
// the run loudly, so unwrap and indexing are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use strata_core::buffer::PacketBuf;

const SRC_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const DST_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];
const SRC_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const DST_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const SRC_PORT: u16 = 41_000;
const DST_PORT: u16 = 8080;
const SEQ: u32 = 0x1a2b_3c4d;
const ACK: u32 = 0x5e6f_7081;
const WINDOW: u16 = 502;
const TTL: u8 = 64;
const TSVAL: u32 = 4_052_014_610;
const TSECR: u32 = 2_131_687_906;

/// Room in front of the payload for every header (14 + 20 + 60).
const HEADROOM: usize = 96;

/// One benchmark input: a frame shape.
struct Case {
    /// Frame length, the criterion parameter.
    frame_len: usize,
    payload: Vec<u8>,
    timestamps: bool,
}

impl Case {
    fn tcp_header_len(&self) -> usize {
        if self.timestamps { 32 } else { 20 }
    }

    fn headers_len(&self) -> usize {
        14 + 20 + self.tcp_header_len()
    }
}

fn cases() -> [Case; 2] {
    let payload = |n: usize| (0..n).map(|i| (i * 131 + 7) as u8).collect::<Vec<u8>>();
    let cases = [
        Case {
            frame_len: 64,
            payload: payload(10),
            timestamps: false,
        },
        Case {
            frame_len: 1514,
            payload: payload(1448),
            timestamps: true,
        },
    ];
    for case in &cases {
        assert_eq!(case.headers_len() + case.payload.len(), case.frame_len);
    }
    cases
}

// ---------------------------------------------------------------------------
// strata

/// The three headers of a case, as strata `Repr`s.
struct StrataReprs {
    eth: strata_ethernet::Repr,
    ip: strata_ipv4::Repr,
    tcp: strata_tcp::Repr,
}

fn strata_reprs(case: &Case) -> StrataReprs {
    let mut options = strata_tcp::Options::new();
    if case.timestamps {
        options.timestamps = Some(strata_tcp::Timestamps {
            tsval: TSVAL,
            tsecr: TSECR,
        });
    }
    let tcp = strata_tcp::Repr {
        src_port: SRC_PORT,
        dst_port: DST_PORT,
        seq: SEQ,
        ack: ACK,
        flags: strata_tcp::Flags::ACK | strata_tcp::Flags::PSH,
        window: WINDOW,
        urgent: 0,
        options,
        payload_len: case.payload.len(),
    };
    assert_eq!(tcp.header_len(), case.tcp_header_len());
    let mut ip = strata_ipv4::Repr::new(
        SRC_IP,
        DST_IP,
        strata_ipv4::Protocol::TCP,
        tcp.header_len() + case.payload.len(),
    );
    ip.dont_fragment = true;
    ip.ttl = TTL;
    let eth = strata_ethernet::Repr::new(
        strata_ethernet::MacAddress(SRC_MAC),
        strata_ethernet::MacAddress(DST_MAC),
        strata_ethernet::EtherType::IPV4,
    );
    StrataReprs { eth, ip, tcp }
}

/// Prepends the three headers in front of the payload already in `pkt`.
#[inline(always)]
fn strata_prepend<B: AsRef<[u8]> + AsMut<[u8]>>(r: &StrataReprs, pkt: &mut PacketBuf<B>) {
    r.tcp.prepend(pkt, r.ip.src, r.ip.dst).unwrap();
    r.ip.prepend(pkt).unwrap();
    r.eth.prepend(pkt).unwrap();
}

/// The parse input: a frame built once by strata and checked by every
/// parser below.
fn frame_bytes(case: &Case) -> Vec<u8> {
    let reprs = strata_reprs(case);
    let mut storage = vec![0u8; HEADROOM + case.payload.len()];
    let mut pkt = PacketBuf::new(&mut storage[..], HEADROOM).unwrap();
    pkt.append(case.payload.len())
        .unwrap()
        .copy_from_slice(&case.payload);
    strata_prepend(&reprs, &mut pkt);
    pkt.as_slice().to_vec()
}

/// What every parser returns: enough of the result that none of the work
/// can be skipped.
type Parsed = Option<(usize, u32)>;

#[inline(always)]
fn strata_parse(bytes: &[u8]) -> Parsed {
    let frame = strata_ethernet::Frame::parse(bytes).ok()?;
    if frame.ethertype() != strata_ethernet::EtherType::IPV4 {
        return None;
    }
    let ip = strata_ipv4::Packet::parse_verified(frame.payload()).ok()?;
    if ip.protocol() != strata_ipv4::Protocol::TCP {
        return None;
    }
    let tcp = strata_tcp::Segment::parse_verified(ip.payload(), ip.src(), ip.dst()).ok()?;
    Some((tcp.payload().len(), tcp.seq()))
}

// ---------------------------------------------------------------------------
// smoltcp

mod smol {
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{
        EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpAddress, IpProtocol,
        Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber, TcpTimestampRepr,
    };

    use super::{
        ACK, Case, DST_IP, DST_MAC, DST_PORT, Parsed, SEQ, SRC_IP, SRC_MAC, SRC_PORT, TSECR, TSVAL,
        TTL, WINDOW,
    };

    /// `new_checked` at each layer (lengths), the IPv4 header checksum, and
    /// the TCP checksum over pseudo-header, header and payload: the same
    /// checks as strata's `parse_verified`, minus TCP option validation,
    /// which smoltcp leaves to `TcpRepr::parse`.
    #[inline(always)]
    pub fn parse(bytes: &[u8]) -> Parsed {
        let eth = EthernetFrame::new_checked(bytes).ok()?;
        if eth.ethertype() != EthernetProtocol::Ipv4 {
            return None;
        }
        let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
        if !ip.verify_checksum() || ip.next_header() != IpProtocol::Tcp {
            return None;
        }
        let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
        let (src, dst): (IpAddress, IpAddress) = (ip.src_addr().into(), ip.dst_addr().into());
        if !tcp.verify_checksum(&src, &dst) {
            return None;
        }
        Some((tcp.payload().len(), tcp.seq_number().0 as u32))
    }

    /// The three headers of a case. `payload` is what `TcpRepr::emit`
    /// copies into the segment: empty when the payload is already in place.
    pub struct Reprs<'a> {
        eth: EthernetRepr,
        ip: Ipv4Repr,
        tcp: TcpRepr<'a>,
        caps: ChecksumCapabilities,
        frame_len: usize,
    }

    pub fn reprs<'a>(case: &Case, payload: &'a [u8]) -> Reprs<'a> {
        let tcp = TcpRepr {
            src_port: SRC_PORT,
            dst_port: DST_PORT,
            control: TcpControl::Psh,
            seq_number: TcpSeqNumber(SEQ as i32),
            ack_number: Some(TcpSeqNumber(ACK as i32)),
            window_len: WINDOW,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 3],
            timestamp: case.timestamps.then(|| TcpTimestampRepr::new(TSVAL, TSECR)),
            payload,
        };
        // smoltcp pads the timestamps option with EOL instead of leading
        // NOPs; the header is 32 bytes either way.
        assert_eq!(tcp.header_len(), case.tcp_header_len());
        let ip = Ipv4Repr {
            src_addr: SRC_IP,
            dst_addr: DST_IP,
            next_header: IpProtocol::Tcp,
            payload_len: case.tcp_header_len() + case.payload.len(),
            hop_limit: TTL,
        };
        let eth = EthernetRepr {
            src_addr: EthernetAddress(SRC_MAC),
            dst_addr: EthernetAddress(DST_MAC),
            ethertype: EthernetProtocol::Ipv4,
        };
        // Default capabilities compute every checksum in software.
        let caps = ChecksumCapabilities::default();
        Reprs {
            eth,
            ip,
            tcp,
            caps,
            frame_len: case.frame_len,
        }
    }

    /// Emits the three headers (and whatever `TcpRepr::payload` holds)
    /// into `buf[..frame_len]`, computing both checksums.
    #[inline(always)]
    pub fn emit(r: &Reprs<'_>, buf: &mut [u8]) {
        let mut frame = EthernetFrame::new_unchecked(&mut buf[..r.frame_len]);
        r.eth.emit(&mut frame);
        let mut ip = Ipv4Packet::new_unchecked(frame.payload_mut());
        r.ip.emit(&mut ip, &r.caps);
        let mut tcp = TcpPacket::new_unchecked(ip.payload_mut());
        r.tcp.emit(
            &mut tcp,
            &IpAddress::Ipv4(r.ip.src_addr),
            &IpAddress::Ipv4(r.ip.dst_addr),
            &r.caps,
        );
    }
}

// ---------------------------------------------------------------------------
// etherparse

mod ether {
    use etherparse::checksum::Sum16BitWords;
    use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TcpOptionElement, TransportSlice};

    use super::{
        ACK, Case, DST_IP, DST_MAC, DST_PORT, Parsed, SEQ, SRC_IP, SRC_MAC, SRC_PORT, TSECR, TSVAL,
        TTL, WINDOW,
    };

    /// `SlicedPacket::from_ethernet` slices and length-checks all three
    /// layers (and decodes the TCP options' lengths lazily, like smoltcp).
    /// etherparse never verifies checksums itself, so this does it with its
    /// public pieces, choosing the cheapest route it offers:
    /// - IPv4: `Sum16BitWords` over the raw header slice, field included,
    ///   must complement to zero. (`to_header().calc_header_checksum()`
    ///   would first decode the header into an owned struct and copy the
    ///   options; that cost is not charged to etherparse.)
    /// - TCP: `TcpSlice::calc_checksum_ipv4` (pseudo-header, header without
    ///   the field, payload), compared with the field.
    #[inline(always)]
    pub fn parse(bytes: &[u8]) -> Parsed {
        let packet = SlicedPacket::from_ethernet(bytes).ok()?;
        let Some(NetSlice::Ipv4(ip)) = packet.net else {
            return None;
        };
        let header = ip.header();
        if Sum16BitWords::new()
            .add_slice(header.slice())
            .ones_complement()
            != 0
        {
            return None;
        }
        let Some(TransportSlice::Tcp(tcp)) = packet.transport else {
            return None;
        };
        let computed = tcp
            .calc_checksum_ipv4(header.source(), header.destination())
            .ok()?;
        if computed != tcp.checksum() {
            return None;
        }
        Some((tcp.payload().len(), tcp.sequence_number()))
    }

    /// `PacketBuilder` is the only etherparse API that fills in lengths and
    /// both checksums, and it writes headers and payload to an `io::Write`
    /// in one go: it cannot leave a payload in place, so it always copies
    /// it. Compare it with `strata_copy` / `smoltcp_copy`.
    #[inline(always)]
    pub fn build(case: &Case, payload: &[u8], out: &mut [u8]) {
        let builder = PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC_IP.octets(), DST_IP.octets(), TTL)
            .tcp(SRC_PORT, DST_PORT, SEQ, WINDOW)
            .ack(ACK)
            .psh();
        let builder = if case.timestamps {
            builder
                .options(&[
                    TcpOptionElement::Noop,
                    TcpOptionElement::Noop,
                    TcpOptionElement::Timestamp(TSVAL, TSECR),
                ])
                .unwrap()
        } else {
            builder
        };
        let mut writer = out;
        builder.write(&mut writer, payload).unwrap();
    }
}

// ---------------------------------------------------------------------------
// The groups

fn parse_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_verify");
    for case in cases() {
        let frame = frame_bytes(&case);
        let expected = Some((case.payload.len(), SEQ));
        assert_eq!(strata_parse(&frame), expected, "strata rejects its input");
        assert_eq!(smol::parse(&frame), expected, "smoltcp rejects the input");
        assert_eq!(
            ether::parse(&frame),
            expected,
            "etherparse rejects the input"
        );
        // A corrupted payload byte must be caught by every parser, or one of
        // them is not verifying the TCP checksum.
        let mut bad = frame.clone();
        *bad.last_mut().unwrap() ^= 0x40;
        assert_eq!(strata_parse(&bad), None);
        assert_eq!(smol::parse(&bad), None);
        assert_eq!(ether::parse(&bad), None);

        group.throughput(Throughput::Bytes(case.frame_len as u64));
        let id = |name| BenchmarkId::new(name, case.frame_len);
        group.bench_with_input(id("strata"), &frame[..], |b, f| {
            b.iter(|| strata_parse(black_box(f)))
        });
        group.bench_with_input(id("smoltcp"), &frame[..], |b, f| {
            b.iter(|| smol::parse(black_box(f)))
        });
        group.bench_with_input(id("etherparse"), &frame[..], |b, f| {
            b.iter(|| ether::parse(black_box(f)))
        });
    }
    group.finish();
}

/// Checks a built frame the way a receiver would.
fn assert_valid(who: &str, case: &Case, frame: &[u8]) {
    assert_eq!(frame.len(), case.frame_len, "{who}: frame length");
    assert_eq!(
        strata_parse(frame),
        Some((case.payload.len(), SEQ)),
        "{who}: frame does not parse with verified checksums"
    );
    assert_eq!(
        &frame[case.headers_len()..],
        &case.payload[..],
        "{who}: payload"
    );
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    for case in cases() {
        let len = case.payload.len();
        let reprs = strata_reprs(&case);
        group.throughput(Throughput::Bytes(case.frame_len as u64));
        let id = |name| BenchmarkId::new(name, case.frame_len);

        // strata: the payload sits in the buffer behind enough headroom;
        // each layer prepends its header and the checksums are computed
        // over what is there. Re-wrapping the storage in a `PacketBuf`
        // each time is part of the cost.
        let mut storage = vec![0u8; HEADROOM + len];
        storage[HEADROOM..].copy_from_slice(&case.payload);
        {
            let mut pkt =
                PacketBuf::with_range(&mut storage[..], HEADROOM, HEADROOM + len).unwrap();
            strata_prepend(&reprs, &mut pkt);
            assert_valid("strata", &case, pkt.as_slice());
        }
        group.bench_function(id("strata"), |b| {
            b.iter(|| {
                let mut pkt =
                    PacketBuf::with_range(&mut storage[..], HEADROOM, HEADROOM + len).unwrap();
                strata_prepend(black_box(&reprs), &mut pkt);
                black_box(pkt.as_slice().as_ptr());
            })
        });

        // strata_copy: as above, but the payload is first copied in from a
        // separate slice, the work etherparse and smoltcp_copy do.
        let mut storage = vec![0u8; HEADROOM + len];
        {
            let mut pkt = PacketBuf::new(&mut storage[..], HEADROOM).unwrap();
            pkt.append(len).unwrap().copy_from_slice(&case.payload);
            strata_prepend(&reprs, &mut pkt);
            assert_valid("strata_copy", &case, pkt.as_slice());
        }
        group.bench_function(id("strata_copy"), |b| {
            b.iter(|| {
                let mut pkt = PacketBuf::new(&mut storage[..], HEADROOM).unwrap();
                pkt.append(len)
                    .unwrap()
                    .copy_from_slice(black_box(&case.payload));
                strata_prepend(black_box(&reprs), &mut pkt);
                black_box(pkt.as_slice().as_ptr());
            })
        });

        // smoltcp with the payload in place: `TcpRepr::payload` is empty so
        // emit copies nothing, and the TCP packet spans the payload already
        // in the buffer, which `fill_checksum` covers. Same work as strata.
        let mut buf = vec![0u8; case.frame_len];
        buf[case.headers_len()..].copy_from_slice(&case.payload);
        let in_place = smol::reprs(&case, &[]);
        smol::emit(&in_place, &mut buf);
        assert_valid("smoltcp", &case, &buf);
        group.bench_function(id("smoltcp"), |b| {
            b.iter(|| {
                smol::emit(black_box(&in_place), &mut buf);
                black_box(buf.as_ptr());
            })
        });

        // smoltcp as its socket layer uses it: `TcpRepr::payload` borrows
        // the data and emit copies it behind the header.
        let mut buf = vec![0u8; case.frame_len];
        let copying = smol::reprs(&case, &case.payload);
        smol::emit(&copying, &mut buf);
        assert_valid("smoltcp_copy", &case, &buf);
        group.bench_function(id("smoltcp_copy"), |b| {
            b.iter(|| {
                smol::emit(black_box(&copying), &mut buf);
                black_box(buf.as_ptr());
            })
        });

        let mut buf = vec![0u8; case.frame_len];
        ether::build(&case, &case.payload, &mut buf);
        assert_valid("etherparse", &case, &buf);
        group.bench_function(id("etherparse"), |b| {
            b.iter(|| {
                ether::build(&case, black_box(&case.payload), &mut buf);
                black_box(buf.as_ptr());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse_verify, build);
criterion_main!(benches);
