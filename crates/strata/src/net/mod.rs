//! Blocking sockets in the shape of `std::net`, over strata hosts.
//!
//! [`TcpStream`] (with [`std::io::Read`] and [`std::io::Write`]),
//! [`TcpListener`] (with [`accept`](TcpListener::accept) and
//! [`incoming`](TcpListener::incoming)) and [`UdpSocket`] wrap a descriptor
//! of a host's socket table. When a call would block, they drive the
//! network instead of sleeping: a [`Driver`] polls the hosts and moves the
//! clock on.
//!
//! - [`SimNet`] holds any number of nodes (hosts, each an
//!   [`Interface`] with its [`Device`], or anything else implementing
//!   [`Node`]) under a **simulated clock**: when no node has work, time
//!   jumps to the earliest deadline of all of them. A 64 MiB transfer with
//!   retransmission timeouts runs in seconds of real time, and a run is
//!   reproducible bit for bit. When no node will ever have work again
//!   (every deadline is gone) a blocked call fails with
//!   [`io::ErrorKind::TimedOut`] instead of hanging.
//! - [`RealtimeNet`] drives one host on a real device in real time, waiting
//!   on the device's readiness (for the TAP device) until the next
//!   deadline.
//!
//! Everything runs on the calling thread: one `SimNet` (an
//! `Rc<RefCell<..>>` inside) serves a client and a server in the same
//! test, and any blocked call on either makes progress for both. What a
//! single thread cannot do is wait in one call for another call of the
//! same thread: a `write_all` of more than the peer's receive buffer plus
//! the local send buffer, with nobody reading at the other end, fails with
//! `TimedOut` (there is no one else to read). Interleave reads and writes,
//! as the examples do.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use strata::device::memory;
//! use strata::iface::{Interface, InterfaceConfig};
//! use strata::net::{SimNet, TcpListener, TcpStream};
//!
//! let net = SimNet::new();
//! let (dev_a, dev_b) = memory::pair(1500);
//! let a = net.add_host(
//!     Interface::new(InterfaceConfig::new("02:00:00:00:00:01".parse()?, "198.18.0.1/24".parse()?))?,
//!     dev_a,
//! );
//! let b = net.add_host(
//!     Interface::new(InterfaceConfig::new("02:00:00:00:00:02".parse()?, "198.18.0.2/24".parse()?))?,
//!     dev_b,
//! );
//!
//! let listener = TcpListener::bind(&b, "198.18.0.2:80".parse()?)?;
//! let mut client = TcpStream::connect(&a, "198.18.0.2:80".parse()?)?;
//! let (mut server, peer) = listener.accept()?;
//! assert_eq!(peer, client.local_addr()?);
//!
//! client.write_all(b"GET / HTTP/1.1\r\n\r\n")?;
//! let mut request = [0u8; 18];
//! server.read_exact(&mut request)?;
//! server.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?;
//! drop(server);
//! let mut response = String::new();
//! client.read_to_string(&mut response)?;
//! assert_eq!(response, "HTTP/1.1 204 No Content\r\n\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::net::SocketAddrV4;
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use strata_core::time::{Duration, Instant};
use strata_socket::{Error as SocketError, Fd, Shutdown, SocketKind, SocketOption, Sockets};

use crate::device::Device;
use crate::iface::Interface;

/// Something a [`SimNet`] polls: a host, or a router or traffic source a
/// test writes.
pub trait Node {
    /// Does whatever is due at `now`; returns whether anything happened
    /// (a frame moved, a timer fired).
    fn poll(&mut self, now: Instant) -> bool;
    /// When this node next has work on its own (timers, delayed frames);
    /// `None` if only input can wake it.
    fn poll_at(&self) -> Option<Instant>;
    /// The host's interface, if this node is a host.
    fn interface(&mut self) -> Option<&mut Interface> {
        None
    }
}

/// A host: an [`Interface`] and the device it sends through.
#[derive(Debug)]
pub struct Host<D> {
    /// The host's network stack.
    pub interface: Interface,
    /// Its link.
    pub device: D,
}

