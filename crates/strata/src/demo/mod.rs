//! `strata demo`: two hosts on an in-memory link, told as a story.
//!
//! A client (198.18.0.1) and a server (198.18.0.2) each get an
//! [`Interface`] on one end of an in-memory Ethernet pair
//! ([`memory::pair`]), each end wrapped in a [`FaultInjector`] (clean unless
//! a loss rate is given). The server answers DNS for `example.test` on UDP
//! port 53 with a [`Responder`] and HTTP on TCP port 80. The client
//! resolves `server.example.test` (the first frames are the ARP exchange
//! that the DNS query needs), opens a TCP connection to port 80 (the
//! three-way handshake; the server's listening socket hands out a new
//! socket for it), sends an HTTP/1.1 GET, reads the response and closes
//! (the FIN exchange). Time is simulated: the loop jumps to the next instant
//! any host or device has work, so a run takes milliseconds whatever the
//! retransmission timers say.
//!
//! [`run`] returns the story (four socket steps, every frame on the link,
//! the layer story of the first data segment going down at the client and
//! up at the server), the bytes each side received, and the frames for a
//! capture or a [`ladder`] diagram.
//!
//! - [`ladder`]: a TCP conversation as an SVG sequence diagram;
//! - [`layers`]: one frame's headers added on the way down and stripped on
//!   the way up.
//!
//! ```
//! use strata::demo::{DemoConfig, run};
//!
//! let outcome = run(&DemoConfig::default(), None)?;
//! assert_eq!(outcome.response, strata::demo::http_response());
//! assert!(outcome.story.contains("Step 4: close"));
//! # Ok::<(), strata::demo::DemoError>(())
//! ```

pub mod ladder;
pub mod layers;

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration as StdDuration, SystemTime};

use strata_core::time::{Duration, Instant};
use strata_dns::server::{Responder, Zone};
use strata_dns::wire::{Message, RData};
use strata_ethernet::{EtherType, Frame, MacAddress};
use strata_ipv4::route::Ipv4Cidr;
use strata_ipv4::{Packet, Protocol};
use strata_sim::LinkConfig;
use strata_socket::{Error as SocketError, Fd, Lookup, SocketKind};
use strata_udp::Datagram;

use crate::device::Device;
use crate::device::fault::FaultInjector;
use crate::device::memory::{self, MemoryDevice};
use crate::device::pcap::{PcapOptions, PcapWriter};
use crate::iface::{
    ConfigError, Direction as IfDirection, FrameRecord, Interface, InterfaceConfig, PollResult,
};
use ladder::{Ladder, LinkFrame};
use layers::Encapsulation;

/// The client's address.
pub const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// The server's address.
pub const SERVER_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
/// The client's MAC (locally administered).
pub const CLIENT_MAC: MacAddress = MacAddress::new([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
/// The server's MAC.
pub const SERVER_MAC: MacAddress = MacAddress::new([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
/// The name the client resolves.
pub const SERVER_NAME: &str = "server.example.test";
/// The HTTP port.
pub const HTTP_PORT: u16 = 80;

/// Frames recorded at most; a run that sends more is cut short.
const MAX_FRAMES: usize = 10_000;
/// Loop rounds at one instant before time is forced forward.
const MAX_ROUNDS_PER_INSTANT: u32 = 64;
/// After both sides closed, the run ends once the link has been quiet this
/// long (retransmitted FINs and their ACKs come within it).
const QUIET: Duration = Duration::from_secs(10);

/// How the demo runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemoConfig {
    /// Probability that the link loses a frame, each direction.
    pub loss: f64,
    /// Seed of the link's random choices and the hosts' random sources.
    pub seed: u64,
    /// One-way delay of the link.
    pub delay: Duration,
    /// Simulated time after which the run gives up.
    pub time_limit: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            loss: 0.0,
            seed: 1,
            delay: Duration::from_millis(1),
            time_limit: Duration::from_secs(300),
        }
    }
}

/// Which host sent a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// 198.18.0.1.
    Client,
    /// 198.18.0.2.
    Server,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// One frame a host put on the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRecord {
    /// When it was sent.
    pub time: Instant,
    /// Who sent it.
    pub from: Side,
    /// The Ethernet frame.
    pub frame: Vec<u8>,
    /// Whether the link lost it (the other host never received it).
    pub dropped: bool,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct DemoOutcome {
    /// The story, ready to print.
    pub story: String,
    /// The addresses `server.example.test` resolved to.
    pub resolved: Vec<Ipv4Addr>,
    /// The bytes the server received on the accepted connection.
    pub request: Vec<u8>,
    /// The bytes the client received.
    pub response: Vec<u8>,
    /// Every frame put on the link, in order.
    pub frames: Vec<LinkRecord>,
    /// Frames the link lost.
    pub frames_lost: usize,
    /// The TCP conversation, if there was one.
    pub ladder: Option<Ladder>,
    /// TCP segments sent again (both directions), as the ladder counts them.
    pub tcp_retransmissions: usize,
    /// Simulated time from start to the quiet link at the end.
    pub elapsed: Duration,
}

/// Why a run failed.
#[derive(Debug)]
pub enum DemoError {
    /// A host's configuration was refused.
    Config(ConfigError),
    /// A socket call failed at a step of the story.
    Socket {
        /// What was being done.
        step: &'static str,
        /// The error.
        error: SocketError,
    },
    /// The capture could not be written.
    Pcap(io::Error),
    /// The simulated time limit passed before the step finished.
    TimedOut {
        /// What was being waited for.
        step: &'static str,
    },
    /// The demo's zone text did not load.
    Zone(strata_dns::server::ZoneError),
    /// The run stopped partway: why, and the story up to there.
    Incomplete {
        /// Why it stopped.
        cause: Box<DemoError>,
        /// The story so far, as [`DemoOutcome::story`] would have told it.
        story: String,
    },
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Config(e) => write!(f, "host configuration refused: {e}"),
            DemoError::Socket { step, error } => write!(f, "{step}: {error}"),
            DemoError::Pcap(e) => write!(f, "cannot write the capture: {e}"),
            DemoError::TimedOut { step } => write!(f, "gave up waiting: {step}"),
            DemoError::Zone(e) => write!(f, "the demo zone does not load: {e}"),
            DemoError::Incomplete { cause, .. } => fmt::Display::fmt(cause, f),
        }
    }
}

