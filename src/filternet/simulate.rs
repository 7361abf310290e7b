//! Evaluation of the LGN cells on a stimulus: per cell and subunit, the spatial kernel's weighted
//! sum of every frame, a causal convolution with the temporal kernel, then BMTK's time grid
//! (with its linear interpolation between frames) and the transfer function. Cells run in
//! parallel; each result depends only on its own cell.

use rayon::prelude::*;

use super::cells::{build_model, CellParams, Model};
use super::spatial::gaussian_kernel;
use super::stimuli::Stimulus;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// BMTK's `evaluation_options.separable`: output on the frame grid.
    pub separable: bool,
    pub downsample: usize,
    pub t_min: Option<f64>,
    pub t_max: Option<f64>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            separable: false,
            downsample: 1,
            t_min: None,
            t_max: None,
        }
    }
}

/// Output times (s) of an evaluation, as BMTK computes them.
pub fn output_times(stim: &Stimulus, opt: &EvalOptions) -> Result<Vec<f64>> {
    let fr = stim.frame_rate;
    let n = stim.n_frames;
    if opt.downsample == 0 {
        return Err(Error::invalid(
            "evaluation_options: downsample must be >= 1",
        ));
    }
    if opt.separable {
        if opt.downsample != 1 {
            return Err(Error::invalid(
                "evaluation_options: separable evaluation requires downsample = 1",
            ));
        }
        return Ok((0..n).map(|i| i as f64 / fr).collect());
    }
    if !stim.uniform_times() {
        // BMTK's KernelCursor asserts that the kernel's time step (the movie's t_range) is
        // 1/frame_rate everywhere; only the separable evaluation accepts other time axes.
        return Err(Error::invalid(
            "movie t_range is not evenly spaced (steps differ from 1/mean(diff(t_range)) by \
             1.5e-7 s or more): BMTK's exact evaluation refuses it; use evaluation_options \
             {\"separable\": true} or an evenly spaced t_range",
        ));
    }
    let tr = stim.t_range();
    let t_min = opt.t_min.unwrap_or(tr[0]);
    let t_max = opt.t_max.unwrap_or(tr[tr.len() - 1]);
    let dt = 1.0 / fr;
    let nf = (t_max - t_min) * fr;
    let len = (nf + 1.0).ceil();
    if !(0.0..1e9).contains(&len) {
        return Err(Error::invalid(format!(
            "evaluation_options: bad time window t_min={t_min}, t_max={t_max}"
        )));
    }
    Ok((0..len as usize)
        .step_by(opt.downsample)
        .map(|k| t_min + k as f64 * dt)
        .collect())
}

/// Causal convolution lin[i] = sum_j tk[j] * s[i - j] for i in 0..=n (s is zero outside 0..n).
fn convolve_direct(s: &[f64], tk: &[f64]) -> Vec<f64> {
    let n = s.len();
    let nz: Vec<(usize, f64)> = tk
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.abs() > 0.0)
        .collect();
    (0..=n)
        .map(|i| {
            let mut acc = 0.0;
            for &(j, v) in &nz {
                if j > i {
                    break;
                }
                let f = i - j;
                if f < n {
                    acc += v * s[f];
                }
            }
            acc
        })
        .collect()
}

/// The same convolution through FFTs, for long movies with long kernels.
pub fn convolve_fft(s: &[f64], tk: &[f64]) -> Vec<f64> {
    use rustfft::num_complex::Complex;
    let n = s.len();
    let m = (n + tk.len()).next_power_of_two();
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(m);
    let inv = planner.plan_fft_inverse(m);
    let mut a: Vec<Complex<f64>> = vec![Complex::new(0.0, 0.0); m];
    let mut b = a.clone();
    for (x, v) in a.iter_mut().zip(s) {
        x.re = *v;
    }
    for (x, v) in b.iter_mut().zip(tk) {
        x.re = *v;
    }
    fwd.process(&mut a);
    fwd.process(&mut b);
    for (x, y) in a.iter_mut().zip(&b) {
        *x *= *y;
    }
    inv.process(&mut a);
    let scale = 1.0 / m as f64;
    // lin[n] excludes the (absent) frame n itself: sum_{j>=1} tk[j] s[n-j]
    (0..=n).map(|i| a[i].re * scale).collect()
}

