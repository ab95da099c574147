//! Drives a connection with an arbitrary sequence of operations: segments
//! from a scripted peer built from arbitrary headers (sequence and
//! acknowledgment numbers often near the edges of the windows, arbitrary
//! flags, windows and options, payloads cut from the peer's stream),
//! application calls (send, recv, shutdown, close, abort) and time passing.
//! It checks the invariants:
//!
//! - nothing panics, and `poll_transmit` always stops;
//! - every segment the connection writes parses, verifies and matches the
//!   header it reports;
//! - SND.UNA =< SND.NXT in sequence space, and the buffers never exceed
//!   their configured sizes;
//! - the bytes the application reads are a prefix of the peer's stream, in
//!   order, each exactly once.
//!
//! The fuzz target `tcp_connection` mounts this file as a module
//! (`#[path = ...] mod driver;`), so the same driver runs under libFuzzer
//! there and over seeded random inputs in `cargo test` here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use core::net::{Ipv4Addr, SocketAddrV4};

use arbitrary::{Arbitrary, Unstructured};
use strata_core::time::{Duration, Instant};
use strata_tcp::connection::{Config, KeepAlive};
use strata_tcp::{Connection, Flags, Options, Repr, SackBlocks, Segment, State, Timestamps};

const US: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 18, 5, 1), 40_000);
const PEER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 18, 5, 2), 80);

/// Byte `k` of the peer's stream (offsets counted modulo 2^32 from the
/// first byte after its SYN), so any segment agrees with any other.
fn stream_byte(k: u32) -> u8 {
    let x = k.wrapping_mul(0x9e37_79b1);
    (x >> 24) as u8 ^ (x >> 11) as u8
}

/// Where a sequence or acknowledgment number lies.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Near {
    /// Exactly the expected value.
    Exact,
    /// The expected value plus a small signed offset.
    Offset(i16),
    /// Near the far edge of the window.
    WindowEdge(i8),
    /// Anything at all.
    Raw(u32),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct TsChoice {
    /// Send a timestamps option.
    present: bool,
    /// Step the peer's clock by this much first (may go backwards).
    step: i8,
    /// Echo our last TSval, or something else.
    echo_ours: bool,
    other_echo: u32,
}

#[derive(Arbitrary, Debug, Clone)]
struct SegmentOp {
    seq: Near,
    ack: Near,
    flags: u16,
    window: u16,
    urgent: u16,
    payload_len: u16,
    ts: TsChoice,
    sack: Vec<(Near, u16)>,
    mss: Option<u16>,
    wscale: Option<u8>,
    sack_permitted: bool,
}

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    /// A segment from the peer.
    Segment(SegmentOp),
    /// A well-formed ACK of everything we sent, with a window.
    AckAll {
        window: u16,
    },
    /// The next in-order data segment of the peer's stream.
    InOrder {
        len: u16,
        fin: bool,
    },
    /// One of our segments comes back to us (misrouted).
    Reflect,
    Send(u16),
    Recv(u16),
    Shutdown,
    Close,
    Abort,
    /// Time passes (microseconds, scaled up).
    Advance(u16),
    /// Poll for segments.
    Transmit,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Setup {
    sack: bool,
    timestamps: bool,
    window_scaling: bool,
    nagle: bool,
    delayed_ack: bool,
    keepalive: bool,
    user_timeout: bool,
    small_buffers: bool,
    /// Open with a SYN-ACK from the peer (else the peer sends a SYN and we
    /// answer, via `accept`).
    active: bool,
    iss: u32,
    peer_iss: u32,
    cubic: bool,
}

/// The scripted peer and the checks.
struct Harness {
    conn: Connection,
    config: Config,
    now: Instant,
    peer_iss: u32,
    /// The peer's next sequence number (its SND.NXT).
    peer_nxt: u32,
    peer_ts: u32,
    /// Our last TSval seen.
    our_ts: u32,
    /// Bytes the application has read.
    delivered: u64,
    last_sent: Option<Vec<u8>>,
    buf: Vec<u8>,
}

