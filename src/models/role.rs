//! role models.
