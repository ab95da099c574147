//! The network side: segments and datagrams in, ICMP errors, timers, and
//! what to transmit.

use std::net::{Ipv4Addr, SocketAddrV4};

use strata_core::time::Instant;
use strata_ipv4::Protocol;
use strata_tcp::connection::{State, reset_reply};
use strata_tcp::{Repr as TcpRepr, Segment};
use strata_udp::{Datagram, Repr as UdpRepr};

use crate::Sockets;
use crate::api::map_tcp_error;
use crate::error::Error;
use crate::table::{Handle, Owner, Proto, Received, slot_socket_mut};
use crate::types::{IcmpError, IcmpErrorKind, Transmit, TransmitPoll, UdpDelivery};

/// Whether `ip` can be one end of a connection (RFC 1122 §4.2.3.10).
fn unicast(ip: Ipv4Addr) -> bool {
    !(ip.is_broadcast() || ip.is_multicast() || ip.is_unspecified())
}

/// What an ICMP error means to a socket, if anything.
fn icmp_to_error(kind: IcmpErrorKind) -> Option<Error> {
    match kind {
        IcmpErrorKind::NetUnreachable => Some(Error::NetworkUnreachable),
        IcmpErrorKind::HostUnreachable
        | IcmpErrorKind::AdminProhibited
        | IcmpErrorKind::TimeExceeded => Some(Error::HostUnreachable),
        IcmpErrorKind::ProtocolUnreachable | IcmpErrorKind::PortUnreachable => {
            Some(Error::ConnectionRefused)
        }
        IcmpErrorKind::FragmentationNeeded { .. } | IcmpErrorKind::Other { .. } => None,
    }
}

