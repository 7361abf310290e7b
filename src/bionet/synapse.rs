//! Exp2Syn synapses of a cell group: NEURON's double-exponential conductance (point process) with
//! its NET_RECEIVE, as BMTK's `exp2syn` synapse model creates them.
//!
//! Per synapse state: `A` decays with tau1 and `B` with tau2 (the `cnexp` update of a linear
//! decay), the conductance is `g = B - A` (uS) and the current `i = g (v - e)` (nA) enters the
//! voltage equation of its node. An event of weight `w` adds `w * factor` to both, where `factor`
//! normalises the peak of `B - A` to 1 (`tp` is the time of the peak). Because the dynamics are
//! linear, synapses with the same (node, tau1, tau2, e) are one state: every event adds its weight
//! to it, which is exactly what the separate NEURON instances sum to.
//!
//! The current is added to the already area-scaled rows of the solver (nA, uS), with di/dv as
//! NEURON's point-process code takes it: the finite difference over 0.001 mV.

use crate::error::{Error, Result};

/// Parameters of one synapse kind (ms, ms, mV).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exp2SynParams {
    pub tau1: f64,
    pub tau2: f64,
    pub e: f64,
}

impl Exp2SynParams {
    pub fn validate(&self, what: &str) -> Result<()> {
        let Exp2SynParams { tau1, tau2, e } = *self;
        if !(tau1 > 0.0 && tau2 > 0.0 && tau1.is_finite() && tau2.is_finite() && e.is_finite()) {
            return Err(Error::invalid(format!(
                "{what}: exp2syn needs tau1 > 0, tau2 > 0 (ms) and a finite erev (mV), got tau1={tau1} tau2={tau2} erev={e}"
            )));
        }
        Ok(())
    }

    /// tau1 as NEURON's INITIAL block adjusts it (tau1 must stay below tau2, and not vanish).
    fn effective_tau1(&self) -> f64 {
        let (mut tau1, tau2) = (self.tau1, self.tau2);
        if tau1 / tau2 > 0.9999 {
            tau1 = 0.9999 * tau2;
        }
        if tau1 / tau2 < 1e-9 {
            tau1 = tau2 * 1e-9;
        }
        tau1
    }

    /// Peak normalisation of B - A after a unit event.
    fn factor(&self) -> f64 {
        let tau1 = self.effective_tau1();
        let tau2 = self.tau2;
        let tp = (tau1 * tau2) / (tau2 - tau1) * (tau2 / tau1).ln();
        1.0 / (-(-tp / tau1).exp() + (-tp / tau2).exp())
    }
}

/// All synapse states of one cell group (structure of arrays).
#[derive(Debug, Clone, Default)]
pub struct SynapseSet {
    /// Solver index (node * lanes + lane) of each state.
    pub index: Vec<u32>,
    a: Vec<f64>,
    b: Vec<f64>,
    e: Vec<f64>,
    /// The parameters as given (NEURON's RANGE tau1, tau2; reports may read them).
    tau1: Vec<f64>,
    tau2: Vec<f64>,
    factor: Vec<f64>,
    /// 1 - exp(-dt/tau) for A and B.
    k1: Vec<f64>,
    k2: Vec<f64>,
    /// When a report reads them: `g` and `i` as the last current evaluation left them (NEURON's
    /// BREAKPOINT values, computed before the states advance).
    keep_last: bool,
    last_g: Vec<f64>,
    last_i: Vec<f64>,
}

/// An Exp2Syn variable a netcon report can record, by NEURON's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exp2SynVar {
    G,
    I,
    A,
    B,
    Tau1,
    Tau2,
    E,
}

impl Exp2SynVar {
    pub const NAMES: [&'static str; 7] = ["g", "i", "A", "B", "tau1", "tau2", "e"];

    pub fn of(name: &str) -> Option<Exp2SynVar> {
        match name {
            "g" => Some(Exp2SynVar::G),
            "i" => Some(Exp2SynVar::I),
            "A" => Some(Exp2SynVar::A),
            "B" => Some(Exp2SynVar::B),
            "tau1" => Some(Exp2SynVar::Tau1),
            "tau2" => Some(Exp2SynVar::Tau2),
            "e" => Some(Exp2SynVar::E),
            _ => None,
        }
    }
}

impl SynapseSet {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Adds one state at solver index `index`; returns its number.
    pub fn push(&mut self, index: u32, p: Exp2SynParams, dt: f64) -> usize {
        let tau1 = p.effective_tau1();
        self.index.push(index);
        self.a.push(0.0);
        self.b.push(0.0);
        self.e.push(p.e);
        self.tau1.push(p.tau1);
        self.tau2.push(p.tau2);
        self.factor.push(p.factor());
        self.k1.push(1.0 - (dt * (-1.0 / tau1)).exp());
        self.k2.push(1.0 - (dt * (-1.0 / p.tau2)).exp());
        self.len() - 1
    }

