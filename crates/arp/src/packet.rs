//! The zero-copy packet view.

use core::fmt;
use core::net::Ipv4Addr;

use strata_ethernet::{EtherType, MacAddress};
use zerocopy::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{HardwareType, Operation, PACKET_LEN, ParseError};

/// The fields every ARP packet starts with, whatever its address sizes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Fixed {
    htype: U16,
    ptype: U16,
    hlen: u8,
    plen: u8,
    oper: U16,
}

/// A whole Ethernet/IPv4 ARP packet.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) htype: U16,
    pub(crate) ptype: U16,
    pub(crate) hlen: u8,
    pub(crate) plen: u8,
    pub(crate) oper: U16,
    pub(crate) sha: MacAddress,
    pub(crate) spa: [u8; 4],
    pub(crate) tha: MacAddress,
    pub(crate) tpa: [u8; 4],
}

/// Size of [`Fixed`].
const FIXED_LEN: usize = 8;

// Read only if a buffer's `as_ref` shrank after parsing; keeps accessors
// panic-free without a second error path.
static NO_HEADER: Header = Header {
    htype: U16::ZERO,
    ptype: U16::ZERO,
    hlen: 0,
    plen: 0,
    oper: U16::ZERO,
    sha: MacAddress::UNSPECIFIED,
    spa: [0; 4],
    tha: MacAddress::UNSPECIFIED,
    tpa: [0; 4],
};

