//! The application side: the BSD calls on descriptors.

use std::boxed::Box;
use std::net::{Ipv4Addr, SocketAddrV4};

use strata_core::time::{Duration, Instant};
use strata_tcp::connection::{Connection, Error as TcpError, State};
use strata_tcp::cookie::CookieJar;
use strata_tcp::isn::SipHasher24;
use strata_tcp::listener::{Listener, ListenerConfig, ListenerKeys, MAX_BACKLOG};
use strata_udp::MAX_PAYLOAD_LEN;

use crate::Sockets;
use crate::error::Error;
use crate::ports::{Binding, Transport};
use crate::table::{Handle, Outgoing, Owner, Proto, Socket};
use crate::types::{Fd, Readiness, Shutdown, SocketInfo, SocketKind, SocketOption, SocketOptions};

/// Largest UDP payload over IPv4: 65,535 minus the IPv4 and UDP headers.
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// What a connection's error means to the application.
pub(crate) fn map_tcp_error(e: TcpError, socket: &Socket) -> Error {
    match e {
        TcpError::WouldBlock => Error::WouldBlock,
        TcpError::NotConnected => Error::NotConnected,
        TcpError::Closing => Error::BrokenPipe,
        TcpError::Closed => Error::NotConnected,
        TcpError::Reset => Error::ConnectionReset,
        TcpError::Refused => Error::ConnectionRefused,
        TcpError::TimedOut => socket.soft_error.clone().unwrap_or(Error::TimedOut),
        TcpError::Aborted => socket
            .hard_error
            .clone()
            .unwrap_or(Error::ConnectionAborted),
        _ => Error::InvalidInput,
    }
}

fn transport(kind: SocketKind) -> Transport {
    match kind {
        SocketKind::Stream => Transport::Tcp,
        SocketKind::Datagram => Transport::Udp,
    }
}

impl Sockets {
    /// The host's own addresses: what `bind` accepts, and the source of
    /// packets from sockets bound to the unspecified address (the first).
    pub fn set_addresses(&mut self, addrs: &[Ipv4Addr]) {
        self.addresses.clear();
        self.addresses.extend_from_slice(addrs);
    }

    /// The host's directed broadcast addresses (198.18.0.255 for
    /// 198.18.0.0/24), treated like 255.255.255.255: sending there needs
    /// the [`SocketOption::Broadcast`] option.
    pub fn set_broadcast_addresses(&mut self, addrs: &[Ipv4Addr]) {
        self.broadcasts.clear();
        self.broadcasts.extend_from_slice(addrs);
    }

    /// The link MTU: new connections offer MSS `mtu - 40` (or the
    /// configured MSS if smaller).
    pub fn set_mtu(&mut self, mtu: usize) {
        self.mtu = mtu.max(68);
    }

    /// The host's addresses as set.
    #[must_use]
    pub fn addresses(&self) -> &[Ipv4Addr] {
        &self.addresses
    }

    /// A new socket (`socket(2)`), unbound.
    ///
    /// # Errors
    /// [`Error::TooManyOpenFiles`] at `max_sockets`.
    pub fn socket(&mut self, kind: SocketKind) -> Result<Fd, Error> {
        let opts = self.default_options(kind);
        let placeholder = Owner::Orphan {
            deadline: Instant::ZERO,
        };
        let h = self.insert(Socket::new(kind, placeholder, opts))?;
        match self.alloc_fd(h) {
            Ok(fd) => Ok(fd),
            Err(e) => {
                self.free(h);
                Err(e)
            }
        }
    }

