//! DNS for strata: a zero-copy message codec ([`wire`]) and a sans-IO stub
//! resolver ([`resolver`]).
//!
//! (The crate-level example lands with the codec.)

pub mod resolver;
pub mod wire;
