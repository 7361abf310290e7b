//! Visual stimuli. A stimulus is a sequence of frames on a pixel grid; what the engine needs from
//! it is, for one spatial kernel, the kernel-weighted sum of every frame. Preset stimuli
//! (full-field flash, gratings, looming disc) are evaluated frame by frame on the kernel's
//! support only, so the movie is never materialised.

use std::borrow::Cow;

use super::spatial::SpatialKernel;
use crate::error::{Error, Result};

/// Movie pixels in the dtype they were given (8-bit movies stay 8-bit in memory), borrowed
/// from the caller's buffer when possible.
#[derive(Debug, Clone)]
pub enum DenseData<'a> {
    F64(Cow<'a, [f64]>),
    F32(Cow<'a, [f32]>),
    U8(Cow<'a, [u8]>),
}

impl DenseData<'_> {
    pub fn len(&self) -> usize {
        match self {
            DenseData::F64(v) => v.len(),
            DenseData::F32(v) => v.len(),
            DenseData::U8(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Frame-major kernel sums: each frame is read once for all kernels while it is in cache.
fn dense_sums<T: Copy + Into<f64>>(
    data: &[T],
    fsz: usize,
    n_frames: usize,
    runs: &[Runs],
) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; n_frames]; runs.len()];
    for (f, frame) in data.chunks_exact(fsz).take(n_frames).enumerate() {
        for (o, r) in out.iter_mut().zip(runs) {
            o[f] = r.sum(frame);
        }
    }
    out
}

/// A spatial kernel as runs of pixels adjacent in memory (along a movie row), so a frame sum
/// reads contiguous slices.
struct Runs {
    /// (offset of the first pixel in the frame, index of its weight, length)
    runs: Vec<(usize, usize, usize)>,
    w: Vec<f64>,
}

impl Runs {
    fn new(k: &SpatialKernel, n_cols: usize) -> Self {
        let mut px: Vec<(usize, f64)> = k
            .rows
            .iter()
            .zip(&k.cols)
            .zip(&k.w)
            .map(|((&r, &c), &w)| (r as usize * n_cols + c as usize, w))
            .collect();
        px.sort_by_key(|p| p.0);
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (i, &(o, _)) in px.iter().enumerate() {
            match runs.last_mut() {
                Some(last) if last.0 + last.2 == o => last.2 += 1,
                _ => runs.push((o, i, 1)),
            }
        }
        Runs {
            runs,
            w: px.into_iter().map(|p| p.1).collect(),
        }
    }

    fn sum<T: Copy + Into<f64>>(&self, frame: &[T]) -> f64 {
        // four independent accumulators: the sum is bound by add latency otherwise
        let mut acc = [0.0f64; 4];
        let mut tail = 0.0;
        for &(o, wi, len) in &self.runs {
            let x = &frame[o..o + len];
            let w = &self.w[wi..wi + len];
            let mut xc = x.chunks_exact(4);
            let mut wc = w.chunks_exact(4);
            for (xv, wv) in (&mut xc).zip(&mut wc) {
                for l in 0..4 {
                    acc[l] += xv[l].into() * wv[l];
                }
            }
            for (xv, wv) in xc.remainder().iter().zip(wc.remainder()) {
                tail += (*xv).into() * wv;
            }
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
    }
}

fn frame_sums<T: Copy + Into<f64>>(
    data: &[T],
    n: usize,
    fsz: usize,
    offs: &[usize],
    w: &[f64],
) -> Vec<f64> {
    (0..n)
        .map(|f| {
            let fr = &data[f * fsz..(f + 1) * fsz];
            let mut s = 0.0;
            for (o, wv) in offs.iter().zip(w) {
                s += fr[*o].into() * wv;
            }
            s
        })
        .collect()
}

#[derive(Debug, Clone)]
pub enum Frames<'a> {
    /// A movie held in memory, frames x rows x cols, row-major.
    Dense { data: DenseData<'a> },
    /// Every pixel of frame f has value `values[f]`.
    Uniform { values: Vec<f64> },
    /// `n_gray` blank frames, then grating frames 1.. of `contrast*sin(2*pi*(cpd*xy - tf*t) + phase)`
    /// with xy = x*cos(theta) + y*sin(theta) over pixel coordinates `xcoord` (per column) and
    /// `ycoord` (per row) and times `time`.
    Grating {
        n_gray: usize,
        time: Vec<f64>,
        xcoord: Vec<f64>,
        ycoord: Vec<f64>,
        cpd: f64,
        temporal_f: f64,
        theta: f64,
        phase: f64,
        contrast: f64,
    },
    /// `n_gray` blank frames, then `n_loom` frames of a dark disc growing from the centre.
    Looming { n_gray: usize, n_loom: usize },
}

#[derive(Debug, Clone)]
pub struct Stimulus<'a> {
    pub frames: Frames<'a>,
    pub n_frames: usize,
    pub n_rows: usize,
    pub n_cols: usize,
    pub frame_rate: f64,
    /// Pixel coordinates used to place the receptive fields.
    pub row_range: Vec<f64>,
    pub col_range: Vec<f64>,
    /// The movie's time axis (s) when the config gave one (`t_range`); else frames sit at
    /// arange(n_frames) / frame_rate.
    pub times: Option<Vec<f64>>,
}

impl<'a> Stimulus<'a> {
    pub fn new(
        frames: Frames<'a>,
        n_frames: usize,
        n_rows: usize,
        n_cols: usize,
        frame_rate: f64,
        row_range: Vec<f64>,
        col_range: Vec<f64>,
    ) -> Result<Self> {
        if !(frame_rate.is_finite() && frame_rate > 0.0) {
            return Err(Error::invalid(format!(
                "movie frame_rate must be a positive number (got {frame_rate})"
            )));
        }
        if n_frames == 0 {
            return Err(Error::invalid("the movie has no frames"));
        }
        if row_range.len() != n_rows || col_range.len() != n_cols {
            return Err(Error::invalid(format!(
                "row_range/col_range lengths ({}, {}) do not match the movie's {} rows x {} columns",
                row_range.len(),
                col_range.len(),
                n_rows,
                n_cols
            )));
        }
        let ok = match &frames {
            Frames::Dense { data } => data.len() == n_frames * n_rows * n_cols,
            Frames::Uniform { values } => values.len() == n_frames,
            Frames::Grating {
                n_gray,
                time,
                xcoord,
                ycoord,
                ..
            } => {
                xcoord.len() == n_cols
                    && ycoord.len() == n_rows
                    && *n_gray + time.len() - usize::from(*n_gray > 0) == n_frames
            }
            Frames::Looming { n_gray, n_loom } => n_gray + n_loom == n_frames,
        };
        if !ok {
            return Err(Error::invalid(
                "inconsistent movie description (frame count or pixel grid)",
            ));
        }
        Ok(Stimulus {
            frames,
            n_frames,
            n_rows,
            n_cols,
            frame_rate,
            row_range,
            col_range,
            times: None,
        })
    }

    /// A movie whose time axis is given (BMTK's Movie `t_range`; the caller sets the frame rate
    /// to 1 / mean(diff(t_range)) as numpy computes it). The axis need not have one entry per
    /// frame: BMTK samples the temporal kernels at these times and bounds the evaluation by its
    /// ends, while frames stay addressed by t * frame_rate.
    pub fn with_times(mut self, t_range: Vec<f64>) -> Result<Self> {
        if t_range.len() < 2 || t_range.iter().any(|t| !t.is_finite()) {
            return Err(Error::invalid(format!(
                "movie t_range must hold at least two finite times (got {} value(s))",
                t_range.len()
            )));
        }
        self.times = Some(t_range);
        Ok(self)
    }

    /// The movie's time axis (s): the given `t_range`, else arange(n) / frame_rate as BMTK's
    /// Movie builds it.
    pub fn t_range(&self) -> Vec<f64> {
        if let Some(t) = &self.times {
            return t.clone();
        }
        let dt = 1.0 / self.frame_rate;
        (0..self.n_frames).map(|i| i as f64 * dt).collect()
    }

    /// Whether consecutive times differ from 1/frame_rate by less than 1.5e-7 s (the check
    /// BMTK's exact evaluation makes: np.testing.assert_almost_equal to 7 decimals).
    pub fn uniform_times(&self) -> bool {
        match &self.times {
            None => true,
            Some(t) => {
                let dt = 1.0 / self.frame_rate;
                t.windows(2).all(|w| ((w[1] - w[0]) - dt).abs() < 1.5e-7)
            }
        }
    }

    /// Kernel-weighted sums of every frame for several kernels. Movies held in memory are read
    /// frame by frame (each frame once for all kernels, while it is in cache).
    pub fn spatial_responses(&self, ks: &[SpatialKernel]) -> Vec<Vec<f64>> {
        if let Frames::Dense { data } = &self.frames {
            let fsz = self.n_rows * self.n_cols;
            let runs: Vec<Runs> = ks.iter().map(|k| Runs::new(k, self.n_cols)).collect();
            return match data {
                DenseData::F64(d) => dense_sums(d, fsz, self.n_frames, &runs),
                DenseData::F32(d) => dense_sums(d, fsz, self.n_frames, &runs),
                DenseData::U8(d) => dense_sums(d, fsz, self.n_frames, &runs),
            };
        }
        ks.iter().map(|k| self.spatial_response(k)).collect()
    }

    /// Kernel-weighted sum of every frame.
    pub fn spatial_response(&self, k: &SpatialKernel) -> Vec<f64> {
        let n = self.n_frames;
        match &self.frames {
            Frames::Dense { data } => {
                let fsz = self.n_rows * self.n_cols;
                let offs: Vec<usize> = k
                    .rows
                    .iter()
                    .zip(&k.cols)
                    .map(|(&r, &c)| r as usize * self.n_cols + c as usize)
                    .collect();
                match data {
                    DenseData::F64(d) => frame_sums(d, n, fsz, &offs, &k.w),
                    DenseData::F32(d) => frame_sums(d, n, fsz, &offs, &k.w),
                    DenseData::U8(d) => frame_sums(d, n, fsz, &offs, &k.w),
                }
            }
            Frames::Uniform { values } => {
                let ksum: f64 = k.w.iter().sum();
                values.iter().map(|v| v * ksum).collect()
            }
            Frames::Grating {
                n_gray,
                time,
                xcoord,
                ycoord,
                cpd,
                temporal_f,
                theta,
                phase,
                contrast,
            } => {
                let (ct, st) = (theta.cos(), theta.sin());
                let xy: Vec<f64> = k
                    .rows
                    .iter()
                    .zip(&k.cols)
                    .map(|(&r, &c)| xcoord[c as usize] * ct + ycoord[r as usize] * st)
                    .collect();
                let two_pi = 2.0 * std::f64::consts::PI;
                let mut out = vec![0.0; n];
                // After a gray screen the grating's first frame is dropped (BMTK's Movie.__add__).
                let skip = usize::from(*n_gray > 0);
                for (i, &t) in time.iter().enumerate().skip(skip) {
                    let mut s = 0.0;
                    for (a, w) in xy.iter().zip(&k.w) {
                        let v = contrast * (two_pi * (cpd * a - temporal_f * t) + phase).sin();
                        s += v * w;
                    }
                    out[n_gray + i - skip] = s;
                }
                out
            }
            Frames::Looming { n_gray, n_loom } => {
                let (hr, hc) = (self.n_rows as f64 / 2.0, self.n_cols as f64 / 2.0);
                let circle: Vec<f64> = k
                    .rows
                    .iter()
                    .zip(&k.cols)
                    .map(|(&r, &c)| {
                        let a = r as f64 - hr;
                        let b = c as f64 - hc;
                        a * a + b * b
                    })
                    .collect();
                let radius2 = 25.0f64 * 25.0;
                let mut out = vec![0.0; n];
                for i in 0..*n_loom {
                    let thr = (i as f64 / (4.0 / 3.0)).rem_euclid(radius2);
                    let mut s = 0.0;
                    for (cv, w) in circle.iter().zip(&k.w) {
                        let v = if *cv <= thr { -1.0 } else { -0.0 };
                        s += v * w;
                    }
                    out[n_gray + i] = s;
                }
                out
            }
        }
    }
}
