//! ICMP the host generates: echo replies and error messages, and the token
//! bucket that limits how many errors it sends.

use core::net::Ipv4Addr;

use strata_core::time::{Duration, Instant};
use strata_ipv4::icmpv4::{self, Repr as IcmpRepr};
use strata_ipv4::{HEADER_LEN as IPV4_HEADER_LEN, Protocol, Repr as Ipv4Repr};

/// Largest ICMP error datagram: RFC 1812 4.3.2.3 lets the quote grow until
/// the whole error is 576 bytes, the size every host must accept.
pub(crate) const MAX_ERROR_DATAGRAM: usize = 576;

/// A token bucket (RFC 1812 4.3.2.8 asks for rate limiting of generated
/// errors; Linux uses the same shape): up to `burst` tokens, one more every
/// `interval`.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    burst: u32,
    tokens: u32,
    interval: Duration,
    last_refill: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(burst: u32, interval: Duration) -> Self {
        Self {
            burst,
            tokens: burst,
            interval,
            last_refill: Instant::ZERO,
        }
    }

    /// Takes a token if one is left after refilling up to `now`.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }

    fn refill(&mut self, now: Instant) {
        let interval = self.interval.total_micros();
        if interval == 0 {
            self.tokens = self.burst;
            self.last_refill = now;
            return;
        }
        let elapsed = now
            .saturating_duration_since(self.last_refill)
            .total_micros();
        let earned = elapsed / interval;
        if earned == 0 {
            return;
        }
        let earned32 = u32::try_from(earned).unwrap_or(u32::MAX);
        self.tokens = self.tokens.saturating_add(earned32).min(self.burst);
        // Keep the remainder so a steady trickle is not rounded away.
        self.last_refill += Duration::from_micros(earned.saturating_mul(interval));
        if self.tokens == self.burst {
            self.last_refill = now;
        }
    }
}

/// Whether a received datagram may be answered with an ICMP error
/// (RFC 1122 3.2.2, RFC 1812 4.3.2.7): never about an ICMP error, never
/// about a non-first fragment, never to or from a broadcast or multicast
/// address, never to an address that does not name one host.
pub(crate) fn may_send_error(
    src: Ipv4Addr,
    dst_is_broadcast: bool,
    dst: Ipv4Addr,
    protocol: Protocol,
    fragment_offset: u16,
    transport: &[u8],
) -> bool {
    if dst_is_broadcast || dst.is_multicast() || dst.is_broadcast() {
        return false;
    }
    if src.is_broadcast() || src.is_multicast() || src.is_unspecified() || src.is_loopback() {
        return false;
    }
    if fragment_offset != 0 {
        return false;
    }
    if protocol == Protocol::ICMP {
        // An error about an error could loop forever; a query (echo) is
        // fine to answer.
        match transport.first() {
            Some(&t) => !icmpv4::IcmpType(t).is_error(),
            None => false,
        }
    } else {
        true
    }
}

/// Builds a whole IPv4 datagram carrying an ICMP message: header, ICMP
/// header, then `parts` concatenated as the ICMP data, truncated so the
/// datagram is at most `max_len` bytes.
pub(crate) fn build_icmp_datagram(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    identification: u16,
    ttl: u8,
    message: &IcmpRepr,
    parts: &[&[u8]],
    max_len: usize,
) -> Option<Vec<u8>> {
    let room = max_len.checked_sub(IPV4_HEADER_LEN + icmpv4::HEADER_LEN)?;
    let data_len = parts.iter().map(|p| p.len()).sum::<usize>().min(room);
    let icmp_len = icmpv4::HEADER_LEN + data_len;
    let mut ip = Ipv4Repr::new(src, dst, Protocol::ICMP, icmp_len);
    ip.identification = identification;
    ip.ttl = ttl;
    let mut out = vec![0u8; IPV4_HEADER_LEN + icmp_len];
    {
        let data = out.get_mut(IPV4_HEADER_LEN + icmpv4::HEADER_LEN..)?;
        let mut filled = 0;
        for part in parts {
            let rest = data.get_mut(filled..)?;
            let take = part.len().min(rest.len());
            rest.get_mut(..take)?.copy_from_slice(part.get(..take)?);
            filled += take;
        }
    }
    message.emit(out.get_mut(IPV4_HEADER_LEN..)?).ok()?;
    ip.emit(&mut out).ok()?;
    Some(out)
}

