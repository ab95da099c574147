#![no_main]
//! The authoritative responder and its zone-file reader on arbitrary input.
//!
//! The first byte picks what the rest is: a zone file (parsed, and if it
//! loads, queried for its own names), or a query for a fixed zone answered
//! over UDP and over TCP, or a byte stream cut into TCP messages. Whatever
//! the responder writes must parse as a DNS response with the query's ID,
//! fit the UDP limit it was given, and carry TC only over UDP.

use libfuzzer_sys::fuzz_target;
use strata_dns::server::{Responder, StreamReader, Zone};
use strata_dns::wire::{Builder, Class, Flags, Message, NameBuf, RecordType};

const ZONE: &str = "$ORIGIN example.test.\n\
    $TTL 300\n\
    @      3600 SOA ns1 hostmaster 1 3600 600 86400 300\n\
    @      3600 NS  ns1\n\
    ns1    A   198.18.0.2\n\
    server A   198.18.0.2\n\
    www    CNAME server\n\
    loop1  CNAME loop2\n\
    loop2  CNAME loop1\n\
    mail   MX  10 server\n\
    txt    TXT \"hello\" \"world\"\n";

fn check_response(query: &[u8], out: &[u8], limit: Option<usize>) {
    if let Some(limit) = limit {
        assert!(out.len() <= limit.max(512), "{} bytes over a {limit} limit", out.len());
    }
    let msg = Message::parse(out).expect("the responder wrote an unparsable message");
    assert!(msg.is_response());
    if query.len() >= 2 {
        assert_eq!(msg.id(), u16::from_be_bytes([query[0], query[1]]));
    }
    if limit.is_none() {
        assert!(!msg.flags().truncated(), "TC set over TCP");
    }
}

fn answer_both(responder: &Responder, query: &[u8], max_udp: usize) {
    let mut out = vec![0u8; 65_537];
    if let Ok(len) = responder.respond(query, &mut out, max_udp) {
        check_response(query, &out[..len], Some(max_udp));
    }
    if let Ok(len) = responder.respond_tcp(query, &mut out) {
        assert!(len >= 2);
        let framed = usize::from(u16::from_be_bytes([out[0], out[1]]));
        assert_eq!(framed + 2, len, "TCP length prefix disagrees with what was written");
        check_response(query, &out[2..len], None);
    }
}

fn query_for(name: &str, rtype: RecordType) -> Option<Vec<u8>> {
    let qname: NameBuf = name.parse().ok()?;
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 0x5151, Flags::QUERY).ok()?;
    b.question(qname.as_name(), rtype, Class::IN).ok()?;
    Some(b.finish().to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let Ok(text) = core::str::from_utf8(rest) else {
                return;
            };
            let Ok(zone) = Zone::parse(text) else {
                return;
            };
            let origin = zone.origin().to_string();
            let responder = Responder::new(zone);
            for rtype in [RecordType::A, RecordType::SOA, RecordType::ANY, RecordType::MX] {
                if let Some(q) = query_for(&origin, rtype) {
                    answer_both(&responder, &q, 512);
                }
            }
        }
        1 => {
            let zone = Zone::parse(ZONE).expect("the fixed zone loads");
            let responder = Responder::new(zone);
            let max_udp = 512 + usize::from(rest.first().copied().unwrap_or(0)) * 8;
            answer_both(&responder, rest, max_udp);
        }
        _ => {
            let zone = Zone::parse(ZONE).expect("the fixed zone loads");
            let responder = Responder::new(zone);
            let mut reader = StreamReader::new();
            for chunk in rest.chunks(7) {
                if !reader.push(chunk) {
                    break;
                }
                while let Some(message) = reader.next_message() {
                    answer_both(&responder, &message, 1232);
                }
            }
        }
    }
});
