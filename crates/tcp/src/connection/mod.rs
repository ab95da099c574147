//! The TCP connection state machine (RFC 9293), sans-IO.
//!
//! A [`Connection`] never reads a clock or touches a socket: the caller
//! hands it segments ([`Connection::handle_segment`]) and the time, asks it
//! for segments to send ([`Connection::poll_transmit`]) and for its next
//! deadline ([`Connection::poll_timeout`], [`Connection::handle_timeout`]),
//! and moves application bytes with [`Connection::send`] and
//! [`Connection::recv`]. What the application should know is queued as
//! [`Event`]s.
//!
//! The calling pattern: after feeding a segment, firing timers or any
//! application call, call `poll_transmit` until it returns `None`, then ask
//! `poll_timeout` for the next deadline (a call may queue an ACK, a window
//! update or data without knowing the time).
//!
//! Inside, the module is split by concern: [`State`] and the segment
//! arrival rules of RFC 9293 §3.10.7 (`input`), segment selection and
//! building (`output`), the RFC 6298 estimator (`rtt`), the SACK
//! scoreboard and RFC 6675 loss accounting (`scoreboard`), RACK-TLP
//! time-based loss detection with its reordering window (`rack`, RFC
//! 8985; D-SACK of RFC 2883 both ways, Eifel undo of RFC 3522), the pace
//! of sending during SACK recovery (`prr`, RFC 9937), out-of-order
//! reassembly (`assembler`), the byte rings (`ring`) and the timer table
//! (`timer`).
//!
//! Sequence numbers are kept internally as 64-bit offsets from the initial
//! sequence numbers (ours for the send side, the peer's for the receive
//! side), so no comparison ever wraps; they are folded to 32 bits only on
//! the wire.
//!
//! Buffers are allocated once, at construction, with the sizes of the
//! [`Config`]; the hot path allocates nothing (the out-of-order and SACK
//! range lists grow only when more gaps exist than ever before).
//!
//! Panic contract: no input (segment, call sequence, time) panics.
//!
//! ```
//! use core::net::{Ipv4Addr, SocketAddrV4};
//! use strata_core::time::Instant;
//! use strata_tcp::connection::{Config, Connection, Event, State};
//! use strata_tcp::Segment;
//!
//! let client = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 1), 40_000);
//! let server = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 2), 80);
//! let now = Instant::ZERO;
//! let mut buf = [0u8; 1500];
//!
//! // The client's SYN; the server side is made from it (as a listener does).
//! let mut a = Connection::connect_with_iss(now, client, server, Config::default(), 1)?;
//! let syn = a.poll_transmit(now, &mut buf).expect("a SYN");
//! let mut b = Connection::accept(now, server, client, &syn.repr, Config::default(), 2)?;
//! a.send(b"hello")?;
//!
//! // Carry segments both ways until both are quiet.
//! let mut peers = [a, b];
//! loop {
//!     let mut moved = false;
//!     for from in 0..2 {
//!         let [x, y] = &mut peers;
//!         let (from, to) = if from == 0 { (x, y) } else { (y, x) };
//!         while let Some(t) = from.poll_transmit(now, &mut buf) {
//!             let segment = Segment::parse_verified(&buf[..t.len], t.src, t.dst)?;
//!             to.handle_segment(now, t.src, t.dst, &segment);
//!             moved = true;
//!         }
//!     }
//!     if !moved {
//!         break;
//!     }
//! }
//! let [_a, mut b] = peers;
//! assert_eq!(b.state(), State::Established);
//! assert_eq!(b.poll_event(), Some(Event::Established));
//! let mut got = [0u8; 16];
//! let n = b.recv(&mut got)?;
//! assert_eq!(&got[..n], b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod assembler;
mod cc;
mod config;
mod error;
mod event;
mod input;
mod output;
mod prr;
mod rack;
mod ring;
mod rtt;
mod scoreboard;
mod settings;
mod state;
mod stats;
mod timer;

use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::time::{Duration, Instant};

use crate::cookie::SynParams;
use crate::isn::IsnGenerator;
use crate::wire::{Flags, Options, Repr, Segment, Timestamps};

use assembler::Assembler;
use cc::Cc;
use event::EventQueue;
use prr::Prr;
use rack::Rack;
use ring::Ring;
use rtt::RttEstimator;
use scoreboard::Scoreboard;
use timer::{Timer, Timers};

pub use config::{Config, KeepAlive, MAX_BUFFER};
pub use error::Error;
pub use event::Event;
pub use input::INVALID_ACK_INTERVAL;
pub use output::Transmit;
pub use settings::MIN_PATH_MSS;
pub use state::State;
pub use stats::Stats;

/// MSS assumed when the peer sends none (RFC 9293 §3.7.1).
const DEFAULT_MSS: u16 = 536;

/// Smallest peer MSS honoured: a tiny MSS would make us spend a segment
/// per byte (Linux keeps 48 for the same reason).
const MIN_PEER_MSS: u16 = 64;

/// RFC 8985 §7.2 WCDelAckT: the longest a peer may delay an ACK.
const WORST_CASE_ACK_DELAY: Duration = Duration::from_millis(200);

/// Bytes a timestamps option takes on every segment, with its two NOPs.
const TS_OPTION_LEN: u64 = 12;

/// TS.Recent is trusted for this long without an update (RFC 7323 §5.5).
const PAWS_IDLE: Duration = Duration::from_secs(24 * 24 * 3600);

/// Which recovery episode is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecoveryKind {
    /// RFC 6675 SACK-based loss recovery.
    Sack,
    /// RFC 6582 NewReno fast recovery (no SACK).
    NewReno,
    /// After a retransmission timeout: slow start over the lost data.
    Timeout,
}

#[derive(Clone, Copy, Debug)]
struct Recovery {
    kind: RecoveryKind,
    /// RecoveryPoint: the episode ends when this is acknowledged.
    point: u64,
}

/// A duplicate range to report first in a SACK option, and the held
/// out-of-order block around it (RFC 2883 §4).
type Dsack = ((u64, u64), Option<(u64, u64)>);

/// The state before a fast retransmit, kept to undo its window reduction
/// if the retransmission proves unnecessary (RFC 3522 detection, RFC 4015
/// response; RFC 3708 with D-SACK).
#[derive(Clone, Debug)]
struct Undo {
    /// The controller as it was before the congestion event.
    cc: Cc,
    /// TSval and first octet of the first retransmission of the episode.
    first_rtx: Option<(Option<u32>, u64)>,
    /// Retransmissions sent in the episode, and how many were D-SACKed.
    retransmits: u32,
    dsacked: u32,
    /// The episode's recovery point: D-SACKs below it concern it.
    point: u64,
    /// Forgotten once this is acknowledged (a round trip after the
    /// episode ended).
    expire: Option<u64>,
}

