//! Labelled `qcom,gunyah-message-queue` nodes.

mod common;

use common::*;
use gunyah_msgq::{CapId, Direction, Trigger};
use gunyah_msgq_dt::{DescError, DtError, LinkDesc, Tree};

fn msgq(name: &str, props: Vec<Prop>) -> Node {
    node(name, props, vec![])
}

/// The real RM tree plus `queues` under `/hypervisor`.
fn tree_with(queues: Vec<Node>) -> Vec<u8> {
    let mut children = vec![rm_node(rm_props()), vm_node()];
    children.extend(queues);
    blob(&root(vec![hypervisor(children)]))
}

fn all(blob: &[u8]) -> Vec<Result<LinkDesc, DtError>> {
    Tree::new(blob).unwrap().message_queues().collect()
}

#[test]
fn a_labelled_full_duplex_pair() {
    let blob = tree_with(vec![msgq("display-msgq-pair@10", msgq_props(3))]);
    let links = all(&blob);
    assert_eq!(
        links.len(),
        1,
        "the RM node is not a labelled queue: {links:?}"
    );
    let link = links[0].clone().unwrap();
    assert_eq!(link.label, 3);
    let tx = link.tx.unwrap();
    let rx = link.rx.unwrap();
    assert_eq!(
        (
            tx.direction,
            tx.cap,
            tx.intid,
            tx.trigger,
            tx.max_msg_size,
            tx.depth.get()
        ),
        (Direction::Tx, CapId(0x10), 35, Trigger::Edge, 512, 16)
    );
    assert_eq!(
        (
            rx.direction,
            rx.cap,
            rx.intid,
            rx.trigger,
            rx.max_msg_size,
            rx.depth.get()
        ),
        (Direction::Rx, CapId(0x11), 36, Trigger::Level, 100, 4)
    );
    assert_eq!(Tree::new(&blob).unwrap().message_queue(3), Ok(link));
    // Its configurations for an endpoint of 512-byte messages.
    let config = tx.tx_config::<512, _>(7u32).unwrap();
    assert_eq!(
        (config.cap, config.irq, config.trigger),
        (CapId(0x10), 7, Trigger::Edge)
    );
    assert_eq!(
        tx.tx_config::<511, _>(7u32).unwrap_err(),
        DescError::TooLarge {
            direction: Direction::Tx,
            size: 512,
            max: 511
        }
    );
    assert_eq!(rx.rx_config::<512, _>(8u32).unwrap().depth.get(), 4);
}

#[test]
fn a_sender_only_queue() {
    let props = [
        cells("reg", &[0x0, 0x20]),
        cells("interrupts", &[0, 5, 1]),
        Prop::Empty("qcom,is-sender"),
    ]
    .into_iter()
    .fold(without(msgq_props(7), "qcom,is-full-duplex"), with);
    let link = Tree::new(&tree_with(vec![msgq("tx-only", props)]))
        .unwrap()
        .message_queue(7)
        .unwrap();
    assert_eq!(link.rx, None);
    let tx = link.tx.unwrap();
    assert_eq!((tx.cap, tx.intid, tx.max_msg_size), (CapId(0x20), 37, 512));
}

#[test]
fn a_receiver_only_queue_takes_the_first_entries() {
    let props = [
        cells("reg", &[0x0, 0x21]),
        cells("interrupts", &[0, 6, 1]),
        Prop::Empty("qcom,is-receiver"),
    ]
    .into_iter()
    .fold(without(msgq_props(8), "qcom,is-full-duplex"), with);
    let link = Tree::new(&tree_with(vec![msgq("rx-only", props)]))
        .unwrap()
        .message_queue(8)
        .unwrap();
    assert_eq!(link.tx, None);
    let rx = link.rx.unwrap();
    assert_eq!(
        (rx.cap, rx.intid, rx.max_msg_size, rx.depth.get()),
        (CapId(0x21), 38, 100, 4)
    );
}

#[test]
fn sender_and_receiver_flags_make_a_pair() {
    let props = [
        Prop::Empty("qcom,is-sender"),
        Prop::Empty("qcom,is-receiver"),
    ]
    .into_iter()
    .fold(without(msgq_props(9), "qcom,is-full-duplex"), with);
    let link = Tree::new(&tree_with(vec![msgq("pair", props)]))
        .unwrap()
        .message_queue(9)
        .unwrap();
    assert_eq!(
        (link.tx.unwrap().cap, link.rx.unwrap().cap),
        (CapId(0x10), CapId(0x11))
    );
}

#[test]
fn sizes_default_like_the_rm_link() {
    let mut props = msgq_props(4);
    for name in [
        "qcom,tx-message-size",
        "qcom,rx-message-size",
        "qcom,tx-queue-depth",
        "qcom,rx-queue-depth",
    ] {
        props = without(props, name);
    }
    let link = Tree::new(&tree_with(vec![msgq("q", props)]))
        .unwrap()
        .message_queue(4)
        .unwrap();
    for q in [link.tx.unwrap(), link.rx.unwrap()] {
        assert_eq!((q.max_msg_size, q.depth.get()), (240, 8));
    }
}

