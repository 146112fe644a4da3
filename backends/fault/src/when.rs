//! Triggers: on which counted call a script fires.
//!
//! A script counts only the calls it can apply to (see [`Script`](crate::Script)), from one
//! on. The count advances on every such call whether or not the script fires or is shadowed
//! by an earlier one, so "call N" always means the N-th call of that kind the core made.

use crate::rng::{Chance, Draws};

/// When a script fires, by the 1-based count of the calls it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum When {
    /// Only the N-th call. `Call(0)` never fires.
    Call(u32),
    /// Calls N, 2N, 3N, … `EveryNth(0)` never fires; `EveryNth(1)` is every call.
    EveryNth(u32),
    /// Every call from the N-th on (`From(0)` and `From(1)` both mean every call): the way to
    /// say "forever", for example a receive that stays stuck.
    From(u32),
    /// Each call with probability `chance`, drawn from a generator seeded with `seed`. The same
    /// seed gives the same fired calls on every run.
    Random {
        /// The probability of firing on each counted call.
        chance: Chance,
        /// The generator's seed.
        seed: u64,
    },
}

impl When {
    /// Every call.
    pub const ALWAYS: When = When::From(1);

    /// Each call with probability `p` (clamped to `0.0..=1.0`, NaN = never), seeded.
    #[must_use]
    pub fn probability(p: f64, seed: u64) -> When {
        When::Random {
            chance: Chance::new(p),
            seed,
        }
    }
}

/// A trigger's live state: the count of calls seen, its generator and its firing budget.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    when: When,
    /// Calls counted so far. `u64`: it never wraps in any test, however long.
    seen: u64,
    /// Only for [`When::Random`].
    draws: Option<Draws>,
    /// How many more times the script may fire.
    budget: u32,
    /// How many times its action was applied.
    pub(crate) fired: u32,
}

impl Rule {
    pub(crate) fn new(when: When, limit: Option<u32>) -> Rule {
        Rule {
            when,
            seen: 0,
            draws: match when {
                When::Random { seed, .. } => Some(Draws::new(seed)),
                _ => None,
            },
            budget: limit.unwrap_or(u32::MAX),
            fired: 0,
        }
    }

    /// Counts one call and says whether the trigger matches it. The generator draws on every
    /// counted call, even with the budget spent, so the draws stay tied to the call count.
    pub(crate) fn step(&mut self) -> bool {
        self.seen += 1;
        let n = self.seen;
        let matched = match self.when {
            When::Call(k) => n == u64::from(k),
            When::EveryNth(k) => k != 0 && n % u64::from(k) == 0,
            When::From(k) => n >= u64::from(k),
            When::Random { chance, .. } => self.draws.as_mut().is_some_and(|d| d.hit(chance)),
        };
        matched && self.budget > 0
    }

    /// Records that the action was applied on the call `step` just matched.
    pub(crate) fn record(&mut self) {
        self.budget = self.budget.saturating_sub(1);
        self.fired = self.fired.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// The 1-based calls among the first `n` on which `rule` fires (always applied).
    fn fires(mut rule: Rule, n: u32) -> Vec<u32> {
        (1..=n)
            .filter(|_| {
                let hit = rule.step();
                if hit {
                    rule.record();
                }
                hit
            })
            .collect()
    }

    #[test]
    fn deterministic_triggers() {
        assert_eq!(fires(Rule::new(When::Call(3), None), 10), [3]);
        assert_eq!(fires(Rule::new(When::Call(0), None), 10), [] as [u32; 0]);
        assert_eq!(fires(Rule::new(When::EveryNth(4), None), 13), [4, 8, 12]);
        assert_eq!(
            fires(Rule::new(When::EveryNth(0), None), 13),
            [] as [u32; 0]
        );
        assert_eq!(fires(Rule::new(When::From(8), None), 10), [8, 9, 10]);
        assert_eq!(fires(Rule::new(When::From(0), None), 3), [1, 2, 3]);
        assert_eq!(fires(Rule::new(When::ALWAYS, Some(2)), 5), [1, 2]);
        assert_eq!(
            fires(Rule::new(When::EveryNth(2), Some(0)), 5),
            [] as [u32; 0]
        );
    }

    #[test]
    fn random_is_reproducible_and_not_shifted_by_the_limit() {
        let when = When::probability(0.3, 42);
        let all = fires(Rule::new(when, None), 1000);
        assert_eq!(all, fires(Rule::new(when, None), 1000));
        // With a limit, the first fires are the same calls: the draws follow the count.
        assert_eq!(fires(Rule::new(when, Some(5)), 1000), all[..5]);
        assert!((250..350).contains(&all.len()), "{}", all.len());
    }
}