/// A reset owed to a segment that has no place in this connection
/// (RFC 9293 §3.10.7), sent by the next `poll_transmit`.
#[derive(Clone, Copy, Debug)]
struct ResetReply {
    from: Ipv4Addr,
    to: SocketAddrV4,
    repr: Repr,
}

/// One TCP connection: the RFC 9293 state machine with its buffers,
/// timers, retransmission and congestion control.
///
/// Most of its [`Config`] is fixed when it is made; a socket layer can
/// change these while it lives:
///
/// - [`Connection::set_path_mtu`] / [`Connection::set_send_mss`]: an ICMP
///   "fragmentation needed" (RFC 1191) or a PLPMTUD result (RFC 8899)
///   caps the send MSS, not below [`MIN_PATH_MSS`]; queued and lost data
///   is cut to the new size when it is next sent.
/// - [`Connection::set_nagle`]: `TCP_NODELAY`; off, a held small segment
///   leaves at the next [`Connection::poll_transmit`].
/// - [`Connection::set_keepalive`] / [`Connection::set_keepalive_config`]:
///   keepalive on, off or retimed; the timer restarts from the given time.
/// - [`Connection::set_send_buffer`] / [`Connection::set_recv_buffer`]:
///   the buffers resized (reallocated), never below the bytes held nor,
///   for the receive side, below the window already advertised.
#[derive(Debug)]
pub struct Connection {
    state: State,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    config: Config,
    /// Opened by [`Connection::listen`]: a reset in SYN-RECEIVED returns
    /// to LISTEN.
    from_listen: bool,
    /// Opened passively (listen or accept).
    passive: bool,
    /// Where a listening connection draws its ISS from.
    isn_source: Option<IsnGenerator>,
    /// Why the connection closed abnormally.
    error: Option<Error>,

    // Send side, offsets from the ISS: the SYN is 0, data byte k is k + 1.
    iss: u32,
    snd_una: u64,
    /// SND.NXT: one past the highest octet ever sent.
    snd_max: u64,
    snd_wnd: u64,
    max_snd_wnd: u64,
    /// Receive-side offset of the segment that last updated the window.
    snd_wl1: i64,
    snd_wl2: u64,
    send_buf: Ring,
    /// Offset of the send buffer's first byte.
    send_start: u64,
    /// The application shut the send side: a FIN follows the data.
    fin_queued: bool,
    want_writable: bool,

    // Negotiated.
    peer_mss: u16,
    /// Cap on segment size from the path (ICMP "fragmentation needed" or
    /// the caller's PLPMTUD), via [`Connection::set_send_mss`].
    path_mss: u16,
    /// Both SYNs carried window scale options.
    ws_ok: bool,
    snd_shift: u8,
    rcv_shift: u8,
    sack_ok: bool,
    ts_ok: bool,
    ts_offset: u32,
    ts_recent: u32,
    ts_recent_at: Instant,
    /// RCV.NXT as last sent in an ACK (RFC 7323 Last.ACK.sent).
    last_ack_sent: u64,

    // Receive side, offsets from the IRS: the peer's SYN is 0.
    irs: u32,
    rcv_nxt: u64,
    /// Right edge of the window last advertised.
    rcv_adv: u64,
    /// Offset of the receive buffer's first byte (next to be read).
    rcv_read: u64,
    recv_buf: Ring,
    assembler: Assembler,
    /// Where the peer's FIN sits, once seen (possibly beyond a gap).
    rcv_fin: Option<u64>,
    fin_received: bool,
    /// `close` was called: data arriving now is answered with a reset.
    read_closed: bool,
    /// Largest segment seen, for "full-sized" in the delayed-ACK rule.
    rcv_mss: u64,
    /// In-order octets received since the last ACK went out.
    delack_bytes: u64,
    ack_now: bool,
    /// Urgent pointer (RCV.UP), once an URG segment arrived.
    rcv_up: Option<u64>,
    /// A duplicate segment to report in the next ACK's first SACK block
    /// (RFC 2883), with the out-of-order block holding it, if any.
    dsack: Option<Dsack>,

    // Timers.
    timers: Timers,
    rtt: RttEstimator,
    /// Karn-safe RTT timing without timestamps: (end offset, sent at).
    rtt_probe: Option<(u64, Instant)>,
    /// TSval of the latest retransmission and SND.NXT then: until data
    /// sent after it is acknowledged, an older echo may belong to an
    /// earlier transmission whose ACK was lost, and would time the wait for
    /// the retransmission too.
    rtx_mark: Option<(u32, u64)>,
    retries: u32,
    syn_due: bool,
    syn_retransmitted: bool,
    persist_backoff: u32,
    probes_unanswered: u32,
    probe_due: bool,
    force_send: bool,
    keepalive_due: bool,
    keepalive_sent: u32,
    /// Start of the current wait for acknowledgment (user timeout).
    progress_at: Instant,
    last_send_at: Instant,

    // Congestion and loss recovery.
    cc: Cc,
    recovery: Option<Recovery>,
    /// NewReno's inflated window during fast recovery.
    fr_cwnd: u64,
    /// A partial ACK already arrived in this NewReno recovery (RFC 6582's
    /// "Impatient" variant restarts the timer only for the first).
    partial_acked: bool,
    /// RFC 6582 `recover`: no new fast retransmit until past this.
    recover: u64,
    dup_acks: u32,
    scoreboard: Scoreboard,
    /// HighRxt: one past the highest octet retransmitted this episode.
    high_rxt: u64,
    /// Unsacked octets below this are deemed lost (timeout, NewReno).
    lost_below: u64,
    /// RFC 6675 RescueRxt: the recovery point when the last rescue
    /// retransmission went out.
    rescue_rxt: Option<u64>,
    /// RFC 9937 PRR: what SACK recovery may send.
    prr: Prr,
    /// Octets the ACK being processed newly delivered (cumulatively or
    /// selectively acknowledged for the first time): PRR's DeliveredData.
    delivered_now: u64,
    /// RFC 8985 loss detection of retransmissions.
    rack: Rack,
    /// What undoing the latest window reduction takes, while it may yet
    /// prove spurious.
    undo: Option<Undo>,
    /// The probe timeout fired: send a tail loss probe (RFC 8985 §7.3).
    tlp_due: bool,
    /// TLP.end_seq, and whether the probe was a retransmission, while its
    /// episode lasts (RFC 8985 §7.4).
    tlp_out: Option<(u64, bool)>,

