//! Intentionally empty: this package exists so that `cargo metadata` can
//! locate the `linux-raw-sys` source for `gen.py`.
