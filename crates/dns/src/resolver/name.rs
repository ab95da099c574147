//! Domain names as the resolver's callers write them: text, checked once.
//!
//! The resolver accepts names in presentation form (`www.example.com`,
//! optionally with a trailing dot meaning "absolute"). It keeps them as text
//! without the trailing dot, in the caller's case (the query carries it), and
//! compares or keys them in lower case (RFC 4343: DNS names compare
//! case-insensitively for ASCII).

use std::fmt;
use std::string::String;
use std::vec::Vec;

/// The longest label a name may carry (RFC 1035 section 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// The longest name in presentation form without the trailing dot: 255
/// wire bytes minus the root label and the first length byte.
pub const MAX_NAME_LEN: usize = 253;

/// Why a text name cannot be looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// Two dots in a row, or a leading dot: a label of length zero.
    EmptyLabel {
        /// Byte offset of the empty label in the text.
        offset: usize,
    },
    /// A label longer than 63 bytes.
    LabelTooLong {
        /// Byte offset of the label in the text.
        offset: usize,
        /// Its length.
        len: usize,
    },
    /// More than 253 bytes (255 in wire form).
    NameTooLong {
        /// The length found, without a trailing dot.
        len: usize,
    },
    /// A byte a hostname cannot carry: whitespace, control, non-ASCII, or a
    /// backslash (escapes are not supported).
    BadCharacter {
        /// Byte offset in the text.
        offset: usize,
        /// The offending byte.
        byte: u8,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NameError::Empty => f.write_str("the name is empty"),
            NameError::EmptyLabel { offset } => {
                write!(
                    f,
                    "empty label at byte {offset} (two dots in a row or a leading dot)"
                )
            }
            NameError::LabelTooLong { offset, len } => write!(
                f,
                "label at byte {offset} is {len} bytes long, more than {MAX_LABEL_LEN}"
            ),
            NameError::NameTooLong { len } => {
                write!(f, "name is {len} bytes long, more than {MAX_NAME_LEN}")
            }
            NameError::BadCharacter { offset, byte } => {
                write!(
                    f,
                    "byte {byte:#04x} at offset {offset} cannot appear in a host name"
                )
            }
        }
    }
}

impl std::error::Error for NameError {}

/// A checked name: the text without its trailing dot, and whether the
/// caller marked it absolute. The root is `""` and absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TextName {
    pub(crate) text: String,
    pub(crate) absolute: bool,
}

/// Checks `input` and splits off a trailing dot.
pub(crate) fn parse(input: &str) -> Result<TextName, NameError> {
    if input.is_empty() {
        return Err(NameError::Empty);
    }
    if input == "." {
        return Ok(TextName {
            text: String::new(),
            absolute: true,
        });
    }
    let (body, absolute) = match input.strip_suffix('.') {
        Some(body) => (body, true),
        None => (input, false),
    };
    check(body)?;
    Ok(TextName {
        text: String::from(body),
        absolute,
    })
}

/// Checks a name without trailing dot (not the root).
pub(crate) fn check(body: &str) -> Result<(), NameError> {
    if body.is_empty() {
        return Err(NameError::Empty);
    }
    if body.len() > MAX_NAME_LEN {
        return Err(NameError::NameTooLong { len: body.len() });
    }
    if let Some((offset, byte)) = body
        .bytes()
        .enumerate()
        .find(|(_, b)| !b.is_ascii_graphic() || *b == b'\\')
    {
        return Err(NameError::BadCharacter { offset, byte });
    }
    let mut offset = 0;
    for label in body.split('.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel { offset });
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong {
                offset,
                len: label.len(),
            });
        }
        offset += label.len() + 1;
    }
    Ok(())
}

/// The cache and hosts key of a name: lower case, no trailing dot.
pub(crate) fn key(name: &str) -> String {
    let body = name.strip_suffix('.').unwrap_or(name);
    body.to_ascii_lowercase()
}

/// Whether two names (either with or without trailing dot) are the same
/// name.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let a = a.strip_suffix('.').unwrap_or(a);
    let b = b.strip_suffix('.').unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// Joins `name` and a search `suffix`, or `None` when the result would be
/// too long.
fn join(name: &str, suffix: &str) -> Option<String> {
    let suffix = suffix.strip_suffix('.').unwrap_or(suffix);
    if suffix.is_empty() {
        return Some(String::from(name));
    }
    let len = name.len() + 1 + suffix.len();
    if len > MAX_NAME_LEN {
        return None;
    }
    let mut joined = String::with_capacity(len);
    joined.push_str(name);
    joined.push('.');
    joined.push_str(suffix);
    Some(joined)
}

