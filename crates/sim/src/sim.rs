//! Two endpoints joined by a pair of links, driven in virtual time:
//! [`Endpoint`] and [`Simulation`].

use std::fmt;

use strata_core::rand::{RandomSource, SplitMix64};
use strata_core::time::Instant;

use crate::config::LinkConfig;
use crate::link::{Fate, Link};

/// A participant in a [`Simulation`]: anything that takes packets in, puts
/// packets out and has timers.
///
/// The methods mirror the sans-IO shape of strata's state machines, so an
/// adapter is a few lines:
///
/// ```
/// # use strata_core::time::Instant;
/// # struct Conn;
/// # impl Conn {
/// #     fn handle(&mut self, _now: Instant, _packet: &[u8]) {}
/// #     fn poll_transmit(&mut self, _now: Instant, _buf: &mut [u8]) -> Option<usize> { None }
/// #     fn poll_timeout(&self) -> Option<Instant> { None }
/// #     fn handle_timeout(&mut self, _now: Instant) {}
/// # }
/// use strata_sim::Endpoint;
///
/// struct Host(Conn);
///
/// impl Endpoint for Host {
///     fn receive(&mut self, now: Instant, packet: &[u8]) {
///         self.0.handle(now, packet);
///     }
///     fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
///         buf.resize(1500, 0);
///         match self.0.poll_transmit(now, buf) {
///             Some(len) => {
///                 buf.truncate(len);
///                 true
///             }
///             None => false,
///         }
///     }
///     fn next_timeout(&mut self) -> Option<Instant> {
///         self.0.poll_timeout()
///     }
///     fn on_timeout(&mut self, now: Instant) {
///         self.0.handle_timeout(now);
///     }
/// }
/// ```
pub trait Endpoint {
    /// A packet arrived at `now`.
    fn receive(&mut self, now: Instant, packet: &[u8]);

    /// Writes the next packet to send at `now` into `buf` and returns
    /// `true`, or returns `false` when there is nothing (more) to send. The
    /// simulator calls this until it returns `false`. `buf` comes in empty
    /// but with capacity recycled from delivered packets, so a steady
    /// conversation allocates nothing; an endpoint that already owns a
    /// `Vec` may also just replace `*buf` with it.
    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool;

    /// The earliest instant at which [`on_timeout`](Self::on_timeout) must
    /// run, `None` if no timer is armed. An instant in the past means "as
    /// soon as possible".
    fn next_timeout(&mut self) -> Option<Instant> {
        None
    }

    /// Called at `now` once the instant returned by
    /// [`next_timeout`](Self::next_timeout) has come.
    fn on_timeout(&mut self, now: Instant) {
        let _ = now;
    }
}

impl<E: Endpoint + ?Sized> Endpoint for &mut E {
    fn receive(&mut self, now: Instant, packet: &[u8]) {
        (**self).receive(now, packet);
    }
    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        (**self).transmit(now, buf)
    }
    fn next_timeout(&mut self) -> Option<Instant> {
        (**self).next_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        (**self).on_timeout(now);
    }
}

impl<E: Endpoint + ?Sized> Endpoint for Box<E> {
    fn receive(&mut self, now: Instant, packet: &[u8]) {
        (**self).receive(now, packet);
    }
    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        (**self).transmit(now, buf)
    }
    fn next_timeout(&mut self) -> Option<Instant> {
        (**self).next_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        (**self).on_timeout(now);
    }
}

/// One of the two endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first endpoint given to [`Simulation::new`].
    A,
    /// The second endpoint given to [`Simulation::new`].
    B,
}

/// Which way a packet travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From A to B, over the `link_ab` link.
    AToB,
    /// From B to A, over the `link_ba` link.
    BToA,
}

impl Direction {
    /// The sending side.
    #[must_use]
    pub const fn from(self) -> Side {
        match self {
            Direction::AToB => Side::A,
            Direction::BToA => Side::B,
        }
    }

    /// The receiving side.
    #[must_use]
    pub const fn to(self) -> Side {
        match self {
            Direction::AToB => Side::B,
            Direction::BToA => Side::A,
        }
    }
}

