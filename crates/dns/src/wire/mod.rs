//! The DNS message codec (in progress).
