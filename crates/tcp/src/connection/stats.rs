//! Counters, for tests, benchmarks and the curious.

/// What a connection has done so far. Byte counts are payload octets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Segments handed out by `poll_transmit`.
    pub segments_sent: u64,
    /// Segments handed to `handle_segment` for this connection.
    pub segments_received: u64,
    /// Payload octets sent, retransmissions included.
    pub bytes_sent: u64,
    /// Payload octets received in window, duplicates included.
    pub bytes_received: u64,
    /// Payload octets delivered to the application in order.
    pub bytes_delivered: u64,
    /// Segments that carried already-sent sequence space again.
    pub retransmissions: u64,
    /// Octets of payload sent again.
    pub retransmitted_bytes: u64,
    /// Fast retransmits (entries into duplicate-ACK driven recovery).
    pub fast_retransmits: u64,
    /// Entries into SACK-based loss recovery (RFC 6675).
    pub sack_recoveries: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Retransmissions found lost by RACK (RFC 8985) and sent again
    /// without waiting for the retransmission timer.
    pub lost_retransmissions: u64,
    /// Tail loss probes sent (RFC 8985 §7): new data or the last segment
    /// again, two round trips after the last send instead of an RTO.
    pub tail_loss_probes: u64,
    /// Retransmitted tail loss probes that repaired a loss (RFC 8985
    /// §7.4), each answered with a window reduction.
    pub tlp_repairs: u64,
    /// RFC 6675 rescue retransmissions (NextSeg rule 4).
    pub rescue_retransmissions: u64,
    /// Times HyStart++ (RFC 9406) saw the RTT rise and entered
    /// Conservative Slow Start.
    pub hystart_css_entries: u64,
    /// Times HyStart++ ended slow start after its CSS rounds, before any
    /// loss.
    pub hystart_exits: u64,
    /// D-SACK blocks received (RFC 2883): the peer got something twice.
    pub dsacks_received: u64,
    /// D-SACK blocks sent for duplicate segments (RFC 2883).
    pub dsacks_sent: u64,
    /// Recoveries found spurious (RFC 3522 Eifel detection with
    /// timestamps, or RFC 3708 with D-SACK) whose window reduction was
    /// undone.
    pub spurious_recoveries: u64,
    /// Duplicate ACKs received.
    pub dup_acks: u64,
    /// Segments that arrived beyond a gap.
    pub out_of_order: u64,
    /// Segments dropped as unacceptable (outside the window, bad ACK, no
    /// ACK bit, missing timestamps).
    pub dropped: u64,
    /// Segments dropped by PAWS (RFC 7323 §5).
    pub paws_drops: u64,
    /// Challenge ACKs sent (RFC 5961).
    pub challenge_acks: u64,
    /// Challenge ACKs suppressed by the rate limit.
    pub challenge_acks_suppressed: u64,
    /// ACKs withheld from unacceptable (out-of-window or PAWS-failing)
    /// empty segments by the rate limit.
    pub invalid_acks_suppressed: u64,
    /// Zero-window probes sent.
    pub window_probes: u64,
    /// Keepalive probes sent.
    pub keepalive_probes: u64,
}
