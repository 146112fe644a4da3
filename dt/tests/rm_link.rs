//! The resource manager's link: the real tree's shape, the EL2 model's, and every bad tree.

mod common;

use common::*;
use gunyah_msgq::{CapId, Direction, RM_MSG_SIZE, Trigger};
use gunyah_msgq_dt::{DescError, DtError, RmLink, Tree};

fn rm_link(blob: &[u8]) -> Result<RmLink, DtError> {
    Tree::new(blob)?.rm_link()
}

/// The link the real resource manager describes: TX cap 0, RX cap 1, INTIDs 960/961, edge,
/// 240 bytes, depth 8.
fn assert_real_link(link: &RmLink) {
    assert_eq!(link.tx.direction, Direction::Tx);
    assert_eq!(link.rx.direction, Direction::Rx);
    assert_eq!((link.tx.cap, link.rx.cap), (CapId(0), CapId(1)));
    assert_eq!((link.tx.intid, link.rx.intid), (960, 961));
    assert_eq!(
        (link.tx.trigger, link.rx.trigger),
        (Trigger::Edge, Trigger::Edge)
    );
    assert_eq!((link.tx.max_msg_size, link.rx.max_msg_size), (240, 240));
    assert_eq!((link.tx.depth.get(), link.rx.depth.get()), (8, 8));
}

#[test]
fn the_real_resource_managers_tree() {
    let blob = rm_tree(rm_props());
    let link = rm_link(&blob).unwrap();
    assert_real_link(&link);

    let (tx, rx) = link
        .configs::<RM_MSG_SIZE, _>("tx line", "rx line")
        .unwrap();
    assert_eq!(
        (tx.cap, tx.irq, tx.trigger, tx.max_msg_size),
        (CapId(0), "tx line", Trigger::Edge, 240)
    );
    assert_eq!(
        (rx.cap, rx.irq, rx.depth.get(), rx.max_msg_size),
        (CapId(1), "rx line", 8, 240)
    );
}

#[test]
fn the_el2_models_primary_vm_tree() {
    let link = rm_link(&primary_vm_tree()).unwrap();
    assert_real_link(&link);
}

#[test]
fn the_spec_shaped_node_is_found_by_compatible() {
    // Spec §5: `gunyah-resource-mgr@<RX cap>`, five compatible strings.
    let props = with(
        rm_props(),
        Prop::Strings(
            "compatible",
            vec![
                "gunyah-resource-manager",
                "qcom,resource-manager-1-0",
                "qcom,resource-manager",
                "qcom,gunyah-message-queue",
                "qcom,gunyah-capability",
            ],
        ),
    );
    let tree = blob(&root(vec![hypervisor(vec![node(
        "gunyah-resource-mgr@1",
        props,
        vec![],
    )])]));
    assert_real_link(&rm_link(&tree).unwrap());
    // It is the RM's, not a labelled queue.
    assert_eq!(Tree::new(&tree).unwrap().message_queues().count(), 0);
}

#[test]
fn absent_sizes_and_depths_default_to_240_and_8() {
    let mut props = rm_props();
    for name in [
        "qcom,tx-message-size",
        "qcom,rx-message-size",
        "qcom,tx-queue-depth",
        "qcom,rx-queue-depth",
        "qcom,is-full-duplex",
        "qcom,free-irq-start",
    ] {
        props = without(props, name);
    }
    assert_real_link(&rm_link(&rm_tree(props)).unwrap());
}

#[test]
fn sizes_depths_and_triggers_at_their_limits() {
    let props = [
        cells("interrupts", &[0, 0, 4, 0, 987, 1]),
        cells("qcom,tx-message-size", &[1023]),
        cells("qcom,rx-message-size", &[1]),
        cells("qcom,tx-queue-depth", &[255]),
        cells("qcom,rx-queue-depth", &[1]),
    ]
    .into_iter()
    .fold(rm_props(), with);
    let link = rm_link(&rm_tree(props)).unwrap();
    assert_eq!((link.tx.intid, link.tx.trigger), (32, Trigger::Level));
    assert_eq!((link.rx.intid, link.rx.trigger), (1019, Trigger::Edge));
    assert_eq!((link.tx.max_msg_size, link.rx.max_msg_size), (1023, 1));
    assert_eq!((link.tx.depth.get(), link.rx.depth.get()), (255, 1));
    // A level TX line stays level in the configuration.
    let (tx, _) = link.configs::<1023, _>((), ()).unwrap();
    assert_eq!(tx.trigger, Trigger::Level);
}

#[test]
fn capabilities_use_both_address_cells() {
    let props = with(
        rm_props(),
        cells("reg", &[0x1, 0x2, 0xffff_ffff, 0xffff_fffe]),
    );
    let link = rm_link(&rm_tree(props)).unwrap();
    assert_eq!(link.tx.cap, CapId(0x1_0000_0002));
    assert_eq!(link.rx.cap, CapId(0xffff_ffff_ffff_fffe));
}

