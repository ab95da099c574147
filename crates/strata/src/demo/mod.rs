//! `strata demo`: two hosts on an in-memory link, told as a story.
//!
//! - [`ladder`]: a TCP conversation as an SVG sequence diagram;
//! - [`layers`]: one frame's headers added on the way down and stripped on
//!   the way up.

pub mod ladder;
pub mod layers;
