//! The voltage grid of a population: bin edges laid out as numpy's `arange(v_min, v_max, dv)`
//! followed by `v_max`, and the bin(s) holding v = 0, where the density starts and where neurons
//! that crossed threshold are put back.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub edges: Vec<f64>,
    /// Bins that receive the reset flux: the two bins on either side of an edge lying exactly at
    /// 0, or the single bin containing 0.
    pub zero_bins: Vec<usize>,
}

impl Grid {
    pub fn new(v_min: f64, v_max: f64, dv: f64) -> Result<Grid> {
        if !(v_min.is_finite() && v_max.is_finite() && dv.is_finite()) || dv <= 0.0 {
            return Err(Error::invalid(format!(
                "voltage grid: v_min={v_min}, v_max={v_max}, dv={dv} must be finite with dv > 0"
            )));
        }
        if !(v_min <= 0.0 && 0.0 < v_max) {
            return Err(Error::invalid(format!(
                "voltage grid: the reset potential 0 must lie in [v_min, v_max) (v_min={v_min}, v_max={v_max})"
            )));
        }
        // numpy sizes arange by ceil((stop - start) / step) and fills start + i * (a[1] - a[0]);
        // the grid follows it to the last bit so bins match dipde's.
        let count = ((v_max - v_min) / dv).ceil();
        if count > 5.0e7 {
            return Err(Error::invalid(format!(
                "voltage grid: {count} bins from v_min={v_min} to v_max={v_max} in steps of {dv} is too many"
            )));
        }
        let count = count as usize;
        let delta = (v_min + dv) - v_min;
        let mut edges: Vec<f64> = (0..count)
            .map(|i| {
                if i == 0 {
                    v_min
                } else {
                    v_min + i as f64 * delta
                }
            })
            .collect();
        edges.push(v_max);
        for e in edges.iter_mut() {
            if e.abs() < f64::EPSILON {
                *e = 0.0;
            }
        }
        if edges.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::invalid(format!(
                "voltage grid: v_min={v_min}, v_max={v_max}, dv={dv} gives an empty voltage bin"
            )));
        }
        let zero_bins = zero_bins(&edges);
        Ok(Grid { edges, zero_bins })
    }

    pub fn n_bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// All mass in the reset bins, shared equally: dipde's default initial density (a delta at 0).
    pub fn delta_at_zero(&self) -> Vec<f64> {
        let mut pv = vec![0.0; self.n_bins()];
        for &z in &self.zero_bins {
            pv[z] = 1.0 / self.zero_bins.len() as f64;
        }
        pv
    }
}

fn zero_bins(edges: &[f64]) -> Vec<usize> {
    let at_zero: Vec<usize> = (0..edges.len()).filter(|&i| edges[i] == 0.0).collect();
    if at_zero.len() == 1 {
        let i = at_zero[0];
        if i == 0 {
            vec![0]
        } else {
            vec![i - 1, i]
        }
    } else {
        // bisect_right(edges, 0) - 1: the last edge <= 0 starts the bin.
        let right = edges.partition_point(|&e| e <= 0.0);
        vec![right.saturating_sub(1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_of_pop_2pops() {
        let g = Grid::new(-0.05, 0.02, 0.0001).unwrap();
        assert_eq!(g.n_bins(), 700);
        // numpy's arange leaves 1.4e-15 at the 500th edge: above eps, so one bin holds 0.
        assert_eq!(g.zero_bins, vec![499]);
        assert!(g.edges[500] > 0.0 && g.edges[499] < 0.0);
        assert_eq!(g.delta_at_zero().iter().sum::<f64>(), 1.0);
    }

    #[test]
    fn exact_zero_edge_splits_reset() {
        let g = Grid::new(-1.0, 1.0, 0.5).unwrap();
        assert_eq!(g.edges, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(g.zero_bins, vec![1, 2]);
    }

    #[test]
    fn bad_grids_are_errors() {
        assert!(Grid::new(0.01, 0.02, 0.001).is_err());
        assert!(Grid::new(-0.05, 0.02, 0.0).is_err());
        assert!(Grid::new(-0.05, 0.02, f64::NAN).is_err());
    }
}