impl fmt::Display for Direction {
    /// Draws the direction as a ladder rung, A on the left.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::AToB => "A ----> B",
            Direction::BToA => "A <---- B",
        })
    }
}

/// What happened to a packet, as seen by the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraceKind {
    /// An endpoint sent it; the link decided its fate on the spot. The
    /// traced bytes are the ones sent.
    Sent(Fate),
    /// It arrived at the other endpoint. The traced bytes are the ones
    /// received (corrupted if `corrupted`).
    Delivered {
        /// When it was sent.
        sent_at: Instant,
        /// Whether bits were flipped on the way.
        corrupted: bool,
        /// Whether it is the extra copy of a duplicated packet.
        duplicate: bool,
    },
}

/// One traced event, borrowing the packet bytes; what a trace hook sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent<'a> {
    /// Virtual time of the event.
    pub time: Instant,
    /// Which way the packet travels.
    pub direction: Direction,
    /// Sent or delivered, and how.
    pub kind: TraceKind,
    /// The bytes.
    pub packet: &'a [u8],
}

impl TraceEvent<'_> {
    /// An owned copy.
    #[must_use]
    pub fn to_record(&self) -> TraceRecord {
        TraceRecord {
            time: self.time,
            direction: self.direction,
            kind: self.kind,
            packet: self.packet.to_vec(),
        }
    }
}

impl fmt::Display for TraceEvent<'_> {
    /// One ladder line: time, arrow, size, fate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>16}  {}  {:>5} bytes  ",
            self.time.to_string(),
            self.direction,
            self.packet.len()
        )?;
        match self.kind {
            TraceKind::Sent(fate) => write!(f, "sent, {fate}"),
            TraceKind::Delivered {
                sent_at,
                corrupted,
                duplicate,
            } => {
                write!(f, "delivered (sent {sent_at})")?;
                if corrupted {
                    f.write_str(", corrupted")?;
                }
                if duplicate {
                    f.write_str(", duplicate")?;
                }
                Ok(())
            }
        }
    }
}

/// One traced event with its own copy of the bytes, as kept by
/// [`Simulation::record_trace`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TraceRecord {
    /// Virtual time of the event.
    pub time: Instant,
    /// Which way the packet travels.
    pub direction: Direction,
    /// Sent or delivered, and how.
    pub kind: TraceKind,
    /// The bytes.
    pub packet: Vec<u8>,
}

impl TraceRecord {
    /// A borrowed view, the shape a trace hook receives.
    #[must_use]
    pub fn as_event(&self) -> TraceEvent<'_> {
        TraceEvent {
            time: self.time,
            direction: self.direction,
            kind: self.kind,
            packet: &self.packet,
        }
    }
}

impl fmt::Display for TraceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_event().fmt(f)
    }
}

/// Why [`Simulation::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The condition became true.
    Done,
    /// The next event lies beyond the deadline; virtual time now equals the
    /// deadline (or stays where it was if it was already past it).
    Deadline,
    /// Nothing is scheduled: no packet in flight, no timer armed, nothing
    /// to send. Virtual time stays at the last event.
    Idle,
    /// An endpoint keeps the simulation busy without time moving on.
    Stalled(Stall),
}

/// A livelock the simulator detected and stopped instead of spinning
/// forever. The thresholds are in [`Limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stall {
    /// The endpoint's timer kept firing at `at` without the endpoint sending
    /// anything, receiving anything or moving the timer later.
    TimerNotAdvancing {
        /// The endpoint at fault.
        side: Side,
        /// The instant it is stuck at.
        at: Instant,
    },
    /// The endpoint produced more packets in one go than
    /// [`Limits::max_transmits_per_poll`].
    EndlessTransmit {
        /// The endpoint at fault.
        side: Side,
        /// When.
        at: Instant,
    },
    /// More than [`Limits::max_steps_per_instant`] rounds of deliveries and
    /// timers ran without time advancing (typically endpoints answering
    /// each other forever over zero-delay links).
    InstantLivelock {
        /// The instant time is stuck at.
        at: Instant,
    },
}

