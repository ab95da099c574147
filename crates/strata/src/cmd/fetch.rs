//! `strata fetch URL [-o FILE]`: an HTTP/1.1 GET over strata's TCP.
//!
//! The URL is parsed ([`Url`]: `http://` only, a host name or IPv4
//! literal, a port, a path), the host resolved through the DNS server,
//! a connection opened, `GET` sent with `Host`, `User-Agent` and
//! `Connection: close`, and the response read: status line and header
//! fields, then the body delimited by `Content-Length`, the chunked coding,
//! or the end of the connection, streamed to the output as it arrives
//! (never held whole). On a terminal a progress bar (bytes, rate, ETA)
//! runs on stderr; piped, nothing is drawn.
//!
//! Exit status ([`FetchError::exit_code`]): 0 success, 1 other I/O error,
//! 2 bad URL or setup, 3 no such host, 4 connection refused, 5 connection
//! reset, 6 timed out, 7 host unreachable, 8 malformed or cut-short
//! response, 22 a status other than 2xx (the body is not written), 23 the
//! output could not be written, 130 interrupted (Ctrl-C).
//!
//! With `-o FILE`, the file exists after the run only if the whole body
//! arrived: a fetch that fails or is interrupted part-way removes what it
//! had written (there is no resuming, so a partial file would only be
//! mistaken for the real one).

use core::net::SocketAddrV4;
use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use strata_core::time::Duration;
use strata_dns::resolver::ResolveError;
use strata_socket::{Error as SocketError, SocketOption};

use super::http::{self, BodyLength, ChunkedDecoder, HttpError, Response};
use super::tap_opts::{TapOpts, with_realtime_host};
use crate::net::{HostHandle, TcpStream};

/// Command-line arguments of `strata fetch`.
#[derive(Clone, Debug, clap::Args)]
pub struct FetchArgs {
    /// `http://HOST[:PORT][/PATH]`; HOST is a name or an IPv4 address.
    pub url: String,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The connection's receive buffer, the largest window it advertises
    /// (with window scaling): bytes, or with a K or M suffix (KiB, MiB).
    /// A long or lossy path needs a window of several round trips' worth
    /// of data for the sender to keep the link busy.
    #[arg(long, value_name = "SIZE", default_value = "4M", value_parser = parse_size)]
    pub recv_buffer: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tap: TapOpts,
}

/// Why a URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// No `scheme://`.
    MissingScheme,
    /// `https://`: strata has no TLS.
    Https,
    /// A scheme other than http.
    UnsupportedScheme(String),
    /// No host.
    MissingHost,
    /// User information (`user@host`) is not supported.
    UserInfo,
    /// An IPv6 literal (`[::1]`): strata speaks IPv4 only.
    Ipv6,
    /// A host with characters no host name or IPv4 address has.
    BadHost(String),
    /// A port that is not a number in 1..=65535.
    BadPort(String),
    /// Whitespace or control characters in the path.
    BadPath,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::MissingScheme => f.write_str("URL must start with http://"),
            UrlError::Https => {
                f.write_str("https:// is not supported (strata has no TLS); use http://")
            }
            UrlError::UnsupportedScheme(s) => {
                write!(f, "scheme {s}:// is not supported; use http://")
            }
            UrlError::MissingHost => f.write_str("URL has no host"),
            UrlError::UserInfo => f.write_str("user names in URLs are not supported"),
            UrlError::Ipv6 => f.write_str("IPv6 addresses are not supported"),
            UrlError::BadHost(h) => write!(f, "invalid host {h:?}"),
            UrlError::BadPort(p) => write!(f, "invalid port {p:?}"),
            UrlError::BadPath => f.write_str("whitespace or control characters in the path"),
        }
    }
}

impl std::error::Error for UrlError {}

/// An `http://` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// Host name (lower case) or IPv4 literal.
    pub host: String,
    /// Port (80 unless given).
    pub port: u16,
    /// Path and query, starting with `/` (the fragment is dropped).
    pub path: String,
}