impl Harness {
    fn check(&self) {
        let una = self.conn.snd_una();
        let nxt = self.conn.snd_nxt();
        assert!(
            (nxt.wrapping_sub(una) as i32) >= 0,
            "SND.UNA {una} > SND.NXT {nxt}"
        );
        assert!(self.conn.send_queue() <= self.config.send_buffer);
        assert!(self.conn.recv_queue() <= self.config.recv_buffer);
        // Loss-recovery bookkeeping stays consistent whatever the peer
        // claims in its SACK and D-SACK blocks.
        let s = self.conn.stats();
        assert!(s.rescue_retransmissions <= s.retransmissions, "{s:?}");
        assert!(
            s.spurious_recoveries <= s.fast_retransmits + s.timeouts,
            "{s:?}"
        );
        assert!(s.hystart_exits <= s.hystart_css_entries, "{s:?}");
        assert!(self.conn.cwnd() > 0 && self.conn.ssthresh() > 0);
        if let Some(t) = self.conn.poll_timeout() {
            // A deadline is never absurdly far: at most a day beyond now,
            // unless it is a TIME-WAIT or keepalive of at most 2 hours.
            assert!(t <= self.now + Duration::from_secs(86_400), "deadline {t}");
        }
    }

    fn transmit(&mut self) {
        for _ in 0..10_000 {
            let Some(t) = self.conn.poll_transmit(self.now, &mut self.buf) else {
                self.check();
                return;
            };
            let bytes = &self.buf[..t.len];
            let seg = Segment::parse_verified(bytes, t.src, t.dst).expect("our segment verifies");
            assert_eq!(Repr::parse(&seg).unwrap(), t.repr);
            if let Some(ts) = t.repr.options.timestamps {
                self.our_ts = ts.tsval;
            }
            self.last_sent = Some(bytes.to_vec());
        }
        panic!("poll_transmit never returns None");
    }

    fn deliver(&mut self, repr: Repr, payload: &[u8]) {
        let mut repr = repr;
        repr.payload_len = payload.len();
        let hl = repr.header_len();
        if hl > 60 {
            return;
        }
        let mut bytes = vec![0u8; hl + payload.len()];
        bytes[hl..].copy_from_slice(payload);
        if repr.emit(&mut bytes, *PEER.ip(), *US.ip()).is_err() {
            return;
        }
        let seg = Segment::parse_verified(&bytes[..], *PEER.ip(), *US.ip()).unwrap();
        self.conn
            .handle_segment(self.now, *PEER.ip(), *US.ip(), &seg);
        self.check();
    }

    fn base_repr(&self) -> Repr {
        Repr {
            src_port: PEER.port(),
            dst_port: US.port(),
            seq: self.peer_nxt,
            ack: self.conn.snd_nxt(),
            flags: Flags::ACK,
            window: 65535,
            urgent: 0,
            options: Options::new(),
            payload_len: 0,
        }
    }

    fn timestamps(&mut self, choice: &TsChoice) -> Option<Timestamps> {
        if !choice.present {
            return None;
        }
        self.peer_ts = self.peer_ts.wrapping_add(i32::from(choice.step) as u32);
        Some(Timestamps {
            tsval: self.peer_ts,
            tsecr: if choice.echo_ours {
                self.our_ts
            } else {
                choice.other_echo
            },
        })
    }

    fn resolve(&self, near: Near, expected: u32, window: u32) -> u32 {
        match near {
            Near::Exact => expected,
            Near::Offset(d) => expected.wrapping_add(i32::from(d) as u32),
            Near::WindowEdge(d) => expected
                .wrapping_add(window)
                .wrapping_add(i32::from(d) as u32),
            Near::Raw(v) => v,
        }
    }

    /// Payload for a segment starting at sequence number `seq`.
    fn payload(&self, seq: u32, len: usize) -> Vec<u8> {
        let start = seq.wrapping_sub(self.peer_iss.wrapping_add(1));
        (0..len as u32)
            .map(|i| stream_byte(start.wrapping_add(i)))
            .collect()
    }

