//! `strata ping HOST`: ICMP echo requests at an interval, replies printed
//! as iputils' ping prints them, and its statistics at the end.
//!
//! ```text
//! PING 198.18.0.1 (198.18.0.1) 56(84) bytes of data.
//! 64 bytes from 198.18.0.1: icmp_seq=1 ttl=64 time=0.061 ms
//!
//! --- 198.18.0.1 ping statistics ---
//! 1 packets transmitted, 1 received, 0% packet loss, time 0ms
//! rtt min/avg/max/mdev = 0.061/0.061/0.061/0.000 ms
//! ```
//!
//! Sizes above the MTU go out as IPv4 fragments and come back reassembled.
//! Without `-c` it runs until Ctrl-C, which (as with iputils) stops it and
//! prints the statistics.
//! The exit status is 0 when any reply came, 1 when none did, 2 for other
//! errors (no such host, no TAP).

use core::net::Ipv4Addr;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use strata_core::time::{Duration, Instant};

use super::tap_opts::{TapOpts, with_realtime_host};
use crate::iface::{PingError, PingReplyKind};
use crate::net::HostHandle;

/// Largest echo data: a 65,535-byte datagram less the IPv4 and ICMP
/// headers.
pub const MAX_SIZE: usize = 65_507;

/// Command-line arguments of `strata ping`.
#[derive(Clone, Debug, clap::Args)]
pub struct PingArgs {
    /// Host to ping: an IPv4 address or a name (resolved through --dns).
    pub host: String,
    /// Stop after sending COUNT requests [default: until interrupted].
    #[arg(short = 'c', value_name = "COUNT")]
    pub count: Option<u32>,
    /// Seconds between requests.
    #[arg(short = 'i', value_name = "INTERVAL", default_value_t = 1.0)]
    pub interval: f64,
    /// Bytes of echo data (more than the MTU allows are fragmented).
    #[arg(short = 's', value_name = "SIZE", default_value_t = 56,
          value_parser = clap::value_parser!(u32).range(0..=65_507))]
    pub size: u32,
    /// Seconds to wait for each reply.
    #[arg(short = 'W', value_name = "TIMEOUT", default_value_t = 10.0)]
    pub timeout: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tap: TapOpts,
}

/// What a ping run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PingConfig {
    /// Requests to send; `None`: forever.
    pub count: Option<u32>,
    /// Time between requests.
    pub interval: Duration,
    /// Echo data bytes.
    pub size: usize,
    /// How long each request waits for its reply.
    pub timeout: Duration,
    /// ICMP identifier of this run's requests.
    pub ident: u16,
}

impl Default for PingConfig {
    fn default() -> Self {
        Self {
            count: Some(4),
            interval: Duration::from_secs(1),
            size: 56,
            timeout: Duration::from_secs(10),
            ident: 0x5354,
        }
    }
}

/// The statistics of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PingSummary {
    /// The address pinged.
    pub target: Option<Ipv4Addr>,
    /// Requests sent.
    pub transmitted: u32,
    /// Echo replies received.
    pub received: u32,
    /// ICMP errors received, and requests that could not be sent.
    pub errors: u32,
    /// Round-trip times of the replies, in order.
    pub rtts: Vec<Duration>,
    /// From the first request to the last one sent (what iputils prints
    /// as `time`).
    pub elapsed: Duration,
    /// The run was stopped by an interrupt (Ctrl-C) rather than by its
    /// count.
    pub interrupted: bool,
}

impl PingSummary {
    /// The exit status iputils' ping would give: 0 with a reply, 1 without.
    #[must_use]
    pub fn status(&self) -> u8 {
        u8::from(self.received == 0)
    }

    /// `(min, avg, max, mdev)` in milliseconds, if any reply came.
    #[must_use]
    pub fn rtt_stats(&self) -> Option<(f64, f64, f64, f64)> {
        if self.rtts.is_empty() {
            return None;
        }
        let ms: Vec<f64> = self.rtts.iter().map(|d| millis(*d)).collect();
        let n = ms.len() as f64;
        let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ms.iter().copied().fold(0.0, f64::max);
        let avg = ms.iter().sum::<f64>() / n;
        let sq = ms.iter().map(|t| t * t).sum::<f64>() / n;
        let mdev = (sq - avg * avg).max(0.0).sqrt();
        Some((min, avg, max, mdev))
    }
}

/// Why a run could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum PingFailure {
    /// The host name did not resolve.
    Resolve(strata_socket::Error),
    /// Writing the output failed.
    Output(io::Error),
}

