//! The owned packet description and its builders.

use core::fmt;
use core::net::Ipv4Addr;

use strata_core::buffer::PacketBuf;
use strata_ethernet::{EtherType, MacAddress};
use zerocopy::FromBytes;

use crate::packet::Header;
use crate::{EmitError, HardwareType, Operation, PACKET_LEN, Packet, ParseError};

/// An Ethernet/IPv4 ARP packet as plain values.
///
/// The format fields are implied: [`Repr::emit`] always writes hardware
/// type 1, protocol type `0x0800` and lengths 6 and 4, so a packet received
/// with hardware type 6 is answered with 1, as Linux does.
///
/// ```
/// use core::net::Ipv4Addr;
/// use strata_arp::{Operation, Packet, Repr};
/// use strata_ethernet::MacAddress;
///
/// let theirs: MacAddress = "96:d2:ff:98:70:87".parse()?;
/// let ours: MacAddress = "7e:c6:81:95:17:dc".parse()?;
/// let request = Repr::request(theirs, Ipv4Addr::new(198, 18, 60, 1), Ipv4Addr::new(198, 18, 60, 2));
/// let reply = Repr::reply_to(&request, ours);
/// assert_eq!(reply.operation, Operation::REPLY);
/// assert_eq!((reply.target_mac, reply.sender_ip), (theirs, request.target_ip));
///
/// let mut buf = [0u8; 28];
/// reply.emit(&mut buf)?;
/// assert_eq!(Repr::parse(&Packet::parse(&buf[..])?)?, reply);
/// assert_eq!(reply.to_string(), "198.18.60.2 is-at 7e:c6:81:95:17:dc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repr {
    /// The opcode.
    pub operation: Operation,
    /// Sender hardware address.
    pub sender_mac: MacAddress,
    /// Sender protocol address.
    pub sender_ip: Ipv4Addr,
    /// Target hardware address (zero when unknown, as in a request).
    pub target_mac: MacAddress,
    /// Target protocol address.
    pub target_ip: Ipv4Addr,
}

impl Repr {
    /// "Who has `target_ip`? Tell `sender_ip`." The target hardware address
    /// is left zero, as Linux sends it; the frame goes to broadcast.
    #[must_use]
    pub const fn request(sender_mac: MacAddress, sender_ip: Ipv4Addr, target_ip: Ipv4Addr) -> Self {
        Self {
            operation: Operation::REQUEST,
            sender_mac,
            sender_ip,
            target_mac: MacAddress::UNSPECIFIED,
            target_ip,
        }
    }

    /// The reply to `request` from the host that owns its target address
    /// and has hardware address `our_mac` (RFC 826: swap sender and target,
    /// fill in our address, set the opcode to reply). It goes unicast to
    /// `request.sender_mac`.
    ///
    /// Deciding whether to answer (is `request.target_ip` ours? is it a
    /// request at all?) is the caller's job; this only builds the packet.
    #[must_use]
    pub const fn reply_to(request: &Repr, our_mac: MacAddress) -> Self {
        Self {
            operation: Operation::REPLY,
            sender_mac: our_mac,
            sender_ip: request.target_ip,
            target_mac: request.sender_mac,
            target_ip: request.sender_ip,
        }
    }

    /// An RFC 5227 ARP announcement: a broadcast request whose sender and
    /// target protocol addresses are both the address being claimed, so
    /// every neighbour updates its cache. Linux sends this form for
    /// `arp_notify` and `arping -U`.
    #[must_use]
    pub const fn gratuitous(mac: MacAddress, ip: Ipv4Addr) -> Self {
        Self::request(mac, ip, ip)
    }

    /// An RFC 5227 ARP probe: "is anyone using `ip`?", asked with sender
    /// protocol address 0.0.0.0 so no neighbour caches the asker.
    #[must_use]
    pub const fn probe(mac: MacAddress, ip: Ipv4Addr) -> Self {
        Self::request(mac, Ipv4Addr::UNSPECIFIED, ip)
    }

    /// The sender announces its own address (sender and target protocol
    /// address equal and not 0.0.0.0), whether sent as a request (RFC 5227
    /// announcement) or as a reply (the older gratuitous reply).
    #[must_use]
    pub const fn is_gratuitous(&self) -> bool {
        self.sender_ip.to_bits() == self.target_ip.to_bits() && !self.sender_ip.is_unspecified()
    }

    /// An RFC 5227 probe: a request from 0.0.0.0. Such a packet must not
    /// create a cache entry for the sender.
    #[must_use]
    pub const fn is_probe(&self) -> bool {
        self.operation.0 == Operation::REQUEST.0 && self.sender_ip.is_unspecified()
    }

    /// Reads a parsed packet.
    ///
    /// # Errors
    /// None today: every parsed packet has a `Repr`. The `Result` keeps the
    /// signature uniform with the other layers.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, ParseError> {
        Ok(Self {
            operation: packet.operation(),
            sender_mac: packet.sender_mac(),
            sender_ip: packet.sender_ip(),
            target_mac: packet.target_mac(),
            target_ip: packet.target_ip(),
        })
    }

    /// Bytes the packet takes: always 28.
    #[inline]
    #[must_use]
    pub const fn header_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the packet into `buf[..28]`. ARP has no payload: anything
    /// after those 28 bytes (padding, say) is left untouched.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if `buf` is shorter than 28 bytes; it
    /// is unchanged then.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), EmitError> {
        let available = buf.len();
        let Ok((h, _)) = Header::mut_from_prefix(buf) else {
            return Err(EmitError::BufferTooSmall {
                needed: PACKET_LEN,
                available,
            });
        };
        // Stored field by field: building a `Header` value and copying it
        // out stalls on store forwarding and is several times slower.
        h.htype.set(HardwareType::ETHERNET.0);
        h.ptype.set(EtherType::IPV4.0);
        h.hlen = 6;
        h.plen = 4;
        h.oper.set(self.operation.0);
        h.sha = self.sender_mac;
        h.spa = self.sender_ip.octets();
        h.tha = self.target_mac;
        h.tpa = self.target_ip.octets();
        Ok(())
    }

    /// Claims 28 bytes of headroom in front of the packet's contents
    /// (normally empty) and writes the packet there, ready for the Ethernet
    /// header to be prepended in turn.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if the headroom is short; the packet is
    /// unchanged then.
    #[inline]
    pub fn prepend<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
    ) -> Result<(), EmitError> {
        let out = pkt.prepend(PACKET_LEN)?;
        self.emit(out)
    }
}

impl fmt::Display for Repr {
    /// The one-line summary tcpdump prints, so logs read like captures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Operation::REQUEST => write!(f, "who-has {} tell {}", self.target_ip, self.sender_ip),
            Operation::REPLY => write!(f, "{} is-at {}", self.sender_ip, self.sender_mac),
            op => write!(
                f,
                "{op} from {} ({}) to {} ({})",
                self.sender_ip, self.sender_mac, self.target_ip, self.target_mac
            ),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Repr {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            operation: u.arbitrary()?,
            sender_mac: u.arbitrary()?,
            sender_ip: Ipv4Addr::from(u.arbitrary::<[u8; 4]>()?),
            target_mac: u.arbitrary()?,
            target_ip: Ipv4Addr::from(u.arbitrary::<[u8; 4]>()?),
        })
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (26, Some(26))
    }
}