/// Causal convolution for a piecewise-constant input: steps times the cumulative kernel.
fn convolve_steps(s: &[f64], tk: &[f64], steps: &[(usize, f64)]) -> Vec<f64> {
    let n = s.len();
    let mut cum = Vec::with_capacity(tk.len());
    let mut acc = 0.0;
    for v in tk {
        acc += v;
        cum.push(acc);
    }
    let c_at = |m: usize| {
        if cum.is_empty() {
            0.0
        } else {
            cum[m.min(cum.len() - 1)]
        }
    };
    (0..=n)
        .map(|i| {
            let mut a = 0.0;
            for &(f, d) in steps {
                if f > i {
                    break;
                }
                a += d * c_at(i - f);
            }
            a
        })
        .collect()
}

/// Temporal filtering of one subunit's frame sums: linear response at frames 0..=n_frames.
fn temporal_response(s: &[f64], tk: &[f64]) -> Option<Vec<f64>> {
    let n = s.len();
    let n_taps = tk.iter().filter(|v| v.abs() > 0.0).count();
    // Frames that differ from the previous one (blank before and after the movie).
    let mut steps: Vec<(usize, f64)> = Vec::new();
    let mut prev = 0.0;
    for (f, &v) in s.iter().enumerate() {
        if v != prev {
            steps.push((f, v - prev));
        }
        prev = v;
    }
    if prev != 0.0 {
        steps.push((n, -prev));
    }
    if steps.len() * 4 < n_taps {
        Some(convolve_steps(s, tk, &steps))
    } else if n_taps > 64 && n * n_taps > FFT_WORK {
        None
    } else {
        Some(convolve_direct(s, tk))
    }
}

/// FFT convolutions of many signals: signals sharing a kernel reuse its spectrum and go two at
/// a time through one complex transform (one as the real part, one as the imaginary part).
fn convolve_fft_batch(jobs: &[(&[f64], &[f64])]) -> Vec<Vec<f64>> {
    use rustfft::num_complex::Complex;
    let mut out: Vec<Vec<f64>> = vec![Vec::new(); jobs.len()];
    if jobs.is_empty() {
        return out;
    }
    let n = jobs[0].0.len();
    let max_k = jobs.iter().map(|j| j.1.len()).max().unwrap_or(0);
    let m = (n + max_k).next_power_of_two();
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(m);
    let inv = planner.plan_fft_inverse(m);
    let scale = 1.0 / m as f64;
    // group jobs by identical kernels
    let mut groups: Vec<(&[f64], Vec<usize>)> = Vec::new();
    for (i, (_, k)) in jobs.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == *k) {
            Some((_, v)) => v.push(i),
            None => groups.push((k, vec![i])),
        }
    }
    for (k, members) in groups {
        let mut kspec = vec![Complex::new(0.0, 0.0); m];
        for (x, v) in kspec.iter_mut().zip(k) {
            x.re = *v;
        }
        fwd.process(&mut kspec);
        for pair in members.chunks(2) {
            let mut a = vec![Complex::new(0.0, 0.0); m];
            for (x, v) in a.iter_mut().zip(jobs[pair[0]].0) {
                x.re = *v;
            }
            if pair.len() == 2 {
                for (x, v) in a.iter_mut().zip(jobs[pair[1]].0) {
                    x.im = *v;
                }
            }
            fwd.process(&mut a);
            for (x, y) in a.iter_mut().zip(&kspec) {
                *x *= *y;
            }
            inv.process(&mut a);
            out[pair[0]] = (0..=n).map(|i| a[i].re * scale).collect();
            if pair.len() == 2 {
                out[pair[1]] = (0..=n).map(|i| a[i].im * scale).collect();
            }
        }
    }
    out
}

