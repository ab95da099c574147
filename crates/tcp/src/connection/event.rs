//! What the application is told, queued until it asks.

use core::fmt;

/// Something the application cares about happened.
///
/// Events are queued in order and each kind is queued at most once until
/// polled: they are edges ("became readable"), not levels, and a reader
/// that drains [`Connection::recv`](super::Connection::recv) until
/// `WouldBlock` loses nothing by coalescing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The handshake completed: the connection is ESTABLISHED.
    Established,
    /// New data (or the end of the stream) can be read.
    Readable,
    /// Room opened in the send buffer after a send was cut short.
    Writable,
    /// The peer sent its FIN: no more data will arrive after what is
    /// buffered.
    PeerClosed,
    /// The peer reset an open connection.
    Reset,
    /// The peer did not answer: retransmissions, keepalive probes or the
    /// user timeout ran out. The connection is closed.
    TimedOut,
    /// The peer refused the connection (a reset answered our SYN).
    Refused,
    /// The connection reached CLOSED normally (both sides finished).
    Closed,
}

impl Event {
    const ALL: [Event; 8] = [
        Event::Established,
        Event::Readable,
        Event::Writable,
        Event::PeerClosed,
        Event::Reset,
        Event::TimedOut,
        Event::Refused,
        Event::Closed,
    ];

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Event::Established => "established",
            Event::Readable => "readable",
            Event::Writable => "writable",
            Event::PeerClosed => "peer closed",
            Event::Reset => "reset",
            Event::TimedOut => "timed out",
            Event::Refused => "refused",
            Event::Closed => "closed",
        };
        f.write_str(s)
    }
}

/// A FIFO of at most one of each event kind, without allocation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EventQueue {
    order: [u8; 8],
    len: u8,
    queued: u8,
}

impl EventQueue {
    pub(crate) fn push(&mut self, event: Event) {
        if self.queued & event.bit() != 0 {
            return;
        }
        if let Some(slot) = self.order.get_mut(usize::from(self.len)) {
            *slot = event as u8;
            self.len += 1;
            self.queued |= event.bit();
        }
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        let first = *self.order.first()?;
        self.order.copy_within(1.., 0);
        self.len -= 1;
        let event = *Event::ALL.get(usize::from(first))?;
        self.queued &= !event.bit();
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_without_duplicates() {
        let mut q = EventQueue::default();
        q.push(Event::Established);
        q.push(Event::Readable);
        q.push(Event::Readable);
        q.push(Event::PeerClosed);
        assert_eq!(q.pop(), Some(Event::Established));
        q.push(Event::Established);
        assert_eq!(q.pop(), Some(Event::Readable));
        assert_eq!(q.pop(), Some(Event::PeerClosed));
        assert_eq!(q.pop(), Some(Event::Established));
        assert_eq!(q.pop(), None);
        for e in Event::ALL {
            q.push(e);
        }
        for e in Event::ALL {
            assert_eq!(q.pop(), Some(e));
        }
    }
}