    // Control segments owed.
    pending_rst: Option<ResetReply>,
    challenge_window: Instant,
    challenge_count: u32,
    /// When the last ACK answering an unacceptable empty segment left.
    last_invalid_ack: Option<Instant>,

    events: EventQueue,
    stats: Stats,
}

impl Connection {
    fn new(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        config: Config,
        iss: u32,
        state: State,
    ) -> Result<Self, Error> {
        config.validate()?;
        let smss = u64::from(config.mss.min(DEFAULT_MSS));
        Ok(Self {
            state,
            local,
            remote,
            config,
            from_listen: false,
            passive: false,
            isn_source: None,
            error: None,
            iss,
            snd_una: 0,
            snd_max: 0,
            snd_wnd: 0,
            max_snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            send_buf: Ring::new(config.send_buffer),
            send_start: 1,
            fin_queued: false,
            want_writable: false,
            peer_mss: DEFAULT_MSS,
            path_mss: u16::MAX,
            ws_ok: false,
            snd_shift: 0,
            rcv_shift: 0,
            sack_ok: false,
            ts_ok: false,
            ts_offset: ts_offset(iss),
            ts_recent: 0,
            ts_recent_at: now,
            last_ack_sent: 0,
            irs: 0,
            rcv_nxt: 0,
            rcv_adv: 0,
            rcv_read: 1,
            recv_buf: Ring::new(config.recv_buffer),
            assembler: Assembler::with_capacity(16),
            rcv_fin: None,
            fin_received: false,
            read_closed: false,
            rcv_mss: u64::from(DEFAULT_MSS),
            delack_bytes: 0,
            ack_now: false,
            rcv_up: None,
            dsack: None,
            timers: Timers::default(),
            rtt: RttEstimator::new(config.initial_rto, config.min_rto, config.max_rto),
            rtt_probe: None,
            rtx_mark: None,
            retries: 0,
            syn_due: false,
            syn_retransmitted: false,
            persist_backoff: 0,
            probes_unanswered: 0,
            probe_due: false,
            force_send: false,
            keepalive_due: false,
            keepalive_sent: 0,
            progress_at: now,
            last_send_at: now,
            cc: Cc::new(config.congestion, smss, config.initial_window),
            recovery: None,
            fr_cwnd: 0,
            partial_acked: false,
            recover: 0,
            dup_acks: 0,
            scoreboard: Scoreboard::with_capacity(16),
            rescue_rxt: None,
            prr: Prr::default(),
            delivered_now: 0,
            rack: Rack::new(),
            undo: None,
            tlp_due: false,
            tlp_out: None,
            high_rxt: 0,
            lost_below: 0,
            pending_rst: None,
            challenge_window: now,
            challenge_count: 0,
            last_invalid_ack: None,
            events: EventQueue::default(),
            stats: Stats::default(),
        })
    }

    /// Active open (RFC 9293 §3.10.1): a connection in SYN-SENT whose first
    /// `poll_transmit` is the SYN. The initial sequence number comes from
    /// `isn` (RFC 6528), so off-path attackers cannot guess it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (see [`Config::validate`]).
    pub fn connect(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        config: Config,
        isn: &IsnGenerator,
    ) -> Result<Self, Error> {
        Self::connect_with_iss(now, local, remote, config, isn.isn(now, local, remote))
    }

    /// [`Connection::connect`] with an initial sequence number of the
    /// caller's choosing (tests, or an ISN computed elsewhere).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`].
    pub fn connect_with_iss(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        config: Config,
        iss: u32,
    ) -> Result<Self, Error> {
        let mut conn = Self::new(now, local, remote, config, iss, State::SynSent)?;
        conn.syn_due = true;
        Ok(conn)
    }

    /// Passive open (RFC 9293 §3.10.1) with the remote end unspecified: a
    /// connection in LISTEN that the first SYN from anywhere turns into
    /// SYN-RECEIVED, its ISS drawn from `isn` for that 4-tuple. A reset
    /// during the handshake returns it to LISTEN. (Servers with many
    /// clients use the listener and [`Connection::accept`] instead.)
    ///
    /// # Errors
    /// [`Error::InvalidConfig`].
    pub fn listen(
        now: Instant,
        local: SocketAddrV4,
        config: Config,
        isn: &IsnGenerator,
    ) -> Result<Self, Error> {
        let unspecified = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
        let mut conn = Self::new(now, local, unspecified, config, 0, State::Listen)?;
        conn.from_listen = true;
        conn.passive = true;
        conn.isn_source = Some(isn.clone());
        Ok(conn)
    }

    /// A connection in SYN-RECEIVED answering the parsed SYN `syn` from
    /// `remote`: the listener's way to open one per connection request.
    /// Its first `poll_transmit` is the SYN-ACK.
    ///
    /// # Errors
    /// [`Error::InvalidSegment`] unless `syn` carries SYN without ACK or
    /// RST; [`Error::InvalidConfig`].
    pub fn accept(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &Repr,
        config: Config,
        iss: u32,
    ) -> Result<Self, Error> {
        if !syn.flags.contains(Flags::SYN) || syn.flags.intersects(Flags::ACK | Flags::RST) {
            return Err(Error::InvalidSegment);
        }
        let mut conn = Self::new(now, local, remote, config, iss, State::SynReceived)?;
        conn.passive = true;
        conn.take_syn(now, syn);
        conn.syn_due = true;
        Ok(conn)
    }