impl std::error::Error for DemoError {}

/// The request the client sends.
#[must_use]
pub fn http_request() -> Vec<u8> {
    format!(
        "GET /index.txt HTTP/1.1\r\nHost: {SERVER_NAME}\r\nUser-Agent: strata-demo\r\nAccept: */*\r\n\r\n"
    )
    .into_bytes()
}

/// The body the server sends: long enough to take three segments.
fn http_body() -> String {
    let mut body = String::from("Hello from strata, a userspace TCP/IP stack.\n");
    for i in 1..=60 {
        let _ = writeln!(
            body,
            "line {i:02}: every byte here went down four layers and came back up."
        );
    }
    body
}

/// The response the server sends.
#[must_use]
pub fn http_response() -> Vec<u8> {
    let body = http_body();
    format!(
        "HTTP/1.1 200 OK\r\nServer: strata-demo\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The zone the server answers for.
///
/// # Errors
/// Never in practice: the zone text is fixed.
pub fn zone() -> Result<Zone, strata_dns::server::ZoneError> {
    Zone::parse(
        "$ORIGIN example.test.\n\
         @      3600 SOA ns1 hostmaster 1 3600 600 86400 60\n\
         @      3600 NS  ns1\n\
         ns1    3600 A   198.18.0.2\n\
         server  300 A   198.18.0.2\n\
         www     300 CNAME server\n",
    )
}

/// Runs the demo; with `pcap`, every frame the client's end of the link
/// sends or receives is written there as pcapng.
///
/// # Errors
/// [`DemoError`] when a host cannot be set up, a socket call fails, the
/// capture cannot be written or the exchange does not finish in time.
pub fn run(config: &DemoConfig, pcap: Option<&mut dyn Write>) -> Result<DemoOutcome, DemoError> {
    let (a, b) = memory::pair(1500);
    let link = |seed: u64| {
        let cfg = LinkConfig::clean()
            .with_delay(config.delay)
            .with_loss(config.loss);
        (cfg, seed)
    };
    let (client_link, client_seed) = link(config.seed);
    let (server_link, server_seed) = link(config.seed.wrapping_add(0x5eed));
    let mut client_dev: FaultInjector<MemoryDevice> =
        FaultInjector::new(a, client_link, client_seed);
    let mut server_dev = FaultInjector::new(b, server_link, server_seed);
    match pcap {
        None => drive(config, &mut client_dev, &mut server_dev),
        Some(writer) => {
            let options = PcapOptions {
                // A fixed wall-clock start (2026-01-01) keeps captures of
                // one seed identical.
                epoch: SystemTime::UNIX_EPOCH + StdDuration::from_secs(1_767_225_600),
                interface_name: Some(String::from("strata-demo-client")),
                ..PcapOptions::default()
            };
            let mut dev =
                PcapWriter::with_options(client_dev, writer, options).map_err(DemoError::Pcap)?;
            let outcome = drive(config, &mut dev, &mut server_dev);
            dev.flush().map_err(DemoError::Pcap)?;
            if let Some(e) = dev.error() {
                return Err(DemoError::Pcap(io::Error::new(e.kind(), e.to_string())));
            }
            outcome
        }
    }
}

/// A frame as an interface's observer saw it.
struct Seen {
    time: Instant,
    direction: IfDirection,
    frame: Vec<u8>,
}

// Shared with the interface's observer, which must be `Send` like the
// interface itself.
type Tap = Arc<Mutex<Vec<Seen>>>;

fn host(
    ip: Ipv4Addr,
    mac: MacAddress,
    seed: u64,
    dns: bool,
) -> Result<(Interface, Tap), DemoError> {
    let cidr = Ipv4Cidr::new(ip, 24).map_err(|_| {
        DemoError::Config(ConfigError::BadAddress {
            address: Ipv4Cidr {
                address: ip,
                prefix_len: 24,
            },
        })
    })?;
    let mut config = InterfaceConfig::new(mac, cidr);
    config.seed = seed;
    if dns {
        let mut resolver = strata_dns::resolver::Config::with_nameservers(&[SERVER_IP.into()]);
        resolver.timeout = Duration::from_secs(1);
        resolver.attempts = 4;
        config.sockets.resolver = Some(resolver);
    }
    let mut iface = Interface::new(config).map_err(DemoError::Config)?;
    let tap: Tap = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&tap);
    iface.set_observer(Some(Box::new(move |record: &FrameRecord<'_>| {
        let mut seen = sink.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() < 2 * MAX_FRAMES {
            seen.push(Seen {
                time: record.time,
                direction: record.direction,
                frame: record.frame.to_vec(),
            });
        }
    })));
    Ok((iface, tap))
}

