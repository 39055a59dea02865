//! Paginating streams over list calls.
