//! Linker scripts: one for the EL2 model binary, one for the guest images (the tests).

use std::env;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join("link");
    println!("cargo:rerun-if-changed=link");
    println!(
        "cargo:rustc-link-arg-bin=el2-model=-T{}",
        dir.join("el2.ld").display()
    );
    println!(
        "cargo:rustc-link-arg-tests=-T{}",
        dir.join("guest.ld").display()
    );
}
