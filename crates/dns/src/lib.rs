//! Placeholder: the DNS codec and resolver land here.
