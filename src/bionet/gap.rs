//! Gap junctions: the electrical coupling BMTK builds for edges marked `is_gap_junction`.
//!
//! A junction is two halves, one on each cell. A half is a point current `i = g (v - vgap)` (nA,
//! outward, g in uS) at its segment, where `vgap` is the voltage of the partner's segment. NEURON
//! (BMTK's `Gap` point process with `ParallelContext.source_var/target_var`) copies the partner
//! voltages once per step, after the voltage solve: the current of a step uses the partner's
//! voltage at the start of that step, while the cell's own voltage enters the backward-Euler
//! system implicitly (the point process's di/dv). The coupling is therefore explicit between
//! cells, which keeps every cell's step independent of the others' within the step: only the
//! coupled segments' voltages are exchanged, every step.
//!
//! Every half *publishes* its own segment's voltage into a slot and *reads* its partner's slot;
//! slots are numbered by the caller (two per junction) identically on every MPI rank.

/// The gap-junction halves of one cell group (solver indices node * lanes + lane).
#[derive(Debug, Clone, Default)]
pub struct GapHalves {
    index: Vec<u32>,
    g: Vec<f64>,
    read: Vec<u32>,
    vgap: Vec<f64>,
}

impl GapHalves {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// A half at solver index `index` with conductance `g` (uS) reading slot `read`. Halves must
    /// be pushed in (index, read) order: that fixes the order in which the currents of several
    /// halves on one segment are summed, whatever the grouping of cells.
    pub fn push(&mut self, index: u32, g: f64, read: u32) {
        self.index.push(index);
        self.g.push(g);
        self.read.push(read);
        self.vgap.push(f64::NAN);
    }

    /// Takes each half's partner voltage for the coming step from the slot values.
    #[inline]
    pub fn load(&mut self, slots: &[f64]) {
        for (vg, &r) in self.vgap.iter_mut().zip(&self.read) {
            *vg = slots[r as usize];
        }
    }

    /// Adds the halves' currents to the solver rows (`d` += di/dv in uS, `rhs` -= i in nA), di/dv
    /// as NEURON's point-process code takes it: the finite difference over 0.001 mV.
    #[inline]
    pub fn add_currents(&self, v: &[f64], d: &mut [f64], rhs: &mut [f64]) {
        for k in 0..self.index.len() {
            let j = self.index[k] as usize;
            let (g, vg, vj) = (self.g[k], self.vgap[k], v[j]);
            let i = g * (vj - vg);
            let i_up = g * (vj + 0.001 - vg);
            d[j] += (i_up - i) / 0.001;
            rhs[j] -= i;
        }
    }

    /// Current (nA) of half `k` at voltage `v`: NEURON's `Gap.i` after a step.
    pub fn current(&self, k: usize, v: &[f64]) -> f64 {
        self.g[k] * (v[self.index[k] as usize] - self.vgap[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two halves joining two single-node cells pull them together, by g (v - vgap) each.
    #[test]
    fn halves_push_current_towards_the_partner() {
        let mut h = GapHalves::default();
        h.push(0, 0.01, 1);
        h.push(1, 0.01, 0);
        let v = [-50.0, -70.0];
        h.load(&v);
        let (mut d, mut rhs) = ([0.0; 2], [0.0; 2]);
        h.add_currents(&v, &mut d, &mut rhs);
        assert!(
            (rhs[0] + 0.2).abs() < 1e-12 && (rhs[1] - 0.2).abs() < 1e-12,
            "{rhs:?}"
        );
        assert!(
            (d[0] - 0.01).abs() < 1e-9 && (d[1] - 0.01).abs() < 1e-9,
            "{d:?}"
        );
        assert!((h.current(0, &v) - 0.2).abs() < 1e-12);
    }
}
