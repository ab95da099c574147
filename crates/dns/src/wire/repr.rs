//! The owned form of a message, for round trips, tests and callers that
//! keep what they parsed. It allocates (`Vec`); the view and the builder do
//! not.

use core::net::{Ipv4Addr, Ipv6Addr};

use super::HEADER_LEN;
use super::builder::Builder;
use super::error::{EmitError, ParseError};
use super::message::{Message, Question, Record};
use super::name::NameBuf;
use super::rdata::{Caa, Edns, Mx, Options, RData, Soa, Srv, Txt};
use super::types::{Class, Flags, OptionCode, Rcode, RecordType, Section};

/// A whole message, owned: what [`Message`] shows, with every name
/// decompressed into a [`NameBuf`].
///
/// `Repr::parse(&Message::parse(&bytes)?)` and [`Repr::emit`] are inverse:
/// emitting and parsing again gives an equal `Repr` (the bytes may differ,
/// since compression may differ).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Repr {
    /// The message ID.
    pub id: u16,
    /// The flags word, the low 4 RCODE bits included.
    pub flags: Flags,
    /// The question section.
    pub questions: Vec<QuestionRepr>,
    /// The answer section.
    pub answers: Vec<RecordRepr>,
    /// The authority section.
    pub authorities: Vec<RecordRepr>,
    /// The additional section, the OPT record included.
    pub additionals: Vec<RecordRepr>,
}

impl Repr {
    /// Copies a parsed message. Cannot fail: the view was validated.
    #[must_use]
    pub fn parse<T: AsRef<[u8]>>(message: &Message<T>) -> Repr {
        Repr {
            id: message.id(),
            flags: message.flags(),
            questions: message
                .questions()
                .map(|q| QuestionRepr::from(&q))
                .collect(),
            answers: message.answers().map(|r| RecordRepr::from(&r)).collect(),
            authorities: message
                .authorities()
                .map(|r| RecordRepr::from(&r))
                .collect(),
            additionals: message
                .additionals()
                .map(|r| RecordRepr::from(&r))
                .collect(),
        }
    }

    /// Parses bytes straight into the owned form.
    ///
    /// # Errors
    /// As [`Message::parse`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<Repr, ParseError> {
        Ok(Repr::parse(&Message::parse(bytes)?))
    }

    /// The records of one section (empty for [`Section::Question`]).
    #[must_use]
    pub fn records(&self, section: Section) -> &[RecordRepr] {
        match section {
            Section::Question => &[],
            Section::Answer => &self.answers,
            Section::Authority => &self.authorities,
            Section::Additional => &self.additionals,
        }
    }

    /// EDNS(0) information from the first OPT record of the additional
    /// section.
    #[must_use]
    pub fn edns(&self) -> Option<Edns<'_>> {
        self.additionals.iter().find_map(RecordRepr::edns)
    }

    /// The 12-bit response code (header bits plus the OPT record's).
    #[must_use]
    pub fn rcode(&self) -> Rcode {
        let high = self.edns().map_or(0, |edns| edns.extended_rcode);
        Rcode::from_parts(self.flags.rcode().low(), high)
    }

    /// An upper bound on the emitted length: the length without
    /// compression.
    #[must_use]
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + self
                .questions
                .iter()
                .map(|q| q.name.wire_len() + 4)
                .sum::<usize>()
            + [&self.answers, &self.authorities, &self.additionals]
                .into_iter()
                .flatten()
                .map(|r| r.name.wire_len() + 10 + r.data.wire_len())
                .sum::<usize>()
    }

    /// Writes the message, compressed, into `buf`; returns its length.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if it does not fit (a buffer of
    /// [`Repr::buffer_len`] bytes always suffices), [`EmitError::TooLong`]
    /// for an over-long TXT string, CAA tag, option or RDATA,
    /// [`EmitError::TooManyEntries`] past 65535 entries in a section.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut builder = Builder::new(buf, self.id, self.flags)?;
        for q in &self.questions {
            builder.question(q.name.as_name(), q.qtype, q.qclass)?;
        }
        for section in [Section::Answer, Section::Authority, Section::Additional] {
            for r in self.records(section) {
                builder.record(
                    section,
                    r.name.as_name(),
                    r.class,
                    r.ttl,
                    &r.data.as_rdata(),
                )?;
            }
        }
        Ok(builder.len())
    }

    /// Emits into a new vector of the right length.
    ///
    /// # Errors
    /// As [`Repr::emit`], less [`EmitError::BufferTooSmall`].
    pub fn to_vec(&self) -> Result<Vec<u8>, EmitError> {
        let mut buf = vec![0u8; self.buffer_len()];
        let len = self.emit(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }
}

