//! Counters the interface keeps: what came in, what went out, and why
//! anything was dropped.

/// Frame and datagram counters of one [`Interface`](super::Interface).
///
/// Each received frame ends in exactly one of: handed to the ARP cache
/// (`rx_arp`), accepted as IPv4 for this host (`rx_ipv4`), or one of the
/// frame-level drops; [`InterfaceStats::rx_frames_accounted`] sums those
/// and always equals `rx_frames`. An accepted IPv4 datagram is then counted
/// once more by where it went (reassembler, TCP, UDP, ICMP) or why it was
/// dropped there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceStats {
    /// Frames received from the device.
    pub rx_frames: u64,
    /// Bytes of those frames (Ethernet header included).
    pub rx_bytes: u64,
    /// Frames handed to the device.
    pub tx_frames: u64,
    /// Bytes of those frames.
    pub tx_bytes: u64,
    /// ARP packets handed to the cache.
    pub rx_arp: u64,
    /// IPv4 datagrams (or fragments) accepted for this host.
    pub rx_ipv4: u64,
    /// Fragments handed to the reassembler.
    pub rx_fragments: u64,
    /// Datagrams the reassembler completed.
    pub rx_reassembled: u64,
    /// TCP segments handed to the sockets.
    pub rx_tcp: u64,
    /// UDP datagrams delivered to a socket.
    pub rx_udp: u64,
    /// ICMP messages received and handled.
    pub rx_icmp: u64,
    /// ICMP errors that were passed on to the sockets.
    pub rx_icmp_errors: u64,
    /// Echo requests answered.
    pub echo_replies_sent: u64,
    /// ICMP error messages this host generated and queued.
    pub icmp_errors_sent: u64,
    /// Dropped: malformed Ethernet header, or a frame too short.
    pub rx_drop_malformed_frame: u64,
    /// Dropped: addressed to another MAC (neither ours nor broadcast).
    pub rx_drop_other_mac: u64,
    /// Dropped: carries a VLAN tag (this interface is untagged only).
    pub rx_drop_vlan: u64,
    /// Dropped: an EtherType other than IPv4 or ARP.
    pub rx_drop_ethertype: u64,
    /// Dropped: an ARP packet that does not parse (not Ethernet/IPv4).
    pub rx_drop_malformed_arp: u64,
    /// Dropped: an IPv4 header that does not parse.
    pub rx_drop_malformed_ipv4: u64,
    /// Dropped: IPv4 header checksum mismatch.
    pub rx_drop_ipv4_checksum: u64,
    /// Dropped: addressed to an IPv4 address that is not ours (a host does
    /// not forward), or anything at all while the address is still being
    /// probed or was found in use elsewhere.
    pub rx_drop_other_ip: u64,
    /// Dropped: a source address no host may use (broadcast, multicast,
    /// loopback, or one of ours arriving from outside), or a loopback
    /// destination (127.0.0.0/8) arriving from outside.
    pub rx_drop_martian: u64,
    /// Dropped by the reassembler (overlap, caps, malformed fragment).
    pub rx_drop_reassembly: u64,
    /// Reassemblies abandoned because their timer ran out.
    pub reassembly_timeouts: u64,
    /// Dropped: a TCP, UDP or ICMP message that does not parse.
    pub rx_drop_malformed_transport: u64,
    /// Dropped: a TCP, UDP or ICMP checksum mismatch.
    pub rx_drop_transport_checksum: u64,
    /// Dropped: a UDP datagram for a port nobody listens on (answered with
    /// port unreachable unless it was broadcast or rate-limited).
    pub rx_drop_udp_no_socket: u64,
    /// Dropped: a UDP socket's receive queue was full.
    pub rx_drop_udp_queue_full: u64,
    /// Dropped: a transport protocol this host does not speak (answered
    /// with protocol unreachable).
    pub rx_drop_protocol: u64,
    /// Dropped: TCP to a broadcast address.
    pub rx_drop_broadcast_tcp: u64,
    /// Dropped: an ICMP message of no interest (unknown type, an error
    /// quoting something that is not ours, an unsolicited echo reply).
    pub rx_drop_icmp_ignored: u64,
    /// ICMP errors not sent because the token bucket was empty.
    pub icmp_rate_limited: u64,
    /// Outgoing datagrams with no route to their destination.
    pub tx_drop_no_route: u64,
    /// Outgoing datagrams refused by the ARP queue of a pending neighbour.
    pub tx_drop_arp_queue_full: u64,
    /// Outgoing datagrams to a neighbour ARP could not resolve (including
    /// those that were waiting in its queue).
    pub tx_drop_neighbour_unreachable: u64,
    /// Outgoing datagrams larger than the MTU with Don't Fragment set.
    pub tx_drop_too_big: u64,
    /// Outgoing datagrams dropped because the interface's own output queue
    /// (ICMP answers, fragments awaiting the device) was full.
    pub tx_drop_queue_full: u64,
    /// Outgoing datagrams that could not be built (a bug if ever non-zero).
    pub tx_drop_emit: u64,
    /// Outgoing datagrams held in the ARP queue while their next hop
    /// resolved.
    pub tx_arp_queued: u64,
    /// Fragments sent.
    pub tx_fragments: u64,
    /// Segments and datagrams the sockets wrote straight into the
    /// device's transmit buffer (at offset 34, no copy), whatever became
    /// of them then (sent, queued for ARP, dropped).
    pub tx_in_place: u64,
    /// Datagrams too large for the device's buffer, built in the
    /// interface's own 64 KiB buffer instead (to be fragmented).
    pub tx_via_scratch: u64,
    /// Times the device refused a frame because it was busy.
    pub tx_device_busy: u64,
    /// Times the device reported an error other than busy.
    pub tx_device_errors: u64,
    /// Datagrams this host addressed to itself (its own address or
    /// 127.0.0.0/8), queued for local delivery instead of the device.
    pub tx_local: u64,
    /// Looped-back datagrams received (then counted again by protocol:
    /// `rx_tcp`, `rx_udp`, `rx_icmp` ...; they are not frames, so not in
    /// `rx_frames` or `rx_ipv4`).
    pub rx_local: u64,
    /// Datagrams to this host itself dropped because the loopback queue
    /// was full.
    pub tx_drop_local_queue_full: u64,
    /// Times the address was found in use by another host while probing
    /// it (RFC 5227), so it was not used.
    pub address_conflicts: u64,
}

impl InterfaceStats {
    /// `rx_arp + rx_ipv4 +` every frame-level drop: equal to `rx_frames`.
    #[must_use]
    pub fn rx_frames_accounted(&self) -> u64 {
        self.rx_arp
            + self.rx_ipv4
            + self.rx_drop_malformed_frame
            + self.rx_drop_other_mac
            + self.rx_drop_vlan
            + self.rx_drop_ethertype
            + self.rx_drop_malformed_arp
            + self.rx_drop_malformed_ipv4
            + self.rx_drop_ipv4_checksum
            + self.rx_drop_other_ip
            + self.rx_drop_martian
    }
}
