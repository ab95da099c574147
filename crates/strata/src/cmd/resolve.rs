//! `strata resolve NAME [--type TYPE] [--server IP]`: one DNS lookup over
//! strata's own UDP (the resolver retries over TCP when an answer comes
//! back truncated), printed as a header and `dig +short`-style lines.
//!
//! ```text
//! ;; SERVER: 198.18.0.1#53, status: NOERROR, answers: 1, query time: 2 msec
//! 10 mail.example.test.
//! ```
//!
//! An alias shows its canonical name first (`web.example.test.`). The exit
//! status is 0 for an answer (also an empty one: the name exists without
//! records of the type), 1 for NXDOMAIN and server errors, 9 when no server
//! answered (as dig), 2 for other errors.

use core::net::Ipv4Addr;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

use strata_core::time::Duration;
use strata_dns::resolver::{Answer, LookupKind, RecordData, ResolveError};
use strata_dns::wire::RecordType;
use strata_socket::Error as SocketError;

use super::tap_opts::{TapOpts, with_realtime_host};
use crate::net::HostHandle;

/// Command-line arguments of `strata resolve`.
#[derive(Clone, Debug, clap::Args)]
pub struct ResolveArgs {
    /// The name to look up.
    pub name: String,
    /// Record type: A, AAAA, MX, TXT, CNAME, NS, SOA, SRV, PTR, ... or
    /// TYPEnnn.
    #[arg(short = 't', long = "type", value_name = "TYPE", default_value = "A",
          value_parser = parse_type)]
    pub rtype: RecordType,
    /// Name server to ask [default: --dns].
    #[arg(long, value_name = "IP")]
    pub server: Option<Ipv4Addr>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tap: TapOpts,
}

/// A record type from its mnemonic (case-insensitive) or `TYPEnnn`
/// (RFC 3597).
///
/// # Errors
/// A message naming the unknown type.
pub fn parse_type(s: &str) -> Result<RecordType, String> {
    let upper = s.to_ascii_uppercase();
    if let Some(n) = upper.strip_prefix("TYPE")
        && let Ok(n) = n.parse::<u16>()
    {
        return Ok(RecordType(n));
    }
    (0..=u16::MAX)
        .map(RecordType)
        .find(|t| t.name() == Some(upper.as_str()))
        .ok_or_else(|| format!("unknown record type {s:?}"))
}

fn fqdn(name: &str) -> String {
    format!("{name}.")
}

fn quote_txt(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    out.push('"');
    out
}

/// A record's data as `dig +short` prints it.
#[must_use]
pub fn format_record(data: &RecordData) -> String {
    match data {
        RecordData::A(ip) => ip.to_string(),
        RecordData::Aaaa(ip) => ip.to_string(),
        RecordData::Cname(n) | RecordData::Ns(n) | RecordData::Ptr(n) => fqdn(n),
        RecordData::Mx {
            preference,
            exchange,
        } => format!("{preference} {}", fqdn(exchange)),
        RecordData::Txt(strings) => strings
            .iter()
            .map(|s| quote_txt(s))
            .collect::<Vec<_>>()
            .join(" "),
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => format!("{priority} {weight} {port} {}", fqdn(target)),
        RecordData::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => format!(
            "{} {} {serial} {refresh} {retry} {expire} {minimum}",
            fqdn(mname),
            fqdn(rname)
        ),
        RecordData::Other(bytes) => {
            let mut s = format!("\\# {}", bytes.len());
            if !bytes.is_empty() {
                s.push(' ');
                for b in bytes {
                    let _ = write!(s, "{b:02X}");
                }
            }
            s
        }
        _ => String::from("(unprintable record)"),
    }
}

/// The status a failed lookup stands for, as dig names it.
fn status_name(e: &ResolveError) -> Option<&'static str> {
    match e {
        ResolveError::NxDomain { .. } => Some("NXDOMAIN"),
        ResolveError::NoData { .. } => Some("NOERROR"),
        ResolveError::ServFail { .. } => Some("SERVFAIL"),
        ResolveError::Refused { .. } => Some("REFUSED"),
        ResolveError::ServerError { rcode, .. } => Some(rcode.name().unwrap_or("ERROR")),
        _ => None,
    }
}

