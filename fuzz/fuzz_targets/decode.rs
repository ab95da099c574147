#![no_main]
//! The `strata decode` dissector: any bytes, as an Ethernet frame or as a
//! captured frame of any link type, dissect without panicking; the JSON is
//! valid, round-trips through its text, and has the documented shape; the
//! tree renders every layer and field.

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

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check(&dissect(data));

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
