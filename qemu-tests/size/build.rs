//! The guests' linker script (0x4100_0000, what the EL2 model and the real RM load); with
//! feature `paint` (stack.sh), the same plus the `.stack_sizes` section that
//! `-Z emit-stack-sizes` emits.

use std::env;
use std::path::PathBuf;

fn main() {
    let script = if env::var_os("CARGO_FEATURE_PAINT").is_some() {
        "stack.ld"
    } else {
        "guest.ld"
    };
    let link = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("../link")
        .join(script);
    println!("cargo:rerun-if-changed={}", link.display());
    println!("cargo:rustc-link-arg-bins=-T{}", link.display());
}
