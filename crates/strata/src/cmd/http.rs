//! HTTP/1.1 message syntax (RFC 9112) as pure functions over bytes: the
//! request line and header section a server reads, the status line and
//! header section a client reads, how long the body is, and an incremental
//! decoder of the chunked transfer coding.
//!
//! Nothing here does I/O: a parser is handed what has arrived so far and
//! answers "incomplete" (`Ok(None)`), a parsed head and how many bytes it
//! took, or an error. Heads are bounded ([`MAX_HEAD`] bytes,
//! [`MAX_HEADERS`] fields) so a peer cannot make a reader buffer without
//! limit.
//!
//! ```
//! use strata::cmd::http::{parse_request, request_body, BodyLength};
//!
//! let bytes = b"GET /index.html HTTP/1.1\r\nHost: www.example.test\r\n\r\nrest";
//! let (request, used) = parse_request(bytes)?.ok_or("incomplete")?;
//! assert_eq!((request.method.as_str(), request.target.as_str()), ("GET", "/index.html"));
//! assert_eq!(request.headers.get("host"), Some("www.example.test"));
//! assert_eq!(&bytes[used..], b"rest");
//! assert_eq!(request_body(&request)?, BodyLength::Empty);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

/// The longest request or response head (start line and header fields)
/// accepted, in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// The most header fields accepted in one head.
pub const MAX_HEADERS: usize = 100;
/// The longest chunk extension or trailer line accepted, in bytes.
const MAX_CHUNK_LINE: usize = 4096;

/// Why a message could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The head is longer than [`MAX_HEAD`] bytes.
    HeadTooLarge,
    /// More than [`MAX_HEADERS`] header fields.
    TooManyHeaders,
    /// The request line is not `method SP target SP version`.
    BadRequestLine,
    /// The status line is not `version SP 3DIGIT [SP reason]`.
    BadStatusLine,
    /// The version is not `HTTP/d.d`.
    BadVersion,
    /// An HTTP version other than 1.x.
    UnsupportedVersion,
    /// A header field line is malformed (no colon, a name that is not a
    /// token, whitespace before the colon, control characters).
    BadHeader {
        /// The line's number within the head (the start line is 0).
        line: usize,
    },
    /// A header line starts with whitespace (obsolete line folding,
    /// rejected per RFC 9112 section 5.2).
    ObsoleteFolding,
    /// A `Content-Length` that is not a decimal number, or several that
    /// disagree.
    BadContentLength,
    /// A request with both `Transfer-Encoding` and `Content-Length`
    /// (ambiguous framing, the root of request smuggling).
    ConflictingFraming,
    /// A request whose transfer coding is not chunked (its length cannot
    /// be known).
    UnsupportedTransferEncoding,
    /// A chunk size that is not hexadecimal, or too large.
    BadChunkSize,
    /// A chunk not followed by CRLF, or a malformed chunk or trailer line.
    BadChunkFraming,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::HeadTooLarge => write!(f, "header section longer than {MAX_HEAD} bytes"),
            HttpError::TooManyHeaders => write!(f, "more than {MAX_HEADERS} header fields"),
            HttpError::BadRequestLine => f.write_str("malformed request line"),
            HttpError::BadStatusLine => f.write_str("malformed status line"),
            HttpError::BadVersion => f.write_str("malformed HTTP version"),
            HttpError::UnsupportedVersion => f.write_str("HTTP version other than 1.x"),
            HttpError::BadHeader { line } => write!(f, "malformed header field on line {line}"),
            HttpError::ObsoleteFolding => f.write_str("obsolete header line folding"),
            HttpError::BadContentLength => f.write_str("invalid Content-Length"),
            HttpError::ConflictingFraming => {
                f.write_str("both Transfer-Encoding and Content-Length in a request")
            }
            HttpError::UnsupportedTransferEncoding => {
                f.write_str("transfer coding other than chunked")
            }
            HttpError::BadChunkSize => f.write_str("invalid chunk size"),
            HttpError::BadChunkFraming => f.write_str("malformed chunked framing"),
        }
    }
}

impl std::error::Error for HttpError {}

/// An HTTP version, `HTTP/major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The major version (1 for everything this module accepts).
    pub major: u8,
    /// The minor version.
    pub minor: u8,
}

impl Version {
    /// HTTP/1.0.
    pub const HTTP_10: Version = Version { major: 1, minor: 0 };
    /// HTTP/1.1.
    pub const HTTP_11: Version = Version { major: 1, minor: 1 };
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP/{}.{}", self.major, self.minor)
    }
}

/// One header field, the name as received and the value without
/// surrounding whitespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Field name (compare case-insensitively).
    pub name: String,
    /// Field value (bytes outside UTF-8 replaced).
    pub value: String,
}

/// The header fields of a message, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// The value of the first field named `name` (case-insensitive).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Whether any field named `name` lists `token` among its
    /// comma-separated elements (case-insensitive), as `Connection: close`.
    #[must_use]
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// A parsed request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method, case-sensitive (`GET`).
    pub method: String,
    /// The request target as sent (`/path?query`).
    pub target: String,
    /// The protocol version.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
}

