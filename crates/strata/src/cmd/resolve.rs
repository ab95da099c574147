//! `strata resolve NAME [--type TYPE] [--server IP]`: one DNS lookup over
//! strata's own UDP (the resolver retries over TCP when an answer comes
//! back truncated), printed as a header and the records as dig prints its
//! answer section: owner, TTL, class, type and data, tab-separated.
//!
//! ```text
//! ;; SERVER: 198.18.0.1#53, status: NOERROR, answers: 3, query time: 2 msec
//! chain.example.test.     300     IN      CNAME   alias.example.test.
//! alias.example.test.     300     IN      CNAME   www.example.test.
//! www.example.test.       300     IN      A       198.18.0.10
//! ```
//!
//! An alias shows every link of its CNAME chain before the records at its
//! end (the resolver follows the chain and caches each link; the links are
//! read back from that cache, so printing them costs no extra queries
//! while their TTLs last). The exit
//! status is 0 for an answer (also an empty one: the name exists without
//! records of the type), 1 for NXDOMAIN and server errors, 9 when no server
//! answered (as dig), 2 for other errors.

use core::net::Ipv4Addr;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

use strata_core::time::Duration;
use strata_dns::resolver::{Answer, LookupKind, Record, RecordData, ResolveError};
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

/// A record's data as dig prints it (the last field of an answer line,
/// and all of `dig +short`).
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

/// The longest CNAME chain [`cname_chain`] walks (the resolver refuses
/// longer ones anyway).
const MAX_CHAIN: usize = 16;

/// A record as a line of dig's answer section: owner (absolute), TTL,
/// class, type and data, separated by tabs.
#[must_use]
pub fn format_answer_line(r: &Record) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}",
        fqdn(&r.name),
        r.ttl,
        r.class,
        r.rtype,
        format_record(&r.data)
    )
}

/// The lines of an answer: each CNAME of `chain` (the aliases from the
/// name asked to the canonical one, in order), then the records found at
/// its end.
#[must_use]
pub fn answer_lines(chain: &[Record], answer: &Answer) -> Vec<String> {
    chain
        .iter()
        .chain(&answer.records)
        .map(format_answer_line)
        .collect()
}