impl<D: Device> Host<D> {
    /// Polls until the host is quiet (at most 64 rounds), reading `clock`
    /// before every round: under a real clock a frame received in a later
    /// round gets its own time, not the time the first round began (a
    /// ping's round trip would read short). Returns whether anything
    /// happened.
    pub fn poll_with_clock(&mut self, mut clock: impl FnMut() -> Instant) -> bool {
        let mut any = false;
        for _ in 0..64 {
            let r = self.interface.poll(clock(), &mut self.device);
            if !r.did_something() && !r.more {
                break;
            }
            any = true;
        }
        any
    }
}

impl<D: Device> Node for Host<D> {
    fn poll(&mut self, now: Instant) -> bool {
        // Poll until the host is quiet at this instant: an answer it owes
        // (an ACK, an ARP reply) goes out in the same instant.
        self.poll_with_clock(|| now)
    }

    fn poll_at(&self) -> Option<Instant> {
        match (self.interface.poll_at(), self.device.poll_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn interface(&mut self) -> Option<&mut Interface> {
        Some(&mut self.interface)
    }
}

/// What the blocking sockets need from whatever runs the network.
pub trait Driver {
    /// The current time of this network.
    fn now(&self) -> Instant;
    /// The interface of host `host`.
    fn interface(&mut self, host: usize) -> Option<&mut Interface>;
    /// Makes progress: polls every node once and, if none had anything to
    /// do, lets time pass (simulated: jump to the next deadline; real:
    /// wait for the device or the next deadline), but not past `until`.
    ///
    /// # Errors
    /// [`io::ErrorKind::TimedOut`] when nothing can ever happen again (a
    /// simulated network with no deadline left and nothing in flight), or
    /// a device error.
    fn step(&mut self, until: Option<Instant>) -> io::Result<()>;
}

/// The state of a [`SimNet`].
struct SimInner {
    now: Instant,
    nodes: Vec<Box<dyn Node>>,
    /// Simulated time after which every blocked call fails: a safety net
    /// for tests.
    horizon: Option<Instant>,
    steps: u64,
}

impl Driver for SimInner {
    fn now(&self) -> Instant {
        self.now
    }

    fn interface(&mut self, host: usize) -> Option<&mut Interface> {
        self.nodes.get_mut(host)?.interface()
    }

    fn step(&mut self, until: Option<Instant>) -> io::Result<()> {
        self.steps += 1;
        let now = self.now;
        let mut any = false;
        for node in &mut self.nodes {
            any |= node.poll(now);
        }
        if any {
            return Ok(());
        }
        let next = self.nodes.iter().filter_map(|n| n.poll_at()).min();
        let Some(next) = next else {
            if let Some(until) = until {
                self.now = self.now.max(until);
                return Ok(());
            }
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "simulated network is idle: nothing will ever happen again",
            ));
        };
        // A deadline that is already due yet produced no work (a node
        // reporting "as soon as possible" while blocked) still moves time
        // a little, so a busy-wait always ends.
        let mut target = if next > now {
            next
        } else {
            now + Duration::from_micros(1)
        };
        if let Some(until) = until {
            target = target.min(until.max(now + Duration::from_micros(1)));
        }
        if let Some(horizon) = self.horizon
            && target > horizon
        {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "simulated network passed its time horizon",
            ));
        }
        self.now = target;
        Ok(())
    }
}

/// A handle on one host of a network: what the blocking sockets are
/// created on. Cheap to clone.
#[derive(Clone)]
pub struct HostHandle {
    driver: Rc<RefCell<dyn Driver>>,
    host: usize,
    /// Set from elsewhere (a signal handler's thread) to make every
    /// blocked call on this handle, and on the sockets made from it, give
    /// up with [`Interrupted`].
    interrupt: Option<Arc<AtomicBool>>,
}

impl fmt::Debug for HostHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostHandle")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Nodes under a simulated clock: see the [module documentation](self).
#[derive(Clone)]
pub struct SimNet {
    inner: Rc<RefCell<SimInner>>,
}