impl Sockets {
    /// Takes a TCP segment addressed to us (checksum verified). It goes to
    /// the connection with its exact 4-tuple; else to the listener on
    /// (destination address, port), then on (0.0.0.0, port); else it is
    /// answered as in the CLOSED state (RFC 9293 §3.10.7.1: a reset, queued
    /// for `poll_transmit`). Cost: two or three hash lookups, whatever the
    /// number of sockets.
    pub fn handle_tcp(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        segment: &Segment<&[u8]>,
    ) {
        self.stats.tcp_segments_in += 1;
        let local = SocketAddrV4::new(dst, segment.dst_port());
        let remote = SocketAddrV4::new(src, segment.src_port());
        let known = self
            .recent_conn(local, remote)
            .or_else(|| self.conns.get(&(local, remote)).copied());
        if let Some(h) = known {
            self.last_conn = Some(h);
            if let Some(Proto::Tcp(c)) = self.sock_mut(h).map(|s| &mut s.proto) {
                c.handle_segment(now, src, dst, segment);
            }
            self.after_io(now, h);
            return;
        }
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, local.port());
        let listener = self
            .listeners
            .get(&local)
            .or_else(|| self.listeners.get(&any))
            .copied();
        if let Some(h) = listener {
            if let Some(Proto::Listener(l)) = self.sock_mut(h).map(|s| &mut s.proto) {
                l.handle_segment(now, src, dst, segment);
            }
            self.touch(h);
            return;
        }
        if !unicast(src) || !unicast(dst) || segment.src_port() == 0 {
            return;
        }
        let Ok(repr) = TcpRepr::parse(segment) else {
            return;
        };
        let Some(reply) = reset_reply(&repr) else {
            return;
        };
        if self.resets.len() >= self.config.reset_queue {
            self.stats.resets_dropped += 1;
            return;
        }
        self.resets.push_back((dst, src, reply));
    }

    /// The connection the previous segment went to, if this one is for it
    /// too: a bulk transfer's segments come in runs for one connection,
    /// and checking the hint costs less than hashing the 4-tuple. Valid
    /// only while the socket is live and still entered under exactly this
    /// 4-tuple, so the answer is always the one the map would give.
    fn recent_conn(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<Handle> {
        let h = self.last_conn?;
        let s = self.sock(h)?;
        match &s.proto {
            Proto::Tcp(c) if s.in_conns && c.local() == local && c.remote() == remote => Some(h),
            _ => None,
        }
    }

    /// Takes a UDP datagram addressed to us (checksum verified): to the
    /// resolver if it answers one of its queries, else to the socket bound
    /// to (destination address, port), then (0.0.0.0, port). A connected
    /// socket takes only datagrams from its peer.
    pub fn handle_udp(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        datagram: &Datagram<&[u8]>,
    ) -> UdpDelivery {
        self.stats.udp_datagrams_in += 1;
        let port = datagram.dst_port();
        let from = SocketAddrV4::new(src, datagram.src_port());
        if self.dns.takes(port, from) {
            self.dns_udp(now, from, port, datagram.payload());
            return UdpDelivery::Delivered;
        }
        let local = SocketAddrV4::new(dst, port);
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port);
        let Some(h) = self.udp.get(&local).or_else(|| self.udp.get(&any)).copied() else {
            self.stats.udp_no_socket += 1;
            return UdpDelivery::NoSocket;
        };
        let cap = self.config.udp_recv_queue;
        let Some(s) = self.sock_mut(h) else {
            return UdpDelivery::NoSocket;
        };
        if s.peer.is_some_and(|p| p != from) {
            self.stats.udp_no_socket += 1;
            return UdpDelivery::NoSocket;
        }
        let limit = s.opts.recv_buffer;
        let Proto::Udp(u) = &mut s.proto else {
            return UdpDelivery::NoSocket;
        };
        let data = datagram.payload();
        if u.recv.len() >= cap || u.recv_bytes.saturating_add(data.len()) > limit {
            u.dropped += 1;
            self.stats.udp_recv_dropped += 1;
            return UdpDelivery::QueueFull;
        }
        u.recv_bytes += data.len();
        u.recv.push_back(Received {
            from,
            data: data.to_vec(),
        });
        UdpDelivery::Delivered
    }

    /// Takes an ICMP error quoting one of our packets and hands it to the
    /// socket it concerns.
    ///
    /// - TCP, only if the quoted sequence number is in the connection's
    ///   unacknowledged range (RFC 5927): in SYN-SENT, unreachable errors
    ///   (network, host, protocol, port, prohibited) abort the connect
    ///   ([`Error::NetworkUnreachable`], [`Error::HostUnreachable`],
    ///   [`Error::ConnectionRefused`]); on other states they are soft: only
    ///   recorded, and reported if the connection then times out (RFC 1122
    ///   §4.2.3.9). "Fragmentation needed" lowers the connection's send
    ///   MSS to fit the reported MTU (RFC 1191; never below 536 bytes of
    ///   payload, see `strata_tcp::connection::MIN_PATH_MSS`), records it
    ///   ([`Sockets::path_mtu`]), and connections opened later to that
    ///   destination offer an MSS that fits.
    /// - UDP: a connected socket whose peer is the quoted destination gets
    ///   the error on its next call (port unreachable:
    ///   [`Error::ConnectionRefused`]); unconnected sockets ignore errors,
    ///   as BSD sockets do. A port or protocol unreachable about one of the
    ///   resolver's queries fails that try at once: the resolver asks the
    ///   next server, or with none left the lookup fails with
    ///   `ResolveError::Refused` instead of waiting for its timeout.
    pub fn handle_icmp_error(&mut self, now: Instant, error: &IcmpError) {
        match error.protocol {
            6 => self.icmp_tcp(now, error),
            17 => {
                if !self.dns_icmp(now, error) {
                    self.icmp_udp(error);
                }
            }
            _ => self.stats.icmp_ignored += 1,
        }
    }

    fn icmp_tcp(&mut self, now: Instant, error: &IcmpError) {
        let Some(&h) = self.conns.get(&(error.local, error.remote)) else {
            self.stats.icmp_ignored += 1;
            return;
        };
        let Some(s) = self.sock_mut(h) else {
            return;
        };
        let Proto::Tcp(c) = &mut s.proto else {
            return;
        };
        if let Some(seq) = error.tcp_seq {
            let una = c.snd_una();
            if seq.wrapping_sub(una) > c.snd_nxt().wrapping_sub(una) {
                self.stats.icmp_ignored += 1;
                return;
            }
        }
        s.last_icmp = Some(error.kind);
        if let IcmpErrorKind::FragmentationNeeded { mtu } = error.kind {
            if mtu >= 68 {
                let pmtu = s.pmtu.map_or(mtu, |p| p.min(mtu));
                s.pmtu = Some(pmtu);
                // RFC 1191: the connection's segments shrink at once, and
                // what was queued or lost goes out at the new size.
                c.set_path_mtu(pmtu);
                self.remember_pmtu(*error.remote.ip(), mtu);
            }
            self.stats.icmp_errors += 1;
            self.after_io(now, h);
            return;
        }
        let Some(mapped) = icmp_to_error(error.kind) else {
            self.stats.icmp_ignored += 1;
            return;
        };
        if c.state() == State::SynSent && error.kind != IcmpErrorKind::TimeExceeded {
            s.hard_error = Some(mapped);
            c.abort();
        } else {
            s.soft_error = Some(mapped);
        }
        self.stats.icmp_errors += 1;
        self.after_io(now, h);
    }

    /// Remembers a destination's path MTU for connections opened later
    /// (bounded: when full, the oldest knowledge is forgotten wholesale).
    fn remember_pmtu(&mut self, dst: Ipv4Addr, mtu: u16) {
        if self.pmtu.len() >= crate::table::PMTU_ENTRIES && !self.pmtu.contains_key(&dst) {
            self.pmtu.clear();
        }
        let entry = self.pmtu.entry(dst).or_insert(mtu);
        *entry = (*entry).min(mtu);
    }

    fn icmp_udp(&mut self, error: &IcmpError) {
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, error.local.port());
        let Some(h) = self
            .udp
            .get(&error.local)
            .or_else(|| self.udp.get(&any))
            .copied()
        else {
            self.stats.icmp_ignored += 1;
            return;
        };
        let Some(s) = self.sock_mut(h) else {
            return;
        };
        s.last_icmp = Some(error.kind);
        if let IcmpErrorKind::FragmentationNeeded { mtu } = error.kind {
            if mtu >= 68 {
                s.pmtu = Some(mtu);
            }
            self.stats.icmp_errors += 1;
            return;
        }
        match (s.peer, icmp_to_error(error.kind)) {
            (Some(peer), Some(e)) if peer == error.remote => {
                s.error = Some(e);
                self.stats.icmp_errors += 1;
            }
            _ => self.stats.icmp_ignored += 1,
        }
    }

    /// Address resolution for `ip` gave up: connections in SYN-SENT to it
    /// fail with [`Error::HostUnreachable`], and connected datagram
    /// sockets whose peer it is get that error on their next call. The
    /// host should call this with the destination of each packet the ARP
    /// cache dropped (a gateway's failure concerns destinations beyond
    /// it).
    pub fn neighbour_unreachable(&mut self, now: Instant, ip: Ipv4Addr) {
        let connecting: std::vec::Vec<Handle> = self.connecting.iter().copied().collect();
        for h in connecting {
            let Some(s) = self.sock_mut(h) else {
                continue;
            };
            if let Proto::Tcp(c) = &mut s.proto
                && c.state() == State::SynSent
                && *c.remote().ip() == ip
            {
                s.hard_error = Some(Error::HostUnreachable);
                c.abort();
                self.after_io(now, h);
            }
        }
        let mut udp: std::vec::Vec<Handle> = self.udp.values().copied().collect();
        udp.sort_unstable();
        for h in udp {
            if let Some(s) = self.sock_mut(h)
                && s.peer.is_some_and(|p| *p.ip() == ip)
            {
                s.error = Some(Error::HostUnreachable);
            }
        }
    }

    /// After a connection's state machine ran (segment, timer, application
    /// call): notices its failure or end, keeps the demux maps in step,
    /// feeds the resolver's streams, and queues it for polling.
    pub(crate) fn after_io(&mut self, now: Instant, h: Handle) {
        let Some(s) = self.sock_mut(h) else {
            return;
        };
        let mut unmap = None;
        let mut stop_connecting = false;
        if let Proto::Tcp(c) = &s.proto {
            let state = c.state();
            if s.connecting && state != State::SynSent {
                s.connecting = false;
                stop_connecting = true;
            }
            if state == State::Closed {
                if !s.close_seen {
                    s.close_seen = true;
                    if let Some(e) = c.error() {
                        let mapped = map_tcp_error(e, s);
                        if matches!(s.owner, Owner::User(_)) {
                            s.error = Some(mapped);
                        }
                    }
                }
                if s.in_conns {
                    s.in_conns = false;
                    unmap = Some((c.local(), c.remote()));
                }
            }
        }
        let resolver_stream = match s.owner {
            Owner::Resolver(stream) => Some(stream),
            _ => None,
        };
        if stop_connecting {
            self.connecting.remove(&h);
        }
        if let Some(key) = unmap
            && self.conns.get(&key) == Some(&h)
        {
            self.conns.remove(&key);
        }
        if let Some(stream) = resolver_stream {
            self.pump_dns_stream(now, h, stream);
        }
        self.touch(h);
    }

    /// Writes the next segment or datagram to send at the start of `buf`,
    /// or returns `None` when nothing is due. Call it until `None` after
    /// every input, timer and application call. Only sockets that may have
    /// something to send are looked at
    /// ([`Stats::sockets_visited`](crate::Stats::sockets_visited)).
    ///
    /// `buf` bounds what is written: TCP cuts segments to it (give it at
    /// least the MSS plus 60 bytes), and a UDP datagram that does not fit
    /// is dropped and counted in
    /// [`Stats::udp_send_dropped`](crate::Stats::udp_send_dropped) — a host
    /// that fragments should pass 65,515 bytes so every datagram fits, or
    /// use [`poll_transmit_into`](Self::poll_transmit_into), which keeps
    /// such a datagram and says how large a buffer it needs.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        match self.transmit_next(now, buf, true) {
            TransmitPoll::Written(t) => Some(t),
            TransmitPoll::NeedsBuffer(_) | TransmitPoll::Idle => None,
        }
    }

    /// Like [`poll_transmit`](Self::poll_transmit), but a datagram (or
    /// reset) that does not fit `buf` is not dropped: it stays first in
    /// line and [`TransmitPoll::NeedsBuffer`] says how many bytes it needs.
    /// The next call with a buffer that large sends it. This lets a host
    /// lend the device's own transmit buffer (MTU-sized) for the common
    /// case and fall back to a large buffer of its own only for datagrams
    /// it must fragment.
    ///
    /// ```
    /// # use std::net::{Ipv4Addr, SocketAddrV4};
    /// # use strata_core::{rand::SplitMix64, time::Instant};
    /// # use strata_socket::{Sockets, SocketsConfig, SocketKind, TransmitPoll};
    /// let mut sockets = Sockets::new(SocketsConfig::default(), Box::new(SplitMix64::new(1)));
    /// sockets.set_addresses(&[Ipv4Addr::new(198, 18, 0, 2)]);
    /// let fd = sockets.socket(SocketKind::Datagram)?;
    /// let to = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 1), 9);
    /// sockets.send_to(Instant::ZERO, fd, &[7; 3000], to)?;
    /// let mut small = [0u8; 1480];
    /// assert_eq!(sockets.poll_transmit_into(Instant::ZERO, &mut small), TransmitPoll::NeedsBuffer(3008));
    /// let mut large = vec![0u8; 3008];
    /// assert!(matches!(sockets.poll_transmit_into(Instant::ZERO, &mut large), TransmitPoll::Written(t) if t.len == 3008));
    /// # Ok::<(), strata_socket::Error>(())
    /// ```
    pub fn poll_transmit_into(&mut self, now: Instant, buf: &mut [u8]) -> TransmitPoll {
        self.transmit_next(now, buf, false)
    }

    fn transmit_next(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        drop_oversized: bool,
    ) -> TransmitPoll {
        self.saw(now);
        while let Some((src, dst, repr)) = self.resets.pop_front() {
            let len = repr.header_len();
            let Some(out) = buf.get_mut(..len) else {
                if !drop_oversized {
                    self.resets.push_front((src, dst, repr));
                    return TransmitPoll::NeedsBuffer(len);
                }
                self.stats.resets_dropped += 1;
                continue;
            };
            if repr.emit(out, src, dst).is_ok() {
                self.stats.resets_sent += 1;
                return TransmitPoll::Written(Transmit {
                    src,
                    dst,
                    protocol: Protocol::TCP,
                    len,
                    ttl: self.config.default_ttl,
                    dont_fragment: true,
                });
            }
        }
        match self.poll_dns(now, buf, drop_oversized) {
            TransmitPoll::Idle => {}
            other => return other,
        }
        while let Some(h) = self.next_dirty() {
            let mut dropped = 0;
            let mut needs = None;
            let Some(s) = slot_socket_mut(&mut self.slots, h) else {
                continue;
            };
            let ttl = s.opts.ttl;
            let local_port = s.local.port();
            let out = match &mut s.proto {
                Proto::Tcp(c) => c.poll_transmit(now, buf).map(|t| Transmit {
                    src: t.src,
                    dst: t.dst,
                    protocol: Protocol::TCP,
                    len: t.len,
                    ttl,
                    dont_fragment: true,
                }),
                Proto::Listener(l) => l.poll_transmit(now, buf).map(|t| Transmit {
                    src: t.src,
                    dst: t.dst,
                    protocol: Protocol::TCP,
                    len: t.len,
                    ttl,
                    dont_fragment: true,
                }),
                Proto::Udp(u) => {
                    let mut sent = None;
                    while let Some(d) = u.send.front() {
                        let needed = strata_udp::HEADER_LEN.saturating_add(d.data.len());
                        if needed > buf.len() && !drop_oversized {
                            needs = Some(needed);
                            break;
                        }
                        let Some(d) = u.send.pop_front() else {
                            break;
                        };
                        u.send_bytes = u.send_bytes.saturating_sub(d.data.len());
                        match emit_udp(buf, local_port, &d.data, d.src, d.to) {
                            Some(len) => {
                                sent = Some(Transmit {
                                    src: d.src,
                                    dst: *d.to.ip(),
                                    protocol: Protocol::UDP,
                                    len,
                                    ttl,
                                    dont_fragment: false,
                                });
                                break;
                            }
                            None => dropped += 1,
                        }
                    }
                    sent
                }
                Proto::Fresh => None,
            };
            self.stats.udp_send_dropped += dropped;
            if let Some(needed) = needs {
                // Still dirty: first in line for the next call.
                self.requeue_front(h);
                return TransmitPoll::NeedsBuffer(needed);
            }
            match out {
                Some(t) => {
                    self.requeue_front(h);
                    self.rearm(h);
                    return TransmitPoll::Written(t);
                }
                None => {
                    s.dirty = false;
                    let reap = matches!(s.owner, Owner::Orphan { .. }) && s.finished();
                    if reap {
                        self.stats.reaped += 1;
                        self.free(h);
                    } else {
                        // Output may have armed a timer (persist, RTO) or
                        // ended the connection.
                        self.after_io_quiet(h);
                    }
                }
            }
        }
        TransmitPoll::Idle
    }

    /// `after_io` without queueing the socket again.
    fn after_io_quiet(&mut self, h: Handle) {
        self.rearm(h);
    }

    /// When `handle_timeout` next has work: the earliest socket deadline
    /// (possibly a little early, after a deadline moved), or the
    /// resolver's.
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        match (self.next_timer(), self.dns.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the timers due at `now`: only the sockets whose deadline came
    /// are touched. Connections closed by the application that overstay
    /// [`SocketsConfig::orphan_timeout`](crate::SocketsConfig::orphan_timeout)
    /// are aborted.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.saw(now);
        let due = self.due_sockets(now);
        for &h in &due {
            self.stats.timers_fired += 1;
            let Some(s) = self.sock_mut(h) else {
                continue;
            };
            let overdue = matches!(s.owner, Owner::Orphan { deadline } if deadline <= now);
            match &mut s.proto {
                Proto::Tcp(c) => {
                    if c.poll_timeout().is_some_and(|t| t <= now) {
                        c.handle_timeout(now);
                    }
                    if overdue && !matches!(c.state(), State::TimeWait | State::Closed) {
                        c.abort();
                    }
                }
                Proto::Listener(l) => l.handle_timeout(now),
                _ => {}
            }
            self.after_io(now, h);
        }
        self.recycle_due(due);
        self.dns_timeout(now);
    }
}

/// Writes a UDP datagram (header, payload, checksum) into `buf`.
pub(crate) fn emit_udp(
    buf: &mut [u8],
    src_port: u16,
    data: &[u8],
    src: Ipv4Addr,
    to: SocketAddrV4,
) -> Option<usize> {
    let repr = UdpRepr {
        src_port,
        dst_port: to.port(),
        payload_len: data.len(),
    };
    let len = repr.total_len();
    let out = buf.get_mut(..len)?;
    out.get_mut(repr.header_len()..)?.copy_from_slice(data);
    repr.emit(out, src, *to.ip()).ok()?;
    Some(len)
}
