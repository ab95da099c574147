//! What the application chooses about a connection.

use strata_core::time::Duration;

use super::Error;
use crate::congestion::{Algorithm, InitialWindow};

/// Largest buffer a connection takes: the window scale shift stops at 14
/// (RFC 7323 §2.3), so a window never exceeds 2^30 bytes.
pub const MAX_BUFFER: usize = 1 << 30;

/// Keepalive probing (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): off by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeepAlive {
    /// Silence before the first probe (RFC 1122: at least two hours by
    /// default).
    pub idle: Duration,
    /// Time between unanswered probes.
    pub interval: Duration,
    /// Unanswered probes after which the connection is dropped.
    pub probes: u32,
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(7200),
            interval: Duration::from_secs(75),
            probes: 9,
        }
    }
}

/// Per-connection settings. `Config::default()` is a conventional host:
/// 64 KiB buffers, MSS 1460, window scaling, SACK and timestamps offered,
/// Nagle on, 40 ms delayed ACKs, CUBIC with the RFC 6928 initial window,
/// RFC 6298 timer bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Bytes the send buffer holds (queued plus unacknowledged). Allocated
    /// once, when the connection is made.
    pub send_buffer: usize,
    /// Bytes the receive buffer holds (unread plus out of order): the
    /// largest window advertised. Allocated once.
    pub recv_buffer: usize,
    /// The MSS option we send: the largest segment payload we accept, and
    /// the cap on what we send whatever the peer offers.
    pub mss: u16,
    /// Offer window scaling (RFC 7323 §2); the shift follows from
    /// `recv_buffer`.
    pub window_scaling: bool,
    /// Offer selective acknowledgments (RFC 2018) and use them for loss
    /// recovery (RFC 6675).
    pub sack: bool,
    /// Offer timestamps (RFC 7323 §3): RTT measurement and PAWS.
    pub timestamps: bool,
    /// Nagle's algorithm (RFC 9293 §3.7.4): hold small segments while data
    /// is unacknowledged. `false` is `TCP_NODELAY`.
    pub nagle: bool,
    /// Delay before a lone ACK is sent (RFC 9293 §3.8.6.3: under 0.5 s);
    /// `None` acknowledges every segment at once.
    pub ack_delay: Option<Duration>,
    /// The congestion control algorithm (NewReno or CUBIC).
    pub congestion: Algorithm,
    /// The initial congestion window.
    pub initial_window: InitialWindow,
    /// Restart from the initial window after an idle period longer than
    /// the RTO (RFC 5681 §4.1).
    pub slow_start_after_idle: bool,
    /// Retransmission timeout before any RTT sample (RFC 6298: 1 s).
    pub initial_rto: Duration,
    /// Floor of the RTO (RFC 6298: 1 s; Linux uses 200 ms).
    pub min_rto: Duration,
    /// Ceiling of the RTO and of backoff (RFC 6298 allows 60 s and more).
    pub max_rto: Duration,
    /// SYN retransmissions before giving up. The default, 7, keeps trying
    /// for 255 s with a 1 s initial RTO, past the 3 minutes RFC 9293
    /// §3.8.3 requires (Linux: 6, 127 s).
    pub syn_retries: u32,
    /// Data retransmission timeouts in a row, or unanswered zero-window
    /// probes, before giving up (Linux: 15).
    pub max_retries: u32,
    /// TIME-WAIT length, 2*MSL (RFC 9293 suggests MSL = 2 minutes; Linux
    /// lingers 60 s).
    pub time_wait: Duration,
    /// Keepalive probing; `None` sends no probes.
    pub keepalive: Option<KeepAlive>,
    /// Give up when sent data stays unacknowledged this long (RFC 5482's
    /// user timeout, applied locally).
    pub user_timeout: Option<Duration>,
    /// Challenge ACKs (RFC 5961 §7) sent per second at most.
    pub challenge_ack_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            send_buffer: 64 * 1024,
            recv_buffer: 64 * 1024,
            mss: 1460,
            window_scaling: true,
            sack: true,
            timestamps: true,
            nagle: true,
            ack_delay: Some(Duration::from_millis(40)),
            congestion: Algorithm::default(),
            initial_window: InitialWindow::default(),
            slow_start_after_idle: true,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_secs(1),
            max_rto: Duration::from_secs(60),
            syn_retries: 7,
            max_retries: 15,
            time_wait: Duration::from_secs(60),
            keepalive: None,
            user_timeout: None,
            challenge_ack_limit: 100,
        }
    }
}

impl Config {
    /// Checks the values a connection cannot work with.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a buffer is empty or above
    /// [`MAX_BUFFER`], the MSS is below 64 (no useful segment fits), or a
    /// keepalive interval is zero (probes would never stop).
    pub fn validate(&self) -> Result<(), Error> {
        let buffers_ok = (1..=MAX_BUFFER).contains(&self.send_buffer)
            && (1..=MAX_BUFFER).contains(&self.recv_buffer);
        let keepalive_ok = self
            .keepalive
            .is_none_or(|k| k.idle > Duration::ZERO && k.interval > Duration::ZERO);
        if !buffers_ok || !keepalive_ok || self.mss < 64 {
            return Err(Error::InvalidConfig);
        }
        Ok(())
    }

    /// The window scale shift we offer: the smallest that lets the window
    /// field cover the whole receive buffer.
    #[must_use]
    pub fn window_shift(&self) -> u8 {
        let mut shift = 0u8;
        while shift < 14 && (self.recv_buffer >> shift) > usize::from(u16::MAX) {
            shift += 1;
        }
        shift
    }
}
