//! The extracellular potential (ECP / LFP) report: line-source transfer resistances from each
//! segment to each electrode, and the per-step product with the membrane currents.
//!
//! What BMTK 1.2.0 does (bionet/modules/ecp.py, bionet/biocell.py, bionet/morphology.py,
//! utils/simulation_reports.py), written down here because the network simulator must feed it
//! exactly the same quantities:
//!
//! Config. A `reports` entry with `"module": "extracellular"` is built into `EcpMod(**params)`,
//! where params are the entry minus `module` and `enabled` (`enabled: false` drops the report),
//! plus `tmp_dir` = the output dir and `file_name` defaulting to `<report name>.h5` (the report
//! name itself when it already ends in .h5/.hdf/.hdf5). Keys EcpMod accepts (any other key is a
//! TypeError in bmtk):
//! - `electrode_positions` (required): a csv separated by single spaces with a header; columns
//!   `x_pos y_pos z_pos` (um) give one electrode per row, in row order = channel index. A
//!   `channel` column is conventional (bio_450cells' linear_electrode.csv: `channel x_pos y_pos
//!   z_pos`, 87 rows) but is only read by the NWB export; the h5 file numbers channels 0..n-1.
//! - `file_name`: output path, relative paths are joined to the output dir.
//! - `cells`: a node-set name or node-set dict / list of node ids. The cells recorded are the
//!   biophysical cells in that node set (bmtk gives no default: a missing `cells` makes
//!   get_node_set(None) fail). `cell_bounds: [lo, hi]` replaces `cells` by node ids lo..=hi.
//! - `contributions_dir`: when given (relative to the output dir, created if missing), one file
//!   `<gid>.h5` per recorded cell with that cell's own ECP.
//! - `minimum_distance`: absent/null (default) = no special handling; `"auto"` = each segment's
//!   radius (seg.diam / 2); a number (or numeric string) = that distance in um, negative values
//!   clamp to 0; 0 = no special handling. (bmtk silently treats a non-numeric string as 0; here
//!   `MinDistance::from_text` refuses it.)
//! - `file_name_nwb`: also export to NWB (ElectricalSeries) after the run.
//! - `variable_name` and `electrode_channels` are accepted and ignored (all channels are always
//!   recorded; the variable is always the membrane current).
//!
//! Geometry. Per segment (BMTK's segment order: sections in `hobj.all` order, segments by x),
//! the endpoints p0/p1 are the section's 3-d points interpolated (by normalised arc length) at
//! x -/+ 0.5/nseg, relative to the soma centre (mean of all soma 3-d points), then rotated about
//! that centre by Rx(rotation_angle_xaxis) * Ry(..yaxis) * Rz(..zaxis) and translated so the soma
//! centre lands at the node's position: `CellGeometry::node_p0/node_p1` of `seg_node[k]`.
//!
//! Transfer resistance (um^-1, per segment k and electrode e; sigma = 0.3 S/m):
//! with dl = p1 - p0, L = |dl|, r = e - (p0 + p1)/2, a = |r . dl| / L (distance along the axis
//! from the segment centre, always >= 0), h2 = |r|^2 - a^2 (squared distance from the axis),
//! up = a + L/2, low = a - L/2:
//!   T = ln((up + sqrt(up^2 + h2)) / (low + sqrt(low^2 + h2))) / L / (4 pi sigma).
//! With a minimum distance rm, wherever low < rm (the electrode is beside the segment or within rm
//! of its ends along the axis) h2 is raised to at least rm^2. With im in nA, T * im is in mV
//! (nA / (um * S/m) = mV). The formula is evaluated in the same order as bmtk's numpy so the
//! matrices agree to rounding; where bmtk's result is not finite (electrode exactly on a
//! segment's axis inside it with no minimum distance) this module returns an error instead, and
//! for a zero-length segment (bmtk: NaN) it uses the point-source limit 1 / (4 pi sigma r).
//!
//! Current. bmtk sets `cvode.use_fast_imem(1)` and reads every segment's `i_membrane_` (nA): the
//! total transmembrane current of the segment at the end of the step, i.e. capacitive + ionic +
//! synaptic (every point process current except ELECTRODE_CURRENT ones: IClamp/SEClamp currents
//! are not in it). Checked with NEURON 9.0.2: the sum of i_membrane_ over a cell equals the
//! IClamp current, and for every segment node i_membrane_ equals the axial current flowing into
//! it computed with the new voltages, sum_j (v_j - v_i) / ri (megohm), to 1e-14 nA (plus the
//! electrode current injected at that node). bmtk also inserts NEURON's `extracellular`
//! mechanism in every biophysical cell when an ECP report exists; with its defaults it changes
//! voltages by ~1e-10 mV, negligible. (bmtk 1.2.0 warns that NEURON 9.0.2 lacks PtrVector's
//! ptr_update_callback; its pointers are set in an FInitializeHandler and the values it reads
//! agree with a membrane report of i_membrane_ to 1e-15, see tests/bionet/test_ecp.py.)
//!
//! Sampling. The report is sampled after every fadvance: row k holds the state at t = (k+1) dt,
//! k = 0..n_steps-1 with n_steps = round(tstop / dt); no row for t = 0. The file nevertheless
//! labels its time axis `[0, tstop, dt]` (the analyzers plot row k at k * dt).
//!
//! Ranks. Each rank sums its own cells into a temporary `tmp_<rank>_<file name>` in the output
//! dir; at the end the ranks add their blocks into the final file one after the other, so the
//! file holds the sum over all recorded cells. The file layout is in `sonata::ecp`.

