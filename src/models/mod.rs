//! Serde types of the REST API v2. Unknown fields are ignored and unknown enum
//! values are kept (never a decode failure).

pub mod common;
pub mod contact;
pub mod forwarding;
pub mod jsm_role;
pub mod role;
pub mod schedule;
pub mod team;
pub mod timezone;
pub mod user;