impl Request {
    /// Whether the client wants the connection kept open after the
    /// response: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive`.
    #[must_use]
    pub fn keep_alive(&self) -> bool {
        if self.headers.has_token("connection", "close") {
            false
        } else if self.version >= Version::HTTP_11 {
            true
        } else {
            self.headers.has_token("connection", "keep-alive")
        }
    }
}

/// A parsed response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The protocol version.
    pub version: Version,
    /// The status code (100..=999).
    pub status: u16,
    /// The reason phrase, possibly empty.
    pub reason: String,
    /// The header fields.
    pub headers: Headers,
}

/// How the body of a message is delimited (RFC 9112 section 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLength {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// The chunked transfer coding: see [`ChunkedDecoder`].
    Chunked,
    /// Everything until the connection closes (responses only).
    UntilClose,
}

/// The lines of a head and the bytes it took.
type Head<'a> = (Vec<&'a [u8]>, usize);

/// The lines of a head: start line first, without line endings, and the
/// bytes the head took including the empty line. `None` while the empty
/// line has not arrived. A lone LF ends a line too (RFC 9112 section 2.2).
fn split_head(buf: &[u8], skip_leading_empty: bool) -> Result<Option<Head<'_>>, HttpError> {
    let mut lines = Vec::new();
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or(&[]);
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            if buf.len() > MAX_HEAD {
                return Err(HttpError::HeadTooLarge);
            }
            return Ok(None);
        };
        let line = rest.get(..nl).unwrap_or(&[]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        pos += nl + 1;
        if pos > MAX_HEAD {
            return Err(HttpError::HeadTooLarge);
        }
        if line.is_empty() {
            if lines.is_empty() && skip_leading_empty {
                // Empty lines before a request line are ignored (section 2.2).
                continue;
            }
            return Ok(Some((lines, pos)));
        }
        if lines.len() > MAX_HEADERS {
            return Err(HttpError::TooManyHeaders);
        }
        lines.push(line);
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

fn parse_version(s: &[u8]) -> Result<Version, HttpError> {
    let Some(rest) = s.strip_prefix(b"HTTP/") else {
        return Err(HttpError::BadVersion);
    };
    match rest {
        [major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            let version = Version {
                major: major - b'0',
                minor: minor - b'0',
            };
            if version.major == 1 {
                Ok(version)
            } else {
                Err(HttpError::UnsupportedVersion)
            }
        }
        _ => Err(HttpError::BadVersion),
    }
}

fn parse_headers(lines: &[&[u8]]) -> Result<Headers, HttpError> {
    let mut headers = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            return Err(HttpError::ObsoleteFolding);
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(HttpError::BadHeader { line: number });
        };
        let (name, value) = line.split_at(colon);
        // No whitespace is allowed between the name and the colon
        // (section 5.1): `is_token` refuses it.
        if !is_token(name) {
            return Err(HttpError::BadHeader { line: number });
        }
        let value = value.get(1..).unwrap_or(&[]);
        let value = value.trim_ascii();
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(HttpError::BadHeader { line: number });
        }
        headers.push(Header {
            name: String::from_utf8_lossy(name).into_owned(),
            value: String::from_utf8_lossy(value).into_owned(),
        });
    }
    Ok(Headers(headers))
}

/// Parses a request head from the start of `buf`: `Ok(None)` while it is
/// incomplete, else the request and the number of bytes it took (the body,
/// or the next request, follows).
///
/// # Errors
/// [`HttpError`] for a malformed or oversized head; a server answers 400
/// (505 for [`HttpError::UnsupportedVersion`]) and closes.
pub fn parse_request(buf: &[u8]) -> Result<Option<(Request, usize)>, HttpError> {
    let Some((lines, used)) = split_head(buf, true)? else {
        return Ok(None);
    };
    let Some((start, fields)) = lines.split_first() else {
        return Err(HttpError::BadRequestLine);
    };
    let mut parts = start.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::BadRequestLine);
    };
    if !is_token(method) || target.is_empty() || target.iter().any(|&b| !b.is_ascii_graphic()) {
        return Err(HttpError::BadRequestLine);
    }
    let version = parse_version(version)?;
    let headers = parse_headers(fields)?;
    Ok(Some((
        Request {
            method: String::from_utf8_lossy(method).into_owned(),
            target: String::from_utf8_lossy(target).into_owned(),
            version,
            headers,
        },
        used,
    )))
}

