//! Resource handlers: one module per resource. Each builds [`ApiRequest`](crate::ApiRequest)s
//! and sends them through [`Client::send`](crate::Client::send); none builds HTTP by hand.

pub mod contacts;
pub mod offboard;
pub mod roles;
pub mod schedules;
pub mod teams;
pub mod users;
