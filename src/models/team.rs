//! team models.
