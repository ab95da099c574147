//! The resolver's only contact with the message codec ([`crate::wire`]):
//! building a query, and reading a response into the owned digest the state
//! machine works with.

use std::string::{String, ToString};
use std::vec::Vec;

use crate::wire::{
    Builder, Class, Edns, Flags, Message, Name, NameBuf, Opcode, RData, Rcode, RecordType,
};

use super::types::{Record, RecordData};

/// Room for the largest query: header, a 255-byte name, type and class,
/// and an OPT record.
const QUERY_ROOM: usize = 12 + 255 + 4 + 11;

/// What the resolver needs to know of a response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) id: u16,
    pub(crate) response: bool,
    pub(crate) opcode: Opcode,
    pub(crate) truncated: bool,
    /// With EDNS, the 12-bit extended code.
    pub(crate) rcode: Rcode,
    /// The question, when there is exactly one.
    pub(crate) question: Option<(String, RecordType, Class)>,
    pub(crate) answers: Vec<Record>,
    /// How long a denial may be cached: the lesser of an authority SOA's
    /// TTL and its MINIMUM field (RFC 2308 section 5).
    pub(crate) negative_ttl: Option<u32>,
}

/// A recursive query for `name`/`qtype` in class IN, with an OPT record
/// advertising `edns` bytes when given. `None` if the codec refuses the
/// name.
pub(crate) fn build_query(
    id: u16,
    name: &str,
    qtype: RecordType,
    edns: Option<u16>,
) -> Option<Vec<u8>> {
    let qname: NameBuf = name.parse().ok()?;
    let mut buf = [0u8; QUERY_ROOM];
    let mut builder = Builder::new(&mut buf, id, Flags::QUERY).ok()?;
    builder.question(qname.as_name(), qtype, Class::IN).ok()?;
    if let Some(size) = edns {
        builder.edns(&Edns::new(size)).ok()?;
    }
    Some(builder.finish().to_vec())
}

/// A name as text without the trailing dot (the root is `""`).
fn text(name: Name<'_>) -> String {
    if name.is_root() {
        return String::new();
    }
    // Presentation form has no trailing dot except for the root.
    name.to_string()
}

fn owned_data(data: RData<'_>, raw: &[u8]) -> RecordData {
    match data {
        RData::A(addr) => RecordData::A(addr),
        RData::Aaaa(addr) => RecordData::Aaaa(addr),
        RData::Cname(name) => RecordData::Cname(text(name)),
        RData::Ns(name) => RecordData::Ns(text(name)),
        RData::Ptr(name) => RecordData::Ptr(text(name)),
        RData::Mx(mx) => RecordData::Mx {
            preference: mx.preference,
            exchange: text(mx.exchange),
        },
        RData::Txt(txt) => RecordData::Txt(txt.strings().map(<[u8]>::to_vec).collect()),
        RData::Srv(srv) => RecordData::Srv {
            priority: srv.priority,
            weight: srv.weight,
            port: srv.port,
            target: text(srv.target),
        },
        RData::Soa(soa) => RecordData::Soa {
            mname: text(soa.mname),
            rname: text(soa.rname),
            serial: soa.serial,
            refresh: soa.refresh,
            retry: soa.retry,
            expire: soa.expire,
            minimum: soa.minimum,
        },
        _ => RecordData::Other(raw.to_vec()),
    }
}

/// Reads a response; `None` if the bytes are not a well-formed message.
pub(crate) fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    let msg = Message::parse(bytes).ok()?;
    let question = if msg.question_count() == 1 {
        msg.question()
            .map(|q| (text(q.name()), q.qtype(), q.qclass()))
    } else {
        None
    };
    let answers = msg
        .answers()
        .filter(|r| r.rtype() != RecordType::OPT)
        .map(|r| Record {
            name: text(r.name()),
            rtype: r.rtype(),
            class: r.class(),
            // RFC 2181 section 8: a TTL with the top bit set means zero.
            ttl: if r.ttl() > 0x7fff_ffff { 0 } else { r.ttl() },
            data: owned_data(r.data(), r.rdata()),
        })
        .collect();
    let negative_ttl = msg.authorities().find_map(|r| match r.data() {
        RData::Soa(soa) => Some(r.ttl().min(soa.minimum)),
        _ => None,
    });
    let flags = msg.flags();
    Some(Reply {
        id: msg.id(),
        response: flags.response(),
        opcode: flags.opcode(),
        truncated: flags.truncated(),
        rcode: msg.rcode(),
        question,
        answers,
        negative_ttl,
    })
}
