//! `resolv.conf(5)`: name servers, the search list and resolver options.
//!
//! Understood keywords, one per line:
//!
//! - `nameserver ADDRESS`: an IPv4 or IPv6 address (port 53); the first
//!   [`MAX_NAMESERVERS`] are kept, as the C library does;
//! - `search DOMAIN...` and `domain DOMAIN`: the search list; the two are
//!   alternatives and the last line of either kind wins (`domain` is a
//!   one-entry search list); at most [`MAX_SEARCH`] domains are kept;
//! - `options OPTION...`: `ndots:N` (capped at 15), `timeout:N` seconds
//!   (1 to 30), `attempts:N` (1 to 5), `rotate`, `edns0`; other options are
//!   ignored, as the C library ignores them.
//!
//! A `#` or `;` starts a comment running to the end of the line. Unknown
//! keywords (`sortlist`, `lookup`, ...) are ignored; a known keyword with a
//! missing or malformed argument is an error naming the line.

use std::fmt;
use std::net::IpAddr;
use std::string::String;
use std::vec::Vec;

use strata_core::time::Duration;

use super::name::{self, NameError};

/// How many `nameserver` lines are used (glibc's `MAXNS`).
pub const MAX_NAMESERVERS: usize = 3;

/// How many search domains are used.
pub const MAX_SEARCH: usize = 6;

/// The contents of a resolv.conf file, with the C library's defaults for
/// what it does not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// Name server addresses, in file order.
    pub nameservers: Vec<IpAddr>,
    /// Search suffixes, without trailing dots.
    pub search: Vec<String>,
    /// A name with fewer dots than this is tried with the search suffixes
    /// first (default 1).
    pub ndots: u8,
    /// How long to wait for one server before trying the next (default 5 s).
    pub timeout: Duration,
    /// How many rounds over all servers before giving up (default 2).
    pub attempts: u8,
    /// Spread load: start each query at the next server in turn.
    pub rotate: bool,
    /// `options edns0` was given. The resolver uses EDNS0 regardless; this
    /// only reports what the file said.
    pub edns0: bool,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
            timeout: Duration::from_secs(5),
            attempts: 2,
            rotate: false,
            edns0: false,
        }
    }
}

/// What was wrong with a resolv.conf line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfErrorKind {
    /// A keyword that needs an argument has none.
    MissingArgument {
        /// The keyword.
        keyword: &'static str,
    },
    /// A `nameserver` argument that is not an IP address.
    BadNameserver(String),
    /// A `search` or `domain` argument that is not a domain name.
    BadDomain(String, NameError),
    /// An option whose value is not a decimal number.
    BadOptionValue {
        /// The option (`ndots`, `timeout` or `attempts`).
        option: &'static str,
        /// The value found.
        value: String,
    },
}

/// A resolv.conf line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfError {
    /// The 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub kind: ConfErrorKind,
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "resolv.conf line {}: ", self.line)?;
        match &self.kind {
            ConfErrorKind::MissingArgument { keyword } => {
                write!(f, "`{keyword}` needs an argument")
            }
            ConfErrorKind::BadNameserver(text) => {
                write!(f, "nameserver {text:?} is not an IPv4 or IPv6 address")
            }
            ConfErrorKind::BadDomain(text, err) => write!(f, "bad domain {text:?}: {err}"),
            ConfErrorKind::BadOptionValue { option, value } => {
                write!(f, "option {option} needs a number, found {value:?}")
            }
        }
    }
}

impl std::error::Error for ConfError {}

impl ResolvConf {
    /// Reads a resolv.conf file.
    ///
    /// # Errors
    ///
    /// [`ConfError`] names the first line with a missing or malformed
    /// argument.
    pub fn parse(text: &str) -> Result<Self, ConfError> {
        let mut conf = ResolvConf::default();
        for (index, line) in text.lines().enumerate() {
            conf.read_line(line).map_err(|kind| ConfError {
                line: index + 1,
                kind,
            })?;
        }
        Ok(conf)
    }

