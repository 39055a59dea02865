//! teams calls.
