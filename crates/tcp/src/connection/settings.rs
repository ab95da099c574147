//! Settings changed on a live connection: what a socket layer's
//! `setsockopt` and its ICMP handling need after the connection exists.

use strata_core::time::{Duration, Instant};

use super::timer::Timer;
use super::{Config, Connection, Error, Event, KeepAlive, MAX_BUFFER, State};

/// The least send MSS [`Connection::set_send_mss`] and
/// [`Connection::set_path_mtu`] go down to: the RFC 9293 §3.7.1 default
/// MSS, which a path must carry since every IPv4 host accepts 576-byte
/// datagrams (RFC 1122 §3.3.2). An ICMP message claiming less is more
/// likely forged than true, and believing it would let an off-path sender
/// make the connection spend a segment per few bytes (Linux refuses PMTU
/// below 552 and MSS below 48 for that reason). A path that really is
/// narrower needs the IP layer to fragment.
pub const MIN_PATH_MSS: u16 = 536;

/// IPv4 and TCP fixed headers: what a path MTU holds besides the MSS.
const IPV4_TCP_HEADERS: u16 = 40;

impl Connection {
    /// Caps the segments we send at `mss` octets of TCP payload plus
    /// options, as a path MTU discovery (RFC 1191 §6.3, RFC 8899 §5) or
    /// the caller decides. The effective send MSS becomes the least of
    /// the peer's MSS option, [`Config::mss`] and `mss`, where `mss` is
    /// first raised to [`MIN_PATH_MSS`]; a larger value than before lifts
    /// the cap again (a path MTU that grew back), never above what was
    /// negotiated.
    ///
    /// Data already queued is cut to the new size at its next
    /// transmission or retransmission: segments in flight that the
    /// narrower path dropped are repaired by the usual loss detection
    /// (SACK, RACK, the retransmission timer), and nothing is lost. The
    /// congestion window keeps its byte count; its per-segment steps follow
    /// the new size.
    pub fn set_send_mss(&mut self, mss: u16) {
        self.path_mss = mss.max(MIN_PATH_MSS);
        let smss = self.smss();
        self.cc.set_smss(smss);
    }

    /// [`Connection::set_send_mss`] for an IPv4 path MTU `mtu`, as an ICMP
    /// "fragmentation needed" message (type 3, code 4) reports it: the MTU
    /// less 20 octets of IPv4 header and 20 of TCP header.
    pub fn set_path_mtu(&mut self, mtu: u16) {
        self.set_send_mss(mtu.saturating_sub(IPV4_TCP_HEADERS));
    }

    /// Turns Nagle's algorithm (RFC 9293 §3.7.4) on or off, as
    /// `TCP_NODELAY` does. Turned off, a small segment Nagle was holding
    /// goes out at the next [`Connection::poll_transmit`].
    pub fn set_nagle(&mut self, on: bool) {
        self.config.nagle = on;
    }

    /// Turns keepalive probing on with `idle` of silence before the first
    /// probe (`TCP_KEEPIDLE`), keeping the interval and probe count already
    /// configured (or [`KeepAlive::default`]'s), or off with `None`. The
    /// keepalive timer starts over from `now` and unanswered probes are
    /// forgotten.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a zero `idle`; nothing changes.
    pub fn set_keepalive(&mut self, now: Instant, idle: Option<Duration>) -> Result<(), Error> {
        let keepalive = idle.map(|idle| KeepAlive {
            idle,
            ..self.config.keepalive.unwrap_or_default()
        });
        self.set_keepalive_config(now, keepalive)
    }

    /// [`Connection::set_keepalive`] with every keepalive parameter
    /// (`TCP_KEEPIDLE`, `TCP_KEEPINTVL` and `TCP_KEEPCNT` together).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a zero idle time or interval; nothing
    /// changes.
    pub fn set_keepalive_config(
        &mut self,
        now: Instant,
        keepalive: Option<KeepAlive>,
    ) -> Result<(), Error> {
        Config {
            keepalive,
            ..self.config
        }
        .validate()?;
        self.config.keepalive = keepalive;
        self.keepalive_sent = 0;
        self.keepalive_due = false;
        self.timers.cancel(Timer::KeepAlive);
        if let Some(ka) = keepalive
            && matches!(
                self.state,
                State::Established | State::CloseWait | State::FinWait2
            )
        {
            self.timers.set(Timer::KeepAlive, now + ka.idle);
        }
        Ok(())
    }

    /// Resizes the send buffer to `size` bytes (`SO_SNDBUF`), but never
    /// below the bytes it holds (queued and unacknowledged); returns the
    /// size it has now. Growing it lets a blocked writer continue: an
    /// [`Event::Writable`] follows if a [`Connection::send`] had found it
    /// full. This call allocates the new buffer.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for 0 or more than [`MAX_BUFFER`]; nothing
    /// changes.
    pub fn set_send_buffer(&mut self, size: usize) -> Result<usize, Error> {
        if !(1..=MAX_BUFFER).contains(&size) {
            return Err(Error::InvalidConfig);
        }
        let size = size.max(self.send_buf.len());
        if size != self.send_buf.capacity() {
            self.send_buf.resize(size);
        }
        if self.want_writable && self.send_buf.free() > 0 && self.state.can_send() {
            self.want_writable = false;
            self.events.push(Event::Writable);
        }
        Ok(size)
    }

    /// Resizes the receive buffer to `size` bytes (`SO_RCVBUF`), but never
    /// below what it holds (unread and out-of-order data) nor below the
    /// window already advertised, which must not shrink (RFC 9293 §3.8.6);
    /// returns the size it has now. A window grown enough to matter is
    /// announced at the next [`Connection::poll_transmit`]. This call
    /// allocates the new buffer.
    ///
    /// The window scale was fixed by the handshake from
    /// [`Config::recv_buffer`], so the window advertised stops at 65535
    /// shifted by it even when the buffer grows past that (the buffer then
    /// still holds what it accepted).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for 0 or more than [`MAX_BUFFER`]; nothing
    /// changes.
    pub fn set_recv_buffer(&mut self, size: usize) -> Result<usize, Error> {
        if !(1..=MAX_BUFFER).contains(&size) {
            return Err(Error::InvalidConfig);
        }
        let held_end = self
            .assembler
            .end()
            .unwrap_or(0)
            .max(self.rcv_adv)
            .max(self.rcv_nxt);
        let floor = usize::try_from(held_end.saturating_sub(self.rcv_read))
            .unwrap_or(MAX_BUFFER)
            .max(self.recv_buf.len());
        let size = size.max(floor);
        if size != self.recv_buf.capacity() {
            self.recv_buf.resize(size);
        }
        self.maybe_window_update();
        Ok(size)
    }
}
