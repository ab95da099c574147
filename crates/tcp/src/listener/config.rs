//! How a listener behaves: queue bounds, SYN-ACK retransmission, SYN
//! cookies, what happens when the accept queue is full.

use strata_core::time::Duration;

use crate::connection::{Config, Error};

/// Largest SYN or accept backlog: slots are indexed with `u32`, and a
/// backlog this size already takes tens of megabytes of connections.
pub const MAX_BACKLOG: usize = 1 << 20;

/// When SYNs are answered with SYN cookies (RFC 4987 §3.6) instead of
/// being queued (Linux's `net.ipv4.tcp_syncookies`: 0, 1, 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SynCookies {
    /// Never: a SYN that finds the SYN queue full is dropped.
    Never,
    /// Only when the SYN queue is full, so a SYN flood cannot lock
    /// legitimate clients out, while ordinary connections keep the
    /// options cookies cannot carry (exact MSS; without timestamps, window
    /// scaling and SACK).
    #[default]
    WhenFull,
    /// Always: the listener keeps no state for half-open connections at
    /// all (useful to test the cookie path).
    Always,
}

/// What becomes of a handshake that completes while the accept queue is
/// full (Linux's `net.ipv4.tcp_abort_on_overflow`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AcceptOverflow {
    /// Drop the completing ACK, as Linux does by default: the embryonic
    /// connection stays in the SYN queue and its SYN-ACK is repeated, so
    /// the client's next ACK (or data) completes it once the application
    /// has made room. A burst of connections then costs time, not failures.
    #[default]
    DropAck,
    /// Answer the completing ACK with a reset and forget the connection:
    /// the client learns at once that the server is overloaded.
    Reset,
}

/// A listener's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Most embryonic (SYN-RECEIVED) connections held at once: the SYN
    /// queue (Linux's `tcp_max_syn_backlog`).
    pub syn_backlog: usize,
    /// Most completed connections waiting for [`accept`] at once: the
    /// backlog of `listen(2)`. At least 1.
    ///
    /// [`accept`]: super::Listener::accept
    pub accept_backlog: usize,
    /// SYN-ACK retransmissions before an embryonic connection is dropped
    /// (Linux's `tcp_synack_retries`, 5: dropped after 63 s with the
    /// default timeout).
    pub syn_ack_retries: u32,
    /// Wait before the first SYN-ACK retransmission; it doubles after each
    /// one, up to the connection's `max_rto` (RFC 6298 §5.5).
    pub syn_ack_timeout: Duration,
    /// When SYN cookies are used.
    pub syn_cookies: SynCookies,
    /// What a handshake completing into a full accept queue gets.
    pub accept_overflow: AcceptOverflow,
    /// Most stateless replies (resets, cookie SYN-ACKs, challenge ACKs)
    /// waiting for [`poll_transmit`]; more are dropped, which also bounds
    /// what a flood can make the listener send between two polls.
    ///
    /// [`poll_transmit`]: super::Listener::poll_transmit
    pub reply_queue: usize,
    /// Challenge ACKs (RFC 5961) to embryonic connections per second, all
    /// of them together (the per-connection limit does not help when an
    /// attacker spreads over many).
    pub challenge_ack_limit: u32,
    /// The configuration of every connection the listener creates.
    pub connection: Config,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            syn_backlog: 256,
            accept_backlog: 128,
            syn_ack_retries: 5,
            syn_ack_timeout: Duration::from_secs(1),
            syn_cookies: SynCookies::default(),
            accept_overflow: AcceptOverflow::default(),
            reply_queue: 64,
            challenge_ack_limit: 100,
            connection: Config::default(),
        }
    }
}

impl ListenerConfig {
    /// Checks the values a listener cannot work with.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the accept backlog is 0, a backlog or
    /// the reply queue exceeds [`MAX_BACKLOG`], the SYN-ACK timeout is
    /// zero, or the connection configuration is invalid.
    pub fn validate(&self) -> Result<(), Error> {
        let bounded = self.syn_backlog <= MAX_BACKLOG
            && (1..=MAX_BACKLOG).contains(&self.accept_backlog)
            && self.reply_queue <= MAX_BACKLOG;
        if !bounded || self.syn_ack_timeout == Duration::ZERO {
            return Err(Error::InvalidConfig);
        }
        self.connection.validate()
    }
}