impl fmt::Debug for SimNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("SimNet")
            .field("now", &inner.now)
            .field("nodes", &inner.nodes.len())
            .finish()
    }
}

impl Default for SimNet {
    fn default() -> Self {
        Self::new()
    }
}

impl SimNet {
    /// An empty network at time zero.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Rc::new(RefCell::new(SimInner {
                now: Instant::ZERO,
                nodes: Vec::new(),
                horizon: None,
                steps: 0,
            })),
        }
    }

    /// Adds a host and returns its handle.
    pub fn add_host<D: Device + 'static>(&self, interface: Interface, device: D) -> HostHandle {
        self.add_node(Box::new(Host { interface, device }))
    }

    /// Adds any node (a router, a scripted peer); its handle reaches the
    /// node's [`Node::interface`] if it has one.
    pub fn add_node(&self, node: Box<dyn Node>) -> HostHandle {
        let mut inner = self.inner.borrow_mut();
        inner.nodes.push(node);
        let host = inner.nodes.len() - 1;
        drop(inner);
        let driver: Rc<RefCell<dyn Driver>> = self.inner.clone();
        HostHandle {
            driver,
            host,
            interrupt: None,
        }
    }

    /// The simulated time.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.inner.borrow().now
    }

    /// Steps taken so far (polls of all nodes), for tests that measure.
    #[must_use]
    pub fn steps(&self) -> u64 {
        self.inner.borrow().steps
    }

    /// Makes every blocked call fail with `TimedOut` once simulated time
    /// would pass `horizon`.
    pub fn set_horizon(&self, horizon: Option<Instant>) {
        self.inner.borrow_mut().horizon = horizon;
    }

    /// Runs the network for `duration` of simulated time.
    ///
    /// # Errors
    /// As [`Driver::step`], except that an idle network simply lets the
    /// time pass.
    pub fn run_for(&self, duration: Duration) -> io::Result<()> {
        let end = self.now() + duration;
        while self.now() < end {
            self.inner
                .try_borrow_mut()
                .map_err(|_| reentrant())?
                .step(Some(end))?;
        }
        Ok(())
    }

    /// Runs until `done` holds (checked between steps) or `limit` of
    /// simulated time passes; returns whether `done` held.
    ///
    /// # Errors
    /// As [`Driver::step`].
    pub fn run_until(
        &self,
        limit: Duration,
        mut done: impl FnMut(&SimNet) -> bool,
    ) -> io::Result<bool> {
        let end = self.now() + limit;
        loop {
            if done(self) {
                return Ok(true);
            }
            if self.now() >= end {
                return Ok(false);
            }
            self.inner
                .try_borrow_mut()
                .map_err(|_| reentrant())?
                .step(Some(end))?;
        }
    }

    /// Runs `f` on host `handle`'s interface (stats, ARP table, routes,
    /// the raw socket API). `None` if the node is not a host (or if called
    /// from inside another `with_interface` closure).
    pub fn with_interface<R>(
        &self,
        handle: &HostHandle,
        f: impl FnOnce(&mut Interface, Instant) -> R,
    ) -> Option<R> {
        let mut inner = self.inner.try_borrow_mut().ok()?;
        let now = inner.now;
        let iface = inner.nodes.get_mut(handle.host)?.interface()?;
        Some(f(iface, now))
    }
}

impl HostHandle {
    /// Runs `f` on this host's interface with the network's current time.
    ///
    /// # Errors
    /// [`io::ErrorKind::NotFound`] if the node is not a host.
    pub fn with_interface<R>(&self, f: impl FnOnce(&mut Interface, Instant) -> R) -> io::Result<R> {
        let mut driver = self.driver.try_borrow_mut().map_err(|_| reentrant())?;
        let now = driver.now();
        let iface = driver.interface(self.host).ok_or_else(not_a_host)?;
        Ok(f(iface, now))
    }

