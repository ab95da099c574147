#![no_main]
//! The HTTP/1.1 pieces of `strata fetch` and `strata serve` on arbitrary
//! bytes: request and response heads, body framing, the chunked decoder
//! URLs and `Range` values. Nothing may panic; a parsed head must say how
//! many bytes it used (within the input), the chunked decoder must return
//! the same body however the input is split, and a byte range must lie
//! within the representation.

use libfuzzer_sys::fuzz_target;
use strata::cmd::fetch::Url;
use strata::cmd::http::{
    ChunkedDecoder, RangeAnswer, byte_range, parse_request, parse_response, request_body,
    response_body,
};

/// Decodes `input` fed in pieces of `step` bytes; returns the body and
/// whether the decoder finished, or None on a framing error.
fn dechunk(input: &[u8], step: usize) -> Option<(Vec<u8>, bool)> {
    let mut decoder = ChunkedDecoder::new();
    let mut body = Vec::new();
    let mut fed = 0;
    while fed < input.len() && !decoder.is_done() {
        let end = (fed + step).min(input.len());
        let mut piece = &input[fed..end];
        loop {
            let (used, data) = decoder.feed(piece).ok()?;
            assert!(used <= piece.len());
            body.extend_from_slice(data);
            piece = &piece[used..];
            fed += used;
            if used == 0 || piece.is_empty() || decoder.is_done() {
                break;
            }
        }
        if !piece.is_empty() && !decoder.is_done() {
            // The decoder stopped short of the piece without finishing:
            // it must have wanted nothing more from it.
            return None;
        }
    }
    Some((body, decoder.is_done()))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((request, used))) = parse_request(data) {
        assert!(used <= data.len());
        let _ = request_body(&request);
        let _ = request.keep_alive();
    }
    if let Ok(Some((response, used))) = parse_response(data) {
        assert!(used <= data.len());
        assert!((100..=999).contains(&response.status));
        let _ = response_body("GET", &response);
        let _ = response_body("HEAD", &response);
    }
    if let Some((whole, done)) = dechunk(data, data.len().max(1)) {
        if let Some((bytewise, done_bytewise)) = dechunk(data, 1) {
            assert_eq!(whole, bytewise, "chunked body depends on how the input is split");
            assert_eq!(done, done_bytewise);
        }
    }
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = text.parse::<Url>();
        // The first eight bytes (if any) as the representation's length,
        // the text as the Range value.
        let length = data
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(data.len() as u64, u64::from_le_bytes);
        for len in [length, 0, 1, 1000, u64::MAX] {
            match byte_range(Some(text), len) {
                RangeAnswer::Partial { first, last } => {
                    assert!(first <= last && last < len, "{text:?} on {len}: {first}-{last}");
                }
                RangeAnswer::Unsatisfiable => assert!(len > 0),
                RangeAnswer::Full => {}
            }
        }
    }
});