/// Parses a response head from the start of `buf`: `Ok(None)` while it is
/// incomplete, else the response and the number of bytes it took.
///
/// # Errors
/// [`HttpError`] for a malformed or oversized head.
pub fn parse_response(buf: &[u8]) -> Result<Option<(Response, usize)>, HttpError> {
    let Some((lines, used)) = split_head(buf, false)? else {
        return Ok(None);
    };
    let Some((start, fields)) = lines.split_first() else {
        return Err(HttpError::BadStatusLine);
    };
    let (version, rest) = match start.iter().position(|&b| b == b' ') {
        Some(sp) => start.split_at(sp),
        None => return Err(HttpError::BadStatusLine),
    };
    let version = parse_version(version)?;
    let rest = rest.get(1..).unwrap_or(&[]);
    let (code, reason) = match rest {
        [a, b, c] => ([*a, *b, *c], &[][..]),
        [a, b, c, b' ', reason @ ..] => ([*a, *b, *c], reason),
        _ => return Err(HttpError::BadStatusLine),
    };
    if !code.iter().all(u8::is_ascii_digit) || code.first() == Some(&b'0') {
        return Err(HttpError::BadStatusLine);
    }
    let status = code
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    if reason
        .iter()
        .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(HttpError::BadStatusLine);
    }
    let headers = parse_headers(fields)?;
    Ok(Some((
        Response {
            version,
            status,
            reason: String::from_utf8_lossy(reason).into_owned(),
            headers,
        },
        used,
    )))
}

/// The `Content-Length` of a message, if any. Several fields, or a
/// comma-separated list, must all agree (RFC 9110 section 8.6).
///
/// # Errors
/// [`HttpError::BadContentLength`].
pub fn content_length(headers: &Headers) -> Result<Option<u64>, HttpError> {
    let mut found: Option<u64> = None;
    for value in headers.get_all("content-length") {
        for element in value.split(',') {
            let element = element.trim();
            if element.is_empty() || !element.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HttpError::BadContentLength);
            }
            let n: u64 = element.parse().map_err(|_| HttpError::BadContentLength)?;
            if found.is_some_and(|f| f != n) {
                return Err(HttpError::BadContentLength);
            }
            found = Some(n);
        }
    }
    Ok(found)
}