/// An ICMP error about a datagram whose header is `header_bytes` and whose
/// payload starts with `payload`, sent from `src` back to the datagram's
/// source. The quote is as long as RFC 1812 allows within 576 bytes.
pub(crate) fn build_error(
    src: Ipv4Addr,
    to: Ipv4Addr,
    identification: u16,
    message: &IcmpRepr,
    header_bytes: &[u8],
    payload: &[u8],
) -> Option<Vec<u8>> {
    build_icmp_datagram(
        src,
        to,
        identification,
        Ipv4Repr::DEFAULT_TTL,
        message,
        &[header_bytes, payload],
        MAX_ERROR_DATAGRAM,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_ipv4::Packet;
    use strata_ipv4::icmpv4::{Message, UnreachableCode};

    const A: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
    const B: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

    #[test]
    fn bucket_allows_burst_then_refills_one_per_interval() {
        let mut bucket = TokenBucket::new(3, Duration::from_millis(100));
        let t0 = Instant::from_millis(1000);
        assert!(bucket.take(t0));
        assert!(bucket.take(t0));
        assert!(bucket.take(t0));
        assert!(!bucket.take(t0));
        assert!(!bucket.take(t0 + Duration::from_millis(99)));
        assert!(bucket.take(t0 + Duration::from_millis(100)));
        assert!(!bucket.take(t0 + Duration::from_millis(150)));
        assert!(bucket.take(t0 + Duration::from_millis(200)));
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.take(later));
        }
        assert!(!bucket.take(later));
    }

    #[test]
    fn error_quotes_header_and_payload_within_576_bytes() {
        let mut offending = Ipv4Repr::new(B, A, Protocol::UDP, 1000);
        offending.identification = 77;
        let mut header = [0u8; 20 + 1000];
        for (i, b) in header[20..].iter_mut().enumerate() {
            *b = i as u8;
        }
        offending.emit(&mut header).unwrap();
        let message = IcmpRepr::DestinationUnreachable {
            code: UnreachableCode::PORT,
            next_hop_mtu: 0,
        };
        let out = build_error(A, B, 9, &message, &header[..20], &header[20..]).unwrap();
        assert_eq!(out.len(), MAX_ERROR_DATAGRAM);
        let packet = Packet::parse_verified(&out[..]).unwrap();
        assert_eq!((packet.src(), packet.dst()), (A, B));
        assert_eq!(packet.protocol(), Protocol::ICMP);
        let icmp = Message::parse_verified(packet.payload()).unwrap();
        assert_eq!(IcmpRepr::parse(&icmp).unwrap(), message);
        let quoted = icmp.quoted_packet().unwrap();
        assert_eq!(quoted.identification(), 77);
        assert_eq!(quoted.payload(), &header[20..20 + 576 - 48]);
    }

    #[test]
    fn errors_are_not_sent_about_errors_broadcasts_or_later_fragments() {
        let udp = [0u8; 8];
        assert!(may_send_error(B, false, A, Protocol::UDP, 0, &udp));
        assert!(!may_send_error(B, true, A, Protocol::UDP, 0, &udp));
        assert!(!may_send_error(
            B,
            false,
            Ipv4Addr::BROADCAST,
            Protocol::UDP,
            0,
            &udp
        ));
        assert!(!may_send_error(
            Ipv4Addr::BROADCAST,
            false,
            A,
            Protocol::UDP,
            0,
            &udp
        ));
        assert!(!may_send_error(B, false, A, Protocol::UDP, 5, &udp));
        // Port unreachable (type 3) is an error: no answer. Echo (8) is a query.
        assert!(!may_send_error(B, false, A, Protocol::ICMP, 0, &[3, 3]));
        assert!(may_send_error(B, false, A, Protocol::ICMP, 0, &[8, 0]));
        assert!(!may_send_error(B, false, A, Protocol::ICMP, 0, &[]));
    }
}