#[test]
fn one_address_cell_parent() {
    let mut hyp = hypervisor(vec![rm_node(with(rm_props(), cells("reg", &[0x10, 0x11])))]);
    hyp.props = with(hyp.props, cells("#address-cells", &[1]));
    let link = rm_link(&blob(&root(vec![hyp]))).unwrap();
    assert_eq!((link.tx.cap, link.rx.cap), (CapId(0x10), CapId(0x11)));
}

#[test]
fn a_blob_inside_a_larger_window() {
    let mut window = rm_tree(rm_props());
    window.resize(window.len() + 4096, 0xa5);
    assert_real_link(&rm_link(&window).unwrap());
    assert_eq!(Tree::total_size(&window).unwrap(), window.len() - 4096);
}

// ---- Bad trees: each gives exactly its error. ----

#[test]
fn no_rm_node() {
    let no_rm = blob(&root(vec![hypervisor(vec![vm_node()])]));
    assert_eq!(rm_link(&no_rm), Err(DtError::NoNode));
    assert_eq!(rm_link(&blob_of_root_only()), Err(DtError::NoNode));
}

fn blob_of_root_only() -> Vec<u8> {
    blob(&root(vec![]))
}

#[test]
fn missing_reg() {
    assert_eq!(
        rm_link(&rm_tree(without(rm_props(), "reg"))),
        Err(DtError::Missing { property: "reg" })
    );
}

#[test]
fn short_reg() {
    // One capability only.
    assert_eq!(
        rm_link(&rm_tree(with(rm_props(), cells("reg", &[0, 0])))),
        Err(DtError::BadLength {
            property: "reg",
            len: 8,
            expected: 16
        })
    );
    // A cell short.
    assert_eq!(
        rm_link(&rm_tree(with(rm_props(), cells("reg", &[0, 0, 0])))),
        Err(DtError::BadLength {
            property: "reg",
            len: 12,
            expected: 16
        })
    );
    // Empty.
    assert_eq!(
        rm_link(&rm_tree(with(rm_props(), Prop::Empty("reg")))),
        Err(DtError::BadLength {
            property: "reg",
            len: 0,
            expected: 16
        })
    );
}

#[test]
fn reg_read_with_the_wrong_parent_cells() {
    // Directly under a `virt` root (#size-cells = <2>): one (address, size) entry, not two
    // capabilities.
    let under_root = blob(&root(vec![rm_node(rm_props())]));
    assert_eq!(
        rm_link(&under_root),
        Err(DtError::BadLength {
            property: "reg",
            len: 16,
            expected: 32
        })
    );
    // A parent without #size-cells (default 1).
    let mut hyp = hypervisor(vec![rm_node(rm_props())]);
    hyp.props = without(hyp.props, "#size-cells");
    assert_eq!(
        rm_link(&blob_with_root(hyp)),
        Err(DtError::BadLength {
            property: "reg",
            len: 16,
            expected: 24
        })
    );
}

fn blob_with_root(child: Node) -> Vec<u8> {
    blob(&root(vec![child]))
}

#[test]
fn parent_cells_that_cannot_hold_a_capability() {
    let mut hyp = hypervisor(vec![rm_node(rm_props())]);
    hyp.props = with(hyp.props, cells("#address-cells", &[3]));
    assert_eq!(
        rm_link(&blob_with_root(hyp)),
        Err(DtError::BadCells {
            address_cells: 3,
            size_cells: 0
        })
    );
    let mut hyp = hypervisor(vec![rm_node(rm_props())]);
    hyp.props = with(hyp.props, cells("#address-cells", &[0]));
    assert_eq!(
        rm_link(&blob_with_root(hyp)),
        Err(DtError::BadCells {
            address_cells: 0,
            size_cells: 0
        })
    );
    let mut hyp = hypervisor(vec![rm_node(rm_props())]);
    hyp.props = with(hyp.props, cells("#size-cells", &[0, 0]));
    assert_eq!(
        rm_link(&blob_with_root(hyp)),
        Err(DtError::BadLength {
            property: "#size-cells",
            len: 8,
            expected: 4
        })
    );
}

#[test]
fn missing_interrupts() {
    assert_eq!(
        rm_link(&rm_tree(without(rm_props(), "interrupts"))),
        Err(DtError::Missing {
            property: "interrupts"
        })
    );
}

#[test]
fn short_interrupts() {
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("interrupts", &[0, 0x3a0, 1])
        ))),
        Err(DtError::BadLength {
            property: "interrupts",
            len: 12,
            expected: 24
        })
    );
    // Two-cell specifiers.
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("interrupts", &[0x3a0, 1, 0x3a1, 1])
        ))),
        Err(DtError::BadLength {
            property: "interrupts",
            len: 16,
            expected: 24
        })
    );
}

