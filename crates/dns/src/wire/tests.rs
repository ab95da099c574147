//! Unit tests of the codec internals; end-to-end tests live in
//! `crates/dns/tests/`.
