//! The socket table: control blocks in a slab, descriptors, the demux
//! maps, the queue of sockets that may transmit and the timer heap.

use std::boxed::Box;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::vec::Vec;

use strata_core::rand::RandomSource;
use strata_core::time::Instant;
use strata_tcp::Repr as TcpRepr;
use strata_tcp::connection::{Config as TcpConfig, Connection, KeepAlive, State};
use strata_tcp::isn::IsnGenerator;
use strata_tcp::listener::Listener;

use crate::config::SocketsConfig;
use crate::dns::Dns;
use crate::error::Error;
use crate::ports::{Binding, Ports};
use crate::types::{Fd, SocketKind, SocketOptions, Stats};

/// The first descriptor handed out (0, 1 and 2 are stdin, stdout and
/// stderr in the processes this imitates).
pub(crate) const FIRST_FD: u32 = 3;

/// A reference to a socket's slot that goes stale when the slot is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Handle {
    pub(crate) idx: u32,
    pub(crate) generation: u32,
}

/// Who holds a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The application, through a descriptor.
    User(Fd),
    /// Nobody: the application closed it and it finishes in the
    /// background; past `deadline` (outside TIME-WAIT) it is aborted.
    Orphan { deadline: Instant },
    /// The resolver: a TCP connection for DNS over TCP.
    Resolver(u64),
}

/// A queued UDP datagram that arrived.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) from: SocketAddrV4,
    pub(crate) data: Vec<u8>,
}

/// A UDP datagram waiting for `poll_transmit`.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) src: Ipv4Addr,
    pub(crate) to: SocketAddrV4,
    pub(crate) data: Vec<u8>,
}

/// A UDP socket's queues.
#[derive(Debug, Default)]
pub(crate) struct Udp {
    pub(crate) recv: VecDeque<Received>,
    pub(crate) recv_bytes: usize,
    pub(crate) send: VecDeque<Outgoing>,
    pub(crate) send_bytes: usize,
    pub(crate) dropped: u64,
}

/// What protocol state a socket holds.
#[derive(Debug)]
pub(crate) enum Proto {
    /// A stream socket before `connect` or `listen`.
    Fresh,
    Listener(Box<Listener>),
    Tcp(Box<Connection>),
    Udp(Udp),
}

/// A socket's control block.
#[derive(Debug)]
pub(crate) struct Socket {
    pub(crate) kind: SocketKind,
    pub(crate) owner: Owner,
    /// Bound address (unspecified: any of ours) and port (0: unbound).
    pub(crate) local: SocketAddrV4,
    pub(crate) peer: Option<SocketAddrV4>,
    pub(crate) binding: Option<Binding>,
    pub(crate) opts: SocketOptions,
    /// Pending `SO_ERROR`.
    pub(crate) error: Option<Error>,
    /// The last soft error (ICMP) on a connection: reported instead of a
    /// timeout if the connection then times out (RFC 1122 §4.2.3.9).
    pub(crate) soft_error: Option<Error>,
    /// Why we aborted the connection ourselves (an ICMP hard error or an
    /// unreachable neighbour), reported instead of "aborted".
    pub(crate) hard_error: Option<Error>,
    /// The connection's closing was noticed (error recorded once).
    pub(crate) close_seen: bool,
    /// Path MTU learned from ICMP "fragmentation needed".
    pub(crate) pmtu: Option<u16>,
    /// The last ICMP error that concerned the socket.
    pub(crate) last_icmp: Option<crate::types::IcmpErrorKind>,
    pub(crate) shut_rd: bool,
    pub(crate) shut_wr: bool,
    pub(crate) proto: Proto,
    /// In `Sockets::dirty`.
    pub(crate) dirty: bool,
    /// The deadline entered in the timer heap, if any.
    pub(crate) timer_at: Option<Instant>,
    /// Entered in `Sockets::conns` under its 4-tuple.
    pub(crate) in_conns: bool,
    /// Entered in `Sockets::connecting` (SYN-SENT).
    pub(crate) connecting: bool,
}

