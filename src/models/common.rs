//! common models.