impl Url {
    /// The `Host` header value: the host, and the port unless 80.
    #[must_use]
    pub fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.path)
    }
}

impl FromStr for Url {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err(UrlError::MissingScheme);
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err(UrlError::Https);
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError::UnsupportedScheme(scheme.to_owned()));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at_checked(end).unwrap_or((rest, ""));
        let tail = tail.split_once('#').map_or(tail, |(t, _)| t);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        if authority.starts_with('[') {
            return Err(UrlError::Ipv6);
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, "")) => (h, 80),
            Some((h, p)) => {
                let port = if p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse::<u16>().ok().filter(|&n| n != 0)
                } else {
                    None
                };
                (h, port.ok_or_else(|| UrlError::BadPort(p.to_owned()))?)
            }
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(UrlError::MissingHost);
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            || host.starts_with('.')
            || host.contains("..")
        {
            return Err(UrlError::BadHost(host.to_owned()));
        }
        if tail.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(UrlError::BadPath);
        }
        let path = if tail.starts_with('/') {
            tail.to_owned()
        } else {
            format!("/{tail}")
        };
        Ok(Url {
            host: host.to_ascii_lowercase(),
            port,
            path,
        })
    }
}

/// The bytes of a request for `url`: request line, `Host`, `User-Agent`,
/// `Accept`, and `Connection: close` unless `keep_alive`.
#[must_use]
pub fn build_request(method: &str, url: &Url, keep_alive: bool) -> Vec<u8> {
    let mut s = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: strata/{}\r\nAccept: */*\r\n",
        url.path,
        url.host_header(),
        env!("CARGO_PKG_VERSION")
    );
    if !keep_alive {
        s.push_str("Connection: close\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// A byte count from the command line: digits, optionally followed by
/// `K`/`KiB` or `M`/`MiB` (case-insensitive), between 1 byte and 1 GiB
/// (the largest buffer a connection takes).
///
/// # Errors
/// A message naming what is wrong with `s`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = t.split_at_checked(digits).unwrap_or((t, ""));
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        _ => return Err(format!("{s:?}: the unit must be K or M (binary)")),
    };
    let n: usize = number
        .parse()
        .map_err(|_| format!("{s:?} is not a size (digits, then K or M)"))?;
    let bytes = n
        .checked_mul(1usize << shift)
        .filter(|b| (1..=strata_tcp::connection::MAX_BUFFER).contains(b))
        .ok_or_else(|| format!("{s:?}: between 1 byte and 1 GiB"))?;
    Ok(bytes)
}

/// Why a fetch failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not one fetch can use.
    Url(UrlError),
    /// The host name does not exist (NXDOMAIN, no address).
    NoSuchHost(String),
    /// Name resolution failed otherwise (no answer, server failure).
    Resolve(String, SocketError),
    /// The server refused the connection (RST to the SYN).
    Refused(SocketAddrV4),
    /// The connection was reset.
    Reset,
    /// No answer in time (connect, or no data while waiting).
    TimedOut(&'static str),
    /// ARP or ICMP said the host cannot be reached.
    Unreachable(SocketAddrV4),
    /// The response is malformed.
    Protocol(HttpError),
    /// The connection closed before the body was complete.
    Truncated {
        /// Body bytes received.
        received: u64,
        /// Bytes announced, when known.
        expected: Option<u64>,
    },
    /// The server answered with a status other than 2xx.
    Status {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// Writing the body failed.
    Output(io::Error),
    /// Another I/O error on the connection.
    Io(io::Error),
    /// Stopped by an interrupt (Ctrl-C) before the body was complete.
    Interrupted,
}

impl FetchError {
    /// The process exit status for this error (see the
    /// [module documentation](self)).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            FetchError::Io(_) => 1,
            FetchError::Url(_) => 2,
            FetchError::NoSuchHost(_) | FetchError::Resolve(..) => 3,
            FetchError::Refused(_) => 4,
            FetchError::Reset => 5,
            FetchError::TimedOut(_) => 6,
            FetchError::Unreachable(_) => 7,
            FetchError::Protocol(_) | FetchError::Truncated { .. } => 8,
            FetchError::Status { .. } => 22,
            FetchError::Output(_) => 23,
            FetchError::Interrupted => 130,
        }
    }

    /// Classifies an error of the connection.
    fn from_io(e: io::Error, peer: SocketAddrV4) -> FetchError {
        if crate::net::is_interrupted(&e) {
            return FetchError::Interrupted;
        }
        match e.kind() {
            io::ErrorKind::ConnectionRefused => FetchError::Refused(peer),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => FetchError::Reset,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                FetchError::TimedOut("the server stopped answering")
            }
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                FetchError::Unreachable(peer)
            }
            _ => FetchError::Io(e),
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Url(e) => write!(f, "{e}"),
            FetchError::NoSuchHost(h) => write!(f, "{h}: no such host"),
            FetchError::Resolve(h, e) => write!(f, "cannot resolve {h}: {e}"),
            FetchError::Refused(p) => write!(f, "connection to {p} refused"),
            FetchError::Reset => f.write_str("connection reset by the server"),
            FetchError::TimedOut(what) => write!(f, "timed out: {what}"),
            FetchError::Unreachable(p) => write!(f, "{} is unreachable", p.ip()),
            FetchError::Protocol(e) => write!(f, "malformed response: {e}"),
            FetchError::Truncated {
                received,
                expected: Some(n),
            } => write!(f, "connection closed after {received} of {n} body bytes"),
            FetchError::Truncated { received, .. } => {
                write!(
                    f,
                    "connection closed in the middle of the body after {received} bytes"
                )
            }
            FetchError::Status { status, reason } => write!(f, "server answered {status} {reason}"),
            FetchError::Output(e) => write!(f, "cannot write the output: {e}"),
            FetchError::Io(e) => write!(f, "{e}"),
            FetchError::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for FetchError {}

impl From<HttpError> for FetchError {
    fn from(e: HttpError) -> Self {
        FetchError::Protocol(e)
    }
}

/// Timeouts and identity of a fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// Longest wait for name resolution.
    pub resolve_timeout: Duration,
    /// Longest wait for the connection to open.
    pub connect_timeout: Duration,
    /// Longest wait for any data while the response is incomplete.
    pub idle_timeout: Duration,
    /// The connection's receive buffer (its largest window), set before
    /// the handshake; `None`: the stack's default (64 KiB).
    pub recv_buffer: Option<usize>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            resolve_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            recv_buffer: None,
        }
    }
}

/// What a successful fetch got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOutcome {
    /// The server's address.
    pub peer: SocketAddrV4,
    /// The response head.
    pub response: Response,
    /// Body bytes written.
    pub bytes: u64,
}

/// Receives progress reports as a body streams.
pub trait Progress {
    /// `received` body bytes so far, of `total` if known.
    fn update(&mut self, received: u64, total: Option<u64>);
    /// The body is complete (or the transfer failed).
    fn finish(&mut self, received: u64, total: Option<u64>);
}

/// No progress display.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&mut self, _: u64, _: Option<u64>) {}
    fn finish(&mut self, _: u64, _: Option<u64>) {}
}

/// Reads responses from a connection, keeping bytes that arrived past
/// one response for the next (keep-alive).
#[derive(Debug)]
pub struct ResponseReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes of `buf` not yet consumed start here.
    start: usize,
}

/// How much is read from the connection at once.
const READ_CHUNK: usize = 64 * 1024;

impl<R: Read> ResponseReader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
        }
    }

    fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let got = loop {
            match self.inner.read(self.buf.get_mut(old..).unwrap_or(&mut [])) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => break r,
            }
        };
        self.buf.truncate(old + *got.as_ref().unwrap_or(&0));
        got
    }

    /// Reads a response head (skipping interim 1xx responses).
    ///
    /// # Errors
    /// A malformed head, the connection closing before it, or the
    /// connection's error.
    pub fn read_head(&mut self) -> Result<Response, ReadError> {
        loop {
            if let Some((response, used)) = http::parse_response(self.buffered())? {
                self.consume(used);
                if (100..200).contains(&response.status) && response.status != 101 {
                    continue;
                }
                return Ok(response);
            }
            if self.fill()? == 0 {
                return Err(ReadError::Closed { received: 0 });
            }
        }
    }

    /// Streams the body of `response` (to a request with `method`) to
    /// `out`, reporting to `progress`; returns the body length.
    ///
    /// # Errors
    /// As [`ReadError`].
    pub fn read_body(
        &mut self,
        method: &str,
        response: &Response,
        out: &mut dyn Write,
        progress: &mut dyn Progress,
    ) -> Result<u64, ReadError> {
        let framing = http::response_body(method, response)?;
        let total = match framing {
            BodyLength::Length(n) => Some(n),
            BodyLength::Empty => Some(0),
            _ => None,
        };
        let mut received = 0u64;
        let result = self.body_loop(framing, out, progress, &mut received, total);
        progress.finish(received, total);
        result.map(|()| received)
    }

    fn body_loop(
        &mut self,
        framing: BodyLength,
        out: &mut dyn Write,
        progress: &mut dyn Progress,
        received: &mut u64,
        total: Option<u64>,
    ) -> Result<(), ReadError> {
        match framing {
            BodyLength::Empty => Ok(()),
            BodyLength::Length(n) => {
                while *received < n {
                    if self.buffered().is_empty() && self.fill()? == 0 {
                        return Err(ReadError::Closed {
                            received: *received,
                        });
                    }
                    let want = usize::try_from(n - *received).unwrap_or(usize::MAX);
                    let take = want.min(self.buffered().len());
                    let data = self.buffered().get(..take).unwrap_or(&[]);
                    out.write_all(data).map_err(ReadError::Output)?;
                    self.consume(take);
                    *received += take as u64;
                    progress.update(*received, total);
                }
                Ok(())
            }
            BodyLength::Chunked => {
                let mut decoder = ChunkedDecoder::new();
                while !decoder.is_done() {
                    if self.buffered().is_empty() && self.fill()? == 0 {
                        return Err(ReadError::Closed {
                            received: *received,
                        });
                    }
                    let (used, data) = decoder.feed(self.buffered())?;
                    out.write_all(data).map_err(ReadError::Output)?;
                    *received += data.len() as u64;
                    self.consume(used);
                    progress.update(*received, total);
                }
                Ok(())
            }
            BodyLength::UntilClose => loop {
                let data = self.buffered();
                out.write_all(data).map_err(ReadError::Output)?;
                *received += data.len() as u64;
                let n = data.len();
                self.consume(n);
                progress.update(*received, total);
                if self.fill()? == 0 {
                    return Ok(());
                }
            },
        }
    }

    /// The connection, back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Why reading a response failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// The response is malformed.
    Http(HttpError),
    /// The connection ended early, after `received` body bytes.
    Closed {
        /// Body bytes received before the end.
        received: u64,
    },
    /// The connection failed.
    Io(io::Error),
    /// The output failed.
    Output(io::Error),
}

impl From<HttpError> for ReadError {
    fn from(e: HttpError) -> Self {
        ReadError::Http(e)
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Http(e) => write!(f, "{e}"),
            ReadError::Closed { received } => {
                write!(f, "connection closed early (after {received} body bytes)")
            }
            ReadError::Io(e) | ReadError::Output(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

fn resolve_error(host: &str, e: SocketError) -> FetchError {
    match e {
        SocketError::Resolve(
            ResolveError::NxDomain { .. }
            | ResolveError::NoData { .. }
            | ResolveError::InvalidName { .. },
        ) => FetchError::NoSuchHost(host.to_owned()),
        e => FetchError::Resolve(host.to_owned(), e),
    }
}

/// Fetches `url` over `host`: resolve, connect, GET, stream the body of a
/// 2xx response to `out` (nothing is written for another status).
///
/// # Errors
/// [`FetchError`], one variant per way it can fail.
pub fn fetch(
    host: &HostHandle,
    url: &Url,
    options: &FetchOptions,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<FetchOutcome, FetchError> {
    let ips = super::resolve_ipv4(host, &url.host, options.resolve_timeout)
        .map_err(|e| resolve_error(&url.host, e))?;
    let ip = ips
        .first()
        .copied()
        .ok_or_else(|| FetchError::NoSuchHost(url.host.clone()))?;
    let peer = SocketAddrV4::new(ip, url.port);
    let buffer: Vec<SocketOption> = options
        .recv_buffer
        .map(SocketOption::RecvBuffer)
        .into_iter()
        .collect();
    let connected = TcpStream::connect_with(host, peer, Some(options.connect_timeout), &buffer);
    let mut stream = match connected {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            return Err(FetchError::TimedOut("no answer to the connection request"));
        }
        Err(e) => return Err(FetchError::from_io(e, peer)),
    };
    stream.set_read_timeout(Some(options.idle_timeout));
    stream.set_write_timeout(Some(options.idle_timeout));
    stream
        .write_all(&build_request("GET", url, false))
        .map_err(|e| FetchError::from_io(e, peer))?;
    let mut reader = ResponseReader::new(&stream);
    let map = |e: ReadError, expected: Option<u64>| match e {
        ReadError::Http(e) => FetchError::Protocol(e),
        ReadError::Closed { received } => FetchError::Truncated { received, expected },
        ReadError::Io(e) => FetchError::from_io(e, peer),
        ReadError::Output(e) => FetchError::Output(e),
    };
    let response = reader.read_head().map_err(|e| map(e, None))?;
    if !(200..300).contains(&response.status) {
        return Err(FetchError::Status {
            status: response.status,
            reason: response.reason.clone(),
        });
    }
    let expected = http::content_length(&response.headers).ok().flatten();
    let bytes = reader
        .read_body("GET", &response, out, progress)
        .map_err(|e| map(e, expected))?;
    out.flush().map_err(FetchError::Output)?;
    Ok(FetchOutcome {
        peer,
        response,
        bytes,
    })
}

/// A progress bar on a terminal: bytes, percentage, rate and ETA, redrawn
/// at most ten times a second (wall-clock time).
#[derive(Debug)]
pub struct TerminalProgress<W: Write> {
    out: W,
    start: std::time::Instant,
    last: Option<std::time::Instant>,
}

impl<W: Write> TerminalProgress<W> {
    /// A bar drawn on `out` (stderr).
    pub fn new(out: W) -> Self {
        Self {
            out,
            start: std::time::Instant::now(),
            last: None,
        }
    }

    fn draw(&mut self, received: u64, total: Option<u64>) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        let rate = received as f64 / secs;
        let line = progress_line(received, total, rate);
        let _ = write!(self.out, "\r{line}\x1b[K");
        let _ = self.out.flush();
    }
}

impl<W: Write> Progress for TerminalProgress<W> {
    fn update(&mut self, received: u64, total: Option<u64>) {
        let now = std::time::Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < std::time::Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        self.draw(received, total);
    }

    fn finish(&mut self, received: u64, total: Option<u64>) {
        self.draw(received, total);
        let _ = writeln!(self.out);
    }
}

/// Bytes with a binary unit (`12.3 MiB`).
#[must_use]
pub fn human_bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut unit = "B";
    for u in UNITS {
        unit = u;
        if v < 1024.0 || u == "TiB" {
            break;
        }
        v /= 1024.0;
    }
    if unit == "B" {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// One frame of the progress bar: `received` of `total` at `rate` bytes/s.
#[must_use]
pub fn progress_line(received: u64, total: Option<u64>, rate: f64) -> String {
    let rate_text = format!("{}/s", human_bytes(rate));
    match total {
        Some(total) if total > 0 => {
            let frac = (received as f64 / total as f64).clamp(0.0, 1.0);
            let width = 30usize;
            let filled = ((frac * width as f64) as usize).min(width);
            let bar: String = (0..width)
                .map(|i| match i.cmp(&filled) {
                    std::cmp::Ordering::Less => '=',
                    std::cmp::Ordering::Equal => '>',
                    std::cmp::Ordering::Greater => ' ',
                })
                .collect();
            let eta = if rate > 0.0 {
                let left = (total.saturating_sub(received)) as f64 / rate;
                let s = left.round() as u64;
                format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            } else {
                "--:--:--".to_owned()
            };
            format!(
                "{:3.0}% [{bar}] {} / {}  {rate_text}  ETA {eta}",
                frac * 100.0,
                human_bytes(received as f64),
                human_bytes(total as f64)
            )
        }
        _ => format!("{}  {rate_text}", human_bytes(received as f64)),
    }
}

/// A file created on the first write (or at [`LazyFile::finish`]), so a
/// failed fetch leaves no empty file behind, and removed again by
/// [`LazyFile::discard`] so it leaves no partial one either.
#[derive(Debug)]
struct LazyFile {
    path: PathBuf,
    file: Option<io::BufWriter<std::fs::File>>,
    written: u64,
}

impl LazyFile {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            file: None,
            written: 0,
        }
    }

    fn open(&mut self) -> io::Result<&mut io::BufWriter<std::fs::File>> {
        if self.file.is_none() {
            self.file = Some(io::BufWriter::with_capacity(
                256 * 1024,
                std::fs::File::create(&self.path)?,
            ));
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("file not open"))
    }

    fn finish(&mut self) -> io::Result<()> {
        self.open()?.flush()
    }

    /// Removes the file if this run created it; returns how many body
    /// bytes it had received, or `None` if there was no file.
    fn discard(&mut self) -> Option<u64> {
        let file = self.file.take()?;
        // Unwritten buffered bytes are dropped with it: nothing to flush.
        drop(file.into_parts());
        let _ = std::fs::remove_file(&self.path);
        Some(self.written)
    }
}

impl Write for LazyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.open()?.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// `strata fetch`: runs over the TAP device; the exit status as
/// [`FetchError::exit_code`].
#[must_use]
pub fn main(args: &FetchArgs) -> ExitCode {
    let url: Url = match args.url.parse() {
        Ok(url) => url,
        Err(e) => {
            eprintln!("strata fetch: {}: {e}", args.url);
            return ExitCode::from(2);
        }
    };
    let interrupt = super::ctrl_c_flag("fetch");
    let mut file = args.output.clone().map(LazyFile::new);
    let result = with_realtime_host(&args.tap, |host| {
        let host = host.with_interrupt(Arc::clone(&interrupt));
        let mut progress: Box<dyn Progress> = if io::stderr().is_terminal() {
            Box::new(TerminalProgress::new(io::stderr()))
        } else {
            Box::new(NoProgress)
        };
        let options = FetchOptions {
            recv_buffer: Some(args.recv_buffer),
            ..FetchOptions::default()
        };
        match file.as_mut() {
            Some(file) => {
                let r = fetch(&host, &url, &options, file, progress.as_mut());
                r.and_then(|o| file.finish().map(|()| o).map_err(FetchError::Output))
            }
            None => {
                let stdout = io::stdout();
                let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
                fetch(&host, &url, &options, &mut out, progress.as_mut())
            }
        }
    });
    // Ctrl-C may surface as another error (a lookup that "timed out"): the
    // flag says what happened.
    let result = match result {
        Ok(Err(_)) if interrupt.load(Ordering::Relaxed) => Ok(Err(FetchError::Interrupted)),
        r => r,
    };
    if let Ok(Err(e)) = &result {
        let what = if matches!(e, FetchError::Interrupted) {
            "interrupted"
        } else {
            "failed"
        };
        if let Some((received, file)) = file.as_mut().and_then(|f| Some((f.discard()?, &f.path))) {
            eprintln!(
                "strata fetch: {what} after {received} body bytes; removed the partial {}",
                file.display()
            );
        }
    }
    match result {
        Ok(Ok(outcome)) => {
            if io::stderr().is_terminal() {
                eprintln!(
                    "strata fetch: {} {} {}, {} bytes",
                    url, outcome.response.status, outcome.response.reason, outcome.bytes
                );
            }
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("strata fetch: {url}: {e}");
            ExitCode::from(e.exit_code())
        }
        Err(e) => {
            eprintln!("strata fetch: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u: Url = "http://Example.TEST".parse().unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("example.test", 80, "/")
        );
        assert_eq!(u.to_string(), "http://example.test/");
        let u: Url = "HTTP://198.18.0.1:8080/a/b.bin?x=1#frag".parse().unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("198.18.0.1", 8080, "/a/b.bin?x=1")
        );
        assert_eq!(u.host_header(), "198.18.0.1:8080");
        let u: Url = "http://h:/?q".parse().unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/?q"));
        let bad = [
            ("https://example.test/", UrlError::Https),
            (
                "ftp://example.test/",
                UrlError::UnsupportedScheme("ftp".into()),
            ),
            ("example.test/x", UrlError::MissingScheme),
            ("http:///x", UrlError::MissingHost),
            ("http://:80/", UrlError::MissingHost),
            ("http://u:p@h/", UrlError::UserInfo),
            ("http://[::1]/", UrlError::Ipv6),
            ("http://h:0/", UrlError::BadPort("0".into())),
            ("http://h:65536/", UrlError::BadPort("65536".into())),
            ("http://h:8o/", UrlError::BadPort("8o".into())),
            ("http://h!/", UrlError::BadHost("h!".into())),
            ("http://a..b/", UrlError::BadHost("a..b".into())),
            ("http://h/a b", UrlError::BadPath),
        ];
        for (text, want) in bad {
            assert_eq!(text.parse::<Url>(), Err(want), "{text}");
        }
        assert!(UrlError::Https.to_string().contains("https"));
    }

    #[test]
    fn request_bytes() {
        let u: Url = "http://198.18.0.1:8080/x?y".parse().unwrap();
        let r = String::from_utf8(build_request("GET", &u, false)).unwrap();
        assert!(r.starts_with("GET /x?y HTTP/1.1\r\nHost: 198.18.0.1:8080\r\nUser-Agent: strata/"));
        assert!(r.ends_with("Connection: close\r\n\r\n"));
        let (parsed, used) = http::parse_request(r.as_bytes()).unwrap().unwrap();
        assert_eq!(used, r.len());
        assert!(!parsed.keep_alive());
        let r = build_request("HEAD", &u, true);
        let (parsed, _) = http::parse_request(&r).unwrap().unwrap();
        assert!(parsed.keep_alive());
    }

    /// A reader handing out its bytes a few at a time, then an error or
    /// the end.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        end: Option<io::ErrorKind>,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let left = self.data.len() - self.pos;
            if left == 0 {
                return match self.end {
                    Some(kind) => Err(io::Error::from(kind)),
                    None => Ok(0),
                };
            }
            let n = left.min(self.step).min(buf.len());
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn reader(data: &[u8], step: usize) -> ResponseReader<Trickle> {
        ResponseReader::new(Trickle {
            data: data.to_vec(),
            pos: 0,
            step,
            end: None,
        })
    }

    fn get(r: &mut ResponseReader<Trickle>) -> Result<(u16, Vec<u8>), ReadError> {
        let head = r.read_head()?;
        let mut body = Vec::new();
        r.read_body("GET", &head, &mut body, &mut NoProgress)?;
        Ok((head.status, body))
    }

    #[test]
    fn bodies_by_length_chunks_and_close() {
        for step in [1, 3, 1000] {
            let mut r = reader(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil the end",
                step,
            );
            assert_eq!(
                get(&mut r).unwrap(),
                (200, b"hello".to_vec()),
                "step {step}"
            );
            assert_eq!(get(&mut r).unwrap(), (200, b"abcde".to_vec()));
            assert_eq!(get(&mut r).unwrap(), (404, Vec::new()));
            assert_eq!(get(&mut r).unwrap(), (200, b"until the end".to_vec()));
        }
    }

    #[test]
    fn short_bodies_and_errors() {
        let mut r = reader(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 2);
        assert!(matches!(
            get(&mut r),
            Err(ReadError::Closed { received: 5 })
        ));
        let mut r = reader(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            2,
        );
        assert!(matches!(
            get(&mut r),
            Err(ReadError::Closed { received: 3 })
        ));
        let mut r = reader(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            2,
        );
        assert!(matches!(
            get(&mut r),
            Err(ReadError::Http(HttpError::BadChunkSize))
        ));
        let mut r = reader(b"HTTP/1.1 200 OK\r\nContent", 2);
        assert!(matches!(
            get(&mut r),
            Err(ReadError::Closed { received: 0 })
        ));
        let mut r = reader(b"garbage\r\n\r\n", 2);
        assert!(matches!(get(&mut r), Err(ReadError::Http(_))));
        let mut r = ResponseReader::new(Trickle {
            data: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel".to_vec(),
            pos: 0,
            step: 100,
            end: Some(io::ErrorKind::ConnectionReset),
        });
        let Err(ReadError::Io(e)) = get(&mut r) else {
            panic!("a reset is an I/O error")
        };
        let peer = SocketAddrV4::new(core::net::Ipv4Addr::new(198, 18, 0, 1), 80);
        let e = FetchError::from_io(e, peer);
        assert!(matches!(e, FetchError::Reset));
        assert_eq!(e.exit_code(), 5);
        let refused = FetchError::from_io(io::ErrorKind::ConnectionRefused.into(), peer);
        assert_eq!(refused.exit_code(), 4);
        let timed = FetchError::from_io(io::ErrorKind::TimedOut.into(), peer);
        assert_eq!(timed.exit_code(), 6);
        let unreachable = FetchError::from_io(io::ErrorKind::HostUnreachable.into(), peer);
        assert_eq!(unreachable.exit_code(), 7);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65_536));
        assert_eq!(parse_size("64K"), Ok(65_536));
        assert_eq!(parse_size("4M"), Ok(4 << 20));
        assert_eq!(parse_size("4mib"), Ok(4 << 20));
        assert_eq!(parse_size(" 2KiB "), Ok(2048));
        assert_eq!(parse_size("1024M"), Ok(1 << 30));
        for bad in [
            "",
            "K",
            "0",
            "0M",
            "1025M",
            "4G",
            "-1",
            "1.5M",
            "99999999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn partial_files_are_removed() {
        let dir = crate::cmd::testnet::TempDir::new("fetch-file");
        let path = dir.0.join("out.bin");
        let mut file = LazyFile::new(path.clone());
        assert_eq!(file.discard(), None, "nothing written, nothing to remove");
        file.write_all(b"partial body").unwrap();
        file.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"partial body");
        assert_eq!(file.discard(), Some(12));
        assert!(!path.exists());
        // A complete one stays, even when empty.
        let mut file = LazyFile::new(path.clone());
        file.finish().unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn progress_lines() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(1536.0), "1.5 KiB");
        assert_eq!(human_bytes(5.0 * 1024.0 * 1024.0), "5.0 MiB");
        let line = progress_line(50, Some(100), 10.0);
        assert!(line.starts_with(" 50% [===============>"), "{line}");
        assert!(line.contains("50 B / 100 B"));
        assert!(line.ends_with("10 B/s  ETA 0:00:05"), "{line}");
        assert_eq!(progress_line(2048, None, 1024.0), "2.0 KiB  1.0 KiB/s");
    }
}
