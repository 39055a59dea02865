//! users calls.
