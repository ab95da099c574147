//! The JSON form: one flat object per frame keyed by Wireshark field names.

use serde_json::{Map, Value as Json};

use super::util::format_hex;
use super::{Dissection, Field, Value};

impl Dissection {
    /// The dissection as one JSON object.
    ///
    /// Keys are Wireshark display-filter field names; integers are JSON
    /// numbers, flags booleans, addresses and times strings as Wireshark
    /// prints them, byte fields lowercase hex. A field that occurs more
    /// than once in the frame (the quoted `ip.src` of an ICMP error, each
    /// TCP `tcp.option_kind`) becomes an array in frame order. A failed
    /// layer adds `"error": {"layer": …, "reason": …}`, `layer` being
    /// Wireshark's abbreviation of the protocol (`ip`, `tcp`, …).
    #[must_use]
    pub fn to_json(&self) -> Json {
        let mut map = Map::new();
        for p in &self.protocols {
            for f in &p.fields {
                insert(&mut map, f);
            }
        }
        if let Some(e) = &self.error {
            let mut err = Map::new();
            err.insert("layer".into(), Json::from(e.layer.name()));
            err.insert("reason".into(), Json::from(e.reason.clone()));
            map.insert("error".into(), Json::Object(err));
        }
        Json::Object(map)
    }
}

fn insert(map: &mut Map<String, Json>, field: &Field) {
    if let (Some(name), Some(value)) = (field.name, json_value(&field.value)) {
        match map.get_mut(name) {
            None => {
                map.insert(name.to_owned(), value);
            }
            // No single field's value is an array, so an array here is
            // one built below for a repeated field.
            Some(Json::Array(values)) => values.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Json::Array(vec![first, value]);
            }
        }
    }
    for child in &field.children {
        insert(map, child);
    }
}

fn json_value(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Uint(n) => Json::from(*n),
        Value::Bool(b) => Json::from(*b),
        Value::Text(s) => Json::from(s.clone()),
        Value::Bytes(b) => Json::from(format_hex(b)),
        Value::None => return None,
    })
}
