//! The RM-node reader on trees the hypervisor would not give: a node without the optional
//! properties (the defaults apply), and missing or malformed ones (each a typed
//! [`NodeError`], never a panic).

use core::fmt::Write;

use gunyah_msgq::Trigger;

use super::fdt::{Fdt, FdtError, Word};
use super::rm_node::{self, NodeError, RmLink};
use super::tree_builder::TreeBuilder;
use crate::check_eq;
use crate::report::{Fail, Note, Outcome, Report};

/// Runs every case.
pub fn run(r: &mut Report) {
    r.check("dt_rm_node_by_compatible_defaults_240_8", defaults);
    r.check("dt_no_rm_node_is_an_error", no_node);
    r.check("dt_bad_magic_is_an_error", bad_magic);
    r.check("dt_truncated_is_an_error", truncated);
    r.check("dt_bad_reg_is_an_error", bad_reg);
    r.check("dt_missing_interrupts_is_an_error", missing_interrupts);
    r.check("dt_ppi_not_spi_is_an_error", not_spi);
    r.check("dt_bad_sizes_are_errors", bad_sizes);
}

/// A root with `/hypervisor` (`#address-cells` 2, `#size-cells` 0) holding one node `name`
/// whose properties `props` adds.
fn tree(b: &mut TreeBuilder, name: &str, props: impl FnOnce(&mut TreeBuilder)) {
    b.begin("")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[2]);
    b.begin("hypervisor")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[0]);
    b.begin(name);
    props(b);
    b.end().end().end();
}

/// `reg` and `interrupts` as the real RM writes them.
fn link_props(b: &mut TreeBuilder) {
    b.cells("reg", &[0, 0, 0, 1])
        .cells("interrupts", &[0, 0x3A0, 1, 0, 0x3A1, 1]);
}

/// Reads the RM node of the tree `build` makes.
fn read(build: impl FnOnce(&mut TreeBuilder)) -> Result<Result<RmLink, NodeError>, Fail> {
    let mut b = TreeBuilder::new();
    build(&mut b);
    let blob = b.finish().ok_or(Fail {
        what: "test tree fits the builder",
        got: 0,
        want: 1,
    })?;
    Ok(Fdt::new(blob)
        .map_err(NodeError::Tree)
        .and_then(|fdt| rm_node::read(&fdt)))
}

/// Fails unless `got` is `Err(want)`.
fn expect(got: Result<RmLink, NodeError>, want: NodeError, note: &mut Note) -> Outcome {
    let _ = write!(note, "{got:?}");
    match got {
        Err(e) if e == want => Ok(()),
        _ => Err(Fail {
            what: "the expected NodeError",
            got: 0,
            want: 1,
        }),
    }
}

fn defaults(note: &mut Note) -> Outcome {
    // The spec's node name, found by its compatible string alone.
    let link = read(|b| {
        tree(b, "gunyah-resource-mgr@1", |b| {
            b.string("compatible", rm_node::COMPATIBLE);
            link_props(b);
        });
    })?
    .map_err(|e| {
        let _ = write!(note, "{e:?}");
        Fail {
            what: "node read",
            got: 0,
            want: 1,
        }
    })?;
    let _ = write!(note, "{link:?}");
    check_eq!(link.tx.msg_size, 240, "default TX message size");
    check_eq!(link.rx.msg_size, 240, "default RX message size");
    check_eq!(link.tx.depth.get(), 8, "default TX depth");
    check_eq!(link.rx.depth.get(), 8, "default RX depth");
    check_eq!(link.rx.cap.0, 1, "RX cap");
    check_eq!(link.rx.intid, 961, "RX INTID");
    check_eq!(link.tx.trigger == Trigger::Edge, true, "TX edge");
    Ok(())
}

fn no_node(note: &mut Note) -> Outcome {
    let got = read(|b| {
        tree(b, "something-else@0", |b| {
            b.string("compatible", "vendor,something-else");
            link_props(b);
        });
    })?;
    expect(got, NodeError::NoNode, note)
}

/// A valid tree with `corrupt` applied to its bytes (at most 2 KiB).
fn corrupted(corrupt: impl FnOnce(&mut [u8]) -> usize) -> Result<Result<RmLink, NodeError>, Fail> {
    let mut b = TreeBuilder::new();
    tree(&mut b, "qcom,resource-manager-rpc@0", link_props);
    let blob = b.finish().ok_or(Fail {
        what: "test tree fits the builder",
        got: 0,
        want: 1,
    })?;
    let mut copy = [0; 2048];
    let n = blob.len().min(copy.len());
    copy[..n].copy_from_slice(&blob[..n]);
    let len = corrupt(&mut copy[..n]);
    Ok(Fdt::new(&copy[..len])
        .map_err(NodeError::Tree)
        .and_then(|fdt| rm_node::read(&fdt)))
}

fn bad_magic(note: &mut Note) -> Outcome {
    let got = corrupted(|t| {
        t[0] = 0xDE;
        t.len()
    })?;
    expect(
        got,
        NodeError::Tree(FdtError::BadMagic(Word(0xDE0D_FEED))),
        note,
    )
}

fn truncated(note: &mut Note) -> Outcome {
    // The blob ends 8 bytes before its header's totalsize says.
    let mut total = 0;
    let got = corrupted(|t| {
        total = t.len() as u32;
        t.len() - 8
    })?;
    expect(got, NodeError::Tree(FdtError::BadSize(total)), note)
}

fn bad_reg(note: &mut Note) -> Outcome {
    let got = read(|b| {
        tree(b, "qcom,resource-manager-rpc@0", |b| {
            b.cells("reg", &[0, 0, 1])
                .cells("interrupts", &[0, 0x3A0, 1, 0, 0x3A1, 1]);
        });
    })?;
    expect(
        got,
        NodeError::BadLength {
            property: "reg",
            len: 12,
        },
        note,
    )
}

fn missing_interrupts(note: &mut Note) -> Outcome {
    let got = read(|b| {
        tree(b, "qcom,resource-manager-rpc@0", |b| {
            b.cells("reg", &[0, 0, 0, 1]);
        });
    })?;
    expect(got, NodeError::Missing("interrupts"), note)
}

fn not_spi(note: &mut Note) -> Outcome {
    let got = read(|b| {
        tree(b, "qcom,resource-manager-rpc@0", |b| {
            b.cells("reg", &[0, 0, 0, 1])
                .cells("interrupts", &[1, 0x3A0, 1, 0, 0x3A1, 1]);
        });
    })?;
    expect(got, NodeError::NotSpi(1), note)
}

fn bad_sizes(note: &mut Note) -> Outcome {
    let with = |prop: &'static str, value: u32| {
        read(|b| {
            tree(b, "qcom,resource-manager-rpc@0", |b| {
                link_props(b);
                b.cells(prop, &[value]);
            });
        })
    };
    expect(
        with("qcom,tx-message-size", 1024)?,
        NodeError::BadMessageSize {
            property: "qcom,tx-message-size",
            value: 1024,
        },
        note,
    )?;
    let _ = write!(note, "; ");
    expect(
        with("qcom,rx-queue-depth", 0)?,
        NodeError::BadDepth {
            property: "qcom,rx-queue-depth",
            value: 0,
        },
        note,
    )
}