    /// Binds a socket to a local address (`bind(2)`): the unspecified
    /// address means any of ours, port 0 an ephemeral port.
    ///
    /// # Errors
    /// [`Error::AddrNotAvailable`] when the address is not one of ours (or
    /// no ephemeral port is free), [`Error::AddrInUse`] when the port is
    /// bound already (see [`SocketOption::ReuseAddr`]),
    /// [`Error::InvalidState`] when the socket is bound already.
    pub fn bind(&mut self, fd: Fd, addr: SocketAddrV4) -> Result<(), Error> {
        let (h, s) = self.by_fd(fd)?;
        if s.binding.is_some() || !matches!(s.proto, Proto::Fresh | Proto::Udp(_)) {
            return Err(Error::InvalidState);
        }
        let ip = *addr.ip();
        if !ip.is_unspecified() && !self.addresses.contains(&ip) {
            return Err(Error::AddrNotAvailable);
        }
        let t = transport(s.kind);
        let reuse = s.opts.reuse_addr;
        let strong = s.strong_binding();
        let port = if addr.port() == 0 {
            self.pick_ephemeral(t, ip, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?
        } else {
            let exact_udp = t == Transport::Udp && self.udp.contains_key(&addr);
            if exact_udp || self.ports.conflicts(t, ip, addr.port(), reuse) {
                return Err(Error::AddrInUse);
            }
            addr.port()
        };
        let local = SocketAddrV4::new(ip, port);
        self.set_binding(
            h,
            Some(Binding {
                transport: t,
                addr: local,
                strong,
            }),
        );
        if let Some(s) = self.sock_mut(h) {
            s.local = local;
        }
        if t == Transport::Udp {
            self.udp.insert(local, h);
        }
        Ok(())
    }

    /// An ephemeral port toward `remote`, avoiding ports the resolver is
    /// waiting on.
    pub(crate) fn pick_ephemeral(
        &mut self,
        t: Transport,
        local: Ipv4Addr,
        remote: SocketAddrV4,
    ) -> Result<u16, Error> {
        let dns = &self.dns;
        self.ports
            .ephemeral(t, local, remote, &mut *self.rng, |p| {
                t == Transport::Tcp || !dns.wants_port(p)
            })
            .ok_or(Error::AddrNotAvailable)
    }

    /// Turns a stream socket into a listening one (`listen(2)`) with an
    /// accept queue of `backlog` connections (at least 1); an unbound
    /// socket gets an ephemeral port. Connections it accepts inherit its
    /// options. Calling it again on a listening socket changes nothing.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for datagram sockets, [`Error::InvalidState`]
    /// for a connected one, [`Error::AddrInUse`] when another socket
    /// listens on the port.
    pub fn listen(&mut self, fd: Fd, backlog: usize) -> Result<(), Error> {
        let (h, s) = self.by_fd(fd)?;
        match s.proto {
            Proto::Listener(_) => return Ok(()),
            Proto::Fresh => {}
            Proto::Udp(_) => return Err(Error::Unsupported),
            Proto::Tcp(_) => return Err(Error::InvalidState),
        }
        if s.binding.is_none() {
            self.bind(fd, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
        }
        let s = self.sock(h).ok_or(Error::BadDescriptor)?;
        let local = s.local;
        let opts = s.opts;
        let binding = s.binding;
        // Listening makes the binding strong: nothing else may hold the
        // port then, unless both ask for reuse and the other is weak.
        self.set_binding(h, None);
        let clash = self.listeners.contains_key(&local)
            || self
                .ports
                .conflicts(Transport::Tcp, *local.ip(), local.port(), opts.reuse_addr);
        if clash {
            self.set_binding(h, binding);
            return Err(Error::AddrInUse);
        }
        let config = ListenerConfig {
            accept_backlog: backlog.clamp(1, MAX_BACKLOG),
            connection: self.conn_config(&opts),
            ..self.config.listener
        };
        let keys = ListenerKeys {
            isn: self.isn.clone(),
            cookies: CookieJar::from_random(&mut *self.rng),
            table: SipHasher24::from_random(&mut *self.rng),
        };
        let listener = match Listener::new(local, config, keys) {
            Ok(l) => l,
            Err(_) => {
                self.set_binding(h, binding);
                return Err(Error::InvalidInput);
            }
        };
        if let Some(s) = self.sock_mut(h) {
            s.proto = Proto::Listener(Box::new(listener));
        }
        self.set_binding(h, binding.map(|b| Binding { strong: true, ..b }));
        self.listeners.insert(local, h);
        self.touch(h);
        Ok(())
    }

    /// Takes the oldest completed connection off a listening socket's
    /// accept queue as a NEW descriptor (`accept(2)`), with the peer's
    /// address.
    ///
    /// # Errors
    /// [`Error::WouldBlock`] when none is waiting, [`Error::NotListening`]
    /// on a socket that does not listen, [`Error::TooManyOpenFiles`] at
    /// `max_sockets` (the connection stays queued).
    pub fn accept(&mut self, fd: Fd) -> Result<(Fd, SocketAddrV4), Error> {
        let (lh, s) = self.by_fd(fd)?;
        let opts = s.opts;
        let Proto::Listener(l) = &s.proto else {
            return Err(Error::NotListening);
        };
        if l.accept_queue_len() == 0 {
            return Err(Error::WouldBlock);
        }
        if !self.has_room() {
            return Err(Error::TooManyOpenFiles);
        }
        let conn = match self.sock_mut(lh).map(|s| &mut s.proto) {
            Some(Proto::Listener(l)) => l.accept(),
            _ => None,
        };
        let Some(conn) = conn else {
            return Err(Error::WouldBlock);
        };
        let local = conn.local();
        let remote = conn.remote();
        let placeholder = Owner::Orphan {
            deadline: Instant::ZERO,
        };
        let mut socket = Socket::new(SocketKind::Stream, placeholder, opts);
        socket.local = local;
        socket.peer = Some(remote);
        socket.proto = Proto::Tcp(Box::new(conn));
        let strong = socket.strong_binding();
        let h = self.insert(socket)?;
        // The listener forgot the 4-tuple: enter it before any other
        // segment is routed (the listener's demultiplexing contract).
        self.enter_conn(h, local, remote);
        let new_fd = match self.alloc_fd(h) {
            Ok(fd) => fd,
            Err(e) => {
                if let Some(Proto::Tcp(c)) = self.sock_mut(h).map(|s| &mut s.proto) {
                    c.abort();
                }
                self.touch(h);
                return Err(e);
            }
        };
        self.set_binding(
            h,
            Some(Binding {
                transport: Transport::Tcp,
                addr: local,
                strong,
            }),
        );
        self.stats.accepted += 1;
        self.after_io(Instant::ZERO, h);
        self.touch(lh);
        Ok((new_fd, remote))
    }

    /// Enters a connection under its 4-tuple.
    pub(crate) fn enter_conn(&mut self, h: Handle, local: SocketAddrV4, remote: SocketAddrV4) {
        if let Some(old) = self.conns.insert((local, remote), h)
            && old != h
            && let Some(s) = self.sock_mut(old)
        {
            s.in_conns = false;
        }
        if let Some(s) = self.sock_mut(h) {
            s.in_conns = true;
        }
    }

    /// Connects a socket (`connect(2)`). A stream socket starts the
    /// handshake and returns [`Error::InProgress`] (non-blocking connect):
    /// it turns writable once ESTABLISHED, or reports the failure through
    /// [`Readiness::error`] and [`Sockets::take_error`]. A datagram socket
    /// just records its default peer (and filters what it receives to it).
    ///
    /// # Errors
    /// [`Error::InProgress`] (the normal outcome for a stream),
    /// [`Error::AlreadyInProgress`], [`Error::IsConnected`],
    /// [`Error::AddrNotAvailable`] (unspecified address, no free port, or
    /// the 4-tuple is in use), [`Error::NetworkUnreachable`] (no source
    /// address, or a broadcast/multicast destination for TCP),
    /// [`Error::PermissionDenied`] (UDP to a broadcast address without
    /// [`SocketOption::Broadcast`]).
    pub fn connect(&mut self, now: Instant, fd: Fd, addr: SocketAddrV4) -> Result<(), Error> {
        self.saw(now);
        let (h, s) = self.by_fd_mut(fd)?;
        if s.kind == SocketKind::Datagram {
            return self.connect_udp(h, addr);
        }
        match &s.proto {
            Proto::Fresh => {}
            Proto::Listener(_) => return Err(Error::InvalidState),
            Proto::Tcp(c) => {
                return match c.state() {
                    State::SynSent => Err(Error::AlreadyInProgress),
                    State::Closed => Err(s.error.take().unwrap_or(Error::IsConnected)),
                    _ => Err(Error::IsConnected),
                };
            }
            Proto::Udp(_) => return Err(Error::Unsupported),
        }
        let s = self.sock(h).ok_or(Error::BadDescriptor)?;
        let ip = *addr.ip();
        if ip.is_unspecified() || addr.port() == 0 {
            return Err(Error::AddrNotAvailable);
        }
        if ip.is_multicast() || self.is_broadcast(ip) {
            return Err(Error::NetworkUnreachable);
        }
        let bound = s.local;
        let opts = s.opts;
        let had_binding = s.binding.is_some();
        let src = self
            .source_for(*bound.ip())
            .ok_or(Error::NetworkUnreachable)?;
        let port = if had_binding {
            let local = SocketAddrV4::new(src, bound.port());
            if self.tuple_in_use(local, addr) {
                return Err(Error::AddrNotAvailable);
            }
            bound.port()
        } else {
            self.pick_ephemeral(Transport::Tcp, src, addr)?
        };
        let local = SocketAddrV4::new(src, port);
        let mut config = self.conn_config(&opts);
        if let Some(mtu) = self.pmtu.get(&ip) {
            config.mss = config.mss.min(mtu.saturating_sub(40)).max(64);
        }
        let conn = Connection::connect(now, local, addr, config, &self.isn)
            .map_err(|_| Error::InvalidInput)?;
        if !had_binding {
            let strong = self.sock(h).is_some_and(Socket::strong_binding);
            self.set_binding(
                h,
                Some(Binding {
                    transport: Transport::Tcp,
                    addr: local,
                    strong,
                }),
            );
        }
        if let Some(s) = self.sock_mut(h) {
            s.local = local;
            s.peer = Some(addr);
            s.proto = Proto::Tcp(Box::new(conn));
            s.connecting = true;
            s.error = None;
        }
        self.enter_conn(h, local, addr);
        self.connecting.insert(h);
        self.touch(h);
        Err(Error::InProgress)
    }

    /// Whether a connection from `local` to `remote` exists already, here
    /// or in a listener's queues.
    pub(crate) fn tuple_in_use(&self, local: SocketAddrV4, remote: SocketAddrV4) -> bool {
        if self.conns.contains_key(&(local, remote)) {
            return true;
        }
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, local.port());
        [local, any].iter().any(|key| {
            self.listeners.get(key).and_then(|h| self.sock(*h)).is_some_and(|s| {
                matches!(&s.proto, Proto::Listener(l) if l.holds(*local.ip(), remote).is_some())
            })
        })
    }

    fn connect_udp(&mut self, h: Handle, addr: SocketAddrV4) -> Result<(), Error> {
        let s = self.sock(h).ok_or(Error::BadDescriptor)?;
        let ip = *addr.ip();
        if ip.is_unspecified() || addr.port() == 0 {
            return Err(Error::AddrNotAvailable);
        }
        if self.is_broadcast(ip) && !s.opts.broadcast {
            return Err(Error::PermissionDenied);
        }
        if s.binding.is_none() {
            let src = self
                .source_for(Ipv4Addr::UNSPECIFIED)
                .ok_or(Error::NetworkUnreachable)?;
            let port = self.pick_ephemeral(Transport::Udp, src, addr)?;
            self.bind_udp_at(h, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port));
        }
        if let Some(s) = self.sock_mut(h) {
            s.peer = Some(addr);
            s.error = None;
        }
        Ok(())
    }