/// The CNAME records leading from `answer.name` to its canonical name,
/// asked of `host`'s resolver one link at a time (each was cached when the
/// lookup followed it). Stops early, with what it has, if a link cannot be
/// found again (expired meanwhile and the server now answers otherwise).
pub fn cname_chain(host: &HostHandle, answer: &Answer) -> Vec<Record> {
    let same = |a: &str, b: &str| {
        a.trim_end_matches('.')
            .eq_ignore_ascii_case(b.trim_end_matches('.'))
    };
    let mut links: Vec<Record> = Vec::new();
    let mut current = answer.name.clone();
    while !same(&current, &answer.canonical_name) && links.len() < MAX_CHAIN {
        let absolute = format!("{}.", current.trim_end_matches('.'));
        let Ok(found) = super::resolve_blocking(
            host,
            &absolute,
            LookupKind::Record(RecordType::CNAME),
            Duration::from_secs(30),
        ) else {
            break;
        };
        let link = found
            .records
            .into_iter()
            .find(|r| r.rtype == RecordType::CNAME && same(&r.name, &current));
        let Some(link) = link else {
            break;
        };
        let RecordData::Cname(target) = &link.data else {
            break;
        };
        let target = target.clone();
        // A loop would have failed the lookup; this only guards the walk.
        if links.iter().any(|l| same(&l.name, &target)) {
            break;
        }
        links.push(link);
        current = target;
    }
    links
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
            let chain = cname_chain(host, &answer);
            let lines = answer_lines(&chain, &answer);
            writeln!(
                out,
                ";; SERVER: {server_text}, status: NOERROR, answers: {}, query time: {took} msec{via}",
                lines.len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use strata_dns::resolver::{Record, Source};
    use strata_dns::wire::Class;

    #[test]
    fn types_by_name() {
        assert_eq!(parse_type("mx"), Ok(RecordType::MX));
        assert_eq!(parse_type("AAAA"), Ok(RecordType::AAAA));
        assert_eq!(parse_type("type65"), Ok(RecordType(65)));
        assert_eq!(parse_type("TYPE1234"), Ok(RecordType(1234)));
        assert!(parse_type("BOGUS").is_err());
    }

    #[test]
    fn records_print_like_dig_short() {
        let cases = [
            (RecordData::A("198.18.0.80".parse().unwrap()), "198.18.0.80"),
            (
                RecordData::Aaaa("2001:db8::1".parse().unwrap()),
                "2001:db8::1",
            ),
            (
                RecordData::Cname("www.example.test".into()),
                "www.example.test.",
            ),
            (
                RecordData::Mx {
                    preference: 10,
                    exchange: "mail.example.test".into(),
                },
                "10 mail.example.test.",
            ),
            (
                RecordData::Txt(vec![b"v=spf1 -all".to_vec(), b"a \"q\"\\\x01".to_vec()]),
                "\"v=spf1 -all\" \"a \\\"q\\\"\\\\\\001\"",
            ),
            (
                RecordData::Srv {
                    priority: 1,
                    weight: 2,
                    port: 80,
                    target: "web.example.test".into(),
                },
                "1 2 80 web.example.test.",
            ),
            (
                RecordData::Soa {
                    mname: "ns1.example.test".into(),
                    rname: "hostmaster.example.test".into(),
                    serial: 1,
                    refresh: 3600,
                    retry: 600,
                    expire: 86400,
                    minimum: 300,
                },
                "ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300",
            ),
            (RecordData::Other(vec![0x0a, 0, 0, 1]), "\\# 4 0A000001"),
            (RecordData::Other(Vec::new()), "\\# 0"),
        ];
        for (data, want) in cases {
            assert_eq!(format_record(&data), want);
        }
    }

    #[test]
    fn records_print_like_digs_answer_section() {
        let record = |name: &str, ttl, rtype, data| Record {
            name: String::from(name),
            rtype,
            class: Class::IN,
            ttl,
            data,
        };
        let chain = [
            record(
                "web.example.test",
                60,
                RecordType::CNAME,
                RecordData::Cname("www.example.test".into()),
            ),
            record(
                "www.example.test",
                3600,
                RecordType::CNAME,
                RecordData::Cname("server.example.test".into()),
            ),
        ];
        let answer = Answer {
            name: "web.example.test".into(),
            canonical_name: "server.example.test".into(),
            addresses: vec!["198.18.0.2".parse().unwrap()],
            records: vec![record(
                "server.example.test",
                300,
                RecordType::A,
                RecordData::A("198.18.0.2".parse().unwrap()),
            )],
            source: Source::Network,
        };
        assert_eq!(
            answer_lines(&chain, &answer),
            [
                "web.example.test.\t60\tIN\tCNAME\twww.example.test.",
                "www.example.test.\t3600\tIN\tCNAME\tserver.example.test.",
                "server.example.test.\t300\tIN\tA\t198.18.0.2",
            ]
        );
        // Unknown types and classes print as RFC 3597 says.
        let odd = Record {
            class: Class(7),
            ..record("x.test", 0, RecordType(999), RecordData::Other(vec![1]))
        };
        assert_eq!(
            format_answer_line(&odd),
            "x.test.\t0\tCLASS7\tTYPE999\t\\# 1 01"
        );
    }

    /// A name server at 198.18.0.2 answering from a zone over UDP and TCP.
    struct DnsNode {
        iface: crate::iface::Interface,
        dev: crate::device::memory::MemoryDevice,
        responder: strata_dns::server::Responder,
        udp: strata_socket::Fd,
        listener: strata_socket::Fd,
        conns: Vec<(strata_socket::Fd, strata_dns::server::StreamReader, Vec<u8>)>,
    }

    impl DnsNode {
        fn serve(&mut self, now: strata_core::time::Instant) -> bool {
            let s = self.iface.sockets();
            let mut any = false;
            let mut buf = vec![0u8; 65_536];
            let mut out = vec![0u8; 65_540];
            while let Ok((n, from)) = s.recv_from(self.udp, &mut buf) {
                any = true;
                if let Ok(len) = self.responder.respond(&buf[..n], &mut out, 1232) {
                    s.send_to(now, self.udp, &out[..len], from).unwrap();
                }
            }
            while let Ok((fd, _)) = s.accept(self.listener) {
                any = true;
                self.conns
                    .push((fd, strata_dns::server::StreamReader::new(), Vec::new()));
            }
            let mut closed = Vec::new();
            for (fd, reader, pending) in &mut self.conns {
                match s.recv(*fd, &mut buf) {
                    Ok(0) => closed.push(*fd),
                    Ok(n) => {
                        any = true;
                        assert!(reader.push(&buf[..n]));
                        while let Some(query) = reader.next_message() {
                            let len = self.responder.respond_tcp(&query, &mut out).unwrap();
                            pending.extend_from_slice(&out[..len]);
                        }
                    }
                    Err(_) => {}
                }
                if !pending.is_empty()
                    && let Ok(n) = s.send(now, *fd, pending)
                {
                    any = true;
                    pending.drain(..n);
                }
            }
            for fd in closed {
                s.close(now, fd).unwrap();
                self.conns.retain(|(f, _, _)| *f != fd);
                any = true;
            }
            any
        }
    }

    impl crate::net::Node for DnsNode {
        fn poll(&mut self, now: strata_core::time::Instant) -> bool {
            let mut any = false;
            for _ in 0..64 {
                let served = self.serve(now);
                let r = self.iface.poll(now, &mut self.dev);
                if !served && !r.did_something() && !r.more {
                    break;
                }
                any = true;
            }
            any
        }

        fn poll_at(&self) -> Option<strata_core::time::Instant> {
            self.iface.poll_at()
        }
    }

    fn dns_net() -> (crate::net::SimNet, HostHandle) {
        use std::fmt::Write as _;
        let (net, client, mut iface, dev) = crate::cmd::testnet::pair();
        let mut zone = String::from(
            "$ORIGIN example.test.\n\
             @      3600 SOA ns1 hostmaster 1 3600 600 86400 60\n\
             @      3600 NS  ns1\n\
             @       300 MX  10 mail\n\
             @       300 TXT v=spf1 -all\n\
             ns1    3600 A   198.18.0.2\n\
             mail    300 A   198.18.0.25\n\
             server  300 A   198.18.0.2\n\
             www     300 CNAME server\n\
             web     120 CNAME www\n",
        );
        for i in 0..30 {
            let _ = writeln!(zone, "big 300 TXT record{i:02}-{}", "x".repeat(200));
        }
        let zone = strata_dns::server::Zone::parse(&zone).unwrap();
        let s = iface.sockets();
        let udp = s.socket(strata_socket::SocketKind::Datagram).unwrap();
        s.bind(udp, "198.18.0.2:53".parse().unwrap()).unwrap();
        let listener = s.socket(strata_socket::SocketKind::Stream).unwrap();
        s.bind(listener, "198.18.0.2:53".parse().unwrap()).unwrap();
        s.listen(listener, 8).unwrap();
        net.add_node(Box::new(DnsNode {
            iface,
            dev,
            responder: strata_dns::server::Responder::new(zone),
            udp,
            listener,
            conns: Vec::new(),
        }));
        net.set_horizon(Some(strata_core::time::Instant::from_millis(600_000)));
        (net, client)
    }

    fn lookup(host: &HostHandle, name: &str, rtype: RecordType) -> (u8, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let status = run(
            host,
            name,
            rtype,
            Some("198.18.0.2".parse().unwrap()),
            &mut out,
            &mut err,
        )
        .unwrap();
        (
            status,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn lookups_against_a_name_server() {
        let (_net, host) = dns_net();
        let (status, out, _) = lookup(&host, "server.example.test", RecordType::A);
        assert_eq!(status, 0);
        let mut lines = out.lines();
        let header = lines.next().unwrap();
        assert!(
            header.starts_with(";; SERVER: 198.18.0.2#53, status: NOERROR, answers: 1"),
            "{header}"
        );
        assert!(!header.contains("TCP"));
        assert_eq!(
            lines.collect::<Vec<_>>(),
            ["server.example.test.\t300\tIN\tA\t198.18.0.2"]
        );

        // A chain of two aliases: every link, then the address. The links
        // are read back from the resolver's cache a moment later: their
        // TTLs are what is left (rounded down), as a caching server's.
        let (status, out, _) = lookup(&host, "web.example.test", RecordType::A);
        assert_eq!(status, 0);
        let mut lines = out.lines();
        assert!(lines.next().unwrap().contains("answers: 3"), "{out}");
        assert_eq!(
            lines.collect::<Vec<_>>(),
            [
                "web.example.test.\t119\tIN\tCNAME\twww.example.test.",
                "www.example.test.\t299\tIN\tCNAME\tserver.example.test.",
                "server.example.test.\t300\tIN\tA\t198.18.0.2",
            ]
        );
        // Asked for the alias itself: the first link only (a new run sets
        // the server again, which starts a fresh cache: a full TTL).
        let (_, out, _) = lookup(&host, "web.example.test", RecordType::CNAME);
        assert_eq!(
            out.lines().skip(1).collect::<Vec<_>>(),
            ["web.example.test.\t120\tIN\tCNAME\twww.example.test."]
        );
        let (_, out, _) = lookup(&host, "example.test", RecordType::MX);
        assert_eq!(
            out.lines().nth(1),
            Some("example.test.\t300\tIN\tMX\t10 mail.example.test.")
        );
        let (_, out, _) = lookup(&host, "example.test", RecordType::TXT);
        assert_eq!(
            out.lines().nth(1),
            Some("example.test.\t300\tIN\tTXT\t\"v=spf1\" \"-all\"")
        );

        // NXDOMAIN: status 1, the header says so, stderr explains.
        let (status, out, err) = lookup(&host, "nope.example.test", RecordType::A);
        assert_eq!(status, 1);
        assert!(out.contains("status: NXDOMAIN, answers: 0"), "{out}");
        assert!(err.contains("NXDOMAIN"), "{err}");
        // NODATA: the name exists without records of the type.
        let (status, out, _) = lookup(&host, "server.example.test", RecordType::AAAA);
        assert_eq!(status, 0);
        assert!(out.contains("status: NOERROR, answers: 0"), "{out}");
    }

    #[test]
    fn truncated_answers_are_asked_again_over_tcp() {
        let (_net, host) = dns_net();
        let (status, out, err) = lookup(&host, "big.example.test", RecordType::TXT);
        assert_eq!(status, 0, "{err}");
        let mut lines = out.lines();
        let header = lines.next().unwrap();
        assert!(
            header.contains("answers: 30") && header.ends_with(", over TCP"),
            "{header}"
        );
        let mut records: Vec<&str> = lines.collect();
        records.sort_unstable();
        assert_eq!(records.len(), 30);
        assert!(
            records[0].starts_with("big.example.test.\t300\tIN\tTXT\t\"record00-xxxx"),
            "{}",
            records[0]
        );
    }

    #[test]
    fn silent_servers_time_out() {
        let (_net, host) = dns_net();
        let mut out = Vec::new();
        let mut err = Vec::new();
        let status = run(
            &host,
            "server.example.test",
            RecordType::A,
            Some("198.18.0.53".parse().unwrap()),
            &mut out,
            &mut err,
        )
        .unwrap();
        assert_eq!(status, 9);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("no servers could be reached")
        );
    }
}