/// One line of the story as it unfolds.
enum Entry {
    /// A step heading.
    Step(&'static str),
    /// What an application did.
    Note {
        time: Instant,
        side: Side,
        text: String,
    },
    /// A frame put on the link (index into the link records).
    Frame(usize),
}

/// The story so far and the frames seen.
struct Journal {
    entries: Vec<Entry>,
    link: Vec<LinkRecord>,
    /// Frames received, per side: (time, bytes).
    received: [Vec<(Instant, Vec<u8>)>; 2],
}

impl Journal {
    fn note(&mut self, time: Instant, side: Side, text: impl Into<String>) {
        self.entries.push(Entry::Note {
            time,
            side,
            text: text.into(),
        });
    }

    /// Moves what a host's observer saw into the journal.
    fn drain(&mut self, side: Side, tap: &Tap) {
        let seen: Vec<Seen> = tap
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for s in seen {
            match s.direction {
                IfDirection::Tx => {
                    if self.link.len() < MAX_FRAMES {
                        self.entries.push(Entry::Frame(self.link.len()));
                        self.link.push(LinkRecord {
                            time: s.time,
                            from: side,
                            frame: s.frame,
                            dropped: true,
                        });
                    }
                }
                IfDirection::Rx => {
                    let slot = match side {
                        Side::Client => &mut self.received[0],
                        Side::Server => &mut self.received[1],
                    };
                    if slot.len() < MAX_FRAMES {
                        slot.push((s.time, s.frame));
                    }
                }
            }
        }
    }

    /// Marks each frame the other side received as delivered: a received
    /// frame is the latest not yet matched identical frame sent before it
    /// (a lost frame and its retransmission are often identical).
    fn settle(&mut self) {
        for (receiver, received) in [(Side::Client, 0usize), (Side::Server, 1usize)] {
            let Some(list) = self.received.get(received) else {
                continue;
            };
            for (time, bytes) in list {
                let found = self
                    .link
                    .iter_mut()
                    .rev()
                    .filter(|r| r.from != receiver && r.dropped && r.time <= *time)
                    .find(|r| r.frame == *bytes);
                if let Some(record) = found {
                    record.dropped = false;
                }
            }
        }
    }
}

/// The client's progress through the story.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientPhase {
    Start,
    Resolving,
    Connecting,
    Sending,
    Receiving,
    Closed,
}

struct Client {
    phase: ClientPhase,
    lookup: Option<Lookup>,
    fd: Option<Fd>,
    resolved: Vec<Ipv4Addr>,
    out: Vec<u8>,
    sent: usize,
    received: Vec<u8>,
    expected: Option<usize>,
}

/// What the server does with its sockets.
struct Server {
    responder: Responder,
    udp: Fd,
    listener: Fd,
    conn: Option<Fd>,
    request: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    responded: bool,
    closed: bool,
}