    /// The network's current time.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.driver.borrow().now()
    }

    /// Runs `op` on the socket table until it stops saying "would block",
    /// driving the network in between; gives up with `WouldBlock` at
    /// `deadline` (if any).
    fn block<T>(
        &self,
        deadline: Option<Instant>,
        mut op: impl FnMut(&mut Sockets, Instant) -> Result<T, SocketError>,
    ) -> io::Result<T> {
        loop {
            let mut driver = self.driver.try_borrow_mut().map_err(|_| reentrant())?;
            let now = driver.now();
            let iface = driver.interface(self.host).ok_or_else(not_a_host)?;
            match op(iface.sockets(), now) {
                Ok(v) => return Ok(v),
                Err(SocketError::WouldBlock) => {}
                Err(e) => return Err(to_io(e)),
            }
            if deadline.is_some_and(|d| now >= d) {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "operation timed out",
                ));
            }
            self.check_interrupt()?;
            driver.step(deadline)?;
        }
    }

    /// Runs one non-blocking call on the socket table.
    fn call<T>(
        &self,
        op: impl FnOnce(&mut Sockets, Instant) -> Result<T, SocketError>,
    ) -> io::Result<T> {
        let mut driver = self.driver.try_borrow_mut().map_err(|_| reentrant())?;
        let now = driver.now();
        let iface = driver.interface(self.host).ok_or_else(not_a_host)?;
        op(iface.sockets(), now).map_err(to_io)
    }

    /// This handle, with `flag` interrupting its blocked calls (and those
    /// of every socket made from it from now on): once the flag is set,
    /// each fails with an error whose source is [`Interrupted`] instead
    /// of waiting on (see [`is_interrupted`]).
    #[must_use]
    pub fn with_interrupt(&self, flag: Arc<AtomicBool>) -> HostHandle {
        HostHandle {
            interrupt: Some(flag),
            ..self.clone()
        }
    }

    fn check_interrupt(&self) -> io::Result<()> {
        match &self.interrupt {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(io::Error::other(Interrupted)),
            _ => Ok(()),
        }
    }

    /// Lets the network run until `deadline` (or, without one, one step).
    fn step(&self, until: Option<Instant>) -> io::Result<()> {
        self.check_interrupt()?;
        self.driver
            .try_borrow_mut()
            .map_err(|_| reentrant())?
            .step(until)
    }
}

/// Why a blocked call gave up: its handle's interrupt flag was set (see
/// [`HostHandle::with_interrupt`]). Carried as the source of an
/// [`io::Error`] of kind `Other`, not `Interrupted`: the standard
/// library's `write_all` and `read_exact` retry `Interrupted` errors, and
/// would retry this one for ever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Whether `e` is a blocked call giving up on an interrupt
/// ([`Interrupted`]).
#[must_use]
pub fn is_interrupted(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Interrupted>())
}

/// A socket used from inside a closure that already holds the network
/// (e.g. dropped inside [`SimNet::with_interface`]).
fn reentrant() -> io::Error {
    io::Error::new(
        io::ErrorKind::ResourceBusy,
        "the network is in use by an enclosing call",
    )
}

fn not_a_host() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "node is not a host")
}

/// The `std::io::Error` for a socket error, keeping its strerror text.
#[must_use]
pub fn to_io(e: SocketError) -> io::Error {
    io::Error::new(e.io_kind(), e)
}

fn deadline(now: Instant, timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| now + t)
}

/// Waits until a socket is readable, writable or failed, per `want`.
fn wait_ready(
    host: &HostHandle,
    fd: Fd,
    deadline: Option<Instant>,
    want: impl Fn(&strata_socket::Readiness) -> bool,
) -> io::Result<()> {
    host.block(deadline, |s, _| {
        let r = s.readiness(fd)?;
        if r.error
            && let Some(e) = s.take_error(fd)?
        {
            return Err(e);
        }
        if want(&r) || r.error || r.hangup {
            Ok(())
        } else {
            Err(SocketError::WouldBlock)
        }
    })
}

/// A TCP connection, like [`std::net::TcpStream`].
pub struct TcpStream {
    host: HostHandle,
    fd: Fd,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream").field("fd", &self.fd).finish()
    }
}

