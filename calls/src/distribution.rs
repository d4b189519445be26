//! [`Distribution`]: delays and durations kept within a bound, and their
//! [`Summary`]; [`percent`], the ratio RFC 6076 leaves undefined on 0.

/// A distribution of delays or durations: count, mean, median, 95th
/// percentile, maximum. Samples are kept exactly up to
/// [`Distribution::EXACT`] of them; beyond, a uniform reservoir of that
/// size stands for them (memory stays bounded; count, mean and max stay exact).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    samples: Vec<f64>,
    count: u64,
    sum: f64,
    max: f64,
    seed: u64,
}

/// The summary of a [`Distribution`], in the unit it was fed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// The median (nearest rank).
    pub p50: f64,
    /// The 95th percentile (nearest rank).
    pub p95: f64,
    /// The largest.
    pub max: f64,
}

impl Distribution {
    /// The most samples kept exactly.
    pub const EXACT: usize = 1_000_000;

    /// Adds a sample.
    pub fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        if self.count == 1 || v > self.max {
            self.max = v;
        }
        if self.samples.len() < Self::EXACT {
            self.samples.push(v);
        } else {
            // Reservoir sampling (Algorithm R) with a fixed-seed xorshift.
            if self.seed == 0 {
                self.seed = 0x9E37_79B9_7F4A_7C15;
            }
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            let j = (self.seed.wrapping_add(self.count) % self.count) as usize;
            if let Some(slot) = self.samples.get_mut(j) {
                *slot = v;
            }
        }
    }

    /// The summary, `None` when there is no sample.
    pub fn summary(&self) -> Option<Summary> {
        if self.count == 0 {
            return None;
        }
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
            s.get(i).copied().unwrap_or_default()
        };
        Some(Summary {
            count: self.count,
            mean: self.sum / self.count as f64,
            p50: rank(0.50),
            p95: rank(0.95),
            max: self.max,
        })
    }
}

/// The ratio `num ÷ den × 100`, `None` when `den` is 0 (RFC 6076 §4:
/// undefined, not 0).
pub fn percent(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 * 100.0 / den as f64)
}