/// The lines of an answer: the canonical name if the name is an alias,
/// then each record's data.
#[must_use]
pub fn answer_lines(answer: &Answer) -> Vec<String> {
    let mut lines = Vec::new();
    if !answer.canonical_name.eq_ignore_ascii_case(&answer.name) {
        lines.push(fqdn(&answer.canonical_name));
    }
    lines.extend(answer.records.iter().map(|r| format_record(&r.data)));
    lines
}

/// Looks `name` up for records of `rtype` on `host` (asking `server` if
/// given, else the host's configured servers), prints to `out`, and
/// returns the exit status (see the [module documentation](self)).
///
/// # Errors
/// Only when `out` fails.
pub fn run(
    host: &HostHandle,
    name: &str,
    rtype: RecordType,
    server: Option<Ipv4Addr>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    if let Some(server) = server {
        host.with_interface(|iface, _| iface.sockets().set_nameservers(&[server]))?;
    }
    let servers = host.with_interface(|iface, _| {
        let s = iface.sockets();
        let tcp = s.resolver_stats().map_or(0, |st| st.tcp_queries);
        let list = s
            .config()
            .resolver
            .as_ref()
            .map(|r| r.nameservers.clone())
            .unwrap_or_default();
        (list, tcp)
    })?;
    let (mut list, tcp_before) = servers;
    if let Some(server) = server {
        list = vec![std::net::SocketAddr::new(server.into(), 53)];
    }
    let server_text = list
        .first()
        .map_or_else(|| "none".to_owned(), |a| format!("{}#{}", a.ip(), a.port()));
    let start = host.now();
    let result = super::resolve_blocking(
        host,
        name,
        LookupKind::Record(rtype),
        Duration::from_secs(120),
    );
    let took = host.now().saturating_duration_since(start).total_millis();
    let tcp_after = host.with_interface(|iface, _| {
        iface
            .sockets()
            .resolver_stats()
            .map_or(0, |st| st.tcp_queries)
    })?;
    let via = if tcp_after > tcp_before {
        ", over TCP"
    } else {
        ""
    };
    match result {
        Ok(answer) => {
            let lines = answer_lines(&answer);
            writeln!(
                out,
                ";; SERVER: {server_text}, status: NOERROR, answers: {}, query time: {took} msec{via}",
                answer.records.len()
            )?;
            for line in lines {
                writeln!(out, "{line}")?;
            }
            Ok(0)
        }
        Err(SocketError::Resolve(e)) => {
            if let Some(status) = status_name(&e) {
                writeln!(
                    out,
                    ";; SERVER: {server_text}, status: {status}, answers: 0, query time: {took} msec{via}"
                )?;
                if matches!(e, ResolveError::NoData { .. }) {
                    return Ok(0);
                }
                writeln!(err, "strata resolve: {e}")?;
                return Ok(1);
            }
            if matches!(e, ResolveError::TimedOut { .. }) {
                writeln!(out, ";; connection timed out; no servers could be reached")?;
                writeln!(err, "strata resolve: {e}")?;
                return Ok(9);
            }
            writeln!(err, "strata resolve: {e}")?;
            Ok(2)
        }
        Err(SocketError::TimedOut) => {
            writeln!(out, ";; connection timed out; no servers could be reached")?;
            Ok(9)
        }
        Err(e) => {
            writeln!(err, "strata resolve: {name}: {e}")?;
            Ok(2)
        }
    }
}

/// `strata resolve`: runs over the TAP device.
#[must_use]
pub fn main(args: &ResolveArgs) -> ExitCode {
    let result = with_realtime_host(&args.tap, |host| {
        let mut out = io::stdout().lock();
        let mut err = io::stderr().lock();
        run(
            host,
            &args.name,
            args.rtype,
            args.server,
            &mut out,
            &mut err,
        )
    });
    match result {
        Ok(Ok(status)) => ExitCode::from(status),
        Ok(Err(e)) | Err(e) => {
            eprintln!("strata resolve: {e}");
            ExitCode::from(2)
        }
    }
}