fn sock<T>(step: &'static str, r: Result<T, SocketError>) -> Result<T, DemoError> {
    r.map_err(|error| DemoError::Socket { step, error })
}

/// The first text of a byte string, escaped, for one line.
fn preview(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .take(40)
        .map(|&b| match b {
            b'\r' => String::from("\\r"),
            b'\n' => String::from("\\n"),
            0x20..=0x7e => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    if bytes.len() > 40 {
        format!("\"{text}\"...")
    } else {
        format!("\"{text}\"")
    }
}

impl Server {
    fn new(iface: &mut Interface, journal: &mut Journal) -> Result<Server, DemoError> {
        let zone = zone().map_err(DemoError::Zone)?;
        let responder = Responder::new(zone);
        let s = iface.sockets();
        let now = Instant::ZERO;
        let udp = sock("server socket(DGRAM)", s.socket(SocketKind::Datagram))?;
        sock(
            "server bind :53",
            s.bind(udp, SocketAddrV4::new(SERVER_IP, 53)),
        )?;
        journal.note(
            now,
            Side::Server,
            format!("socket(DGRAM) -> {udp}; bind({SERVER_IP}:53): DNS for example.test"),
        );
        let listener = sock("server socket(STREAM)", s.socket(SocketKind::Stream))?;
        sock(
            "server bind :80",
            s.bind(listener, SocketAddrV4::new(SERVER_IP, HTTP_PORT)),
        )?;
        sock("server listen", s.listen(listener, 8))?;
        journal.note(
            now,
            Side::Server,
            format!(
                "socket(STREAM) -> {listener}; bind({SERVER_IP}:{HTTP_PORT}); listen(backlog 8)"
            ),
        );
        Ok(Server {
            responder,
            udp,
            listener,
            conn: None,
            request: Vec::new(),
            out: http_response(),
            sent: 0,
            responded: false,
            closed: false,
        })
    }

    fn step(
        &mut self,
        now: Instant,
        iface: &mut Interface,
        journal: &mut Journal,
    ) -> Result<(), DemoError> {
        let s = iface.sockets();
        // DNS: answer every query waiting.
        let mut buf = [0u8; 1500];
        let mut answer = [0u8; 1232];
        loop {
            match s.recv_from(self.udp, &mut buf) {
                Ok((len, from)) => {
                    let Some(query) = buf.get(..len) else { break };
                    match self.responder.respond(query, &mut answer, 1232) {
                        Ok(n) => {
                            let reply = answer.get(..n).unwrap_or(&[]);
                            sock(
                                "server send_to (DNS)",
                                s.send_to(now, self.udp, reply, from),
                            )?;
                            journal.note(
                                now,
                                Side::Server,
                                format!("recv_from({}) -> DNS query from {from}; answered with {n} bytes", self.udp),
                            );
                        }
                        Err(e) => {
                            journal.note(now, Side::Server, format!("DNS: dropped a message: {e}"))
                        }
                    }
                }
                Err(SocketError::WouldBlock) => break,
                Err(error) => {
                    return Err(DemoError::Socket {
                        step: "server recv_from",
                        error,
                    });
                }
            }
        }
        // HTTP: accept, read the request, answer, close at end of stream.
        if self.conn.is_none() {
            match s.accept(self.listener) {
                Ok((fd, peer)) => {
                    journal.note(
                        now,
                        Side::Server,
                        format!(
                            "accept({}) -> {fd} for {peer}: the listening socket hands out a new socket",
                            self.listener
                        ),
                    );
                    self.conn = Some(fd);
                }
                Err(SocketError::WouldBlock) => {}
                Err(error) => {
                    return Err(DemoError::Socket {
                        step: "server accept",
                        error,
                    });
                }
            }
        }
        let Some(fd) = self.conn else {
            return Ok(());
        };
        if self.closed {
            return Ok(());
        }
        loop {
            match s.recv(fd, &mut buf) {
                Ok(0) => {
                    journal.note(
                        now,
                        Side::Server,
                        format!("recv({fd}) -> 0: the client closed its side"),
                    );
                    sock("server close", s.close(now, fd))?;
                    journal.note(now, Side::Server, format!("close({fd}): FIN"));
                    self.closed = true;
                    return Ok(());
                }
                Ok(n) => {
                    let got = buf.get(..n).unwrap_or(&[]);
                    self.request.extend_from_slice(got);
                    journal.note(
                        now,
                        Side::Server,
                        format!("recv({fd}) -> {n} bytes: {}", preview(got)),
                    );
                }
                Err(SocketError::WouldBlock) => break,
                Err(error) => {
                    return Err(DemoError::Socket {
                        step: "server recv",
                        error,
                    });
                }
            }
        }
        let complete = self.request.windows(4).any(|w| w == b"\r\n\r\n");
        if complete && !self.responded {
            while let Some(rest) = self.out.get(self.sent..).filter(|r| !r.is_empty()) {
                match s.send(now, fd, rest) {
                    Ok(n) => {
                        journal.note(
                            now,
                            Side::Server,
                            format!("send({fd}, {} bytes) -> {n}: {}", rest.len(), preview(rest)),
                        );
                        self.sent += n;
                    }
                    Err(SocketError::WouldBlock) => break,
                    Err(error) => {
                        return Err(DemoError::Socket {
                            step: "server send",
                            error,
                        });
                    }
                }
            }
            self.responded = self.sent >= self.out.len();
        }
        Ok(())
    }
}

impl Client {
    fn new() -> Client {
        Client {
            phase: ClientPhase::Start,
            lookup: None,
            fd: None,
            resolved: Vec::new(),
            out: http_request(),
            sent: 0,
            received: Vec::new(),
            expected: None,
        }
    }

    fn step(
        &mut self,
        now: Instant,
        iface: &mut Interface,
        journal: &mut Journal,
    ) -> Result<(), DemoError> {
        let s = iface.sockets();
        if self.phase == ClientPhase::Start {
            journal.entries.push(Entry::Step(
                "Step 1: create - resolve the server's name, then socket()",
            ));
            let lookup = sock("resolve", s.resolve(now, SERVER_NAME))?;
            journal.note(
                now,
                Side::Client,
                format!("resolve(\"{SERVER_NAME}\"): a DNS query to {SERVER_IP}:53 over UDP (ARP first: the server's MAC is unknown)"),
            );
            self.lookup = Some(lookup);
            self.phase = ClientPhase::Resolving;
        }
        if self.phase == ClientPhase::Resolving {
            let Some(lookup) = self.lookup else {
                return Ok(());
            };
            let Some(result) = s.poll_resolve(lookup) else {
                return Ok(());
            };
            let addrs = sock("resolve", result)?;
            journal.note(
                now,
                Side::Client,
                format!(
                    "{SERVER_NAME} -> {}",
                    addrs
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            let Some(&addr) = addrs.first() else {
                return Err(DemoError::Socket {
                    step: "resolve",
                    error: SocketError::HostUnreachable,
                });
            };
            self.resolved = addrs;
            let fd = sock("socket(STREAM)", s.socket(SocketKind::Stream))?;
            journal.note(now, Side::Client, format!("socket(STREAM) -> {fd}"));
            journal
                .entries
                .push(Entry::Step("Step 2: connect - the three-way handshake"));
            let target = SocketAddrV4::new(addr, HTTP_PORT);
            match s.connect(now, fd, target) {
                Err(SocketError::InProgress) | Ok(()) => {}
                Err(error) => {
                    return Err(DemoError::Socket {
                        step: "connect",
                        error,
                    });
                }
            }
            let local = s.local_addr(fd).map(|a| a.to_string()).unwrap_or_default();
            journal.note(
                now,
                Side::Client,
                format!("connect({fd}, {target}) -> EINPROGRESS from {local}: SYN"),
            );
            self.fd = Some(fd);
            self.phase = ClientPhase::Connecting;
        }
        let Some(fd) = self.fd else {
            return Ok(());
        };
        if self.phase == ClientPhase::Connecting {
            let ready = sock("readiness", s.readiness(fd))?;
            if ready.error {
                let error =
                    sock("take_error", s.take_error(fd))?.unwrap_or(SocketError::ConnectionRefused);
                return Err(DemoError::Socket {
                    step: "connect",
                    error,
                });
            }
            if !ready.writable {
                return Ok(());
            }
            let state = s.tcp_state(fd).map(|st| st.to_string()).unwrap_or_default();
            journal.note(
                now,
                Side::Client,
                format!("{fd} is writable: connected ({state})"),
            );
            journal.entries.push(Entry::Step(
                "Step 3: exchange - an HTTP/1.1 GET and its response",
            ));
            self.phase = ClientPhase::Sending;
        }
        if self.phase == ClientPhase::Sending {
            while let Some(rest) = self.out.get(self.sent..).filter(|r| !r.is_empty()) {
                match s.send(now, fd, rest) {
                    Ok(n) => {
                        journal.note(
                            now,
                            Side::Client,
                            format!("send({fd}, {} bytes) -> {n}: {}", rest.len(), preview(rest)),
                        );
                        self.sent += n;
                    }
                    Err(SocketError::WouldBlock) => return Ok(()),
                    Err(error) => {
                        return Err(DemoError::Socket {
                            step: "send",
                            error,
                        });
                    }
                }
            }
            self.phase = ClientPhase::Receiving;
        }
        if self.phase == ClientPhase::Receiving {
            let mut buf = [0u8; 4096];
            loop {
                match s.recv(fd, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let got = buf.get(..n).unwrap_or(&[]);
                        self.received.extend_from_slice(got);
                        journal.note(
                            now,
                            Side::Client,
                            format!("recv({fd}) -> {n} bytes: {}", preview(got)),
                        );
                    }
                    Err(SocketError::WouldBlock) => break,
                    Err(error) => {
                        return Err(DemoError::Socket {
                            step: "recv",
                            error,
                        });
                    }
                }
            }
            if self.expected.is_none() {
                self.expected = response_len(&self.received);
            }
            if self.expected.is_some_and(|len| self.received.len() >= len) {
                journal
                    .entries
                    .push(Entry::Step("Step 4: close - the FIN exchange"));
                sock("close", s.close(now, fd))?;
                journal.note(
                    now,
                    Side::Client,
                    format!("close({fd}): response complete, FIN"),
                );
                self.phase = ClientPhase::Closed;
            }
        }
        Ok(())
    }
}

/// The length of a whole HTTP response (headers and Content-Length body)
/// once its headers are in.
fn response_len(bytes: &[u8]) -> Option<usize> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(bytes.get(..end)?).ok()?;
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    })?;
    Some(end + length)
}

