//! The stub resolver (in progress: the state machine lands once the codec
//! API is in).
// The internal pieces are wired into the state machine in the next commits.
#![allow(dead_code)]

mod cache;
pub mod conf;
pub mod hosts;
pub mod name;
mod stream;
mod timer;
