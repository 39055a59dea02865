//! roles calls.
