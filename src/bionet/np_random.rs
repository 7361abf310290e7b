//! numpy's legacy `np.random.RandomState` (the MT19937 stream BMTK seeds per cell), so that
//! draws made here are the very numbers numpy produces for the same seed.
//!
//! What is reproduced, for an integer seed in [0, 2**32):
//! - seeding: the Mersenne Twister's `init_genrand` on the 32-bit seed (numpy's legacy seeding
//!   of an int; arrays and None are not supported here);
//! - `random_sample()`: 53-bit doubles from two 32-bit outputs, `(a >> 5) * 2**26 + (b >> 6)`
//!   over 2**53;
//! - `uniform(low, high)`: `low + (high - low) * random_sample()`;
//! - `choice(a, size, p=p)` with replacement: `p` checked as numpy checks it, its running sum
//!   divided by the last value, then for each of the `size` uniform draws (taken one after the
//!   other) the index of the first cumulative value greater than the draw (`searchsorted`
//!   with side='right').
//!
//! [`np_sum`] is numpy's pairwise float64 sum (what `np.sum` returns), which callers need when
//! they normalise weights as numpy code does before passing them as `p`.

use crate::error::{Error, Result};

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// numpy accepts integer seeds in [0, 2**32 - 1] only, with this message for anything else.
pub fn seed_u32(seed: i128) -> Result<u32> {
    u32::try_from(seed)
        .map_err(|_| Error::invalid(format!("Seed must be between 0 and 2**32 - 1 (got {seed})")))
}

/// The legacy RandomState bit stream (MT19937) and the draws built on it.
#[derive(Clone)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
}

impl std::fmt::Debug for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomState")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl RandomState {
    /// `np.random.RandomState(seed)`.
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; N];
        key[0] = seed;
        for i in 1..N {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        RandomState { key, pos: N }
    }

    /// `RandomState(seed)` for any integer, refused as numpy refuses it.
    pub fn from_seed(seed: i128) -> Result<Self> {
        seed_u32(seed).map(Self::new)
    }

    fn regenerate(&mut self) {
        let k = &mut self.key;
        let mix = |hi: u32, lo: u32, far: u32| {
            let y = (hi & UPPER_MASK) | (lo & LOWER_MASK);
            far ^ (y >> 1) ^ if y & 1 == 1 { MATRIX_A } else { 0 }
        };
        for i in 0..N - M {
            k[i] = mix(k[i], k[i + 1], k[i + M]);
        }
        for i in N - M..N - 1 {
            k[i] = mix(k[i], k[i + 1], k[i + M - N]);
        }
        k[N - 1] = mix(k[N - 1], k[0], k[M - 1]);
        self.pos = 0;
    }

    /// The next tempered 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.regenerate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random_sample()`: a double in [0, 1) with 53 random bits.
    pub fn random_sample(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `uniform(low, high)` (one draw).
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random_sample()
    }

    /// `choice(len(cdf), size, p=p)` for a prepared [`ChoiceCdf`]: `size` draws, in order.
    pub fn choice(&mut self, cdf: &ChoiceCdf, size: usize) -> Vec<usize> {
        (0..size)
            .map(|_| cdf.index_of(self.random_sample()))
            .collect()
    }
}

/// The normalised running sum numpy's legacy `choice` searches for a given `p`.
#[derive(Debug, Clone)]
pub struct ChoiceCdf {
    cdf: Vec<f64>,
}

impl ChoiceCdf {
    /// Checks `p` as numpy does (non-empty, no NaN, non-negative, sum within sqrt(eps) of 1
    /// by Kahan summation) and builds `cumsum(p) / cumsum(p)[-1]`.
    pub fn new(p: &[f64]) -> Result<Self> {
        if p.is_empty() {
            return Err(Error::invalid(
                "'a' cannot be empty unless no samples are taken",
            ));
        }
        let sum = kahan_sum(p);
        if sum.is_nan() {
            return Err(Error::invalid("probabilities contain NaN"));
        }
        if p.iter().any(|&v| v < 0.0) {
            return Err(Error::invalid("probabilities are not non-negative"));
        }
        if (sum - 1.0).abs() > f64::EPSILON.sqrt() {
            return Err(Error::invalid("probabilities do not sum to 1"));
        }
        let mut cdf = Vec::with_capacity(p.len());
        let mut acc = 0.0;
        for (i, &v) in p.iter().enumerate() {
            acc = if i == 0 { v } else { acc + v };
            cdf.push(acc);
        }
        let last = acc;
        for c in cdf.iter_mut() {
            *c /= last;
        }
        Ok(ChoiceCdf { cdf })
    }

    pub fn len(&self) -> usize {
        self.cdf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cdf.is_empty()
    }

    /// searchsorted(cdf, u, side='right'): how many cumulative values are <= u.
    pub fn index_of(&self, u: f64) -> usize {
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

/// numpy's `kahan_sum` (used by `choice` to check that `p` sums to 1).
fn kahan_sum(a: &[f64]) -> f64 {
    let mut sum = a[0];
    let mut c = 0.0;
    for &v in &a[1..] {
        let y = v - c;
        let t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    sum
}

/// `np.sum` of a contiguous float64 array: numpy's pairwise summation (blocks of at most 128
/// summed with eight interleaved accumulators; below eight values a plain loop).
pub fn np_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut r = 0.0;
        for &v in a {
            r += v;
        }
        r
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        np_sum(&a[..n2]) + np_sum(&a[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_mt19937_outputs() {
        // The first outputs of init_genrand(5489), MT19937's default seed, as its authors
        // list them.
        let mut r = RandomState::new(5489);
        assert_eq!(r.next_u32(), 3_499_211_612);
        assert_eq!(r.next_u32(), 581_869_302);
        assert_eq!(r.next_u32(), 3_890_346_734);
        // the 10000th output of the default-seeded generator (C++ std::mt19937's check value)
        let mut r = RandomState::new(5489);
        let mut last = 0;
        for _ in 0..10_000 {
            last = r.next_u32();
        }
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn samples_are_in_unit_interval_and_use_two_words() {
        let mut a = RandomState::new(7);
        let mut b = RandomState::new(7);
        for _ in 0..2000 {
            let u = a.random_sample();
            assert!((0.0..1.0).contains(&u));
            b.next_u32();
            b.next_u32();
        }
        assert_eq!(a.next_u32(), b.next_u32());
    }

    #[test]
    fn choice_follows_the_cdf() {
        let cdf = ChoiceCdf::new(&[0.25, 0.0, 0.75]).unwrap();
        assert_eq!(cdf.index_of(0.0), 0);
        assert_eq!(cdf.index_of(0.2499), 0);
        // side='right': a draw equal to a boundary goes past it, and zero-weight items are never hit
        assert_eq!(cdf.index_of(0.25), 2);
        assert_eq!(cdf.index_of(0.9999), 2);
        assert!(ChoiceCdf::new(&[]).is_err());
        assert!(ChoiceCdf::new(&[0.5, 0.4]).is_err());
        assert!(ChoiceCdf::new(&[1.5, -0.5]).is_err());
        assert!(ChoiceCdf::new(&[f64::NAN, 1.0]).is_err());
        assert!(RandomState::from_seed(1 << 32).is_err());
        assert!(RandomState::from_seed(-1).is_err());
    }

    #[test]
    fn pairwise_sum_is_exact_on_integers_and_splits_large_arrays() {
        for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 1000] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert_eq!(np_sum(&a), (n * n.saturating_sub(1) / 2) as f64);
        }
    }
}