impl TcpStream {
    /// Opens a connection to `addr` from `host` (three-way handshake),
    /// blocking until it is established or fails.
    ///
    /// # Errors
    /// As the socket API reports them: `ConnectionRefused` for a RST,
    /// `TimedOut`, `HostUnreachable` when ARP fails, ...
    pub fn connect(host: &HostHandle, addr: SocketAddrV4) -> io::Result<TcpStream> {
        Self::connect_timeout(host, addr, None)
    }

    /// [`connect`](Self::connect) that gives up after `timeout` (of the
    /// network's time).
    ///
    /// # Errors
    /// As `connect`, and `WouldBlock` when the time runs out.
    pub fn connect_timeout(
        host: &HostHandle,
        addr: SocketAddrV4,
        timeout: Option<Duration>,
    ) -> io::Result<TcpStream> {
        Self::connect_with(host, addr, timeout, &[])
    }

    /// [`connect_timeout`](Self::connect_timeout) with socket options set
    /// before the SYN goes out: what the handshake announces (the receive
    /// buffer, hence the window scale) can only be chosen then.
    ///
    /// # Errors
    /// As `connect_timeout`, and `InvalidInput` for an option the socket
    /// refuses.
    pub fn connect_with(
        host: &HostHandle,
        addr: SocketAddrV4,
        timeout: Option<Duration>,
        options: &[SocketOption],
    ) -> io::Result<TcpStream> {
        let fd = host.call(|s, _| s.socket(SocketKind::Stream))?;
        let stream = TcpStream {
            host: host.clone(),
            fd,
            read_timeout: None,
            write_timeout: None,
        };
        for option in options {
            host.call(|s, _| s.set_option(fd, *option))?;
        }
        match host.call(|s, now| s.connect(now, fd, addr)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        let until = deadline(host.now(), timeout);
        wait_ready(host, fd, until, |r| r.writable)?;
        // Writable with no error: established.
        Ok(stream)
    }

    /// Wraps a descriptor the socket table already holds (e.g. one
    /// accepted by hand).
    #[must_use]
    pub fn from_fd(host: &HostHandle, fd: Fd) -> TcpStream {
        TcpStream {
            host: host.clone(),
            fd,
            read_timeout: None,
            write_timeout: None,
        }
    }

    /// The descriptor.
    #[must_use]
    pub fn fd(&self) -> Fd {
        self.fd
    }

    /// Local address and port.
    ///
    /// # Errors
    /// As the socket API.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        self.host.call(|s, _| s.local_addr(self.fd))
    }

    /// Remote address and port.
    ///
    /// # Errors
    /// `NotConnected` and the like.
    pub fn peer_addr(&self) -> io::Result<SocketAddrV4> {
        self.host.call(|s, _| s.peer_addr(self.fd))
    }

    /// Shuts down reading, writing or both (FIN for writing).
    ///
    /// # Errors
    /// As the socket API.
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        let how = match how {
            std::net::Shutdown::Read => Shutdown::Read,
            std::net::Shutdown::Write => Shutdown::Write,
            std::net::Shutdown::Both => Shutdown::Both,
        };
        self.host.call(|s, now| s.shutdown(now, self.fd, how))
    }

    /// Disables or enables Nagle's algorithm.
    ///
    /// # Errors
    /// As the socket API.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.host
            .call(|s, _| s.set_option(self.fd, SocketOption::NoDelay(nodelay)))
    }

    /// Turns keepalive probing on with `idle` of silence before the first
    /// probe (`SO_KEEPALIVE` with `TCP_KEEPIDLE`), or off with `None`, on
    /// a connection that may already be established: its timer restarts
    /// from the network's current time. A peer that stops answering the
    /// probes makes reads and writes fail with
    /// [`TimedOut`](io::ErrorKind::TimedOut).
    ///
    /// # Errors
    /// `InvalidInput` for a zero `idle`; otherwise as the socket API.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        self.host
            .call(|s, now| s.set_option_at(now, self.fd, SocketOption::KeepAlive(idle)))
    }

    /// Bounds how long [`read`](io::Read::read) blocks (network time);
    /// past it, `WouldBlock`.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// Bounds how long [`write`](io::Write::write) blocks (network time).
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    /// The connection's TCP state, for tests and diagnostics.
    ///
    /// # Errors
    /// As the socket API.
    pub fn tcp_state(&self) -> io::Result<strata_tcp::State> {
        self.host.call(|s, _| s.tcp_state(self.fd))
    }

    /// The pending socket error (SO_ERROR), taken.
    ///
    /// # Errors
    /// As the socket API.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.host
            .call(|s, _| s.take_error(self.fd))
            .map(|e| e.map(to_io))
    }
}

