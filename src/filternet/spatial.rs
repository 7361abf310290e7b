//! Spatial filters: BMTK's `GaussianSpatialFilter`. A centred point is blurred with a sampled
//! Gaussian (as scipy's `gaussian_filter`, mode 'nearest', truncate 4), moved to the receptive
//! field position with an affine warp (bilinear, zero outside, as scikit-image's `warp`), and the
//! non-zero pixels kept and normalised to unit sum. The result is a sparse list of movie pixels.

use super::temporal::pairwise_sum;
use crate::error::{Error, Result};

/// Non-zero weights of a spatial kernel over movie pixels `(row, col)`.
#[derive(Debug, Clone, Default)]
pub struct SpatialKernel {
    pub rows: Vec<u32>,
    pub cols: Vec<u32>,
    pub w: Vec<f64>,
}

impl SpatialKernel {
    pub fn len(&self) -> usize {
        self.w.len()
    }

    pub fn is_empty(&self) -> bool {
        self.w.is_empty()
    }

    pub fn scale(&mut self, a: f64) {
        for v in &mut self.w {
            *v *= a;
        }
    }
}

/// Parameters of one Gaussian receptive field, in the movie's units (degrees).
#[derive(Debug, Clone, Copy)]
pub struct Gaussian {
    pub sigma: (f64, f64),
    pub translate: (f64, f64),
    pub rotation_deg: f64,
}

fn gaussian_weights(sd: f64) -> (Vec<f64>, usize) {
    let radius = (4.0 * sd + 0.5) as usize;
    let s2 = sd * sd;
    let phi: Vec<f64> = (-(radius as i64)..=radius as i64)
        .map(|x| (-0.5 / s2 * (x * x) as f64).exp())
        .collect();
    let sum = pairwise_sum(&phi);
    (phi.into_iter().map(|v| v / sum).collect(), radius)
}

/// scipy's symmetric correlate1d with 'nearest' boundaries, on one line.
fn correlate_line(input: &[f64], w: &[f64], radius: usize, out: &mut [f64]) {
    let n = input.len() as i64;
    let at = |i: i64| input[i.clamp(0, n - 1) as usize];
    for (l, o) in out.iter_mut().enumerate() {
        let l = l as i64;
        let mut acc = at(l) * w[radius];
        for j in (1..=radius).rev() {
            let j = j as i64;
            acc += (at(l - j) + at(l + j)) * w[radius - j as usize];
        }
        *o = acc;
    }
}

type Mat3 = [[f64; 3]; 3];

fn matmul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut c = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let mut s = 0.0;
            for (k, bk) in b.iter().enumerate() {
                s += a[i][k] * bk[j];
            }
            c[i][j] = s;
        }
    }
    c
}

fn translation(tx: f64, ty: f64) -> Mat3 {
    [[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]]
}

