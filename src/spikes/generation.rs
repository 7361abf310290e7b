//! Poisson spike generation. Every node draws from its own random stream, seeded by
//! (seed, stream, node id), so the trains do not depend on the number of threads nor on which
//! nodes are generated together. Nodes are generated in parallel with rayon.
//!
//! The algorithms are those of Dayan & Abbott (2001, ch. 2) that BMTK uses: exponential
//! inter-spike intervals for a constant rate; for a time-varying rate, candidates at the peak
//! rate thinned by r(t)/r_max with r(t) linear between the given samples. Optional refractory
//! periods (absolute `abs_ref`, relative with time constant `tau_ref`) drop a candidate with
//! probability exp(-(isi - abs_ref)/tau_ref) (always within `abs_ref`), as BMTK does.

use rand::RngExt;
use rand_pcg::Pcg64Dxsm;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Seed and stream identity of one call: a generator's seed and the index of the call.
#[derive(Debug, Clone, Copy)]
pub struct StreamKey {
    pub seed: u64,
    pub stream: u64,
}

/// Refractory periods, in the same time unit as the spike times (seconds for BMTK's API).
#[derive(Debug, Clone, Copy, Default)]
pub struct Refractory {
    pub abs_ref: f64,
    pub tau_ref: f64,
}

impl Refractory {
    fn active(&self) -> bool {
        self.abs_ref != 0.0 || self.tau_ref != 0.0
    }