/// `Some(true)` when the last transfer coding is chunked, `Some(false)` for
/// another, `None` without `Transfer-Encoding`.
fn chunked(headers: &Headers) -> Option<bool> {
    let last = headers
        .get_all("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .last()?;
    Some(last.eq_ignore_ascii_case("chunked"))
}

/// How the body of `request` is delimited: chunked, a length, or none.
///
/// # Errors
/// [`HttpError::ConflictingFraming`] for both `Transfer-Encoding` and
/// `Content-Length`, [`HttpError::UnsupportedTransferEncoding`] for a final
/// coding other than chunked, [`HttpError::BadContentLength`].
pub fn request_body(request: &Request) -> Result<BodyLength, HttpError> {
    let length = content_length(&request.headers)?;
    match (chunked(&request.headers), length) {
        (Some(_), Some(_)) => Err(HttpError::ConflictingFraming),
        (Some(true), None) => Ok(BodyLength::Chunked),
        (Some(false), None) => Err(HttpError::UnsupportedTransferEncoding),
        (None, Some(0) | None) => Ok(BodyLength::Empty),
        (None, Some(n)) => Ok(BodyLength::Length(n)),
    }
}

/// How the body of `response`, the answer to a request with method
/// `method`, is delimited (RFC 9112 section 6.3): none for HEAD, 1xx, 204
/// and 304; chunked when the last transfer coding is; until the connection
/// closes for another coding; else `Content-Length`, else until close.
///
/// # Errors
/// [`HttpError::BadContentLength`].
pub fn response_body(method: &str, response: &Response) -> Result<BodyLength, HttpError> {
    if method == "HEAD"
        || (100..200).contains(&response.status)
        || response.status == 204
        || response.status == 304
    {
        return Ok(BodyLength::Empty);
    }
    match chunked(&response.headers) {
        Some(true) => return Ok(BodyLength::Chunked),
        Some(false) => return Ok(BodyLength::UntilClose),
        None => {}
    }
    Ok(match content_length(&response.headers)? {
        Some(0) => BodyLength::Empty,
        Some(n) => BodyLength::Length(n),
        None => BodyLength::UntilClose,
    })
}

/// The reason phrase of a status code (RFC 9110 section 15), empty for
/// codes without one here.
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// The bytes of a response head: status line (HTTP/1.1), the fields in
/// order, and the empty line.
#[must_use]
pub fn response_head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut s = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    for (name, value) in headers {
        s.push_str(name);
        s.push_str(": ");
        s.push_str(value);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// A time as an HTTP date (IMF-fixdate, RFC 9110 section 5.6.7):
/// `Sun, 06 Nov 1994 08:49:37 GMT`, from seconds since the Unix epoch.
#[must_use]
pub fn http_date(unix_seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds / 86_400;
    let secs = unix_seconds % 86_400;
    // Civil date from a day count (Howard Hinnant's algorithm), on
    // unsigned arithmetic shifted to the 0000-03-01 era.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let weekday = DAYS.get((days % 7) as usize).copied().unwrap_or("Thu");
    let month_name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{weekday}, {day:02} {month_name} {year} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// What a `Range` header field (RFC 9110 section 14.2) asks of a
/// representation of a known length, as [`byte_range`] decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Send the whole representation (200): no `Range`, one this server
    /// ignores (another unit, invalid syntax, several ranges, an empty
    /// representation), as section 14.2 allows.
    Full,
    /// Send bytes `first..=last` (206 with `Content-Range: bytes
    /// first-last/length`); `first <= last < length`.
    Partial {
        /// The first byte sent.
        first: u64,
        /// The last byte sent (inclusive).
        last: u64,
    },
    /// No byte of the representation is in the range (416 with
    /// `Content-Range: bytes */length`).
    Unsatisfiable,
}

/// One `range-spec` of a `bytes` range set: `first-[last]` or `-suffix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeSpec {
    From { first: u64, last: Option<u64> },
    Suffix(u64),
}

/// Decimal digits as a number, saturating: a position past `u64::MAX` is
/// past any representation's end all the same. `None` if not all digits
/// (or empty).
fn saturating_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

fn range_spec(s: &str) -> Option<RangeSpec> {
    let (first, last) = s.split_once('-')?;
    if first.is_empty() {
        return Some(RangeSpec::Suffix(saturating_decimal(last)?));
    }
    let first = saturating_decimal(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(saturating_decimal(last)?)
    };
    // `last < first` makes the whole field invalid (section 14.1.1).
    if last.is_some_and(|l| l < first) {
        return None;
    }
    Some(RangeSpec::From { first, last })
}

/// Decides a request's `Range` field value (`None`: no field) against a
/// representation of `length` bytes, per RFC 9110 section 14: one range
/// `bytes=a-b`, `bytes=a-` or `bytes=-n` is answered with those bytes
/// (clipped to the end; `-n` past the start means the whole), or as
/// unsatisfiable when `a` is at or past the end or `n` is 0. Everything
/// else is [`RangeAnswer::Full`], which the RFC allows for any request:
/// other units, malformed values (`bytes=5-2`, `bytes=x`), several ranges
/// (a server may answer those with the whole representation rather than
/// a multipart body), and an empty representation (no range of it can be
/// expressed).
#[must_use]
pub fn byte_range(value: Option<&str>, length: u64) -> RangeAnswer {
    let Some(value) = value else {
        return RangeAnswer::Full;
    };
    let Some((unit, set)) = value.trim().split_once('=') else {
        return RangeAnswer::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || length == 0 {
        return RangeAnswer::Full;
    }
    // Empty list elements are allowed and skipped (RFC 9110 section 5.6.1).
    let mut specs = set.split(',').map(str::trim).filter(|e| !e.is_empty());
    let (Some(only), None) = (specs.next(), specs.next()) else {
        return RangeAnswer::Full;
    };
    let Some(spec) = range_spec(only) else {
        return RangeAnswer::Full;
    };
    let end = length - 1;
    match spec {
        RangeSpec::From { first, .. } if first >= length => RangeAnswer::Unsatisfiable,
        RangeSpec::From { first, last } => RangeAnswer::Partial {
            first,
            last: last.map_or(end, |l| l.min(end)),
        },
        RangeSpec::Suffix(0) => RangeAnswer::Unsatisfiable,
        RangeSpec::Suffix(n) => RangeAnswer::Partial {
            first: length.saturating_sub(n),
            last: end,
        },
    }
}

/// Where a [`ChunkedDecoder`] is within the chunked coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkState {
    /// Reading hex digits of a chunk size.
    Size { value: u64, digits: u8 },
    /// After the size: whitespace or a chunk extension, up to CR.
    Extension { value: u64, len: usize },
    /// CR of the size line seen; LF expected.
    SizeLf { value: u64 },
    /// This many data bytes of the current chunk are left.
    Data(u64),
    /// CR after the data expected.
    DataCr,
    /// LF after the data expected.
    DataLf,
    /// At the start of a trailer line (or of the final empty line).
    TrailerStart,
    /// Inside a trailer field line.
    Trailer { len: usize },
    /// CR of a trailer line seen.
    TrailerLf,
    /// CR of the final empty line seen.
    FinalLf,
    /// The last chunk and the trailer section are complete.
    Done,
}

/// An incremental decoder of the chunked transfer coding (RFC 9112
/// section 7.1): fed whatever bytes arrived, it hands back the data they
/// carry without copying, and says when the message ended. Chunk
/// extensions and trailer fields are skipped (bounded in length).
///
/// ```
/// use strata::cmd::http::ChunkedDecoder;
///
/// let mut input: &[u8] = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\nNEXT";
/// let mut decoder = ChunkedDecoder::new();
/// let mut body = Vec::new();
/// while !decoder.is_done() {
///     let (used, data) = decoder.feed(input)?;
///     body.extend_from_slice(data);
///     input = &input[used..];
/// }
/// assert_eq!(body, b"Wikipedia");
/// assert_eq!(input, b"NEXT");
/// # Ok::<(), strata::cmd::http::HttpError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: ChunkState,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: ChunkState::Size {
                value: 0,
                digits: 0,
            },
        }
    }

    /// Whether the last chunk and the trailer section have been read.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consumes framing bytes from `input` up to the next run of data and
    /// returns how many bytes it used and that data (a sub-slice of
    /// `input`, possibly empty when `input` ran out or the body ended).
    /// Call again with the rest of the input. Once done it uses nothing:
    /// bytes after the body belong to the next message.
    ///
    /// # Errors
    /// [`HttpError::BadChunkSize`] or [`HttpError::BadChunkFraming`]; the
    /// decoder should not be used after an error.
    pub fn feed<'a>(&mut self, input: &'a [u8]) -> Result<(usize, &'a [u8]), HttpError> {
        let mut used = 0usize;
        loop {
            if let ChunkState::Data(left) = self.state {
                let rest = input.get(used..).unwrap_or(&[]);
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                let data = rest.get(..take).unwrap_or(&[]);
                let left = left - take as u64;
                self.state = if left == 0 {
                    ChunkState::DataCr
                } else {
                    ChunkState::Data(left)
                };
                return Ok((used + take, data));
            }
            if self.state == ChunkState::Done {
                return Ok((used, &[]));
            }
            let Some(&b) = input.get(used) else {
                return Ok((used, &[]));
            };
            used += 1;
            self.state = self.step(b)?;
        }
    }

    /// One framing byte.
    fn step(&self, b: u8) -> Result<ChunkState, HttpError> {
        use ChunkState as S;
        Ok(match self.state {
            S::Size { value, digits } => match b {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                    // 15 hex digits stay below 2^60: no overflow.
                    if digits >= 15 {
                        return Err(HttpError::BadChunkSize);
                    }
                    let d = u64::from(match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        _ => b - b'A' + 10,
                    });
                    S::Size {
                        value: value * 16 + d,
                        digits: digits + 1,
                    }
                }
                _ if digits == 0 => return Err(HttpError::BadChunkSize),
                b'\r' => S::SizeLf { value },
                // Whitespace before a chunk extension (BWS) or the
                // extension itself: skipped up to the CR.
                b';' | b' ' | b'\t' => S::Extension { value, len: 1 },
                _ => return Err(HttpError::BadChunkSize),
            },
            S::Extension { value, len } => match b {
                b'\r' => S::SizeLf { value },
                b'\n' | 0 => return Err(HttpError::BadChunkFraming),
                _ if len >= MAX_CHUNK_LINE => return Err(HttpError::BadChunkFraming),
                _ => S::Extension {
                    value,
                    len: len + 1,
                },
            },
            S::SizeLf { value } => match b {
                b'\n' if value == 0 => S::TrailerStart,
                b'\n' => S::Data(value),
                _ => return Err(HttpError::BadChunkFraming),
            },
            // `feed` handles data itself and never steps when done.
            S::Data(left) => S::Data(left),
            S::DataCr => match b {
                b'\r' => S::DataLf,
                _ => return Err(HttpError::BadChunkFraming),
            },
            S::DataLf => match b {
                b'\n' => S::Size {
                    value: 0,
                    digits: 0,
                },
                _ => return Err(HttpError::BadChunkFraming),
            },
            S::TrailerStart => match b {
                b'\r' => S::FinalLf,
                b'\n' | b' ' | b'\t' | 0 => return Err(HttpError::BadChunkFraming),
                _ => S::Trailer { len: 1 },
            },
            S::Trailer { len } => match b {
                b'\r' => S::TrailerLf,
                b'\n' | 0 => return Err(HttpError::BadChunkFraming),
                _ if len >= MAX_CHUNK_LINE => return Err(HttpError::BadChunkFraming),
                _ => S::Trailer { len: len + 1 },
            },
            S::TrailerLf => match b {
                b'\n' => S::TrailerStart,
                _ => return Err(HttpError::BadChunkFraming),
            },
            S::FinalLf => match b {
                b'\n' => S::Done,
                _ => return Err(HttpError::BadChunkFraming),
            },
            S::Done => S::Done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(bytes: &[u8]) -> Result<Option<(Request, usize)>, HttpError> {
        parse_request(bytes)
    }

    #[test]
    fn rfc9112_request_examples() {
        // RFC 9112 section 3.2.1 (origin-form) and section 2.1's curl-like
        // request.
        let bytes = b"GET /where?q=now HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
        let (r, used) = request(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(r.method, "GET");
        assert_eq!(r.target, "/where?q=now");
        assert_eq!(r.version, Version::HTTP_11);
        assert_eq!(r.headers.get("HOST"), Some("www.example.com"));
        assert!(r.keep_alive());

        let bytes = b"GET /hello.txt HTTP/1.1\r\nUser-Agent: curl/7.64.1\r\nHost: www.example.com\r\nAccept-Language: en, mi\r\n\r\n";
        let (r, _) = request(bytes).unwrap().unwrap();
        assert_eq!(r.headers.0.len(), 3);
        assert_eq!(r.headers.get("accept-language"), Some("en, mi"));
        assert_eq!(request_body(&r), Ok(BodyLength::Empty));
    }

    #[test]
    fn incomplete_heads_wait_and_leading_empty_lines_are_skipped() {
        let full = b"\r\nHEAD / HTTP/1.0\nConnection: keep-alive\n\nBODY";
        for cut in 0..full.len() - 4 {
            assert_eq!(request(&full[..cut]), Ok(None), "cut at {cut}");
        }
        let (r, used) = request(full).unwrap().unwrap();
        assert_eq!(&full[used..], b"BODY");
        assert_eq!(r.version, Version::HTTP_10);
        assert!(r.keep_alive());
        let (r, _) = request(b"GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(!r.keep_alive());
        let (r, _) = request(b"GET / HTTP/1.1\r\nConnection: Upgrade, close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!r.keep_alive());
    }

    #[test]
    fn malformed_requests_are_refused() {
        let bad: &[(&[u8], HttpError)] = &[
            (b"GET\r\n\r\n", HttpError::BadRequestLine),
            (b"GET / HTTP/1.1 extra\r\n\r\n", HttpError::BadRequestLine),
            (b"GET  / HTTP/1.1\r\n\r\n", HttpError::BadRequestLine),
            (b"G(T / HTTP/1.1\r\n\r\n", HttpError::BadRequestLine),
            (b"GET / HTTP/1\r\n\r\n", HttpError::BadVersion),
            (b"GET / http/1.1\r\n\r\n", HttpError::BadVersion),
            (b"GET / HTTP/2.0\r\n\r\n", HttpError::UnsupportedVersion),
            (
                b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
                HttpError::BadHeader { line: 1 },
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\r\nNoColon\r\n\r\n",
                HttpError::BadHeader { line: 2 },
            ),
            (
                b"GET / HTTP/1.1\r\n: empty\r\n\r\n",
                HttpError::BadHeader { line: 1 },
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n",
                HttpError::BadHeader { line: 1 },
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
                HttpError::ObsoleteFolding,
            ),
        ];
        for (bytes, want) in bad {
            assert_eq!(
                request(bytes),
                Err(*want),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn heads_are_bounded() {
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.resize(MAX_HEAD + 10, b'a');
        assert_eq!(request(&big), Err(HttpError::HeadTooLarge));
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS + 1 {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(request(&many), Err(HttpError::TooManyHeaders));
    }

    #[test]
    fn request_body_framing() {
        let body = |h: &str| {
            let text = format!("POST / HTTP/1.1\r\nHost: h\r\n{h}\r\n");
            let (r, _) = request(text.as_bytes()).unwrap().unwrap();
            request_body(&r)
        };
        assert_eq!(body("Content-Length: 5\r\n"), Ok(BodyLength::Length(5)));
        assert_eq!(
            body("Content-Length: 5\r\nContent-Length: 5\r\n"),
            Ok(BodyLength::Length(5))
        );
        assert_eq!(body("Content-Length: 5, 5\r\n"), Ok(BodyLength::Length(5)));
        assert_eq!(
            body("Content-Length: 5\r\nContent-Length: 6\r\n"),
            Err(HttpError::BadContentLength)
        );
        assert_eq!(
            body("Content-Length: -1\r\n"),
            Err(HttpError::BadContentLength)
        );
        assert_eq!(
            body("Content-Length: +5\r\n"),
            Err(HttpError::BadContentLength)
        );
        assert_eq!(
            body("Content-Length: 99999999999999999999999\r\n"),
            Err(HttpError::BadContentLength)
        );
        assert_eq!(
            body("Transfer-Encoding: gzip, chunked\r\n"),
            Ok(BodyLength::Chunked)
        );
        assert_eq!(
            body("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"),
            Err(HttpError::ConflictingFraming)
        );
        assert_eq!(
            body("Transfer-Encoding: gzip\r\n"),
            Err(HttpError::UnsupportedTransferEncoding)
        );
    }

    fn response(bytes: &[u8]) -> Response {
        let (r, used) = parse_response(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        r
    }

    #[test]
    fn status_lines_and_response_framing() {
        // RFC 9112 section 2.1's response head.
        let r = response(
            b"HTTP/1.1 200 OK\r\nDate: Mon, 27 Jul 2009 12:28:53 GMT\r\nServer: Apache\r\nLast-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\nETag: \"34aa387-d-1568eb00\"\r\nAccept-Ranges: bytes\r\nContent-Length: 51\r\nVary: Accept-Encoding\r\nContent-Type: text/plain\r\n\r\n",
        );
        assert_eq!((r.status, r.reason.as_str()), (200, "OK"));
        assert_eq!(response_body("GET", &r), Ok(BodyLength::Length(51)));
        assert_eq!(response_body("HEAD", &r), Ok(BodyLength::Empty));
        let r = response(b"HTTP/1.1 204\r\n\r\n");
        assert_eq!((r.status, r.reason.as_str()), (204, ""));
        assert_eq!(response_body("GET", &r), Ok(BodyLength::Empty));
        let r = response(b"HTTP/1.0 200 Fine thanks\r\n\r\n");
        assert_eq!(r.reason, "Fine thanks");
        assert_eq!(response_body("GET", &r), Ok(BodyLength::UntilClose));
        let r = response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n",
        );
        assert_eq!(response_body("GET", &r), Ok(BodyLength::Chunked));
        let r = response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert_eq!(response_body("GET", &r), Ok(BodyLength::UntilClose));
        let r = response(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
        assert_eq!(response_body("GET", &r), Ok(BodyLength::Empty));
        let r = response(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(response_body("GET", &r), Ok(BodyLength::Empty));
        for bad in [
            &b"HTTP/1.1 20 OK\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 099 X\r\n\r\n",
            b"HTTP/1.1200 OK\r\n\r\n",
            b"ICY 200 OK\r\n\r\n",
        ] {
            assert!(
                parse_response(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n"), Ok(None));
    }

    fn dechunk_all(input: &[u8]) -> Result<(Vec<u8>, usize), HttpError> {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let mut pos = 0;
        while !d.is_done() {
            let (used, data) = d.feed(&input[pos..])?;
            out.extend_from_slice(data);
            pos += used;
            if used == 0 && !d.is_done() {
                break;
            }
        }
        Ok((out, pos))
    }

    #[test]
    fn chunked_examples_whole_and_byte_by_byte() {
        // RFC 9112 section 7.1 style: extensions, upper- and lower-case hex,
        // a trailer section.
        let body = b"7;name=value\r\nMozilla\r\n9\r\nDeveloper\r\n7 ; x\r\nNetwork\r\nA\r\n0123456789\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\nNEXT";
        let (data, used) = dechunk_all(body).unwrap();
        assert_eq!(data, b"MozillaDeveloperNetwork0123456789");
        assert_eq!(&body[used..], b"NEXT");

        // Fed one byte at a time, the same data comes out.
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let mut consumed = 0;
        for b in body.iter() {
            if d.is_done() {
                break;
            }
            let (used, data) = d.feed(std::slice::from_ref(b)).unwrap();
            out.extend_from_slice(data);
            consumed += used;
            assert_eq!(used, 1);
        }
        assert!(d.is_done());
        assert_eq!(out, b"MozillaDeveloperNetwork0123456789");
        assert_eq!(consumed, body.len() - 4);
        // Done: nothing more is taken.
        assert_eq!(d.feed(b"NEXT").unwrap(), (0, &b""[..]));

        // An empty body.
        assert_eq!(dechunk_all(b"0\r\n\r\n").unwrap(), (Vec::new(), 5));
    }

    #[test]
    fn malformed_chunked_is_refused() {
        for bad in [
            &b"\r\n"[..],
            b"g\r\n",
            b"5\r\nabcdeX\r\n",
            b"5\r\nabcde\rX",
            b"5\nabcde\r\n",
            b"1234567890abcdef0\r\n",
            b"0\r\n\n",
            b"0\r\n folded: x\r\n\r\n",
            b"3\r\nabc\r\n0\r\nTrailer\nX",
        ] {
            assert!(
                dechunk_all(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut long = b"1;".to_vec();
        long.resize(MAX_CHUNK_LINE + 10, b'x');
        assert_eq!(dechunk_all(&long), Err(HttpError::BadChunkFraming));
        // A chunk larger than the input just waits for more.
        let mut d = ChunkedDecoder::new();
        let (used, data) = d.feed(b"ffffffff\r\nabc").unwrap();
        assert_eq!((used, data), (13, &b"abc"[..]));
        assert!(!d.is_done());
    }

    #[test]
    fn response_heads_and_dates() {
        let head = response_head(404, &[("Content-Length", "0"), ("Connection", "close")]);
        assert_eq!(
            head,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (r, _) = parse_response(&head).unwrap().unwrap();
        assert_eq!(r.status, 404);
        // RFC 9110 section 5.6.7's example date.
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(4_107_542_399), "Sun, 28 Feb 2100 23:59:59 GMT");
    }

    #[test]
    fn single_byte_ranges() {
        use RangeAnswer::{Full, Partial, Unsatisfiable};
        let p = |first, last| Partial { first, last };
        // RFC 9110 section 14.1.2's examples, on a 10000-byte
        // representation.
        assert_eq!(byte_range(Some("bytes=0-499"), 10_000), p(0, 499));
        assert_eq!(byte_range(Some("bytes=500-999"), 10_000), p(500, 999));
        assert_eq!(byte_range(Some("bytes=-500"), 10_000), p(9500, 9999));
        assert_eq!(byte_range(Some("bytes=9500-"), 10_000), p(9500, 9999));
        assert_eq!(byte_range(Some("bytes=0-0"), 10_000), p(0, 0));
        assert_eq!(byte_range(Some("bytes=-1"), 10_000), p(9999, 9999));
        // Clipped to the end; a suffix longer than the whole is the whole.
        assert_eq!(byte_range(Some("bytes=100-99999"), 1000), p(100, 999));
        assert_eq!(byte_range(Some("bytes=-5000"), 1000), p(0, 999));
        // Case, whitespace and empty list elements are tolerated.
        assert_eq!(byte_range(Some(" Bytes = 1-2 "), 10), p(1, 2));
        assert_eq!(byte_range(Some("bytes=, 1-2 ,"), 10), p(1, 2));
        // Nothing of the representation in the range: 416.
        assert_eq!(byte_range(Some("bytes=1000-"), 1000), Unsatisfiable);
        assert_eq!(byte_range(Some("bytes=1000-2000"), 1000), Unsatisfiable);
        assert_eq!(byte_range(Some("bytes=-0"), 1000), Unsatisfiable);
        // No field, or one we ignore: the whole representation.
        assert_eq!(byte_range(None, 1000), Full);
        assert_eq!(byte_range(Some("bytes=0-1,5-6"), 1000), Full);
        assert_eq!(byte_range(Some("bytes=0-1,2000-3000"), 1000), Full);
        assert_eq!(byte_range(Some("items=0-1"), 1000), Full);
        assert_eq!(byte_range(Some("bytes=0-1"), 0), Full);
        assert_eq!(byte_range(Some("bytes=-1"), 0), Full);
    }

    #[test]
    fn malformed_and_huge_ranges() {
        use RangeAnswer::{Full, Partial, Unsatisfiable};
        for bad in [
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes=-",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes=0x1-2",
            "bytes=-+5",
            "bytes=1-2;x",
            "=1-2",
            "bytes=\u{661}-2",
        ] {
            assert_eq!(byte_range(Some(bad), 1000), Full, "{bad:?}");
        }
        // Positions beyond u64 saturate instead of failing or wrapping.
        let huge = "99999999999999999999999999";
        assert_eq!(
            byte_range(Some(&format!("bytes={huge}-")), 1000),
            Unsatisfiable
        );
        assert_eq!(
            byte_range(Some(&format!("bytes=10-{huge}")), 1000),
            Partial {
                first: 10,
                last: 999
            }
        );
        assert_eq!(
            byte_range(Some(&format!("bytes=-{huge}")), 1000),
            Partial {
                first: 0,
                last: 999
            }
        );
        assert_eq!(
            byte_range(Some("bytes=18446744073709551615-"), u64::MAX),
            Unsatisfiable
        );
        assert_eq!(
            byte_range(Some("bytes=18446744073709551614-"), u64::MAX),
            Partial {
                first: u64::MAX - 1,
                last: u64::MAX - 1
            }
        );
        // A long list is not parsed beyond its second element.
        let many = format!("bytes={}", "0-1,".repeat(100_000));
        assert_eq!(byte_range(Some(&many), 1000), Full);
    }

    /// xorshift64: a fixed, dependency-free stream of test bytes.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut next = rng(0x5eed);
        let alphabet = b"GETHTP/1.0 \r\n:;chunked-Length0123456789abcdef\x00\x7f\xff";
        for _ in 0..20_000 {
            let len = (next() % 200) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if let Ok(Some((r, used))) = parse_request(&bytes) {
                assert!(used <= bytes.len());
                let _ = request_body(&r);
            }
            if let Ok(Some((r, used))) = parse_response(&bytes) {
                assert!(used <= bytes.len());
                let _ = response_body("GET", &r);
            }
            let mut d = ChunkedDecoder::new();
            let mut pos = 0;
            while pos < bytes.len() && !d.is_done() {
                match d.feed(&bytes[pos..]) {
                    Ok((used, data)) => {
                        assert!(data.len() <= used && used > 0);
                        pos += used;
                    }
                    Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn chunked_decoding_does_not_depend_on_how_input_is_split() {
        let mut next = rng(42);
        for _ in 0..200 {
            let body: Vec<u8> = (0..(next() % 5000)).map(|_| next() as u8).collect();
            // Encode with random chunk sizes, extensions and a trailer.
            let mut wire = Vec::new();
            let mut rest = &body[..];
            while !rest.is_empty() {
                let n = ((next() % 700) as usize + 1).min(rest.len());
                let ext = if next().is_multiple_of(3) { ";a=b" } else { "" };
                wire.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
                wire.extend_from_slice(&rest[..n]);
                wire.extend_from_slice(b"\r\n");
                rest = &rest[n..];
            }
            wire.extend_from_slice(b"0\r\nX-Sum: 1\r\n\r\n");
            // Decode in random pieces.
            let mut d = ChunkedDecoder::new();
            let mut out = Vec::new();
            let mut pos = 0;
            while !d.is_done() {
                let piece = ((next() % 64) as usize + 1).min(wire.len() - pos);
                let slice = &wire[pos..pos + piece];
                let mut off = 0;
                while off < slice.len() && !d.is_done() {
                    let (used, data) = d.feed(&slice[off..]).unwrap();
                    out.extend_from_slice(data);
                    off += used;
                }
                pos += off;
            }
            assert_eq!(pos, wire.len());
            assert!(out == body);
        }
    }
}
