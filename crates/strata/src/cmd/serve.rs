//! `strata serve DIR [--port N]`: a static-file HTTP/1.1 server.
//!
//! [`Server`] is a non-blocking state machine over the socket table: each
//! [`Server::poll`] accepts what the listener holds, then moves every
//! connection whose [readiness](strata_socket::Readiness) allows it one
//! step further. A connection reads a request head, skips any request
//! body, answers (a file, or an error), and either waits for the next
//! request (keep-alive, pipelining included) or closes: its sending side
//! first, then the whole socket once the client has closed (so unread
//! bytes never turn the close into a reset that would destroy the
//! response). Files are streamed from disk a chunk at a time as the send
//! buffer drains: never loaded whole, and a file that shrinks while being
//! sent aborts the connection rather than sending short.
//!
//! Answers: `GET` and `HEAD` of a regular file under the root with
//! `Content-Length`, `Accept-Ranges: bytes` and a `Content-Type` from the
//! extension; a single byte range of it for a `GET` with `Range` (206 with
//! `Content-Range`, or 416 with `Content-Range: bytes */length` when it
//! lies past the end; several ranges get the whole file, as RFC 9110
//! section 14.2 allows: see [`http::byte_range`]). A directory serves its
//! `index.html`, or else an HTML listing of its entries
//! ([`listing_html`]: sorted, links percent-encoded, names escaped, no
//! entry whose link leads out of the root). 404 for what does not exist, 403 for
//! paths that would leave the root (`..` segments, symbolic links
//! pointing outside) or cannot be read, 405 for other methods, 400 for
//! malformed requests (and HTTP/1.1 without `Host`), 505 for HTTP/2+.
//! Every request is logged as one line.
//!
//! [`ServerHost`] bundles the server with its interface and device: under
//! a simulated network it is a [`Node`]; on a real device
//! [`ServerHost::run`] is the event loop, sleeping on the device until a
//! frame arrives or a timer is due.

use core::net::{Ipv4Addr, SocketAddrV4};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use strata_core::time::{Duration, Instant};
use strata_socket::{Error as SocketError, Fd, Shutdown, SocketKind, SocketOption, Sockets};

use super::http::{self, BodyLength, ChunkedDecoder, HttpError, Request};
use super::tap_opts::TapOpts;
use crate::device::Device;
use crate::iface::Interface;
use crate::net::{Node, Wait};

/// Command-line arguments of `strata serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Directory whose files are served.
    pub dir: PathBuf,
    /// TCP port to listen on.
    #[arg(long, value_name = "N", default_value_t = 80)]
    pub port: u16,
    /// Send buffer of each connection (`64K`, `1M`, ...): what may be in
    /// flight to a client, so at most this per round trip.
    #[arg(long, value_name = "SIZE", default_value = "512K", value_parser = super::fetch::parse_size)]
    pub send_buffer: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tap: TapOpts,
}

/// How a [`Server`] runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The directory served.
    pub root: PathBuf,
    /// The port listened on (all of the host's addresses).
    pub port: u16,
    /// Connections served at once at most; more wait in the listener's
    /// backlog.
    pub max_connections: usize,
    /// Connections waiting to be accepted at most.
    pub backlog: usize,
    /// A connection with no progress for this long is closed.
    pub idle_timeout: Duration,
    /// How long a closing connection waits for the client to close.
    pub linger: Duration,
    /// Bytes read from a file at once.
    pub chunk: usize,
    /// Each connection's send buffer: the most it can have in flight, so
    /// its rate is at most this per round trip (64 KiB, the socket
    /// default, caps a 20 ms path at about 3 MB/s). Allocated per
    /// connection: `max_connections` times this at most.
    pub send_buffer: usize,
}

impl ServerConfig {
    /// Defaults for serving `root` on `port`.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            root: root.into(),
            port,
            max_connections: 1024,
            backlog: 1024,
            idle_timeout: Duration::from_secs(30),
            linger: Duration::from_secs(5),
            chunk: 64 * 1024,
            send_buffer: 512 * 1024,
        }
    }
}

/// Counters of a [`Server`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Requests answered (any status).
    pub requests: u64,
    /// Of those, with status 2xx.
    pub ok: u64,
    /// Body bytes handed to TCP.
    pub body_bytes: u64,
    /// Connections aborted (errors, timeouts, a file that shrank).
    pub aborted: u64,
}

/// A request body being skipped before the answer goes out.
#[derive(Debug)]
enum Skip {
    Length(u64),
    Chunked(ChunkedDecoder),
}

/// A response being sent.
#[derive(Debug)]
struct Outgoing {
    /// Bytes ready to send (the head, then file chunks).
    buf: Vec<u8>,
    /// How much of `buf` went out.
    sent: usize,
    /// The file still to read, and how many bytes of it.
    file: Option<File>,
    remaining: u64,
    /// Body bytes this response carries (for the log).
    body_len: u64,
    /// Close after this response.
    close: bool,
}

#[derive(Debug)]
enum Phase {
    /// Reading a request head.
    Head,
    /// Skipping a request body; the answer waits.
    Body(Skip, Outgoing),
    /// Sending a response.
    Send(Outgoing),
    /// Our side is shut down; waiting for the client to close.
    Drain { until: Instant },
}

#[derive(Debug)]
struct Conn {
    peer: SocketAddrV4,
    inbuf: Vec<u8>,
    phase: Phase,
    deadline: Instant,
}

/// What one connection step came to.
enum Step {
    /// Something moved; step again.
    Progress,
    /// Nothing to do until the socket's readiness changes.
    Blocked,
    /// Done with the descriptor (closed or aborted).
    Gone,
}

/// The static-file server: see the [module documentation](self).
pub struct Server {
    listener: Fd,
    root: PathBuf,
    config: ServerConfig,
    conns: HashMap<Fd, Conn>,
    /// Reused for every connection's reads.
    scratch: Vec<u8>,
    log: Box<dyn Write>,
    stats: ServerStats,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("root", &self.root)
            .field("connections", &self.conns.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// The `Content-Type` for a file name's extension.
#[must_use]
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "mp4" => "video/mp4",
        "pcap" => "application/vnd.tcpdump.pcap",
        _ => "application/octet-stream",
    }
}

/// Why a request target does not name a file under the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Not an origin-form target (`/...`), or a bad percent escape or NUL.
    Malformed,
    /// A `..` segment: the path would climb out of the root.
    Traversal,
}

