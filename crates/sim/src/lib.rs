//! Placeholder: the deterministic network simulator lands here.