/// The names to try, in order, for `name` under resolv.conf's rules:
///
/// - an absolute name (trailing dot) is tried as is, and only as is;
/// - a name with at least `ndots` dots is tried as is first, then with each
///   search suffix;
/// - a name with fewer dots is tried with each search suffix first, then as
///   is.
///
/// Joined names longer than the DNS allows are skipped, and a name never
/// appears twice.
pub(crate) fn candidates(name: &TextName, ndots: u8, search: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(search.len() + 1);
    if name.absolute || search.is_empty() {
        out.push(name.text.clone());
        return out;
    }
    let dots = name.text.bytes().filter(|b| *b == b'.').count();
    let as_is_first = dots >= usize::from(ndots);
    if as_is_first {
        out.push(name.text.clone());
    }
    for suffix in search {
        if let Some(joined) = join(&name.text, suffix)
            && !out.iter().any(|c| same(c, &joined))
        {
            out.push(joined);
        }
    }
    if !as_is_first && !out.iter().any(|c| same(c, &name.text)) {
        out.push(name.text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec;

    fn tn(s: &str) -> TextName {
        parse(s).unwrap()
    }

    #[test]
    fn parse_accepts_and_rejects() {
        assert_eq!(
            parse("www.Example.com."),
            Ok(TextName {
                text: "www.Example.com".to_string(),
                absolute: true
            })
        );
        assert_eq!(tn(".").text, "");
        assert_eq!(parse(""), Err(NameError::Empty));
        assert_eq!(parse("a..b"), Err(NameError::EmptyLabel { offset: 2 }));
        assert_eq!(parse(".a"), Err(NameError::EmptyLabel { offset: 0 }));
        assert_eq!(parse("a.."), Err(NameError::EmptyLabel { offset: 2 }));
        assert_eq!(
            parse("a b"),
            Err(NameError::BadCharacter {
                offset: 1,
                byte: b' '
            })
        );
        let long_label = "x".repeat(64);
        assert_eq!(
            parse(&format!("a.{long_label}")),
            Err(NameError::LabelTooLong { offset: 2, len: 64 })
        );
        let ok_label = "x".repeat(63);
        let long = [ok_label.as_str(); 4].join(".");
        assert_eq!(parse(&long), Err(NameError::NameTooLong { len: 255 }));
        assert!(parse(&long[..253]).is_ok());
        assert!(NameError::Empty.to_string().contains("empty"));
    }

    #[test]
    fn keys_and_equality_ignore_case_and_trailing_dot() {
        assert_eq!(key("WWW.Example.COM."), "www.example.com");
        assert!(same("a.B.c.", "A.b.C"));
        assert!(!same("a.b", "a.b.c"));
    }

    #[test]
    fn search_order_follows_ndots() {
        let search = vec!["corp.example".to_string(), "example".to_string()];
        // Fewer dots than ndots: suffixes first, then as is.
        assert_eq!(
            candidates(&tn("db"), 1, &search),
            vec!["db.corp.example", "db.example", "db"]
        );
        // Enough dots: as is first.
        assert_eq!(
            candidates(&tn("db.eu"), 1, &search),
            vec!["db.eu", "db.eu.corp.example", "db.eu.example"]
        );
        assert_eq!(
            candidates(&tn("db.eu"), 2, &search),
            vec!["db.eu.corp.example", "db.eu.example", "db.eu"]
        );
        // Absolute: only as is.
        assert_eq!(candidates(&tn("db."), 5, &search), vec!["db"]);
        // ndots 0: as is first always.
        assert_eq!(candidates(&tn("db"), 0, &search)[0], "db");
        // No search list.
        assert_eq!(candidates(&tn("db"), 1, &[]), vec!["db"]);
    }

    #[test]
    fn search_skips_overlong_and_duplicate_names() {
        let label = "x".repeat(63);
        // 247 bytes: fine alone, too long once "host.y." is in front.
        let long_suffix = [label.as_str(), &label, &label, &"x".repeat(55)].join(".");
        let search = vec![long_suffix, "a".to_string(), "A.".to_string()];
        assert_eq!(
            candidates(&tn("host.y"), 3, &search),
            vec!["host.y.a", "host.y"]
        );
    }
}
