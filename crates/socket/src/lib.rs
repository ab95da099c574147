//! The socket table and the socket API (work in progress).
#![forbid(unsafe_code)]
