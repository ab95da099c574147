//! Helpers shared by the codec's integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

/// Decodes a hex string (whitespace ignored).
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// The directory of captured messages.
pub fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures")
}

/// Every captured message: (file name, bytes), in capture order.
pub fn captures() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = hex(&std::fs::read_to_string(&path).unwrap());
            (name, bytes)
        })
        .collect()
}

/// The captured message whose file name starts with `prefix` (e.g. "02-").
pub fn capture(prefix: &str) -> Vec<u8> {
    let found: Vec<_> = captures()
        .into_iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "exactly one capture named {prefix}*");
    found.into_iter().next().unwrap().1
}
