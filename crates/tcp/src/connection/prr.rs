//! RFC 9937 Proportional Rate Reduction: how much a sender in SACK
//! recovery may send on each ACK.
//!
//! RFC 6675 alone sets `cwnd = ssthresh` on entering recovery and sends
//! whenever `pipe` is below it: silence for the first third of the
//! round trip (until `pipe` falls under the reduced window), then a
//! segment per segment delivered, and whatever `pipe` happens to be when
//! the recovery point is acknowledged is what the next round starts
//! from. Losses of retransmissions, ACK losses and stretch ACKs leave
//! that far below `ssthresh`, and the RFC 6582 exit rule
//! (`cwnd = min(ssthresh, FlightSize + SMSS)`) then keeps it there: a
//! slow start back up after every recovery. PRR spreads the reduction
//! over the round trip instead (`ssthresh / RecoverFS` sent per octet
//! delivered while `pipe` is above `ssthresh`), lets `pipe` grow back
//! towards `ssthresh` when it fell below (by slow start on ACKs that
//! advanced SND.UNA and showed no new loss, by what was delivered on the
//! others), and so ends recovery with about `ssthresh` in flight, where
//! `cwnd` is then set.
//!
//! The RFC computes `sndcnt` once per ACK; here the budget is evaluated
//! whenever the connection wants to send, with what went out since the
//! ACK taken off, which gives the same amounts without a pass over the
//! scoreboard per ACK.

/// PRR's state for one recovery episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prr {
    /// RecoverFS: octets outstanding when recovery began.
    recover_fs: u64,
    /// prr_delivered: octets the receiver got since recovery began.
    delivered: u64,
    /// prr_out: octets sent since recovery began.
    out: u64,
    /// DeliveredData of the latest ACK.
    last_delivered: u64,
    /// prr_out when the latest ACK arrived.
    out_at_ack: u64,
    /// The latest ACK advanced SND.UNA and showed no new loss (SafeACK):
    /// the slow-start reduction bound applies rather than the
    /// conservative one.
    safe: bool,
}

impl Prr {
    /// A recovery episode begins with `recover_fs` octets outstanding, of
    /// which `sacked` were already selectively acknowledged.
    ///
    /// Those count as delivered: outside recovery SACKed octets stay in
    /// the flight and clock nothing out, so they are the episode's first
    /// deliveries. Without them a recovery that RACK's reordering timer
    /// starts (no ACK arrives with it) may send the fast retransmit and
    /// nothing else for a round trip, though most of the window has left
    /// the network.
    pub(crate) fn start(recover_fs: u64, sacked: u64) -> Self {
        Prr {
            recover_fs,
            delivered: sacked,
            last_delivered: sacked,
            ..Prr::default()
        }
    }

    /// An ACK during recovery told of `delivered` octets newly received
    /// (cumulatively or selectively acknowledged for the first time).
    pub(crate) fn on_ack(&mut self, delivered: u64, safe: bool) {
        self.delivered = self.delivered.saturating_add(delivered);
        self.last_delivered = delivered;
        self.out_at_ack = self.out;
        self.safe = safe;
    }

    /// `n` octets were sent (new data or retransmitted) during recovery.
    pub(crate) fn on_send(&mut self, n: u64) {
        self.out = self.out.saturating_add(n);
    }

