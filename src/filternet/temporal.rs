//! Temporal filters: two raised-cosine bumps on a logarithmic time axis (BMTK's
//! `TemporalFilterCosineBump`), sampled at 1 ms, and their resampling on a movie's frame grid.

use crate::error::{Error, Result};

/// Length (in 1 ms samples) of the bump basis before the delays are appended.
const NKT: usize = 600;
/// Offset of the logarithmic time axis.
const B: f64 = 0.3;
const EPS: f64 = 1e-20;

fn nlin(x: f64) -> f64 {
    (x + EPS).ln()
}

fn invnl(x: f64) -> f64 {
    x.exp() - EPS
}

/// Scales every column of an (n x 2) matrix to unit Euclidean norm (sum taken row by row).
fn normalize_cols(cols: &mut [Vec<f64>; 2]) {
    for c in cols.iter_mut() {
        let mut ss = 0.0;
        for v in c.iter() {
            ss += v * v;
        }
        let norm = ss.sqrt();
        for v in c.iter_mut() {
            *v /= norm;
        }
    }
}

/// A cosine-bump temporal kernel sampled every millisecond, index 0 being zero lag.
#[derive(Debug, Clone)]
pub struct CosineBump {
    pub data: Vec<f64>,
}

impl CosineBump {
    /// `weights`, `kpeaks`, `delays` as in the dynamics_params json (`opt_wts`, `opt_kpeaks`,
    /// `opt_delays`); `what` names the cell/file for error messages.
    pub fn new(weights: [f64; 2], kpeaks: [f64; 2], delays: [f64; 2], what: &str) -> Result<Self> {
        if weights
            .iter()
            .chain(&kpeaks)
            .chain(&delays)
            .any(|v| !v.is_finite())
        {
            return Err(Error::invalid(format!(
                "{what}: temporal filter weights/kpeaks/delays must be finite numbers (got {weights:?}, {kpeaks:?}, {delays:?})"
            )));
        }
        if kpeaks[0] >= kpeaks[1] || weights[0] <= 0.0 || delays[0] > delays[1] {
            return Err(Error::invalid(format!(
                "{what}: a cosine-bump temporal filter needs kpeaks[0] < kpeaks[1], weights[0] > 0 and \
                 delays[0] <= delays[1] (got weights {weights:?}, kpeaks {kpeaks:?}, delays {delays:?})"
            )));
        }
        // Delays are truncated to whole milliseconds, as numpy's astype(int) does.
        let d0 = delays[0].trunc();
        let d1 = delays[1].trunc();
        if d0 < 0.0 || d1 > 100_000.0 {
            return Err(Error::invalid(format!(
                "{what}: delays {delays:?} out of range"
            )));
        }
        let (d0, d1) = (d0 as usize, d1 as usize);

        let yr0 = nlin(100.0 + B);
        let yr1 = nlin(200.0 + B);
        let db = yr1 - yr0;
        let ctrs = [nlin(kpeaks[0]), nlin(kpeaks[1])];
        let mxt = invnl(yr1 + 2.0 * db) - B;
        let nt = if mxt > 0.0 { mxt.ceil() as usize } else { 0 };
        // Basis on kt0 = 0, 1, ..., nt-1, then flipped upside down.
        let mut basis: [Vec<f64>; 2] = [Vec::with_capacity(NKT), Vec::with_capacity(NKT)];
        for (k, col) in basis.iter_mut().enumerate() {
            let mut v: Vec<f64> = (0..nt)
                .map(|i| {
                    let e = nlin(i as f64 + B);
                    let arg = (e - ctrs[k]) * std::f64::consts::PI / db / 2.0;
                    let arg = arg.clamp(-std::f64::consts::PI, std::f64::consts::PI);
                    (arg.cos() + 1.0) / 2.0
                })
                .collect();
            v.reverse();
            *col = if nt < NKT {
                let mut z = vec![0.0; NKT - nt];
                z.extend(v);
                z
            } else if nt > NKT {
                // numpy's kbasis[-1-nkt:-1]: drops the last row
                v[nt - 1 - NKT..nt - 1].to_vec()
            } else {
                v
            };
        }
        normalize_cols(&mut basis);
        let mut c0 = basis[0].clone();
        c0.extend(std::iter::repeat_n(0.0, d0));
        let mut c1 = basis[1].clone();
        c1.extend(std::iter::repeat_n(0.0, d1));
        let c1 = c1[d1 - d0..].to_vec();
        let mut b2 = [c0, c1];
        normalize_cols(&mut b2);
        let n = b2[0].len();
        let data = (0..n)
            .rev()
            .map(|i| b2[0][i] * weights[0] + b2[1][i] * weights[1])
            .collect();
        Ok(CosineBump { data })
    }

