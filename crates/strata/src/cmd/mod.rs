//! The network commands of the `strata` binary: `ping`, `resolve`, `fetch`
//! and `serve`, each a library function so that tests run them over an
//! in-memory link under simulated time and the binary over a TAP device in
//! real time.
//!
//! - [`tap_opts`]: the options every command shares (`--tap`, `--addr`,
//!   `--gateway`, `--dns`) and how they become an
//!   [`Interface`](crate::iface::Interface) on a
//!   [`TapDevice`](crate::device::tap::TapDevice);
//! - [`ping`]: ICMP echo with iputils-style output and statistics (also
//!   on Ctrl-C);
//! - [`resolve`]: a DNS lookup of any record type, printed as dig's answer
//!   section (a CNAME chain link by link) under a short header;
//! - [`fetch`]: an HTTP/1.1 GET client (URL parsing, resolution, body
//!   framing, progress bar, a 4 MiB receive window);
//! - [`serve`]: a static-file HTTP/1.1 server (byte ranges, directory
//!   listings), one event loop over the socket table's readiness with a
//!   state machine per connection;
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// A flag set when the user presses Ctrl-C (SIGINT), for the commands
/// that stop cleanly then (`ping` prints its statistics, `fetch` removes
/// its partial file, `serve` says goodbye): a blocked call on a
/// [`HostHandle::with_interrupt`] handle gives up when it is set. The
/// handler can be installed once per process; if that fails, a warning is
/// printed and Ctrl-C keeps its default effect (the flag is never set).
#[must_use]
pub fn ctrl_c_flag(command: &str) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let setter = Arc::clone(&flag);
    if let Err(e) = ctrlc::set_handler(move || setter.store(true, Ordering::Relaxed)) {
        eprintln!("strata {command}: cannot catch Ctrl-C ({e}); it will stop without a summary");
    }
    flag
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

/// Two hosts on an in-memory link under simulated time, for the command
/// tests: a client at 198.18.0.1 and whatever node the test puts at
/// 198.18.0.2.
#[cfg(test)]
pub(crate) mod testnet {
    use std::cell::RefCell;
    use std::io::{self, Write};
    use std::path::PathBuf;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use strata_core::time::Instant;

    use crate::device::memory::{self, MemoryDevice};
    use crate::iface::{Interface, InterfaceConfig};
    use crate::net::{HostHandle, SimNet};

    pub(crate) const CLIENT: &str = "198.18.0.1";
    pub(crate) const SERVER: &str = "198.18.0.2";

    pub(crate) fn interface(mac: u8, addr: &str, seed: u64) -> Interface {
        let mut config = InterfaceConfig::new(
            format!("02:00:00:00:00:{mac:02x}").parse().unwrap(),
            addr.parse().unwrap(),
        );
        config.seed = seed;
        Interface::new(config).unwrap()
    }

    /// A network with the client added; the server's interface and device
    /// are handed back for the test to wrap in its node.
    pub(crate) fn pair() -> (SimNet, HostHandle, Interface, MemoryDevice) {
        let net = SimNet::new();
        let (dev_a, dev_b) = memory::pair(1500);
        let client = net.add_host(interface(1, &format!("{CLIENT}/24"), 1), dev_a);
        (net, client, interface(2, &format!("{SERVER}/24"), 2), dev_b)
    }

    /// A log both the server and the test hold.
    #[derive(Clone, Default)]
    pub(crate) struct SharedLog(pub(crate) Rc<RefCell<Vec<u8>>>);

    impl SharedLog {
        pub(crate) fn lines(&self) -> Vec<String> {
            String::from_utf8_lossy(&self.0.borrow())
                .lines()
                .map(str::to_owned)
                .collect()
        }
    }

    impl Write for SharedLog {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Sets a flag at a given network time, as Ctrl-C would.
    struct CtrlC {
        at: Instant,
        flag: Arc<AtomicBool>,
    }

    impl crate::net::Node for CtrlC {
        fn poll(&mut self, now: Instant) -> bool {
            now >= self.at && !self.flag.swap(true, Ordering::Relaxed)
        }

        fn poll_at(&self) -> Option<Instant> {
            (!self.flag.load(Ordering::Relaxed)).then_some(self.at)
        }
    }

    /// A flag that `net` sets at `at`, for [`HostHandle::with_interrupt`].
    pub(crate) fn ctrl_c_at(net: &SimNet, at: Instant) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        net.add_node(Box::new(CtrlC {
            at,
            flag: Arc::clone(&flag),
        }));
        flag
    }

    /// A directory removed when dropped.
    pub(crate) struct TempDir(pub(crate) PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "strata-cmd-{tag}-{}-{}",
                std::process::id(),
                super::random_seed()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