/// The relative path a request target names: percent-decoded segments,
/// query dropped, empty and `.` segments skipped, `..` refused.
///
/// # Errors
/// [`TargetError`].
pub fn target_path(target: &str) -> Result<PathBuf, TargetError> {
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    if !path.starts_with('/') {
        return Err(TargetError::Malformed);
    }
    let mut out = PathBuf::new();
    for segment in path.split('/') {
        let decoded = percent_decode(segment).ok_or(TargetError::Malformed)?;
        if decoded.contains(&0) || decoded.contains(&b'/') || decoded.contains(&b'\\') {
            // An encoded slash would smuggle a separator past the checks.
            return Err(TargetError::Malformed);
        }
        match decoded.as_slice() {
            b"" | b"." => {}
            b".." => return Err(TargetError::Traversal),
            bytes => {
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| TargetError::Malformed)?;
                out.push(text);
            }
        }
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Server {
    /// Opens the listening socket on `sockets` and serves `config.root`.
    ///
    /// # Errors
    /// The root is not a readable directory; the port is taken.
    pub fn new(
        sockets: &mut Sockets,
        config: ServerConfig,
        log: Box<dyn Write>,
    ) -> io::Result<Self> {
        let root = config.root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        let to_io = crate::net::to_io;
        let listener = sockets.socket(SocketKind::Stream).map_err(to_io)?;
        let listen = sockets
            .bind(
                listener,
                SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, config.port),
            )
            .and_then(|()| {
                // Accepted connections take the listener's options.
                sockets.set_option(listener, SocketOption::SendBuffer(config.send_buffer))
            })
            .and_then(|()| sockets.listen(listener, config.backlog.max(1)));
        if let Err(e) = listen {
            let _ = sockets.close(Instant::ZERO, listener);
            return Err(to_io(e));
        }
        Ok(Self {
            listener,
            root,
            scratch: vec![0; config.chunk.max(1024)],
            config,
            conns: HashMap::new(),
            log,
            stats: ServerStats::default(),
        })
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> ServerStats {
        self.stats
    }

    /// Connections open now.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// The listening socket.
    #[must_use]
    pub fn listener(&self) -> Fd {
        self.listener
    }

    /// The earliest connection deadline (idle timeout or linger end).
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        self.conns
            .values()
            .map(|c| match c.phase {
                Phase::Drain { until } => until.min(c.deadline),
                _ => c.deadline,
            })
            .min()
    }

    /// Closes every connection (a response in flight is cut short) and
    /// the listener: the server's end, e.g. on Ctrl-C.
    pub fn close_all(&mut self, sockets: &mut Sockets, now: Instant) {
        for (fd, _) in self.conns.drain() {
            let _ = sockets.close(now, fd);
        }
        let _ = sockets.close(now, self.listener);
    }

    /// One round: accept waiting connections and move every ready
    /// connection as far as it can go. Returns whether anything happened.
    pub fn poll(&mut self, sockets: &mut Sockets, now: Instant) -> bool {
        let mut progress = false;
        while self.conns.len() < self.config.max_connections {
            match sockets.accept(self.listener) {
                Ok((fd, peer)) => {
                    progress = true;
                    self.stats.accepted += 1;
                    self.conns.insert(
                        fd,
                        Conn {
                            peer,
                            inbuf: Vec::new(),
                            phase: Phase::Head,
                            deadline: now + self.config.idle_timeout,
                        },
                    );
                }
                Err(_) => break,
            }
        }
        let fds: Vec<Fd> = self.conns.keys().copied().collect();
        for fd in fds {
            let Some(mut conn) = self.conns.remove(&fd) else {
                continue;
            };
            let mut gone = false;
            // Bounded so one fast connection cannot starve the others.
            for _ in 0..64 {
                match self.step(sockets, now, fd, &mut conn) {
                    Step::Progress => {
                        progress = true;
                        conn.deadline = now + self.config.idle_timeout;
                    }
                    Step::Blocked => break,
                    Step::Gone => {
                        progress = true;
                        gone = true;
                        break;
                    }
                }
            }
            if !gone {
                let expired = match conn.phase {
                    Phase::Drain { until } => now >= until || now >= conn.deadline,
                    _ => now >= conn.deadline,
                };
                if expired {
                    if !matches!(conn.phase, Phase::Drain { .. } | Phase::Head) {
                        self.stats.aborted += 1;
                    }
                    let _ = sockets.close(now, fd);
                    progress = true;
                    gone = true;
                }
            }
            if !gone {
                self.conns.insert(fd, conn);
            }
        }
        progress
    }

    /// Reads what the socket holds into the connection's buffer.
    fn read_more(&mut self, sockets: &mut Sockets, now: Instant, fd: Fd, conn: &mut Conn) -> Step {
        // Bounded: a head longer than MAX_HEAD is refused before more is
        // read.
        let room = (http::MAX_HEAD + 1).saturating_sub(conn.inbuf.len()).max(1);
        let take = room.min(self.scratch.len());
        let buf = self.scratch.get_mut(..take).unwrap_or(&mut []);
        match sockets.recv(fd, buf) {
            Ok(0) => {
                // The client closed: a partial request is abandoned.
                let _ = sockets.close(now, fd);
                Step::Gone
            }
            Ok(n) => {
                conn.inbuf.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                Step::Progress
            }
            Err(SocketError::WouldBlock) => Step::Blocked,
            Err(_) => self.abort(sockets, now, fd),
        }
    }

    fn abort(&mut self, sockets: &mut Sockets, now: Instant, fd: Fd) -> Step {
        self.stats.aborted += 1;
        let _ = sockets.close(now, fd);
        Step::Gone
    }

    fn step(&mut self, sockets: &mut Sockets, now: Instant, fd: Fd, conn: &mut Conn) -> Step {
        let Ok(ready) = sockets.readiness(fd) else {
            return Step::Gone;
        };
        let phase = std::mem::replace(&mut conn.phase, Phase::Head);
        match phase {
            Phase::Head => match http::parse_request(&conn.inbuf) {
                Ok(Some((request, used))) => {
                    conn.inbuf.drain(..used.min(conn.inbuf.len()));
                    conn.phase = self.answer(&request, conn.peer);
                    Step::Progress
                }
                Ok(None) => {
                    if !(ready.readable || ready.error || ready.hangup) {
                        return Step::Blocked;
                    }
                    self.read_more(sockets, now, fd, conn)
                }
                Err(e) => {
                    conn.inbuf.clear();
                    conn.phase = self.error_response(e, conn.peer);
                    Step::Progress
                }
            },
            Phase::Body(mut skip, out) => {
                let done = match &mut skip {
                    Skip::Length(left) => {
                        let take = usize::try_from(*left)
                            .unwrap_or(usize::MAX)
                            .min(conn.inbuf.len());
                        conn.inbuf.drain(..take);
                        *left -= take as u64;
                        *left == 0
                    }
                    Skip::Chunked(decoder) => {
                        let mut used_total = 0;
                        let mut failed = false;
                        loop {
                            let rest = conn.inbuf.get(used_total..).unwrap_or(&[]);
                            if rest.is_empty() || decoder.is_done() {
                                break;
                            }
                            match decoder.feed(rest) {
                                Ok((used, _)) => {
                                    if used == 0 {
                                        break;
                                    }
                                    used_total += used;
                                }
                                Err(_) => {
                                    failed = true;
                                    break;
                                }
                            }
                        }
                        conn.inbuf.drain(..used_total.min(conn.inbuf.len()));
                        if failed {
                            conn.phase = self.error_response(HttpError::BadChunkFraming, conn.peer);
                            return Step::Progress;
                        }
                        decoder.is_done()
                    }
                };
                if done {
                    conn.phase = Phase::Send(out);
                    return Step::Progress;
                }
                conn.phase = Phase::Body(skip, out);
                if conn.inbuf.is_empty() {
                    if !(ready.readable || ready.error || ready.hangup) {
                        return Step::Blocked;
                    }
                    return self.read_more(sockets, now, fd, conn);
                }
                Step::Progress
            }
            Phase::Send(mut out) => {
                if out.sent >= out.buf.len() {
                    out.buf.clear();
                    out.sent = 0;
                    if out.remaining == 0 {
                        return self.finish_response(sockets, now, fd, conn, out.close);
                    }
                    let Some(file) = out.file.as_mut() else {
                        return self.abort(sockets, now, fd);
                    };
                    let want = usize::try_from(out.remaining)
                        .unwrap_or(usize::MAX)
                        .min(self.config.chunk.max(1));
                    out.buf.resize(want, 0);
                    match file.read(&mut out.buf) {
                        // The file shrank under us: better a cut connection
                        // than a silently short body.
                        Ok(0) | Err(_) => return self.abort(sockets, now, fd),
                        Ok(n) => {
                            out.buf.truncate(n);
                            out.remaining -= n as u64;
                        }
                    }
                }
                if ready.error || ready.hangup {
                    return self.abort(sockets, now, fd);
                }
                if !ready.writable {
                    conn.phase = Phase::Send(out);
                    return Step::Blocked;
                }
                let pending = out.buf.get(out.sent..).unwrap_or(&[]);
                match sockets.send(now, fd, pending) {
                    Ok(n) => {
                        out.sent += n;
                        self.stats.body_bytes += n as u64;
                        conn.phase = Phase::Send(out);
                        Step::Progress
                    }
                    Err(SocketError::WouldBlock) => {
                        conn.phase = Phase::Send(out);
                        Step::Blocked
                    }
                    Err(_) => self.abort(sockets, now, fd),
                }
            }
            Phase::Drain { until } => {
                conn.phase = Phase::Drain { until };
                if !(ready.readable || ready.error || ready.hangup) {
                    return Step::Blocked;
                }
                let buf = self.scratch.as_mut_slice();
                match sockets.recv(fd, buf) {
                    Err(SocketError::WouldBlock) => Step::Blocked,
                    Ok(0) | Err(_) => {
                        let _ = sockets.close(now, fd);
                        Step::Gone
                    }
                    Ok(_) => Step::Progress,
                }
            }
        }
    }

    /// The response is out: wait for the next request, or close.
    fn finish_response(
        &mut self,
        sockets: &mut Sockets,
        now: Instant,
        fd: Fd,
        conn: &mut Conn,
        close: bool,
    ) -> Step {
        if close {
            conn.inbuf.clear();
            if sockets.shutdown(now, fd, Shutdown::Write).is_err() {
                let _ = sockets.close(now, fd);
                return Step::Gone;
            }
            conn.phase = Phase::Drain {
                until: now + self.config.linger,
            };
        } else {
            conn.phase = Phase::Head;
        }
        Step::Progress
    }

    fn log(&mut self, peer: SocketAddrV4, request: Option<&Request>, status: u16, bytes: u64) {
        let line = match request {
            Some(r) => format!("{} {} {}", r.method, r.target, http_version(r)),
            None => "-".to_owned(),
        };
        let _ = writeln!(self.log, "{peer} \"{line}\" {status} {bytes}");
    }

    /// A short error response; `close` after it.
    fn simple(&mut self, status: u16, close: bool, extra: &[(&str, &str)]) -> Outgoing {
        let body = format!("{status} {}\n", http::reason_phrase(status));
        let length = body.len().to_string();
        let date = http::http_date(unix_now());
        let mut headers: Vec<(&str, &str)> = vec![
            ("Date", &date),
            ("Server", "strata"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", &length),
            ("Connection", if close { "close" } else { "keep-alive" }),
        ];
        headers.extend_from_slice(extra);
        let mut buf = http::response_head(status, &headers);
        buf.extend_from_slice(body.as_bytes());
        Outgoing {
            buf,
            sent: 0,
            file: None,
            remaining: 0,
            body_len: body.len() as u64,
            close,
        }
    }

    fn error_response(&mut self, e: HttpError, peer: SocketAddrV4) -> Phase {
        let status = match e {
            HttpError::UnsupportedVersion => 505,
            HttpError::HeadTooLarge | HttpError::TooManyHeaders => 431,
            HttpError::UnsupportedTransferEncoding => 501,
            _ => 400,
        };
        self.stats.requests += 1;
        let out = self.simple(status, true, &[]);
        self.log(peer, None, status, out.body_len);
        Phase::Send(out)
    }

    /// The answer to a parsed request (and whether a body comes first).
    fn answer(&mut self, request: &Request, peer: SocketAddrV4) -> Phase {
        let framing = match http::request_body(request) {
            Ok(f) => f,
            Err(e) => return self.error_response(e, peer),
        };
        self.stats.requests += 1;
        let keep = request.keep_alive();
        let (status, out) = self.respond(request, keep);
        if (200..300).contains(&status) {
            self.stats.ok += 1;
        }
        self.log(peer, Some(request), status, out.body_len);
        match framing {
            BodyLength::Length(n) => Phase::Body(Skip::Length(n), out),
            BodyLength::Chunked => Phase::Body(Skip::Chunked(ChunkedDecoder::new()), out),
            BodyLength::Empty | BodyLength::UntilClose => Phase::Send(out),
        }
    }

    fn respond(&mut self, request: &Request, keep: bool) -> (u16, Outgoing) {
        let method = request.method.as_str();
        if request.version >= http::Version::HTTP_11 && request.headers.get("host").is_none() {
            return (400, self.simple(400, true, &[]));
        }
        if method != "GET" && method != "HEAD" {
            return (405, self.simple(405, !keep, &[("Allow", "GET, HEAD")]));
        }
        let relative = match target_path(&request.target) {
            Ok(p) => p,
            Err(TargetError::Malformed) => return (400, self.simple(400, true, &[])),
            Err(TargetError::Traversal) => return (403, self.simple(403, !keep, &[])),
        };
        // Symbolic links may point anywhere: the resolved path must still
        // be under the root.
        let resolved = match self.resolve(&self.root.join(&relative)) {
            Ok(p) => p,
            Err(status) => return (status, self.simple(status, !keep, &[])),
        };
        let head_only = method == "HEAD";
        let resolved = if resolved.is_dir() {
            match self.resolve(&resolved.join("index.html")) {
                Ok(index) => index,
                Err(404) => return self.listing(&resolved, &relative, head_only, keep),
                Err(status) => return (status, self.simple(status, !keep, &[])),
            }
        } else {
            resolved
        };
        let mut file = match File::open(&resolved) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return (404, self.simple(404, !keep, &[]));
            }
            Err(_) => return (403, self.simple(403, !keep, &[])),
        };
        let meta = match file.metadata() {
            Ok(m) if m.is_file() => m,
            Ok(_) => return (404, self.simple(404, !keep, &[])),
            Err(_) => return (500, self.simple(500, true, &[])),
        };
        let length = meta.len();
        let (status, first, count) = match requested_range(request, length) {
            http::RangeAnswer::Full => (200, 0, length),
            http::RangeAnswer::Partial { first, last } => (206, first, last - first + 1),
            http::RangeAnswer::Unsatisfiable => {
                let unsatisfied = format!("bytes */{length}");
                let extra = [("Content-Range", unsatisfied.as_str())];
                return (416, self.simple(416, !keep, &extra));
            }
        };
        if first > 0 && file.seek(io::SeekFrom::Start(first)).is_err() {
            return (500, self.simple(500, true, &[]));
        }
        let count_text = count.to_string();
        let range_text = format!(
            "bytes {first}-{}/{length}",
            (first + count).saturating_sub(1)
        );
        let date = http::http_date(unix_now());
        let mut headers: Vec<(&str, &str)> = vec![
            ("Date", &date),
            ("Server", "strata"),
            ("Content-Type", content_type(&resolved)),
            ("Content-Length", &count_text),
            ("Accept-Ranges", "bytes"),
        ];
        if status == 206 {
            headers.push(("Content-Range", &range_text));
        }
        headers.push(("Connection", if keep { "keep-alive" } else { "close" }));
        let buf = http::response_head(status, &headers);
        (
            status,
            Outgoing {
                buf,
                sent: 0,
                file: (!head_only).then_some(file),
                remaining: if head_only { 0 } else { count },
                body_len: if head_only { 0 } else { count },
                close: !keep,
            },
        )
    }

    /// `path` with every symbolic link resolved, if it exists and stays
    /// under the root; else the status to answer (403 outside the root
    /// or unreadable, 404 missing).
    fn resolve(&self, path: &Path) -> Result<PathBuf, u16> {
        match path.canonicalize() {
            Ok(p) if p.starts_with(&self.root) => Ok(p),
            Ok(_) => Err(403),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(403),
            Err(_) => Err(404),
        }
    }

    /// The listing of directory `dir` (canonical, under the root), which
    /// the request named as `relative`.
    fn listing(
        &mut self,
        dir: &Path,
        relative: &Path,
        head_only: bool,
        keep: bool,
    ) -> (u16, Outgoing) {
        let Ok(read) = std::fs::read_dir(dir) else {
            return (403, self.simple(403, !keep, &[]));
        };
        let mut entries: Vec<(String, bool)> = Vec::new();
        for entry in read.flatten() {
            // A name that is not UTF-8 could not be requested (targets
            // must decode to UTF-8), and an entry whose link leads out of
            // the root (or nowhere) could not be served: neither is shown.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(target) = self.resolve(&entry.path()) else {
                continue;
            };
            entries.push((name, target.is_dir()));
            if entries.len() >= MAX_LISTING {
                break;
            }
        }
        let segments: Vec<&str> = relative.iter().filter_map(|s| s.to_str()).collect();
        let body = listing_html(&segments, &mut entries);
        let length = body.len().to_string();
        let date = http::http_date(unix_now());
        let headers: [(&str, &str); 5] = [
            ("Date", &date),
            ("Server", "strata"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", &length),
            ("Connection", if keep { "keep-alive" } else { "close" }),
        ];
        let mut buf = http::response_head(200, &headers);
        if !head_only {
            buf.extend_from_slice(body.as_bytes());
        }
        (
            200,
            Outgoing {
                buf,
                sent: 0,
                file: None,
                remaining: 0,
                body_len: if head_only { 0 } else { body.len() as u64 },
                close: !keep,
            },
        )
    }
}

