//! The `no_std` core of seccomp-policy: what a filter is made of and how it
//! is built, with no dependency and no allocation.
//!
//! - [`bpf`]: classic-BPF instructions as the kernel reads them, and the
//!   fixed-size [`Program`] buffer.
//! - [`arch`]: the supported architectures and how the kernel names them.
//! - [`rule`]: the rule IR: actions, argument comparisons, rules and the
//!   rule sets of a policy's tables, with their meaning as plain code.
//! - [`builder`]: the `const fn` that turns rule sets into a filter program.
//! - [`policy`]: the const tables the `seccomp_policy!` macro emits, and the
//!   selection of a cap set's numbers for the builder.
//! - [`reach`]: the files and TCP ports a table lets a payload reach, which
//!   the run time enforces with Landlock.
//! - [`errno`]: every errno's name and number per architecture, both ways
//!   (generated).
//! - [`syscalls`]: every syscall's name and number per architecture
//!   (generated), and [`sorted`], the pointer-free shape of every
//!   generated table and its look-up by name.
//! - [`text`]: user text (names, excerpts, paths) as messages quote it:
//!   escaped and of bounded length.
//! - `sim` (feature `sim`): a seccomp BPF interpreter and verifier with the
//!   kernel's rules, for tests and tools; it can report the path a call
//!   takes (`sim::run_traced`).
//! - `disasm` (feature `sim`): a disassembler that prints a program one
//!   instruction a line, with jump targets and what each test means.
//!
//! Users normally depend on the `seccomp-policy` crate, which re-exports all
//! of this beside the macro and the run-time installer.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

/// The crate's README; its Rust examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

pub mod arch;
pub mod bpf;
pub mod builder;
#[cfg(any(test, feature = "sim"))]
pub mod disasm;
pub mod errno;
pub mod policy;
pub mod reach;
pub mod rule;
#[cfg(any(test, feature = "sim"))]
pub mod sim;
pub mod sorted;
pub mod syscalls;
pub mod text;

pub use arch::Arch;
pub use bpf::{Program, SockFilter};
pub use rule::Action;
