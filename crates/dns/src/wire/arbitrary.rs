//! `arbitrary::Arbitrary` for the owned forms (in progress).