/// Thresholds of the livelock guards. Generous by default: a legitimate
/// conversation never gets near them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Most packets one endpoint may produce in a single round of
    /// [`Endpoint::transmit`] calls. Default 100 000.
    pub max_transmits_per_poll: u64,
    /// Most rounds (each delivering packets or firing timers) at one
    /// instant. Default 1 000 000.
    pub max_steps_per_instant: u64,
    /// Most consecutive timer firings that leave an endpoint's timer at or
    /// before the current instant with nothing sent or received. Default 64.
    pub max_idle_timeouts: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_transmits_per_poll: 100_000,
            max_steps_per_instant: 1_000_000,
            max_idle_timeouts: 64,
        }
    }
}

/// A hook that sees every traced event.
type Hook = Box<dyn FnMut(&TraceEvent<'_>)>;

/// Where trace events go; separate from the endpoints and links so the
/// driver can borrow them all at once.
#[derive(Default)]
struct Tracer {
    hook: Option<Hook>,
    records: Option<Vec<TraceRecord>>,
    /// A copy of the packet being sent, because the link takes ownership
    /// before the fate is known. Only used while tracing.
    scratch: Vec<u8>,
}

impl Tracer {
    fn active(&self) -> bool {
        self.hook.is_some() || self.records.is_some()
    }

    fn emit(&mut self, event: &TraceEvent<'_>) {
        if let Some(hook) = &mut self.hook {
            hook(event);
        }
        if let Some(records) = &mut self.records {
            records.push(event.to_record());
        }
    }
}

/// How many spare packet buffers to keep; enough for a window of traffic,
/// bounded so a burst does not pin memory forever.
const POOL_LIMIT: usize = 1024;

fn recycle(pool: &mut Vec<Vec<u8>>, mut buf: Vec<u8>) {
    if pool.len() < POOL_LIMIT && buf.capacity() > 0 {
        buf.clear();
        pool.push(buf);
    }
}

/// Borrows one direction's link, the buffer pool and the tracer, leaving
/// the endpoints free to be borrowed alongside.
macro_rules! wire {
    ($sim:ident, $link:ident, $direction:expr) => {
        Wire {
            link: &mut $sim.$link,
            direction: $direction,
            pool: &mut $sim.pool,
            tracer: &mut $sim.tracer,
        }
    };
}

/// Everything one direction needs, borrowed from the simulation.
struct Wire<'s> {
    link: &'s mut Link,
    direction: Direction,
    pool: &'s mut Vec<Vec<u8>>,
    tracer: &'s mut Tracer,
}

impl Wire<'_> {
    /// Sends everything `ep` has at `now`; returns how many packets.
    fn flush<E: Endpoint + ?Sized>(
        &mut self,
        ep: &mut E,
        now: Instant,
        max: u64,
    ) -> Result<u64, Stall> {
        let mut sent = 0u64;
        loop {
            let mut buf = self.pool.pop().unwrap_or_default();
            if !ep.transmit(now, &mut buf) {
                recycle(self.pool, buf);
                return Ok(sent);
            }
            sent += 1;
            if self.tracer.active() {
                let mut copy = std::mem::take(&mut self.tracer.scratch);
                copy.clear();
                copy.extend_from_slice(&buf);
                let fate = self.link.send(now, buf);
                self.tracer.emit(&TraceEvent {
                    time: now,
                    direction: self.direction,
                    kind: TraceKind::Sent(fate),
                    packet: &copy,
                });
                self.tracer.scratch = copy;
            } else {
                self.link.send(now, buf);
            }
            if sent >= max {
                return Err(Stall::EndlessTransmit {
                    side: self.direction.from(),
                    at: now,
                });
            }
        }
    }

    /// Hands every packet due at `now` to `ep`; returns how many.
    fn deliver<E: Endpoint + ?Sized>(&mut self, ep: &mut E, now: Instant) -> u64 {
        let mut n = 0;
        while let Some(arrival) = self.link.deliver_arrival(now) {
            n += 1;
            if self.tracer.active() {
                self.tracer.emit(&TraceEvent {
                    time: now,
                    direction: self.direction,
                    kind: TraceKind::Delivered {
                        sent_at: arrival.sent_at,
                        corrupted: arrival.corrupted,
                        duplicate: arrival.duplicate,
                    },
                    packet: &arrival.packet,
                });
            }
            ep.receive(now, &arrival.packet);
            recycle(self.pool, arrival.packet);
        }
        n
    }
}

