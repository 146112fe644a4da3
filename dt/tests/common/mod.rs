//! Test trees, written with vm-fdt (no `dtc` needed).
#![allow(dead_code)]

use vm_fdt::FdtWriter;

/// A property of a test node.
#[derive(Clone, Debug)]
pub enum Prop {
    /// Big-endian u32 cells.
    Cells(&'static str, Vec<u32>),
    /// A string list.
    Strings(&'static str, Vec<&'static str>),
    /// An empty (boolean) property.
    Empty(&'static str),
    /// Raw bytes.
    Bytes(&'static str, Vec<u8>),
}

impl Prop {
    pub fn name(&self) -> &'static str {
        match self {
            Prop::Cells(n, _) | Prop::Strings(n, _) | Prop::Empty(n) | Prop::Bytes(n, _) => n,
        }
    }
}

pub fn cells(name: &'static str, values: &[u32]) -> Prop {
    Prop::Cells(name, values.to_vec())
}

/// A test node.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub props: Vec<Prop>,
    pub children: Vec<Node>,
}

pub fn node(name: &str, props: Vec<Prop>, children: Vec<Node>) -> Node {
    Node {
        name: name.to_string(),
        props,
        children,
    }
}

/// `props` without `name`.
pub fn without(mut props: Vec<Prop>, name: &str) -> Vec<Prop> {
    props.retain(|p| p.name() != name);
    props
}

/// `props` with `prop` instead of any property of its name.
pub fn with(props: Vec<Prop>, prop: Prop) -> Vec<Prop> {
    let mut props = without(props, prop.name());
    props.push(prop);
    props
}

fn write_node(w: &mut FdtWriter, n: &Node) {
    let handle = w.begin_node(&n.name).unwrap();
    for p in &n.props {
        match p {
            Prop::Cells(name, v) => w.property_array_u32(name, v).unwrap(),
            Prop::Strings(name, v) => w
                .property_string_list(name, v.iter().map(|s| s.to_string()).collect())
                .unwrap(),
            Prop::Empty(name) => w.property_null(name).unwrap(),
            Prop::Bytes(name, v) => w.property(name, v).unwrap(),
        }
    }
    for c in &n.children {
        write_node(w, c);
    }
    w.end_node(handle).unwrap();
}

/// The blob of the tree rooted at `root` (named "").
pub fn blob(root: &Node) -> Vec<u8> {
    let mut w = FdtWriter::new().unwrap();
    write_node(&mut w, root);
    w.finish().unwrap()
}

/// The RM node's properties exactly as the real resource manager writes them
/// (shared/gunyah-real/README.md).
pub fn rm_props() -> Vec<Prop> {
    vec![
        Prop::Strings(
            "compatible",
            vec![
                "gunyah-resource-manager",
                "qcom,resource-manager-1-0",
                "qcom,resource-manager",
            ],
        ),
        cells("reg", &[0x0, 0x0, 0x0, 0x1]),
        cells("interrupts", &[0, 0x3a0, 1, 0, 0x3a1, 1]),
        cells("qcom,tx-message-size", &[240]),
        cells("qcom,rx-message-size", &[240]),
        cells("qcom,tx-queue-depth", &[8]),
        cells("qcom,rx-queue-depth", &[8]),
        Prop::Empty("qcom,is-full-duplex"),
        cells("qcom,free-irq-start", &[960]),
    ]
}

/// The RM node, named as the real resource manager names it.
pub fn rm_node(props: Vec<Prop>) -> Node {
    node("qcom,resource-manager-rpc@0", props, vec![])
}

/// The `qcom,gunyah-vm` node (VMID 3).
pub fn vm_node() -> Node {
    node("qcom,gunyah-vm", vec![cells("qcom,vmid", &[3])], vec![])
}

/// `/hypervisor` as the resource manager writes it (`#address-cells = <2>`,
/// `#size-cells = <0>`), holding `children`.
pub fn hypervisor(children: Vec<Node>) -> Node {
    node(
        "hypervisor",
        vec![
            Prop::Strings(
                "compatible",
                vec![
                    "gunyah-hypervisor",
                    "qcom,gunyah-hypervisor-1.0",
                    "qcom,gunyah-hypervisor",
                    "simple-bus",
                ],
            ),
            cells("#address-cells", &[2]),
            cells("#size-cells", &[0]),
        ],
        children,
    )
}

/// A root like QEMU's `virt` (`#address-cells = <2>`, `#size-cells = <2>`) holding
/// `children`.
pub fn root(children: Vec<Node>) -> Node {
    node(
        "",
        vec![
            cells("#address-cells", &[2]),
            cells("#size-cells", &[2]),
            Prop::Strings("compatible", vec!["linux,dummy-virt"]),
        ],
        children,
    )
}

/// The real RM's tree: root, `/hypervisor`, the RM node with `props`, the VM node.
pub fn rm_tree(props: Vec<Prop>) -> Vec<u8> {
    blob(&root(vec![hypervisor(vec![rm_node(props), vm_node()])]))
}

/// The tree of `qemu-tests/dt/primary-vm.dts` (the EL2 model's primary VM).
pub fn primary_vm_tree() -> Vec<u8> {
    let gic = node(
        "intc@8000000",
        vec![
            Prop::Strings("compatible", vec!["arm,gic-v3"]),
            cells("#address-cells", &[2]),
            cells("#size-cells", &[2]),
            Prop::Empty("ranges"),
            cells("#interrupt-cells", &[3]),
            Prop::Empty("interrupt-controller"),
            cells("#redistributor-regions", &[1]),
            cells(
                "reg",
                &[
                    0x0,
                    0x0800_0000,
                    0x0,
                    0x10000,
                    0x0,
                    0x080a_0000,
                    0x0,
                    0xf6_0000,
                ],
            ),
            cells("interrupts", &[1, 9, 4]),
            cells("phandle", &[1]),
        ],
        vec![],
    );
    let root = node(
        "",
        vec![
            cells("#address-cells", &[2]),
            cells("#size-cells", &[2]),
            Prop::Strings("compatible", vec!["linux,dummy-virt"]),
            Prop::Strings("model", vec!["linux,dummy-virt"]),
            cells("interrupt-parent", &[1]),
        ],
        vec![
            node(
                "chosen",
                vec![Prop::Strings("stdout-path", vec!["/pl011@9000000"])],
                vec![],
            ),
            node(
                "memory@40000000",
                vec![
                    Prop::Strings("device_type", vec!["memory"]),
                    cells("reg", &[0x0, 0x4000_0000, 0x0, 0x4000_0000]),
                ],
                vec![],
            ),
            gic,
            node(
                "pl011@9000000",
                vec![
                    Prop::Strings("compatible", vec!["arm,pl011", "arm,primecell"]),
                    cells("reg", &[0x0, 0x0900_0000, 0x0, 0x1000]),
                    cells("interrupts", &[0, 1, 4]),
                ],
                vec![],
            ),
            hypervisor(vec![
                node(
                    "qcom,resource-manager-rpc@0",
                    vec![
                        Prop::Strings(
                            "compatible",
                            vec![
                                "gunyah-resource-manager",
                                "qcom,resource-manager-1-0",
                                "qcom,resource-manager",
                            ],
                        ),
                        // `reg = <0x0 0x0>, <0x0 0x1>;`: the same cells as the real tree's.
                        cells("reg", &[0x0, 0x0, 0x0, 0x1]),
                        cells("interrupts", &[0, 0x3a0, 1, 0, 0x3a1, 1]),
                        cells("qcom,tx-message-size", &[240]),
                        cells("qcom,rx-message-size", &[240]),
                        cells("qcom,tx-queue-depth", &[8]),
                        cells("qcom,rx-queue-depth", &[8]),
                        Prop::Empty("qcom,is-full-duplex"),
                        cells("qcom,free-irq-start", &[960]),
                    ],
                    vec![],
                ),
                vm_node(),
            ]),
        ],
    );
    blob(&root)
}

/// A labelled full-duplex message-queue node (Qualcomm's downstream binding shape).
pub fn msgq_props(label: u32) -> Vec<Prop> {
    vec![
        Prop::Strings(
            "compatible",
            vec!["qcom,gunyah-message-queue", "qcom,gunyah-capability"],
        ),
        Prop::Empty("qcom,is-full-duplex"),
        cells("qcom,tx-queue-depth", &[16]),
        cells("qcom,tx-message-size", &[512]),
        cells("qcom,rx-queue-depth", &[4]),
        cells("qcom,rx-message-size", &[100]),
        cells("interrupts", &[0, 3, 1, 0, 4, 4]),
        cells("reg", &[0x0, 0x10, 0x0, 0x11]),
        cells("qcom,label", &[label]),
    ]
}
