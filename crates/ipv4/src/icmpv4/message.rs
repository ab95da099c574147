//! A zero-copy view of an ICMPv4 message.

use core::fmt;
use core::net::Ipv4Addr;

use strata_core::checksum::{Checksum, checksum};
use zerocopy::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::error::ParseError;
use super::types::IcmpType;
use crate::packet::Packet;

/// Length of the ICMP header: type, code, checksum, rest of header.
pub const HEADER_LEN: usize = 8;

/// The common ICMP header (RFC 792).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct IcmpHeader {
    pub(crate) icmp_type: u8,
    pub(crate) code: u8,
    pub(crate) checksum: U16,
    /// Meaning depends on the type: identifier and sequence number, unused
    /// and next-hop MTU, gateway address, pointer.
    pub(crate) rest: [u8; 4],
}

static ZERO_HEADER: IcmpHeader = IcmpHeader {
    icmp_type: 0,
    code: 0,
    checksum: U16::ZERO,
    rest: [0; 4],
};

/// An ICMPv4 message over a buffer `T`: the whole IPv4 payload.
///
/// ICMP has no length field; the message is the whole buffer, and the
/// checksum covers all of it. [`Message::parse`] only checks that the
/// 8-byte header is there.
#[derive(Clone)]
pub struct Message<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Checks that `buffer` holds at least the 8-byte header.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] if it does not.
    #[inline]
    pub fn parse(buffer: T) -> Result<Self, ParseError> {
        let available = buffer.as_ref().len();
        if available < HEADER_LEN {
            return Err(ParseError::Truncated {
                needed: HEADER_LEN,
                available,
            });
        }
        Ok(Self { buffer })
    }

    /// [`parse`](Message::parse), then checks the checksum.
    ///
    /// # Errors
    /// As `parse`, and [`ParseError::BadChecksum`].
    #[inline]
    pub fn parse_verified(buffer: T) -> Result<Self, ParseError> {
        let message = Self::parse(buffer)?;
        if !message.verify_checksum() {
            let bytes = message.buffer.as_ref();
            let mut c = Checksum::new();
            c.add_bytes(bytes.get(..2).unwrap_or_default());
            c.add_bytes(bytes.get(4..).unwrap_or_default());
            return Err(ParseError::BadChecksum {
                found: message.checksum(),
                computed: c.finish(),
            });
        }
        Ok(message)
    }

    #[inline]
    fn header(&self) -> &IcmpHeader {
        match IcmpHeader::ref_from_prefix(self.buffer.as_ref()) {
            Ok((header, _)) => header,
            Err(_) => &ZERO_HEADER,
        }
    }

    /// The message type.
    #[inline]
    #[must_use]
    pub fn icmp_type(&self) -> IcmpType {
        IcmpType(self.header().icmp_type)
    }

    /// The code, whose meaning depends on the type.
    #[inline]
    #[must_use]
    pub fn code(&self) -> u8 {
        self.header().code
    }

    /// The checksum field as received.
    #[inline]
    #[must_use]
    pub fn checksum(&self) -> u16 {
        self.header().checksum.get()
    }

    /// Bytes 4..8 of the header, whose meaning depends on the type.
    #[inline]
    #[must_use]
    pub fn rest_of_header(&self) -> [u8; 4] {
        self.header().rest
    }

    /// Bytes 4..6 as a number: the identifier of echo, timestamp,
    /// information and address mask messages.
    #[inline]
    #[must_use]
    pub fn identifier(&self) -> u16 {
        let [a, b, _, _] = self.header().rest;
        u16::from_be_bytes([a, b])
    }

    /// Bytes 6..8 as a number: the sequence number of echo, timestamp,
    /// information and address mask messages.
    #[inline]
    #[must_use]
    pub fn sequence(&self) -> u16 {
        let [_, _, a, b] = self.header().rest;
        u16::from_be_bytes([a, b])
    }

    /// Bytes 6..8 as a number: the next-hop MTU of a "fragmentation needed"
    /// Destination Unreachable (RFC 1191); zero from routers that predate it.
    #[inline]
    #[must_use]
    pub fn next_hop_mtu(&self) -> u16 {
        self.sequence()
    }

    /// Byte 4: the pointer of a Parameter Problem message, the offset of the
    /// offending byte in the quoted header.
    #[inline]
    #[must_use]
    pub fn pointer(&self) -> u8 {
        let [p, _, _, _] = self.header().rest;
        p
    }

    /// Bytes 4..8 as an address: the gateway of a Redirect message.
    #[inline]
    #[must_use]
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.header().rest)
    }

    /// The 8-byte header.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.buffer.as_ref().get(..HEADER_LEN).unwrap_or_default()
    }

    /// Everything after the 8-byte header: echo data, or for error messages
    /// the quoted original datagram.
    #[inline]
    #[must_use]
    pub fn data(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or_default()
    }

    /// Same as [`data`](Message::data), under the name the other layers use.
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.data()
    }

    /// The whole message.
    #[inline]
    #[must_use]
    pub fn message_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Parses the data of an error message (see [`IcmpType::is_error`]) as
    /// the quoted original datagram, leniently about its total length, so
    /// the caller can read the original addresses, protocol, and the first
    /// 8 bytes of its payload (the ports of TCP or UDP).
    ///
    /// # Errors
    /// The IPv4 [`crate::ParseError`] if the data does not start with a
    /// complete, well-formed IPv4 header.
    #[inline]
    pub fn quoted_packet(&self) -> Result<Packet<&[u8]>, crate::ParseError> {
        Packet::parse_quoted(self.data())
    }

    /// Whether the checksum over the whole message verifies.
    #[inline]
    #[must_use]
    pub fn verify_checksum(&self) -> bool {
        checksum(self.buffer.as_ref()) == 0
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Message<T> {
    #[inline]
    fn with_header(&mut self, f: impl FnOnce(&mut IcmpHeader)) {
        if let Ok((header, _)) = IcmpHeader::mut_from_prefix(self.buffer.as_mut()) {
            f(header);
        }
    }

    /// Sets the type.
    #[inline]
    pub fn set_icmp_type(&mut self, icmp_type: IcmpType) {
        self.with_header(|h| h.icmp_type = icmp_type.0);
    }

    /// Sets the code.
    #[inline]
    pub fn set_code(&mut self, code: u8) {
        self.with_header(|h| h.code = code);
    }

    /// Sets the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        self.with_header(|h| h.checksum.set(checksum));
    }

    /// Sets bytes 4..8 of the header.
    #[inline]
    pub fn set_rest_of_header(&mut self, rest: [u8; 4]) {
        self.with_header(|h| h.rest = rest);
    }

    /// Sets bytes 4..6 (echo identifier).
    #[inline]
    pub fn set_identifier(&mut self, identifier: u16) {
        self.with_header(|h| {
            let [a, b] = identifier.to_be_bytes();
            let [_, _, c, d] = h.rest;
            h.rest = [a, b, c, d];
        });
    }

    /// Sets bytes 6..8 (echo sequence number, next-hop MTU).
    #[inline]
    pub fn set_sequence(&mut self, sequence: u16) {
        self.with_header(|h| {
            let [c, d] = sequence.to_be_bytes();
            let [a, b, _, _] = h.rest;
            h.rest = [a, b, c, d];
        });
    }

    /// The data after the header, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        self.buffer
            .as_mut()
            .get_mut(HEADER_LEN..)
            .unwrap_or_default()
    }

    /// Recomputes and stores the checksum over the whole message.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum(self.buffer.as_ref());
        self.set_checksum(c);
    }
}

impl<T: AsRef<[u8]>> fmt::Debug for Message<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("icmp_type", &self.icmp_type())
            .field("code", &self.code())
            .field("checksum", &self.checksum())
            .field("rest_of_header", &self.rest_of_header())
            .field("data_len", &self.data().len())
            .finish()
    }
}
