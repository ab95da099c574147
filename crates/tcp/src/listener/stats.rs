//! What a listener has done, for monitoring (Linux's `netstat -s`
//! listener lines) and tests.

/// Counters of a [`Listener`](super::Listener).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerStats {
    /// SYNs that asked for a new connection (retransmitted SYNs of an
    /// embryonic connection not included).
    pub syns_received: u64,
    /// SYNs answered neither with an embryonic connection nor with a
    /// cookie: SYN queue full without cookies, accept queue full, reply
    /// queue full, listener closed.
    pub syns_dropped: u64,
    /// SYNs that found the SYN queue full (answered with a cookie or
    /// dropped).
    pub syn_queue_overflows: u64,
    /// SYN-ACKs sent for embryonic connections, first transmissions.
    pub syn_acks_sent: u64,
    /// SYN-ACKs sent again: on the retransmission timer, for a repeated
    /// SYN, or to prompt an ACK once the accept queue had room.
    pub syn_ack_retransmits: u64,
    /// SYN-ACKs carrying a SYN cookie.
    pub cookies_sent: u64,
    /// ACKs whose cookie checked out and became connections.
    pub cookies_validated: u64,
    /// ACKs that looked like cookie answers but did not check out (forged,
    /// expired, or for another 4-tuple); they are answered with a reset.
    pub cookies_rejected: u64,
    /// Handshakes completed (queued or by cookie), including those whose
    /// connection is still waiting in the accept queue.
    pub handshakes_completed: u64,
    /// Connections handed out by `accept`.
    pub accepted: u64,
    /// Handshakes that completed while the accept queue was full (dropped
    /// or reset according to the configuration).
    pub accept_queue_overflows: u64,
    /// Embryonic connections dropped after their last SYN-ACK went
    /// unanswered.
    pub embryos_expired: u64,
    /// Embryonic connections removed by a reset from the peer.
    pub embryos_reset: u64,
    /// Resets sent (stray segments, rejected cookies, overflows).
    pub resets_sent: u64,
    /// Challenge ACKs (RFC 5961) and ACKs for out-of-window segments sent
    /// on behalf of embryonic connections.
    pub challenge_acks: u64,
    /// Challenge ACKs withheld by the rate limit.
    pub challenge_acks_suppressed: u64,
    /// Replies dropped because the reply queue was full.
    pub replies_dropped: u64,
    /// Segments handed to connections waiting in the accept queue.
    pub segments_delivered: u64,
}