    fn bind_udp_at(&mut self, h: Handle, local: SocketAddrV4) {
        let strong = self.sock(h).is_some_and(Socket::strong_binding);
        self.set_binding(
            h,
            Some(Binding {
                transport: Transport::Udp,
                addr: local,
                strong,
            }),
        );
        if let Some(s) = self.sock_mut(h) {
            s.local = local;
        }
        self.udp.insert(local, h);
    }

    /// Sends on a connected socket (`send(2)`): returns how much of `data`
    /// was queued (a stream may take less than all of it).
    ///
    /// # Errors
    /// [`Error::WouldBlock`] with no room, [`Error::NotConnected`],
    /// [`Error::BrokenPipe`] after `shutdown(Write)` or an orderly close,
    /// the connection's failure ([`Error::ConnectionReset`] ...), a pending
    /// error of a connected datagram socket (ICMP port unreachable gives
    /// [`Error::ConnectionRefused`]), or as [`Sockets::send_to`].
    pub fn send(&mut self, now: Instant, fd: Fd, data: &[u8]) -> Result<usize, Error> {
        self.saw(now);
        let (h, s) = self.by_fd_mut(fd)?;
        match &mut s.proto {
            Proto::Udp(_) => {
                if let Some(e) = s.error.take() {
                    return Err(e);
                }
                let peer = s.peer.ok_or(Error::NotConnected)?;
                self.send_udp(h, data, peer)
            }
            Proto::Fresh | Proto::Listener(_) => Err(Error::NotConnected),
            Proto::Tcp(conn) => {
                if s.shut_wr {
                    return Err(Error::BrokenPipe);
                }
                let result = conn.send(data);
                match result {
                    Ok(n) => {
                        if n > 0 {
                            self.after_io(now, h);
                        }
                        Ok(n)
                    }
                    Err(e) => {
                        let mapped = map_tcp_error(e, s);
                        if mapped != Error::WouldBlock {
                            s.error = None;
                        }
                        Err(mapped)
                    }
                }
            }
        }
    }

