//! The end-of-case check, for both deliveries: every message accepted each way arrived once
//! and in order, unless a flush or the shutdown accounts for it.

use std::collections::{HashMap, HashSet};

use proptest::test_runner::TestCaseError;

/// What the test saw of one direction.
#[derive(Default)]
pub struct Direction {
    /// Messages the hypervisor accepted, in order.
    pub accepted: Vec<Vec<u8>>,
    /// Messages that arrived, one list per way of receiving (each in its own order).
    pub arrived: [Vec<Vec<u8>>; 2],
    /// How many of `accepted` a successful flush may have dropped (all accepted before the
    /// last flush).
    pub flushed_before: usize,
    /// How many accepted messages are still in the hypervisor's queue at the end (a closed
    /// queue leaves them there): the last ones accepted.
    pub left_queued: usize,
}

impl Direction {
    /// Checks the direction; `name` labels the failure.
    pub fn check(&self, name: &str) -> Result<(), TestCaseError> {
        let seq_of: HashMap<&[u8], usize> = self
            .accepted
            .iter()
            .enumerate()
            .map(|(i, m)| (m.as_slice(), i))
            .collect();
        if seq_of.len() != self.accepted.len() {
            return Err(TestCaseError::fail(format!(
                "{name}: the case sent two equal messages; the ledger cannot tell them apart"
            )));
        }
        let mut seen = HashSet::new();
        for (way, list) in self.arrived.iter().enumerate() {
            let mut last = None;
            for m in list {
                let Some(&seq) = seq_of.get(m.as_slice()) else {
                    return Err(TestCaseError::fail(format!(
                        "{name}: a message arrived that was never accepted ({} bytes)",
                        m.len()
                    )));
                };
                if !seen.insert(seq) {
                    return Err(TestCaseError::fail(format!(
                        "{name}: message {seq} arrived twice"
                    )));
                }
                if last.is_some_and(|l| seq < l) {
                    return Err(TestCaseError::fail(format!(
                        "{name}: message {seq} arrived after a later one (way {way})"
                    )));
                }
                last = Some(seq);
            }
        }
        let still_queued = self.accepted.len() - self.left_queued;
        for seq in 0..self.accepted.len() {
            let accounted = seq < self.flushed_before || seq >= still_queued;
            if !seen.contains(&seq) && !accounted {
                return Err(TestCaseError::fail(format!(
                    "{name}: message {seq} of {} was lost (flush covers < {}, {} left queued)",
                    self.accepted.len(),
                    self.flushed_before,
                    self.left_queued
                )));
            }
        }
        Ok(())
    }
}
