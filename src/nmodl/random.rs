//! NEURON 9's `RANDOM` streams (nrnran123): a counter-based Philox4x32-10 generator per instance
//! and variable, written here from the published algorithm (Salmon et al., SC'11) so that
//! `random_negexp(ranvar)` and friends draw NEURON's numbers bit for bit.
//!
//! A stream is NEURON's: counter `c = [seq, id3, id1, id2]`, key `[globalindex (0), 0]`, the
//! four outputs of `philox(c, key)` used one after the other (`which`), then the counter
//! incremented as a 128-bit number from `c[0]`. A new stream has ids `(1, rank 0, n)` with `n`
//! a process-wide count of the streams made so far (NEURON's `nrnran123_newstream()`), so the
//! k-th stream made in a process is NEURON's k-th when instances are made in the same order.

use std::sync::atomic::{AtomicU32, Ordering};

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds of counter `c` under key `k`.
pub fn philox4x32_10(mut c: [u32; 4], mut k: [u32; 2]) -> [u32; 4] {
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let p0 = u64::from(M0) * u64::from(c[0]);
        let p1 = u64::from(M1) * u64::from(c[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Streams made so far in this process (NEURON's static `id3` of `nrnran123_newstream()`).
static MADE: AtomicU32 = AtomicU32::new(0);

/// One RANDOM variable of one instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stream {
    c: [u32; 4],
    r: [u32; 4],
    which: u8,
}

/// The functions a `.mod` file may call on a RANDOM variable (nocmodl's `random_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RandFn {
    /// `random_negexp(r)` / `random_negexp(r, mean)`
    Negexp,
    /// `random_uniform(r)` / `random_uniform(r, a, b)`
    Uniform,
    /// `random_normal(r)` / `random_normal(r, mean, std)`
    Normal,
    /// `random_ipick(r)`
    Ipick,
    /// `random_dpick(r)`
    Dpick,
    /// `random_setseq(r, seq4which)`; value 0
    Setseq,
    /// `random_setids(r, id1, id2, id3)`; value 0
    Setids,
}

impl RandFn {
    /// The function of a `random_*` name with its accepted argument counts (after the variable).
    pub fn by_name(name: &str) -> Option<(RandFn, &'static [usize])> {
        Some(match name {
            "random_negexp" => (RandFn::Negexp, &[0, 1]),
            "random_uniform" => (RandFn::Uniform, &[0, 2]),
            "random_normal" => (RandFn::Normal, &[0, 2]),
            "random_ipick" => (RandFn::Ipick, &[0]),
            "random_dpick" => (RandFn::Dpick, &[0]),
            "random_setseq" => (RandFn::Setseq, &[1]),
            "random_setids" => (RandFn::Setids, &[3]),
            _ => return None,
        })
    }
}

impl Stream {
    /// The next stream of the process: ids (1, 0, count of streams made, this one included).
    pub fn new_default() -> Self {
        let id3 = MADE.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        Stream::with_ids(1, 0, id3)
    }

    pub fn with_ids(id1: u32, id2: u32, id3: u32) -> Self {
        let mut s = Stream {
            c: [0, id3, id1, id2],
            r: [0; 4],
            which: 0,
        };
        s.setseq(0, 0);
        s
    }

    pub fn setseq(&mut self, seq: u32, which: u8) {
        self.which = if which > 3 { 0 } else { which };
        self.c[0] = seq;
        self.r = philox4x32_10(self.c, [0, 0]);
    }

    /// `random_setseq(r, x)` with a double: NEURON's 34-bit `seq * 4 + which` (out of range: 0).
    pub fn setseq_f64(&mut self, x: f64) {
        let x = if !(0.0..=0xff_ffff_ffff_u64 as f64).contains(&x) {
            0.0
        } else {
            x
        };
        let bits = (x as u64) & 0x3_ffff_ffff;
        self.setseq((bits >> 2) as u32, (bits & 3) as u8);
    }

    /// NEURON's setids: the counter's ids change, the sequence and the current outputs stay.
    pub fn setids(&mut self, id1: u32, id2: u32, id3: u32) {
        self.c[1] = id3;
        self.c[2] = id1;
        self.c[3] = id2;
    }

    pub fn ipick(&mut self) -> u32 {
        let v = self.r[self.which as usize];
        self.which += 1;
        if self.which > 3 {
            self.which = 0;
            self.incr();
            self.r = philox4x32_10(self.c, [0, 0]);
        }
        v
    }

    fn incr(&mut self) {
        for w in self.c.iter_mut() {
            *w = w.wrapping_add(1);
            if *w != 0 {
                return;
            }
        }
    }

    /// In (0, 1): NEURON multiplies by the rounded 1/(2^32 + 1), not divides.
    pub fn dblpick(&mut self) -> f64 {
        const SHIFT32: f64 = 1.0 / 4_294_967_297.0;
        (f64::from(self.ipick()) + 1.0) * SHIFT32
    }

    pub fn negexp(&mut self) -> f64 {
        -self.dblpick().ln()
    }

    /// Marsaglia's polar method, one value per call (the second is dropped, as NEURON).
    pub fn normal(&mut self) -> f64 {
        loop {
            let u1 = 2.0 * self.dblpick() - 1.0;
            let u2 = 2.0 * self.dblpick() - 1.0;
            let w = u1 * u1 + u2 * u2;
            if w <= 1.0 {
                return u1 * ((-2.0 * w.ln()) / w).sqrt();
            }
        }
    }

    /// `f` with its arguments after the variable (lowering checked their count).
    pub fn call(&mut self, f: RandFn, args: &[f64]) -> f64 {
        let u32_of = |x: f64| x as u32;
        match (f, args) {
            (RandFn::Negexp, [mean]) => -self.dblpick().ln() * mean,
            (RandFn::Negexp, _) => self.negexp(),
            (RandFn::Uniform, [a, b]) => a + self.dblpick() * (b - a),
            (RandFn::Uniform, _) | (RandFn::Dpick, _) => self.dblpick(),
            (RandFn::Normal, [mu, sigma]) => mu + self.normal() * sigma,
            (RandFn::Normal, _) => self.normal(),
            (RandFn::Ipick, _) => f64::from(self.ipick()),
            (RandFn::Setseq, a) => {
                self.setseq_f64(a.first().copied().unwrap_or(0.0));
                0.0
            }
            (RandFn::Setids, a) => {
                let id = |k: usize| u32_of(a.get(k).copied().unwrap_or(0.0));
                self.setids(id(0), id(1), id(2));
                0.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123's published known-answer vectors (kat_vectors, philox4x32 with 10 rounds).
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn outputs_used_in_turn_then_counter_incremented() {
        let mut s = Stream::with_ids(1, 0, 7);
        let first = philox4x32_10([0, 7, 1, 0], [0, 0]);
        let second = philox4x32_10([1, 7, 1, 0], [0, 0]);
        let got: Vec<u32> = (0..8).map(|_| s.ipick()).collect();
        assert_eq!(got[..4], first);
        assert_eq!(got[4..], second);
        s.setseq_f64(4.0 * 3.0 + 2.0);
        assert_eq!(s.ipick(), philox4x32_10([3, 7, 1, 0], [0, 0])[2]);
    }
}
