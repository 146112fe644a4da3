//! Logs of accepted and received sequence numbers, and their comparison: the evidence that no
//! accepted message was lost, duplicated or reordered.

/// The sender's log: sequence numbers of messages the queue accepted (`Sent`), in order, each
/// with a count of how often the receiver saw it.
pub struct Ledger<const N: usize> {
    accepted: [u32; N],
    hits: [u16; N],
    len: usize,
    tally: Tally,
    last_received: Option<u32>,
}

/// The comparison of a [`Ledger`]'s two sides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Accepted messages the receiver never saw (counted by [`Ledger::tally`]).
    pub lost: u32,
    /// Extra deliveries of a message already received.
    pub duplicated: u32,
    /// Messages received before one accepted earlier.
    pub reordered: u32,
    /// Received messages that were never accepted (sent although reported failed), or whose
    /// body did not match their stamp.
    pub phantom: u32,
}

impl Tally {
    /// Whether every accepted message arrived exactly once, in order, and nothing else did.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        *self == Tally::default()
    }
}

/// The ledger has room for no more accepted messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerFull;

impl<const N: usize> Ledger<N> {
    /// An empty ledger for up to `N` accepted messages.
    #[must_use]
    pub const fn new() -> Self {
        Ledger {
            accepted: [0; N],
            hits: [0; N],
            len: 0,
            tally: Tally {
                lost: 0,
                duplicated: 0,
                reordered: 0,
                phantom: 0,
            },
            last_received: None,
        }
    }

    /// Records that the queue accepted message `seq`. Sequence numbers must increase.
    ///
    /// # Errors
    /// [`LedgerFull`] when `N` messages are recorded already.
    pub fn accepted(&mut self, seq: u32) -> Result<(), LedgerFull> {
        let slot = self.accepted.get_mut(self.len).ok_or(LedgerFull)?;
        *slot = seq;
        self.len += 1;
        Ok(())
    }

    /// How many messages were accepted.
    #[must_use]
    pub fn accepted_count(&self) -> usize {
        self.len
    }

    /// Records that the receiver got message `seq` (`None`: a message that failed to verify).
    pub fn received(&mut self, seq: Option<u32>) {
        let Some(seq) = seq else {
            self.tally.phantom += 1;
            return;
        };
        let Ok(index) = self.accepted[..self.len].binary_search(&seq) else {
            self.tally.phantom += 1;
            return;
        };
        let hits = &mut self.hits[index];
        *hits = hits.saturating_add(1);
        if *hits > 1 {
            self.tally.duplicated += 1;
        } else if self.last_received.is_some_and(|last| seq < last) {
            self.tally.reordered += 1;
        }
        self.last_received = Some(self.last_received.map_or(seq, |last| last.max(seq)));
    }

    /// The comparison so far: every accepted message not yet received counts as lost.
    #[must_use]
    pub fn tally(&self) -> Tally {
        let lost = self.hits[..self.len].iter().filter(|&&h| h == 0).count();
        Tally {
            lost: lost as u32,
            ..self.tally
        }
    }
}

impl<const N: usize> Default for Ledger<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(accepted: &[u32]) -> Ledger<16> {
        let mut l = Ledger::new();
        for &s in accepted {
            l.accepted(s).unwrap();
        }
        l
    }

    #[test]
    fn clean_stream() {
        let mut l = ledger(&[1, 2, 5]);
        for s in [1, 2, 5] {
            l.received(Some(s));
        }
        assert!(l.tally().is_clean());
        assert_eq!(l.accepted_count(), 3);
    }

    #[test]
    fn each_fault_is_counted() {
        let mut l = ledger(&[1, 2, 3, 4]);
        for s in [1, 3, 2, 3] {
            l.received(Some(s));
        }
        l.received(Some(9));
        l.received(None);
        assert_eq!(
            l.tally(),
            Tally {
                lost: 1,
                duplicated: 1,
                reordered: 1,
                phantom: 2
            }
        );
        assert!(!l.tally().is_clean());
    }

    #[test]
    fn full_ledger_is_an_error() {
        let mut l = Ledger::<1>::new();
        assert_eq!(l.accepted(1), Ok(()));
        assert_eq!(l.accepted(2), Err(LedgerFull));
    }
}
