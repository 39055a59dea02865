//! contacts calls.
