//! The network commands of the `strata` binary: `ping`, `resolve`, `fetch`
//! and `serve`, each a library function so that tests run them over an
//! in-memory link under simulated time and the binary over a TAP device in
//! real time.
//!
//! - [`tap_opts`]: the options every command shares (`--tap`, `--addr`,
//!   `--gateway`, `--dns`) and how they become an
//!   [`Interface`](crate::iface::Interface) on a
//!   [`TapDevice`](crate::device::tap::TapDevice);
//! - [`ping`]: ICMP echo with iputils-style output and statistics;
//! - [`resolve`]: a DNS lookup of any record type, printed `dig +short`
//!   style under a short header;
//! - [`fetch`]: an HTTP/1.1 GET client (URL parsing, resolution, body
//!   framing, progress bar);
//! - [`serve`]: a static-file HTTP/1.1 server, one event loop over the
//!   socket table's readiness with a state machine per connection;
//! - [`http`]: the message syntax both of them use, as pure functions.
//!
//! The commands that block ([`ping`], [`resolve`], [`fetch`]) run over a
//! [`HostHandle`] from the blocking layer ([`crate::net`]), whatever the
//! device and clock behind it. The server is a non-blocking state machine
//! ([`serve::Server`]) that a [`serve::ServerHost`] polls together with
//! its interface and device.
//!
//! ```
//! use strata::cmd::fetch::Url;
//!
//! let url: Url = "http://198.18.0.1:8080/files/a.bin".parse()?;
//! assert_eq!((url.host.as_str(), url.port, url.path.as_str()), ("198.18.0.1", 8080, "/files/a.bin"));
//! # Ok::<(), strata::cmd::fetch::UrlError>(())
//! ```

pub mod fetch;
pub mod http;
pub mod ping;
pub mod resolve;
pub mod serve;
pub mod tap_opts;

use core::net::Ipv4Addr;
use std::hash::{BuildHasher, Hasher};

use strata_core::time::Duration;
use strata_dns::resolver::{Answer, LookupKind};
use strata_socket::Error as SocketError;

use crate::net::HostHandle;

/// How often a blocked command looks at its lookup or pings again while
/// the network runs (network time).
const TICK: Duration = Duration::from_millis(1);

/// A seed from the operating system's randomness (through the standard
/// library's hash keys), for MACs, ports and sequence numbers of a host on
/// a real network.
#[must_use]
pub fn random_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(t.as_nanos());
    }
    hasher.finish()
}

/// Looks `name` up (records of `kind`) on `host`, driving the network until
/// the resolver answers or `limit` of network time passes.
///
/// # Errors
/// The lookup's failure ([`SocketError::Resolve`]), [`SocketError::TimedOut`]
/// past `limit`, or the network's (as [`SocketError::Unsupported`] when the
/// host is gone).
pub fn resolve_blocking(
    host: &HostHandle,
    name: &str,
    kind: LookupKind,
    limit: Duration,
) -> Result<Answer, SocketError> {
    let lookup = host
        .with_interface(|iface, now| iface.sockets().resolve_records(now, name, kind))
        .map_err(|_| SocketError::Unsupported)??;
    let deadline = host.now() + limit;
    loop {
        let polled = host
            .with_interface(|iface, _| iface.sockets().poll_resolve_answer(lookup))
            .map_err(|_| SocketError::Unsupported)?;
        if let Some(result) = polled {
            return result;
        }
        let now = host.now();
        if now >= deadline {
            let _ = host.with_interface(|iface, _| iface.sockets().cancel_resolve(lookup));
            return Err(SocketError::TimedOut);
        }
        if host.run_until((now + TICK).min(deadline)).is_err() {
            let _ = host.with_interface(|iface, _| iface.sockets().cancel_resolve(lookup));
            return Err(SocketError::TimedOut);
        }
    }
}

/// The IPv4 addresses of `name` (an address literal answers itself).
///
/// # Errors
/// As [`resolve_blocking`]; a name with only IPv6 addresses fails with
/// NODATA.
pub fn resolve_ipv4(
    host: &HostHandle,
    name: &str,
    limit: Duration,
) -> Result<Vec<Ipv4Addr>, SocketError> {
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok(vec![ip]);
    }
    let answer = resolve_blocking(
        host,
        name,
        LookupKind::Record(strata_dns::wire::RecordType::A),
        limit,
    )?;
    let v4: Vec<Ipv4Addr> = answer
        .addresses
        .iter()
        .filter_map(|ip| match ip {
            std::net::IpAddr::V4(v4) => Some(*v4),
            std::net::IpAddr::V6(_) => None,
        })
        .collect();
    if v4.is_empty() {
        return Err(SocketError::Resolve(
            strata_dns::resolver::ResolveError::NoData {
                name: name.to_owned(),
                kind: LookupKind::Record(strata_dns::wire::RecordType::A),
            },
        ));
    }
    Ok(v4)
}
