//! Extracellular potentials imposed on a cell (BMTK's `xstim` and `comsol` inputs).
//!
//! NEURON applies them through its `extracellular` mechanism as BMTK sets it up (defaults
//! xraxial = xg = 1e9, xc = 0, e_extracellular written at every segment centre after each step).
//! With those conductances the extracellular layer follows e_extracellular to ~1e-11 mV at
//! every segment; at a section's zero-area end nodes (no membrane, no xg) it settles where the
//! layer's own axial currents cancel: the mean of the neighbouring segments' values weighted by
//! 1/(distance along the section), the layer's resistance per um being the same everywhere.
//!
//! The engine's unknown is the membrane potential v = vi - vext, so the field enters the cable
//! equation only through the axial currents: node i gains sum_j g_ij (e_j - e_i) nA, g being the
//! intracellular axial conductance between neighbouring nodes.

use std::sync::Arc;

use super::morphology::{CellGeometry, Section};
use crate::error::{Error, Result};

/// A time course shared by many segments: the value imposed during step k (0-based) of a run.
#[derive(Debug, Clone)]
pub struct FieldSeries {
    table: Arc<[f64]>,
    /// BMTK's COMSOL studies repeat: step k >= 1 reads `table[(k - 1) % len]`, step 0 nothing.
    /// Otherwise step k reads `table[k]` and nothing after the table ends.
    periodic: bool,
}

impl FieldSeries {
    pub fn new(table: Arc<[f64]>, periodic: bool) -> Result<Self> {
        if table.iter().any(|a| !a.is_finite()) {
            return Err(Error::invalid(
                "an extracellular potential time course holds a value that is not finite",
            ));
        }
        if periodic && table.is_empty() {
            return Err(Error::invalid(
                "a periodic extracellular potential time course needs at least one value",
            ));
        }
        Ok(FieldSeries { table, periodic })
    }

    #[inline]
    fn at(&self, step: usize) -> f64 {
        if self.periodic {
            if step == 0 {
                0.0
            } else {
                self.table[(step - 1) % self.table.len()]
            }
        } else {
            self.table.get(step).copied().unwrap_or(0.0)
        }
    }
}

/// The imposed potential of one cell: e(node, step) = sum of coeff * series(step) over the
/// node's terms.
#[derive(Debug, Clone)]
pub struct ExtField {
    lane: usize,
    /// (node, series, mV per unit of the series)
    terms: Vec<(u32, u32, f64)>,
    series: Arc<[FieldSeries]>,
    /// Scratch: the potential per node during the current step.
    e: Vec<f64>,
}

impl ExtField {
    /// `seg_terms` are (BMTK segment index: sections in hobj.all order, segments in x order;
    /// series; coefficient). End nodes get the weighted mean of their neighbouring segments.
    pub fn new(
        geometry: &CellGeometry,
        sections: &[Section],
        seg_terms: &[(usize, u32, f64)],
        series: Arc<[FieldSeries]>,
    ) -> Result<Self> {
        let n = geometry.n_nodes();
        let mut per_node: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
        for &(seg, s, c) in seg_terms {
            let node = *geometry.seg_node.get(seg).ok_or_else(|| {
                Error::invalid(format!(
                    "extracellular potential: segment {seg} does not exist (the cell has {})",
                    geometry.seg_node.len()
                ))
            })?;
            if s as usize >= series.len() || !c.is_finite() {
                return Err(Error::invalid(format!(
                    "extracellular potential: segment {seg} has an unknown time course or a coefficient that is not finite"
                )));
            }
            per_node[node].push((s, c));
        }
        let is_segment = |i: usize| geometry.node_x[i] > 0.0 && geometry.node_x[i] < 1.0;
        let half_length_weight = |i: usize| -> Result<f64> {
            let sec = &sections[geometry.node_sec[i]];
            let l = sec.length();
            if l.is_nan() || l <= 0.0 {
                return Err(Error::invalid(format!(
                    "extracellular potential: section {} has zero length",
                    sec.name()
                )));
            }
            Ok(2.0 * sec.nseg as f64 / l)
        };
        let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, &p) in geometry.node_parent.iter().enumerate() {
            if p >= 0 {
                neighbours[i].push(p as usize);
                neighbours[p as usize].push(i);
            }
        }
        let mut terms = Vec::new();
        for (i, nb) in neighbours.iter().enumerate() {
            if is_segment(i) {
                terms.extend(per_node[i].iter().map(|&(s, c)| (i as u32, s, c)));
                continue;
            }
            let segs: Vec<usize> = nb.iter().copied().filter(|&j| is_segment(j)).collect();
            let weights = segs
                .iter()
                .map(|&j| half_length_weight(j))
                .collect::<Result<Vec<f64>>>()?;
            let total: f64 = weights.iter().sum();
            for (&j, &w) in segs.iter().zip(&weights) {
                terms.extend(
                    per_node[j]
                        .iter()
                        .map(|&(s, c)| (i as u32, s, c * w / total)),
                );
            }
        }
        Ok(ExtField {
            lane: 0,
            terms,
            series,
            e: vec![0.0; n],
        })
    }

    pub fn with_lane(mut self, lane: usize) -> Self {
        self.lane = lane;
        self
    }

    pub fn lane(&self) -> usize {
        self.lane
    }

    pub fn n_nodes(&self) -> usize {
        self.e.len()
    }

    /// Writes the potential per node during `step` (mV) into `e`.
    pub fn fill_potential(&self, step: usize, e: &mut [f64]) {
        e.fill(0.0);
        for &(node, s, c) in &self.terms {
            e[node as usize] += c * self.series[s as usize].at(step);
        }
    }

    /// Adds the axial currents the field drives during `step` to `rhs` (node * lanes + lane).
    pub fn add_axial_currents(
        &mut self,
        step: usize,
        parent: &[u32],
        g_axial: &[f64],
        lanes: usize,
        rhs: &mut [f64],
    ) {
        let lane = self.lane;
        let mut e = std::mem::take(&mut self.e);
        self.fill_potential(step, &mut e);
        self.e = e;
        let e = &self.e;
        if e.iter().all(|&x| x == 0.0) {
            return;
        }
        for i in 1..e.len() {
            let p = parent[i] as usize;
            let cur = g_axial[i] * (e[p] - e[i]);
            rhs[i * lanes + lane] += cur;
            rhs[p * lanes + lane] -= cur;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_series_starts_after_the_first_step() {
        let s = FieldSeries::new(vec![1.0, 2.0, 3.0].into(), true).unwrap();
        let got: Vec<f64> = (0..6).map(|k| s.at(k)).collect();
        assert_eq!(got, vec![0.0, 1.0, 2.0, 3.0, 1.0, 2.0]);
        let s = FieldSeries::new(vec![1.0, 2.0].into(), false).unwrap();
        assert_eq!((s.at(1), s.at(2)), (2.0, 0.0));
        assert!(FieldSeries::new(vec![f64::NAN].into(), false).is_err());
        assert!(FieldSeries::new(Vec::new().into(), true).is_err());
    }
}
