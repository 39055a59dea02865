//! contact models.
