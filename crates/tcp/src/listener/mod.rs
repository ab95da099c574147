//! A listening endpoint (RFC 9293 passive OPEN) with a SYN queue, an
//! accept queue and SYN cookies (RFC 4987 §3.6), sans-IO.
//!
//! A [`Listener`] answers connection requests to one local port and hands
//! each completed handshake out as a [`Connection`] through
//! [`Listener::accept`], as `listen(2)`/`accept(2)` do. Like the connection
//! it never reads a clock: feed it segments with
//! [`Listener::handle_segment`], take what it wants sent with
//! [`Listener::poll_transmit`] (until `None`), and drive its timers with
//! [`Listener::poll_timeout`] and [`Listener::handle_timeout`].
//!
//! # Queues
//!
//! - The **SYN queue** holds embryonic connections (SYN-RECEIVED) as small
//!   records, not whole connections: what the SYN said (sequence number,
//!   options), our ISS, and the SYN-ACK retransmission timer. A SYN-ACK is
//!   repeated with exponential backoff and the embryo dropped after
//!   [`ListenerConfig::syn_ack_retries`] repetitions go unanswered. The
//!   connection proper, with its buffers, is built only once the
//!   handshake's ACK arrives.
//! - When the SYN queue is full, a SYN is answered with a **SYN cookie**
//!   (see [`crate::cookie`]): the SYN-ACK encodes what the embryo would
//!   have held (MSS rounded to a table, and with timestamps also window
//!   scale and SACK), nothing is kept, and a valid ACK recreates the
//!   connection. A SYN flood therefore fills the SYN queue and then costs
//!   only stateless replies, while real clients still complete their
//!   handshakes.
//! - The **accept queue** holds completed connections until the
//!   application accepts them, in the order their handshakes completed. A
//!   handshake that completes into a full accept queue is handled as Linux
//!   does by default: the ACK is dropped and the embryo kept, so the client
//!   completes it later ([`AcceptOverflow::DropAck`]); or, configurably,
//!   reset ([`AcceptOverflow::Reset`]). SYNs arriving while the accept
//!   queue is full are dropped.
//! - Stateless replies (resets, cookie SYN-ACKs, challenge ACKs) wait in a
//!   bounded reply queue.
//!
//! Every queue is allocated once, in [`Listener::new`], with the bounds of
//! the [`ListenerConfig`]; handling a segment allocates nothing except the
//! buffers of a connection whose handshake just completed.
//!
//! # Demultiplexing contract
//!
//! A connection lives in the listener from the SYN until [`accept`]
//! returns it, and in the host from then on. The host routes each arriving
//! segment (checksum verified) in this order:
//!
//! 1. A connection the host owns (returned by `accept`, or opened with
//!    `connect`) whose 4-tuple matches exactly gets the segment.
//! 2. Otherwise the listener bound to the destination port (and address,
//!    or any address) gets it through [`Listener::handle_segment`]. This
//!    covers segments of embryonic connections, of completed connections
//!    still waiting in the accept queue (the listener passes them on), new
//!    SYNs, cookie ACKs, and strays (answered per RFC 9293 §3.10.7.2).
//! 3. Otherwise there is no socket: the host answers as in the CLOSED
//!    state (RFC 9293 §3.10.7.1, [`crate::connection::reset_reply`]).
//!
//! When `accept` returns a connection, the listener forgets its 4-tuple at
//! once: the host must enter the connection in its own table before it
//! routes the next segment, or that segment reaches the listener as a
//! stray and is answered with a reset. Until then, [`Listener::holds`]
//! tells whether the listener holds state for a 4-tuple, and the
//! listener's `poll_transmit` and `poll_timeout` cover its embryos and its
//! not yet accepted connections; after `accept` the host polls the
//! connection itself.
//!
//! [`accept`]: Listener::accept
//!
//! # Example
//!
//! ```
//! use core::net::{Ipv4Addr, SocketAddrV4};
//! use strata_core::{rand::SplitMix64, time::Instant};
//! use strata_tcp::connection::{Config, Connection, Event, State};
//! use strata_tcp::listener::{Listener, ListenerConfig, Outcome};
//! use strata_tcp::Segment;
//!
//! let server = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 2), 80);
//! let client = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 1), 40_000);
//! let now = Instant::ZERO;
//! let mut buf = [0u8; 1500];
//!
//! let mut listener =
//!     Listener::from_random(server, ListenerConfig::default(), &mut SplitMix64::new(1))?;
//! let mut client = Connection::connect_with_iss(now, client, server, Config::default(), 7)?;
//!
//! // SYN ->, <- SYN-ACK, ACK ->.
//! let t = client.poll_transmit(now, &mut buf).expect("a SYN");
//! let syn = Segment::parse_verified(&buf[..t.len], t.src, t.dst)?;
//! assert_eq!(listener.handle_segment(now, t.src, t.dst, &syn), Outcome::SynQueued);
//! let t = listener.poll_transmit(now, &mut buf).expect("a SYN-ACK");
//! let syn_ack = Segment::parse_verified(&buf[..t.len], t.src, t.dst)?;
//! client.handle_segment(now, t.src, t.dst, &syn_ack);
//! assert_eq!(client.state(), State::Established);
//! let t = client.poll_transmit(now, &mut buf).expect("an ACK");
//! let ack = Segment::parse_verified(&buf[..t.len], t.src, t.dst)?;
//! assert_eq!(listener.handle_segment(now, t.src, t.dst, &ack), Outcome::Completed);
//!
//! let mut conn = listener.accept().expect("a connection");
//! assert_eq!(conn.state(), State::Established);
//! assert_eq!(conn.poll_event(), Some(Event::Established));
//! assert_eq!(listener.stats().accepted, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod stats;
mod table;

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::rand::RandomSource;
use strata_core::time::{Duration, Instant};

use crate::connection::{Connection, Error, Transmit, reset_reply};
use crate::cookie::{CookieJar, PERIOD, SynParams};
use crate::isn::{IsnGenerator, SipHasher24};
use crate::wire::{Flags, Options, Repr, Segment, Timestamps};

use table::{Entry, Key, Table};

pub use config::{AcceptOverflow, ListenerConfig, MAX_BACKLOG, SynCookies};
pub use stats::ListenerStats;

