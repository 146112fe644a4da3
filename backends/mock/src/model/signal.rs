//! What an operation does to a queue's two vIRQ sources, reported instead of acted on.

use gunyah_msgq::RawOutput;

/// One of a queue's two vIRQ sources.
///
/// A queue's **TX** line belongs to the VM that sends into it (it fires when room appears); its
/// **RX** line belongs to the VM that receives from it (it fires when messages arrive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineKind {
    /// The sender's line (the hypervisor's `send_source`).
    Tx,
    /// The receiver's line (the hypervisor's `rcv_source`).
    Rx,
}

impl LineKind {
    /// Both kinds, TX first.
    pub const ALL: [LineKind; 2] = [LineKind::Tx, LineKind::Rx];

    /// 0 for TX, 1 for RX: an index into per-line arrays.
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            LineKind::Tx => 0,
            LineKind::Rx => 1,
        }
    }
}

/// What an operation did to one vIRQ source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LineSignal {
    /// Nothing.
    #[default]
    Idle,
    /// `virq_assert`: an edge (or, on a level line, the start of a level).
    Assert,
    /// `virq_clear`: a pending, undelivered edge is withdrawn (flush clears RX; a threshold
    /// change can clear either line).
    Clear,
}

/// The vIRQ signals one operation raised on its queue. The model never calls a handler: whoever
/// owns the lines (the std layer, an EL2 model) applies these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Edges {
    /// The queue's TX (sender's) line.
    pub tx: LineSignal,
    /// The queue's RX (receiver's) line.
    pub rx: LineSignal,
}

impl Edges {
    /// No signal on either line.
    pub const NONE: Edges = Edges {
        tx: LineSignal::Idle,
        rx: LineSignal::Idle,
    };

    /// Only the TX line, with `signal`.
    #[must_use]
    pub const fn tx(signal: LineSignal) -> Edges {
        Edges {
            tx: signal,
            rx: LineSignal::Idle,
        }
    }

    /// Only the RX line, with `signal`.
    #[must_use]
    pub const fn rx(signal: LineSignal) -> Edges {
        Edges {
            tx: LineSignal::Idle,
            rx: signal,
        }
    }

    /// The signal on line `kind`.
    #[must_use]
    pub const fn get(self, kind: LineKind) -> LineSignal {
        match kind {
            LineKind::Tx => self.tx,
            LineKind::Rx => self.rx,
        }
    }

    /// Whether the TX line was asserted.
    #[must_use]
    pub const fn tx_asserted(self) -> bool {
        matches!(self.tx, LineSignal::Assert)
    }

    /// Whether the RX line was asserted.
    #[must_use]
    pub const fn rx_asserted(self) -> bool {
        matches!(self.rx, LineSignal::Assert)
    }
}

/// The result of one queue operation: the output registers and the vIRQ signals it raised.
#[must_use]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Output {
    /// The registers the hypervisor returns to the caller.
    pub raw: RawOutput,
    /// The vIRQ signals, to be applied by the owner of the lines.
    pub edges: Edges,
}

impl Output {
    /// An output with no vIRQ signal.
    pub const fn quiet(raw: RawOutput) -> Output {
        Output {
            raw,
            edges: Edges::NONE,
        }
    }
}
