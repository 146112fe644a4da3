//! Seeded probability: a [`Chance`] and the reproducible draws behind [`When::Random`].
//!
//! Each random script owns its own generator, seeded when the script is added, and draws once
//! per call it counts. So whether the k-th counted call fires depends only on the seed and k:
//! the same seed gives the same faults on the same calls, whatever other scripts do and however
//! calls of other kinds interleave.
//!
//! The generator is Xoshiro128++ seeded through SplitMix64 (`rand_xoshiro`): both are defined
//! by their published algorithms, so a seed keeps meaning the same faults across releases.
//!
//! [`When::Random`]: crate::When::Random

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro128PlusPlus;

/// 2^32: one draw is a `u32`, and a chance is how many of its 2^32 values hit.
const SCALE: u64 = 1 << 32;

/// A probability, stored exactly as the number of `u32` draws (out of 2^32) that hit.
///
/// Integer thresholds keep a draw to one comparison and make `0` and `1` exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Chance {
    /// Draws `d` with `d < threshold` hit; `0..=2^32`.
    threshold: u64,
}

impl Chance {
    /// Never hits.
    pub const NEVER: Chance = Chance { threshold: 0 };
    /// Always hits.
    pub const ALWAYS: Chance = Chance { threshold: SCALE };

    /// Probability `p`, clamped to `0.0..=1.0`; NaN means never (bad input never panics).
    #[must_use]
    pub fn new(p: f64) -> Chance {
        if p.is_nan() || p <= 0.0 {
            Chance::NEVER
        } else if p >= 1.0 {
            Chance::ALWAYS
        } else {
            // `p < 1`, so the product is below 2^32 and the cast truncates, never saturates.
            Chance {
                threshold: (p * SCALE as f64) as u64,
            }
        }
    }

    /// `num / den`, clamped to `0..=1`; a zero denominator means never.
    #[must_use]
    pub const fn ratio(num: u32, den: u32) -> Chance {
        if den == 0 {
            return Chance::NEVER;
        }
        if num >= den {
            return Chance::ALWAYS;
        }
        // num < den <= u32::MAX, so num * 2^32 fits in u64 and the quotient is below 2^32.
        Chance {
            threshold: ((num as u64) << 32) / den as u64,
        }
    }

    /// `ppm` parts per million, clamped to one million.
    #[must_use]
    pub const fn per_million(ppm: u32) -> Chance {
        Chance::ratio(ppm, 1_000_000)
    }

    /// The probability as a float, for reports.
    #[must_use]
    pub fn probability(self) -> f64 {
        self.threshold as f64 / SCALE as f64
    }

    /// Whether the draw `d` hits.
    pub(crate) const fn hits(self, d: u32) -> bool {
        (d as u64) < self.threshold
    }
}

/// One random script's generator.
#[derive(Clone, Debug)]
pub(crate) struct Draws(Xoshiro128PlusPlus);

impl Draws {
    pub(crate) fn new(seed: u64) -> Draws {
        Draws(Xoshiro128PlusPlus::seed_from_u64(seed))
    }

    /// Draws once and says whether `chance` hit.
    pub(crate) fn hit(&mut self, chance: Chance) -> bool {
        chance.hits(self.0.next_u32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_bounds() {
        assert_eq!(Chance::new(0.0), Chance::NEVER);
        assert_eq!(Chance::new(-1.0), Chance::NEVER);
        assert_eq!(Chance::new(f64::NAN), Chance::NEVER);
        assert_eq!(Chance::new(1.0), Chance::ALWAYS);
        assert_eq!(Chance::new(7.0), Chance::ALWAYS);
        assert_eq!(Chance::new(f64::INFINITY), Chance::ALWAYS);
        assert_eq!(Chance::new(0.5).threshold, SCALE / 2);
        assert_eq!(Chance::ratio(1, 4).threshold, SCALE / 4);
        assert_eq!(Chance::ratio(3, 0), Chance::NEVER);
        assert_eq!(Chance::ratio(9, 4), Chance::ALWAYS);
        assert_eq!(Chance::per_million(1_000_000), Chance::ALWAYS);
        assert_eq!(Chance::per_million(500_000), Chance::new(0.5));
        assert!((Chance::per_million(1).probability() - 1e-6).abs() < 1e-9);
    }

    #[test]
    fn extremes_are_exact() {
        for d in [0, 1, u32::MAX / 2, u32::MAX - 1, u32::MAX] {
            assert!(Chance::ALWAYS.hits(d));
            assert!(!Chance::NEVER.hits(d));
        }
    }

    #[test]
    fn same_seed_same_draws() {
        let (mut a, mut b, mut c) = (Draws::new(7), Draws::new(7), Draws::new(8));
        let half = Chance::new(0.5);
        let run =
            |d: &mut Draws| -> u64 { (0..64).fold(0, |acc, _| acc << 1 | u64::from(d.hit(half))) };
        let (ra, rb, rc) = (run(&mut a), run(&mut b), run(&mut c));
        assert_eq!(ra, rb);
        assert_ne!(ra, rc);
    }
}