#[test]
fn several_nodes_in_tree_order_and_lookup_by_label() {
    let other = with(msgq_props(5), cells("reg", &[0x0, 0x30, 0x0, 0x31]));
    let blob = tree_with(vec![msgq("a@10", msgq_props(3)), msgq("b@30", other)]);
    let labels: Vec<u32> = all(&blob).into_iter().map(|l| l.unwrap().label).collect();
    assert_eq!(labels, [3, 5]);
    let tree = Tree::new(&blob).unwrap();
    assert_eq!(tree.message_queue(5).unwrap().tx.unwrap().cap, CapId(0x30));
    assert_eq!(tree.message_queue(6), Err(DtError::NoNode));
}

#[test]
fn a_queue_anywhere_in_the_tree() {
    let deep = node(
        "soc",
        vec![cells("#address-cells", &[2]), cells("#size-cells", &[0])],
        vec![msgq("q@10", msgq_props(11))],
    );
    let tree = blob(&root(vec![deep]));
    assert_eq!(
        Tree::new(&tree).unwrap().message_queue(11).unwrap().label,
        11
    );
    assert_eq!(Tree::new(&tree).unwrap().rm_link(), Err(DtError::NoNode));
}

#[test]
fn a_node_without_direction() {
    let props = without(msgq_props(3), "qcom,is-full-duplex");
    let blob = tree_with(vec![msgq("q", props)]);
    assert_eq!(all(&blob), [Err(DtError::NoDirection)]);
    assert_eq!(
        Tree::new(&blob).unwrap().message_queue(3),
        Err(DtError::NoDirection)
    );
}

#[test]
fn a_node_without_label() {
    let blob = tree_with(vec![
        msgq("nolabel", without(msgq_props(0), "qcom,label")),
        msgq("q", msgq_props(3)),
    ]);
    let links = all(&blob);
    assert_eq!(
        links[0],
        Err(DtError::Missing {
            property: "qcom,label"
        })
    );
    // The iteration goes on past a bad node, and lookups pass over unlabelled ones.
    assert_eq!(links[1].clone().unwrap().label, 3);
    assert_eq!(Tree::new(&blob).unwrap().message_queue(3).unwrap().label, 3);
    // A label of two cells.
    let blob = tree_with(vec![msgq(
        "q",
        with(msgq_props(0), cells("qcom,label", &[0, 3])),
    )]);
    assert_eq!(
        all(&blob),
        [Err(DtError::BadLength {
            property: "qcom,label",
            len: 8,
            expected: 4
        })]
    );
}

#[test]
fn bad_labelled_nodes_give_their_errors() {
    let cases: Vec<(Vec<Prop>, DtError)> = vec![
        (
            without(msgq_props(3), "reg"),
            DtError::Missing { property: "reg" },
        ),
        (
            with(msgq_props(3), cells("reg", &[0, 0x10])),
            DtError::BadLength {
                property: "reg",
                len: 8,
                expected: 16,
            },
        ),
        (
            without(msgq_props(3), "interrupts"),
            DtError::Missing {
                property: "interrupts",
            },
        ),
        (
            with(msgq_props(3), cells("interrupts", &[0, 3, 1])),
            DtError::BadLength {
                property: "interrupts",
                len: 12,
                expected: 24,
            },
        ),
        (
            with(msgq_props(3), cells("interrupts", &[0, 3, 1, 1, 4, 1])),
            DtError::NotSpi {
                direction: Direction::Rx,
                kind: 1,
            },
        ),
        (
            with(msgq_props(3), cells("qcom,tx-message-size", &[0])),
            DtError::BadMessageSize {
                property: "qcom,tx-message-size",
                value: 0,
            },
        ),
        (
            with(msgq_props(3), cells("qcom,rx-queue-depth", &[300])),
            DtError::BadDepth {
                property: "qcom,rx-queue-depth",
                value: 300,
            },
        ),
    ];
    for (props, want) in cases {
        let blob = tree_with(vec![msgq("q", props)]);
        assert_eq!(all(&blob), [Err(want.clone())]);
        assert_eq!(Tree::new(&blob).unwrap().message_queue(3), Err(want));
    }
}

#[test]
fn too_deep_ends_the_iteration() {
    let mut deep = node("leaf", vec![], vec![]);
    for i in 0..20 {
        deep = node(&format!("n{i}"), vec![], vec![deep]);
    }
    let tree = blob(&root(vec![
        hypervisor(vec![msgq("q", msgq_props(3))]),
        deep,
    ]));
    let links = all(&tree);
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].clone().unwrap().label, 3);
    assert_eq!(links[1], Err(DtError::TooDeep));
}

#[test]
fn the_iterator_says_what_it_is() {
    let blob = primary_vm_tree();
    let tree = Tree::new(&blob).unwrap();
    assert_eq!(
        format!("{:?}", tree.message_queues()),
        "MessageQueues { .. }"
    );
}
