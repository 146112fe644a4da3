//! Examples of `gunyah-msgq` on the simulated hypervisor; see `examples/`.
//!
//! - `ping_pong`: two guests exchange messages of random sizes through a link with threaded
//!   interrupts: `cargo run -p gunyah-msgq-examples --example ping_pong -- --help`.
//! - `rm_hello`: a guest asks the simulated resource manager for its VM id and its queues with
//!   `gunyah-rm-rpc`: `cargo run -p gunyah-msgq-examples --example rm_hello -- --help`.
#![forbid(unsafe_code)]

/// The README's Rust blocks, compiled and run as doctests (`cargo test --doc`). Only under
/// `cfg(doctest)`: the README lies outside this package, and a normal build never reads it.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
