//! schedule models.
