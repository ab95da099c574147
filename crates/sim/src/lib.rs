//! A deterministic network simulator for testing protocol state machines.
//!
//! - [`LinkConfig`] describes one direction of a path: propagation delay,
//!   jitter (order-keeping, or drawn per packet as Linux netem does),
//!   a bandwidth bottleneck with a bounded FIFO queue, independent and
//!   burst ([`GilbertElliott`]) loss, duplication, reordering (held back,
//!   or sent early as netem's `reorder`), corruption and an MTU.
//! - [`Link`] is that direction: packets go in with [`Link::send`] and come
//!   out with [`Link::deliver`] once their time has come. A fault-injecting
//!   device is a `Link` in front of a real one.
//! - [`Simulation`] joins two [`Endpoint`]s with a link each way and drives
//!   them in virtual time, jumping from event to event, with a trace of
//!   every packet ([`TraceRecord`]) for ladder diagrams and assertions.
//!
//! Nothing reads a clock and nothing sleeps: time is
//! [`strata_core::time::Instant`], moved by the caller or the simulation.
//! Every random choice comes from a seeded
//! [`SplitMix64`](strata_core::rand::SplitMix64), so a seed reproduces a run
//! bit for bit, on any machine.
//!
//! ```
//! use strata_core::time::{Duration, Instant};
//! use strata_sim::{Endpoint, LinkConfig, Outcome, Simulation};
//!
//! /// Sends numbered pings until each is answered, retransmitting every
//! /// 100 ms.
//! #[derive(Default)]
//! struct Pinger { next: u8, answered: u8, due: Option<Instant> }
//!
//! impl Endpoint for Pinger {
//!     fn receive(&mut self, _now: Instant, packet: &[u8]) {
//!         if packet == [self.next] {
//!             self.answered += 1;
//!             self.next += 1;
//!             self.due = None;
//!         }
//!     }
//!     fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
//!         if self.next == 10 || self.due.is_some() {
//!             return false;
//!         }
//!         self.due = Some(now + Duration::from_millis(100));
//!         buf.push(self.next);
//!         true
//!     }
//!     fn next_timeout(&mut self) -> Option<Instant> { self.due }
//!     fn on_timeout(&mut self, _now: Instant) { self.due = None; }
//! }
//!
//! /// Echoes every packet back.
//! #[derive(Default)]
//! struct Echo { backlog: Vec<Vec<u8>> }
//!
//! impl Endpoint for Echo {
//!     fn receive(&mut self, _now: Instant, packet: &[u8]) {
//!         self.backlog.push(packet.to_vec());
//!     }
//!     fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
//!         match self.backlog.pop() {
//!             Some(p) => { *buf = p; true }
//!             None => false,
//!         }
//!     }
//! }
//!
//! let path = LinkConfig::lossy(0.3).with_delay(Duration::from_millis(10));
//! let mut sim = Simulation::new(Pinger::default(), Echo::default(), path, path, 42);
//! sim.record_trace(true);
//! let outcome = sim.run_until(|s| s.a().answered == 10, Instant::from_millis(60_000));
//! assert_eq!(outcome, Outcome::Done);
//! assert!(sim.now() >= Instant::from_millis(200)); // ten round trips at least
//! assert!(sim.link_ab().stats().dropped_loss > 0); // with this seed, yes
//! for line in sim.trace().iter().take(4) {
//!     println!("{line}");
//! }
//! ```
#![forbid(unsafe_code)]

mod config;
mod link;
mod sim;

pub use config::{GilbertElliott, LinkConfig, MAX_CORRUPT_BITS};
pub use link::{Arrival, DropReason, Fate, Link, LinkStats};
pub use sim::{
    Direction, Endpoint, Limits, Outcome, Side, Simulation, Stall, TraceEvent, TraceKind,
    TraceRecord,
};