    fn segment(&mut self, op: &SegmentOp) {
        let rcv_wnd = self.config.recv_buffer as u32;
        let seq = self.resolve(op.seq, self.peer_nxt, rcv_wnd);
        let ack = self.resolve(op.ack, self.conn.snd_nxt(), 65535);
        let mut options = Options::new();
        options.timestamps = self.timestamps(&op.ts);
        options.mss = op.mss;
        options.window_scale = op.wscale;
        options.sack_permitted = op.sack_permitted;
        let mut sack = SackBlocks::new();
        for &(near, len) in op.sack.iter().take(3) {
            let left = self.resolve(near, self.conn.snd_una(), 65535);
            let _ = sack.push((left, left.wrapping_add(u32::from(len))));
        }
        options.sack = sack;
        let len = usize::from(op.payload_len % 3000);
        let flags = Flags::from_bits_truncate(op.flags);
        // Data follows the SYN's sequence number.
        let first = seq.wrapping_add(u32::from(flags.contains(Flags::SYN)));
        let payload = self.payload(first, len);
        let repr = Repr {
            seq,
            ack,
            flags,
            window: op.window,
            urgent: op.urgent,
            options,
            ..self.base_repr()
        };
        self.deliver(repr, &payload);
    }

    fn recv(&mut self, n: usize) {
        let mut out = vec![0u8; n];
        if let Ok(got) = self.conn.recv(&mut out) {
            for (i, b) in out[..got].iter().enumerate() {
                let k = (self.delivered + i as u64) as u32;
                assert_eq!(
                    *b,
                    stream_byte(k),
                    "byte {} of the stream",
                    self.delivered + i as u64
                );
            }
            self.delivered += got as u64;
        }
        self.check();
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        // Fire every timer due by now, as a host would.
        for _ in 0..1000 {
            match self.conn.poll_timeout() {
                Some(t) if t <= self.now => {
                    self.conn.handle_timeout(self.now);
                    self.transmit();
                }
                _ => break,
            }
        }
        self.check();
    }
}

fn config(setup: &Setup) -> Config {
    let buffers = if setup.small_buffers { 3000 } else { 64 * 1024 };
    Config {
        send_buffer: buffers,
        recv_buffer: buffers,
        sack: setup.sack,
        timestamps: setup.timestamps,
        window_scaling: setup.window_scaling,
        nagle: setup.nagle,
        ack_delay: setup.delayed_ack.then(|| Duration::from_millis(40)),
        keepalive: setup.keepalive.then(|| KeepAlive {
            idle: Duration::from_secs(5),
            interval: Duration::from_secs(1),
            probes: 3,
        }),
        user_timeout: setup.user_timeout.then(|| Duration::from_secs(20)),
        congestion: if setup.cubic {
            strata_tcp::congestion::Algorithm::Cubic
        } else {
            strata_tcp::congestion::Algorithm::NewReno
        },
        min_rto: Duration::from_millis(200),
        time_wait: Duration::from_secs(10),
        challenge_ack_limit: 10,
        ..Config::default()
    }
}

/// Opens a connection per `setup`, usually up to ESTABLISHED.
fn open(setup: &Setup) -> Harness {
    let config = config(setup);
    let now = Instant::from_millis(1);
    let mut syn_options = Options::new();
    syn_options.mss = Some(1400);
    syn_options.window_scale = Some(2);
    syn_options.sack_permitted = true;
    syn_options.timestamps = Some(Timestamps {
        tsval: 100,
        tsecr: 0,
    });
    let syn = Repr {
        src_port: PEER.port(),
        dst_port: US.port(),
        seq: setup.peer_iss,
        ack: 0,
        flags: Flags::SYN,
        window: 65535,
        urgent: 0,
        options: syn_options,
        payload_len: 0,
    };
    let conn = if setup.active {
        Connection::connect_with_iss(now, US, PEER, config, setup.iss).unwrap()
    } else {
        Connection::accept(now, US, PEER, &syn, config, setup.iss).unwrap()
    };
    let mut h = Harness {
        conn,
        config,
        now,
        peer_iss: setup.peer_iss,
        peer_nxt: setup.peer_iss.wrapping_add(1),
        peer_ts: 100,
        our_ts: 0,
        delivered: 0,
        last_sent: None,
        buf: vec![0u8; 1600],
    };
    h.transmit();
    let mut reply = h.base_repr();
    reply.options.timestamps = Some(Timestamps {
        tsval: 101,
        tsecr: h.our_ts,
    });
    if setup.active {
        // Our SYN is out; the peer answers SYN-ACK.
        reply.seq = setup.peer_iss;
        reply.flags = Flags::SYN | Flags::ACK;
        reply.options = syn_options;
        reply.options.timestamps = Some(Timestamps {
            tsval: 101,
            tsecr: h.our_ts,
        });
    }
    h.peer_ts = 101;
    h.deliver(reply, &[]);
    h.transmit();
    h
}