fn next_instant(candidates: [Option<Instant>; 4]) -> Option<Instant> {
    candidates.into_iter().flatten().min()
}

fn drive<C: Device, S: Device>(
    config: &DemoConfig,
    client_dev: &mut C,
    server_dev: &mut S,
) -> Result<DemoOutcome, DemoError> {
    let (mut client_if, client_tap) = host(CLIENT_IP, CLIENT_MAC, config.seed ^ 0xc11e, true)?;
    let (mut server_if, server_tap) = host(SERVER_IP, SERVER_MAC, config.seed ^ 0x5e7e, false)?;
    let mut journal = Journal {
        entries: Vec::new(),
        link: Vec::new(),
        received: [Vec::new(), Vec::new()],
    };
    journal
        .entries
        .push(Entry::Step("Setup - the server opens its sockets"));
    let mut server = Server::new(&mut server_if, &mut journal)?;
    let mut client = Client::new();
    let limit = Instant::ZERO
        .checked_add(config.time_limit)
        .unwrap_or(Instant::from_micros(u64::MAX));
    let mut now = Instant::ZERO;
    let mut rounds = 0u32;
    let mut last_frame = Instant::ZERO;
    let finished: Result<(), DemoError> = loop {
        // The client twice: a frame the server's device releases while the
        // server polls (its delay ran out) reaches the client's queue then,
        // and must be read at this same instant.
        let c1 = client_if.poll(now, client_dev);
        journal.drain(Side::Client, &client_tap);
        let s = server_if.poll(now, server_dev);
        journal.drain(Side::Server, &server_tap);
        let c2 = client_if.poll(now, client_dev);
        journal.drain(Side::Client, &client_tap);
        let c = PollResult {
            received: c1.received + c2.received,
            transmitted: c1.transmitted + c2.transmitted,
            timers: c1.timers || c2.timers,
            more: c1.more || c2.more,
            local: c1.local + c2.local,
        };
        if c.transmitted + s.transmitted + c.received + s.received > 0 {
            last_frame = now;
        }
        if let Err(e) = client.step(now, &mut client_if, &mut journal) {
            break Err(e);
        }
        if let Err(e) = server.step(now, &mut server_if, &mut journal) {
            break Err(e);
        }
        let done = client.phase == ClientPhase::Closed && server.closed;
        let next = next_instant([
            client_if.poll_at(),
            server_if.poll_at(),
            client_dev.poll_at(),
            server_dev.poll_at(),
        ]);
        if c.did_something() || s.did_something() || next.is_some_and(|n| n <= now) {
            rounds += 1;
            if rounds < MAX_ROUNDS_PER_INSTANT {
                continue;
            }
        }
        rounds = 0;
        let quiet_until = last_frame.checked_add(QUIET).unwrap_or(limit);
        if done && next.is_none_or(|n| n > quiet_until) {
            break Ok(());
        }
        let step_to = match next {
            Some(n) if n > now => n,
            _ => now.checked_add(Duration::from_millis(1)).unwrap_or(limit),
        };
        if step_to > limit {
            let step = match client.phase {
                ClientPhase::Start | ClientPhase::Resolving => "name resolution",
                ClientPhase::Connecting => "the connection",
                ClientPhase::Sending | ClientPhase::Receiving => "the HTTP exchange",
                ClientPhase::Closed => "the close",
            };
            break Err(DemoError::TimedOut { step });
        }
        now = step_to;
    };
    journal.settle();
    let dns_timeouts = client_if
        .sockets()
        .resolver_stats()
        .map_or(0, |stats| stats.timeouts);
    let ladder = Ladder::from_frames(journal.link.iter().map(|r| LinkFrame {
        time_us: r.time.total_micros(),
        data: &r.frame,
        dropped: r.dropped,
    }));
    let story = render(
        config,
        &journal,
        ladder.as_ref(),
        &client,
        now,
        dns_timeouts,
    );
    if let Err(cause) = finished {
        return Err(DemoError::Incomplete {
            cause: Box::new(cause),
            story,
        });
    }
    let frames_lost = journal.link.iter().filter(|r| r.dropped).count();
    Ok(DemoOutcome {
        story,
        resolved: client.resolved.clone(),
        request: server.request.clone(),
        response: client.received.clone(),
        frames_lost,
        tcp_retransmissions: ladder.as_ref().map_or(0, Ladder::retransmissions),
        ladder,
        frames: journal.link,
        elapsed: now.saturating_duration_since(Instant::ZERO),
    })
}

