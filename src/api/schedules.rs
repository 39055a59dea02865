//! schedules calls.