    /// NEURON's INITIAL: no conductance.
    pub fn initialize(&mut self) {
        self.a.iter_mut().for_each(|x| *x = 0.0);
        self.b.iter_mut().for_each(|x| *x = 0.0);
        self.last_g.iter_mut().for_each(|x| *x = 0.0);
        self.last_i.iter_mut().for_each(|x| *x = 0.0);
    }

    /// Keeps each step's `g` and `i` for [`Self::values`].
    pub fn keep_last(&mut self) {
        self.keep_last = true;
        self.last_g = vec![0.0; self.len()];
        self.last_i = vec![0.0; self.len()];
    }

    /// Per state, a variable as NEURON reads it after a step (`g`, `i`: as the step's current
    /// evaluation computed them, which needs [`Self::keep_last`]).
    pub fn values(&self, var: Exp2SynVar) -> &[f64] {
        match var {
            Exp2SynVar::G => &self.last_g,
            Exp2SynVar::I => &self.last_i,
            Exp2SynVar::A => &self.a,
            Exp2SynVar::B => &self.b,
            Exp2SynVar::Tau1 => &self.tau1,
            Exp2SynVar::Tau2 => &self.tau2,
            Exp2SynVar::E => &self.e,
        }
    }

    /// NET_RECEIVE of an event of `weight` (uS).
    #[inline]
    pub fn receive(&mut self, syn: usize, weight: f64) {
        let w = weight * self.factor[syn];
        self.a[syn] += w;
        self.b[syn] += w;
    }

    /// Adds every synapse's current to the solver rows (`d` += di/dv in uS, `rhs` -= i in nA).
    #[inline]
    pub fn add_currents(&self, v: &[f64], d: &mut [f64], rhs: &mut [f64]) {
        for k in 0..self.index.len() {
            let j = self.index[k] as usize;
            let g = self.b[k] - self.a[k];
            let vj = v[j];
            let i = g * (vj - self.e[k]);
            let i_up = g * (vj + 0.001 - self.e[k]);
            d[j] += (i_up - i) / 0.001;
            rhs[j] -= i;
        }
    }

    /// [`Self::add_currents`], keeping `g` and `i` of every state.
    #[inline]
    pub fn add_currents_kept(&mut self, v: &[f64], d: &mut [f64], rhs: &mut [f64]) {
        self.add_currents(v, d, rhs);
        for k in 0..self.index.len() {
            let j = self.index[k] as usize;
            let g = self.b[k] - self.a[k];
            self.last_g[k] = g;
            self.last_i[k] = g * (v[j] - self.e[k]);
        }
    }

    pub fn keeps_last(&self) -> bool {
        self.keep_last
    }

    /// Current (nA) of every state at voltage `v`, added into `out` per solver index.
    pub fn add_membrane_current(&self, v: &[f64], out: &mut [f64]) {
        for k in 0..self.index.len() {
            let j = self.index[k] as usize;
            out[j] += (self.b[k] - self.a[k]) * (v[j] - self.e[k]);
        }
    }

    /// The `cnexp` decay of A and B over one step.
    #[inline]
    pub fn advance(&mut self) {
        for k in 0..self.a.len() {
            let a = self.a[k];
            self.a[k] = a + self.k1[k] * (0.0 - a);
            let b = self.b[k];
            self.b[k] = b + self.k2[k] * (0.0 - b);
        }
    }

    /// Conductance (uS) of state `syn`.
    pub fn g(&self, syn: usize) -> f64 {
        self.b[syn] - self.a[syn]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After one unit event the conductance peaks at 1 uS, at tp.
    #[test]
    fn factor_normalises_the_peak() {
        let p = Exp2SynParams {
            tau1: 1.0,
            tau2: 3.0,
            e: 0.0,
        };
        let dt = 0.001;
        let mut s = SynapseSet::default();
        s.push(0, p, dt);
        s.receive(0, 1.0);
        let mut peak: f64 = 0.0;
        for _ in 0..20000 {
            s.advance();
            peak = peak.max(s.g(0));
        }
        assert!((peak - 1.0).abs() < 1e-4, "{peak}");
    }

    #[test]
    fn equal_taus_are_separated_as_neuron_does() {
        let p = Exp2SynParams {
            tau1: 2.0,
            tau2: 2.0,
            e: 0.0,
        };
        assert!(p.factor().is_finite());
        assert!(p.validate("x").is_ok());
        let bad = Exp2SynParams { tau1: 0.0, ..p };
        assert!(bad
            .validate("edge type 7")
            .unwrap_err()
            .to_string()
            .contains("edge type 7"));
    }
}
