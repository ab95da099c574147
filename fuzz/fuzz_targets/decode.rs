#![no_main]
//! The `strata decode` dissector: any bytes, as an Ethernet frame or as a
//! captured frame of any link type, dissect without panicking; the JSON is
//! valid, round-trips through its text, and has the documented shape; the
//! tree renders every layer and field. The same bytes are also sent to the
//! DNS dissector directly, as the payload of a UDP datagram and of a TCP
//! segment to port 53, so the fuzzer need not find valid lower headers to
//! reach it.

use std::time::Duration;

use strata::decode::{Dissection, Field, FrameMeta, LINKTYPE_ETHERNET, dissect, dissect_frame};
use strata::serde_json::{self, Value};

fn count_lines(fields: &[Field]) -> usize {
    fields.iter().map(|f| 1 + count_lines(&f.children)).sum()
}

fn check(d: &Dissection) {
    let json = d.to_json();
    let text = json.to_string();
    let back: Value = serde_json::from_str(&text).expect("decode JSON is valid");
    assert_eq!(back, json);

    let Value::Object(map) = &json else {
        panic!("a frame is a JSON object")
    };
    for (key, value) in map {
        let scalar = |v: &Value| matches!(v, Value::Number(_) | Value::Bool(_) | Value::String(_));
        match value {
            Value::Object(err) => {
                assert_eq!(key, "error");
                assert!(err["layer"].is_string() && err["reason"].is_string());
            }
            Value::Array(values) => assert!(values.len() >= 2 && values.iter().all(scalar)),
            v => assert!(scalar(v), "{key}: {v}"),
        }
    }
    assert_eq!(map.contains_key("error"), d.error.is_some());

    let tree = d.tree();
    let lines = d
        .protocols
        .iter()
        .map(|p| 1 + count_lines(&p.fields))
        .sum::<usize>()
        + usize::from(d.error.is_some());
    assert_eq!(tree.lines().count(), lines);
}

/// IP protocol numbers of the transports DNS rides on.
const UDP: u8 = 17;
const TCP: u8 = 6;

/// An Ethernet/IPv4 frame from 198.18.0.1 to 198.18.0.2 carrying `payload`
/// in a UDP datagram or TCP segment to port 53. Checksums are left zero:
/// a wrong one is a field value, and UDP's zero means none.
fn to_port_53(proto: u8, payload: &[u8]) -> Vec<u8> {
    let transport_len = if proto == UDP { 8 } else { 20 };
    let payload = &payload[..payload.len().min(65_535 - 20 - transport_len)];
    let ip_len = (20 + transport_len + payload.len()) as u16;
    let mut f = Vec::with_capacity(14 + usize::from(ip_len));
    f.extend_from_slice(&[
        0x02, 0, 0x5e, 0x12, 0, 2, 0x02, 0, 0x5e, 0x12, 0, 1, 0x08, 0x00,
    ]);
    f.extend_from_slice(&[0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0]);
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f.extend_from_slice(&[198, 18, 0, 1, 198, 18, 0, 2]);
    if proto == UDP {
        let udp_len = (8 + payload.len()) as u16;
        f.extend_from_slice(&[0x9c, 0x40, 0, 53]);
        f.extend_from_slice(&udp_len.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
    } else {
        // Sequence numbers, data offset 5, PSH+ACK, a window.
        f.extend_from_slice(&[
            0x9c, 0x40, 0, 53, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0x01, 0xf6,
        ]);
        f.extend_from_slice(&[0, 0, 0, 0]);
    }
    f.extend_from_slice(payload);
    f
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check(&dissect(data));

    for proto in [UDP, TCP] {
        let d = dissect(&to_port_53(proto, data));
        // The headers built around the bytes always parse: what fails, if
        // anything, is DNS.
        assert!(d.protocols.len() >= 3);
        if let Some(e) = &d.error {
            assert_eq!(e.layer.name(), "dns");
        }
        check(&d);
    }

    // The first byte picks a link type (mostly Ethernet), so the framing of
    // captured frames is exercised too.
    if let Some((&selector, frame)) = data.split_first() {
        let meta = FrameMeta {
            number: u64::from(selector),
            timestamp: Duration::from_micros(u64::from(selector) << 20),
            orig_len: frame.len() as u32 + u32::from(selector & 1),
            link_type: if selector < 0xf0 {
                LINKTYPE_ETHERNET
            } else {
                u32::from(selector)
            },
        };
        let d = dissect_frame(&meta, frame);
        assert_eq!(d.protocols.first().map(|p| p.abbrev), Some("frame"));
        check(&d);
    }
});