impl io::Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let until = deadline(self.host.now(), self.read_timeout);
        let fd = self.fd;
        self.host.block(until, |s, _| s.recv(fd, buf))
    }
}

impl io::Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let until = deadline(self.host.now(), self.write_timeout);
        let fd = self.fd;
        self.host.block(until, |s, now| s.send(now, fd, buf))
    }

    /// Data is handed to TCP on `write`; this only gives the network a
    /// chance to send it.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let until = deadline(self.host.now(), self.read_timeout);
        let fd = self.fd;
        self.host.block(until, |s, _| s.recv(fd, buf))
    }
}

impl io::Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let until = deadline(self.host.now(), self.write_timeout);
        let fd = self.fd;
        self.host.block(until, |s, now| s.send(now, fd, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for TcpStream {
    /// Closes the descriptor; TCP's graceful close carries on in the
    /// background as the network runs.
    fn drop(&mut self) {
        let fd = self.fd;
        let _ = self.host.call(|s, now| s.close(now, fd));
    }
}

/// A listening TCP socket, like [`std::net::TcpListener`].
pub struct TcpListener {
    host: HostHandle,
    fd: Fd,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("fd", &self.fd).finish()
    }
}

impl TcpListener {
    /// The default backlog (Linux's `SOMAXCONN`).
    pub const DEFAULT_BACKLOG: usize = 4096;

    /// Binds `addr` on `host` and listens with the default backlog.
    ///
    /// # Errors
    /// `AddrInUse`, `AddrNotAvailable`, ...
    pub fn bind(host: &HostHandle, addr: SocketAddrV4) -> io::Result<TcpListener> {
        Self::bind_with_backlog(host, addr, Self::DEFAULT_BACKLOG)
    }

    /// Binds and listens with `backlog` connections waiting at most.
    ///
    /// # Errors
    /// As [`bind`](Self::bind).
    pub fn bind_with_backlog(
        host: &HostHandle,
        addr: SocketAddrV4,
        backlog: usize,
    ) -> io::Result<TcpListener> {
        let fd = host.call(|s, _| s.socket(SocketKind::Stream))?;
        let listener = TcpListener {
            host: host.clone(),
            fd,
        };
        host.call(|s, _| s.bind(fd, addr))?;
        host.call(|s, _| s.listen(fd, backlog))?;
        Ok(listener)
    }

    /// The bound address.
    ///
    /// # Errors
    /// As the socket API.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        self.host.call(|s, _| s.local_addr(self.fd))
    }

    /// Blocks until a connection completes its handshake and returns it.
    ///
    /// # Errors
    /// As the socket API; `TimedOut` if the simulated network goes idle
    /// with nobody connecting.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddrV4)> {
        let fd = self.fd;
        let (conn, peer) = self.host.block(None, |s, _| s.accept(fd))?;
        Ok((TcpStream::from_fd(&self.host, conn), peer))
    }

    /// Accepts without blocking: `WouldBlock` if none is ready.
    ///
    /// # Errors
    /// As the socket API.
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddrV4)> {
        let fd = self.fd;
        let (conn, peer) = self.host.call(|s, _| s.accept(fd))?;
        Ok((TcpStream::from_fd(&self.host, conn), peer))
    }

    /// An endless iterator of accepted connections, like
    /// [`std::net::TcpListener::incoming`].
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let fd = self.fd;
        let _ = self.host.call(|s, now| s.close(now, fd));
    }
}