/// Two endpoints, A and B, joined by a link each way, in virtual time.
///
/// [`run_until`](Self::run_until) jumps from event to event (a packet
/// arriving, a timer firing), so an hour of simulated idle time costs
/// nothing. At each instant, packets due on the A→B link are delivered to B,
/// then those on the B→A link to A, then due timers fire (A first), then
/// both endpoints transmit (A first): the order is fixed so a seed
/// reproduces a run exactly.
pub struct Simulation<A, B> {
    a: A,
    b: B,
    ab: Link,
    ba: Link,
    now: Instant,
    pool: Vec<Vec<u8>>,
    tracer: Tracer,
    limits: Limits,
}

impl<A: fmt::Debug, B: fmt::Debug> fmt::Debug for Simulation<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulation")
            .field("now", &self.now)
            .field("a", &self.a)
            .field("b", &self.b)
            .field("link_ab", &self.ab)
            .field("link_ba", &self.ba)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<A: Endpoint, B: Endpoint> Simulation<A, B> {
    /// Joins `a` and `b` with a link each way, starting at
    /// [`Instant::ZERO`]. Both links' random choices derive from `seed`.
    #[must_use]
    pub fn new(a: A, b: B, link_ab: LinkConfig, link_ba: LinkConfig, seed: u64) -> Self {
        let mut seeds = SplitMix64::new(seed);
        Self {
            a,
            b,
            ab: Link::new(link_ab, seeds.next_u64()),
            ba: Link::new(link_ba, seeds.next_u64()),
            now: Instant::ZERO,
            pool: Vec::new(),
            tracer: Tracer::default(),
            limits: Limits::default(),
        }
    }

    /// Starts the clock at `start` instead of zero.
    #[must_use]
    pub fn with_start_time(mut self, start: Instant) -> Self {
        self.now = start;
        self
    }

    /// Replaces the livelock thresholds.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The current virtual time.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Endpoint A.
    #[must_use]
    pub fn a(&self) -> &A {
        &self.a
    }

    /// Endpoint A, to act on it between runs (open, send, close...).
    pub fn a_mut(&mut self) -> &mut A {
        &mut self.a
    }

    /// Endpoint B.
    #[must_use]
    pub fn b(&self) -> &B {
        &self.b
    }

    /// Endpoint B, to act on it between runs.
    pub fn b_mut(&mut self) -> &mut B {
        &mut self.b
    }

    /// The A→B link, for its statistics.
    #[must_use]
    pub fn link_ab(&self) -> &Link {
        &self.ab
    }

    /// The A→B link, to reconfigure it between runs.
    pub fn link_ab_mut(&mut self) -> &mut Link {
        &mut self.ab
    }

    /// The B→A link, for its statistics.
    #[must_use]
    pub fn link_ba(&self) -> &Link {
        &self.ba
    }

    /// The B→A link, to reconfigure it between runs.
    pub fn link_ba_mut(&mut self) -> &mut Link {
        &mut self.ba
    }

    /// The endpoints, once the simulation is over.
    #[must_use]
    pub fn into_endpoints(self) -> (A, B) {
        (self.a, self.b)
    }

    /// Calls `hook` for every packet sent and delivered from now on,
    /// replacing any previous hook.
    pub fn set_trace_hook(&mut self, hook: impl FnMut(&TraceEvent<'_>) + 'static) {
        self.tracer.hook = Some(Box::new(hook));
    }

    /// Removes the trace hook.
    pub fn clear_trace_hook(&mut self) {
        self.tracer.hook = None;
    }

    /// Starts (`true`) or stops (`false`) keeping a copy of every traced
    /// event; stopping discards what was kept. Tracing copies every packet,
    /// so leave it off for bulk runs.
    pub fn record_trace(&mut self, on: bool) {
        if on {
            self.tracer.records.get_or_insert_with(Vec::new);
        } else {
            self.tracer.records = None;
        }
    }

    /// The events kept since [`record_trace`](Self::record_trace) was
    /// turned on (or since the last [`take_trace`](Self::take_trace)).
    #[must_use]
    pub fn trace(&self) -> &[TraceRecord] {
        self.tracer.records.as_deref().unwrap_or(&[])
    }

    /// Hands over the kept events and starts a fresh record (if recording).
    pub fn take_trace(&mut self) -> Vec<TraceRecord> {
        match &mut self.tracer.records {
            Some(records) => std::mem::take(records),
            None => Vec::new(),
        }
    }

    /// Runs until the deadline or until nothing is scheduled; see
    /// [`run_until`](Self::run_until).
    pub fn run(&mut self, deadline: Instant) -> Outcome {
        self.run_until(|_| false, deadline)
    }

    /// Runs until `done` returns true, checked after the endpoints have
    /// transmitted at each instant (and once before anything happens).
    ///
    /// Events due at the deadline still run. Stops early with
    /// [`Outcome::Idle`] when nothing is scheduled, and with
    /// [`Outcome::Stalled`] when an endpoint livelocks (see [`Limits`]).
    /// Can be called again to continue.
    pub fn run_until<F>(&mut self, mut done: F, deadline: Instant) -> Outcome
    where
        F: FnMut(&Self) -> bool,
    {
        let mut fired = [false; 2];
        let mut received = [0u64; 2];
        let mut stuck = [0u32; 2];
        let mut steps_here = 0u64;
        loop {
            let now = self.now;
            let max = self.limits.max_transmits_per_poll;
            let sent_a = match wire!(self, ab, Direction::AToB).flush(&mut self.a, now, max) {
                Ok(n) => n,
                Err(stall) => return Outcome::Stalled(stall),
            };
            let sent_b = match wire!(self, ba, Direction::BToA).flush(&mut self.b, now, max) {
                Ok(n) => n,
                Err(stall) => return Outcome::Stalled(stall),
            };
            if done(self) {
                return Outcome::Done;
            }

            let timeout_a = self.a.next_timeout();
            let timeout_b = self.b.next_timeout();
            let limit = self.limits.max_idle_timeouts;
            let [fired_a, fired_b] = fired;
            let [received_a, received_b] = received;
            let [stuck_a, stuck_b] = &mut stuck;
            if still_stuck(fired_a, sent_a + received_a, timeout_a, now, stuck_a, limit) {
                return Outcome::Stalled(Stall::TimerNotAdvancing {
                    side: Side::A,
                    at: now,
                });
            }
            if still_stuck(fired_b, sent_b + received_b, timeout_b, now, stuck_b, limit) {
                return Outcome::Stalled(Stall::TimerNotAdvancing {
                    side: Side::B,
                    at: now,
                });
            }

            let next = [
                self.ab.next_delivery(),
                self.ba.next_delivery(),
                timeout_a,
                timeout_b,
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else {
                return Outcome::Idle;
            };
            let at = next.max(now);
            if at > deadline {
                self.now = now.max(deadline);
                return Outcome::Deadline;
            }
            if at > now {
                self.now = at;
                steps_here = 0;
            } else {
                steps_here += 1;
                if steps_here > self.limits.max_steps_per_instant {
                    return Outcome::Stalled(Stall::InstantLivelock { at: now });
                }
            }
            let now = self.now;

            let to_b = wire!(self, ab, Direction::AToB).deliver(&mut self.b, now);
            let to_a = wire!(self, ba, Direction::BToA).deliver(&mut self.a, now);
            received = [to_a, to_b];

            let fire_a = self.a.next_timeout().is_some_and(|t| t <= now);
            if fire_a {
                self.a.on_timeout(now);
            }
            let fire_b = self.b.next_timeout().is_some_and(|t| t <= now);
            if fire_b {
                self.b.on_timeout(now);
            }
            fired = [fire_a, fire_b];
        }
    }
}

/// Updates one endpoint's count of timer firings that changed nothing;
/// true once it exceeds `limit`. Progress is any packet sent or received
/// since the firing, or the timer moving past `now`.
fn still_stuck(
    fired: bool,
    moved: u64,
    timeout: Option<Instant>,
    now: Instant,
    stuck: &mut u32,
    limit: u32,
) -> bool {
    if !fired {
        return false;
    }
    if moved == 0 && timeout.is_some_and(|t| t <= now) {
        *stuck += 1;
        *stuck > limit
    } else {
        *stuck = 0;
        false
    }
}