/// A question, owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuestionRepr {
    /// QNAME.
    pub name: NameBuf,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS.
    pub qclass: Class,
}

impl From<&Question<'_>> for QuestionRepr {
    fn from(q: &Question<'_>) -> Self {
        QuestionRepr {
            name: q.name().to_name_buf(),
            qtype: q.qtype(),
            qclass: q.qclass(),
        }
    }
}

/// A resource record, owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordRepr {
    /// The owner name.
    pub name: NameBuf,
    /// CLASS (the UDP payload size for OPT).
    pub class: Class,
    /// TTL (the EDNS fields for OPT).
    pub ttl: u32,
    /// The RDATA; it also gives the TYPE.
    pub data: RDataRepr,
}

impl RecordRepr {
    /// TYPE.
    #[must_use]
    pub fn rtype(&self) -> RecordType {
        self.data.rtype()
    }

    /// EDNS(0) information, if this is an OPT record.
    #[must_use]
    pub fn edns(&self) -> Option<Edns<'_>> {
        match &self.data {
            RDataRepr::Opt(options) => Some(Edns::from_fields(
                self.class,
                self.ttl,
                Options::from_owned(options),
            )),
            _ => None,
        }
    }
}

impl From<&Record<'_>> for RecordRepr {
    fn from(r: &Record<'_>) -> Self {
        RecordRepr {
            name: r.name().to_name_buf(),
            class: r.class(),
            ttl: r.ttl(),
            data: RDataRepr::from(&r.data()),
        }
    }
}

/// RDATA, owned; see [`RData`] for which TYPEs and CLASSes are typed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RDataRepr {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// Canonical name.
    Cname(NameBuf),
    /// Name server.
    Ns(NameBuf),
    /// Domain name pointer.
    Ptr(NameBuf),
    /// Mail exchange.
    Mx(Mx<NameBuf>),
    /// Text strings, each at most 255 octets.
    Txt(Vec<Vec<u8>>),
    /// Start of authority (boxed: two names make it the largest variant).
    Soa(Box<Soa<NameBuf>>),
    /// Service location.
    Srv(Srv<NameBuf>),
    /// Certification authority authorization (tag at most 255 octets).
    Caa(Caa<Vec<u8>>),
    /// EDNS(0) options.
    Opt(Vec<EdnsOptionRepr>),
    /// Any other TYPE, raw.
    Unknown {
        /// TYPE.
        rtype: RecordType,
        /// RDATA.
        data: Vec<u8>,
    },
}

/// One EDNS(0) option, owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EdnsOptionRepr {
    /// OPTION-CODE.
    pub code: OptionCode,
    /// OPTION-DATA, at most 65535 octets.
    pub data: Vec<u8>,
}

impl RDataRepr {
    /// TYPE.
    #[must_use]
    pub fn rtype(&self) -> RecordType {
        self.as_rdata().rtype()
    }

