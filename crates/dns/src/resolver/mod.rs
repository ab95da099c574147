//! The stub resolver (in progress).