/// Above this many multiply-adds per subunit the temporal convolution goes through FFTs.
const FFT_WORK: usize = 1_000_000;

/// Cells evaluated together: their spatial sums are taken frame by frame so each frame is read
/// once per block while it sits in cache.
const CELL_BLOCK: usize = 64;

/// A subunit's temporal kernel sampled at the movie's times: tap j weighs the frame j steps
/// back. Trailing zero taps are dropped; a kernel that is zero at every time is an error (BMTK
/// fails on it too, reversing an empty kernel).
fn temporal_taps(
    tf: &super::temporal::CosineBump,
    t_range: &[f64],
    sorted: bool,
    what: &str,
) -> Result<Vec<f64>> {
    let mut tk = if sorted {
        // the kernel is zero past its support: sample only the times up to it
        let last = (tf.data.len().saturating_sub(1)) as f64 * 0.001;
        let m = t_range.partition_point(|&t| t <= last);
        tf.sample(&t_range[..m])
    } else {
        tf.sample(t_range)
    };
    let keep = tk.iter().rposition(|v| v.abs() > 0.0).map_or(0, |i| i + 1);
    if keep == 0 {
        return Err(Error::invalid(format!(
            "{what}: the temporal filter is zero at every time of the movie's t_range \
             (from {} s): no frame can drive the cell",
            t_range[0]
        )));
    }
    tk.truncate(keep);
    Ok(tk)
}

/// BMTK's KernelCursor.__call__: the response at time t, interpolated between frames.
fn at_time(lin: &[f64], t: f64, fr: f64, t0: f64, t_end: f64) -> f64 {
    if t < t0 || t > t_end {
        return 0.0;
    }
    let ti = t * fr;
    let (til, tir) = (ti.floor(), ti.ceil());
    let (tl, tr) = (til / fr, tir / fr);
    // frames before the movie (a t_range starting below 0) see no input
    let get = |i: f64| {
        if i < 0.0 {
            0.0
        } else {
            lin.get(i as usize).copied().unwrap_or(0.0)
        }
    };
    if (tl - t).abs() < 1e-12 {
        get(til)
    } else if (tr - t).abs() < 1e-12 {
        get(tir)
    } else {
        let wa = 1.0 - (t - tl) / (tr - tl);
        let wb = 1.0 - (tr - t) / (tr - tl);
        get(til) * wa + get(tir) * wb
    }
}

