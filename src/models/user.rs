//! user models.
