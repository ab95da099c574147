//! The connection's timer table: one deadline per purpose, the next
//! deadline is their minimum.

use strata_core::time::Instant;

/// What a deadline is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// 2*MSL in TIME-WAIT.
    TimeWait,
    /// Sent data unacknowledged too long (RFC 5482 semantics).
    UserTimeout,
    /// RFC 6298 retransmission timer.
    Retransmit,
    /// Zero-window probes, and the sender SWS override timer.
    Persist,
    /// Keepalive idle or probe interval.
    KeepAlive,
    /// A delayed ACK is due.
    DelayedAck,
    /// RACK's reordering window of a retransmission ran out (RFC 8985
    /// §6.2 step 5).
    Reorder,
    /// TLP's probe timeout (RFC 8985 §7.2).
    Probe,
}

impl Timer {
    /// In firing order when several are due at once.
    pub(crate) const ALL: [Timer; 8] = [
        Timer::TimeWait,
        Timer::UserTimeout,
        Timer::Retransmit,
        Timer::Persist,
        Timer::KeepAlive,
        Timer::DelayedAck,
        Timer::Reorder,
        Timer::Probe,
    ];
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timers {
    deadlines: [Option<Instant>; 8],
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer as usize) {
            *slot = Some(at);
        }
    }

    pub(crate) fn cancel(&mut self, timer: Timer) {
        if let Some(slot) = self.deadlines.get_mut(timer as usize) {
            *slot = None;
        }
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines.get(timer as usize).copied().flatten()
    }

    pub(crate) fn is_armed(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// Arms `timer` unless it already runs.
    pub(crate) fn ensure(&mut self, timer: Timer, at: Instant) {
        if !self.is_armed(timer) {
            self.set(timer, at);
        }
    }

    pub(crate) fn cancel_all(&mut self) {
        self.deadlines = [None; 8];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }
}