/// The secrets a listener works with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerKeys {
    /// Initial sequence numbers of embryonic connections (RFC 6528). Share
    /// the host's generator so a 4-tuple's ISNs keep increasing whether it
    /// was opened actively or passively.
    pub isn: IsnGenerator,
    /// The SYN cookie key.
    pub cookies: CookieJar,
    /// Keys the 4-tuple hash of the SYN and accept queues, so addresses an
    /// attacker picks cannot collide on purpose.
    pub table: SipHasher24,
}

impl ListenerKeys {
    /// Keys drawn from `rng`.
    #[must_use]
    pub fn from_random<R: RandomSource + ?Sized>(rng: &mut R) -> Self {
        ListenerKeys {
            isn: IsnGenerator::from_random(rng),
            cookies: CookieJar::from_random(rng),
            table: SipHasher24::from_random(rng),
        }
    }
}

/// What [`Listener::handle_segment`] did with a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// A SYN opened an embryonic connection; its SYN-ACK is queued.
    SynQueued,
    /// A retransmitted SYN of an embryonic connection: the SYN-ACK is
    /// queued again.
    SynAckRepeated,
    /// A SYN was answered with a SYN cookie; nothing was kept.
    CookieSent,
    /// The handshake completed (from the SYN queue or by cookie): a
    /// connection waits in the accept queue.
    Completed,
    /// The segment belongs to a connection in the accept queue and was
    /// handed to it.
    Delivered,
    /// A reset removed an embryonic connection.
    EmbryoReset,
    /// A challenge ACK (RFC 5961) is queued for an embryonic connection.
    ChallengeAck,
    /// A reset is queued in answer.
    Reset,
    /// Nothing came of the segment.
    Dropped(DropReason),
}

/// Why a segment was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// Another port or address.
    NotForUs,
    /// The segment could not be taken apart.
    Malformed,
    /// A reset with nothing to reset: in LISTEN (RFC 9293 §3.10.7.2),
    /// after `close`, or out of an embryo's window.
    Reset,
    /// Neither SYN nor ACK: nothing in LISTEN or SYN-RECEIVED takes it.
    NoAck,
    /// A SYN with FIN, which opens nothing.
    BadSyn,
    /// From or to a broadcast, multicast or unspecified address, or from
    /// port 0: no connection can have such an end, and no reset is sent
    /// to one (RFC 1122 §4.2.3.10).
    BadAddress,
    /// A SYN found the SYN queue full, with cookies off.
    SynQueueFull,
    /// A SYN, or a handshake's last ACK, found the accept queue full.
    AcceptQueueFull,
    /// Outside an embryonic connection's receive window (an ACK is queued
    /// unless rate-limited, RFC 9293 §3.10.7.4).
    OutOfWindow,
    /// A challenge ACK was due but the rate limit withheld it.
    RateLimited,
    /// A reply was due but the reply queue is full.
    ReplyQueueFull,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::NotForUs => "not for this listener",
            DropReason::Malformed => "malformed segment",
            DropReason::Reset => "reset with nothing to reset",
            DropReason::NoAck => "neither SYN nor ACK",
            DropReason::BadSyn => "SYN with FIN",
            DropReason::BadAddress => "broadcast, multicast or unspecified address, or port 0",
            DropReason::SynQueueFull => "SYN queue full",
            DropReason::AcceptQueueFull => "accept queue full",
            DropReason::OutOfWindow => "outside the receive window",
            DropReason::RateLimited => "challenge ACK rate limit",
            DropReason::ReplyQueueFull => "reply queue full",
        })
    }
}

/// What the listener holds for a 4-tuple (see [`Listener::holds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Held {
    /// An embryonic connection in the SYN queue.
    Embryo,
    /// A completed connection waiting in the accept queue.
    Unaccepted,
}

/// A connection in SYN-RECEIVED, reduced to what building the SYN-ACK and
/// the connection needs.
#[derive(Clone, Copy, Debug)]
struct Embryo {
    key: Key,
    iss: u32,
    /// The peer's ISN, the sequence number of its SYN.
    irs: u32,
    /// What the SYN offered, exactly.
    params: SynParams,
    /// The peer's latest TSval, echoed in our SYN-ACK.
    peer_tsval: Option<u32>,
    /// SYN-ACK retransmissions so far.
    retries: u32,
    deadline: Instant,
    /// Queued in `syn_acks_due`.
    due: bool,
    /// A SYN-ACK went out once already.
    sent: bool,
    /// Its last ACK came while the accept queue was full.
    acked: bool,
}

#[derive(Debug)]
struct EmbryoSlot {
    /// Bumped when the slot is reused, so stale entries of the due queue
    /// are recognised.
    generation: u32,
    embryo: Option<Embryo>,
}

/// A completed connection not yet accepted.
#[derive(Debug)]
struct Ready {
    key: Key,
    conn: Connection,
    /// It may have something to send.
    poll: bool,
    /// The listener was closed: it only waits to send its reset.
    orphan: bool,
    /// The deadline last entered for it in `Listener::ready_timers`.
    armed: Option<Instant>,
}

/// A stateless reply waiting for `poll_transmit`.
#[derive(Clone, Copy, Debug)]
struct Reply {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    repr: Repr,
}

/// A listening TCP endpoint: SYN queue, SYN cookies, accept queue.
///
/// See the [module documentation](self) for the queues and for how a host
/// routes segments between the listener and its connections.
#[derive(Debug)]
pub struct Listener {
    local: SocketAddrV4,
    config: ListenerConfig,
    isn: IsnGenerator,
    cookies: CookieJar,
    table: Table,
    embryos: Vec<EmbryoSlot>,
    free_embryos: Vec<u32>,
    /// Embryos whose SYN-ACK is to be sent, with the slot generation.
    syn_acks_due: VecDeque<(u32, u32)>,
    /// No embryo's timer fires before this (it may be early, never late).
    embryo_deadline: Option<Instant>,
    /// Embryos whose ACK was dropped for a full accept queue.
    acked_embryos: usize,
    ready: Vec<Option<Ready>>,
    free_ready: Vec<u32>,
    /// Slots of `ready` in the order their handshakes completed.
    accept_order: VecDeque<u32>,
    /// Deadlines of the connections in `ready`: (deadline, slot), earliest
    /// on top. An entry is live while it equals its slot's `armed`; the
    /// others (the deadline moved, the connection was accepted) are
    /// dropped when they come up, so `poll_timeout` is a peek.
    ready_timers: BinaryHeap<Reverse<(Instant, u32)>>,
    /// Where the next scan of `ready` for output starts, for fairness.
    ready_cursor: usize,
    replies: VecDeque<Reply>,
    /// When the last cookie went out: cookie ACKs are looked at only for
    /// as long as one could be valid (Linux does the same), which keeps a
    /// forged ACK's one-in-2^24 chance off the table in normal times.
    last_cookie_at: Option<Instant>,
    challenge_window: Instant,
    challenge_count: u32,
    closed: bool,
    stats: ListenerStats,
}

