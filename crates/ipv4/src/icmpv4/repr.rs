//! An owned, comparable description of an ICMPv4 header, and its builder.

use strata_core::buffer::PacketBuf;
use strata_core::checksum::checksum;

use super::error::{EmitError, ParseError};
use super::message::{HEADER_LEN, Message};
use super::types::{IcmpType, TimeExceededCode, UnreachableCode};

/// The header of an ICMPv4 message, decoded by type.
///
/// The message data (echo payload, quoted datagram) is not part of the
/// repr: like every layer's payload it stays in the buffer, and
/// [`emit`](Repr::emit) checksums it where it lies.
///
/// Decoding never loses information: a message whose header does not fit
/// the typed variant exactly (an echo with a non-zero code, a Time Exceeded
/// with a code other than 0 or 1, unused bytes that are not zero) decodes as
/// [`Repr::Other`] with its raw fields, so `emit` reproduces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repr {
    /// Echo Request (type 8, code 0), what `ping` sends.
    EchoRequest {
        /// Identifier, to match replies to requests.
        identifier: u16,
        /// Sequence number, to match replies to requests.
        sequence: u16,
    },
    /// Echo Reply (type 0, code 0).
    EchoReply {
        /// Identifier copied from the request.
        identifier: u16,
        /// Sequence number copied from the request.
        sequence: u16,
    },
    /// Destination Unreachable (type 3) with bytes 4..6 zero.
    DestinationUnreachable {
        /// Why the destination is unreachable.
        code: UnreachableCode,
        /// Bytes 6..8: the next-hop MTU for
        /// [`UnreachableCode::FRAGMENTATION_NEEDED`] (RFC 1191), otherwise
        /// unused and zero.
        next_hop_mtu: u16,
    },
    /// Time Exceeded (type 11), code 0 or 1, bytes 4..8 zero.
    TimeExceeded {
        /// Which time ran out.
        code: TimeExceededCode,
    },
    /// Any other message, kept raw.
    Other {
        /// The type.
        icmp_type: IcmpType,
        /// The code.
        code: u8,
        /// Bytes 4..8 of the header.
        rest_of_header: [u8; 4],
    },
}

impl Repr {
    /// Length of the ICMP header every message has.
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// Decodes the raw header fields into the most specific variant.
    #[must_use]
    pub const fn from_fields(icmp_type: IcmpType, code: u8, rest_of_header: [u8; 4]) -> Repr {
        let [a, b, c, d] = rest_of_header;
        let high = u16::from_be_bytes([a, b]);
        let low = u16::from_be_bytes([c, d]);
        match (icmp_type, code) {
            (IcmpType::ECHO_REQUEST, 0) => Repr::EchoRequest {
                identifier: high,
                sequence: low,
            },
            (IcmpType::ECHO_REPLY, 0) => Repr::EchoReply {
                identifier: high,
                sequence: low,
            },
            (IcmpType::DESTINATION_UNREACHABLE, _) if high == 0 => Repr::DestinationUnreachable {
                code: UnreachableCode(code),
                next_hop_mtu: low,
            },
            (IcmpType::TIME_EXCEEDED, _) if high == 0 && low == 0 => {
                match TimeExceededCode::from_code(code) {
                    Some(code) => Repr::TimeExceeded { code },
                    None => Repr::Other {
                        icmp_type,
                        code,
                        rest_of_header,
                    },
                }
            }
            _ => Repr::Other {
                icmp_type,
                code,
                rest_of_header,
            },
        }
    }

    /// Decodes a parsed message's header. The checksum is not checked here;
    /// use [`Message::parse_verified`] for that.
    ///
    /// # Errors
    /// None today: every header decodes to some variant. The `Result` keeps
    /// the signature the other layers share.
    pub fn parse<T: AsRef<[u8]>>(message: &Message<T>) -> Result<Repr, ParseError> {
        Ok(Repr::from_fields(
            message.icmp_type(),
            message.code(),
            message.rest_of_header(),
        ))
    }

    /// The type field.
    #[must_use]
    pub const fn icmp_type(&self) -> IcmpType {
        match self {
            Repr::EchoRequest { .. } => IcmpType::ECHO_REQUEST,
            Repr::EchoReply { .. } => IcmpType::ECHO_REPLY,
            Repr::DestinationUnreachable { .. } => IcmpType::DESTINATION_UNREACHABLE,
            Repr::TimeExceeded { .. } => IcmpType::TIME_EXCEEDED,
            Repr::Other { icmp_type, .. } => *icmp_type,
        }
    }

    /// The code field.
    #[must_use]
    pub const fn code(&self) -> u8 {
        match self {
            Repr::EchoRequest { .. } | Repr::EchoReply { .. } => 0,
            Repr::DestinationUnreachable { code, .. } => code.0,
            Repr::TimeExceeded { code } => code.code(),
            Repr::Other { code, .. } => *code,
        }
    }

    /// Bytes 4..8 of the header.
    #[must_use]
    pub const fn rest_of_header(&self) -> [u8; 4] {
        let (high, low) = match self {
            Repr::EchoRequest {
                identifier,
                sequence,
            }
            | Repr::EchoReply {
                identifier,
                sequence,
            } => (*identifier, *sequence),
            Repr::DestinationUnreachable { next_hop_mtu, .. } => (0, *next_hop_mtu),
            Repr::TimeExceeded { .. } => (0, 0),
            Repr::Other { rest_of_header, .. } => return *rest_of_header,
        };
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        [a, b, c, d]
    }

    /// Header length in bytes; always 8.
    #[inline]
    #[must_use]
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into `buf[..8]` and the checksum over all of `buf`,
    /// whose bytes after the header are the message data.
    fn write(&self, buf: &mut [u8]) {
        let [a, b, c, d] = self.rest_of_header();
        if let Some(header) = buf.get_mut(..HEADER_LEN) {
            header.copy_from_slice(&[self.icmp_type().0, self.code(), 0, 0, a, b, c, d]);
        }
        let sum = checksum(buf);
        if let Some(field) = buf.get_mut(2..4) {
            field.copy_from_slice(&sum.to_be_bytes());
        }
    }

    /// Writes the header into `buf`, which is the whole message: the data
    /// (echo payload, quoted datagram) is already in `buf[8..]`. The
    /// checksum covers all of `buf`.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if `buf` is shorter than 8 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), EmitError> {
        if buf.len() < HEADER_LEN {
            return Err(EmitError::BufferTooSmall {
                needed: HEADER_LEN,
                available: buf.len(),
            });
        }
        self.write(buf);
        Ok(())
    }

    /// Claims 8 bytes of headroom in front of the data in `pkt` and writes
    /// the header there; the message is then all of `pkt`.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if the headroom is short; `pkt` is then
    /// unchanged.
    pub fn prepend<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
    ) -> Result<(), EmitError> {
        pkt.prepend(HEADER_LEN)?;
        self.write(pkt.as_mut_slice());
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Repr {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // Raw fields go through `from_fields`, so an `Other` that a parser
        // would decode as a typed variant is never produced.
        Ok(match u.int_in_range(0..=4)? {
            0 => Repr::EchoRequest {
                identifier: u.arbitrary()?,
                sequence: u.arbitrary()?,
            },
            1 => Repr::EchoReply {
                identifier: u.arbitrary()?,
                sequence: u.arbitrary()?,
            },
            2 => Repr::DestinationUnreachable {
                code: u.arbitrary()?,
                next_hop_mtu: u.arbitrary()?,
            },
            3 => Repr::TimeExceeded {
                code: u.arbitrary()?,
            },
            _ => Repr::from_fields(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
        })
    }
}