/// The most entries a directory listing shows (the rest are left out, so
/// a huge directory cannot make one response unbounded).
const MAX_LISTING: usize = 10_000;

/// What `request`'s `Range` asks of a file of `length` bytes. Only `GET`
/// has range handling (RFC 9110 section 14.2: HEAD gets exactly the head
/// of a plain GET); several `Range` fields, or an `If-Range` (this server
/// sends no validators, so none can match), mean the whole file.
fn requested_range(request: &Request, length: u64) -> http::RangeAnswer {
    if request.method != "GET" || request.headers.get("if-range").is_some() {
        return http::RangeAnswer::Full;
    }
    let mut fields = request.headers.get_all("range");
    match (fields.next(), fields.next()) {
        (value, None) => http::byte_range(value, length),
        (_, Some(_)) => http::RangeAnswer::Full,
    }
}

/// A path segment or file name percent-encoded for a URL path: every
/// byte outside RFC 3986's unreserved set (letters, digits, `-._~`) as
/// `%XX`.
#[must_use]
pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Text made safe for HTML content and quoted attribute values.
#[must_use]
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML listing of the directory at `segments` (decoded path segments
/// under the root; empty for the root): entries `(name, is_directory)`
/// sorted by name (here, in place), directories with a trailing slash,
/// each linked by an absolute href of percent-encoded segments (so the
/// links work whether or not the request ended with a slash), with a link
/// to the parent directory below the root.
#[must_use]
pub fn listing_html(segments: &[&str], entries: &mut [(String, bool)]) -> String {
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut base = String::from("/");
    for segment in segments {
        base.push_str(&percent_encode(segment));
        base.push('/');
    }
    let shown = html_escape(&format!(
        "/{}",
        segments.iter().map(|s| format!("{s}/")).collect::<String>()
    ));
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Index of {shown}</title></head>\n<body>\n<h1>Index of {shown}</h1>\n<ul>\n"
    );
    if !segments.is_empty() {
        html.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (name, dir) in entries.iter() {
        let slash = if *dir { "/" } else { "" };
        html.push_str(&format!(
            "<li><a href=\"{base}{}{slash}\">{}{slash}</a></li>\n",
            percent_encode(name),
            html_escape(name)
        ));
    }
    html.push_str("</ul>\n</body>\n</html>\n");
    html
}

fn http_version(r: &Request) -> String {
    r.version.to_string()
}

/// A [`Server`] with the interface and device it serves on.
pub struct ServerHost<D> {
    /// The host's network stack.
    pub interface: Interface,
    /// Its link.
    pub device: D,
    /// The server.
    pub server: Server,
    /// Real time zero of [`ServerHost::run`]'s clock.
    epoch: std::time::Instant,
}

impl<D> std::fmt::Debug for ServerHost<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHost")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl<D: Device> ServerHost<D> {
    /// Starts serving `config` on `interface` over `device`, logging to
    /// `log`.
    ///
    /// # Errors
    /// As [`Server::new`].
    pub fn new(
        mut interface: Interface,
        device: D,
        config: ServerConfig,
        log: Box<dyn Write>,
    ) -> io::Result<Self> {
        let server = Server::new(interface.sockets(), config, log)?;
        Ok(Self {
            interface,
            device,
            server,
            epoch: std::time::Instant::now(),
        })
    }

    /// Polls the server and the interface until both are quiet at `now`;
    /// returns whether anything happened.
    pub fn poll(&mut self, now: Instant) -> bool {
        let mut any = false;
        for _ in 0..64 {
            let served = self.server.poll(self.interface.sockets(), now);
            let r = self.interface.poll(now, &mut self.device);
            if !served && !r.did_something() && !r.more {
                break;
            }
            any = true;
        }
        any
    }

    /// When the server, the interface or the device next has work.
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        [
            self.interface.poll_at(),
            self.device.poll_at(),
            self.server.poll_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

impl<D: Device + Wait> ServerHost<D> {
    /// The event loop on a real device and clock: poll, and when nothing
    /// is left to do, wait for a frame or the next deadline (at most
    /// 100 ms). Returns when `stop` says so.
    ///
    /// # Errors
    /// The device's.
    pub fn run(&mut self, mut stop: impl FnMut(&Self) -> bool) -> io::Result<()> {
        loop {
            if stop(self) {
                return Ok(());
            }
            self.round()?;
        }
    }

    /// The real clock as network time (zero when the host was made).
    fn clock(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    /// One turn of the event loop: poll, or wait for the device (at most
    /// until the next deadline, and 100 ms).
    fn round(&mut self) -> io::Result<()> {
        let now = self.clock();
        if self.poll(now) {
            return Ok(());
        }
        let cap = std::time::Duration::from_millis(100);
        let timeout = self.poll_at().map_or(cap, |t| {
            std::time::Duration::from(t.saturating_duration_since(now)).min(cap)
        });
        self.device.wait(Some(timeout))
    }

    /// Stops serving: closes every connection and the listener
    /// ([`Server::close_all`]), then runs the interface for `linger` of
    /// real time so the closing segments reach the clients.
    ///
    /// # Errors
    /// The device's.
    pub fn close(&mut self, linger: std::time::Duration) -> io::Result<()> {
        let now = self.clock();
        self.server.close_all(self.interface.sockets(), now);
        let end = std::time::Instant::now() + linger;
        while std::time::Instant::now() < end {
            self.round()?;
        }
        Ok(())
    }
}

impl<D: Device> Node for ServerHost<D> {
    fn poll(&mut self, now: Instant) -> bool {
        ServerHost::poll(self, now)
    }

    fn poll_at(&self) -> Option<Instant> {
        ServerHost::poll_at(self)
    }

    fn interface(&mut self) -> Option<&mut Interface> {
        Some(&mut self.interface)
    }
}

/// `strata serve`: serves over the TAP device until killed.
#[must_use]
pub fn main(args: &ServeArgs) -> ExitCode {
    #[cfg(target_os = "linux")]
    {
        let (iface, link) = match args.tap.open() {
            Ok(x) => x,
            Err(e) => {
                eprintln!("strata serve: {e}");
                return ExitCode::from(2);
            }
        };
        let address = iface.address().address;
        let mut config = ServerConfig::new(&args.dir, args.port);
        config.send_buffer = args.send_buffer;
        let mut host = match ServerHost::new(iface, link, config, Box::new(io::stderr())) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("strata serve: {}: {e}", args.dir.display());
                return ExitCode::from(2);
            }
        };
        eprintln!(
            "strata serve: serving {} on http://{address}:{}/",
            args.dir.display(),
            args.port
        );
        let interrupt = super::ctrl_c_flag("serve");
        match host.run(|_| interrupt.load(std::sync::atomic::Ordering::Relaxed)) {
            Ok(()) => {
                let open = host.server.connections();
                // Let the closing segments (FIN, or RST where a request
                // was unread) reach the clients before the process ends.
                let _ = host.close(std::time::Duration::from_millis(200));
                let st = host.server.stats();
                eprintln!(
                    "strata serve: interrupted; closed {open} open connection(s); served {} request(s) ({} ok, {} body bytes) on {} connection(s)",
                    st.requests, st.ok, st.body_bytes, st.accepted
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("strata serve: {e}");
                ExitCode::FAILURE
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = args;
        eprintln!("strata serve: TAP devices are only supported on Linux");
        ExitCode::from(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::fetch::{self, FetchError, FetchOptions, NoProgress, ResponseReader, Url};
    use crate::cmd::testnet::{self, SharedLog, TempDir};
    use crate::net::{HostHandle, SimNet, TcpStream};
    use std::hash::{DefaultHasher, Hash, Hasher};

    struct Site {
        _net: SimNet,
        client: HostHandle,
        log: SharedLog,
        dir: TempDir,
        big: Vec<u8>,
    }

    fn pattern(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// The listener carries the configured send buffer, which every
    /// connection it accepts takes (the socket layer's rule), so one
    /// client can have more than the 64 KiB default in flight.
    #[test]
    fn the_listener_carries_the_configured_send_buffer() {
        let dir = TempDir::new("serve-sndbuf");
        let mut sockets = Sockets::new(
            strata_socket::SocketsConfig::default(),
            Box::new(strata_core::rand::SplitMix64::new(5)),
        );
        let mut config = ServerConfig::new(&dir.0, 8080);
        assert_eq!(config.send_buffer, 512 * 1024);
        config.send_buffer = 300_000;
        let server = Server::new(&mut sockets, config, Box::new(std::io::sink())).unwrap();
        assert_eq!(
            sockets.options(server.listener()).unwrap().send_buffer,
            300_000
        );
    }

    fn site() -> Site {
        let dir = TempDir::new("serve");
        std::fs::write(dir.0.join("small.txt"), b"hello, strata\n").unwrap();
        let big = pattern(5 * 1024 * 1024, 7);
        std::fs::write(dir.0.join("big.bin"), &big).unwrap();
        std::fs::write(dir.0.join("mid.bin"), pattern(200 * 1024, 9)).unwrap();
        std::fs::create_dir(dir.0.join("sub")).unwrap();
        std::fs::write(dir.0.join("sub/index.html"), b"<p>index</p>").unwrap();
        std::fs::write(dir.0.join("sub/a b.txt"), b"space").unwrap();
        let (net, client, iface, dev) = testnet::pair();
        let log = SharedLog::default();
        let host = ServerHost::new(
            iface,
            dev,
            ServerConfig::new(&dir.0, 80),
            Box::new(log.clone()),
        )
        .unwrap();
        net.add_node(Box::new(host));
        net.set_horizon(Some(Instant::from_millis(600_000)));
        Site {
            _net: net,
            client,
            log,
            dir,
            big,
        }
    }

    fn url(path: &str) -> Url {
        format!("http://{}{path}", testnet::SERVER).parse().unwrap()
    }

    fn get(site: &Site, path: &str) -> Result<(fetch::FetchOutcome, Vec<u8>), FetchError> {
        let mut body = Vec::new();
        let outcome = fetch::fetch(
            &site.client,
            &url(path),
            &FetchOptions::default(),
            &mut body,
            &mut NoProgress,
        )?;
        Ok((outcome, body))
    }

    fn hash(data: &[u8]) -> u64 {
        let mut h = DefaultHasher::new();
        data.hash(&mut h);
        h.finish()
    }

    fn connect(site: &Site) -> TcpStream {
        let addr = SocketAddrV4::new(testnet::SERVER.parse().unwrap(), 80);
        TcpStream::connect(&site.client, addr).unwrap()
    }

    /// Sends raw bytes on a new connection and reads one response (and
    /// its body) back.
    fn raw(site: &Site, request: &[u8]) -> (http::Response, Vec<u8>, TcpStream) {
        let mut stream = connect(site);
        stream.write_all(request).unwrap();
        let mut reader = ResponseReader::new(&stream);
        let head = reader.read_head().unwrap();
        let mut body = Vec::new();
        let method = if request.starts_with(b"HEAD ") {
            "HEAD"
        } else {
            "GET"
        };
        reader
            .read_body(method, &head, &mut body, &mut NoProgress)
            .unwrap();
        (head, body, stream)
    }

    fn at_eof(stream: &TcpStream) -> bool {
        let mut buf = [0u8; 16];
        matches!((&*stream).read(&mut buf), Ok(0))
    }

    #[test]
    fn small_file_and_headers() {
        let site = site();
        let (outcome, body) = get(&site, "/small.txt").unwrap();
        assert_eq!(body, b"hello, strata\n");
        assert_eq!(outcome.response.status, 200);
        let h = &outcome.response.headers;
        assert_eq!(h.get("content-length"), Some("14"));
        assert_eq!(h.get("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(h.get("connection"), Some("close"));
        assert!(h.get("date").is_some_and(|d| d.ends_with(" GMT")));
        // A directory serves its index; escapes in the path are decoded.
        assert_eq!(get(&site, "/sub/").unwrap().1, b"<p>index</p>");
        assert_eq!(get(&site, "/sub/a%20b.txt?x=1").unwrap().1, b"space");
        let lines = site.log.lines();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("198.18.0.1:")
                && lines[0].ends_with("\"GET /small.txt HTTP/1.1\" 200 14"),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn five_mebibytes_arrive_intact() {
        let site = site();
        let (outcome, body) = get(&site, "/big.bin").unwrap();
        assert_eq!(outcome.bytes, 5 * 1024 * 1024);
        assert_eq!(body.len(), site.big.len());
        assert_eq!(hash(&body), hash(&site.big));
        assert!(body == site.big);
    }

    #[test]
    fn a_fetch_with_a_four_mebibyte_window() {
        let site = site();
        let options = FetchOptions {
            recv_buffer: Some(4 << 20),
            ..FetchOptions::default()
        };
        let mut body = Vec::new();
        let outcome = fetch::fetch(
            &site.client,
            &url("/big.bin"),
            &options,
            &mut body,
            &mut NoProgress,
        )
        .unwrap();
        assert_eq!(outcome.bytes, site.big.len() as u64);
        assert!(body == site.big);
        // A buffer the stack refuses is an error before anything is sent.
        let options = FetchOptions {
            recv_buffer: Some(0),
            ..FetchOptions::default()
        };
        let err = fetch::fetch(
            &site.client,
            &url("/big.bin"),
            &options,
            &mut Vec::new(),
            &mut NoProgress,
        )
        .unwrap_err();
        assert!(matches!(err, FetchError::Io(_)), "{err}");
    }

    #[test]
    fn keep_alive_serves_two_requests_on_one_connection() {
        let site = site();
        let stream = connect(&site);
        let mut reader = ResponseReader::new(&stream);
        for path in ["/small.txt", "/mid.bin"] {
            (&stream)
                .write_all(&fetch::build_request("GET", &url(path), true))
                .unwrap();
            let head = reader.read_head().unwrap();
            assert_eq!(head.status, 200);
            assert_eq!(head.headers.get("connection"), Some("keep-alive"));
            let mut body = Vec::new();
            reader
                .read_body("GET", &head, &mut body, &mut NoProgress)
                .unwrap();
            let want = std::fs::read(site.dir.0.join(&path[1..])).unwrap();
            assert!(body == want, "{path}");
        }
        // Pipelined: two requests in one write, two responses in order,
        // then HEAD, which has no body.
        let mut both = fetch::build_request("GET", &url("/small.txt"), true);
        both.extend(fetch::build_request("HEAD", &url("/big.bin"), true));
        (&stream).write_all(&both).unwrap();
        let head = reader.read_head().unwrap();
        let mut body = Vec::new();
        reader
            .read_body("GET", &head, &mut body, &mut NoProgress)
            .unwrap();
        assert_eq!(body, b"hello, strata\n");
        let head = reader.read_head().unwrap();
        assert_eq!(head.headers.get("content-length"), Some("5242880"));
        assert_eq!(
            reader
                .read_body("HEAD", &head, &mut Vec::new(), &mut NoProgress)
                .unwrap(),
            0
        );
        let lines = site.log.lines();
        assert_eq!(lines.len(), 4, "{lines:?}");
        let peer = |l: &String| l.split(' ').next().unwrap().to_owned();
        assert!(
            lines.iter().all(|l| peer(l) == peer(&lines[0])),
            "{lines:?}"
        );
        drop(reader);
        drop(stream);
    }

    #[test]
    fn missing_files_are_404_and_fetch_says_so() {
        let site = site();
        let err = get(&site, "/nope.txt").unwrap_err();
        assert!(
            matches!(err, FetchError::Status { status: 404, .. }),
            "{err}"
        );
        assert_eq!(err.exit_code(), 22);
        assert!(site.log.lines()[0].ends_with("\"GET /nope.txt HTTP/1.1\" 404 14"));
    }

    #[test]
    fn malformed_requests_get_400_and_a_clean_close() {
        let site = site();
        // Unread bytes after the bad head must not turn the close into a
        // reset that would destroy the answer.
        let (head, body, stream) = raw(&site, b"NONSENSE\r\n\r\nmore bytes the server never reads");
        assert_eq!(head.status, 400);
        assert_eq!(body, b"400 Bad Request\n");
        assert_eq!(head.headers.get("connection"), Some("close"));
        assert!(at_eof(&stream));
        // HTTP/1.1 without Host.
        let (head, _, _) = raw(&site, b"GET /small.txt HTTP/1.1\r\n\r\n");
        assert_eq!(head.status, 400);
        let (head, _, _) = raw(&site, b"GET /small.txt HTTP/3.0\r\nHost: x\r\n\r\n");
        assert_eq!(head.status, 505);
        let (head, _, _) = raw(&site, b"GET /a%2fb HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(head.status, 400);
        let lines = site.log.lines();
        assert!(lines[0].ends_with("\"-\" 400 16"), "{lines:?}");
        assert!(
            lines[1].ends_with("\"GET /small.txt HTTP/1.1\" 400 16"),
            "{lines:?}"
        );
    }

    #[test]
    fn other_methods_get_405_after_their_body_is_skipped() {
        let site = site();
        let stream = connect(&site);
        let mut reader = ResponseReader::new(&stream);
        (&stream)
            .write_all(
                b"POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloPUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            )
            .unwrap();
        for want in [405, 405, 200] {
            let head = reader.read_head().unwrap();
            assert_eq!(head.status, want);
            if want == 405 {
                assert_eq!(head.headers.get("allow"), Some("GET, HEAD"));
            }
            let mut body = Vec::new();
            reader
                .read_body("GET", &head, &mut body, &mut NoProgress)
                .unwrap();
            if want == 200 {
                assert_eq!(body, b"hello, strata\n");
            }
        }
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let site = site();
        let secret = site.dir.0.with_extension("secret");
        std::fs::write(&secret, b"secret").unwrap();
        let name = secret.file_name().unwrap().to_str().unwrap().to_owned();
        for target in [
            format!("/../{name}"),
            format!("/sub/../../{name}"),
            format!("/%2e%2e/{name}"),
            format!("/sub/%2E%2E/%2e%2e/{name}"),
        ] {
            let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let (head, body, _) = raw(&site, request.as_bytes());
            assert_eq!(head.status, 403, "{target}");
            assert!(!body.windows(6).any(|w| w == b"secret"));
        }
        // A symbolic link out of the root is refused too.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&secret, site.dir.0.join("link")).unwrap();
            let (head, _, _) = raw(&site, b"GET /link HTTP/1.1\r\nHost: x\r\n\r\n");
            assert_eq!(head.status, 403);
        }
        std::fs::remove_file(&secret).unwrap();
    }

    #[test]
    fn twenty_parallel_clients() {
        let site = site();
        let want = std::fs::read(site.dir.0.join("mid.bin")).unwrap();
        let streams: Vec<TcpStream> = (0..20).map(|_| connect(&site)).collect();
        for s in &streams {
            (&*s)
                .write_all(&fetch::build_request("GET", &url("/mid.bin"), false))
                .unwrap();
        }
        // All twenty are open at once: the server moves each as far as its
        // window allows while the client reads the first.
        for s in &streams {
            let mut reader = ResponseReader::new(s);
            let head = reader.read_head().unwrap();
            assert_eq!(head.status, 200);
            let mut body = Vec::new();
            reader
                .read_body("GET", &head, &mut body, &mut NoProgress)
                .unwrap();
            assert!(body == want);
        }
        assert_eq!(site.log.lines().len(), 20);
        let ports: std::collections::HashSet<String> = site
            .log
            .lines()
            .iter()
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect();
        assert_eq!(ports.len(), 20);
    }

    /// An output that raises the interrupt flag once it holds a mebibyte,
    /// as a user pressing Ctrl-C in the middle of a download.
    struct InterruptAfter {
        body: Vec<u8>,
        flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl Write for InterruptAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.body.extend_from_slice(buf);
            if self.body.len() >= 1 << 20 {
                self.flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn ctrl_c_stops_a_fetch_midway() {
        let site = site();
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let host = site.client.with_interrupt(std::sync::Arc::clone(&flag));
        let mut out = InterruptAfter {
            body: Vec::new(),
            flag,
        };
        let err = fetch::fetch(
            &host,
            &url("/big.bin"),
            &FetchOptions::default(),
            &mut out,
            &mut NoProgress,
        )
        .unwrap_err();
        assert!(matches!(err, FetchError::Interrupted), "{err}");
        assert_eq!(err.exit_code(), 130);
        let got = out.body.len();
        assert!((1 << 20..site.big.len()).contains(&got), "{got}");
        assert!(out.body[..] == site.big[..got]);
    }

    #[test]
    fn fetch_errors_refused_unreachable_and_unknown_names() {
        let site = site();
        let options = FetchOptions {
            connect_timeout: Duration::from_secs(10),
            ..FetchOptions::default()
        };
        let mut sink = Vec::new();
        let refused = fetch::fetch(
            &site.client,
            &"http://198.18.0.2:81/".parse().unwrap(),
            &options,
            &mut sink,
            &mut NoProgress,
        )
        .unwrap_err();
        assert!(matches!(refused, FetchError::Refused(_)), "{refused}");
        assert_eq!(refused.exit_code(), 4);
        let nobody = fetch::fetch(
            &site.client,
            &"http://198.18.0.9/".parse().unwrap(),
            &options,
            &mut sink,
            &mut NoProgress,
        )
        .unwrap_err();
        assert!(
            matches!(nobody, FetchError::Unreachable(_) | FetchError::TimedOut(_)),
            "{nobody}"
        );
        // No DNS server is configured: the name cannot be resolved.
        let unknown = fetch::fetch(
            &site.client,
            &"http://nowhere.example.test/".parse().unwrap(),
            &options,
            &mut sink,
            &mut NoProgress,
        )
        .unwrap_err();
        assert_eq!(unknown.exit_code(), 3, "{unknown}");
        assert!(sink.is_empty());
    }

    #[test]
    fn listing_escapes_and_sorts() {
        assert_eq!(percent_encode("a b%/é?#"), "a%20b%25%2F%C3%A9%3F%23");
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
        assert_eq!(
            html_escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let mut entries = vec![
            ("z dir".to_owned(), true),
            ("<b>&\"q\".txt".to_owned(), false),
            ("a%20b".to_owned(), false),
        ];
        let html = listing_html(&["top", "x y"], &mut entries);
        assert!(html.contains("<title>Index of /top/x y/</title>"), "{html}");
        let items: Vec<&str> = html.lines().filter(|l| l.starts_with("<li>")).collect();
        assert_eq!(
            items,
            [
                "<li><a href=\"../\">../</a></li>",
                "<li><a href=\"/top/x%20y/%3Cb%3E%26%22q%22.txt\">&lt;b&gt;&amp;&quot;q&quot;.txt</a></li>",
                "<li><a href=\"/top/x%20y/a%2520b\">a%20b</a></li>",
                "<li><a href=\"/top/x%20y/z%20dir/\">z dir/</a></li>",
            ]
        );
        // The root has no parent link.
        let html = listing_html(&[], &mut [("f".to_owned(), false)]);
        assert!(!html.contains("../"));
        assert!(html.contains("<li><a href=\"/f\">f</a></li>"));
    }

    #[test]
    fn byte_ranges_of_a_file() {
        let site = site();
        let whole = std::fs::read(site.dir.0.join("mid.bin")).unwrap();
        let len = whole.len();
        let get = |range: &str| {
            let request = format!(
                "GET /mid.bin HTTP/1.1\r\nHost: x\r\nRange: {range}\r\nConnection: close\r\n\r\n"
            );
            let (head, body, _) = raw(&site, request.as_bytes());
            (head, body)
        };
        for (range, first, last) in [
            ("bytes=100-199", 100, 199),
            ("bytes=0-0", 0, 0),
            ("bytes=-500", len - 500, len - 1),
            ("bytes=204000-", 204_000, len - 1),
            ("bytes=204700-999999999", 204_700, len - 1),
        ] {
            let (head, body) = get(range);
            assert_eq!(head.status, 206, "{range}");
            let h = &head.headers;
            let want = format!("bytes {first}-{last}/{len}");
            assert_eq!(h.get("content-range"), Some(want.as_str()), "{range}");
            assert_eq!(h.get("accept-ranges"), Some("bytes"));
            assert_eq!(
                h.get("content-length"),
                Some((last - first + 1).to_string().as_str())
            );
            assert!(body == whole[first..=last], "{range}");
        }
        // Past the end: 416, with the length.
        let (head, _) = get(&format!("bytes={len}-"));
        assert_eq!(head.status, 416);
        let want = format!("bytes */{len}");
        assert_eq!(head.headers.get("content-range"), Some(want.as_str()));
        // Several ranges, junk, another unit: the whole file.
        for range in ["bytes=0-1,10-20", "bytes=5-2", "lines=1-2"] {
            let (head, body) = get(range);
            assert_eq!(head.status, 200, "{range}");
            assert!(head.headers.get("content-range").is_none());
            assert!(body == whole, "{range}");
        }
        // HEAD ignores Range: the head of a plain GET.
        let (head, body, _) = raw(
            &site,
            b"HEAD /mid.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n",
        );
        assert_eq!(head.status, 200);
        assert_eq!(
            head.headers.get("content-length"),
            Some(len.to_string().as_str())
        );
        assert_eq!(head.headers.get("accept-ranges"), Some("bytes"));
        assert!(body.is_empty());
        // A range and a 416 keep the connection open for the next request.
        let stream = connect(&site);
        let mut reader = ResponseReader::new(&stream);
        (&stream)
            .write_all(b"GET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=7-12\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=99-\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-1\r\n\r\n")
            .unwrap();
        for (status, want) in [
            (206, &b"strata"[..]),
            (416, b"416 Range Not Satisfiable\n"),
            (206, b"\n"),
        ] {
            let head = reader.read_head().unwrap();
            assert_eq!(head.status, status);
            let mut body = Vec::new();
            reader
                .read_body("GET", &head, &mut body, &mut NoProgress)
                .unwrap();
            assert_eq!(body, want);
        }
        let lines = site.log.lines();
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with("\"GET /small.txt HTTP/1.1\" 206 6")),
            "{lines:?}"
        );
    }

    #[test]
    fn directories_without_an_index_are_listed() {
        let site = site();
        let list = site.dir.0.join("list");
        std::fs::create_dir(&list).unwrap();
        std::fs::write(list.join("a b.txt"), b"a").unwrap();
        std::fs::write(list.join("<x>&.txt"), b"x").unwrap();
        std::fs::create_dir(list.join("z dir")).unwrap();
        let outside = site.dir.0.with_extension("outside");
        std::fs::create_dir_all(&outside).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, list.join("escape")).unwrap();
            std::os::unix::fs::symlink(list.join("a b.txt"), list.join("inside")).unwrap();
        }
        for target in ["/list", "/list/", "/list/?sort=x"] {
            let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
            let (head, body, _) = raw(&site, request.as_bytes());
            assert_eq!(head.status, 200, "{target}");
            assert_eq!(
                head.headers.get("content-type"),
                Some("text/html; charset=utf-8")
            );
            let html = String::from_utf8(body).unwrap();
            let items: Vec<&str> = html.lines().filter(|l| l.starts_with("<li>")).collect();
            let mut want = vec![
                "<li><a href=\"../\">../</a></li>",
                "<li><a href=\"/list/%3Cx%3E%26.txt\">&lt;x&gt;&amp;.txt</a></li>",
                "<li><a href=\"/list/a%20b.txt\">a b.txt</a></li>",
            ];
            if cfg!(unix) {
                // The link inside the root is listed, the one out of it not.
                want.push("<li><a href=\"/list/inside\">inside</a></li>");
            }
            want.push("<li><a href=\"/list/z%20dir/\">z dir/</a></li>");
            assert_eq!(items, want, "{target}");
        }
        // The links lead to the files.
        assert_eq!(get(&site, "/list/%3Cx%3E%26.txt").unwrap().1, b"x");
        // The root is listed too (it has no index.html); `sub` has one.
        let (head, body, _) = raw(&site, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(head.status, 200);
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("<a href=\"/sub/\">sub/</a>")
        );
        assert_eq!(get(&site, "/sub").unwrap().1, b"<p>index</p>");
        // HEAD: the same length, no body.
        let (get_head, _, _) = raw(&site, b"GET /list HTTP/1.1\r\nHost: x\r\n\r\n");
        let (head, body, _) = raw(&site, b"HEAD /list HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            head.headers.get("content-length"),
            get_head.headers.get("content-length")
        );
        assert!(body.is_empty());
        // Out of the root stays refused, listing or not.
        #[cfg(unix)]
        {
            let (head, _, _) = raw(&site, b"GET /list/escape/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assert_eq!(head.status, 403);
        }
        let (head, _, _) = raw(&site, b"GET /list/../../ HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(head.status, 403);
        std::fs::remove_dir_all(&outside).unwrap();
    }

    #[test]
    fn targets_and_types() {
        assert_eq!(target_path("/a/./b//c?x=/.."), Ok(PathBuf::from("a/b/c")));
        assert_eq!(target_path("/"), Ok(PathBuf::new()));
        assert_eq!(target_path("/a/../b"), Err(TargetError::Traversal));
        assert_eq!(target_path("/%2e%2E"), Err(TargetError::Traversal));
        assert_eq!(target_path("a"), Err(TargetError::Malformed));
        assert_eq!(target_path("/%zz"), Err(TargetError::Malformed));
        assert_eq!(target_path("/%00"), Err(TargetError::Malformed));
        assert_eq!(target_path("/%ff"), Err(TargetError::Malformed));
        assert_eq!(target_path("*"), Err(TargetError::Malformed));
        assert_eq!(
            content_type(Path::new("x/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.bin")), "application/octet-stream");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }

    #[test]
    fn oversized_heads_and_idle_connections_are_cut_off() {
        let site = site();
        // A head that never ends: refused once it passes the bound.
        let mut stream = connect(&site);
        let mut junk = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
        junk.resize(http::MAX_HEAD + 100, b'a');
        stream.write_all(&junk).unwrap();
        let mut reader = ResponseReader::new(&stream);
        let head = reader.read_head().unwrap();
        assert_eq!(head.status, 431);
        drop(reader);
        // A connection that sends nothing is closed after the idle
        // timeout (30 s of network time).
        let idle = connect(&site);
        let start = site.client.now();
        assert!(at_eof(&idle));
        let waited = site.client.now().saturating_duration_since(start);
        assert!(
            waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
            "{waited}"
        );
    }
}