/// Whether `ip` may be one end of a connection (RFC 1122 §4.2.3.10: a SYN
/// to a broadcast or multicast address opens nothing, and nothing is sent
/// to one).
fn unicast(ip: Ipv4Addr) -> bool {
    !(ip.is_broadcast() || ip.is_multicast() || ip.is_unspecified())
}

/// RFC 9293 §3.10.7.4's acceptability test for a segment of `len` octets
/// of sequence space starting at `seq`, against a window of `wnd` octets
/// from `rcv_nxt`.
fn acceptable(seq: u32, len: u32, rcv_nxt: u32, wnd: u32) -> bool {
    let in_window = |s: u32| s.wrapping_sub(rcv_nxt) < wnd;
    match (len, wnd) {
        (0, 0) => seq == rcv_nxt,
        (_, 0) => false,
        (0, _) => in_window(seq),
        _ => in_window(seq) || in_window(seq.wrapping_add(len - 1)),
    }
}

impl Listener {
    /// A listener on `local` (its address may be unspecified: any of the
    /// host's addresses), with its queues allocated and its secrets from
    /// `keys`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (see [`ListenerConfig::validate`]).
    pub fn new(
        local: SocketAddrV4,
        config: ListenerConfig,
        keys: ListenerKeys,
    ) -> Result<Self, Error> {
        config.validate()?;
        let syn = config.syn_backlog;
        let accept = config.accept_backlog;
        let mut embryos = Vec::with_capacity(syn);
        embryos.resize_with(syn, || EmbryoSlot {
            generation: 0,
            embryo: None,
        });
        let mut ready = Vec::with_capacity(accept);
        ready.resize_with(accept, || None);
        // Popped from the end: slot 0 first.
        let free_embryos = (0..syn)
            .rev()
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let free_ready = (0..accept)
            .rev()
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        Ok(Listener {
            local,
            config,
            isn: keys.isn,
            cookies: keys.cookies,
            table: Table::new(keys.table, syn.saturating_add(accept)),
            embryos,
            free_embryos,
            // Twice the backlog: stale entries are purged only when it
            // fills, which then frees at least half.
            syn_acks_due: VecDeque::with_capacity(syn.saturating_mul(2)),
            embryo_deadline: None,
            acked_embryos: 0,
            ready,
            free_ready,
            accept_order: VecDeque::with_capacity(accept),
            ready_timers: BinaryHeap::new(),
            ready_cursor: 0,
            replies: VecDeque::with_capacity(config.reply_queue),
            last_cookie_at: None,
            challenge_window: Instant::ZERO,
            challenge_count: 0,
            closed: false,
            stats: ListenerStats::default(),
        })
    }

    /// [`Listener::new`] with every key drawn from `rng`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`].
    pub fn from_random<R: RandomSource + ?Sized>(
        local: SocketAddrV4,
        config: ListenerConfig,
        rng: &mut R,
    ) -> Result<Self, Error> {
        Self::new(local, config, ListenerKeys::from_random(rng))
    }

