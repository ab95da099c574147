//! The DNS message codec (RFC 1035, RFC 3596, RFC 2782, RFC 8659, RFC 6891,
//! RFC 3597): a zero-copy view, a builder into a caller's buffer, and an
//! owned form for round trips.
//!
//! # The pieces
//!
//! - [`Message<T>`]: a view over a received message. [`Message::parse`]
//!   validates everything once (header counts against the bytes, every
//!   name with its compression pointers, every RDLENGTH, the RDATA of the
//!   types it knows) and records where the sections start. The accessors
//!   and iterators ([`Message::questions`], [`Message::answers`],
//!   [`Message::authorities`], [`Message::additionals`]) then walk the bytes
//!   lazily and cannot fail or panic. Nothing is copied or allocated.
//! - [`Question`], [`Record`]: one entry, borrowed; [`Record::data`] gives
//!   the typed [`RData`] (A, AAAA, CNAME, NS, PTR, MX, TXT, SOA, SRV, CAA,
//!   OPT; any other type as raw bytes).
//! - [`Name`]: a borrowed name (in a message, through pointers, or in a
//!   [`NameBuf`]): [`Name::labels`], `Display` in presentation form with
//!   escapes, case-insensitive `==` (also against `&str`), and
//!   [`Name::parse`] to decompress a name at any offset of a message.
//! - [`NameBuf`]: an owned name in a fixed `[u8; 255]`, no heap; `Eq` and
//!   `Hash` ignore case, so it is a `HashMap` key. Parse one from text with
//!   `str::parse`.
//! - [`Builder`]: writes a message into a `&mut [u8]`, compressing names,
//!   keeping header counts right, refusing entries out of section order,
//!   and leaving itself unchanged when an entry does not fit.
//! - EDNS(0) as [`Edns`] (payload size, extended RCODE, version, DO,
//!   options) from [`Message::edns`]; written with [`Builder::edns`].
//!   [`Message::rcode`] is the 12-bit RCODE.
//! - [`Repr`] and friends: the owned form (with `Vec`), for tests, fuzzing
//!   and callers that keep a message: `Repr::parse(&view)`,
//!   [`Repr::emit`].
//! - Open enums [`RecordType`], [`Class`], [`Opcode`], [`Rcode`],
//!   [`OptionCode`] keep unknown values and have `name()`; [`Flags`] is the
//!   header's flags word.
//! - Errors: [`ParseError`] (section, index, offset and cause; a
//!   [`NameError`] or [`RDataError`] inside), [`EmitError`]. All are small
//!   `Copy` values implementing
//!   [`LayerError`](strata_core::error::LayerError) with `Layer::Dns`.
//!
//! # Names and compression pointers
//!
//! A pointer must point before the start of the run of labels that contains
//! it. A pointer beyond its own position is a
//! [`NameError::ForwardPointer`]; one to itself or back into the name being
//! read is a [`NameError::PointerLoop`]. So every name is read in one bounded pass,
//! and no message a real compressor writes is refused. Names longer than
//! 255 octets and length bytes over 63 (the unused label types `01` and
//! `10`) are refused too.
//!
//! # Which RDATA is typed
//!
//! A and AAAA in class IN (and NONE, for dynamic update); CNAME, NS, PTR,
//! MX, TXT, SOA, SRV and CAA in any class; OPT always. Empty RDATA in class
//! ANY or NONE and every other type stay [`RData::Unknown`], written back
//! byte for byte.
//!
//! # Example
//!
//! ```
//! use strata_dns::wire::{Builder, Class, Edns, Flags, Message, NameBuf, RData, RecordType};
//!
//! // A query for example.com/AAAA with EDNS(0).
//! let qname: NameBuf = "example.com".parse()?;
//! let mut buf = [0u8; 512];
//! let mut query = Builder::new(&mut buf, 0xbeef, Flags::QUERY)?;
//! query.question(qname.as_name(), RecordType::AAAA, Class::IN)?;
//! query.edns(&Edns::new(1232))?;
//! let query = Message::parse(query.finish())?;
//! assert_eq!(query.question().map(|q| q.name() == "example.com"), Some(true));
//! assert_eq!(query.edns().map(|e| e.udp_payload_size), Some(1232));
//!
//! // Walk a response.
//! let response = Message::parse(&RESPONSE[..])?;
//! for record in response.answers() {
//!     if let RData::Aaaa(addr) = record.data() {
//!         println!("{} {} AAAA {addr}", record.name(), record.ttl());
//!     }
//! }
//! # const RESPONSE: [u8; 12] = [0xbe, 0xef, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod error;
mod message;
mod name;
mod rdata;
mod repr;
mod types;

#[cfg(feature = "arbitrary")]
mod arbitrary;
#[cfg(test)]
mod tests;

pub use builder::{Builder, COMPRESSION_ENTRIES};
pub use error::{EmitError, NameError, ParseError, RDataError};
pub use message::{Message, Question, Questions, Record, Records};
pub use name::{Labels, MAX_LABEL_LEN, MAX_NAME_LEN, Name, NameBuf};
pub use rdata::{
    Caa, Edns, EdnsOption, Mx, Options, OptionsIter, RData, Soa, Srv, Txt, TxtStrings,
};
pub use repr::{EdnsOptionRepr, QuestionRepr, RDataRepr, RecordRepr, Repr};
pub use types::{Class, Flags, Opcode, OptionCode, Rcode, RecordType, Section};

/// Length of the message header.
pub const HEADER_LEN: usize = 12;

/// The largest message that fits UDP without EDNS(0) (RFC 1035 4.2.1).
pub const MAX_UDP_LEN: usize = 512;