#[test]
fn interrupt_that_is_not_an_spi() {
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("interrupts", &[1, 0x3a0, 1, 0, 0x3a1, 1])
        ))),
        Err(DtError::NotSpi {
            direction: Direction::Tx,
            kind: 1
        })
    );
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("interrupts", &[0, 0x3a0, 1, 2, 0x3a1, 1])
        ))),
        Err(DtError::NotSpi {
            direction: Direction::Rx,
            kind: 2
        })
    );
}

#[test]
fn spi_past_the_last_intid() {
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("interrupts", &[0, 988, 1, 0, 0x3a1, 1])
        ))),
        Err(DtError::BadSpi {
            direction: Direction::Tx,
            spi: 988
        })
    );
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("interrupts", &[0, 0, 1, 0, u32::MAX, 1])
        ))),
        Err(DtError::BadSpi {
            direction: Direction::Rx,
            spi: u32::MAX
        })
    );
}

#[test]
fn interrupt_trigger_that_a_gic_spi_cannot_have() {
    for flags in [0, 2, 8, 3, 0x101] {
        assert_eq!(
            rm_link(&rm_tree(with(
                rm_props(),
                cells("interrupts", &[0, 1, 1, 0, 2, flags])
            ))),
            Err(DtError::BadTrigger {
                direction: Direction::Rx,
                flags
            })
        );
    }
}

#[test]
fn message_size_of_zero_or_above_1023() {
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("qcom,tx-message-size", &[0])
        ))),
        Err(DtError::BadMessageSize {
            property: "qcom,tx-message-size",
            value: 0
        })
    );
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("qcom,rx-message-size", &[1024])
        ))),
        Err(DtError::BadMessageSize {
            property: "qcom,rx-message-size",
            value: 1024
        })
    );
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("qcom,rx-message-size", &[u32::MAX])
        ))),
        Err(DtError::BadMessageSize {
            property: "qcom,rx-message-size",
            value: u32::MAX
        })
    );
    // Two cells are not a size.
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("qcom,tx-message-size", &[0, 240])
        ))),
        Err(DtError::BadLength {
            property: "qcom,tx-message-size",
            len: 8,
            expected: 4
        })
    );
}

#[test]
fn depth_of_zero_or_above_255() {
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("qcom,tx-queue-depth", &[0])
        ))),
        Err(DtError::BadDepth {
            property: "qcom,tx-queue-depth",
            value: 0
        })
    );
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            cells("qcom,rx-queue-depth", &[256])
        ))),
        Err(DtError::BadDepth {
            property: "qcom,rx-queue-depth",
            value: 256
        })
    );
    assert_eq!(
        rm_link(&rm_tree(with(
            rm_props(),
            Prop::Bytes("qcom,rx-queue-depth", vec![8])
        ))),
        Err(DtError::BadLength {
            property: "qcom,rx-queue-depth",
            len: 1,
            expected: 4
        })
    );
}

#[test]
fn message_size_above_the_endpoints_max() {
    let link = rm_link(&rm_tree(rm_props())).unwrap();
    assert_eq!(
        link.configs::<239, _>((), ()).unwrap_err(),
        DescError::TooLarge {
            direction: Direction::Tx,
            size: 240,
            max: 239
        }
    );
    // Only the RX queue too large: the endpoint could never receive its head message.
    let link = rm_link(&rm_tree(with(
        rm_props(),
        cells("qcom,rx-message-size", &[1000]),
    )))
    .unwrap();
    assert_eq!(
        link.configs::<RM_MSG_SIZE, _>((), ()).unwrap_err(),
        DescError::TooLarge {
            direction: Direction::Rx,
            size: 1000,
            max: 240
        }
    );
    assert_eq!(
        link.rx.rx_config::<999, _>(()).unwrap_err(),
        DescError::TooLarge {
            direction: Direction::Rx,
            size: 1000,
            max: 999
        }
    );
    assert!(link.rx.rx_config::<1000, _>(()).is_ok());
}

#[test]
fn a_configuration_of_the_other_direction() {
    let link = rm_link(&rm_tree(rm_props())).unwrap();
    assert_eq!(
        link.rx.tx_config::<240, _>(()).unwrap_err(),
        DescError::WrongDirection {
            expected: Direction::Tx,
            found: Direction::Rx
        }
    );
    assert_eq!(
        link.tx.rx_config::<240, _>(()).unwrap_err(),
        DescError::WrongDirection {
            expected: Direction::Rx,
            found: Direction::Tx
        }
    );
}

