//! [`Distribution`]: delays and durations kept within a bound, and their
//! [`Summary`]; [`percent`], the ratio RFC 6076 leaves undefined on 0.

/// A distribution of delays or durations: count, mean, median, 95th
/// percentile, maximum. Samples are kept exactly up to
/// [`Distribution::EXACT`] of them (or the bound of
/// [`Distribution::bounded`]); beyond, a uniform reservoir of that size
/// stands for them (memory stays bounded; count, mean and max stay exact).
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    samples: Vec<f64>,
    count: u64,
    sum: f64,
    max: f64,
    seed: u64,
    limit: usize,
}

impl Default for Distribution {
    /// Exact up to [`Distribution::EXACT`] samples.
    fn default() -> Self {
        Distribution::bounded(Self::EXACT)
    }
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
    /// The most samples kept exactly by default.
    pub const EXACT: usize = 1_000_000;

    /// A distribution exact up to `samples` samples (at least 1), then a
    /// reservoir of that size: 8 bytes a sample at most. A long-running
    /// monitor keeps its memory flat with a small bound (its percentiles
    /// then estimates from a uniform sample).
    ///
    /// ```
    /// let mut d = sipline_calls::Distribution::bounded(100);
    /// for v in 0..10_000 {
    ///     d.add(f64::from(v));
    /// }
    /// let s = d.summary().unwrap();
    /// assert_eq!((s.count, s.max), (10_000, 9_999.0));
    /// assert!((s.p50 - 5_000.0).abs() < 1_500.0);
    /// ```
    pub fn bounded(samples: usize) -> Distribution {
        Distribution {
            samples: Vec::new(),
            count: 0,
            sum: 0.0,
            max: 0.0,
            seed: 0,
            limit: samples.max(1),
        }
    }

    /// Adds a sample.
    pub fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        if self.count == 1 || v > self.max {
            self.max = v;
        }
        if self.samples.len() < self.limit {
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
