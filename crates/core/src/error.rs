//! Error conventions shared by the layer crates.
//!
//! Every layer crate has its own small `Copy` error enum (no `String`, no
//! allocation) whose variants name the field that was wrong and, where it
//! matters, the byte offset within that layer's header. They all implement
//! [`LayerError`] so a dissector can say which layer failed without knowing
//! each crate's type. The two failure shapes every layer shares live here.

use core::fmt;

/// The protocol layer an error belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// Ethernet II.
    Ethernet,
    /// IEEE 802.1Q VLAN tag.
    Vlan,
    /// ARP (RFC 826).
    Arp,
    /// IPv4 (RFC 791).
    Ipv4,
    /// ICMPv4 (RFC 792).
    Icmpv4,
    /// UDP (RFC 768).
    Udp,
    /// TCP (RFC 9293).
    Tcp,
    /// DNS (RFC 1035).
    Dns,
}

impl Layer {
    /// Lower-case name, as a dissector prints it (Wireshark's protocol
    /// abbreviation).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Ethernet => "eth",
            Layer::Vlan => "vlan",
            Layer::Arp => "arp",
            Layer::Ipv4 => "ip",
            Layer::Icmpv4 => "icmp",
            Layer::Udp => "udp",
            Layer::Tcp => "tcp",
            Layer::Dns => "dns",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Implemented by every layer crate's error type.
pub trait LayerError: fmt::Display + fmt::Debug + Copy {
    /// The layer that reported the error.
    fn layer(&self) -> Layer;
}

/// Input shorter than a field or header requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated {
    /// Bytes the layer needed.
    pub needed: usize,
    /// Bytes that were there.
    pub available: usize,
}

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "truncated: needed {} bytes, got {}",
            self.needed, self.available
        )
    }
}

/// A caller's buffer too small to hold what a builder would write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// Bytes the builder needed.
    pub needed: usize,
    /// Bytes that were available.
    pub available: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "buffer too small: needed {} bytes, have {}",
            self.needed, self.available
        )
    }
}

impl core::error::Error for Truncated {}
impl core::error::Error for BufferTooSmall {}