    /// An ESTABLISHED connection from the ACK that completed a SYN-cookie
    /// handshake (RFC 4987 §3.6): the listener checked the cookie in
    /// `ack.ack - 1` and recovered the peer's SYN parameters `peer` from it
    /// (`cookie::CookieJar::decode`). Our ISS is `ack.ack - 1`, the peer's
    /// `ack.seq - 1`. Data or a FIN on `ack` is processed as usual.
    ///
    /// The SYN-ACK the listener sent must match what this connection
    /// assumes: window `min(config.recv_buffer, 65535)` unscaled; MSS
    /// `config.mss`; window scale `config.window_shift()` only if
    /// `config.window_scaling` and `peer.wscale` is some; SACK-permitted
    /// only if `config.sack` and `peer.sack`; timestamps only if
    /// `config.timestamps` and `peer.timestamps`, with a TSval not later
    /// than [`Connection::timestamp_clock`] for that ISS and time.
    ///
    /// # Errors
    /// [`Error::InvalidSegment`] unless `ack` carries ACK without SYN or
    /// RST; [`Error::InvalidConfig`].
    pub fn from_cookie(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        peer: &SynParams,
        ack: &Repr,
        payload: &[u8],
        config: Config,
    ) -> Result<Self, Error> {
        if !ack.flags.contains(Flags::ACK) || ack.flags.intersects(Flags::SYN | Flags::RST) {
            return Err(Error::InvalidSegment);
        }
        let ts = ack.options.timestamps.filter(|_| peer.timestamps);
        let mut options = Options::new();
        options.mss = Some(peer.mss);
        options.window_scale = peer.wscale;
        options.sack_permitted = peer.sack;
        options.timestamps = ts.map(|t| Timestamps {
            tsval: t.tsval,
            tsecr: 0,
        });
        let syn = Repr {
            src_port: ack.src_port,
            dst_port: ack.dst_port,
            seq: ack.seq.wrapping_sub(1),
            ack: 0,
            flags: Flags::SYN,
            window: ack.window,
            urgent: 0,
            options,
            payload_len: 0,
        };
        let iss = ack.ack.wrapping_sub(1);
        let mut conn = Self::accept(now, local, remote, &syn, config, iss)?;
        // The SYN-ACK went out statelessly.
        conn.syn_due = false;
        conn.snd_max = 1;
        conn.rcv_adv = conn.rcv_nxt + conn.syn_window();
        conn.last_ack_sent = conn.rcv_nxt;
        conn.handle_repr(now, *remote.ip(), *local.ip(), ack, payload);
        Ok(conn)
    }

    /// An ESTABLISHED connection from a three-way handshake completed
    /// elsewhere (a listener, or a socket layer keeping its own SYN
    /// queue): `syn` is the peer's SYN, `iss` the ISS of the SYN-ACK
    /// answering it, and `ack` (with `payload`) the segment that
    /// acknowledged that SYN-ACK; data or a FIN on it is processed as
    /// usual.
    ///
    /// The SYN-ACK must have been what [`Connection::accept`] for `syn`,
    /// `config` and `iss` sends first: window `min(config.recv_buffer,
    /// 65535)` unscaled, options as negotiated from `syn` and `config`,
    /// TSval not later than [`Connection::timestamp_clock`] for `iss` and
    /// `now`. Unlike [`Connection::from_cookie`], every SYN option is kept
    /// exactly.
    ///
    /// # Errors
    /// [`Error::InvalidSegment`] unless `syn` carries SYN without ACK or
    /// RST, and `ack` carries ACK without SYN or RST and acknowledges
    /// exactly the SYN-ACK (`ack.ack == iss + 1`); [`Error::InvalidConfig`].
    #[allow(clippy::too_many_arguments)] // each is part of the handshake
    pub fn from_handshake(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &Repr,
        iss: u32,
        ack: &Repr,
        payload: &[u8],
        config: Config,
    ) -> Result<Self, Error> {
        let ack_ok = ack.flags.contains(Flags::ACK)
            && !ack.flags.intersects(Flags::SYN | Flags::RST)
            && ack.ack == iss.wrapping_add(1);
        if !ack_ok {
            return Err(Error::InvalidSegment);
        }
        let mut conn = Self::accept(now, local, remote, syn, config, iss)?;
        // The SYN-ACK went out already.
        conn.syn_due = false;
        conn.snd_max = 1;
        conn.rcv_adv = conn.rcv_nxt + conn.syn_window();
        conn.last_ack_sent = conn.rcv_nxt;
        conn.handle_repr(now, *remote.ip(), *local.ip(), ack, payload);
        if conn.state == State::SynReceived {
            // Not taken (out of window, PAWS): nothing was established.
            return Err(Error::InvalidSegment);
        }
        Ok(conn)
    }

    /// The SYN-ACK a SYN-cookie listener sends for `syn` from `remote`
    /// (RFC 4987 §3.6), so that [`Connection::from_cookie`] can continue
    /// from it: ISS `iss` (the cookie), options only as far as `offered`
    /// (the cookie's `params`, which may be less than the SYN carried) and
    /// `config` allow, and the timestamp `tsval` the cookie chose (or this
    /// connection's clock when `None`). No allocation: it is meant for the
    /// moments a listener keeps no state.
    #[must_use]
    #[allow(clippy::too_many_arguments)] // each is part of what the SYN-ACK says
    pub fn cookie_syn_ack(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &Repr,
        offered: &SynParams,
        config: &Config,
        iss: u32,
        tsval: Option<u32>,
    ) -> Repr {
        let mut options = Options::new();
        options.mss = Some(config.mss);
        options.window_scale =
            (config.window_scaling && offered.wscale.is_some()).then(|| config.window_shift());
        options.sack_permitted = config.sack && offered.sack;
        options.timestamps = match syn.options.timestamps {
            Some(theirs) if config.timestamps && offered.timestamps => Some(Timestamps {
                tsval: tsval.unwrap_or_else(|| Self::timestamp_clock(iss, now)),
                tsecr: theirs.tsval,
            }),
            _ => None,
        };
        Repr {
            src_port: local.port(),
            dst_port: remote.port(),
            seq: iss,
            ack: syn.seq.wrapping_add(1),
            flags: Flags::SYN | Flags::ACK,
            window: u16::try_from(config.recv_buffer).unwrap_or(u16::MAX),
            urgent: 0,
            options,
            payload_len: 0,
        }
    }

    /// The TSval a connection with initial sequence number `iss` sends at
    /// `now` (RFC 7323 §5.4: a millisecond clock, offset per connection so
    /// it reveals no uptime). A SYN-cookie listener needs it to build the
    /// SYN-ACK [`Connection::from_cookie`] will continue from.
    #[must_use]
    pub fn timestamp_clock(iss: u32, now: Instant) -> u32 {
        (now.total_millis() as u32).wrapping_add(ts_offset(iss))
    }