    /// Feeds a segment addressed to the listener's port (see the
    /// demultiplexing contract in the [module documentation](self)); `src`
    /// and `dst` are the IPv4 addresses it came with.
    ///
    /// The checksum is not verified here: parse with
    /// [`Segment::parse_verified`] first.
    pub fn handle_segment<T: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        segment: &Segment<T>,
    ) -> Outcome {
        match Repr::parse(segment) {
            Ok(repr) => self.handle_repr(now, src, dst, &repr, segment.payload()),
            Err(_) => Outcome::Dropped(DropReason::Malformed),
        }
    }

    /// [`Listener::handle_segment`] for a segment already parsed into its
    /// header and payload. The payload's length is taken from `payload`.
    pub fn handle_repr(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        repr: &Repr,
        payload: &[u8],
    ) -> Outcome {
        let ours = repr.dst_port == self.local.port()
            && (self.local.ip().is_unspecified() || dst == *self.local.ip());
        if !ours {
            return Outcome::Dropped(DropReason::NotForUs);
        }
        let mut repr = *repr;
        repr.payload_len = payload.len();
        let key = Key {
            local_ip: dst,
            remote: SocketAddrV4::new(src, repr.src_port),
        };
        match self.table.get(&key) {
            Some(Entry::Ready(id)) => self.deliver(now, id, key, &repr, payload),
            Some(Entry::Embryo(id)) => self.embryo_segment(now, id, key, &repr, payload),
            None => self.listen_segment(now, key, &repr, payload),
        }
    }

    /// Writes the next segment the listener wants sent into `buf` and
    /// describes it, or returns `None` when there is nothing to send. Call
    /// it until it returns `None`.
    ///
    /// In order: stateless replies (resets, cookie SYN-ACKs, challenge
    /// ACKs), SYN-ACKs of embryonic connections, then whatever connections
    /// in the accept queue send (ACKs for early data, their own
    /// retransmissions). `buf` should hold a full segment (MSS plus 60
    /// bytes); a segment that does not fit is not sent, and a connection's
    /// output waits until its next event.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(reply) = self.replies.front().copied() {
            reply.repr.emit(buf, reply.src, reply.dst).ok()?;
            self.replies.pop_front();
            return Some(Transmit {
                src: reply.src,
                dst: reply.dst,
                repr: reply.repr,
                len: reply.repr.header_len(),
            });
        }
        while let Some((id, generation)) = self.syn_acks_due.front().copied() {
            let Some(embryo) = self.live_embryo(id, generation).filter(|e| e.due) else {
                self.syn_acks_due.pop_front();
                continue;
            };
            let repr = self.syn_ack(now, &embryo);
            let dst = *embryo.key.remote.ip();
            repr.emit(buf, embryo.key.local_ip, dst).ok()?;
            self.syn_acks_due.pop_front();
            if let Some(e) = self.embryo_mut(id) {
                e.due = false;
                e.sent = true;
            }
            if embryo.sent {
                self.stats.syn_ack_retransmits += 1;
            } else {
                self.stats.syn_acks_sent += 1;
            }
            return Some(Transmit {
                src: embryo.key.local_ip,
                dst,
                repr,
                len: repr.header_len(),
            });
        }
        self.transmit_ready(now, buf)
    }

    /// The earliest time [`Listener::handle_timeout`] has work to do: an
    /// embryo's SYN-ACK timer, or a timer of a connection in the accept
    /// queue. It may be early (after an embryo left, a connection's timer
    /// moved later or it was accepted), never late. O(1): the accept
    /// queue's deadlines are kept in a heap.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ready = self.ready_timers.peek().map(|Reverse((t, _))| *t);
        match (self.embryo_deadline, ready) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs every timer due at `now`: SYN-ACK retransmissions with
    /// exponential backoff, embryos dropped after the last one went
    /// unanswered, and the timers of connections in the accept queue.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.embryo_deadline.is_some_and(|d| d <= now) {
            self.embryo_timers(now);
        }
        self.ready_timers_due(now);
    }

    /// The oldest completed connection, removed from the accept queue; from
    /// now on the host owns it and routes its segments (see the module
    /// documentation). `None` when no handshake has completed, or after
    /// [`Listener::close`].
    ///
    /// A connection may have changed since its handshake completed: data
    /// may be waiting, or the peer may have closed or reset it meanwhile
    /// (its events say so).
    pub fn accept(&mut self) -> Option<Connection> {
        loop {
            let id = self.accept_order.pop_front()?;
            let Some(ready) = self.ready.get_mut(id as usize).and_then(Option::take) else {
                continue;
            };
            self.table.remove(&ready.key);
            self.free_ready.push(id);
            self.stats.accepted += 1;
            // A client whose ACK was dropped for lack of room thinks it is
            // connected and may say nothing more: a SYN-ACK prompts it to
            // repeat its ACK, which now completes.
            if self.acked_embryos > 0 {
                let waiting = self
                    .embryos
                    .iter()
                    .position(|slot| slot.embryo.is_some_and(|e| e.acked && !e.due));
                if let Some(i) = waiting.and_then(|i| u32::try_from(i).ok()) {
                    self.schedule_syn_ack(i);
                }
            }
            return Some(ready.conn);
        }
    }

    /// Stops listening (RFC 9293 CLOSE of a LISTEN): embryonic connections
    /// are forgotten, connections waiting in the accept queue are aborted
    /// (their resets still go out through [`Listener::poll_transmit`]), and
    /// from now on every segment is answered as in the CLOSED state (RFC
    /// 9293 §3.10.7.1). Calling it again changes nothing.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        for slot in &mut self.embryos {
            if slot.embryo.take().is_some() {
                slot.generation = slot.generation.wrapping_add(1);
            }
        }
        self.free_embryos.clear();
        let syn = self.embryos.len();
        self.free_embryos
            .extend((0..syn).rev().filter_map(|i| u32::try_from(i).ok()));
        self.syn_acks_due.clear();
        self.embryo_deadline = None;
        self.acked_embryos = 0;
        self.table.clear();
        self.accept_order.clear();
        for ready in self.ready.iter_mut().flatten() {
            ready.conn.abort();
            ready.poll = true;
            ready.orphan = true;
        }
        for id in 0..self.ready.len() {
            if let Ok(id) = u32::try_from(id) {
                self.rearm_ready(id);
            }
        }
    }

    /// What the listener holds for the connection from `remote` to
    /// `local_ip` (on the listener's port), if anything: a host can ask
    /// before routing, though routing everything it does not own to the
    /// listener is enough.
    #[must_use]
    pub fn holds(&self, local_ip: Ipv4Addr, remote: SocketAddrV4) -> Option<Held> {
        match self.table.get(&Key { local_ip, remote })? {
            Entry::Embryo(_) => Some(Held::Embryo),
            Entry::Ready(_) => Some(Held::Unaccepted),
        }
    }

    /// Embryonic connections in the SYN queue.
    #[must_use]
    pub fn syn_queue_len(&self) -> usize {
        self.embryos.len() - self.free_embryos.len()
    }

    /// Completed connections waiting for [`Listener::accept`].
    #[must_use]
    pub fn accept_queue_len(&self) -> usize {
        self.accept_order.len()
    }

    /// Stateless replies waiting for [`Listener::poll_transmit`].
    #[must_use]
    pub fn reply_queue_len(&self) -> usize {
        self.replies.len()
    }

    /// The local address and port.
    #[must_use]
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ListenerConfig {
        &self.config
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> &ListenerStats {
        &self.stats
    }

    /// Whether [`Listener::close`] was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ---- segment arrival -------------------------------------------------

    /// A segment of a connection waiting in the accept queue.
    fn deliver(&mut self, now: Instant, id: u32, key: Key, repr: &Repr, payload: &[u8]) -> Outcome {
        let Some(Some(ready)) = self.ready.get_mut(id as usize) else {
            return Outcome::Dropped(DropReason::NotForUs);
        };
        ready
            .conn
            .handle_repr(now, *key.remote.ip(), key.local_ip, repr, payload);
        ready.poll = true;
        self.stats.segments_delivered += 1;
        self.rearm_ready(id);
        Outcome::Delivered
    }

    /// RFC 9293 §3.10.7.2: a segment for no connection, in LISTEN.
    fn listen_segment(&mut self, now: Instant, key: Key, repr: &Repr, payload: &[u8]) -> Outcome {
        // "First, check for a RST: An incoming RST segment could not be
        // valid since it could not have been sent in response to anything
        // sent by this incarnation of the connection. An incoming RST
        // should be ignored."
        if repr.flags.contains(Flags::RST) {
            return Outcome::Dropped(DropReason::Reset);
        }
        // Nothing answers a segment that cannot belong to a connection, not
        // even with a reset (RFC 1122 §4.2.3.10).
        if !unicast(*key.remote.ip()) || !unicast(key.local_ip) || key.remote.port() == 0 {
            return Outcome::Dropped(DropReason::BadAddress);
        }
        // No listener any more: what CLOSED answers (§3.10.7.1).
        if self.closed {
            if repr.flags.contains(Flags::SYN) && !repr.flags.contains(Flags::ACK) {
                self.stats.syns_received += 1;
                self.stats.syns_dropped += 1;
            }
            return self.reply_reset(key, repr);
        }
        // "Second, check for an ACK: Any acknowledgment is bad if it
        // arrives on a connection still in the LISTEN state. An acceptable
        // reset segment should be formed for any arriving ACK-bearing
        // segment. The RST should be formatted as <SEQ=SEG.ACK><CTL=RST>."
        // Unless it is the last ACK of a cookie handshake.
        if repr.flags.contains(Flags::ACK) {
            if !repr.flags.contains(Flags::SYN) && self.cookies_recent(now) {
                return self.cookie_ack(now, key, repr, payload);
            }
            return self.reply_reset(key, repr);
        }
        // "Third, check for a SYN".
        if repr.flags.contains(Flags::SYN) {
            return self.listen_syn(now, key, repr);
        }
        // "Fourth, other data or control: ... Any other control or
        // text-bearing segment (not containing SYN) must have an ACK and
        // thus would have been discarded by the ACK processing in the
        // second step ... So you are unlikely to get here, but if you do,
        // drop the segment and return."
        Outcome::Dropped(DropReason::NoAck)
    }

    /// A SYN in LISTEN: an embryo, a cookie, or nothing.
    fn listen_syn(&mut self, now: Instant, key: Key, repr: &Repr) -> Outcome {
        // A SYN with FIN makes no sense (Linux drops it too).
        if repr.flags.contains(Flags::FIN) {
            return Outcome::Dropped(DropReason::BadSyn);
        }
        self.stats.syns_received += 1;
        // Linux drops SYNs while the accept queue is full: a handshake
        // could not complete anyway, and the client's retransmission may
        // find room.
        if self.free_ready.is_empty() {
            self.stats.syns_dropped += 1;
            return Outcome::Dropped(DropReason::AcceptQueueFull);
        }
        let syn_full = self.free_embryos.is_empty();
        match self.config.syn_cookies {
            SynCookies::Always => self.send_cookie(now, key, repr),
            SynCookies::WhenFull if syn_full => {
                self.stats.syn_queue_overflows += 1;
                self.send_cookie(now, key, repr)
            }
            SynCookies::Never if syn_full => {
                self.stats.syn_queue_overflows += 1;
                self.stats.syns_dropped += 1;
                Outcome::Dropped(DropReason::SynQueueFull)
            }
            _ => self.new_embryo(now, key, repr),
        }
    }

    fn new_embryo(&mut self, now: Instant, key: Key, repr: &Repr) -> Outcome {
        let Some(id) = self.free_embryos.pop() else {
            self.stats.syns_dropped += 1;
            return Outcome::Dropped(DropReason::SynQueueFull);
        };
        if !self.table.insert(key, Entry::Embryo(id)) {
            self.free_embryos.push(id);
            self.stats.syns_dropped += 1;
            return Outcome::Dropped(DropReason::SynQueueFull);
        }
        let local = SocketAddrV4::new(key.local_ip, self.local.port());
        let deadline = now + self.config.syn_ack_timeout;
        let embryo = Embryo {
            key,
            iss: self.isn.isn(now, local, key.remote),
            irs: repr.seq,
            params: SynParams::from_syn(&repr.options, false),
            peer_tsval: repr.options.timestamps.map(|t| t.tsval),
            retries: 0,
            deadline,
            due: false,
            sent: false,
            acked: false,
        };
        if let Some(slot) = self.embryos.get_mut(id as usize) {
            slot.generation = slot.generation.wrapping_add(1);
            slot.embryo = Some(embryo);
        }
        self.schedule_syn_ack(id);
        self.embryo_deadline = Some(self.embryo_deadline.map_or(deadline, |d| d.min(deadline)));
        Outcome::SynQueued
    }

    /// Answers a SYN with a cookie SYN-ACK and forgets it.
    fn send_cookie(&mut self, now: Instant, key: Key, repr: &Repr) -> Outcome {
        if self.replies.len() >= self.config.reply_queue {
            self.stats.replies_dropped += 1;
            self.stats.syns_dropped += 1;
            return Outcome::Dropped(DropReason::ReplyQueueFull);
        }
        let local = SocketAddrV4::new(key.local_ip, self.local.port());
        let mut params = SynParams::from_syn(&repr.options, false);
        // Only what the SYN-ACK will carry may be encoded: a cookie made
        // for timestamps we do not send would never match the ACK.
        params.timestamps &= self.config.connection.timestamps;
        let jar = &self.cookies;
        let mut cookie = jar.encode(now, local, key.remote, repr.seq, &params, 0);
        if params.timestamps {
            // The TSval must not be ahead of the clock the connection will
            // run, which is offset by the ISS, which is the cookie: the
            // ISN does not depend on the clock, so encode again with it.
            let clock = Connection::timestamp_clock(cookie.isn, now);
            cookie = jar.encode(now, local, key.remote, repr.seq, &params, clock);
        }
        let syn_ack = Connection::cookie_syn_ack(
            now,
            local,
            key.remote,
            repr,
            &cookie.params,
            &self.config.connection,
            cookie.isn,
            cookie.tsval,
        );
        self.replies.push_back(Reply {
            src: key.local_ip,
            dst: *key.remote.ip(),
            repr: syn_ack,
        });
        self.stats.cookies_sent += 1;
        self.last_cookie_at = Some(now);
        Outcome::CookieSent
    }

    /// Whether a cookie sent lately could still be valid.
    fn cookies_recent(&self, now: Instant) -> bool {
        self.last_cookie_at
            .is_some_and(|at| now.saturating_duration_since(at) < PERIOD + PERIOD)
    }

    /// An ACK in LISTEN while cookies are about: the last ACK of a cookie
    /// handshake, or a stray.
    fn cookie_ack(&mut self, now: Instant, key: Key, repr: &Repr, payload: &[u8]) -> Outcome {
        let local = SocketAddrV4::new(key.local_ip, self.local.port());
        let tsecr = repr.options.timestamps.map(|t| t.tsecr);
        let Ok(params) = self
            .cookies
            .decode(now, local, key.remote, repr.ack, repr.seq, tsecr)
        else {
            // Linux answers a failed cookie as any ACK in LISTEN: a client
            // whose cookie expired learns at once.
            self.stats.cookies_rejected += 1;
            return self.reply_reset(key, repr);
        };
        self.stats.cookies_validated += 1;
        if self.free_ready.is_empty() {
            self.stats.accept_queue_overflows += 1;
            // Nothing is kept: the client's next segment carrying the same
            // cookie (a retransmission of its first data) is checked again.
            return match self.config.accept_overflow {
                AcceptOverflow::DropAck => Outcome::Dropped(DropReason::AcceptQueueFull),
                AcceptOverflow::Reset => self.reply_reset(key, repr),
            };
        }
        match Connection::from_cookie(
            now,
            local,
            key.remote,
            &params,
            repr,
            payload,
            self.config.connection,
        ) {
            Ok(conn) => self.push_ready(key, conn),
            Err(_) => Outcome::Dropped(DropReason::Malformed),
        }
    }

    /// A segment of an embryonic connection: SYN-RECEIVED, RFC 9293
    /// §3.10.7.4 with RFC 5961.
    fn embryo_segment(
        &mut self,
        now: Instant,
        id: u32,
        key: Key,
        repr: &Repr,
        payload: &[u8],
    ) -> Outcome {
        let Some(embryo) = self.embryo(id) else {
            return Outcome::Dropped(DropReason::NotForUs);
        };
        let flags = repr.flags;
        let rcv_nxt = embryo.irs.wrapping_add(1);
        if flags.contains(Flags::SYN) && !flags.contains(Flags::RST) {
            if !flags.contains(Flags::ACK) && repr.seq == embryo.irs {
                // The SYN again: our SYN-ACK was lost or is slow. Answer
                // again, echoing its timestamp.
                if let Some(e) = self.embryo_mut(id) {
                    e.peer_tsval = repr.options.timestamps.map(|t| t.tsval).or(e.peer_tsval);
                }
                self.schedule_syn_ack(id);
                return Outcome::SynAckRepeated;
            }
            // RFC 5961 §4.2: "If the SYN bit is set, irrespective of the
            // sequence number, TCP MUST send an ACK (also referred to as
            // challenge ACK) to the remote peer". A client that restarted
            // answers it with a reset that removes this embryo, then its
            // SYN is taken anew.
            return self.challenge_ack(now, &embryo);
        }
        // "First, check sequence number ... If an incoming segment is not
        // acceptable, an acknowledgment should be sent in reply (unless the
        // RST bit is set, if so drop the segment and return)".
        let len = u32::try_from(repr.segment_len()).unwrap_or(u32::MAX);
        if !acceptable(repr.seq, len, rcv_nxt, u32::from(self.syn_window())) {
            if !flags.contains(Flags::RST) {
                self.challenge_ack(now, &embryo);
            }
            return Outcome::Dropped(DropReason::OutOfWindow);
        }
        // "Second, check the RST bit": RFC 5961 §3.2 narrows it to an exact
        // match; an in-window reset that is not exact gets a challenge
        // ACK. Then (RFC 9293, SYN-RECEIVED) "If this connection was
        // initiated with a passive OPEN (i.e., came from the LISTEN state),
        // then return this connection to LISTEN state and return. The user
        // need not be informed."
        if flags.contains(Flags::RST) {
            if repr.seq == rcv_nxt {
                self.remove_embryo(id);
                self.stats.embryos_reset += 1;
                return Outcome::EmbryoReset;
            }
            return self.challenge_ack(now, &embryo);
        }
        // "Fifth, check the ACK field: if the ACK bit is off, drop the
        // segment and return".
        if !flags.contains(Flags::ACK) {
            return Outcome::Dropped(DropReason::NoAck);
        }
        // "SYN-RECEIVED STATE: If SND.UNA < SEG.ACK =< SND.NXT, then enter
        // ESTABLISHED state ... If the segment acknowledgment is not
        // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and send
        // it."
        if repr.ack != embryo.iss.wrapping_add(1) {
            return self.reply_reset(key, repr);
        }
        self.complete(now, id, &embryo, repr, payload)
    }

    /// The ACK of an embryo's handshake arrived: build the connection.
    fn complete(
        &mut self,
        now: Instant,
        id: u32,
        embryo: &Embryo,
        repr: &Repr,
        payload: &[u8],
    ) -> Outcome {
        let key = embryo.key;
        if self.free_ready.is_empty() {
            self.stats.accept_queue_overflows += 1;
            return match self.config.accept_overflow {
                AcceptOverflow::DropAck => {
                    if let Some(e) = self.embryo_mut(id)
                        && !e.acked
                    {
                        e.acked = true;
                        self.acked_embryos += 1;
                    }
                    Outcome::Dropped(DropReason::AcceptQueueFull)
                }
                AcceptOverflow::Reset => {
                    self.remove_embryo(id);
                    self.reply_reset(key, repr)
                }
            };
        }
        self.remove_embryo(id);
        let local = SocketAddrV4::new(key.local_ip, self.local.port());
        let rcv_nxt = embryo.irs.wrapping_add(1);
        let config = self.config.connection;
        // The connection is made as from a cookie (from the ACK), but with
        // the SYN's exact parameters. It takes the peer's ISN from the
        // ACK's sequence number, so a first segment that is not at RCV.NXT
        // (the ACK was lost and data follows, or it starts before) is
        // preceded by the pure ACK it stands for.
        let made = if repr.seq == rcv_nxt {
            Connection::from_cookie(
                now,
                local,
                key.remote,
                &embryo.params,
                repr,
                payload,
                config,
            )
        } else {
            let mut options = Options::new();
            options.timestamps = repr.options.timestamps;
            let ack = Repr {
                seq: rcv_nxt,
                flags: Flags::ACK,
                urgent: 0,
                options,
                payload_len: 0,
                ..*repr
            };
            Connection::from_cookie(now, local, key.remote, &embryo.params, &ack, &[], config).map(
                |mut conn| {
                    conn.handle_repr(now, *key.remote.ip(), key.local_ip, repr, payload);
                    conn
                },
            )
        };
        match made {
            Ok(conn) => self.push_ready(key, conn),
            Err(_) => Outcome::Dropped(DropReason::Malformed),
        }
    }

    /// Puts a completed connection in the accept queue.
    fn push_ready(&mut self, key: Key, conn: Connection) -> Outcome {
        let Some(id) = self.free_ready.pop() else {
            return Outcome::Dropped(DropReason::AcceptQueueFull);
        };
        if !self.table.insert(key, Entry::Ready(id)) {
            self.free_ready.push(id);
            return Outcome::Dropped(DropReason::AcceptQueueFull);
        }
        if let Some(slot) = self.ready.get_mut(id as usize) {
            *slot = Some(Ready {
                key,
                conn,
                poll: true,
                orphan: false,
                armed: None,
            });
        }
        self.rearm_ready(id);
        self.accept_order.push_back(id);
        self.stats.handshakes_completed += 1;
        Outcome::Completed
    }

    // ---- replies -----------------------------------------------------------

    fn push_reply(&mut self, reply: Reply) -> bool {
        if self.replies.len() >= self.config.reply_queue {
            self.stats.replies_dropped += 1;
            return false;
        }
        self.replies.push_back(reply);
        true
    }

    /// The reset RFC 9293 answers `repr` with when no connection takes it.
    fn reply_reset(&mut self, key: Key, repr: &Repr) -> Outcome {
        let Some(rst) = reset_reply(repr) else {
            return Outcome::Dropped(DropReason::Reset);
        };
        let reply = Reply {
            src: key.local_ip,
            dst: *key.remote.ip(),
            repr: rst,
        };
        if !self.push_reply(reply) {
            return Outcome::Dropped(DropReason::ReplyQueueFull);
        }
        self.stats.resets_sent += 1;
        Outcome::Reset
    }

    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` for an embryo, within the
    /// listener-wide rate limit (RFC 5961 §7).
    fn challenge_ack(&mut self, now: Instant, embryo: &Embryo) -> Outcome {
        let second = Duration::from_secs(1);
        if now < self.challenge_window || now - self.challenge_window >= second {
            self.challenge_window = now;
            self.challenge_count = 0;
        }
        if self.challenge_count >= self.config.challenge_ack_limit {
            self.stats.challenge_acks_suppressed += 1;
            return Outcome::Dropped(DropReason::RateLimited);
        }
        let mut options = Options::new();
        if self.config.connection.timestamps && embryo.params.timestamps {
            options.timestamps = embryo.peer_tsval.map(|tsecr| Timestamps {
                tsval: Connection::timestamp_clock(embryo.iss, now),
                tsecr,
            });
        }
        let repr = Repr {
            src_port: self.local.port(),
            dst_port: embryo.key.remote.port(),
            seq: embryo.iss.wrapping_add(1),
            ack: embryo.irs.wrapping_add(1),
            flags: Flags::ACK,
            window: self.syn_window(),
            urgent: 0,
            options,
            payload_len: 0,
        };
        let reply = Reply {
            src: embryo.key.local_ip,
            dst: *embryo.key.remote.ip(),
            repr,
        };
        if !self.push_reply(reply) {
            return Outcome::Dropped(DropReason::ReplyQueueFull);
        }
        self.challenge_count += 1;
        self.stats.challenge_acks += 1;
        Outcome::ChallengeAck
    }

    // ---- embryos -------------------------------------------------------------

    fn embryo(&self, id: u32) -> Option<Embryo> {
        self.embryos.get(id as usize)?.embryo
    }

    fn embryo_mut(&mut self, id: u32) -> Option<&mut Embryo> {
        self.embryos.get_mut(id as usize)?.embryo.as_mut()
    }

    fn live_embryo(&self, id: u32, generation: u32) -> Option<Embryo> {
        let slot = self.embryos.get(id as usize)?;
        if slot.generation == generation {
            slot.embryo
        } else {
            None
        }
    }

    /// The window our SYN-ACK offers (unscaled, as in every SYN).
    fn syn_window(&self) -> u16 {
        u16::try_from(self.config.connection.recv_buffer).unwrap_or(u16::MAX)
    }

    /// The SYN-ACK of an embryo, as [`Connection::from_cookie`] will
    /// assume it was.
    fn syn_ack(&self, now: Instant, embryo: &Embryo) -> Repr {
        let mut options = Options::new();
        options.timestamps = embryo
            .peer_tsval
            .map(|tsval| Timestamps { tsval, tsecr: 0 });
        let syn = Repr {
            src_port: embryo.key.remote.port(),
            dst_port: self.local.port(),
            seq: embryo.irs,
            ack: 0,
            flags: Flags::SYN,
            window: 0,
            urgent: 0,
            options,
            payload_len: 0,
        };
        let local = SocketAddrV4::new(embryo.key.local_ip, self.local.port());
        Connection::cookie_syn_ack(
            now,
            local,
            embryo.key.remote,
            &syn,
            &embryo.params,
            &self.config.connection,
            embryo.iss,
            None,
        )
    }

    /// Queues an embryo's SYN-ACK (once).
    fn schedule_syn_ack(&mut self, id: u32) {
        let Some(slot) = self.embryos.get_mut(id as usize) else {
            return;
        };
        let generation = slot.generation;
        let Some(embryo) = slot.embryo.as_mut() else {
            return;
        };
        if embryo.due {
            return;
        }
        embryo.due = true;
        if self.syn_acks_due.len() >= self.syn_acks_due.capacity().max(1) {
            // Full of entries whose embryo left: drop those.
            let embryos = &self.embryos;
            self.syn_acks_due.retain(|&(i, g)| {
                embryos
                    .get(i as usize)
                    .is_some_and(|s| s.generation == g && s.embryo.is_some_and(|e| e.due))
            });
        }
        self.syn_acks_due.push_back((id, generation));
    }

    fn remove_embryo(&mut self, id: u32) -> Option<Embryo> {
        let slot = self.embryos.get_mut(id as usize)?;
        let embryo = slot.embryo.take()?;
        // Any entry left in the due queue is now stale.
        slot.generation = slot.generation.wrapping_add(1);
        if embryo.acked {
            self.acked_embryos = self.acked_embryos.saturating_sub(1);
        }
        self.table.remove(&embryo.key);
        self.free_embryos.push(id);
        Some(embryo)
    }

    /// The wait after the `retries`-th retransmission: doubling from the
    /// initial timeout, capped at the connection's `max_rto`.
    fn backoff(&self, retries: u32) -> Duration {
        let cap = self
            .config
            .connection
            .max_rto
            .max(self.config.syn_ack_timeout);
        self.config
            .syn_ack_timeout
            .saturating_mul(1u64 << retries.min(40))
            .min(cap)
    }

    fn embryo_timers(&mut self, now: Instant) {
        let mut next: Option<Instant> = None;
        for i in 0..self.embryos.len() {
            let Ok(id) = u32::try_from(i) else {
                break;
            };
            let Some(embryo) = self.embryo(id) else {
                continue;
            };
            let mut deadline = embryo.deadline;
            if deadline <= now {
                if embryo.retries >= self.config.syn_ack_retries {
                    self.remove_embryo(id);
                    self.stats.embryos_expired += 1;
                    continue;
                }
                let retries = embryo.retries + 1;
                deadline = now + self.backoff(retries);
                if let Some(e) = self.embryo_mut(id) {
                    e.retries = retries;
                    e.deadline = deadline;
                }
                self.schedule_syn_ack(id);
            }
            next = Some(next.map_or(deadline, |n| n.min(deadline)));
        }
        self.embryo_deadline = next;
    }

    // ---- timers of connections in the accept queue ----------------------------

    /// Enters the connection in slot `id`'s deadline in `ready_timers` if
    /// it changed; called after anything that may move it. The entry for
    /// an older deadline stays and is dropped when it comes up.
    fn rearm_ready(&mut self, id: u32) {
        let Some(Some(ready)) = self.ready.get_mut(id as usize) else {
            return;
        };
        let deadline = ready.conn.poll_timeout();
        if deadline == ready.armed {
            return;
        }
        ready.armed = deadline;
        if let Some(t) = deadline {
            self.ready_timers.push(Reverse((t, id)));
            // Stale entries pile up as deadlines move; past twice the
            // queue (plus slack) they are swept, which keeps the heap
            // O(backlog) at an amortised O(log n) per change.
            if self.ready_timers.len() > 2 * self.ready.len() + 64 {
                self.rebuild_ready_timers();
            }
        }
    }

    /// Rebuilds `ready_timers` with one entry per armed connection.
    fn rebuild_ready_timers(&mut self) {
        let entries: Vec<Reverse<(Instant, u32)>> = self
            .ready
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let t = slot.as_ref()?.armed?;
                Some(Reverse((t, u32::try_from(i).ok()?)))
            })
            .collect();
        self.ready_timers = BinaryHeap::from(entries);
    }

    /// Runs the timers of connections in the accept queue that are due at
    /// `now`: the entries due are taken off the heap first, so a timer
    /// that re-arms at `now` waits for the next call instead of looping.
    fn ready_timers_due(&mut self, now: Instant) {
        let mut due: Vec<u32> = Vec::new();
        while let Some(&Reverse((t, id))) = self.ready_timers.peek() {
            if t > now {
                break;
            }
            self.ready_timers.pop();
            if let Some(Some(ready)) = self.ready.get_mut(id as usize)
                && ready.armed == Some(t)
            {
                ready.armed = None;
                due.push(id);
            }
        }
        for id in due {
            if let Some(Some(ready)) = self.ready.get_mut(id as usize)
                && ready.conn.poll_timeout().is_some_and(|t| t <= now)
            {
                ready.conn.handle_timeout(now);
                ready.poll = true;
            }
            self.rearm_ready(id);
        }
    }

    // ---- output of connections in the accept queue ---------------------------

    fn transmit_ready(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let n = self.ready.len();
        for step in 0..n {
            let i = (self.ready_cursor + step) % n;
            let Some(Some(ready)) = self.ready.get_mut(i) else {
                continue;
            };
            if !ready.poll {
                continue;
            }
            if let Some(t) = ready.conn.poll_transmit(now, buf) {
                self.ready_cursor = i;
                // Sending may arm a retransmission timer.
                if let Ok(id) = u32::try_from(i) {
                    self.rearm_ready(id);
                }
                return Some(t);
            }
            ready.poll = false;
            if ready.orphan {
                // Its reset went out: nothing is left of it.
                if let Some(slot) = self.ready.get_mut(i) {
                    *slot = None;
                }
                if let Ok(id) = u32::try_from(i) {
                    self.free_ready.push(id);
                }
            } else if let Ok(id) = u32::try_from(i) {
                // Asked and silent, it may still have moved a timer (a
                // persist probe scheduled, say).
                self.rearm_ready(id);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptability_test_of_rfc_9293() {
        // Zero-length segments: in [RCV.NXT, RCV.NXT + RCV.WND).
        assert!(acceptable(100, 0, 100, 10));
        assert!(acceptable(109, 0, 100, 10));
        assert!(!acceptable(110, 0, 100, 10));
        assert!(!acceptable(99, 0, 100, 10));
        // Zero window: only exactly RCV.NXT, and nothing with length.
        assert!(acceptable(100, 0, 100, 0));
        assert!(!acceptable(100, 1, 100, 0));
        // With length: either end inside.
        assert!(acceptable(95, 10, 100, 10));
        assert!(acceptable(109, 50, 100, 10));
        assert!(!acceptable(80, 20, 100, 10));
        // Across the wrap.
        assert!(acceptable(u32::MAX, 0, u32::MAX - 1, 10));
        assert!(acceptable(3, 0, u32::MAX - 1, 10));
    }

    #[test]
    fn config_bounds() {
        let mut c = ListenerConfig::default();
        assert!(c.validate().is_ok());
        c.accept_backlog = 0;
        assert_eq!(c.validate(), Err(Error::InvalidConfig));
        c.accept_backlog = 1;
        c.syn_backlog = MAX_BACKLOG + 1;
        assert_eq!(c.validate(), Err(Error::InvalidConfig));
        c.syn_backlog = 0;
        assert!(c.validate().is_ok());
        c.syn_ack_timeout = Duration::ZERO;
        assert_eq!(c.validate(), Err(Error::InvalidConfig));
    }

    #[test]
    fn drop_reasons_read_as_sentences() {
        assert_eq!(
            std::format!("{}", DropReason::AcceptQueueFull),
            "accept queue full"
        );
    }
}
