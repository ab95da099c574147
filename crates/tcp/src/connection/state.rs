//! The connection states of RFC 9293 §3.3.2.

use core::fmt;

/// Where a connection is in its life (RFC 9293 §3.3.2, figure 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// No connection: never opened, or finished.
    Closed,
    /// Waiting for a connection request from any remote TCP (passive open).
    Listen,
    /// A SYN was sent; waiting for the matching SYN (active open).
    SynSent,
    /// A SYN was both received and sent; waiting for the ACK of ours.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    /// We closed; our FIN is not acknowledged yet.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's.
    FinWait2,
    /// The peer closed; waiting for the local application to close.
    CloseWait,
    /// Both sides closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed first and so did we; waiting for the ACK of our FIN.
    LastAck,
    /// Both FINs are acknowledged; lingering 2*MSL so stray segments of this
    /// connection die before the 4-tuple is reused.
    TimeWait,
}

impl State {
    /// RFC 9293's name for the state, upper case as the RFC writes it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// Whether both sides' initial sequence numbers are known and the
    /// handshake is complete (every state from ESTABLISHED on).
    #[must_use]
    pub const fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }

    /// Whether the local application may still queue data to send.
    #[must_use]
    pub const fn can_send(self) -> bool {
        matches!(
            self,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        )
    }

    /// Whether the peer may still send us data (its FIN not yet received).
    #[must_use]
    pub const fn can_receive(self) -> bool {
        matches!(
            self,
            State::SynSent
                | State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