#[test]
fn nodes_nested_too_deep() {
    // 20 levels of nesting before the RM node in tree order.
    let mut deep = node("leaf", vec![], vec![]);
    for i in 0..20 {
        deep = node(&format!("n{i}"), vec![], vec![deep]);
    }
    let too_deep = blob(&root(vec![deep, hypervisor(vec![rm_node(rm_props())])]));
    assert_eq!(rm_link(&too_deep), Err(DtError::TooDeep));
    // As deep as the walk goes is fine.
    let mut deep = node("leaf", vec![], vec![]);
    for i in 0..gunyah_msgq_dt::MAX_DEPTH - 1 {
        deep = node(&format!("n{i}"), vec![], vec![deep]);
    }
    let blob = blob(&root(vec![deep, hypervisor(vec![rm_node(rm_props())])]));
    assert_real_link(&rm_link(&blob).unwrap());
}

// ---- Malformed blobs. ----

#[test]
fn bad_magic() {
    let mut blob = rm_tree(rm_props());
    blob[0] = 0;
    assert_eq!(
        rm_link(&blob),
        Err(DtError::BadMagic { magic: 0x000d_feed })
    );
}

#[test]
fn truncated_blob() {
    let blob = rm_tree(rm_props());
    let len = blob.len();
    assert_eq!(
        rm_link(&blob[..len - 1]),
        Err(DtError::Truncated {
            len: len - 1,
            total_size: len as u32
        })
    );
    assert_eq!(
        rm_link(&blob[..7]),
        Err(DtError::Truncated {
            len: 7,
            total_size: 0
        })
    );
    assert_eq!(
        rm_link(&[]),
        Err(DtError::Truncated {
            len: 0,
            total_size: 0
        })
    );
}

#[test]
fn malformed_structure() {
    let blob = rm_tree(rm_props());
    let off_struct = u32::from_be_bytes(blob[8..12].try_into().unwrap()) as usize;
    // The root's FDT_BEGIN_NODE token made unknown.
    let mut bad = blob.clone();
    bad[off_struct + 3] = 0x7f;
    let err = rm_link(&bad).unwrap_err();
    assert!(matches!(err, DtError::Malformed(_)), "{err:?}");
    // The parser's own message follows the prefix, in Display and in Debug.
    let shown = err.to_string();
    assert!(shown.starts_with("malformed device tree: "), "{err}");
    assert!(shown.len() > "malformed device tree: ".len() + 3, "{err}");
    let DtError::Malformed(inner) = &err else {
        unreachable!()
    };
    assert_eq!(format!("{inner:?}"), format!("MalformedTree({inner})"));
    assert!(format!("{inner:?}").len() > "MalformedTree()".len() + 3);
    // A header whose totalsize is smaller than a header.
    let mut bad = blob.clone();
    bad[4..8].copy_from_slice(&16u32.to_be_bytes());
    assert!(matches!(rm_link(&bad), Err(DtError::Malformed(_))));
    // The strings block pointing past the end.
    let mut bad = blob;
    bad[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(rm_link(&bad), Err(DtError::Malformed(_))));
}

#[test]
fn every_error_displays() {
    let errors = [
        DtError::Truncated {
            len: 1,
            total_size: 2,
        },
        DtError::BadMagic { magic: 1 },
        DtError::TooDeep,
        DtError::NoNode,
        DtError::Missing { property: "reg" },
        DtError::BadLength {
            property: "reg",
            len: 1,
            expected: 2,
        },
        DtError::BadCells {
            address_cells: 3,
            size_cells: 0,
        },
        DtError::NoDirection,
        DtError::NotSpi {
            direction: Direction::Tx,
            kind: 1,
        },
        DtError::BadSpi {
            direction: Direction::Rx,
            spi: 1000,
        },
        DtError::BadTrigger {
            direction: Direction::Rx,
            flags: 2,
        },
        DtError::BadMessageSize {
            property: "p",
            value: 0,
        },
        DtError::BadDepth {
            property: "p",
            value: 0,
        },
        DtError::Desc(DescError::TooLarge {
            direction: Direction::Rx,
            size: 2,
            max: 1,
        }),
    ];
    for e in errors {
        assert!(!e.to_string().is_empty());
        let _: &dyn core::error::Error = &e;
    }
}

#[test]
fn a_description_error_converts_and_keeps_its_source() {
    use core::error::Error as _;
    let desc = DescError::WrongDirection {
        expected: Direction::Tx,
        found: Direction::Rx,
    };
    let e = DtError::from(desc);
    assert_eq!(e, DtError::Desc(desc));
    assert_eq!(
        e.to_string(),
        "bad queue description: a Rx queue where a Tx queue is needed"
    );
    assert_eq!(e.source().unwrap().to_string(), desc.to_string());
    assert!(DtError::NoNode.source().is_none());
}
