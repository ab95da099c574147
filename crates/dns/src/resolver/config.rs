//! What a [`Resolver`](super::Resolver) is told at creation.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::string::String;
use std::vec::Vec;

use strata_core::time::Duration;

use super::conf::ResolvConf;
use super::hosts::Hosts;

/// Resolver settings. Start from [`Config::default`] or from a parsed
/// resolv.conf ([`Config::from`]) and change fields as needed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Name servers, tried in order (or in turn with [`Config::rotate`]).
    pub nameservers: Vec<SocketAddr>,
    /// Search suffixes (see [`Config::ndots`]), without trailing dots.
    pub search: Vec<String>,
    /// A name with fewer dots than this is tried with the search suffixes
    /// first, then as is; otherwise as is first.
    pub ndots: u8,
    /// How long to wait for an answer from one server in the first round;
    /// each further round over the servers waits twice as long as the one
    /// before.
    pub timeout: Duration,
    /// Rounds over all servers before a question times out (at least 1).
    pub attempts: u8,
    /// Start each question at the next server in turn instead of the first.
    pub rotate: bool,
    /// Send an EDNS0 OPT record advertising [`Config::udp_payload_size`]
    /// (RFC 6891). A server that answers FORMERR is asked again without it,
    /// and is remembered as not speaking EDNS.
    pub edns: bool,
    /// The UDP payload size advertised with EDNS0; 1232 avoids IP
    /// fragmentation on every common path (DNS Flag Day 2020).
    pub udp_payload_size: u16,
    /// Static mappings consulted before any server.
    pub hosts: Hosts,
    /// Cache entries at most (0 disables the cache).
    pub cache_size: usize,
    /// TTLs above this are cut down to it.
    pub max_ttl: Duration,
    /// Negative answers (NXDOMAIN, NODATA) are kept at most this long
    /// (RFC 2308 section 5 suggests one to three hours).
    pub max_negative_ttl: Duration,
    /// CNAME records followed at most, per question.
    pub max_cname_chain: u8,
    /// Lookups in progress or finished but not yet polled, at most: what
    /// bounds the resolver's memory.
    pub max_lookups: usize,
    /// The ephemeral source ports queries are sent from, inclusive; each
    /// query draws one at random (RFC 6056 section 3.3.1).
    pub source_ports: (u16, u16),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
            timeout: Duration::from_secs(5),
            attempts: 2,
            rotate: false,
            edns: true,
            udp_payload_size: 1232,
            hosts: Hosts::new(),
            cache_size: 1024,
            max_ttl: Duration::from_secs(86_400),
            max_negative_ttl: Duration::from_secs(3 * 3600),
            max_cname_chain: 8,
            max_lookups: 256,
            source_ports: (49_152, 65_535),
        }
    }
}

impl Config {
    /// The default settings with these name servers (port 53).
    #[must_use]
    pub fn with_nameservers(servers: &[IpAddr]) -> Self {
        Config {
            nameservers: servers.iter().map(|ip| SocketAddr::new(*ip, 53)).collect(),
            ..Config::default()
        }
    }
}

impl From<ResolvConf> for Config {
    /// Takes servers, search list and options from a resolv.conf. As in the
    /// C library, a file without a `nameserver` line means the local host.
    fn from(conf: ResolvConf) -> Self {
        let nameservers = if conf.nameservers.is_empty() {
            std::vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53)]
        } else {
            conf.nameservers
                .iter()
                .map(|ip| SocketAddr::new(*ip, 53))
                .collect()
        };
        Config {
            nameservers,
            search: conf.search,
            ndots: conf.ndots,
            timeout: conf.timeout,
            attempts: conf.attempts,
            rotate: conf.rotate,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_resolv_conf() {
        let conf =
            ResolvConf::parse("nameserver 198.18.0.53\nsearch a.test\noptions ndots:3 rotate\n")
                .unwrap();
        let config = Config::from(conf);
        assert_eq!(
            config.nameservers,
            std::vec!["198.18.0.53:53".parse().unwrap()]
        );
        assert_eq!(config.search, std::vec!["a.test"]);
        assert_eq!(config.ndots, 3);
        assert!(config.rotate && config.edns);
        let empty = Config::from(ResolvConf::default());
        assert_eq!(
            empty.nameservers,
            std::vec!["127.0.0.1:53".parse().unwrap()]
        );
    }
}
