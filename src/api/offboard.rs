//! offboard calls.
