//! Shared helpers for the workspace's tests and examples.