impl Socket {
    pub(crate) fn new(kind: SocketKind, owner: Owner, opts: SocketOptions) -> Self {
        Socket {
            kind,
            owner,
            local: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
            peer: None,
            binding: None,
            opts,
            error: None,
            soft_error: None,
            hard_error: None,
            close_seen: false,
            pmtu: None,
            last_icmp: None,
            shut_rd: false,
            shut_wr: false,
            proto: match kind {
                SocketKind::Stream => Proto::Fresh,
                SocketKind::Datagram => Proto::Udp(Udp::default()),
            },
            dirty: false,
            timer_at: None,
            in_conns: false,
            connecting: false,
        }
    }

    /// When the socket's state machine next needs `handle_timeout`.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let proto = match &self.proto {
            Proto::Tcp(c) => c.poll_timeout(),
            Proto::Listener(l) => l.poll_timeout(),
            _ => None,
        };
        let orphan = match (&self.owner, &self.proto) {
            (Owner::Orphan { deadline }, Proto::Tcp(c))
                if !matches!(c.state(), State::TimeWait | State::Closed) =>
            {
                Some(*deadline)
            }
            _ => None,
        };
        match (proto, orphan) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether its binding blocks reuse (see [`Binding::strong`]).
    pub(crate) fn strong_binding(&self) -> bool {
        match self.owner {
            Owner::Orphan { .. } => false,
            _ => matches!(self.proto, Proto::Listener(_)) || !self.opts.reuse_addr,
        }
    }

    /// Whether the application may forget it: an orphan with nothing left
    /// to do.
    pub(crate) fn finished(&self) -> bool {
        match &self.proto {
            Proto::Tcp(c) => c.state() == State::Closed,
            Proto::Listener(l) => l.is_closed(),
            _ => true,
        }
    }
}

pub(crate) struct Slot {
    generation: u32,
    socket: Option<Socket>,
}

/// The socket table and the socket API: see the [crate documentation](crate).
pub struct Sockets {
    pub(crate) config: SocketsConfig,
    pub(crate) rng: Box<dyn RandomSource + Send>,
    pub(crate) isn: IsnGenerator,
    pub(crate) addresses: Vec<Ipv4Addr>,
    pub(crate) broadcasts: Vec<Ipv4Addr>,
    pub(crate) mtu: usize,
    pub(crate) slots: Vec<Slot>,
    free_slots: Vec<u32>,
    live: usize,
    fds: Vec<Option<Handle>>,
    free_fds: BinaryHeap<Reverse<u32>>,
    /// Connections by (local, remote).
    pub(crate) conns: HashMap<(SocketAddrV4, SocketAddrV4), Handle>,
    /// The connection the last segment in went to (a hint, checked before
    /// use: see `recent_conn`).
    pub(crate) last_conn: Option<Handle>,
    /// Listening sockets by bound address (possibly unspecified) and port.
    pub(crate) listeners: HashMap<SocketAddrV4, Handle>,
    /// UDP sockets by bound address (possibly unspecified) and port.
    pub(crate) udp: HashMap<SocketAddrV4, Handle>,
    /// Stream sockets in SYN-SENT (for unreachable neighbours); ordered so
    /// that failing them is deterministic.
    pub(crate) connecting: BTreeSet<Handle>,
    pub(crate) ports: Ports,
    dirty: VecDeque<Handle>,
    timers: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    /// Reused by `due_sockets`, so running timers allocates nothing once
    /// it has grown.
    due: Vec<Handle>,
    /// Resets for segments with no socket: (src, dst, header).
    pub(crate) resets: VecDeque<(Ipv4Addr, Ipv4Addr, TcpRepr)>,
    pub(crate) dns: Dns,
    /// Path MTUs learned from "fragmentation needed", by destination: new
    /// connections there start with an MSS that fits (RFC 1191).
    pub(crate) pmtu: HashMap<Ipv4Addr, u16>,
    pub(crate) stats: Stats,
    /// The latest time the table was handed (see [`Sockets::last_now`]).
    pub(crate) clock: Instant,
}

/// Destinations whose path MTU is remembered at most.
pub(crate) const PMTU_ENTRIES: usize = 1024;