impl std::fmt::Display for PingFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PingFailure::Resolve(e) => write!(f, "{e}"),
            PingFailure::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for PingFailure {}

fn millis(d: Duration) -> f64 {
    d.total_micros() as f64 / 1000.0
}

/// A round-trip time as iputils prints it: three significant decimals
/// below 1 ms, fewer above.
#[must_use]
pub fn format_rtt(d: Duration) -> String {
    let us = d.total_micros();
    if us >= 100_000 - 500 {
        format!("{}", (us + 500) / 1000)
    } else if us >= 10_000 - 50 {
        format!("{:.1}", millis(d))
    } else if us >= 1000 {
        format!("{:.2}", millis(d))
    } else {
        format!("{:.3}", millis(d))
    }
}

/// A percentage as C's `%g` prints it: six significant digits, trailing
/// zeros dropped (`0`, `25`, `33.3333`, `0.0123457`).
#[must_use]
pub fn format_percent(p: f64) -> String {
    if !p.is_finite() || p <= 0.0 {
        return "0".to_owned();
    }
    // Digits before the point; below 1, the zeros after it count against
    // the six significant ones.
    let magnitude = p.log10().floor() as i32;
    let decimals = usize::try_from((5 - magnitude).clamp(0, 20)).unwrap_or(0);
    let s = format!("{p:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// The packet loss of a run in percent (0 with nothing sent).
#[must_use]
pub fn loss_percent(transmitted: u32, received: u32) -> f64 {
    if transmitted == 0 {
        return 0.0;
    }
    let lost = transmitted.saturating_sub(received);
    f64::from(lost) * 100.0 / f64::from(transmitted)
}

fn describe_error(icmp_type: u8, code: u8) -> String {
    match (icmp_type, code) {
        (3, 0) => "Destination Net Unreachable".into(),
        (3, 1) => "Destination Host Unreachable".into(),
        (3, 2) => "Destination Protocol Unreachable".into(),
        (3, 3) => "Destination Port Unreachable".into(),
        (3, 4) => "Frag needed and DF set".into(),
        (3, 13) => "Packet filtered".into(),
        (11, 0) => "Time to live exceeded".into(),
        (11, 1) => "Frag reassembly time exceeded".into(),
        (t, c) => format!("ICMP type {t} code {c}"),
    }
}

/// Pings `target` (an address or a name) from `host` as `config` says,
/// printing to `out`; returns the statistics (also printed).
///
/// # Errors
/// [`PingFailure`] when the name does not resolve or `out` fails.
pub fn run(
    host: &HostHandle,
    target: &str,
    config: &PingConfig,
    out: &mut dyn Write,
) -> Result<PingSummary, PingFailure> {
    let ip = super::resolve_ipv4(host, target, Duration::from_secs(30))
        .map_err(PingFailure::Resolve)?
        .first()
        .copied()
        .ok_or(PingFailure::Resolve(strata_socket::Error::HostUnreachable))?;
    let o = |r: io::Result<()>| r.map_err(PingFailure::Output);
    o(writeln!(
        out,
        "PING {target} ({ip}) {}({}) bytes of data.",
        config.size,
        config.size + 28
    ))?;
    let our = host
        .with_interface(|iface, _| iface.address().address)
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    let payload: Vec<u8> = (0..config.size).map(|i| (i % 256) as u8).collect();
    let mut summary = PingSummary {
        target: Some(ip),
        ..PingSummary::default()
    };
    let start = host.now();
    let mut next_send = start;
    let mut seq: u16 = 1;
    // Requests waiting for an answer: (seq, deadline), oldest first.
    let mut pending: VecDeque<(u16, Instant)> = VecDeque::new();
    let mut last_send = start;
    loop {
        let now = host.now();
        let more = config.count.is_none_or(|c| summary.transmitted < c);
        if more && now >= next_send {
            let sent = host
                .with_interface(|iface, now| iface.ping(now, ip, config.ident, seq, &payload))
                .unwrap_or(Err(PingError::NoRoute));
            summary.transmitted += 1;
            last_send = now;
            match sent {
                Ok(()) => {
                    if pending.len() >= usize::from(u16::MAX) {
                        pending.pop_front();
                    }
                    pending.push_back((seq, now + config.timeout));
                }
                Err(e) => {
                    summary.errors += 1;
                    o(writeln!(out, "From {our} icmp_seq={seq} {e}"))?;
                }
            }
            seq = seq.wrapping_add(1);
            next_send += config.interval;
        }
        while let Some(reply) = host
            .with_interface(|iface, _| iface.poll_ping())
            .ok()
            .flatten()
        {
            if reply.ident != config.ident {
                continue;
            }
            let Some(pos) = pending.iter().position(|(s, _)| *s == reply.seq) else {
                // Answered after we stopped waiting for it.
                continue;
            };
            pending.remove(pos);
            match reply.kind {
                PingReplyKind::Echo => {
                    summary.received += 1;
                    summary.rtts.push(reply.rtt);
                    let note = if reply.corrupted { " (wrong data)" } else { "" };
                    o(writeln!(
                        out,
                        "{} bytes from {}: icmp_seq={} ttl={} time={} ms{note}",
                        reply.len + 8,
                        reply.from,
                        reply.seq,
                        reply.ttl,
                        format_rtt(reply.rtt)
                    ))?;
                }
                PingReplyKind::Error { icmp_type, code } => {
                    summary.errors += 1;
                    o(writeln!(
                        out,
                        "From {} icmp_seq={} {}",
                        reply.from,
                        reply.seq,
                        describe_error(icmp_type, code)
                    ))?;
                }
            }
        }
        let now = host.now();
        while pending.front().is_some_and(|(_, d)| *d <= now) {
            pending.pop_front();
        }
        let more = config.count.is_none_or(|c| summary.transmitted < c);
        if !more && pending.is_empty() {
            break;
        }
        let mut until = now + super::TICK;
        if more {
            until = until.min(next_send.max(now));
        }
        if let Err(e) = host.run_until(until.max(now)) {
            // Ctrl-C, or a simulated network with nothing left to happen:
            // whatever is pending will not be answered.
            summary.interrupted = crate::net::is_interrupted(&e);
            break;
        }
    }
    summary.elapsed = last_send.saturating_duration_since(start);
    print_summary(target, &summary, out).map_err(PingFailure::Output)?;
    Ok(summary)
}

/// The statistics block iputils' ping prints at the end (also after
/// Ctrl-C): a blank line, the header, the counts with loss and time, and
/// the round-trip line when any reply came.
#[must_use]
pub fn summary_text(target: &str, s: &PingSummary) -> String {
    let errors = if s.errors > 0 {
        format!("+{} errors, ", s.errors)
    } else {
        String::new()
    };
    let mut text = format!(
        "\n--- {target} ping statistics ---\n{} packets transmitted, {} received, {errors}{}% packet loss, time {}ms\n",
        s.transmitted,
        s.received,
        format_percent(loss_percent(s.transmitted, s.received)),
        s.elapsed.total_micros() / 1000
    );
    if let Some((min, avg, max, mdev)) = s.rtt_stats() {
        text.push_str(&format!(
            "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms\n"
        ));
    }
    text
}

fn print_summary(target: &str, s: &PingSummary, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(summary_text(target, s).as_bytes())?;
    out.flush()
}

fn seconds(s: f64, what: &str) -> Result<Duration, String> {
    if !(s.is_finite() && (0.0..=1e6).contains(&s)) {
        return Err(format!("invalid {what}: {s}"));
    }
    Ok(Duration::from_micros((s * 1e6) as u64))
}

/// `strata ping`: runs over the TAP device; the exit status as iputils'.
#[must_use]
pub fn main(args: &PingArgs) -> ExitCode {
    let config = match (
        seconds(args.interval, "interval"),
        seconds(args.timeout, "timeout"),
    ) {
        (Ok(interval), Ok(timeout)) => PingConfig {
            count: args.count,
            interval,
            size: args.size as usize,
            timeout,
            ident: (super::random_seed() & 0xffff) as u16,
        },
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("strata ping: {e}");
            return ExitCode::from(2);
        }
    };
    let interrupt = super::ctrl_c_flag("ping");
    let result = with_realtime_host(&args.tap, |host| {
        let host = host.with_interrupt(Arc::clone(&interrupt));
        let stdout = io::stdout();
        let mut out = LineOut(stdout.lock());
        run(&host, &args.host, &config, &mut out)
    });
    match result {
        Ok(Ok(summary)) => ExitCode::from(summary.status()),
        // Ctrl-C before the name resolved: nothing was sent, nothing to sum
        // up.
        Ok(Err(PingFailure::Resolve(_))) if interrupt.load(Ordering::Relaxed) => {
            ExitCode::from(130)
        }
        Ok(Err(PingFailure::Resolve(e))) => {
            eprintln!("strata ping: {}: {e}", args.host);
            ExitCode::from(2)
        }
        // `strata ping ... | head`: the reader has seen enough.
        Ok(Err(PingFailure::Output(e))) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("strata ping: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("strata ping: {e}");
            ExitCode::from(2)
        }
    }
}

/// Stdout flushed after every line, so replies show as they come even
/// when piped.
struct LineOut<W: Write>(W);

impl<W: Write> Write for LineOut<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.write(buf)?;
        if buf.contains(&b'\n') {
            self.0.flush()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_like_iputils() {
        assert_eq!(format_rtt(Duration::from_micros(45)), "0.045");
        assert_eq!(format_rtt(Duration::from_micros(1234)), "1.23");
        assert_eq!(format_rtt(Duration::from_micros(12_345)), "12.3");
        assert_eq!(format_rtt(Duration::from_micros(123_456)), "123");
        assert_eq!(format_percent(0.0), "0");
        assert_eq!(format_percent(100.0), "100");
        assert_eq!(format_percent(100.0 / 3.0), "33.3333");
        assert_eq!(format_percent(200.0 / 3.0), "66.6667");
        assert_eq!(format_percent(100.0 / 7.0), "14.2857");
        assert_eq!(format_percent(25.0), "25");
        assert_eq!(format_percent(0.5), "0.5");
        assert_eq!(format_percent(100.0 / 8100.0), "0.0123457");
        assert_eq!(format_percent(f64::NAN), "0");
    }

    #[test]
    fn loss_arithmetic() {
        assert_eq!(loss_percent(0, 0), 0.0);
        assert_eq!(loss_percent(4, 4), 0.0);
        assert_eq!(loss_percent(4, 3), 25.0);
        assert_eq!(loss_percent(4, 0), 100.0);
        // Duplicates can make replies outnumber requests: no negative loss.
        assert_eq!(loss_percent(2, 3), 0.0);
        assert_eq!(loss_percent(u32::MAX, 0), 100.0);
    }

    #[test]
    fn summary_after_an_interrupted_run() {
        // Five sent, three answered (0.5, 1.5 and 4 ms), one ICMP error,
        // interrupted 4.2 s after the first request (the last went out at
        // 4 s).
        let s = PingSummary {
            target: Some(Ipv4Addr::new(198, 18, 0, 1)),
            transmitted: 5,
            received: 3,
            errors: 1,
            rtts: vec![
                Duration::from_micros(500),
                Duration::from_micros(1500),
                Duration::from_micros(4000),
            ],
            elapsed: Duration::from_micros(4_000_900),
            interrupted: true,
        };
        // avg = 6/3 = 2; mean of squares = (0.25 + 2.25 + 16)/3 = 6.1667;
        // mdev = sqrt(6.1667 - 4) = 1.472.
        assert_eq!(
            summary_text("gw", &s),
            "\n--- gw ping statistics ---\n\
             5 packets transmitted, 3 received, +1 errors, 40% packet loss, time 4000ms\n\
             rtt min/avg/max/mdev = 0.500/2.000/4.000/1.472 ms\n"
        );
        // Interrupted before any reply: no rtt line.
        let none = PingSummary {
            transmitted: 3,
            elapsed: Duration::from_millis(2000),
            ..PingSummary::default()
        };
        assert_eq!(
            summary_text("gw", &none),
            "\n--- gw ping statistics ---\n\
             3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n"
        );
        assert_eq!(none.status(), 1);
    }

    #[test]
    fn ctrl_c_stops_an_endless_run_with_the_statistics() {
        let (net, host) = hosts();
        let flag = crate::cmd::testnet::ctrl_c_at(&net, net.now() + Duration::from_millis(2500));
        let config = PingConfig {
            count: None,
            ..PingConfig::default()
        };
        let host = host.with_interrupt(flag);
        let (summary, out) = ping(&host, "198.18.0.2", &config);
        assert!(summary.interrupted);
        // Requests at 0, 1 and 2 s, each answered; stopped at 2.5 s.
        assert_eq!((summary.transmitted, summary.received), (3, 3), "{out}");
        assert_eq!(summary.status(), 0);
        let tail: Vec<&str> = out.lines().rev().take(3).collect();
        assert_eq!(tail[2], "--- 198.18.0.2 ping statistics ---");
        assert_eq!(
            tail[1],
            "3 packets transmitted, 3 received, 0% packet loss, time 2000ms"
        );
        assert!(tail[0].starts_with("rtt min/avg/max/mdev = "), "{out}");
        assert!((2500..2600).contains(&net.now().total_millis()));
    }

    #[test]
    fn statistics() {
        let s = PingSummary {
            transmitted: 3,
            received: 3,
            rtts: vec![
                Duration::from_micros(1000),
                Duration::from_micros(2000),
                Duration::from_micros(3000),
            ],
            ..PingSummary::default()
        };
        let (min, avg, max, mdev) = s.rtt_stats().unwrap();
        assert_eq!((min, avg, max), (1.0, 2.0, 3.0));
        assert!((mdev - (2.0f64 / 3.0).sqrt()).abs() < 1e-9);
        assert_eq!(s.status(), 0);
        assert_eq!(PingSummary::default().status(), 1);
        let mut out = Vec::new();
        print_summary("h", &s, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("3 packets transmitted, 3 received, 0% packet loss"));
        assert!(text.contains("rtt min/avg/max/mdev = 1.000/2.000/3.000/0.816 ms"));
    }

    fn hosts() -> (crate::net::SimNet, HostHandle) {
        let (net, client, iface, dev) = crate::cmd::testnet::pair();
        net.add_host(iface, dev);
        net.set_horizon(Some(Instant::from_millis(600_000)));
        (net, client)
    }

    fn ping(host: &HostHandle, target: &str, config: &PingConfig) -> (PingSummary, String) {
        let mut out = Vec::new();
        let summary = run(host, target, config, &mut out).unwrap();
        (summary, String::from_utf8(out).unwrap())
    }

    #[test]
    fn pings_are_answered_and_printed() {
        let (net, host) = hosts();
        let config = PingConfig {
            count: Some(3),
            ..PingConfig::default()
        };
        let start = net.now();
        let (summary, out) = ping(&host, "198.18.0.2", &config);
        assert_eq!(
            (summary.transmitted, summary.received, summary.errors),
            (3, 3, 0)
        );
        assert_eq!(summary.status(), 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "PING 198.18.0.2 (198.18.0.2) 56(84) bytes of data."
        );
        for (i, line) in lines[1..4].iter().enumerate() {
            let want = format!("64 bytes from 198.18.0.2: icmp_seq={} ttl=64 time=", i + 1);
            assert!(line.starts_with(&want) && line.ends_with(" ms"), "{line}");
        }
        assert_eq!(lines[5], "--- 198.18.0.2 ping statistics ---");
        assert_eq!(
            lines[6],
            "3 packets transmitted, 3 received, 0% packet loss, time 2000ms"
        );
        assert!(lines[7].starts_with("rtt min/avg/max/mdev = "));
        // One second apart: the run took two intervals.
        let took = net.now().saturating_duration_since(start);
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(3),
            "{took}"
        );
    }

    #[test]
    fn large_pings_travel_as_fragments() {
        let (_net, host) = hosts();
        let config = PingConfig {
            count: Some(2),
            size: 3000,
            interval: Duration::from_millis(200),
            ..PingConfig::default()
        };
        let (summary, out) = ping(&host, "198.18.0.2", &config);
        assert_eq!(summary.received, 2, "{out}");
        assert!(out.starts_with("PING 198.18.0.2 (198.18.0.2) 3000(3028) bytes of data.\n"));
        assert!(out.contains("\n3008 bytes from 198.18.0.2: icmp_seq=2 ttl=64 "));
        let reassembled = host
            .with_interface(|iface, _| iface.stats().rx_reassembled)
            .unwrap();
        assert_eq!(reassembled, 2, "both replies came back in fragments");
    }

    #[test]
    fn no_reply_means_status_1() {
        let (_net, host) = hosts();
        let config = PingConfig {
            count: Some(2),
            timeout: Duration::from_secs(2),
            ..PingConfig::default()
        };
        let (summary, out) = ping(&host, "198.18.0.9", &config);
        assert_eq!((summary.transmitted, summary.received), (2, 0));
        assert_eq!(summary.status(), 1);
        assert!(
            out.contains("2 packets transmitted, 0 received, 100% packet loss"),
            "{out}"
        );
        assert!(!out.contains("rtt min"));
        // A name nobody can resolve fails before anything is sent.
        let mut sink = Vec::new();
        assert!(matches!(
            run(&host, "nowhere.example.test", &config, &mut sink),
            Err(PingFailure::Resolve(_))
        ));
    }
}