    fn read_line(&mut self, line: &str) -> Result<(), ConfErrorKind> {
        let content = line.split(['#', ';']).next().unwrap_or("");
        let mut words = content.split_ascii_whitespace();
        let Some(keyword) = words.next() else {
            return Ok(());
        };
        match keyword {
            "nameserver" => {
                let text = words.next().ok_or(ConfErrorKind::MissingArgument {
                    keyword: "nameserver",
                })?;
                let addr: IpAddr = text
                    .parse()
                    .map_err(|_| ConfErrorKind::BadNameserver(String::from(text)))?;
                if self.nameservers.len() < MAX_NAMESERVERS {
                    self.nameservers.push(addr);
                }
            }
            "search" | "domain" => {
                let keyword = if keyword == "search" {
                    "search"
                } else {
                    "domain"
                };
                let mut list = Vec::new();
                let mut any = false;
                for text in words {
                    any = true;
                    let parsed = name::parse(text)
                        .map_err(|e| ConfErrorKind::BadDomain(String::from(text), e))?;
                    // The root as a suffix adds nothing: the name as is is
                    // always tried anyway.
                    if !parsed.text.is_empty()
                        && list.len() < MAX_SEARCH
                        && !list.iter().any(|d: &String| name::same(d, &parsed.text))
                    {
                        list.push(parsed.text);
                    }
                    if keyword == "domain" {
                        break;
                    }
                }
                if !any {
                    return Err(ConfErrorKind::MissingArgument { keyword });
                }
                self.search = list;
            }
            "options" => {
                for option in words {
                    self.read_option(option)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn read_option(&mut self, option: &str) -> Result<(), ConfErrorKind> {
        let (key, value) = match option.split_once(':') {
            Some((key, value)) => (key, Some(value)),
            None => (option, None),
        };
        let number = |option: &'static str| -> Result<u32, ConfErrorKind> {
            let value = value.unwrap_or("");
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfErrorKind::BadOptionValue {
                    option,
                    value: String::from(value),
                });
            }
            // All digits: only overflow can fail, and a huge value is capped.
            Ok(value.parse::<u32>().unwrap_or(u32::MAX))
        };
        match key {
            "ndots" => self.ndots = u8::try_from(number("ndots")?.min(15)).unwrap_or(15),
            "timeout" => {
                self.timeout = Duration::from_secs(u64::from(number("timeout")?.clamp(1, 30)));
            }
            "attempts" => {
                self.attempts = u8::try_from(number("attempts")?.clamp(1, 5)).unwrap_or(5);
            }
            "rotate" => self.rotate = true,
            "edns0" => self.edns0 = true,
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::string::ToString;
    use std::vec;

    #[test]
    fn reads_a_typical_file() {
        let text = "\
# Generated by NetworkManager
search corp.example.com example.com
nameserver 198.18.0.53
nameserver 2001:db8::53 # secondary
; a comment in the other style
options ndots:2 timeout:3 attempts:4 rotate edns0 single-request
sortlist 130.155.160.0/255.255.240.0
";
        let conf = ResolvConf::parse(text).unwrap();
        assert_eq!(
            conf.nameservers,
            vec![
                IpAddr::V4(Ipv4Addr::new(198, 18, 0, 53)),
                IpAddr::V6("2001:db8::53".parse::<Ipv6Addr>().unwrap())
            ]
        );
        assert_eq!(conf.search, vec!["corp.example.com", "example.com"]);
        assert_eq!(conf.ndots, 2);
        assert_eq!(conf.timeout, Duration::from_secs(3));
        assert_eq!(conf.attempts, 4);
        assert!(conf.rotate);
        assert!(conf.edns0);
    }

    #[test]
    fn defaults_for_an_empty_file() {
        assert_eq!(
            ResolvConf::parse("\n\n# nothing\n").unwrap(),
            ResolvConf::default()
        );
        let d = ResolvConf::default();
        assert_eq!(
            (d.ndots, d.attempts, d.timeout),
            (1, 2, Duration::from_secs(5))
        );
    }

    #[test]
    fn domain_and_search_replace_each_other() {
        let conf = ResolvConf::parse("search a.test b.test\ndomain c.test.\n").unwrap();
        assert_eq!(conf.search, vec!["c.test"]);
        let conf = ResolvConf::parse("domain c.test\nsearch A.test a.test. b.test\n").unwrap();
        assert_eq!(conf.search, vec!["A.test", "b.test"]);
        let many = "search a b c d e f g h\n";
        assert_eq!(ResolvConf::parse(many).unwrap().search.len(), MAX_SEARCH);
        // The root is accepted and ignored.
        assert!(ResolvConf::parse("search .\n").unwrap().search.is_empty());
    }

    #[test]
    fn limits_and_caps() {
        let conf = ResolvConf::parse(
            "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n\
             options ndots:99 timeout:0 attempts:99999999999\n",
        )
        .unwrap();
        assert_eq!(conf.nameservers.len(), 3);
        assert_eq!(conf.ndots, 15);
        assert_eq!(conf.timeout, Duration::from_secs(1));
        assert_eq!(conf.attempts, 5);
    }

    #[test]
    fn errors_name_the_line() {
        let err = ResolvConf::parse("search x\nnameserver\n").unwrap_err();
        assert_eq!(
            err,
            ConfError {
                line: 2,
                kind: ConfErrorKind::MissingArgument {
                    keyword: "nameserver"
                }
            }
        );
        assert_eq!(
            err.to_string(),
            "resolv.conf line 2: `nameserver` needs an argument"
        );
        let err = ResolvConf::parse("nameserver dns.example\n").unwrap_err();
        assert_eq!(
            err.kind,
            ConfErrorKind::BadNameserver("dns.example".to_string())
        );
        let err = ResolvConf::parse("\n\nsearch ok bad..name\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(matches!(err.kind, ConfErrorKind::BadDomain(ref t, _) if t == "bad..name"));
        let err = ResolvConf::parse("options ndots:x\n").unwrap_err();
        assert_eq!(
            err.kind,
            ConfErrorKind::BadOptionValue {
                option: "ndots",
                value: "x".to_string()
            }
        );
        assert!(err.to_string().contains("ndots"));
        assert!(ResolvConf::parse("options timeout:\n").is_err());
        assert!(ResolvConf::parse("options attempts:-1\n").is_err());
        assert!(ResolvConf::parse("search\n").is_err());
        assert!(ResolvConf::parse("domain # only a comment\n").is_err());
    }
}