    /// Octets that may be sent now, `pipe` being in flight (RFC 6675) and
    /// `ssthresh` the window recovery reduces to.
    pub(crate) fn allowance(&self, pipe: u64, ssthresh: u64, smss: u64) -> u64 {
        let sent_since_ack = self.out.saturating_sub(self.out_at_ack);
        let count = if pipe > ssthresh {
            // Proportional part: CEIL(prr_delivered * ssthresh / RecoverFS)
            // - prr_out.
            let target = (u128::from(self.delivered) * u128::from(ssthresh))
                .div_ceil(u128::from(self.recover_fs.max(1)));
            u64::try_from(target)
                .unwrap_or(u64::MAX)
                .saturating_sub(self.out)
        } else {
            let limit = if self.safe {
                // PRR-SSRB: what was delivered and one segment more.
                self.delivered
                    .saturating_sub(self.out_at_ack)
                    .max(self.last_delivered)
                    .saturating_add(smss)
                    .saturating_sub(sent_since_ack)
            } else {
                // PRR-CRB: no more than was delivered.
                self.delivered.saturating_sub(self.out)
            };
            (ssthresh - pipe).min(limit)
        };
        if self.out == 0 {
            // The fast retransmit goes whatever the count says.
            count.max(smss)
        } else {
            count
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Prr;

    const MSS: u64 = 1000;

    #[test]
    fn first_retransmission_is_always_allowed() {
        let prr = Prr::start(10 * MSS, 0);
        assert_eq!(prr.allowance(10 * MSS, 7 * MSS, MSS), MSS);
    }

    #[test]
    fn proportional_while_pipe_is_above_ssthresh() {
        // Ten segments out, ssthresh seven: 0.7 segment per one delivered.
        let mut prr = Prr::start(10 * MSS, 0);
        prr.on_send(MSS);
        prr.on_ack(MSS, false);
        // ceil(1000 * 7000 / 10000) - 1000 = 0.
        assert_eq!(prr.allowance(9 * MSS, 7 * MSS, MSS), 0);
        prr.on_ack(MSS, false);
        // ceil(2000 * 0.7) - 1000 = 400: not a whole segment yet.
        assert_eq!(prr.allowance(8 * MSS, 7 * MSS, MSS), 400);
        prr.on_ack(MSS, false);
        assert_eq!(prr.allowance(8 * MSS, 7 * MSS, MSS), 1100);
        prr.on_send(MSS);
        assert_eq!(prr.allowance(9 * MSS, 7 * MSS, MSS), 100);
        // Over a whole window delivered, about ssthresh went out.
        let mut prr = Prr::start(10 * MSS, 0);
        let mut pipe = 10 * MSS;
        for _ in 0..10 {
            pipe -= MSS;
            prr.on_ack(MSS, false);
            while prr.allowance(pipe, 7 * MSS, MSS) >= MSS {
                prr.on_send(MSS);
                pipe += MSS;
            }
        }
        assert_eq!(prr.out, 7 * MSS);
        assert_eq!(pipe, 7 * MSS);
    }

    #[test]
    fn below_ssthresh_the_bound_depends_on_the_ack() {
        let mut prr = Prr::start(10 * MSS, 0);
        prr.on_send(MSS);
        // Pipe fell to three segments (losses), ssthresh seven.
        prr.on_ack(2 * MSS, false);
        // Conservative: what was delivered less what went out.
        assert_eq!(prr.allowance(3 * MSS, 7 * MSS, MSS), MSS);
        // Safe: slow start, delivered plus a segment.
        prr.on_ack(2 * MSS, true);
        assert_eq!(prr.allowance(3 * MSS, 7 * MSS, MSS), 4 * MSS);
        prr.on_send(2 * MSS);
        assert_eq!(prr.allowance(5 * MSS, 7 * MSS, MSS), 2 * MSS);
        prr.on_send(2 * MSS);
        // Never past ssthresh.
        assert_eq!(prr.allowance(7 * MSS, 7 * MSS, MSS), 0);
    }

    #[test]
    fn octets_sacked_before_recovery_count_as_delivered() {
        // Eight of ten segments SACKed when the timer declared the first
        // lost: the retransmission and the rest of ssthresh may go.
        let prr = Prr::start(10 * MSS, 8 * MSS);
        assert_eq!(prr.allowance(MSS, 7 * MSS, MSS), 6 * MSS);
        let prr = Prr::start(10 * MSS, 0);
        assert_eq!(prr.allowance(MSS, 7 * MSS, MSS), MSS);
    }
}
