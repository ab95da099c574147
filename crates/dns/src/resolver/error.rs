//! Why a lookup failed.

use std::fmt;
use std::string::String;

use strata_core::time::Duration;

use super::LookupKind;
use super::name::NameError;
use crate::wire::Rcode;

/// A lookup's failure. Each variant names the name as the caller gave it;
/// with a search list, the servers were asked about each expansion in turn
/// and this is the outcome of the last.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The name cannot be a DNS name (nothing was sent).
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// Too many lookups are in progress or unpolled (nothing was sent).
    TooManyLookups {
        /// [`Config::max_lookups`](super::Config::max_lookups).
        limit: usize,
    },
    /// The configuration lists no name server and the hosts table does not
    /// know the name.
    NoServers {
        /// The name as given.
        name: String,
    },
    /// NXDOMAIN: the name does not exist (nor any expansion of it through
    /// the search list).
    NxDomain {
        /// The name as given.
        name: String,
    },
    /// NODATA: the name exists but has no records of the kind asked for.
    NoData {
        /// The name as given.
        name: String,
        /// What was asked for.
        kind: LookupKind,
    },
    /// SERVFAIL from every server asked.
    ServFail {
        /// The name as given.
        name: String,
    },
    /// REFUSED: the servers would not answer us (an answer with that code,
    /// or, for the last try, an ICMP port unreachable saying nothing
    /// listens where the query went: see
    /// [`Resolver::handle_udp_unreachable`](super::Resolver::handle_udp_unreachable)).
    Refused {
        /// The name as given.
        name: String,
    },
    /// Another error code (FORMERR even without EDNS, NOTIMP, ...).
    ServerError {
        /// The name as given.
        name: String,
        /// The code the last server answered with.
        rcode: Rcode,
    },
    /// No server answered: every attempt at every server timed out.
    TimedOut {
        /// The name as given.
        name: String,
        /// How many queries went unanswered for the last question.
        tries: u32,
        /// How long the resolver waited for that question, in all.
        waited: Duration,
    },
    /// The CNAME records form a loop.
    CnameLoop {
        /// The name as given.
        name: String,
        /// The alias found twice.
        alias: String,
    },
    /// More CNAME records than
    /// [`Config::max_cname_chain`](super::Config::max_cname_chain).
    CnameChainTooLong {
        /// The name as given.
        name: String,
        /// The limit.
        limit: u8,
    },
}

impl ResolveError {
    /// The name the failed lookup was for (`None` for
    /// [`ResolveError::TooManyLookups`]).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        match self {
            ResolveError::TooManyLookups { .. } => None,
            ResolveError::InvalidName { name, .. }
            | ResolveError::NoServers { name }
            | ResolveError::NxDomain { name }
            | ResolveError::NoData { name, .. }
            | ResolveError::ServFail { name }
            | ResolveError::Refused { name }
            | ResolveError::ServerError { name, .. }
            | ResolveError::TimedOut { name, .. }
            | ResolveError::CnameLoop { name, .. }
            | ResolveError::CnameChainTooLong { name, .. } => Some(name),
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::InvalidName { name, error } => {
                write!(f, "{name:?} is not a valid domain name: {error}")
            }
            ResolveError::TooManyLookups { limit } => write!(
                f,
                "too many lookups: {limit} are in progress or waiting to be polled"
            ),
            ResolveError::NoServers { name } => write!(
                f,
                "cannot resolve {name}: no name server is configured and the hosts table does not list it"
            ),
            ResolveError::NxDomain { name } => {
                write!(f, "{name}: no such name (NXDOMAIN)")
            }
            ResolveError::NoData { name, kind } => {
                write!(f, "{name} exists but has no {kind} records (NODATA)")
            }
            ResolveError::ServFail { name } => {
                write!(f, "{name}: the name servers failed to answer (SERVFAIL)")
            }
            ResolveError::Refused { name } => {
                write!(
                    f,
                    "{name}: the name servers refused the query (REFUSED, or nothing listening)"
                )
            }
            ResolveError::ServerError { name, rcode } => {
                write!(f, "{name}: the name servers answered with error {rcode:?}")
            }
            ResolveError::TimedOut {
                name,
                tries,
                waited,
            } => write!(
                f,
                "{name}: no answer from any name server ({tries} queries over {waited})"
            ),
            ResolveError::CnameLoop { name, alias } => {
                write!(f, "{name}: CNAME records loop back to {alias}")
            }
            ResolveError::CnameChainTooLong { name, limit } => {
                write!(f, "{name}: more than {limit} CNAME records in a row")
            }
        }
    }
}

impl std::error::Error for ResolveError {}
