//! The hosts table (`/etc/hosts`), consulted before any name server.
//!
//! Each line is an address followed by one or more names (the canonical
//! name, then aliases), separated by spaces or tabs; `#` starts a comment
//! that runs to the end of the line. IPv4 and IPv6 addresses may be mixed.
//! Names match case-insensitively and without regard to a trailing dot; a
//! name listed on several lines collects every address, in file order.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::string::String;
use std::vec::Vec;

use super::name::{self, NameError};

/// Static name-to-address mappings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts {
    entries: HashMap<String, Vec<IpAddr>>,
}

/// What was wrong with a hosts file line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostsErrorKind {
    /// The first field is not an IPv4 or IPv6 address (zone indexes such as
    /// `fe80::1%eth0` are not supported).
    BadAddress(String),
    /// An address with no name after it.
    MissingName,
    /// A name that cannot be a DNS name.
    BadName(String, NameError),
}

/// A hosts file line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostsError {
    /// The 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub kind: HostsErrorKind,
}

impl fmt::Display for HostsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hosts file line {}: ", self.line)?;
        match &self.kind {
            HostsErrorKind::BadAddress(text) => {
                write!(f, "{text:?} is not an IPv4 or IPv6 address")
            }
            HostsErrorKind::MissingName => f.write_str("an address without a name"),
            HostsErrorKind::BadName(text, err) => write!(f, "bad name {text:?}: {err}"),
        }
    }
}

impl std::error::Error for HostsError {}

impl Hosts {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a hosts file, failing on the first malformed line.
    ///
    /// # Errors
    ///
    /// [`HostsError`] names the line and what was wrong with it.
    pub fn parse(text: &str) -> Result<Self, HostsError> {
        let mut hosts = Hosts::new();
        for (index, line) in text.lines().enumerate() {
            hosts.add_line(line).map_err(|kind| HostsError {
                line: index + 1,
                kind,
            })?;
        }
        Ok(hosts)
    }

    /// Reads a hosts file as the C library does: malformed lines are
    /// skipped, the rest is kept.
    #[must_use]
    pub fn parse_lossy(text: &str) -> Self {
        let mut hosts = Hosts::new();
        for line in text.lines() {
            // A bad line adds nothing: names are checked before any insert.
            let _ = hosts.add_line(line);
        }
        hosts
    }

    fn add_line(&mut self, line: &str) -> Result<(), HostsErrorKind> {
        let content = line.split('#').next().unwrap_or("");
        let mut fields = content.split_ascii_whitespace();
        let Some(address) = fields.next() else {
            return Ok(());
        };
        let addr: IpAddr = address
            .parse()
            .map_err(|_| HostsErrorKind::BadAddress(String::from(address)))?;
        let names: Vec<&str> = fields.collect();
        if names.is_empty() {
            return Err(HostsErrorKind::MissingName);
        }
        for text in &names {
            let parsed =
                name::parse(text).map_err(|e| HostsErrorKind::BadName(String::from(*text), e))?;
            if parsed.text.is_empty() {
                return Err(HostsErrorKind::BadName(
                    String::from(*text),
                    NameError::Empty,
                ));
            }
        }
        for text in names {
            self.push(name::key(text), addr);
        }
        Ok(())
    }

    fn push(&mut self, key: String, addr: IpAddr) {
        let list = self.entries.entry(key).or_default();
        if !list.contains(&addr) {
            list.push(addr);
        }
    }

    /// Adds one mapping (after those already there for `name`).
    ///
    /// # Errors
    ///
    /// The name is not a valid DNS name.
    pub fn insert(&mut self, name: &str, addr: IpAddr) -> Result<(), NameError> {
        let parsed = name::parse(name)?;
        if parsed.text.is_empty() {
            return Err(NameError::Empty);
        }
        self.push(name::key(name), addr);
        Ok(())
    }

    /// Every address listed for `name`, in file order, or `None` when the
    /// name is not in the table.
    #[must_use]
    pub fn lookup(&self, name: &str) -> Option<&[IpAddr]> {
        self.entries.get(&name::key(name)).map(Vec::as_slice)
    }

    /// How many distinct names the table holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::string::ToString;

    const FILE: &str = "\
# The usual Debian hosts file
127.0.0.1\tlocalhost
127.0.1.1\tbuild.example.org build   # this machine

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
198.18.0.10 Mixed.Example.NET.
2001:db8::10 mixed.example.net
";

    #[test]
    fn reads_a_real_file() {
        let hosts = Hosts::parse(FILE).unwrap();
        assert_eq!(
            hosts.lookup("localhost").unwrap(),
            &[
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            ]
        );
        assert_eq!(
            hosts.lookup("BUILD").unwrap(),
            &[IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1))]
        );
        assert_eq!(
            hosts.lookup("build.example.org.").unwrap(),
            hosts.lookup("build").unwrap()
        );
        assert_eq!(hosts.lookup("mixed.example.net").unwrap().len(), 2);
        assert!(hosts.lookup("this").is_none());
        assert!(hosts.lookup("machine").is_none());
        assert_eq!(hosts.len(), 7);
    }

    #[test]
    fn strict_parse_names_the_line() {
        let err = Hosts::parse("127.0.0.1 a\n\n300.1.1.1 b\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(
            err.kind,
            HostsErrorKind::BadAddress("300.1.1.1".to_string())
        );
        assert!(err.to_string().contains("line 3"));
        let err = Hosts::parse("10.0.0.1   # nothing\n").unwrap_err();
        assert_eq!(err.kind, HostsErrorKind::MissingName);
        let err = Hosts::parse("10.0.0.1 a..b\n").unwrap_err();
        assert!(matches!(
            err.kind,
            HostsErrorKind::BadName(_, NameError::EmptyLabel { .. })
        ));
        assert!(Hosts::parse("10.0.0.1 .").is_err());
    }

    #[test]
    fn lossy_parse_keeps_good_lines() {
        let hosts = Hosts::parse_lossy("bogus line\n10.0.0.1 good\n10.0.0.2 ok bad..name\n");
        assert_eq!(hosts.len(), 1);
        assert!(hosts.lookup("good").is_some());
        assert!(hosts.lookup("ok").is_none());
    }

    #[test]
    fn insert_appends_and_deduplicates() {
        let mut hosts = Hosts::new();
        assert!(hosts.is_empty());
        let a = IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1));
        hosts.insert("x.test", a).unwrap();
        hosts.insert("X.test.", a).unwrap();
        assert_eq!(hosts.lookup("x.TEST").unwrap(), &[a]);
        assert_eq!(hosts.insert("", a), Err(NameError::Empty));
        assert_eq!(hosts.insert(".", a), Err(NameError::Empty));
    }
}