use std::path::Path;

use super::morphology::CellGeometry;
use crate::error::{Error, Result};

/// Extracellular conductivity used by BMTK (S/m).
pub const SIGMA: f64 = 0.3;

/// BMTK's `minimum_distance` option.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum MinDistance {
    /// No special treatment of electrodes close to a segment (BMTK's default).
    #[default]
    Off,
    /// One distance (um) for every segment.
    Fixed(f64),
    /// `"auto"`: each segment's radius.
    SegmentRadius,
}

impl MinDistance {
    /// A numeric setting as BMTK reads it: negative clamps to 0, and 0 means off.
    pub fn from_number(v: f64) -> Result<Self> {
        if v.is_nan() || v.is_infinite() {
            return Err(Error::invalid(format!(
                "minimum_distance must be a finite number of um or \"auto\", got {v}"
            )));
        }
        Ok(if v > 0.0 {
            MinDistance::Fixed(v)
        } else {
            MinDistance::Off
        })
    }

    /// A string setting: "auto" or a number.
    pub fn from_text(s: &str) -> Result<Self> {
        let t = s.trim();
        if t == "auto" {
            return Ok(MinDistance::SegmentRadius);
        }
        let v: f64 = t.parse().map_err(|_| {
            Error::invalid(format!(
                "minimum_distance must be a number of um or \"auto\", got {s:?}"
            ))
        })?;
        Self::from_number(v)
    }
}

/// The electrodes of an `electrode_positions` file, in file order (channel index = row index).
#[derive(Debug, Clone, PartialEq)]
pub struct Electrodes {
    pub positions: Vec<[f64; 3]>,
    /// The `channel` column when the file has one (BMTK uses it only for the NWB export).
    pub channel: Option<Vec<i64>>,
}

/// Reads an electrode positions file: whitespace-separated, a header naming at least `x_pos`,
/// `y_pos` and `z_pos`, one electrode per following line.
pub fn read_electrode_positions(path: &Path) -> Result<Electrodes> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::file(path, format!("cannot read electrode positions: {e}")))?;
    parse_electrode_positions(path, &text)
}

fn parse_electrode_positions(path: &Path, text: &str) -> Result<Electrodes> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| Error::format(path, "electrode positions file is empty"))?;
    let cols: Vec<&str> = header.split_whitespace().collect();
    let find = |name: &str| cols.iter().position(|c| *c == name);
    let mut xyz = [0usize; 3];
    for (k, name) in ["x_pos", "y_pos", "z_pos"].iter().enumerate() {
        xyz[k] = find(name).ok_or_else(|| {
            let hint = if header.contains(',') {
                " (the file must be separated by spaces, not commas)"
            } else {
                ""
            };
            Error::format(
                path,
                format!(
                    "electrode positions: the header has no column '{name}' (columns: {}){hint}",
                    cols.join(", ")
                ),
            )
        })?;
    }
    let chan_col = find("channel");
    let mut positions = Vec::new();
    let mut channel = chan_col.map(|_| Vec::new());
    for (ln, line) in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != cols.len() {
            return Err(Error::format(
                path,
                format!(
                    "line {}: {} values for the {} columns of the header",
                    ln + 1,
                    f.len(),
                    cols.len()
                ),
            ));
        }
        let mut p = [0.0; 3];
        for (k, &c) in xyz.iter().enumerate() {
            p[k] = f[c]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    Error::format(
                        path,
                        format!(
                            "line {}, column '{}': {:?} is not a finite number",
                            ln + 1,
                            cols[c],
                            f[c]
                        ),
                    )
                })?;
        }
        positions.push(p);
        if let (Some(ch), Some(c)) = (channel.as_mut(), chan_col) {
            let v = f[c].parse::<i64>().map_err(|_| {
                Error::format(
                    path,
                    format!(
                        "line {}, column 'channel': {:?} is not an integer",
                        ln + 1,
                        f[c]
                    ),
                )
            })?;
            ch.push(v);
        }
    }
    if positions.is_empty() {
        return Err(Error::format(
            path,
            "electrode positions file has a header but no electrode",
        ));
    }
    Ok(Electrodes { positions, channel })
}

