//! The flux operators of a density on its grid, as lists of (row, column, value) entries of the
//! matrix J in dp/dt = J p (columns are source bins, rows target bins; every column sums to 0
//! once the reset flux is included).

use super::grid::Grid;

pub type Entries = Vec<(usize, usize, f64)>;

/// Leak towards 0 at rate |v| / tau: mass in a bin above the reset bins moves one bin down at
/// rate v_upper / (tau dv), mass below moves one bin up at rate v_lower / (tau |dv|); the reset
/// bins themselves do not leak. `tau` is a distribution of time constants (value, probability).
pub fn leak(grid: &Grid, tau: &[(f64, f64)]) -> Entries {
    let v = &grid.edges;
    let n = grid.n_bins();
    let zmax = *grid.zero_bins.iter().max().unwrap();
    let zmin = *grid.zero_bins.iter().min().unwrap();
    let mut out = Vec::with_capacity(4 * n * tau.len());
    for &(t, p) in tau {
        for s in zmax + 1..n {
            let rate = v[s + 1] / (t * (v[s + 1] - v[s]));
            out.push((s, s, -p * rate));
            out.push((s - 1, s, p * rate));
        }
        for s in 0..zmin {
            let rate = v[s] / (t * (v[s] - v[s + 1]));
            out.push((s, s, -p * rate));
            out.push((s + 1, s, p * rate));
        }
    }
    out
}

/// Fraction of interval [a1, a2] that lies in [b1, b2] (linear interpolation of mass in a bin).
fn overlap(a1: f64, a2: f64, b1: f64, b2: f64) -> f64 {
    if a1 >= b1 {
        if a2 <= b2 {
            return 1.0;
        }
        if a1 >= b2 {
            return 0.0;
        }
        return (b2 - a1) / (a2 - a1);
    }
    if a2 <= b1 {
        return 0.0;
    }
    if a2 >= b2 {
        return (b2 - b1) / (a2 - a1);
    }
    (a2 - b1) / (a2 - a1)
}

/// One synaptic event per unit input rate moves a neuron up (or down) by a weight drawn from
/// `weights` (value, probability). Returns the jump matrix and the threshold-flux vector: the
/// rate, per unit input and per bin, at which mass leaves over v_max (it re-enters in the reset
/// bins). Mass pushed below v_min by inhibition collects in the lowest bin.
pub fn jumps(grid: &Grid, weights: &[(f64, f64)]) -> (Entries, Vec<f64>) {
    let v = &grid.edges;
    let n = grid.n_bins();
    let (v_lo, v_hi) = (v[0], v[n]);
    let mut out: Entries = Vec::new();
    let mut threshold = vec![0.0; n];
    let nz = grid.zero_bins.len() as f64;
    for &(w, p) in weights {
        for l in 0..n {
            let (a1, a2) = (v[l] + w, v[l + 1] + w);
            out.push((l, l, -p));
            // bins that can overlap [a1, a2]
            let first = v.partition_point(|&e| e <= a1).saturating_sub(1).min(n - 1);
            let mut landed = 0.0;
            let mut j = first;
            while j < n && v[j] < a2 {
                let f = overlap(a1, a2, v[j], v[j + 1]);
                if f != 0.0 {
                    out.push((j, l, p * f));
                    landed += f;
                }
                j += 1;
            }
            if w > 0.0 && a2 > v_hi {
                let lost = p * (1.0 - landed);
                threshold[l] += lost;
                for &z in &grid.zero_bins {
                    out.push((z, l, lost / nz));
                }
            } else if w < 0.0 && a1 < v_lo {
                out.push((0, l, p * (1.0 - landed)));
            }
        }
    }
    (out, threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_sums(n: usize, e: &Entries) -> Vec<f64> {
        let mut s = vec![0.0; n];
        for &(_, c, v) in e {
            s[c] += v;
        }
        s
    }

    #[test]
    fn columns_conserve_mass() {
        let g = Grid::new(-0.05, 0.02, 0.0001).unwrap();
        for w in [0.0025, -0.002, 0.005, 0.00013, -0.07] {
            let (e, _) = jumps(&g, &[(w, 0.25), (w / 2.0, 0.75)]);
            assert!(
                column_sums(g.n_bins(), &e).iter().all(|s| s.abs() < 1e-12),
                "w={w}"
            );
        }
        let l = leak(&g, &[(0.0429, 1.0)]);
        assert!(column_sums(g.n_bins(), &l).iter().all(|s| s.abs() < 1e-9));
    }

    #[test]
    fn threshold_flux_only_from_the_top() {
        let g = Grid::new(-0.05, 0.02, 0.0001).unwrap();
        let (_, t) = jumps(&g, &[(0.0025, 1.0)]);
        let hit: Vec<usize> = (0..g.n_bins()).filter(|&i| t[i] > 0.0).collect();
        // 25 bins lie within one jump of threshold (a 26th may catch a rounding sliver)
        assert!(hit.len() == 25 || hit.len() == 26, "{}", hit.len());
        assert!((t[g.n_bins() - 1] - 1.0).abs() < 1e-12);
        let (_, t) = jumps(&g, &[(-0.002, 1.0)]);
        assert!(t.iter().all(|&x| x == 0.0));
    }
}