/// Runs the operations encoded in `data` against a connection.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else {
        return;
    };
    if std::env::var("STRATA_OPS_VERBOSE").is_ok() {
        eprintln!("{setup:?}");
    }
    let mut h = open(&setup);
    for _ in 0..2000 {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        if std::env::var("STRATA_OPS_VERBOSE").is_ok() {
            eprintln!(
                "{op:?} state {:?} rcv_nxt {} peer_nxt {}",
                h.conn.state(),
                h.conn.rcv_nxt(),
                h.peer_nxt
            );
        }
        match op {
            Op::Segment(s) => h.segment(&s),
            Op::AckAll { window } => {
                let mut repr = h.base_repr();
                repr.window = window;
                let ts = TsChoice {
                    present: true,
                    step: 1,
                    echo_ours: true,
                    other_echo: 0,
                };
                repr.options.timestamps = h.timestamps(&ts);
                h.deliver(repr, &[]);
            }
            Op::InOrder { len, fin } => {
                let len = usize::from(len % 2000);
                let payload = h.payload(h.peer_nxt, len);
                let mut repr = h.base_repr();
                if fin {
                    repr.flags |= Flags::FIN;
                }
                let ts = TsChoice {
                    present: true,
                    step: 1,
                    echo_ours: true,
                    other_echo: 0,
                };
                repr.options.timestamps = h.timestamps(&ts);
                h.deliver(repr, &payload);
                // The peer moves on whether or not this was accepted: a
                // later segment may fill what was refused.
                h.peer_nxt = h.peer_nxt.wrapping_add(len as u32);
            }
            Op::Reflect => {
                if let Some(bytes) = h.last_sent.clone()
                    && let Ok(seg) = Segment::parse(&bytes[..])
                {
                    h.conn.handle_segment(h.now, *US.ip(), *US.ip(), &seg);
                    h.conn.handle_segment(h.now, *PEER.ip(), *US.ip(), &seg);
                    h.check();
                }
            }
            Op::Send(n) => {
                let n = usize::from(n % 5000);
                let data = vec![0x5a; n];
                let _ = h.conn.send(&data);
                h.check();
            }
            Op::Recv(n) => h.recv(usize::from(n % 5000) + 1),
            Op::Shutdown => {
                let _ = h.conn.shutdown();
            }
            Op::Close => {
                let _ = h.conn.close();
            }
            Op::Abort => h.conn.abort(),
            Op::Advance(d) => h.advance(Duration::from_micros(u64::from(d) * 1000)),
            Op::Transmit => h.transmit(),
        }
        while h.conn.poll_event().is_some() {}
    }
    // Drain what is readable and let every timer run out: the connection
    // must end up quiet, and never panic on the way.
    h.recv(100_000);
    for _ in 0..200 {
        h.transmit();
        match h.conn.poll_timeout() {
            Some(t) => {
                h.now = h.now.max(t);
                h.conn.handle_timeout(h.now);
            }
            None => break,
        }
    }
    h.check();
    if std::env::var("STRATA_OPS_VERBOSE").is_ok() {
        eprintln!(
            "{:?} delivered {} stats {:?}",
            h.conn.state(),
            h.delivered,
            h.conn.stats()
        );
    }
    let _ = h.conn.state() == State::Closed;
}

#[cfg(test)]
mod tests {
    use strata_core::rand::{RandomSource, SplitMix64};

    #[test]
    fn regressions() {
        let cases: [&[u8]; 1] = [&[
            37, 0, 3, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 59, 110, 21, 21, 222, 55, 121, 0,
            0, 0, 129, 0, 12, 12, 12, 12, 12, 200, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 187, 58, 11,
            11, 11, 11, 11, 11, 10, 61,
        ]];
        for case in cases {
            super::run(case);
        }
    }

    #[test]
    fn random_operation_sequences() {
        let runs: u64 = std::env::var("STRATA_OPS_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        for seed in 0..runs {
            let mut rng = SplitMix64::new(seed);
            let len = 64 + rng.below(4000) as usize;
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            super::run(&data);
        }
    }
}
