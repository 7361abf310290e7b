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
    let tr = stim.t_range();
    let t_min = opt.t_min.unwrap_or(tr[0]);
    let t_max = opt.t_max.unwrap_or(tr[n - 1]);
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

/// Linear response (before the 1000/frame_rate scaling) of every subunit at frame indices
/// 0..=n_frames.
fn unit_responses(
    model: &Model,
    stim: &Stimulus,
    t_range: &[f64],
    what: &str,
) -> Result<Vec<Vec<f64>>> {
    let n = stim.n_frames;
    let mut out = Vec::with_capacity(model.units.len());
    for u in &model.units {
        let mut k = gaussian_kernel(&u.gauss, &stim.row_range, &stim.col_range, what)?;
        k.scale(u.amplitude);
        let s = stim.spatial_response(&k);
        // Temporal kernel on the movie's frame times; zero beyond its support.
        let last = (u.temporal.data.len().saturating_sub(1)) as f64 * 0.001;
        let m = t_range.partition_point(|&t| t <= last);
        let tk = u.temporal.sample(&t_range[..m]);
        let nz: Vec<(usize, f64)> = tk
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, v)| v.abs() > 0.0)
            .collect();
        // Frames that differ from the previous one (the frame before the movie and the one
        // after it are blank).
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
        let lin: Vec<f64> = if steps.len() * 4 < nz.len() {
            // Piecewise-constant input (flashes, gray screens): sum of steps times the
            // cumulative kernel, O(steps) per output instead of O(kernel length).
            let mut cum = Vec::with_capacity(tk.len());
            let mut acc = 0.0;
            for v in &tk {
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
                    for &(f, d) in &steps {
                        if f > i {
                            break;
                        }
                        a += d * c_at(i - f);
                    }
                    a
                })
                .collect()
        } else {
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
        };
        out.push(lin);
    }
    Ok(out)
}

/// BMTK's KernelCursor.__call__: the response at time t, interpolated between frames.
fn at_time(lin: &[f64], t: f64, fr: f64, t0: f64, t_end: f64) -> f64 {
    if t < t0 || t > t_end {
        return 0.0;
    }
    let ti = t * fr;
    let (til, tir) = (ti.floor(), ti.ceil());
    let (tl, tr) = (til / fr, tir / fr);
    let get = |i: f64| lin.get(i as usize).copied().unwrap_or(0.0);
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
    let nt = times.len();
    let mut flat = vec![0.0f64; cells.len() * nt];
    if nt == 0 {
        return Ok((times, flat));
    }
    flat.par_chunks_mut(nt)
        .zip(cells.par_iter())
        .try_for_each(|(out, p)| -> Result<()> {
            let model = build_model(p)?;
            let what = format!("node {} of population '{}'", p.node_id, p.population);
            let lins = unit_responses(&model, stim, &t_range, &what)?;
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
            Ok(())
        })?;
    Ok((times, flat))
}