/// Which column of the transfer matrix a cell's current goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnOrder {
    /// BMTK's segment order (`seg_node`): one column per segment.
    Segments,
    /// The geometry's node (Hines) order: one column per node, zero for the zero-area end nodes,
    /// so a solver's per-node current array is used as it is.
    Nodes,
}

/// Transfer resistances from segments to electrodes: `out[c] += sum_s T[c][s] * im[s]` gives the
/// potential (mV) at electrode c from the segment currents im (nA). Rows are stored contiguously
/// so one sample is one matrix-vector product.
#[derive(Debug, Clone, PartialEq)]
pub struct EcpTransfer {
    n_channels: usize,
    n_segments: usize,
    /// Row-major n_channels x n_segments.
    matrix: Vec<f64>,
    /// Column ranges of the cells, when built from cells: cell i is offsets[i]..offsets[i + 1].
    offsets: Vec<usize>,
}

impl EcpTransfer {
    /// Transfer matrix for segments with endpoints p0/p1 (um), no minimum distance.
    pub fn new(electrodes: &[[f64; 3]], p0: &[[f64; 3]], p1: &[[f64; 3]]) -> Result<Self> {
        Self::with_min_distance(electrodes, p0, p1, MinDistance::Off, None)
    }

    /// Transfer matrix with BMTK's minimum-distance option; `diam` (um, per segment) is needed
    /// for `SegmentRadius`.
    pub fn with_min_distance(
        electrodes: &[[f64; 3]],
        p0: &[[f64; 3]],
        p1: &[[f64; 3]],
        min: MinDistance,
        diam: Option<&[f64]>,
    ) -> Result<Self> {
        if p0.len() != p1.len() {
            return Err(Error::invalid(format!(
                "ECP: {} segment start points but {} end points",
                p0.len(),
                p1.len()
            )));
        }
        let rm: Vec<f64> = match min {
            MinDistance::Off => Vec::new(),
            MinDistance::Fixed(v) => vec![v; p0.len()],
            MinDistance::SegmentRadius => {
                let d = diam.ok_or_else(|| {
                    Error::invalid("ECP: minimum_distance \"auto\" needs the segment diameters")
                })?;
                if d.len() != p0.len() {
                    return Err(Error::invalid(format!(
                        "ECP: {} segment diameters for {} segments",
                        d.len(),
                        p0.len()
                    )));
                }
                d.iter().map(|v| v / 2.0).collect()
            }
        };
        for (i, e) in electrodes.iter().enumerate() {
            if e.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(format!(
                    "ECP: electrode {i} has a non-finite position {e:?}"
                )));
            }
        }
        for (k, (a, b)) in p0.iter().zip(p1).enumerate() {
            if a.iter().chain(b).any(|v| !v.is_finite()) {
                return Err(Error::invalid(format!(
                    "ECP: segment {k} has a non-finite end point"
                )));
            }
        }
        let n = p0.len();
        let mut matrix = vec![0.0; electrodes.len() * n];
        let scale = 1.0 / (4.0 * std::f64::consts::PI * SIGMA);
        for (c, (e, row)) in electrodes
            .iter()
            .zip(matrix.chunks_mut(n.max(1)))
            .enumerate()
        {
            for k in 0..n {
                let rm_k = rm.get(k).copied();
                let v = line_source(e, &p0[k], &p1[k], rm_k).ok_or_else(|| {
                    Error::invalid(format!(
                        "ECP: electrode {c} at {e:?} lies on the axis of segment {k} \
                         ({:?} - {:?}): the potential there is infinite; set the report's \
                         minimum_distance (um or \"auto\")",
                        p0[k], p1[k]
                    ))
                })?;
                row[k] = v * scale;
            }
        }
        Ok(EcpTransfer {
            n_channels: electrodes.len(),
            n_segments: n,
            matrix,
            offsets: vec![0, n],
        })
    }

    /// Transfer matrix for several placed cells, their columns one after the other.
    pub fn from_cells(
        electrodes: &[[f64; 3]],
        cells: &[&CellGeometry],
        min: MinDistance,
        order: ColumnOrder,
    ) -> Result<Self> {
        let mut p0 = Vec::new();
        let mut p1 = Vec::new();
        let mut diam = Vec::new();
        let mut offsets = vec![0];
        let mut live = Vec::new();
        for g in cells {
            match order {
                ColumnOrder::Segments => {
                    for &i in &g.seg_node {
                        p0.push(g.node_p0[i]);
                        p1.push(g.node_p1[i]);
                        diam.push(g.node_diam[i]);
                        live.push(true);
                    }
                }
                ColumnOrder::Nodes => {
                    let mut is_seg = vec![false; g.n_nodes()];
                    for &i in &g.seg_node {
                        is_seg[i] = true;
                    }
                    for (i, &s) in is_seg.iter().enumerate() {
                        p0.push(g.node_p0[i]);
                        p1.push(g.node_p1[i]);
                        diam.push(g.node_diam[i]);
                        live.push(s);
                    }
                }
            }
            offsets.push(p0.len());
        }
        // End nodes are points (p0 == p1) that carry no current: only segment columns are
        // computed, the others stay zero.
        let idx: Vec<usize> = (0..p0.len()).filter(|&i| live[i]).collect();
        let sub = |v: &[[f64; 3]]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let d: Vec<f64> = idx.iter().map(|&i| diam[i]).collect();
        let t = Self::with_min_distance(electrodes, &sub(&p0), &sub(&p1), min, Some(&d))?;
        let n = p0.len();
        let mut matrix = vec![0.0; electrodes.len() * n];
        for c in 0..electrodes.len() {
            let src = t.row(c);
            let dst = &mut matrix[c * n..(c + 1) * n];
            for (j, &i) in idx.iter().enumerate() {
                dst[i] = src[j];
            }
        }
        Ok(EcpTransfer {
            n_channels: electrodes.len(),
            n_segments: n,
            matrix,
            offsets,
        })
    }

    pub fn n_channels(&self) -> usize {
        self.n_channels
    }

    /// Number of columns (segments, or nodes for `ColumnOrder::Nodes`).
    pub fn n_segments(&self) -> usize {
        self.n_segments
    }

    /// Row-major n_channels x n_segments, in um^-1 * (1 / (4 pi sigma)) = mV / nA.
    pub fn matrix(&self) -> &[f64] {
        &self.matrix
    }

    pub fn row(&self, channel: usize) -> &[f64] {
        &self.matrix[channel * self.n_segments..(channel + 1) * self.n_segments]
    }

    /// Column ranges of the cells this matrix was built from (one range when built from bare
    /// segments): cell i owns columns offsets[i]..offsets[i + 1].
    pub fn cell_offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Adds the potentials (mV) of one sample to `out` (one value per channel), from the
    /// membrane currents (nA) of every column.
    pub fn accumulate(&self, i_membrane: &[f64], out: &mut [f64]) {
        self.accumulate_columns(0..self.n_segments, i_membrane, out);
    }

    /// As `accumulate` for the columns `cols` only (e.g. one cell, for its contribution file);
    /// `i_membrane` holds just those columns' currents.
    pub fn accumulate_columns(
        &self,
        cols: std::ops::Range<usize>,
        i_membrane: &[f64],
        out: &mut [f64],
    ) {
        assert_eq!(i_membrane.len(), cols.len(), "one current per column");
        assert_eq!(out.len(), self.n_channels, "one output per channel");
        for (c, o) in out.iter_mut().enumerate() {
            let row = &self.row(c)[cols.clone()];
            *o += dot(row, i_membrane);
        }
    }

    /// Adds `n_steps` samples at once: `i_membrane` is n_steps x n_segments, `out` n_steps x
    /// n_channels (both row-major).
    pub fn accumulate_steps(&self, i_membrane: &[f64], out: &mut [f64]) {
        let n = self.n_segments.max(1);
        let steps = i_membrane.len() / n;
        assert_eq!(i_membrane.len(), steps * self.n_segments, "whole rows");
        assert_eq!(
            out.len(),
            steps * self.n_channels,
            "one output row per step"
        );
        if self.n_segments == 0 {
            return;
        }
        for (im, o) in i_membrane
            .chunks_exact(self.n_segments)
            .zip(out.chunks_exact_mut(self.n_channels.max(1)))
        {
            self.accumulate(im, o);
        }
    }
}

