//! Embedded in-memory Opsgenie simulator (feature `sim`).