/// An ARP packet for IPv4 over Ethernet, validated once by
/// [`Packet::parse`].
///
/// Only the Ethernet/IPv4 format is accepted (hardware type 1, protocol
/// type `0x0800`, address lengths 6 and 4): it is the only one an IPv4 host
/// on Ethernet uses, and fixing it makes every field a constant offset in a
/// 28-byte struct. Other formats are refused with an error naming the field
/// and the value found, which is all a dissector needs to label them.
/// Hardware type 6 (IEEE 802) is accepted as well, because Linux accepts
/// and some equipment sends it on Ethernet.
///
/// The opcode is not restricted: RARP (RFC 903) and InARP use the same
/// layout, and unknown opcodes are kept for the caller to ignore.
///
/// ```
/// use core::net::Ipv4Addr;
/// use strata_arp::{Operation, Packet};
/// // A Linux ARP reply, as captured by tcpdump (Ethernet header removed).
/// let bytes = [
///     0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x7e, 0xc6, 0x81, 0x95, 0x17, 0xdc,
///     0xc6, 0x12, 0x3c, 0x02, 0x96, 0xd2, 0xff, 0x98, 0x70, 0x87, 0xc6, 0x12, 0x3c, 0x01,
/// ];
/// let arp = Packet::parse(&bytes[..])?;
/// assert_eq!(arp.operation(), Operation::REPLY);
/// assert_eq!(arp.sender_ip(), Ipv4Addr::new(198, 18, 60, 2));
/// assert_eq!(arp.sender_mac().to_string(), "7e:c6:81:95:17:dc");
/// # Ok::<(), strata_arp::ParseError>(())
/// ```
#[derive(Clone)]
pub struct Packet<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that `buffer` starts with an Ethernet/IPv4 ARP packet. Bytes
    /// after the 28 of the packet (Ethernet padding) are allowed and
    /// ignored.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] if the 8 fixed bytes or the 28 bytes of the
    /// packet are not all there; [`ParseError::UnsupportedHardwareType`],
    /// [`ParseError::UnsupportedProtocolType`],
    /// [`ParseError::BadHardwareLength`] or
    /// [`ParseError::BadProtocolLength`] for another format.
    #[inline]
    pub fn parse(buffer: T) -> Result<Self, ParseError> {
        let bytes = buffer.as_ref();
        let available = bytes.len();
        let Ok((fixed, _)) = Fixed::ref_from_prefix(bytes) else {
            return Err(ParseError::Truncated {
                needed: FIXED_LEN,
                available,
            });
        };
        let htype = HardwareType(fixed.htype.get());
        if htype != HardwareType::ETHERNET && htype != HardwareType::IEEE802 {
            return Err(ParseError::UnsupportedHardwareType { found: htype });
        }
        let ptype = EtherType(fixed.ptype.get());
        if ptype != EtherType::IPV4 {
            return Err(ParseError::UnsupportedProtocolType { found: ptype });
        }
        if fixed.hlen != 6 {
            return Err(ParseError::BadHardwareLength { found: fixed.hlen });
        }
        if fixed.plen != 4 {
            return Err(ParseError::BadProtocolLength { found: fixed.plen });
        }
        if available < PACKET_LEN {
            return Err(ParseError::Truncated {
                needed: PACKET_LEN,
                available,
            });
        }
        Ok(Self { buffer })
    }

    #[inline]
    fn header(&self) -> &Header {
        Header::ref_from_prefix(self.buffer.as_ref()).map_or(&NO_HEADER, |(h, _)| h)
    }

    /// Hardware type: [`HardwareType::ETHERNET`] or, rarely,
    /// [`HardwareType::IEEE802`].
    #[inline]
    #[must_use]
    pub fn hardware_type(&self) -> HardwareType {
        HardwareType(self.header().htype.get())
    }

    /// Protocol type: always [`EtherType::IPV4`] in a parsed packet.
    #[inline]
    #[must_use]
    pub fn protocol_type(&self) -> EtherType {
        EtherType(self.header().ptype.get())
    }

    /// Hardware address length: always 6 in a parsed packet.
    #[inline]
    #[must_use]
    pub fn hardware_len(&self) -> u8 {
        self.header().hlen
    }

    /// Protocol address length: always 4 in a parsed packet.
    #[inline]
    #[must_use]
    pub fn protocol_len(&self) -> u8 {
        self.header().plen
    }

    /// The opcode.
    #[inline]
    #[must_use]
    pub fn operation(&self) -> Operation {
        Operation(self.header().oper.get())
    }

    /// Sender hardware address.
    #[inline]
    #[must_use]
    pub fn sender_mac(&self) -> MacAddress {
        self.header().sha
    }

    /// Sender protocol address.
    #[inline]
    #[must_use]
    pub fn sender_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.header().spa)
    }

    /// Target hardware address; zero in a request, whose whole point is
    /// that it is unknown.
    #[inline]
    #[must_use]
    pub fn target_mac(&self) -> MacAddress {
        self.header().tha
    }

    /// Target protocol address.
    #[inline]
    #[must_use]
    pub fn target_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.header().tpa)
    }

    /// The 28 bytes of the packet.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.buffer.as_ref().get(..PACKET_LEN).unwrap_or_default()
    }

    /// Bytes after the packet. ARP carries no payload, so this is whatever
    /// the link added: 18 bytes of padding when the packet arrived in a
    /// minimum-size Ethernet frame, nothing from a Linux veth or TAP.
    #[inline]
    #[must_use]
    pub fn padding(&self) -> &[u8] {
        self.buffer.as_ref().get(PACKET_LEN..).unwrap_or_default()
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    #[inline]
    fn header_mut(&mut self) -> Option<&mut Header> {
        Header::mut_from_prefix(self.buffer.as_mut())
            .ok()
            .map(|(h, _)| h)
    }

    /// Sets the opcode.
    #[inline]
    pub fn set_operation(&mut self, operation: Operation) {
        if let Some(h) = self.header_mut() {
            h.oper.set(operation.0);
        }
    }

    /// Sets the sender hardware address.
    #[inline]
    pub fn set_sender_mac(&mut self, mac: MacAddress) {
        if let Some(h) = self.header_mut() {
            h.sha = mac;
        }
    }

    /// Sets the sender protocol address.
    #[inline]
    pub fn set_sender_ip(&mut self, ip: Ipv4Addr) {
        if let Some(h) = self.header_mut() {
            h.spa = ip.octets();
        }
    }

    /// Sets the target hardware address.
    #[inline]
    pub fn set_target_mac(&mut self, mac: MacAddress) {
        if let Some(h) = self.header_mut() {
            h.tha = mac;
        }
    }

    /// Sets the target protocol address.
    #[inline]
    pub fn set_target_ip(&mut self, ip: Ipv4Addr) {
        if let Some(h) = self.header_mut() {
            h.tpa = ip.octets();
        }
    }
}

impl<T: AsRef<[u8]>> fmt::Debug for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("hardware_type", &self.hardware_type())
            .field("operation", &self.operation())
            .field("sender_mac", &self.sender_mac())
            .field("sender_ip", &self.sender_ip())
            .field("target_mac", &self.target_mac())
            .field("target_ip", &self.target_ip())
            .finish()
    }
}