/// Iterator over [`TcpListener::accept`] results.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

/// A UDP socket, like [`std::net::UdpSocket`].
pub struct UdpSocket {
    host: HostHandle,
    fd: Fd,
    read_timeout: Option<Duration>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket").field("fd", &self.fd).finish()
    }
}

impl UdpSocket {
    /// Binds `addr` (port 0: an ephemeral port) on `host`.
    ///
    /// # Errors
    /// `AddrInUse`, `AddrNotAvailable`, ...
    pub fn bind(host: &HostHandle, addr: SocketAddrV4) -> io::Result<UdpSocket> {
        let fd = host.call(|s, _| s.socket(SocketKind::Datagram))?;
        let socket = UdpSocket {
            host: host.clone(),
            fd,
            read_timeout: None,
        };
        host.call(|s, _| s.bind(fd, addr))?;
        Ok(socket)
    }

    /// The descriptor.
    #[must_use]
    pub fn fd(&self) -> Fd {
        self.fd
    }

    /// The bound address.
    ///
    /// # Errors
    /// As the socket API.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        self.host.call(|s, _| s.local_addr(self.fd))
    }

    /// Sets the default peer: `send` goes there, `recv` takes only its
    /// datagrams, and ICMP errors about it come back as errors.
    ///
    /// # Errors
    /// As the socket API.
    pub fn connect(&self, addr: SocketAddrV4) -> io::Result<()> {
        self.host.call(|s, now| s.connect(now, self.fd, addr))
    }

    /// Sends a datagram to `addr`.
    ///
    /// # Errors
    /// `MessageTooLong`, `PermissionDenied` (broadcast without the
    /// option), a pending ICMP error, ...
    pub fn send_to(&self, buf: &[u8], addr: SocketAddrV4) -> io::Result<usize> {
        self.host
            .block(None, |s, now| s.send_to(now, self.fd, buf, addr))
    }

    /// Sends a datagram to the connected peer.
    ///
    /// # Errors
    /// As `send_to`; `ConnectionRefused` when an earlier datagram drew a
    /// port unreachable.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.host.block(None, |s, now| s.send(now, self.fd, buf))
    }

    /// Receives a datagram (truncated to `buf`) and its sender.
    ///
    /// # Errors
    /// `WouldBlock` after the read timeout; pending ICMP errors.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddrV4)> {
        let until = deadline(self.host.now(), self.read_timeout);
        self.host.block(until, |s, _| s.recv_from(self.fd, buf))
    }

    /// Receives a datagram from the connected peer.
    ///
    /// # Errors
    /// As `recv_from`; `ConnectionRefused` after a port unreachable.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let until = deadline(self.host.now(), self.read_timeout);
        self.host.block(until, |s, _| s.recv(self.fd, buf))
    }

    /// Bounds how long receiving blocks (network time).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// Allows sending to broadcast addresses.
    ///
    /// # Errors
    /// As the socket API.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.host
            .call(|s, _| s.set_option(self.fd, SocketOption::Broadcast(on)))
    }

    /// Sets the TTL of outgoing datagrams.
    ///
    /// # Errors
    /// As the socket API.
    pub fn set_ttl(&self, ttl: u8) -> io::Result<()> {
        self.host
            .call(|s, _| s.set_option(self.fd, SocketOption::Ttl(ttl)))
    }

    /// The pending socket error (SO_ERROR), taken.
    ///
    /// # Errors
    /// As the socket API.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.host
            .call(|s, _| s.take_error(self.fd))
            .map(|e| e.map(to_io))
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let fd = self.fd;
        let _ = self.host.call(|s, now| s.close(now, fd));
    }
}

/// A device that can block until it has a frame, for [`RealtimeNet`].
pub trait Wait {
    /// Blocks until a frame may be received or `timeout` passes (`None`:
    /// no limit).
    ///
    /// # Errors
    /// The operating system's.
    fn wait(&self, timeout: Option<std::time::Duration>) -> io::Result<()>;
}