    /// Probability that a candidate spike after an interval `isi` survives.
    fn keep_probability(&self, isi: f64) -> f64 {
        let mut w = if self.tau_ref != 0.0 {
            1.0 - (-(isi - self.abs_ref) / self.tau_ref).exp()
        } else {
            1.0
        };
        if self.abs_ref != 0.0 && isi <= self.abs_ref {
            w = 0.0;
        }
        w
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of one node.
pub fn node_rng(key: StreamKey, node_id: u64) -> Pcg64Dxsm {
    let a = splitmix(key.seed ^ splitmix(key.stream));
    let b = splitmix(a ^ 0x5851_F42D_4C95_7F2D);
    let state = (u128::from(a) << 64) | u128::from(b);
    let n = splitmix(node_id ^ splitmix(b));
    let stream = (u128::from(n) << 64) | u128::from(splitmix(n));
    Pcg64Dxsm::new(state, stream)
}

/// An exponential interval of mean 1/rate from a uniform draw in [0, 1).
#[inline]
fn exp_interval<R: RngExt>(rng: &mut R, rate: f64) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln() / rate
}

/// Generates for all nodes in parallel; `one` fills the times of one node. The spikes come out
/// grouped by node, in the order of `node_ids`, each node's times increasing.
fn for_nodes<F>(node_ids: &[u64], expected_per_node: f64, one: F) -> (Vec<u64>, Vec<f64>)
where
    F: Fn(u64, &mut Vec<f64>) + Sync,
{
    const CHUNK: usize = 512;
    let parts: Vec<(Vec<u64>, Vec<f64>)> = node_ids
        .par_chunks(CHUNK)
        .map(|chunk| {
            let cap = ((expected_per_node * 1.1 + 4.0) * chunk.len() as f64) as usize;
            let mut ids = Vec::with_capacity(cap);
            let mut ts = Vec::with_capacity(cap);
            for &n in chunk {
                let before = ts.len();
                one(n, &mut ts);
                ids.resize(ids.len() + (ts.len() - before), n);
            }
            (ids, ts)
        })
        .collect();
    // Join the chunks, copying them in parallel into their places.
    let total: usize = parts.iter().map(|p| p.0.len()).sum();
    let mut ids = vec![0u64; total];
    let mut ts = vec![0f64; total];
    let mut id_slots = Vec::with_capacity(parts.len());
    let mut t_slots = Vec::with_capacity(parts.len());
    let (mut id_rest, mut t_rest) = (ids.as_mut_slice(), ts.as_mut_slice());
    for p in &parts {
        let (a, b) = id_rest.split_at_mut(p.0.len());
        id_slots.push(a);
        id_rest = b;
        let (a, b) = t_rest.split_at_mut(p.1.len());
        t_slots.push(a);
        t_rest = b;
    }
    parts
        .par_iter()
        .zip(id_slots.into_par_iter().zip(t_slots.into_par_iter()))
        .for_each(|(p, (a, b))| {
            a.copy_from_slice(&p.0);
            b.copy_from_slice(&p.1);
        });
    (ids, ts)
}

fn check_window(t0: f64, t1: f64) -> Result<()> {
    if !(t0.is_finite() && t1.is_finite()) {
        return Err(Error::invalid(format!(
            "times ({t0}, {t1}): start and stop must be finite"
        )));
    }
    if t0 >= t1 {
        return Err(Error::invalid(format!(
            "times ({t0}, {t1}): the start must be before the stop (Invalid start and stop times)"
        )));
    }
    Ok(())
}

/// Homogeneous Poisson trains of `rate` (per time unit) on (t0, t1]; times are multiplied by
/// `scale` on output (1000 for seconds in, milliseconds out).
pub fn poisson_constant(
    node_ids: &[u64],
    rate: f64,
    t0: f64,
    t1: f64,
    key: StreamKey,
    scale: f64,
    refr: Refractory,
) -> Result<(Vec<u64>, Vec<f64>)> {
    check_window(t0, t1)?;
    if !rate.is_finite() || rate < 0.0 {
        return Err(Error::invalid(format!(
            "firing rate {rate}: firing rates must not be negative (nor NaN/inf)"
        )));
    }
    if refr.abs_ref < 0.0 || refr.tau_ref < 0.0 {
        return Err(Error::invalid(
            "refractory periods (abs_ref, tau_ref) cannot be negative",
        ));
    }
    if rate == 0.0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let expected = rate * (t1 - t0);
    Ok(for_nodes(node_ids, expected, |n, out| {
        let mut rng = node_rng(key, n);
        let mut t = t0;
        loop {
            let isi = exp_interval(&mut rng, rate);
            t += isi;
            if t > t1 {
                break;
            }
            if refr.active() {
                let w = refr.keep_probability(isi);
                if w != 1.0 && rng.random::<f64>() >= w {
                    continue;
                }
            }
            out.push(t * scale);
        }
    }))
}

/// Inhomogeneous Poisson trains of the rate linear between samples `(times[i], rates[i])`, on
/// (times[0], times[last]], by thinning candidates drawn at the peak rate.
pub fn poisson_varying(
    node_ids: &[u64],
    times: &[f64],
    rates: &[f64],
    key: StreamKey,
    scale: f64,
    refr: Refractory,
) -> Result<(Vec<u64>, Vec<f64>)> {
    if times.len() != rates.len() {
        return Err(Error::invalid(format!(
            "a firing-rate time series needs one time per rate: {} times, {} rates",
            times.len(),
            rates.len()
        )));
    }
    if times.len() < 2 {
        return Err(Error::invalid(
            "a firing-rate time series needs at least two samples",
        ));
    }
    if let Some(i) = rates.iter().position(|r| !r.is_finite() || *r < 0.0) {
        return Err(Error::invalid(format!(
            "firing rate {} at sample {i}: firing rates must not be negative (nor NaN/inf)",
            rates[i]
        )));
    }
    if let Some(i) = (1..times.len())
        .find(|&i| times[i].partial_cmp(&times[i - 1]) != Some(std::cmp::Ordering::Greater))
    {
        return Err(Error::invalid(format!(
            "times must be strictly increasing: times[{}] = {} is not after times[{}] = {}",
            i,
            times[i],
            i - 1,
            times[i - 1]
        )));
    }
    check_window(times[0], times[times.len() - 1])?;
    if refr.abs_ref < 0.0 || refr.tau_ref < 0.0 {
        return Err(Error::invalid(
            "refractory periods (abs_ref, tau_ref) cannot be negative",
        ));
    }
    let rmax = rates.iter().cloned().fold(0.0, f64::max);
    if rmax == 0.0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let (t0, t1) = (times[0], times[times.len() - 1]);
    let expected = rmax * (t1 - t0);
    Ok(for_nodes(node_ids, expected, |n, out| {
        let mut rng = node_rng(key, n);
        let mut t = t0;
        let mut j = 1usize; // times[j-1] <= t < times[j]
        loop {
            let isi = exp_interval(&mut rng, rmax);
            t += isi;
            if t > t1 {
                break;
            }
            while j < times.len() - 1 && times[j] <= t {
                j += 1;
            }
            let (ta, tb, ra, rb) = (times[j - 1], times[j], rates[j - 1], rates[j]);
            let r = ra + (rb - ra) * (t - ta) / (tb - ta);
            let w = if refr.active() {
                refr.keep_probability(isi)
            } else {
                1.0
            };
            let u: f64 = rng.random();
            if u < r / rmax * w {
                out.push(t * scale);
            }
        }
    }))
}

/// A standard normal draw (Marsaglia's polar method).
fn normal<R: RngExt>(rng: &mut R) -> f64 {
    loop {
        let x = 2.0 * rng.random::<f64>() - 1.0;
        let y = 2.0 * rng.random::<f64>() - 1.0;
        let s = x * x + y * y;
        if s > 0.0 && s < 1.0 {
            return x * (-2.0 * s.ln() / s).sqrt();
        }
    }
}

/// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 through the boost u^(1/shape)).
fn gamma_unit<R: RngExt>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random();
        return gamma_unit(rng, shape + 1.0) * (1.0 - u).powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.random();
        if u < 1.0 - 0.0331 * x * x * x * x || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// Gamma renewal trains of mean `rate` and shape `shape` (shape 1 is Poisson) on (t0, t1]:
/// intervals Gamma(shape, scale 1/(shape*rate)), the first one counted from t0, as BMTK does.
pub fn gamma_constant(
    node_ids: &[u64],
    rate: f64,
    shape: f64,
    t0: f64,
    t1: f64,
    key: StreamKey,
    scale: f64,
) -> Result<(Vec<u64>, Vec<f64>)> {
    check_window(t0, t1)?;
    if !rate.is_finite() || rate < 0.0 {
        return Err(Error::invalid(format!(
            "firing rate {rate}: firing rates must not be negative (nor NaN/inf)"
        )));
    }
    if !shape.is_finite() || shape <= 0.0 {
        return Err(Error::invalid(format!(
            "shape parameter a = {shape}: it must be positive"
        )));
    }
    if rate == 0.0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let expected = rate * (t1 - t0);
    let isi_scale = 1.0 / (shape * rate);
    Ok(for_nodes(node_ids, expected, |n, out| {
        let mut rng = node_rng(key, n);
        let mut t = t0;
        loop {
            t += gamma_unit(&mut rng, shape) * isi_scale;
            if t > t1 {
                break;
            }
            out.push(t * scale);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: StreamKey = StreamKey { seed: 7, stream: 0 };

    #[test]
    fn same_node_same_train_whatever_the_batch() {
        let (a_ids, a_ts) =
            poisson_constant(&[5, 6, 7], 20.0, 0.0, 3.0, KEY, 1.0, Refractory::default()).unwrap();
        let (b_ids, b_ts) =
            poisson_constant(&[6], 20.0, 0.0, 3.0, KEY, 1.0, Refractory::default()).unwrap();
        let six: Vec<f64> = a_ids
            .iter()
            .zip(&a_ts)
            .filter(|(n, _)| **n == 6)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(six, b_ts);
        assert!(b_ids.iter().all(|&n| n == 6));
        assert!(six.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bad_inputs() {
        let r = Refractory::default();
        assert!(poisson_constant(&[0], -1.0, 0.0, 1.0, KEY, 1.0, r).is_err());
        assert!(poisson_constant(&[0], 1.0, 2.0, 1.0, KEY, 1.0, r).is_err());
        assert!(poisson_varying(&[0], &[0.0, 2.0, 1.0], &[1.0, 1.0, 1.0], KEY, 1.0, r).is_err());
        assert!(poisson_varying(&[0], &[0.0, 1.0], &[1.0, -1.0], KEY, 1.0, r).is_err());
    }

    #[test]
    fn gamma_moments() {
        let mut rng = node_rng(KEY, 3);
        for shape in [0.5, 1.0, 4.0] {
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| gamma_unit(&mut rng, shape)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            // Mean and variance of Gamma(shape, 1) are both `shape`.
            assert!(
                (mean - shape).abs() < 5.0 * (shape / n as f64).sqrt(),
                "{shape} {mean}"
            );
            assert!((var - shape).abs() / shape < 0.05, "{shape} {var}");
        }
    }

    #[test]
    fn absolute_refractory_is_respected() {
        let r = Refractory {
            abs_ref: 0.005,
            tau_ref: 0.0,
        };
        let (_, ts) = poisson_constant(&[1], 50.0, 0.0, 20.0, KEY, 1.0, r).unwrap();
        assert!(ts.len() > 100);
        // Each kept spike is more than abs_ref after the previous candidate, kept or not.
        assert!(ts.windows(2).all(|w| w[1] - w[0] > 0.005));
    }
}