fn seconds(t: Instant) -> String {
    let us = t.total_micros();
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// One line describing a frame: ARP, DNS, or the TCP segment's label.
fn describe(frame: &[u8], tcp_label: Option<String>) -> String {
    let Ok(eth) = Frame::parse(frame) else {
        return String::from("(unparsable frame)");
    };
    if eth.ethertype() == EtherType::ARP {
        return match strata_arp::Packet::parse(eth.payload()) {
            Ok(arp) if arp.sender_ip() == arp.target_ip() => format!(
                "ARP announcement: {} is at {} (gratuitous)",
                arp.sender_ip(),
                arp.sender_mac()
            ),
            Ok(arp) if arp.operation() == strata_arp::Operation::REQUEST => format!(
                "ARP who-has {}? tell {} (broadcast)",
                arp.target_ip(),
                arp.sender_ip()
            ),
            Ok(arp) => format!("ARP {} is-at {}", arp.sender_ip(), arp.sender_mac()),
            Err(_) => String::from("ARP (malformed)"),
        };
    }
    let Ok(ip) = Packet::parse(eth.payload()) else {
        return String::from("IPv4 (malformed)");
    };
    match ip.protocol() {
        Protocol::TCP => format!("TCP {}", tcp_label.unwrap_or_default()),
        Protocol::UDP => {
            let Ok(udp) = Datagram::parse(ip.payload()) else {
                return String::from("UDP (malformed)");
            };
            match Message::parse(udp.payload()) {
                Ok(msg) => {
                    let q = msg
                        .question()
                        .map(|q| format!("{} {}", q.qtype(), q.name()))
                        .unwrap_or_default();
                    if msg.is_response() {
                        let answers: Vec<String> = msg
                            .answers()
                            .map(|r| match r.data() {
                                RData::A(a) => a.to_string(),
                                RData::Cname(n) => format!("CNAME {n}"),
                                other => format!("{}", other.rtype()),
                            })
                            .collect();
                        let result = if answers.is_empty() {
                            format!("{} (no records)", msg.rcode())
                        } else {
                            answers.join(", ")
                        };
                        format!("DNS response 0x{:04x} {q}: {result}", msg.id())
                    } else {
                        format!("DNS query 0x{:04x} {q}", msg.id())
                    }
                }
                Err(_) => format!("UDP {} -> {}", udp.src_port(), udp.dst_port()),
            }
        }
        other => format!("IPv4 protocol {}", other.0),
    }
}

fn render(
    config: &DemoConfig,
    journal: &Journal,
    ladder: Option<&Ladder>,
    client: &Client,
    end: Instant,
    dns_timeouts: u64,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "strata demo: two hosts on an in-memory Ethernet link ({} ms each way, loss {:.0}%, seed {})",
        config.delay.total_millis(),
        config.loss * 100.0,
        config.seed
    );
    let _ = writeln!(out, "  client {CLIENT_IP} ({CLIENT_MAC})");
    let _ = writeln!(
        out,
        "  server {SERVER_IP} ({SERVER_MAC}): DNS for example.test on UDP 53, HTTP on TCP {HTTP_PORT}"
    );
    // TCP labels: the ladder numbers the TCP frames in link order.
    let mut labels: Vec<Option<String>> = Vec::with_capacity(journal.link.len());
    let mut segments = ladder.map(|l| l.segments.iter());
    let first_tcp = ladder.map(|l| (l.a, l.b));
    for record in &journal.link {
        let is_conn = first_tcp.is_some_and(|(a, b)| {
            tcp_ends(&record.frame).is_some_and(|e| e == (a, b) || e == (b, a))
        });
        let label = if is_conn {
            segments.as_mut().and_then(Iterator::next).map(|seg| {
                let mut l = seg.label();
                if seg.retransmission {
                    l.push_str(" [retransmission]");
                }
                l
            })
        } else {
            None
        };
        labels.push(label);
    }
    // The first data segment from the client: its way down where it is
    // first sent, its way up where a copy first arrives.
    let data_frames: Vec<usize> = journal
        .link
        .iter()
        .enumerate()
        .filter(|(_, r)| r.from == Side::Client)
        .filter(|(_, r)| {
            Encapsulation::of(&r.frame)
                .is_ok_and(|e| !e.payload.is_empty() && e.headers.iter().any(|h| h.abbrev == "tcp"))
        })
        .map(|(i, _)| i)
        .collect();
    let down_at = data_frames.first().copied();
    let first_payload = down_at
        .and_then(|i| journal.link.get(i))
        .and_then(|r| Encapsulation::of(&r.frame).ok())
        .map(|e| e.payload);
    let up_at = data_frames.iter().copied().find(|&i| {
        journal.link.get(i).is_some_and(|r| {
            !r.dropped
                && Encapsulation::of(&r.frame)
                    .is_ok_and(|e| Some(&e.payload) == first_payload.as_ref())
        })
    });
    for entry in &journal.entries {
        match entry {
            Entry::Step(title) => {
                let _ = writeln!(out, "\n{title}");
            }
            Entry::Note { time, side, text } => {
                let _ = writeln!(out, "  {} [{}] {text}", seconds(*time), side.name());
            }
            Entry::Frame(i) => {
                let Some(record) = journal.link.get(*i) else {
                    continue;
                };
                let arrow = match record.from {
                    Side::Client => "client -> server",
                    Side::Server => "server -> client",
                };
                let label = labels.get(*i).cloned().flatten();
                let lost = if record.dropped {
                    "  LOST by the link"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "  {}   {arrow}  {} ({} bytes){lost}",
                    seconds(record.time),
                    describe(&record.frame, label),
                    record.frame.len()
                );
                if Some(*i) == down_at
                    && let Ok(e) = Encapsulation::of(&record.frame)
                {
                    let _ = writeln!(
                        out,
                        "\n  The first data segment going down the client's stack:"
                    );
                    out.push_str(&e.down());
                }
                if Some(*i) == up_at
                    && let Ok(e) = Encapsulation::of(&record.frame)
                {
                    let _ = writeln!(out, "\n  ... and coming up the server's stack:");
                    out.push_str(&e.up());
                    out.push('\n');
                }
            }
        }
    }
    let lost = journal.link.iter().filter(|r| r.dropped).count();
    let retrans = ladder.map_or(0, Ladder::retransmissions);
    let _ = writeln!(out, "\nSummary");
    let _ = writeln!(
        out,
        "  {} frames on the link, {lost} lost by the link; {} TCP segments, {retrans} of them retransmissions",
        journal.link.len(),
        ladder.map_or(0, |l| l.segments.len())
    );
    if lost > 0 {
        let _ = writeln!(
            out,
            "  recovery: {retrans} TCP retransmissions, {dns_timeouts} DNS queries asked again after a timeout, ARP retried as needed"
        );
    }
    let _ = writeln!(
        out,
        "  the client received {} of {} response bytes{}; the link was quiet at {} s",
        client.received.len(),
        http_response().len(),
        if client.received == http_response() {
            ", intact"
        } else {
            ", NOT intact"
        },
        seconds(end)
    );
    out
}

/// The (source, destination) socket addresses of a TCP frame.
fn tcp_ends(frame: &[u8]) -> Option<(SocketAddrV4, SocketAddrV4)> {
    let eth = Frame::parse(frame).ok()?;
    if eth.ethertype() != EtherType::IPV4 {
        return None;
    }
    let ip = Packet::parse(eth.payload()).ok()?;
    if ip.protocol() != Protocol::TCP {
        return None;
    }
    let tcp = strata_tcp::Segment::parse(ip.payload()).ok()?;
    Some((
        SocketAddrV4::new(ip.src(), tcp.src_port()),
        SocketAddrV4::new(ip.dst(), tcp.dst_port()),
    ))
}