    /// Time (s) of sample i of the kernel's own 1 ms support.
    fn support_time(i: usize) -> f64 {
        i as f64 * 0.001
    }

    /// Linear interpolation of the kernel at times `t` (s), zero outside its support
    /// (scipy's interp1d with fill_value=0).
    pub fn sample(&self, t: &[f64]) -> Vec<f64> {
        let n = self.data.len();
        let x: Vec<f64> = (0..n).map(Self::support_time).collect();
        t.iter()
            .map(|&tv| {
                if n == 0 || tv < x[0] || tv > x[n - 1] || tv.is_nan() {
                    return 0.0;
                }
                if n == 1 {
                    return self.data[0];
                }
                // searchsorted(side='left'), clipped to [1, n-1]
                let idx = x.partition_point(|&xv| xv < tv).clamp(1, n - 1);
                let (lo, hi) = (idx - 1, idx);
                let slope = (self.data[hi] - self.data[lo]) / (x[hi] - x[lo]);
                slope * (tv - x[lo]) + self.data[lo]
            })
            .collect()
    }

    /// The kernel on BMTK's default grid (600 samples at 1 ms).
    pub fn default_grid(&self) -> Vec<f64> {
        let t: Vec<f64> = (0..NKT).map(|i| i as f64 * 0.001).collect();
        self.sample(&t)
    }
}

/// Index where the kernel first crosses zero from above between its maximum and its minimum.
pub fn tcross_index(k: &[f64], what: &str) -> Result<usize> {
    let argmax = k
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv {
                (i, v)
            } else {
                (bi, bv)
            }
        })
        .0;
    let argmin = k
        .iter()
        .enumerate()
        .fold(
            (0, f64::INFINITY),
            |(bi, bv), (i, &v)| if v < bv { (i, v) } else { (bi, bv) },
        )
        .0;
    if argmin > argmax {
        let seg = &k[argmax..argmin];
        for i in 0..seg.len().saturating_sub(1) {
            if seg[i] >= 0.0 && seg[i + 1] < 0.0 {
                return Ok(argmax + i + 1);
            }
        }
    }
    Err(Error::invalid(format!(
        "{what}: the temporal filter does not cross zero between its peak and its trough"
    )))
}

/// BMTK's `createOneUnitOfTwoSubunitFilter`: shifts the filter so its zero crossing lands at
/// `ttp_exp` ms; returns the shifted filter and the sum of the original up to the crossing.
pub fn two_subunit_filter(
    weights: [f64; 2],
    kpeaks: [f64; 2],
    delays: [f64; 2],
    ttp_exp: f64,
    what: &str,
) -> Result<(CosineBump, f64)> {
    let f = CosineBump::new(weights, kpeaks, delays, what)?;
    let k = f.default_grid();
    let tc = tcross_index(&k, what)?;
    let sum = pairwise_sum(&k[..tc]);
    let off = ttp_exp - tc as f64;
    if off < 0.0 {
        return Err(Error::invalid(format!(
            "{what}: the temporal filter crosses zero after {ttp_exp} ms (del_offset < 0)"
        )));
    }
    let f2 = CosineBump::new(weights, kpeaks, [delays[0] + off, delays[1] + off], what)?;
    Ok((f2, sum))
}

/// numpy's pairwise summation (blocks of 8 accumulators below 128 elements).
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut s = -0.0;
        for &v in a {
            s += v;
        }
        s
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}