    /// A borrowed view, which is what the [`Builder`] takes.
    #[must_use]
    pub fn as_rdata(&self) -> RData<'_> {
        match self {
            RDataRepr::A(addr) => RData::A(*addr),
            RDataRepr::Aaaa(addr) => RData::Aaaa(*addr),
            RDataRepr::Cname(name) => RData::Cname(name.as_name()),
            RDataRepr::Ns(name) => RData::Ns(name.as_name()),
            RDataRepr::Ptr(name) => RData::Ptr(name.as_name()),
            RDataRepr::Mx(mx) => RData::Mx(Mx {
                preference: mx.preference,
                exchange: mx.exchange.as_name(),
            }),
            RDataRepr::Txt(strings) => RData::Txt(Txt::from_strings(strings)),
            RDataRepr::Soa(soa) => RData::Soa(Soa {
                mname: soa.mname.as_name(),
                rname: soa.rname.as_name(),
                serial: soa.serial,
                refresh: soa.refresh,
                retry: soa.retry,
                expire: soa.expire,
                minimum: soa.minimum,
            }),
            RDataRepr::Srv(srv) => RData::Srv(Srv {
                priority: srv.priority,
                weight: srv.weight,
                port: srv.port,
                target: srv.target.as_name(),
            }),
            RDataRepr::Caa(caa) => RData::Caa(Caa {
                flags: caa.flags,
                tag: &caa.tag,
                value: &caa.value,
            }),
            RDataRepr::Opt(options) => RData::Opt(Options::from_owned(options)),
            RDataRepr::Unknown { rtype, data } => RData::Unknown {
                rtype: *rtype,
                data,
            },
        }
    }

    /// Length of the RDATA without compression.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        match self {
            RDataRepr::A(_) => 4,
            RDataRepr::Aaaa(_) => 16,
            RDataRepr::Cname(name) | RDataRepr::Ns(name) | RDataRepr::Ptr(name) => name.wire_len(),
            RDataRepr::Mx(mx) => 2 + mx.exchange.wire_len(),
            RDataRepr::Txt(strings) => strings.iter().map(|s| s.len() + 1).sum(),
            RDataRepr::Soa(soa) => soa.mname.wire_len() + soa.rname.wire_len() + 20,
            RDataRepr::Srv(srv) => 6 + srv.target.wire_len(),
            RDataRepr::Caa(caa) => 2 + caa.tag.len() + caa.value.len(),
            RDataRepr::Opt(options) => options.iter().map(|o| 4 + o.data.len()).sum(),
            RDataRepr::Unknown { data, .. } => data.len(),
        }
    }
}

impl From<&RData<'_>> for RDataRepr {
    fn from(data: &RData<'_>) -> Self {
        match data {
            RData::A(addr) => RDataRepr::A(*addr),
            RData::Aaaa(addr) => RDataRepr::Aaaa(*addr),
            RData::Cname(name) => RDataRepr::Cname(name.to_name_buf()),
            RData::Ns(name) => RDataRepr::Ns(name.to_name_buf()),
            RData::Ptr(name) => RDataRepr::Ptr(name.to_name_buf()),
            RData::Mx(mx) => RDataRepr::Mx(Mx {
                preference: mx.preference,
                exchange: mx.exchange.to_name_buf(),
            }),
            RData::Txt(txt) => RDataRepr::Txt(txt.strings().map(<[u8]>::to_vec).collect()),
            RData::Soa(soa) => RDataRepr::Soa(Box::new(Soa {
                mname: soa.mname.to_name_buf(),
                rname: soa.rname.to_name_buf(),
                serial: soa.serial,
                refresh: soa.refresh,
                retry: soa.retry,
                expire: soa.expire,
                minimum: soa.minimum,
            })),
            RData::Srv(srv) => RDataRepr::Srv(Srv {
                priority: srv.priority,
                weight: srv.weight,
                port: srv.port,
                target: srv.target.to_name_buf(),
            }),
            RData::Caa(caa) => RDataRepr::Caa(Caa {
                flags: caa.flags,
                tag: caa.tag.to_vec(),
                value: caa.value.to_vec(),
            }),
            RData::Opt(options) => RDataRepr::Opt(
                options
                    .iter()
                    .map(|o| EdnsOptionRepr {
                        code: o.code,
                        data: o.data.to_vec(),
                    })
                    .collect(),
            ),
            RData::Unknown { rtype, data } => RDataRepr::Unknown {
                rtype: *rtype,
                data: data.to_vec(),
            },
        }
    }
}
