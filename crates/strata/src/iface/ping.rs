//! The echo client behind `strata ping`: requests sent, replies matched to
//! them by identifier and sequence number, round-trip times measured.

use core::net::Ipv4Addr;
use std::collections::{HashMap, VecDeque};
use std::fmt;

use strata_core::time::{Duration, Instant};

/// An answer to an echo request this interface sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingReply {
    /// Who answered.
    pub from: Ipv4Addr,
    /// Identifier echoed back.
    pub ident: u16,
    /// Sequence number echoed back.
    pub seq: u16,
    /// Echo data length in bytes.
    pub len: usize,
    /// TTL of the reply as it arrived.
    pub ttl: u8,
    /// Time from sending the request to receiving the reply.
    pub rtt: Duration,
    /// Whether the echoed data differs from what was sent.
    pub corrupted: bool,
    /// What came back: a reply, or an ICMP error about the request.
    pub kind: PingReplyKind,
}

/// What came back for an echo request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PingReplyKind {
    /// An echo reply.
    Echo,
    /// An ICMP error quoting the request (destination unreachable, time
    /// exceeded): `from` is the router or host that sent it.
    Error {
        /// ICMP type of the error.
        icmp_type: u8,
        /// ICMP code of the error.
        code: u8,
    },
}

/// Why a ping was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PingError {
    /// No route to the destination.
    NoRoute,
    /// Too many requests outstanding (the table is bounded).
    TooManyOutstanding,
    /// The payload does not fit one IPv4 datagram.
    TooLong,
    /// The next hop is known to be unreachable (ARP failed recently).
    HostUnreachable,
    /// The datagram could not be queued (ARP queue or output queue full).
    NoBufferSpace,
}

impl fmt::Display for PingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PingError::NoRoute => "no route to host",
            PingError::TooManyOutstanding => "too many echo requests outstanding",
            PingError::TooLong => "echo payload too long for an IPv4 datagram",
            PingError::HostUnreachable => "host unreachable",
            PingError::NoBufferSpace => "no buffer space available",
        })
    }
}

impl std::error::Error for PingError {}

#[derive(Debug)]
struct Outstanding {
    dst: Ipv4Addr,
    sent_at: Instant,
    payload_hash: u64,
}

/// Requests outstanding and replies waiting, both bounded.
#[derive(Debug)]
pub(crate) struct Pinger {
    outstanding: HashMap<(u16, u16), Outstanding>,
    order: VecDeque<((u16, u16), Instant)>,
    replies: VecDeque<PingReply>,
    max: usize,
    timeout: Duration,
}

fn hash(data: &[u8]) -> u64 {
    // FNV-1a: only to notice a corrupted echo, not for security.
    data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Pinger {
    pub(crate) fn new(max: usize, timeout: Duration) -> Self {
        Self {
            outstanding: HashMap::new(),
            order: VecDeque::new(),
            replies: VecDeque::new(),
            max: max.max(1),
            timeout,
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(key, sent)) = self.order.front() {
            if now.saturating_duration_since(sent) < self.timeout && self.order.len() <= self.max {
                break;
            }
            self.order.pop_front();
            if self
                .outstanding
                .get(&key)
                .is_some_and(|o| o.sent_at == sent)
            {
                self.outstanding.remove(&key);
            }
        }
    }

    /// Records a request about to be sent.
    pub(crate) fn register(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        ident: u16,
        seq: u16,
        payload: &[u8],
    ) -> Result<(), PingError> {
        self.expire(now);
        if self.outstanding.len() >= self.max {
            return Err(PingError::TooManyOutstanding);
        }
        self.outstanding.insert(
            (ident, seq),
            Outstanding {
                dst,
                sent_at: now,
                payload_hash: hash(payload),
            },
        );
        self.order.push_back(((ident, seq), now));
        Ok(())
    }

    /// Forgets a request that could not be sent after all.
    pub(crate) fn unregister(&mut self, ident: u16, seq: u16) {
        self.outstanding.remove(&(ident, seq));
    }

    /// Matches an echo reply; returns whether it answered one of ours.
    pub(crate) fn reply(
        &mut self,
        now: Instant,
        from: Ipv4Addr,
        ident: u16,
        seq: u16,
        ttl: u8,
        data: &[u8],
    ) -> bool {
        let Some(o) = self.outstanding.remove(&(ident, seq)) else {
            return false;
        };
        if o.dst != from && !o.dst.is_broadcast() {
            // Not from whom we asked: put it back, this is not our answer.
            self.outstanding.insert((ident, seq), o);
            return false;
        }
        self.push(PingReply {
            from,
            ident,
            seq,
            len: data.len(),
            ttl,
            rtt: now.saturating_duration_since(o.sent_at),
            corrupted: hash(data) != o.payload_hash,
            kind: PingReplyKind::Echo,
        });
        true
    }

    /// Matches an ICMP error quoting one of our requests.
    pub(crate) fn error(
        &mut self,
        now: Instant,
        from: Ipv4Addr,
        ident: u16,
        seq: u16,
        icmp_type: u8,
        code: u8,
    ) -> bool {
        let Some(o) = self.outstanding.remove(&(ident, seq)) else {
            return false;
        };
        self.push(PingReply {
            from,
            ident,
            seq,
            len: 0,
            ttl: 0,
            rtt: now.saturating_duration_since(o.sent_at),
            corrupted: false,
            kind: PingReplyKind::Error { icmp_type, code },
        });
        true
    }

    fn push(&mut self, reply: PingReply) {
        if self.replies.len() >= self.max {
            self.replies.pop_front();
        }
        self.replies.push_back(reply);
    }

    pub(crate) fn poll(&mut self) -> Option<PingReply> {
        self.replies.pop_front()
    }

    /// Requests still waiting for an answer.
    pub(crate) fn outstanding(&self) -> usize {
        self.outstanding.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

    #[test]
    fn replies_match_requests_and_measure_rtt() {
        let mut p = Pinger::new(4, Duration::from_secs(10));
        p.register(Instant::from_millis(100), A, 7, 1, b"abc")
            .unwrap();
        assert!(!p.reply(Instant::from_millis(150), A, 7, 2, 64, b"abc"));
        assert!(p.reply(Instant::from_millis(150), A, 7, 1, 63, b"abc"));
        let r = p.poll().unwrap();
        assert_eq!(
            (r.seq, r.ttl, r.rtt, r.corrupted),
            (1, 63, Duration::from_millis(50), false)
        );
        // A duplicate reply is not matched twice.
        assert!(!p.reply(Instant::from_millis(160), A, 7, 1, 63, b"abc"));
        assert!(p.poll().is_none());
    }

    #[test]
    fn table_is_bounded_and_expires() {
        let mut p = Pinger::new(2, Duration::from_secs(1));
        p.register(Instant::ZERO, A, 1, 1, b"").unwrap();
        p.register(Instant::ZERO, A, 1, 2, b"").unwrap();
        assert_eq!(
            p.register(Instant::ZERO, A, 1, 3, b""),
            Err(PingError::TooManyOutstanding)
        );
        p.register(Instant::from_secs_for_test(2), A, 1, 3, b"")
            .unwrap();
        assert_eq!(p.outstanding(), 1);
    }

    trait FromSecs {
        fn from_secs_for_test(s: u64) -> Instant;
    }
    impl FromSecs for Instant {
        fn from_secs_for_test(s: u64) -> Instant {
            Instant::from_millis(s * 1000)
        }
    }
}