impl core::fmt::Debug for Sockets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sockets")
            .field("addresses", &self.addresses)
            .field("sockets", &self.live)
            .field("connections", &self.conns.len())
            .field("listeners", &self.listeners.len())
            .field("udp", &self.udp.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// The socket `h` names in `slots`, borrowing only the slots (so other
/// fields of the table stay usable).
pub(crate) fn slot_socket_mut(slots: &mut [Slot], h: Handle) -> Option<&mut Socket> {
    slots
        .get_mut(h.idx as usize)
        .filter(|s| s.generation == h.generation)
        .and_then(|s| s.socket.as_mut())
}

impl Sockets {
    /// An empty table. `rng` supplies every secret: the ISN key (RFC 6528),
    /// the port selection keys (RFC 6056), listener cookie and hash keys,
    /// and the resolver's IDs and ports.
    ///
    /// The source must be [`Send`] so that the table (and a host built on
    /// it) can be moved to another thread.
    #[must_use]
    pub fn new(config: SocketsConfig, mut rng: Box<dyn RandomSource + Send>) -> Self {
        let isn = IsnGenerator::from_random(&mut *rng);
        let ports = Ports::new(config.ephemeral_ports.clone(), &mut *rng);
        let dns = Dns::new(config.resolver.clone(), &mut *rng);
        Sockets {
            config,
            rng,
            isn,
            addresses: Vec::new(),
            broadcasts: Vec::new(),
            mtu: 1500,
            slots: Vec::new(),
            free_slots: Vec::new(),
            live: 0,
            fds: Vec::new(),
            free_fds: BinaryHeap::new(),
            conns: HashMap::new(),
            last_conn: None,
            listeners: HashMap::new(),
            udp: HashMap::new(),
            connecting: BTreeSet::new(),
            ports,
            dirty: VecDeque::new(),
            due: Vec::new(),
            timers: BinaryHeap::new(),
            resets: VecDeque::new(),
            dns,
            pmtu: HashMap::new(),
            stats: Stats::default(),
            clock: Instant::ZERO,
        }
    }

    /// Sockets in the table: open descriptors, plus connections finishing
    /// in the background and the resolver's.
    #[must_use]
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the table holds no socket.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &SocketsConfig {
        &self.config
    }

    /// The latest time the table was handed by a call that takes one:
    /// [`poll_transmit`](Sockets::poll_transmit) (and `_into`),
    /// [`handle_timeout`](Sockets::handle_timeout),
    /// [`connect`](Sockets::connect), [`send`](Sockets::send),
    /// [`shutdown`](Sockets::shutdown), [`close`](Sockets::close),
    /// [`set_option_at`](Sockets::set_option_at). It never goes backwards,
    /// but it is only as fresh as the last such call: a host that had
    /// nothing to do and slept has not told the table the time since, so
    /// it can be behind by that whole sleep.
    /// [`set_option`](Sockets::set_option) uses it for the one option that
    /// needs a time (keepalive on a live connection); callers that know
    /// the time should use `set_option_at`.
    #[must_use]
    pub fn last_now(&self) -> Instant {
        self.clock
    }

    /// Notes a time the table was handed.
    pub(crate) fn saw(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
    }

    /// A rough count of the bytes the table holds: control blocks,
    /// connection buffers (allocated at their configured sizes), queued
    /// datagrams, and the maps.
    #[must_use]
    pub fn memory_estimate(&self) -> usize {
        let mut total = self.slots.capacity() * core::mem::size_of::<Slot>()
            + self.fds.capacity() * core::mem::size_of::<Option<Handle>>()
            + self.conns.capacity()
                * core::mem::size_of::<((SocketAddrV4, SocketAddrV4), Handle)>()
            + (self.listeners.capacity() + self.udp.capacity())
                * core::mem::size_of::<(SocketAddrV4, Handle)>()
            + self.timers.capacity() * core::mem::size_of::<(Instant, u32, u32)>()
            + self.dirty.capacity() * core::mem::size_of::<Handle>();
        for socket in self.slots.iter().filter_map(|s| s.socket.as_ref()) {
            total += match &socket.proto {
                Proto::Tcp(c) => {
                    core::mem::size_of::<Connection>()
                        + c.config().send_buffer
                        + c.config().recv_buffer
                }
                Proto::Listener(l) => {
                    core::mem::size_of::<Listener>()
                        + l.config().syn_backlog * 64
                        + l.config().accept_backlog * 32
                }
                Proto::Udp(u) => u.recv_bytes + u.send_bytes,
                Proto::Fresh => 0,
            };
        }
        total
    }

    // ---- slots and descriptors -------------------------------------------

    pub(crate) fn sock(&self, h: Handle) -> Option<&Socket> {
        self.slots
            .get(h.idx as usize)
            .filter(|s| s.generation == h.generation)
            .and_then(|s| s.socket.as_ref())
    }

    pub(crate) fn all_sockets(&self) -> impl Iterator<Item = &Socket> + '_ {
        self.slots.iter().filter_map(|s| s.socket.as_ref())
    }

    pub(crate) fn sock_mut(&mut self, h: Handle) -> Option<&mut Socket> {
        slot_socket_mut(&mut self.slots, h)
    }

    pub(crate) fn handle(&self, fd: Fd) -> Result<Handle, Error> {
        let at = fd.0.checked_sub(FIRST_FD).ok_or(Error::BadDescriptor)?;
        self.fds
            .get(at as usize)
            .copied()
            .flatten()
            .ok_or(Error::BadDescriptor)
    }

    pub(crate) fn by_fd(&self, fd: Fd) -> Result<(Handle, &Socket), Error> {
        let h = self.handle(fd)?;
        let s = self.sock(h).ok_or(Error::BadDescriptor)?;
        Ok((h, s))
    }

    pub(crate) fn by_fd_mut(&mut self, fd: Fd) -> Result<(Handle, &mut Socket), Error> {
        let h = self.handle(fd)?;
        let s = self.sock_mut(h).ok_or(Error::BadDescriptor)?;
        Ok((h, s))
    }

    /// Whether another socket fits under `max_sockets`.
    pub(crate) fn has_room(&self) -> bool {
        self.live < self.config.max_sockets
    }

    /// Puts a socket in a free slot.
    pub(crate) fn insert(&mut self, socket: Socket) -> Result<Handle, Error> {
        if !self.has_room() {
            return Err(Error::TooManyOpenFiles);
        }
        let h = if let Some(idx) = self.free_slots.pop() {
            let slot = self
                .slots
                .get_mut(idx as usize)
                .ok_or(Error::NoBufferSpace)?;
            slot.socket = Some(socket);
            Handle {
                idx,
                generation: slot.generation,
            }
        } else {
            let idx = u32::try_from(self.slots.len()).map_err(|_| Error::NoBufferSpace)?;
            self.slots.push(Slot {
                generation: 0,
                socket: Some(socket),
            });
            Handle { idx, generation: 0 }
        };
        self.live += 1;
        Ok(h)
    }

    /// A descriptor for `h`: the lowest free number.
    pub(crate) fn alloc_fd(&mut self, h: Handle) -> Result<Fd, Error> {
        let at = if let Some(Reverse(at)) = self.free_fds.pop() {
            if let Some(entry) = self.fds.get_mut(at as usize) {
                *entry = Some(h);
            }
            at
        } else {
            let at = u32::try_from(self.fds.len()).map_err(|_| Error::TooManyOpenFiles)?;
            self.fds.push(Some(h));
            at
        };
        let fd = Fd(at.checked_add(FIRST_FD).ok_or(Error::TooManyOpenFiles)?);
        if let Some(s) = self.sock_mut(h) {
            s.owner = Owner::User(fd);
        }
        Ok(fd)
    }

    /// Gives the descriptor back (the socket may live on as an orphan).
    pub(crate) fn release_fd(&mut self, fd: Fd) {
        let Some(at) = fd.0.checked_sub(FIRST_FD) else {
            return;
        };
        if let Some(entry) = self.fds.get_mut(at as usize)
            && entry.take().is_some()
        {
            self.free_fds.push(Reverse(at));
        }
    }

    /// Removes a socket everywhere: demux maps, binding, descriptor, slot.
    pub(crate) fn free(&mut self, h: Handle) {
        let Some(slot) = self.slots.get_mut(h.idx as usize) else {
            return;
        };
        if slot.generation != h.generation {
            return;
        }
        let Some(socket) = slot.socket.take() else {
            return;
        };
        slot.generation = slot.generation.wrapping_add(1);
        self.free_slots.push(h.idx);
        self.live = self.live.saturating_sub(1);
        if socket.in_conns
            && let Proto::Tcp(c) = &socket.proto
        {
            let key = (c.local(), c.remote());
            if self.conns.get(&key) == Some(&h) {
                self.conns.remove(&key);
            }
        }
        if self.listeners.get(&socket.local) == Some(&h) {
            self.listeners.remove(&socket.local);
        }
        if self.udp.get(&socket.local) == Some(&h) {
            self.udp.remove(&socket.local);
        }
        self.connecting.remove(&h);
        if let Some(b) = socket.binding {
            self.ports.remove(b);
        }
        if let Owner::User(fd) = socket.owner {
            self.release_fd(fd);
        }
        if let Owner::Resolver(stream) = socket.owner {
            self.dns.forget_stream(stream, h);
        }
        self.clean_top();
    }

    /// Records the socket's binding (replacing any it had).
    pub(crate) fn set_binding(&mut self, h: Handle, binding: Option<Binding>) {
        let Some(s) = self.sock_mut(h) else {
            return;
        };
        let old = core::mem::replace(&mut s.binding, binding);
        if let Some(b) = old {
            self.ports.remove(b);
        }
        if let Some(b) = binding {
            self.ports.add(b);
        }
    }

    /// Re-derives whether the socket's binding is strong (after `listen`,
    /// `close` or a change of `SO_REUSEADDR`).
    pub(crate) fn refresh_binding(&mut self, h: Handle) {
        let Some(s) = self.sock(h) else {
            return;
        };
        let strong = s.strong_binding();
        if let Some(b) = s.binding
            && b.strong != strong
        {
            self.set_binding(h, Some(Binding { strong, ..b }));
        }
    }

    // ---- the queue of sockets to poll, and timers ------------------------

    /// The socket may have something to send, and its deadline may have
    /// changed.
    pub(crate) fn touch(&mut self, h: Handle) {
        let Some(s) = self.sock_mut(h) else {
            return;
        };
        if !s.dirty {
            s.dirty = true;
            self.dirty.push_back(h);
        }
        self.rearm(h);
    }

    /// Enters the socket's deadline in the timer heap if it changed; the
    /// entry for an older deadline stays and is thrown away when it comes
    /// up (lazy invalidation).
    pub(crate) fn rearm(&mut self, h: Handle) {
        let Some(s) = self.sock_mut(h) else {
            return;
        };
        let deadline = s.deadline();
        // A deadline that moved later (a retransmission timer restarted by
        // every ACK, a probe timer by every send) keeps the earlier entry:
        // it fires early once, finds nothing due and re-arms then. Pushing
        // on every move would cost a heap insertion per segment.
        // No deadline at all disarms, so an idle table reports none.
        if let (Some(armed), Some(t)) = (s.timer_at, deadline)
            && t >= armed
        {
            return;
        }
        if deadline == s.timer_at {
            return;
        }
        s.timer_at = deadline;
        if let Some(t) = deadline {
            self.timers.push(Reverse((t, h.idx, h.generation)));
            if self.timers.len() > 2 * self.live + 1024 {
                self.rebuild_timers();
            }
        }
        self.clean_top();
    }

    /// Pops stale entries off the top of the heap, so `poll_at` is exact
    /// whenever the earliest deadline is still armed (deeper stale entries
    /// wait until they surface).
    pub(crate) fn clean_top(&mut self) {
        while let Some(Reverse((t, idx, generation))) = self.timers.peek().copied() {
            let h = Handle { idx, generation };
            if self.sock(h).is_some_and(|s| s.timer_at == Some(t)) {
                return;
            }
            self.timers.pop();
            self.stats.stale_timers += 1;
        }
    }

    /// Drops stale entries: the heap then holds one entry per armed socket.
    fn rebuild_timers(&mut self) {
        let mut entries = Vec::with_capacity(self.live);
        for (idx, slot) in self.slots.iter().enumerate() {
            if let (Some(s), Ok(idx)) = (&slot.socket, u32::try_from(idx))
                && let Some(t) = s.timer_at
            {
                entries.push(Reverse((t, idx, slot.generation)));
            }
        }
        self.timers = BinaryHeap::from(entries);
    }

    /// The earliest deadline in the heap (possibly of a stale entry: then
    /// `handle_timeout` finds nothing to do, which is harmless).
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Sockets whose deadline is due at `now`, taken off the heap. Hand
    /// the vector back with `recycle_due` when done with it.
    pub(crate) fn due_sockets(&mut self, now: Instant) -> Vec<Handle> {
        let mut due = core::mem::take(&mut self.due);
        due.clear();
        while let Some(Reverse((t, idx, generation))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            let h = Handle { idx, generation };
            match self.sock_mut(h) {
                Some(s) if s.timer_at == Some(t) => {
                    s.timer_at = None;
                    due.push(h);
                }
                _ => self.stats.stale_timers += 1,
            }
        }
        due
    }

    /// Keeps the vector `due_sockets` returned for its next call.
    pub(crate) fn recycle_due(&mut self, due: Vec<Handle>) {
        self.due = due;
    }

    /// The next socket that may have something to send.
    pub(crate) fn next_dirty(&mut self) -> Option<Handle> {
        loop {
            let h = self.dirty.pop_front()?;
            self.stats.sockets_visited += 1;
            if self.sock(h).is_some_and(|s| s.dirty) {
                return Some(h);
            }
        }
    }

    /// Puts a socket that just transmitted back at the head of the queue:
    /// it may have more.
    pub(crate) fn requeue_front(&mut self, h: Handle) {
        self.dirty.push_front(h);
    }

    /// The connection settings a socket with `opts` gets.
    pub(crate) fn conn_config(&self, opts: &SocketOptions) -> TcpConfig {
        let mut c = self.config.tcp;
        c.nagle = !opts.no_delay;
        c.keepalive = opts.keepalive.map(|idle| KeepAlive {
            idle,
            ..c.keepalive.unwrap_or_default()
        });
        c.send_buffer = opts.send_buffer;
        c.recv_buffer = opts.recv_buffer;
        let mss_cap = u16::try_from(self.mtu.saturating_sub(40)).unwrap_or(u16::MAX);
        c.mss = c.mss.min(mss_cap).max(64);
        c
    }

    /// A new socket's options.
    pub(crate) fn default_options(&self, kind: SocketKind) -> SocketOptions {
        let (send_buffer, recv_buffer) = match kind {
            SocketKind::Stream => (self.config.tcp.send_buffer, self.config.tcp.recv_buffer),
            // UDP queues are bounded in datagrams; the byte bound defaults
            // to what that many maximal datagrams hold (no extra bound).
            SocketKind::Datagram => (usize::MAX, usize::MAX),
        };
        SocketOptions {
            no_delay: !self.config.tcp.nagle,
            keepalive: self.config.tcp.keepalive.map(|k| k.idle),
            send_buffer,
            recv_buffer,
            ttl: self.config.default_ttl,
            broadcast: false,
            reuse_addr: false,
            linger: None,
        }
    }

    /// Whether `ip` is a broadcast address of this host.
    pub(crate) fn is_broadcast(&self, ip: Ipv4Addr) -> bool {
        ip.is_broadcast() || self.broadcasts.contains(&ip)
    }

    /// The source address for a packet to `dst` from a socket bound to
    /// `bound` (unspecified: the first of our addresses).
    pub(crate) fn source_for(&self, bound: Ipv4Addr) -> Option<Ipv4Addr> {
        if bound.is_unspecified() {
            self.addresses.first().copied()
        } else {
            Some(bound)
        }
    }

    /// Orphan deadline for a socket closed at `now`.
    pub(crate) fn orphan_deadline(&self, now: Instant) -> Instant {
        now.checked_add(self.config.orphan_timeout).unwrap_or(now)
    }
}