    /// Receives from a connected socket (`recv(2)`): `Ok(0)` is the end of
    /// a stream (the peer's FIN, or `shutdown(Read)`); a datagram longer
    /// than `buf` is cut to it and the rest discarded.
    ///
    /// # Errors
    /// [`Error::WouldBlock`] when nothing is there, [`Error::NotConnected`],
    /// the connection's failure, or a pending error of a datagram socket.
    pub fn recv(&mut self, fd: Fd, buf: &mut [u8]) -> Result<usize, Error> {
        self.recv_inner(fd, buf).map(|(n, _)| n)
    }

    fn recv_inner(&mut self, fd: Fd, buf: &mut [u8]) -> Result<(usize, SocketAddrV4), Error> {
        let (h, s) = self.by_fd_mut(fd)?;
        let peer = s
            .peer
            .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        match &mut s.proto {
            Proto::Udp(u) => {
                if let Some(e) = s.error.take() {
                    return Err(e);
                }
                let d = u.recv.pop_front().ok_or(Error::WouldBlock)?;
                u.recv_bytes = u.recv_bytes.saturating_sub(d.data.len());
                let n = d.data.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), d.data.get(..n)) {
                    dst.copy_from_slice(src);
                }
                Ok((n, d.from))
            }
            Proto::Fresh | Proto::Listener(_) => Err(Error::NotConnected),
            Proto::Tcp(conn) => {
                if s.shut_rd {
                    return Ok((0, peer));
                }
                match conn.recv(buf) {
                    Ok(n) => {
                        if n > 0 {
                            // The window may have opened: an update is due.
                            self.after_io(Instant::ZERO, h);
                        }
                        Ok((n, peer))
                    }
                    Err(e) => {
                        let mapped = map_tcp_error(e, s);
                        if mapped == Error::WouldBlock {
                            return Err(mapped);
                        }
                        s.error = None;
                        if matches!(e, TcpError::Closed) {
                            // Closed in order before the application read
                            // the end: nothing more will come.
                            return Ok((0, peer));
                        }
                        Err(mapped)
                    }
                }
            }
        }
    }

    /// Sends a datagram to `to` (`sendto(2)`); an unbound socket gets an
    /// ephemeral port. On a stream socket the address is ignored, as TCP
    /// does.
    ///
    /// # Errors
    /// [`Error::MessageTooLong`] above 65,507 bytes,
    /// [`Error::PermissionDenied`] to a broadcast address without
    /// [`SocketOption::Broadcast`], [`Error::WouldBlock`] when the send
    /// queue is full, [`Error::InvalidInput`] for port 0 or the unspecified
    /// address, [`Error::NetworkUnreachable`] without a source address.
    pub fn send_to(
        &mut self,
        now: Instant,
        fd: Fd,
        data: &[u8],
        to: SocketAddrV4,
    ) -> Result<usize, Error> {
        let (h, s) = self.by_fd(fd)?;
        if s.kind == SocketKind::Stream {
            return self.send(now, fd, data);
        }
        self.send_udp(h, data, to)
    }

    pub(crate) fn send_udp(
        &mut self,
        h: Handle,
        data: &[u8],
        to: SocketAddrV4,
    ) -> Result<usize, Error> {
        let s = self.sock(h).ok_or(Error::BadDescriptor)?;
        if data.len() > MAX_UDP_PAYLOAD || data.len() > MAX_PAYLOAD_LEN {
            return Err(Error::MessageTooLong);
        }
        if s.shut_wr {
            return Err(Error::BrokenPipe);
        }
        let ip = *to.ip();
        if ip.is_unspecified() || to.port() == 0 {
            return Err(Error::InvalidInput);
        }
        if self.is_broadcast(ip) && !s.opts.broadcast {
            return Err(Error::PermissionDenied);
        }
        let src = self
            .source_for(*s.local.ip())
            .ok_or(Error::NetworkUnreachable)?;
        if let Proto::Udp(u) = &s.proto
            && (u.send.len() >= self.config.udp_send_queue
                || u.send_bytes.saturating_add(data.len()) > s.opts.send_buffer)
        {
            return Err(Error::WouldBlock);
        }
        if s.binding.is_none() {
            let port = self.pick_ephemeral(Transport::Udp, src, to)?;
            self.bind_udp_at(h, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port));
        }
        if let Some(Proto::Udp(u)) = self.sock_mut(h).map(|s| &mut s.proto) {
            u.send_bytes += data.len();
            u.send.push_back(Outgoing {
                src,
                to,
                data: data.to_vec(),
            });
        }
        self.touch(h);
        Ok(data.len())
    }

    /// Receives a datagram and its sender (`recvfrom(2)`), cut to `buf`. On
    /// a stream socket, as [`Sockets::recv`] with the peer's address.
    ///
    /// # Errors
    /// As [`Sockets::recv`].
    pub fn recv_from(&mut self, fd: Fd, buf: &mut [u8]) -> Result<(usize, SocketAddrV4), Error> {
        self.recv_inner(fd, buf)
    }

    /// Shuts down one or both directions (`shutdown(2)`): `Write` sends a
    /// FIN after the queued data while data keeps arriving (half-close);
    /// `Read` makes `recv` report the end.
    ///
    /// # Errors
    /// [`Error::NotConnected`] on a socket that is not connected.
    pub fn shutdown(&mut self, now: Instant, fd: Fd, how: Shutdown) -> Result<(), Error> {
        self.saw(now);
        let (h, s) = self.by_fd_mut(fd)?;
        let read = matches!(how, Shutdown::Read | Shutdown::Both);
        let write = matches!(how, Shutdown::Write | Shutdown::Both);
        match &mut s.proto {
            Proto::Fresh | Proto::Listener(_) => return Err(Error::NotConnected),
            Proto::Udp(_) => {
                if s.peer.is_none() {
                    return Err(Error::NotConnected);
                }
            }
            Proto::Tcp(conn) => {
                if write && !s.shut_wr {
                    // A connection already closed has nothing to shut.
                    let _ = conn.shutdown();
                }
            }
        }
        s.shut_rd |= read;
        s.shut_wr |= write;
        self.after_io(now, h);
        Ok(())
    }

    /// Closes a descriptor (`close(2)`). The number is free for reuse at
    /// once. A connection finishes in the background: its FIN exchange and
    /// TIME-WAIT go on, and it is removed when done (or aborted after
    /// [`SocketsConfig::orphan_timeout`](crate::SocketsConfig::orphan_timeout)).
    /// Unread received data makes it a reset instead (RFC 1122
    /// §4.2.2.13, RFC 2525), as does [`SocketOption::Linger`] of zero. A
    /// listening socket resets the connections not yet accepted.
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn close(&mut self, now: Instant, fd: Fd) -> Result<(), Error> {
        self.saw(now);
        let (h, _) = self.by_fd(fd)?;
        self.release_fd(fd);
        let deadline = self.orphan_deadline(now);
        let Some(s) = self.sock_mut(h) else {
            return Ok(());
        };
        s.owner = Owner::Orphan { deadline };
        let linger_zero = s.opts.linger == Some(Duration::ZERO);
        match &mut s.proto {
            Proto::Fresh | Proto::Udp(_) => {
                self.free(h);
                return Ok(());
            }
            Proto::Listener(l) => {
                l.close();
                let local = s.local;
                if self.listeners.get(&local) == Some(&h) {
                    self.listeners.remove(&local);
                }
                // The port is free at once; the listener only lingers to
                // send the resets of connections it never handed out.
                self.set_binding(h, None);
            }
            Proto::Tcp(conn) => {
                if linger_zero {
                    conn.abort();
                } else {
                    // Already closed: nothing to do but forget it.
                    let _ = conn.close();
                }
            }
        }
        self.refresh_binding(h);
        self.after_io(now, h);
        Ok(())
    }

    /// Sets a socket option (`setsockopt(2)`).
    ///
    /// Connection settings ([`SocketOption::NoDelay`],
    /// [`SocketOption::KeepAlive`], the buffer sizes) are taken when a
    /// connection is made: set them before `connect`, or on the listening
    /// socket for the connections it accepts. On a live connection,
    /// `NoDelay` and the buffer sizes change at once (turning Nagle off
    /// sends a held segment at the next poll; a buffer never shrinks below
    /// the bytes it holds or the window already advertised). Changing any
    /// connection setting of a listening socket fails with
    /// [`Error::Unsupported`]; setting the value it already has succeeds.
    ///
    /// Turning keepalive on or off, or changing its idle time, on a live
    /// connection restarts its keepalive timer (and forgets unanswered
    /// probes); setting the idle time it already has changes nothing. The
    /// timer restarts from a time: this call uses
    /// [`Sockets::last_now`], the latest time the table was handed (its
    /// last poll, timer run or `connect`/`send`/`shutdown`/`close`). If
    /// the host slept since, that time is stale and the first probe comes
    /// early by as long as it slept. Use [`Sockets::set_option_at`] to give
    /// the time exactly.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for TTL 0 or a zero buffer size or
    /// keepalive time, [`Error::Unsupported`] as above or for an option
    /// that does not apply to the socket's kind.
    pub fn set_option(&mut self, fd: Fd, opt: SocketOption) -> Result<(), Error> {
        let now = self.clock;
        self.set_option_at(now, fd, opt)
    }

    /// [`Sockets::set_option`] at time `now`: a live connection's keepalive
    /// timer (the only option that needs a time) restarts from `now`, and
    /// the first probe goes out after `now` plus the idle time if nothing
    /// is heard before.
    ///
    /// # Errors
    /// As [`Sockets::set_option`].
    pub fn set_option_at(&mut self, now: Instant, fd: Fd, opt: SocketOption) -> Result<(), Error> {
        self.saw(now);
        let (h, s) = self.by_fd_mut(fd)?;
        let stream = s.kind == SocketKind::Stream;
        // A live connection takes Nagle, keepalive and buffer changes
        // through its own setters; what a listener gives its future
        // connections cannot change any more.
        let live = match &s.proto {
            Proto::Listener(l) => Some(l.config().connection),
            _ => None,
        };
        let keepalive_fixed = match &s.proto {
            Proto::Listener(l) => Some(l.config().connection.keepalive.map(|k| k.idle)),
            _ => None,
        };
        if let Proto::Tcp(c) = &mut s.proto {
            match opt {
                SocketOption::NoDelay(v) => c.set_nagle(!v),
                // Setting the value it has leaves the timer alone, as
                // setsockopt(2) with an unchanged value would.
                SocketOption::KeepAlive(v)
                    if v != Some(Duration::ZERO) && c.config().keepalive.map(|k| k.idle) != v =>
                {
                    c.set_keepalive(now, v).map_err(|_| Error::InvalidInput)?;
                }
                SocketOption::SendBuffer(n) if n > 0 && n <= strata_tcp::connection::MAX_BUFFER => {
                    c.set_send_buffer(n).map_err(|_| Error::InvalidInput)?;
                }
                SocketOption::RecvBuffer(n) if n > 0 && n <= strata_tcp::connection::MAX_BUFFER => {
                    c.set_recv_buffer(n).map_err(|_| Error::InvalidInput)?;
                }
                _ => {}
            }
        }
        let o = &mut s.opts;
        match opt {
            SocketOption::NoDelay(v) => {
                if !stream {
                    return Err(Error::Unsupported);
                }
                if live.is_some_and(|c| c.nagle == v) {
                    return Err(Error::Unsupported);
                }
                o.no_delay = v;
            }
            SocketOption::KeepAlive(v) => {
                if v == Some(Duration::ZERO) {
                    return Err(Error::InvalidInput);
                }
                if keepalive_fixed.is_some_and(|idle| idle != v) {
                    return Err(Error::Unsupported);
                }
                o.keepalive = v;
            }
            SocketOption::SendBuffer(n) | SocketOption::RecvBuffer(n)
                if n == 0 || (stream && n > strata_tcp::connection::MAX_BUFFER) =>
            {
                return Err(Error::InvalidInput);
            }
            SocketOption::SendBuffer(n) => {
                if live.is_some_and(|c| c.send_buffer != n) {
                    return Err(Error::Unsupported);
                }
                o.send_buffer = n;
            }
            SocketOption::RecvBuffer(n) => {
                if live.is_some_and(|c| c.recv_buffer != n) {
                    return Err(Error::Unsupported);
                }
                o.recv_buffer = n;
            }
            SocketOption::Ttl(0) => return Err(Error::InvalidInput),
            SocketOption::Ttl(t) => o.ttl = t,
            SocketOption::Broadcast(b) => o.broadcast = b,
            SocketOption::ReuseAddr(b) => o.reuse_addr = b,
            SocketOption::Linger(l) => o.linger = l,
        }
        self.refresh_binding(h);
        // A live connection may now send (Nagle off, a wider window).
        self.touch(h);
        Ok(())
    }

    /// A socket's options (`getsockopt(2)`).
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn options(&self, fd: Fd) -> Result<SocketOptions, Error> {
        Ok(self.by_fd(fd)?.1.opts)
    }

    /// What a poll loop may do with the socket now.
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn readiness(&self, fd: Fd) -> Result<Readiness, Error> {
        let (_, s) = self.by_fd(fd)?;
        let error = s.error.is_some();
        let r = match &s.proto {
            Proto::Fresh => Readiness {
                error,
                ..Readiness::default()
            },
            Proto::Listener(l) => Readiness {
                readable: l.accept_queue_len() > 0,
                error,
                ..Readiness::default()
            },
            Proto::Udp(u) => Readiness {
                readable: !u.recv.is_empty() || error || s.shut_rd,
                writable: !s.shut_wr && u.send.len() < self.config.udp_send_queue,
                error,
                hangup: false,
            },
            Proto::Tcp(c) => {
                let state = c.state();
                let peer_fin = matches!(
                    state,
                    State::CloseWait | State::Closing | State::LastAck | State::TimeWait
                );
                let closed = state == State::Closed;
                let sendable = state.is_synchronized() && state.can_send() && !s.shut_wr;
                Readiness {
                    readable: c.recv_queue() > 0 || peer_fin || closed || error || s.shut_rd,
                    writable: sendable && c.send_capacity() > 0,
                    error,
                    hangup: closed || (peer_fin && (s.shut_wr || !state.can_send())),
                }
            }
        };
        Ok(r)
    }

    /// Takes the pending error (`SO_ERROR`): how a non-blocking connect
    /// failed, why a connection broke, or an ICMP error on a connected
    /// datagram socket.
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn take_error(&mut self, fd: Fd) -> Result<Option<Error>, Error> {
        let (_, s) = self.by_fd_mut(fd)?;
        Ok(s.error.take())
    }

    /// The socket's own address (`getsockname(2)`): unspecified address
    /// and port 0 before it is bound.
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn local_addr(&self, fd: Fd) -> Result<SocketAddrV4, Error> {
        Ok(self.by_fd(fd)?.1.local)
    }

    /// The peer's address (`getpeername(2)`).
    ///
    /// # Errors
    /// [`Error::NotConnected`] without one.
    pub fn peer_addr(&self, fd: Fd) -> Result<SocketAddrV4, Error> {
        self.by_fd(fd)?.1.peer.ok_or(Error::NotConnected)
    }

    /// The socket's kind.
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn kind(&self, fd: Fd) -> Result<SocketKind, Error> {
        Ok(self.by_fd(fd)?.1.kind)
    }

    /// The TCP state: CLOSED before `connect`, LISTEN after `listen`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a datagram socket.
    pub fn tcp_state(&self, fd: Fd) -> Result<State, Error> {
        match &self.by_fd(fd)?.1.proto {
            Proto::Fresh => Ok(State::Closed),
            Proto::Listener(_) => Ok(State::Listen),
            Proto::Tcp(c) => Ok(c.state()),
            Proto::Udp(_) => Err(Error::Unsupported),
        }
    }

    /// The connection's counters.
    ///
    /// # Errors
    /// [`Error::NotConnected`] unless the socket holds a connection.
    pub fn tcp_stats(&self, fd: Fd) -> Result<strata_tcp::connection::Stats, Error> {
        match &self.by_fd(fd)?.1.proto {
            Proto::Tcp(c) => Ok(*c.stats()),
            _ => Err(Error::NotConnected),
        }
    }

    /// The connection itself, for inspection (sequence numbers, windows,
    /// RTT).
    ///
    /// # Errors
    /// [`Error::NotConnected`] unless the socket holds a connection.
    pub fn tcp_connection(&self, fd: Fd) -> Result<&Connection, Error> {
        match &self.by_fd(fd)?.1.proto {
            Proto::Tcp(c) => Ok(c),
            _ => Err(Error::NotConnected),
        }
    }

    /// The listener's counters (SYNs, cookies, accepted ...).
    ///
    /// # Errors
    /// [`Error::NotListening`] unless the socket listens.
    pub fn listener_stats(&self, fd: Fd) -> Result<strata_tcp::listener::ListenerStats, Error> {
        match &self.by_fd(fd)?.1.proto {
            Proto::Listener(l) => Ok(*l.stats()),
            _ => Err(Error::NotListening),
        }
    }

    /// Datagrams a UDP socket dropped because its receive queue was full.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a stream socket.
    pub fn udp_dropped(&self, fd: Fd) -> Result<u64, Error> {
        match &self.by_fd(fd)?.1.proto {
            Proto::Udp(u) => Ok(u.dropped),
            _ => Err(Error::Unsupported),
        }
    }

    /// The path MTU learned from ICMP "fragmentation needed" for this
    /// socket's destination, if any (recorded only: see
    /// [`Sockets::handle_icmp_error`]).
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn path_mtu(&self, fd: Fd) -> Result<Option<u16>, Error> {
        Ok(self.by_fd(fd)?.1.pmtu)
    }

    /// The last ICMP error that concerned the socket, if any (soft errors
    /// are only recorded).
    ///
    /// # Errors
    /// [`Error::BadDescriptor`].
    pub fn last_icmp_error(&self, fd: Fd) -> Result<Option<crate::IcmpErrorKind>, Error> {
        Ok(self.by_fd(fd)?.1.last_icmp)
    }

    /// Every socket in the table, in slot order (for diagnostics; this
    /// walks the whole table).
    pub fn sockets(&self) -> impl Iterator<Item = SocketInfo> + '_ {
        self.all_sockets().map(|s| SocketInfo {
            fd: match s.owner {
                Owner::User(fd) => Some(fd),
                _ => None,
            },
            kind: s.kind,
            local: match &s.proto {
                Proto::Tcp(c) => c.local(),
                _ => s.local,
            },
            peer: s.peer,
            state: match &s.proto {
                Proto::Fresh => Some(State::Closed),
                Proto::Listener(_) => Some(State::Listen),
                Proto::Tcp(c) => Some(c.state()),
                Proto::Udp(_) => None,
            },
        })
    }
}
