//! Properties of the responder over generated queries: it answers every
//! well-formed query with a well-formed response that echoes the ID, the
//! opcode, RD and the question, fits the size limit, and is truncated only
//! when the full answer would not fit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use strata_dns::server::{Responder, Zone};
use strata_dns::wire::{Builder, Class, Edns, Flags, Message, NameBuf, RDataRepr, RecordType};

fn responder() -> Responder {
    let mut zone = Zone::parse(
        "$ORIGIN example.test.\n\
         @ 3600 SOA ns1 hostmaster 1 3600 600 86400 60\n\
         @ NS ns1\n\
         ns1 A 198.18.0.53\n\
         a A 198.18.0.1\n\
         b CNAME a\n\
         c CNAME b\n",
    )
    .unwrap();
    for i in 0..30u8 {
        zone.add(
            "big.example.test".parse().unwrap(),
            60,
            RDataRepr::Txt(vec![vec![b'x'; 60 + usize::from(i)]]),
        )
        .unwrap();
    }
    Responder::new(zone)
}

fn names() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("example.test".to_string()),
        Just("a.example.test".to_string()),
        Just("B.Example.Test".to_string()),
        Just("c.example.test".to_string()),
        Just("big.example.test".to_string()),
        Just("elsewhere.test".to_string()),
        "[a-z]{1,10}\\.example\\.test",
        "[a-z]{1,10}(\\.[a-z]{1,10}){0,3}",
    ]
}

fn types() -> impl Strategy<Value = RecordType> {
    prop_oneof![
        Just(RecordType::A),
        Just(RecordType::AAAA),
        Just(RecordType::CNAME),
        Just(RecordType::TXT),
        Just(RecordType::SOA),
        Just(RecordType::NS),
        Just(RecordType::ANY),
        any::<u16>().prop_map(RecordType),
    ]
}

proptest! {
    #[test]
    fn every_query_gets_a_consistent_answer(
        name in names(),
        qtype in types(),
        id in any::<u16>(),
        rd in any::<bool>(),
        edns in proptest::option::of(0u16..5000),
        max_udp in 0usize..3000,
    ) {
        let r = responder();
        let qname: NameBuf = name.parse().unwrap();
        let mut buf = [0u8; 512];
        let mut b = Builder::new(&mut buf, id, Flags(0).with_recursion_desired(rd)).unwrap();
        b.question(qname.as_name(), qtype, Class::IN).unwrap();
        if let Some(size) = edns {
            b.edns(&Edns::new(size)).unwrap();
        }
        let query = b.finish().to_vec();
        let mut out = vec![0u8; 65_535];
        let Ok(len) = r.respond(&query, &mut out, max_udp) else {
            // Only a limit too small for the question itself refuses.
            let opt = if edns.is_some() { 11 } else { 0 };
            let needed = 12 + qname.wire_len() + 4 + opt;
            prop_assert!(max_udp < needed, "refused with room {} >= {}", max_udp, needed);
            return Ok(());
        };
        let limit = match edns {
            Some(size) => usize::from(size).max(512),
            None => 512,
        }
        .min(max_udp);
        prop_assert!(len <= limit);
        let msg = Message::parse(&out[..len]).unwrap();
        prop_assert_eq!(msg.id(), id);
        prop_assert!(msg.is_response());
        prop_assert_eq!(msg.flags().recursion_desired(), rd);
        let q = msg.question().unwrap();
        prop_assert_eq!(q.name().to_string(), qname.to_string());
        prop_assert_eq!(q.qtype(), qtype);
        prop_assert_eq!(msg.edns().is_some(), edns.is_some());
        // Truncated only if TCP gets more.
        let mut full = vec![0u8; 65_537];
        let tcp_len = r.respond_tcp(&query, &mut full).unwrap();
        let whole = Message::parse(&full[2..tcp_len]).unwrap();
        prop_assert!(!whole.flags().truncated());
        prop_assert_eq!(whole.rcode(), msg.rcode());
        if msg.flags().truncated() {
            prop_assert!(whole.answer_count() > 0 && tcp_len - 2 > len);
            prop_assert_eq!(msg.answer_count(), 0);
        } else {
            prop_assert_eq!(msg.answer_count(), whole.answer_count());
        }
    }
}
