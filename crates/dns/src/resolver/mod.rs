//! A sans-IO stub resolver: a name in, addresses (or records) out.
//!
//! [`Resolver`] never touches a socket or a clock. The caller hands it the
//! time with every call, sends the [`Transmit`]s it produces, feeds back
//! what arrives, and calls [`Resolver::handle_timeout`] when
//! [`Resolver::poll_timeout`] says. The same code therefore runs in a host
//! with real sockets, in a simulator under virtual time, and in a fuzzer.
//!
//! What a lookup does, in order:
//!
//! 1. the **hosts table** ([`Hosts`], `/etc/hosts` syntax) answers address
//!    lookups for names it lists, as given;
//! 2. the name is expanded with the **search list** under the `ndots` rule
//!    of resolv.conf ([`ResolvConf`]): a name with fewer than `ndots` dots is
//!    tried with each suffix first and then as is, other names as is first;
//!    a trailing dot means the name is absolute and is tried only as is.
//!    NXDOMAIN and NODATA move on to the next candidate; any other failure
//!    ends the lookup;
//! 3. for each candidate the **cache** is asked (positive answers, CNAMEs,
//!    and negative answers of RFC 2308, each under its TTL);
//! 4. what the cache cannot answer goes to the **name servers**: A and AAAA
//!    in parallel for addresses (IPv4 listed first in the answer), one type
//!    otherwise. Each query has a random ID and a random source port; an
//!    answer counts only if it comes from the server the query went to, on
//!    the port it left from, with its ID and its question. Servers are tried
//!    in order (or in turn with `rotate`), each for [`Config::timeout`],
//!    doubled each round, for [`Config::attempts`] rounds. SERVFAIL, REFUSED
//!    and other errors move to the next server at once. A truncated answer is
//!    asked again over TCP; FORMERR to an EDNS0 query is asked again without
//!    EDNS0, and the server is remembered as not speaking it. CNAME chains are
//!    followed, within the answer and across queries, up to
//!    [`Config::max_cname_chain`] links, and loops are detected.
//!
//! Memory is bounded: at most [`Config::max_lookups`] lookups are pending or
//! unpolled, each asks at most two questions at a time, each question sends
//! a bounded number of queries, and the cache holds at most
//! [`Config::cache_size`] entries.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr, SocketAddr};
//! use strata_core::{rand::SplitMix64, time::Instant};
//! use strata_dns::resolver::{Config, LookupKind, Resolver, Transport};
//! use strata_dns::wire::{Builder, Class, Flags, Message, RData, RecordType};
//!
//! let server: SocketAddr = "198.18.0.53:53".parse()?;
//! let mut config = Config::with_nameservers(&[server.ip()]);
//! config.edns = false;
//! let mut resolver = Resolver::new(config, SplitMix64::new(7));
//! let now = Instant::ZERO;
//! let query = resolver.lookup(now, "www.example.com.", LookupKind::Record(RecordType::A))?;
//!
//! // The resolver wants one UDP datagram sent.
//! let transmit = resolver.poll_transmit(now).ok_or("nothing to send")?;
//! let Transport::Udp { source_port } = transmit.transport else { return Err("not UDP".into()) };
//! assert_eq!(transmit.server, server);
//!
//! // The server answers: same ID, same question, one A record.
//! let asked = Message::parse(&transmit.payload[..])?;
//! let q = asked.question().ok_or("no question")?;
//! let mut buf = [0u8; 512];
//! let mut b = Builder::new(&mut buf, asked.id(), Flags(Flags::RESPONSE | Flags::RECURSION_DESIRED))?;
//! b.question(q.name(), q.qtype(), Class::IN)?;
//! b.answer(q.name(), Class::IN, 300, &RData::A(Ipv4Addr::new(198, 18, 0, 80)))?;
//! let reply = b.finish();
//! resolver.handle_udp(now, server, source_port, reply);
//!
//! let event = resolver.poll_event().ok_or("no event")?;
//! assert_eq!(event.query, query);
//! assert_eq!(event.result?.addresses, [IpAddr::V4(Ipv4Addr::new(198, 18, 0, 80))]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
mod codec;
pub mod conf;
mod config;
mod error;
pub mod hosts;
mod machine;
mod name;
mod stream;
mod timer;
mod types;

pub use conf::{ConfError, ConfErrorKind, ResolvConf};
pub use config::Config;
pub use error::ResolveError;
pub use hosts::{Hosts, HostsError, HostsErrorKind};
pub use machine::Resolver;
pub use name::NameError;
pub use types::{
    Answer, Event, LookupKind, QueryHandle, Record, RecordData, Source, Stats, StreamId, Transmit,
    Transport,
};