/// Rates (Hz) of every cell at `output_times`: a (cells x times) row-major matrix, cells in the
/// order given.
pub fn evaluate(
    cells: &[CellParams],
    stim: &Stimulus,
    opt: &EvalOptions,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let times = output_times(stim, opt)?;
    let t_range = stim.t_range();
    let fr = stim.frame_rate;
    let (t0, t_end) = (t_range[0], t_range[t_range.len() - 1]);
    let sorted = t_range.windows(2).all(|w| w[0] <= w[1]);
    // The exact evaluation addresses frame t * frame_rate up to the end of t_range, which may
    // lie past the last frame (frames beyond the movie are blank, as in BMTK's bounds check).
    let n_eval = if opt.separable {
        stim.n_frames
    } else {
        let last = (t_end * fr).ceil();
        if last.is_finite() && last > stim.n_frames as f64 && last < 1e9 {
            last as usize
        } else {
            stim.n_frames
        }
    };
    let nt = times.len();
    let mut flat = vec![0.0f64; cells.len() * nt];
    if nt == 0 {
        return Ok((times, flat));
    }
    flat.par_chunks_mut(nt * CELL_BLOCK)
        .zip(cells.par_chunks(CELL_BLOCK))
        .try_for_each(|(out_block, block)| -> Result<()> {
            let models: Vec<Model> = block.iter().map(build_model).collect::<Result<_>>()?;
            // every subunit's spatial kernel (amplitude included) and sampled temporal kernel
            let mut kernels = Vec::new();
            let mut temporals = Vec::new();
            for (p, model) in block.iter().zip(&models) {
                let what = format!("node {} of population '{}'", p.node_id, p.population);
                for u in &model.units {
                    let mut k = gaussian_kernel(&u.gauss, &stim.row_range, &stim.col_range, &what)?;
                    k.scale(u.amplitude);
                    kernels.push(k);
                    temporals.push(temporal_taps(&u.temporal, &t_range, sorted, &what)?);
                }
            }
            let mut sums = stim.spatial_responses(&kernels);
            if n_eval > stim.n_frames {
                for s in sums.iter_mut() {
                    s.resize(n_eval, 0.0);
                }
            }
            let mut all: Vec<Option<Vec<f64>>> = sums
                .iter()
                .zip(&temporals)
                .map(|(s, tk)| temporal_response(s, tk))
                .collect();
            let todo: Vec<usize> = (0..all.len()).filter(|&i| all[i].is_none()).collect();
            let jobs: Vec<(&[f64], &[f64])> = todo
                .iter()
                .map(|&i| (sums[i].as_slice(), temporals[i].as_slice()))
                .collect();
            for (i, lin) in todo.iter().zip(convolve_fft_batch(&jobs)) {
                all[*i] = Some(lin);
            }
            let mut all = all.into_iter().map(|l| l.unwrap_or_default());
            for (model, out) in models.iter().zip(out_block.chunks_mut(nt)) {
                let lins: Vec<Vec<f64>> = (0..model.units.len())
                    .map(|_| all.next().unwrap_or_default())
                    .collect();
                let mut buf = vec![0.0; lins.len()];
                for (i, (o, &t)) in out.iter_mut().zip(&times).enumerate() {
                    *o = if opt.separable {
                        for (b, l) in buf.iter_mut().zip(&lins) {
                            *b = l[i] * 1000.0 / fr;
                        }
                        model.transfer.apply(&buf)
                    } else if lins.len() == 1 {
                        model.transfer.apply(&[at_time(&lins[0], t, fr, t0, t_end)]) * 1000.0 / fr
                    } else {
                        for (b, l) in buf.iter_mut().zip(&lins) {
                            *b = at_time(l, t, fr, t0, t_end) * 1000.0 / fr;
                        }
                        model.transfer.apply(&buf)
                    };
                }
            }
            Ok(())
        })?;
    Ok((times, flat))
}

#[cfg(test)]
mod tests {
    use super::{convolve_direct, convolve_fft, convolve_fft_batch, convolve_steps};

    #[test]
    fn fft_and_step_convolutions_match_the_direct_sum() {
        let n = 3000;
        let s: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0)
            .collect();
        let tk: Vec<f64> = (0..700)
            .map(|j| ((j as f64) * 0.013).sin() * (-(j as f64) / 200.0).exp())
            .collect();
        let d = convolve_direct(&s, &tk);
        let f = convolve_fft(&s, &tk);
        let scale = d.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for (a, b) in d.iter().zip(&f) {
            assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
        }
        let s2: Vec<f64> = s.iter().map(|v| v * v - 0.5).collect();
        let tk2: Vec<f64> = tk.iter().map(|v| -0.5 * v).collect();
        let batch = convolve_fft_batch(&[(&s, &tk), (&s2, &tk), (&s2, &tk2)]);
        for (b, want) in batch.iter().zip([
            convolve_direct(&s, &tk),
            convolve_direct(&s2, &tk),
            convolve_direct(&s2, &tk2),
        ]) {
            for (a, w) in b.iter().zip(&want) {
                assert!((a - w).abs() <= 1e-12 * scale, "{a} vs {w}");
            }
        }
        let mut flash = vec![0.0; n];
        for v in flash.iter_mut().take(2000).skip(500) {
            *v = -0.7;
        }
        let steps = vec![(500, -0.7), (2000, 0.7)];
        let d = convolve_direct(&flash, &tk);
        let c = convolve_steps(&flash, &tk, &steps);
        for (a, b) in d.iter().zip(&c) {
            assert!((a - b).abs() <= 1e-12, "{a} vs {b}");
        }
    }
}