    /// Feeds a received segment. `src` and `dst` are the IPv4 addresses it
    /// came with; a segment for another 4-tuple is ignored.
    ///
    /// The checksum is not verified here: parse with
    /// [`Segment::parse_verified`] (or check it otherwise) first.
    pub fn handle_segment<T: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        segment: &Segment<T>,
    ) {
        if let Ok(repr) = Repr::parse(segment) {
            self.handle_repr(now, src, dst, &repr, segment.payload());
        }
    }

    /// [`Connection::handle_segment`] for a segment already parsed into its
    /// header and payload.
    pub fn handle_repr(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        repr: &Repr,
        payload: &[u8],
    ) {
        let to_us = repr.dst_port == self.local.port()
            && (dst == *self.local.ip() || self.local.ip().is_unspecified());
        let from_peer = self.state == State::Listen
            || (repr.src_port == self.remote.port() && src == *self.remote.ip());
        if !to_us || !from_peer {
            return;
        }
        self.stats.segments_received += 1;
        self.process(now, src, dst, repr, payload);
        self.update_timers(now);
    }

    /// The earliest time [`Connection::handle_timeout`] has work to do.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Each timer fires at most once per call, so one re-armed at `now`
        // waits for the next call instead of spinning here.
        for timer in Timer::ALL {
            if self.timers.get(timer).is_some_and(|at| at <= now) {
                self.timers.cancel(timer);
                self.fire(now, timer);
            }
        }
        self.update_timers(now);
    }

    /// Queues as much of `data` as the send buffer holds; returns how much.
    /// Data may be queued from SYN-SENT on and goes out once the handshake
    /// completes.
    ///
    /// # Errors
    /// [`Error::WouldBlock`] when the buffer is full (an [`Event::Writable`]
    /// follows once room opens); [`Error::Closing`] after
    /// [`Connection::shutdown`]; [`Error::NotConnected`] in LISTEN; the
    /// reason the connection closed once it is CLOSED.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        match self.state {
            State::Listen => return Err(Error::NotConnected),
            State::Closed => return Err(self.error.unwrap_or(Error::Closed)),
            _ if self.fin_queued || !self.state.can_send() => return Err(Error::Closing),
            _ => {}
        }
        let n = self.send_buf.push(data);
        if n < data.len() {
            self.want_writable = true;
        }
        if n == 0 && !data.is_empty() {
            return Err(Error::WouldBlock);
        }
        Ok(n)
    }

    /// Moves received in-order data into `buf`; returns how much, or 0 at
    /// the end of the stream (the peer's FIN was read up to).
    ///
    /// # Errors
    /// [`Error::WouldBlock`] when no data is there yet; [`Error::Closing`]
    /// after [`Connection::close`]; [`Error::NotConnected`] in LISTEN; the
    /// reason the connection closed abnormally (its unread data is
    /// discarded, RFC 9293 §3.10.7.4).
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.read_closed {
            return Err(Error::Closing);
        }
        let n = self.recv_buf.pop(buf);
        if n > 0 {
            self.rcv_read += n as u64;
            self.stats.bytes_delivered += n as u64;
            self.maybe_window_update();
            return Ok(n);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.fin_received {
            return Ok(0);
        }
        match self.state {
            State::Closed => Err(Error::Closed),
            State::Listen => Err(Error::NotConnected),
            _ => Err(Error::WouldBlock),
        }
    }

    /// Bytes ready for [`Connection::recv`].
    #[must_use]
    pub fn recv_queue(&self) -> usize {
        self.recv_buf.len()
    }

    /// Bytes in the send buffer: queued plus sent but unacknowledged.
    #[must_use]
    pub fn send_queue(&self) -> usize {
        self.send_buf.len()
    }

    /// Room left in the send buffer.
    #[must_use]
    pub fn send_capacity(&self) -> usize {
        self.send_buf.free()
    }

    /// Shuts the send side (RFC 9293 CLOSE): a FIN follows the queued data,
    /// while data from the peer keeps arriving (half-close). Calling it
    /// again changes nothing.
    ///
    /// # Errors
    /// The reason the connection closed, if it is CLOSED.
    pub fn shutdown(&mut self) -> Result<(), Error> {
        match self.state {
            State::Closed => return Err(self.error.unwrap_or(Error::Closed)),
            // Data queued before the handshake completed was accepted by
            // `send`: it still goes out, then the FIN (FIN-WAIT-1 once the
            // connection is established).
            State::SynSent if !self.send_buf.is_empty() => {
                self.fin_queued = true;
                return Ok(());
            }
            // Nothing was sent or promised: just forget the connection.
            State::Listen | State::SynSent => {
                self.enter_closed(None);
                return Ok(());
            }
            _ => {}
        }
        if self.fin_queued {
            return Ok(());
        }
        self.fin_queued = true;
        match self.state {
            State::Established => self.state = State::FinWait1,
            State::CloseWait => self.state = State::LastAck,
            // SYN-RECEIVED: the FIN goes out once ESTABLISHED is reached.
            _ => {}
        }
        Ok(())
    }

    /// Shuts the send side and stops reading: unread data, and data that
    /// arrives later, make the connection reset (RFC 1122 §4.2.2.13), so the
    /// peer learns it was not delivered.
    ///
    /// # Errors
    /// As [`Connection::shutdown`].
    pub fn close(&mut self) -> Result<(), Error> {
        self.shutdown()?;
        if self.state == State::Closed {
            return Ok(());
        }
        self.read_closed = true;
        if !self.recv_buf.is_empty() && self.state.is_synchronized() {
            self.abort();
        }
        Ok(())
    }

    /// Drops the connection at once (RFC 9293 ABORT): queued data is
    /// discarded and, in a synchronized state, a reset tells the peer.
    pub fn abort(&mut self) {
        if matches!(
            self.state,
            State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
        ) {
            let mut repr = self.header(self.snd_max, Flags::RST);
            repr.ack = 0;
            self.pending_rst = Some(ResetReply {
                from: *self.local.ip(),
                to: self.remote,
                repr,
            });
        }
        if self.state != State::Closed {
            self.enter_closed(Some(Error::Aborted));
        }
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> State {
        self.state
    }

    /// The next queued event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Why the connection closed abnormally, once it has.
    #[must_use]
    pub fn error(&self) -> Option<Error> {
        self.error
    }

    /// The local address and port.
    #[must_use]
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The remote address and port (unspecified in LISTEN).
    #[must_use]
    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }

    /// SND.UNA: the oldest unacknowledged sequence number.
    #[must_use]
    pub fn snd_una(&self) -> u32 {
        self.snd_seq(self.snd_una)
    }

    /// SND.NXT: the next new sequence number to send.
    #[must_use]
    pub fn snd_nxt(&self) -> u32 {
        self.snd_seq(self.snd_max)
    }

    /// RCV.NXT: the next sequence number expected from the peer.
    #[must_use]
    pub fn rcv_nxt(&self) -> u32 {
        self.rcv_seq(self.rcv_nxt)
    }

    /// Our initial sequence number.
    #[must_use]
    pub fn iss(&self) -> u32 {
        self.iss
    }

    /// The send window the peer offers (scaled), SND.WND.
    #[must_use]
    pub fn send_window(&self) -> u64 {
        self.snd_wnd
    }

    /// The congestion window in octets.
    #[must_use]
    pub fn cwnd(&self) -> u64 {
        self.effective_cwnd()
    }

    /// The slow-start threshold in octets.
    #[must_use]
    pub fn ssthresh(&self) -> u64 {
        self.cc.ssthresh()
    }

    /// Where HyStart++ (RFC 9406) stands in the initial slow start.
    #[must_use]
    pub fn hystart_phase(&self) -> crate::congestion::HyStartPhase {
        self.cc.hystart_phase()
    }

    /// The current retransmission timeout, backoff included.
    #[must_use]
    pub fn rto(&self) -> Duration {
        self.rtt.rto()
    }

    /// The smoothed round-trip time, once measured.
    #[must_use]
    pub fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }

    /// Payload octets per full-sized segment we send (Eff.snd.MSS, less
    /// the timestamps option when in use).
    #[must_use]
    pub fn send_mss(&self) -> usize {
        usize::try_from(self.smss()).unwrap_or(usize::MAX)
    }

    /// Whether SACK was negotiated.
    #[must_use]
    pub fn sack_enabled(&self) -> bool {
        self.sack_ok
    }

    /// Whether timestamps were negotiated.
    #[must_use]
    pub fn timestamps_enabled(&self) -> bool {
        self.ts_ok
    }

    /// The window scale shifts in use: (ours, applied to windows we
    /// advertise; the peer's, applied to windows we receive).
    #[must_use]
    pub fn window_shifts(&self) -> (u8, u8) {
        (self.rcv_shift, self.snd_shift)
    }

    /// The urgent pointer (RCV.UP) the peer last signalled, as a sequence
    /// number, if any. Urgent data itself is delivered inline.
    #[must_use]
    pub fn urgent_pointer(&self) -> Option<u32> {
        self.rcv_up.map(|up| self.rcv_seq(up))
    }

    /// Out-of-order ranges held for reassembly.
    #[must_use]
    pub fn out_of_order_ranges(&self) -> usize {
        self.assembler.len()
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- sequence arithmetic -------------------------------------------

    #[inline]
    fn snd_seq(&self, offset: u64) -> u32 {
        self.iss.wrapping_add(offset as u32)
    }

    #[inline]
    fn rcv_seq(&self, offset: u64) -> u32 {
        self.irs.wrapping_add(offset as u32)
    }

    /// The send-side offset of a sequence number from the wire, taken as
    /// the one nearest SND.UNA.
    #[inline]
    fn snd_offset(&self, seq: u32) -> i64 {
        let delta = seq.wrapping_sub(self.snd_seq(self.snd_una)) as i32;
        self.snd_una as i64 + i64::from(delta)
    }

    /// The receive-side offset of a sequence number, nearest RCV.NXT.
    #[inline]
    fn rcv_offset(&self, seq: u32) -> i64 {
        let delta = seq.wrapping_sub(self.rcv_seq(self.rcv_nxt)) as i32;
        self.rcv_nxt as i64 + i64::from(delta)
    }

    /// One past the last byte of queued data.
    #[inline]
    fn data_end(&self) -> u64 {
        self.send_start + self.send_buf.len() as u64
    }

    /// One past the last octet of sequence space to send (data and FIN).
    #[inline]
    fn send_end(&self) -> u64 {
        self.data_end() + u64::from(self.fin_queued)
    }

    /// Whether our FIN has been acknowledged.
    fn fin_acked(&self) -> bool {
        self.fin_queued && self.snd_una > self.data_end()
    }

    /// Whether a recovery episode of `kind` is running.
    #[inline]
    fn recovery_is(&self, kind: RecoveryKind) -> bool {
        self.recovery.is_some_and(|r| r.kind == kind)
    }

    /// Eff.snd.MSS (RFC 9293 §3.7.1): what the peer accepts, what we
    /// chose to send at most and what the path carries, options included.
    #[inline]
    fn eff_mss(&self) -> u64 {
        u64::from(self.peer_mss.min(self.config.mss).min(self.path_mss))
    }

    /// Segment payload size for congestion accounting (SMSS).
    fn smss(&self) -> u64 {
        let base = self.eff_mss();
        let ts = if self.ts_ok { TS_OPTION_LEN } else { 0 };
        base.saturating_sub(ts).max(1)
    }

    fn effective_cwnd(&self) -> u64 {
        match self.recovery {
            Some(Recovery {
                kind: RecoveryKind::NewReno,
                ..
            }) => self.fr_cwnd,
            _ => self.cc.cwnd(),
        }
    }

    /// The timestamp clock: milliseconds, offset per connection.
    fn ts_now(&self, now: Instant) -> u32 {
        (now.total_millis() as u32).wrapping_add(self.ts_offset)
    }

    /// Sets the ISS once it is known (passive open from LISTEN).
    fn set_iss(&mut self, iss: u32) {
        self.iss = iss;
        self.ts_offset = ts_offset(iss);
    }

    /// Window we may offer in a SYN: unscaled, at most 65535.
    fn syn_window(&self) -> u64 {
        (self.recv_buf.capacity() as u64).min(u64::from(u16::MAX))
    }

    // ---- state changes ---------------------------------------------------

    /// Everything a SYN from the peer tells us (RFC 9293 §3.10.7.2/3).
    fn take_syn(&mut self, now: Instant, syn: &Repr) {
        self.irs = syn.seq;
        self.rcv_nxt = 1;
        self.rcv_read = 1;
        self.last_ack_sent = 1;
        let o = &syn.options;
        self.peer_mss = o.mss.unwrap_or(DEFAULT_MSS).max(MIN_PEER_MSS);
        match o.window_scale {
            Some(shift) if self.config.window_scaling => {
                self.ws_ok = true;
                self.snd_shift = shift.min(14);
                self.rcv_shift = self.config.window_shift();
            }
            _ => {
                self.ws_ok = false;
                self.snd_shift = 0;
                self.rcv_shift = 0;
            }
        }
        self.sack_ok = self.config.sack && o.sack_permitted;
        match o.timestamps {
            Some(ts) if self.config.timestamps => {
                self.ts_ok = true;
                self.ts_recent = ts.tsval;
                self.ts_recent_at = now;
            }
            _ => self.ts_ok = false,
        }
        // The window of a SYN is never scaled (RFC 7323 §2.2).
        self.snd_wnd = u64::from(syn.window);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = 0;
        self.snd_wl2 = self.snd_una;
        let smss = self.smss();
        self.cc.set_smss(smss);
    }

    /// The handshake completed.
    fn enter_established(&mut self, now: Instant) {
        self.state = State::Established;
        self.events.push(Event::Established);
        if self.syn_retransmitted {
            self.rtt.reset_after_syn_loss();
        }
        self.retries = 0;
        self.progress_at = now;
        self.last_send_at = now;
        if self.fin_queued {
            self.state = State::FinWait1;
        }
    }

    fn enter_time_wait(&mut self, now: Instant) {
        self.state = State::TimeWait;
        self.timers.cancel_all();
        self.timers
            .set(Timer::TimeWait, now + self.config.time_wait);
    }

    /// Deletes the TCB (RFC 9293): CLOSED, queues flushed unless the close
    /// was orderly.
    fn enter_closed(&mut self, error: Option<Error>) {
        self.state = State::Closed;
        self.timers.cancel_all();
        self.recovery = None;
        self.ack_now = false;
        self.syn_due = false;
        self.probe_due = false;
        self.keepalive_due = false;
        self.force_send = false;
        if let Some(e) = error {
            self.error = Some(e);
            self.send_buf.discard(usize::MAX);
            self.recv_buf.discard(usize::MAX);
            self.assembler.clear();
            let event = match e {
                Error::Reset => Some(Event::Reset),
                Error::Refused => Some(Event::Refused),
                Error::TimedOut => Some(Event::TimedOut),
                _ => None,
            };
            if let Some(event) = event {
                self.events.push(event);
            }
        } else {
            self.events.push(Event::Closed);
        }
    }

    /// Back to LISTEN after a handshake that failed (RFC 9293: "return
    /// this connection to the LISTEN state").
    fn return_to_listen(&mut self, now: Instant) {
        let unspecified = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
        match Self::new(now, self.local, unspecified, self.config, 0, State::Listen) {
            Ok(mut fresh) => {
                fresh.from_listen = true;
                fresh.passive = true;
                fresh.isn_source = self.isn_source.take();
                fresh.stats = self.stats;
                *self = fresh;
            }
            Err(_) => self.enter_closed(Some(Error::Reset)),
        }
    }

    /// Connection lost for lack of answers.
    fn time_out(&mut self) {
        self.enter_closed(Some(Error::TimedOut));
    }

    // ---- timers -----------------------------------------------------------

    fn fire(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::TimeWait => {
                if self.state == State::TimeWait {
                    self.enter_closed(None);
                }
            }
            Timer::UserTimeout => {
                if self.snd_una < self.snd_max || self.send_pending() {
                    self.time_out();
                }
            }
            Timer::Retransmit => self.on_retransmit_timeout(now),
            Timer::Persist => self.on_persist_timeout(),
            Timer::KeepAlive => self.on_keepalive_timeout(now),
            Timer::DelayedAck => {
                if self.delack_bytes > 0 || self.ack_now {
                    self.ack_now = true;
                }
            }
            Timer::Reorder => {
                let (lost_below, relost) = (self.lost_below, self.rack.lost_retransmissions);
                self.rack_detect(now);
                // Losses the timer found take octets out of pipe but no
                // ACK came to let PRR send for them: with every segment
                // in flight lost, the conservative bound would wait for
                // the RTO. Count one segment delivered, as Linux does on
                // its RACK reordering timeout.
                let found = self.lost_below > lost_below || self.rack.lost_retransmissions > relost;
                if found && self.recovery_is(RecoveryKind::Sack) {
                    self.prr.on_ack(self.smss(), false);
                }
            }
            Timer::Probe => {
                // RFC 8985 §7.3: only while nothing else is repairing.
                if self.state.is_synchronized()
                    && self.snd_una < self.snd_max
                    && self.recovery.is_none()
                    && self.tlp_out.is_none()
                {
                    self.tlp_due = true;
                }
            }
        }
    }

    /// RFC 6298 §5.4–5.7, RFC 5681 §3.1 and RFC 6675 §5.1.
    fn on_retransmit_timeout(&mut self, now: Instant) {
        match self.state {
            State::SynSent | State::SynReceived => {
                self.retries += 1;
                if self.retries > self.config.syn_retries {
                    self.time_out();
                    return;
                }
                self.rtt.back_off();
                self.syn_due = true;
                self.syn_retransmitted = true;
                self.rtt_probe = None;
            }
            State::Closed | State::Listen | State::TimeWait => {}
            _ => {
                if self.snd_una >= self.snd_max {
                    return;
                }
                self.retries += 1;
                if self.retries > self.config.max_retries {
                    self.time_out();
                    return;
                }
                self.stats.timeouts += 1;
                // RFC 5681 §3.1: the controller holds ssthresh on a
                // repeated timeout.
                self.cc.on_rto(now, self.snd_max - self.snd_una);
                self.recovery = Some(Recovery {
                    kind: RecoveryKind::Timeout,
                    point: self.snd_max,
                });
                self.recover = self.snd_max;
                self.lost_below = self.snd_max;
                self.high_rxt = self.snd_una;
                self.dup_acks = 0;
                self.rtt_probe = None;
                self.rtt.back_off();
                self.rack.on_timeout();
                self.undo = None;
                self.tlp_due = false;
                self.tlp_out = None;
                self.timers.cancel(Timer::Probe);
                self.timers.cancel(Timer::Reorder);
            }
        }
    }

    fn on_persist_timeout(&mut self) {
        if !self.state.is_synchronized() {
            return;
        }
        if self.snd_wnd == 0 {
            self.probes_unanswered += 1;
            if self.probes_unanswered > self.config.max_retries {
                self.time_out();
                return;
            }
            self.probe_due = true;
            self.persist_backoff = self.persist_backoff.saturating_add(1);
        } else {
            // RFC 9293 §3.8.6.2.1: the override timeout lets a small
            // segment go when nothing else will.
            self.force_send = true;
        }
    }

    fn on_keepalive_timeout(&mut self, now: Instant) {
        let Some(ka) = self.config.keepalive else {
            return;
        };
        if !matches!(
            self.state,
            State::Established | State::CloseWait | State::FinWait2
        ) {
            return;
        }
        if self.snd_una < self.snd_max {
            // Data in flight: the retransmission timer watches the peer.
            self.timers.set(Timer::KeepAlive, now + ka.idle);
            return;
        }
        if self.keepalive_sent >= ka.probes {
            self.time_out();
            return;
        }
        self.keepalive_sent += 1;
        self.keepalive_due = true;
        self.timers.set(Timer::KeepAlive, now + ka.interval);
    }

    /// Whether unsent data or an unsent FIN waits.
    fn send_pending(&self) -> bool {
        self.snd_max < self.send_end()
    }

    fn persist_interval(&self) -> Duration {
        let base = self.rtt.rto();
        let factor = 1u64.checked_shl(self.persist_backoff).unwrap_or(u64::MAX);
        base.saturating_mul(factor)
            .max(self.config.min_rto)
            .min(self.config.max_rto)
    }

    /// Arms or disarms the retransmission, persist, user-timeout and
    /// keepalive timers to match the state after any change.
    fn update_timers(&mut self, now: Instant) {
        match self.state {
            State::Closed | State::Listen | State::TimeWait => return,
            State::SynSent | State::SynReceived => {
                if !self.syn_due && self.snd_max > 0 {
                    self.timers.ensure(Timer::Retransmit, now + self.rtt.rto());
                }
                return;
            }
            _ => {}
        }
        let outstanding = self.snd_una < self.snd_max;
        let pending = self.send_pending();
        if self.snd_wnd == 0 && (outstanding || pending) {
            self.timers.cancel(Timer::Retransmit);
            let interval = self.persist_interval();
            self.timers.ensure(Timer::Persist, now + interval);
        } else if outstanding {
            self.timers.cancel(Timer::Persist);
            self.timers.ensure(Timer::Retransmit, now + self.rtt.rto());
        } else if pending && !self.force_send {
            self.timers.cancel(Timer::Retransmit);
            let interval = self.persist_interval();
            self.timers.ensure(Timer::Persist, now + interval);
        } else {
            self.timers.cancel(Timer::Retransmit);
            self.timers.cancel(Timer::Persist);
        }
        if outstanding && self.snd_wnd > 0 {
            self.arm_probe(now);
        } else {
            self.timers.cancel(Timer::Probe);
        }
        if let Some(ut) = self.config.user_timeout {
            if outstanding || (pending && self.snd_wnd == 0) {
                if !self.timers.is_armed(Timer::UserTimeout) {
                    // Waiting starts with the oldest unacknowledged send, or
                    // now if the window alone holds data back.
                    let since = if outstanding { self.progress_at } else { now };
                    self.timers.set(Timer::UserTimeout, since + ut);
                }
            } else {
                self.timers.cancel(Timer::UserTimeout);
            }
        }
        if let Some(ka) = self.config.keepalive {
            if matches!(
                self.state,
                State::Established | State::CloseWait | State::FinWait2
            ) {
                self.timers.ensure(Timer::KeepAlive, now + ka.idle);
            } else {
                self.timers.cancel(Timer::KeepAlive);
            }
        }
    }

    /// RFC 8985 §7.2: the probe timeout, armed while SACK-based
    /// detection could not see a loss at the tail of the flight (nothing
    /// SACKed would follow it). PTO = 2 * SRTT, plus the peer's delayed-ACK
    /// allowance when one segment is in flight, and never past the RTO.
    fn arm_probe(&mut self, now: Instant) {
        let eligible = self.sack_ok
            && self.recovery.is_none()
            && self.tlp_out.is_none()
            && !self.tlp_due
            && matches!(
                self.state,
                State::Established | State::CloseWait | State::FinWait1 | State::LastAck
            );
        let Some(srtt) = self.rtt.srtt().filter(|_| eligible) else {
            self.timers.cancel(Timer::Probe);
            return;
        };
        if self.timers.is_armed(Timer::Probe) {
            return;
        }
        let mut pto = srtt.saturating_mul(2);
        if self.snd_max - self.snd_una <= self.smss() {
            pto += WORST_CASE_ACK_DELAY;
        }
        let at = now + pto;
        if self
            .timers
            .get(Timer::Retransmit)
            .is_some_and(|rto| at < rto)
        {
            self.timers.set(Timer::Probe, at);
        }
    }

    /// RFC 5961 §7: challenge ACKs, at most `challenge_ack_limit` a second.
    fn challenge_ack(&mut self, now: Instant) {
        if now.saturating_duration_since(self.challenge_window) >= Duration::from_secs(1) {
            self.challenge_window = now;
            self.challenge_count = 0;
        }
        if self.challenge_count < self.config.challenge_ack_limit {
            self.challenge_count += 1;
            self.stats.challenge_acks += 1;
            self.ack_now = true;
        } else {
            self.stats.challenge_acks_suppressed += 1;
        }
    }

    /// After the application read: tell the peer about a window that grew
    /// enough to matter (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
    fn maybe_window_update(&mut self) {
        if !self.state.can_receive() || !self.state.is_synchronized() {
            return;
        }
        let edge = self.window_edge();
        let current = self.rcv_adv.saturating_sub(self.rcv_nxt);
        let offered = edge.saturating_sub(self.rcv_nxt);
        if edge.saturating_sub(self.rcv_adv) >= self.sws_threshold() && offered >= 2 * current {
            self.ack_now = true;
        }
    }

    /// The right edge of the largest window we could advertise now: the
    /// end of the receive buffer, but no further than the window field
    /// reaches at the agreed shift (a buffer grown after the handshake,
    /// or a large one without window scaling, holds more).
    #[inline]
    fn window_edge(&self) -> u64 {
        let field_max = u64::from(u16::MAX) << self.rcv_shift;
        (self.rcv_read + self.recv_buf.capacity() as u64).min(self.rcv_nxt + field_max)
    }

    /// min(RCV.BUFF / 2, Eff.MSS): the least a window may grow by.
    fn sws_threshold(&self) -> u64 {
        (self.recv_buf.capacity() as u64 / 2)
            .min(u64::from(self.config.mss))
            .max(1)
    }
}

/// The timestamp clock's offset for a connection: as unguessable as the
/// ISS it derives from, so TSvals reveal no uptime (RFC 7323 §7.1).
fn ts_offset(iss: u32) -> u32 {
    iss.rotate_left(13) ^ 0x9e37_79b9
}

/// The reset RFC 9293 §3.10.7.1 sends in answer to `segment` when no
/// connection exists for it: `<SEQ=SEG.ACK><CTL=RST>` if it had ACK, else
/// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`; `None` for a reset (never
/// answered). Ports are swapped; the payload is empty.
#[must_use]
pub fn reset_reply(segment: &Repr) -> Option<Repr> {
    if segment.flags.contains(Flags::RST) {
        return None;
    }
    let mut reply = Repr {
        src_port: segment.dst_port,
        dst_port: segment.src_port,
        seq: 0,
        ack: 0,
        flags: Flags::RST,
        window: 0,
        urgent: 0,
        options: Options::new(),
        payload_len: 0,
    };
    if segment.flags.contains(Flags::ACK) {
        reply.seq = segment.ack;
    } else {
        reply.ack = segment.seq.wrapping_add(segment.segment_len() as u32);
        reply.flags |= Flags::ACK;
    }
    Some(reply)
}