/// Builds the kernel on the movie grid given by `row_range` and `col_range` (pixel coordinates
/// in degrees). `what` names the cell for error messages.
pub fn gaussian_kernel(
    g: &Gaussian,
    row_range: &[f64],
    col_range: &[f64],
    what: &str,
) -> Result<SpatialKernel> {
    let nr = row_range.len();
    let nc = col_range.len();
    if nr < 2 || nc < 2 {
        return Err(Error::invalid(format!(
            "{what}: the movie must have at least 2 rows and 2 columns"
        )));
    }
    if !(g.sigma.0.is_finite()
        && g.sigma.1.is_finite()
        && g.translate.0.is_finite()
        && g.translate.1.is_finite())
    {
        return Err(Error::invalid(format!(
            "{what}: spatial filter needs finite sigma and x/y (got sigma {:?}, position {:?})",
            g.sigma, g.translate
        )));
    }
    let drow = row_range[1] - row_range[0];
    let dcol = col_range[1] - col_range[0];
    // Image with axis 0 along movie columns (h = nc) and axis 1 along movie rows (w = nr).
    let (h, w) = (nc, nr);
    let mut img = vec![0.0f64; h * w];
    let (h2, w2) = (h / 2, w / 2);
    match (h % 2 == 0, w % 2 == 0) {
        (true, true) => {
            for ii in 0..2 {
                for jj in 0..2 {
                    img[(h2 + ii - 1) * w + (w2 + jj - 1)] = 0.25;
                }
            }
        }
        (true, false) => {
            for ii in 0..2 {
                img[(h2 + ii - 1) * w + w2] = 0.25;
            }
        }
        (false, true) => {
            for jj in 0..2 {
                img[h2 * w + (w2 + jj - 1)] = 0.25;
            }
        }
        (false, false) => img[h2 * w + w2] = 0.25,
    }
    // Gaussian blur: axis 0 then axis 1; lines that are all zero stay zero.
    let sd0 = g.sigma.0 / dcol;
    let sd1 = g.sigma.1 / drow;
    if sd0 > 1e-15 {
        let (wts, r) = gaussian_weights(sd0);
        let mut line = vec![0.0; h];
        let mut out = vec![0.0; h];
        for j in 0..w {
            let mut any = false;
            for i in 0..h {
                line[i] = img[i * w + j];
                any |= line[i] != 0.0;
            }
            if !any {
                continue;
            }
            correlate_line(&line, &wts, r, &mut out);
            for i in 0..h {
                img[i * w + j] = out[i];
            }
        }
    }
    if sd1 > 1e-15 {
        let (wts, r) = gaussian_weights(sd1);
        let mut out = vec![0.0; w];
        for i in 0..h {
            let line = &img[i * w..(i + 1) * w];
            if line.iter().all(|&v| v == 0.0) {
                continue;
            }
            correlate_line(line, &wts, r, &mut out);
            img[i * w..(i + 1) * w].copy_from_slice(&out);
        }
    }
    // Inverse map (output pixel -> input pixel): translation then rotation about the centre.
    let (shift_y, shift_x) = (h as f64 / 2.0, w as f64 / 2.0);
    let th = g.rotation_deg * (std::f64::consts::PI / 180.0);
    let rot = [
        [th.cos(), -th.sin(), 0.0],
        [th.sin(), th.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let rtot = matmul(
        &matmul(&translation(shift_x, shift_y), &rot),
        &translation(-shift_x, -shift_y),
    );
    let tx = g.translate.1 / drow;
    let ty = -g.translate.0 / dcol;
    let t1 = translation(-tx, ty);
    let center_y = -(0.0 - (col_range[nc - 1] + col_range[0]) / 2.0) / dcol;
    let center_x = (0.0 - (row_range[nr - 1] + row_range[0]) / 2.0) / drow;
    let t2 = translation(-center_x, center_y);
    let m = matmul(&rtot, &matmul(&t2, &t1));
    let metric = m[0][1] == 0.0 && m[1][0] == 0.0;

    let (mut vmin, mut vmax) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in &img {
        vmin = vmin.min(v);
        vmax = vmax.max(v);
    }
    let pix = |r: i64, c: i64| -> f64 {
        if r < 0 || c < 0 || r >= h as i64 || c >= w as i64 {
            0.0
        } else {
            img[r as usize * w + c as usize]
        }
    };
    // Only output pixels that map near the blurred point can be non-zero: without rotation the
    // map is a shift, so restrict the loops to the input's non-zero box plus one pixel.
    let (mut r_lo, mut r_hi, mut c_lo, mut c_hi) = (usize::MAX, 0usize, usize::MAX, 0usize);
    for i in 0..h {
        for j in 0..w {
            if img[i * w + j] != 0.0 {
                r_lo = r_lo.min(i);
                r_hi = r_hi.max(i);
                c_lo = c_lo.min(j);
                c_hi = c_hi.max(j);
            }
        }
    }
    let (mut out_r, mut out_c) = (0..h, 0..w);
    if metric && r_lo <= r_hi && m[0][0] == 1.0 && m[1][1] == 1.0 {
        let span = |lo: usize, hi: usize, off: f64, n: usize| {
            let a = ((lo as f64 - 1.0 - off).floor() - 1.0).max(0.0) as usize;
            let b = ((hi as f64 + 1.0 - off).ceil() + 2.0).clamp(0.0, n as f64) as usize;
            a.min(n)..b.max(a.min(n))
        };
        out_r = span(r_lo, r_hi, m[1][2], h);
        out_c = span(c_lo, c_hi, m[0][2], w);
    }
    let mut k = SpatialKernel::default();
    for tfr in out_r {
        for tfc in out_c.clone() {
            let (x, y) = (tfc as f64, tfr as f64);
            let (c, r) = if metric {
                (m[0][0] * x + m[0][2], m[1][1] * y + m[1][2])
            } else {
                (
                    m[0][0] * x + m[0][1] * y + m[0][2],
                    m[1][0] * x + m[1][1] * y + m[1][2],
                )
            };
            if !(r > -1.0 && c > -1.0 && r < h as f64 && c < w as f64) {
                continue;
            }
            let (minr, minc) = (r.floor() as i64, c.floor() as i64);
            let (maxr, maxc) = (r.ceil() as i64, c.ceil() as i64);
            let dr = r - minr as f64;
            let dc = c - minc as f64;
            let top = (1.0 - dc) * pix(minr, minc) + dc * pix(minr, maxc);
            let bottom = (1.0 - dc) * pix(maxr, minc) + dc * pix(maxr, maxc);
            let mut v = (1.0 - dr) * top + dr * bottom;
            if !(vmin > 0.0 && v == 0.0) {
                v = v.clamp(vmin, vmax);
            }
            if v.abs() > 0.0 {
                // movie row = axis 1 index, movie column = axis 0 index
                k.rows.push(tfc as u32);
                k.cols.push(tfr as u32);
                k.w.push(v);
            }
        }
    }
    if k.is_empty() {
        return Err(Error::invalid(format!(
            "{what}: the receptive field (position {:?}, sigma {:?}) lies entirely outside the movie",
            g.translate, g.sigma
        )));
    }
    let s = pairwise_sum(&k.w).abs();
    for v in &mut k.w {
        *v /= s;
    }
    Ok(k)
}