impl Wait for crate::device::memory::MemoryDevice {
    fn wait(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        let _ = crate::device::memory::MemoryDevice::wait(self, timeout);
        Ok(())
    }
}

#[cfg(target_os = "linux")]
impl Wait for crate::device::tap::TapDevice {
    fn wait(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        crate::device::tap::TapDevice::wait(self, timeout).map(|_| ())
    }
}

/// One host on a real device under the real clock: see the
/// [module documentation](self).
pub struct RealtimeNet<D> {
    inner: Rc<RefCell<RealtimeInner<D>>>,
}

impl<D> fmt::Debug for RealtimeNet<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeNet").finish_non_exhaustive()
    }
}

struct RealtimeInner<D> {
    start: std::time::Instant,
    host: Host<D>,
}

impl<D> RealtimeInner<D> {
    fn clock(&self) -> Instant {
        elapsed_since(self.start)
    }
}

/// Real time since `start` as network time.
fn elapsed_since(start: std::time::Instant) -> Instant {
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    Instant::from_micros(micros)
}

impl<D: Device + Wait> Driver for RealtimeInner<D> {
    fn now(&self) -> Instant {
        self.clock()
    }

    fn interface(&mut self, host: usize) -> Option<&mut Interface> {
        (host == 0).then_some(&mut self.host.interface)
    }

    fn step(&mut self, until: Option<Instant>) -> io::Result<()> {
        let start = self.start;
        // The clock is read per round (a few tens of nanoseconds), so what
        // is received late in a busy step is stamped with its real time.
        if self.host.poll_with_clock(|| elapsed_since(start)) {
            return Ok(());
        }
        let now = self.clock();
        let next = [self.host.poll_at(), until].into_iter().flatten().min();
        let timeout = next.map(|t| std::time::Duration::from(t.saturating_duration_since(now)));
        // Wake at least every 100 ms anyway: a timer set by an application
        // call made in between is then never missed by much.
        let cap = std::time::Duration::from_millis(100);
        let timeout = Some(timeout.map_or(cap, |t| t.min(cap)));
        self.host.device.wait(timeout)
    }
}

impl<D: Device + Wait + 'static> RealtimeNet<D> {
    /// Drives `interface` on `device` with the real clock, starting at
    /// time zero now.
    pub fn new(interface: Interface, device: D) -> Self {
        Self {
            inner: Rc::new(RefCell::new(RealtimeInner {
                start: std::time::Instant::now(),
                host: Host { interface, device },
            })),
        }
    }

    /// The handle the blocking sockets are created on.
    #[must_use]
    pub fn host(&self) -> HostHandle {
        let driver: Rc<RefCell<dyn Driver>> = self.inner.clone();
        HostHandle {
            driver,
            host: 0,
            interrupt: None,
        }
    }

    /// Runs `f` on the interface with the current time.
    pub fn with_interface<R>(&self, f: impl FnOnce(&mut Interface, Instant) -> R) -> R {
        let mut inner = self.inner.borrow_mut();
        let now = inner.clock();
        f(&mut inner.host.interface, now)
    }

    /// Runs the host for `duration` of real time.
    ///
    /// # Errors
    /// The device's.
    pub fn run_for(&self, duration: std::time::Duration) -> io::Result<()> {
        let end = std::time::Instant::now() + duration;
        while std::time::Instant::now() < end {
            let until = {
                let inner = self.inner.borrow();
                inner.clock()
                    + Duration::from(end.saturating_duration_since(std::time::Instant::now()))
            };
            self.inner
                .try_borrow_mut()
                .map_err(|_| reentrant())?
                .step(Some(until))?;
        }
        Ok(())
    }
}

impl HostHandle {
    /// Drives the network until `deadline` passes (network time), e.g. to
    /// let a graceful close finish.
    ///
    /// # Errors
    /// As [`Driver::step`].
    pub fn run_until(&self, deadline: Instant) -> io::Result<()> {
        while self.now() < deadline {
            self.step(Some(deadline))?;
        }
        Ok(())
    }
}
