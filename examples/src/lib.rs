//! Examples of `gunyah-msgq` on the simulated hypervisor; see `examples/`.
//!
//! - `ping_pong`: two guests exchange messages of random sizes through a link with threaded
//!   interrupts: `cargo run -p gunyah-msgq-examples --example ping_pong -- --help`.
#![forbid(unsafe_code)]