/// Dot product with four independent sums (vectorises; the order differs from a plain loop
/// only by rounding).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..4 {
            s[j] += x[j] * y[j];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Line-source term ln(num/den)/L (um^-1) of one segment for one electrode, in the order bmtk
/// evaluates it; None where it is not finite.
fn line_source(e: &[f64; 3], p0: &[f64; 3], p1: &[f64; 3], rm: Option<f64>) -> Option<f64> {
    let mut r = [0.0; 3];
    let mut dl = [0.0; 3];
    for j in 0..3 {
        let mid = (p0[j] + p1[j]) / 2.0;
        r[j] = e[j] - mid;
        dl[j] = p1[j] - p0[j];
    }
    let r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    let rdl = r[0] * dl[0] + r[1] * dl[1] + r[2] * dl[2];
    let len = (dl[0] * dl[0] + dl[1] * dl[1] + dl[2] * dl[2]).sqrt();
    if len == 0.0 {
        // Point-source limit of the line source (bmtk divides by zero here).
        let d2 = match rm {
            Some(m) if m > 0.0 => r2.max(m * m),
            _ => r2,
        };
        let v = 1.0 / d2.sqrt();
        return v.is_finite().then_some(v);
    }
    let rll = (rdl / len).abs();
    // Rounding can leave a tiny negative square; the distance from the axis is then 0.
    let mut h2 = (r2 - rll * rll).max(0.0);
    let up = rll + len / 2.0;
    let low = rll - len / 2.0;
    if let Some(m) = rm {
        if low < m {
            h2 = h2.max(m * m);
        }
    }
    let num = up + (up * up + h2).sqrt();
    let den = low + (low * low + h2).sqrt();
    let v = (num / den).ln() / len;
    (v.is_finite() && den > 0.0).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numerical integral of 1/|e - x| along the segment, divided by its length.
    fn quadrature(e: &[f64; 3], p0: &[f64; 3], p1: &[f64; 3]) -> f64 {
        let n = 200_000;
        let mut s = 0.0;
        for i in 0..n {
            let t = (i as f64 + 0.5) / n as f64;
            let d: f64 = (0..3)
                .map(|j| {
                    let x = p0[j] + t * (p1[j] - p0[j]);
                    (e[j] - x).powi(2)
                })
                .sum();
            s += 1.0 / d.sqrt();
        }
        s / n as f64
    }

    #[test]
    fn line_source_is_the_integral_of_point_sources() {
        let p0 = [1.0, -2.0, 0.5];
        let p1 = [4.0, 3.0, -1.0];
        for e in [
            [10.0, 0.0, 0.0],
            [2.5, 0.5, 3.0],
            [-6.0, -9.0, 2.0],
            [7.0, 8.0, -2.5],
        ] {
            let v = line_source(&e, &p0, &p1, None).unwrap();
            let q = quadrature(&e, &p0, &p1);
            assert!((v - q).abs() < 1e-8 * q, "{e:?}: {v} vs {q}");
        }
    }

    #[test]
    fn minimum_distance_limits_the_potential_beside_a_segment() {
        let p0 = [0.0, 0.0, 0.0];
        let p1 = [0.0, 0.0, 10.0];
        let on_axis = [0.0, 0.0, 5.0];
        assert!(line_source(&on_axis, &p0, &p1, None).is_none());
        let near = [0.1, 0.0, 5.0];
        let clamped = line_source(&near, &p0, &p1, Some(1.0)).unwrap();
        let at_rm = line_source(&[1.0, 0.0, 5.0], &p0, &p1, None).unwrap();
        assert!((clamped - at_rm).abs() < 1e-12);
        // beyond rm along the axis the distance is used as it is
        let far = [0.1, 0.0, 30.0];
        assert_eq!(
            line_source(&far, &p0, &p1, Some(1.0)),
            line_source(&far, &p0, &p1, None)
        );
        let err = EcpTransfer::new(&[on_axis], &[p0], &[p1]).unwrap_err();
        assert!(err.to_string().contains("minimum_distance"), "{err}");
    }

    #[test]
    fn accumulate_is_the_matrix_product() {
        let el = [[0.0, 0.0, 50.0], [20.0, 5.0, -3.0], [3.0, 100.0, 0.0]];
        let p0: Vec<[f64; 3]> = (0..9).map(|i| [i as f64, 0.5 * i as f64, 1.0]).collect();
        let p1: Vec<[f64; 3]> = (0..9)
            .map(|i| [i as f64 + 1.0, 0.5 * i as f64, 3.0])
            .collect();
        let t = EcpTransfer::new(&el, &p0, &p1).unwrap();
        let im: Vec<f64> = (0..18).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut out = vec![0.0; 6];
        t.accumulate_steps(&im, &mut out);
        for s in 0..2 {
            for c in 0..3 {
                let want: f64 = (0..9).map(|k| t.row(c)[k] * im[s * 9 + k]).sum();
                assert!((out[s * 3 + c] - want).abs() < 1e-14 * want.abs().max(1.0));
            }
        }
        let mut part = vec![0.0; 3];
        t.accumulate_columns(0..4, &im[..4], &mut part);
        t.accumulate_columns(4..9, &im[4..9], &mut part);
        for c in 0..3 {
            assert!((part[c] - out[c]).abs() < 1e-14);
        }
    }

    #[test]
    fn node_columns_hold_the_segment_columns() {
        use crate::bionet::morphology::Morphology;
        use crate::bionet::swc::Swc;
        let text =
            "1 1 0 0 0 5 -1\n2 3 0 6 0 1 1\n3 3 0 40 0 1 2\n4 4 0 -6 0 1.5 1\n5 4 3 -50 2 1 4\n";
        let mut m = Morphology::from_swc(&Swc::parse(Path::new("t.swc"), text).unwrap());
        m.set_segment_dl(10.0).unwrap();
        let g = m
            .geometry(&|_| 100.0, Some([5.0, -20.0, 3.0]), Some([0.3, -1.0, 2.0]))
            .unwrap();
        let el = [[10.0, 0.0, 5.0], [10.0, -40.0, 5.0]];
        let by_seg =
            EcpTransfer::from_cells(&el, &[&g, &g], MinDistance::Off, ColumnOrder::Segments)
                .unwrap();
        let by_node =
            EcpTransfer::from_cells(&el, &[&g, &g], MinDistance::Off, ColumnOrder::Nodes).unwrap();
        let (ns, nn) = (g.seg_node.len(), g.n_nodes());
        assert_eq!(by_seg.cell_offsets(), &[0, ns, 2 * ns]);
        assert_eq!(by_node.cell_offsets(), &[0, nn, 2 * nn]);
        for c in 0..2 {
            let mut nonzero = 0;
            for (k, &i) in g.seg_node.iter().enumerate() {
                assert_eq!(by_seg.row(c)[k], by_node.row(c)[i]);
                assert_eq!(by_seg.row(c)[ns + k], by_node.row(c)[nn + i]);
            }
            for v in by_node.row(c) {
                nonzero += usize::from(*v != 0.0);
            }
            assert_eq!(nonzero, 2 * ns, "end nodes get no column");
        }
    }

    #[test]
    fn electrode_file_errors_name_the_column() {
        let p = Path::new("el.csv");
        let ok = parse_electrode_positions(p, "channel x_pos y_pos z_pos\n0 1 2 3\n1 4 5 6\n");
        let ok = ok.unwrap();
        assert_eq!(ok.positions, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(ok.channel, Some(vec![0, 1]));
        let e = parse_electrode_positions(p, "channel,x_pos,y_pos,z_pos\n0,1,2,3\n").unwrap_err();
        assert!(e.to_string().contains("x_pos") && e.to_string().contains("commas"));
        let e = parse_electrode_positions(p, "x_pos y_pos z_pos\n1 2 abc\n").unwrap_err();
        assert!(e.to_string().contains("line 2, column 'z_pos'"), "{e}");
        let e = parse_electrode_positions(p, "x_pos y_pos z_pos\n1 2\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(parse_electrode_positions(p, "x_pos y_pos z_pos\n").is_err());
        assert!(MinDistance::from_text("abc").is_err());
        assert_eq!(
            MinDistance::from_text("auto").unwrap(),
            MinDistance::SegmentRadius
        );
        assert_eq!(MinDistance::from_number(-2.0).unwrap(), MinDistance::Off);
    }
}
