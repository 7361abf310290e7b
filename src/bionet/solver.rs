//! Time stepping of one cell: NEURON's default fixed step (`fadvance`, `secondorder = 0`) over the
//! tree of nodes, with the Hines solve.
//!
//! One step from t to t + dt, in NEURON's order (what [`super::mechanisms::clamp`] does for one
//! compartment, generalised to a tree):
//! 1. ion reversal potentials that follow concentrations are updated; every mechanism adds its
//!    current i(v(t)) and di/dv at every node (mA/cm2, S/cm2); stimuli are evaluated at t + dt/2;
//! 2. the linearised backward-Euler system for dv = v(t + dt) - v(t) is assembled and solved:
//!    for a node with membrane, `(cm/dt + di/dv) dv + axial = i_stim - i_ion - axial(v)`. NEURON
//!    writes each row per unit area (mA/cm2); here each row is multiplied by the node's area (times
//!    1e-2, giving nA with conductances in uS), which is the same system with the zero-area nodes
//!    (x = 0 and x = 1 ends) needing no stand-in area. Axial conductances are 1/ri (ri in
//!    megohm between node and parent). The tree is solved by Hines elimination: nodes are in
//!    Hines order (parent < node), so children are eliminated into parents from the last node
//!    back to the root, then values are substituted from the root outwards;
//! 3. v += dv; every mechanism advances its states with v(t + dt) (cnexp / NEURON's implicit
//!    sparse step), in registry order;
//! 4. the spike detector at soma(0.5) compares v(t + dt) with the threshold (NEURON's NetCon:
//!    a spike at t + dt when v rises above the threshold, re-armed when v falls to or below it).
//!
//! All state is preallocated structure-of-arrays; nothing is allocated inside the time loop.

use super::cell::CellModel;
use super::mechanisms::{create, Currents, Env, Ions, Mechanism, REGISTRY};
use crate::error::{Error, Result};

/// NEURON's IClamp at a node: `amp` nA from `delay` for `dur` ms (on while delay <= t < delay+dur,
/// with t the midpoint of the step as NEURON evaluates it).
#[derive(Debug, Clone, Copy)]
pub struct IClamp {
    pub node: usize,
    pub amp: f64,
    pub delay: f64,
    pub dur: f64,
}

/// Conditions of a run.
#[derive(Debug, Clone, Copy)]
pub struct RunConditions {
    pub dt: f64,
    pub celsius: f64,
    pub v_init: f64,
    pub spike_threshold: f64,
}

/// A cell being simulated.
pub struct CellSim {
    parent: Vec<u32>,
    /// 1/ri to the parent (uS); 0 for the root.
    g_axial: Vec<f64>,
    /// area * 1e-2 (um2 -> the factor turning mA/cm2 into nA); 0 at zero-area nodes.
    area_f: Vec<f64>,
    /// cm * 1e-3 / dt * area_f.
    cap: Vec<f64>,
    pub v: Vec<f64>,
    d: Vec<f64>,
    rhs: Vec<f64>,
    mechs: Vec<Box<dyn Mechanism>>,
    pub ions: Ions,
    cur: Currents,
    env: Env,
    soma: usize,
    stims: Vec<IClamp>,
    threshold: f64,
    above: bool,
    steps: u64,
    v_init: f64,
}

impl CellSim {
    pub fn new(model: &CellModel, cond: RunConditions, stims: &[IClamp]) -> Result<CellSim> {
        let RunConditions {
            dt,
            celsius,
            v_init,
            spike_threshold,
        } = cond;
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(Error::invalid(format!(
                "dt must be a positive number of ms, got {dt}"
            )));
        }
        for (what, x) in [
            ("celsius", celsius),
            ("v_init", v_init),
            ("spike_threshold", spike_threshold),
        ] {
            if !x.is_finite() {
                return Err(Error::invalid(format!(
                    "{what} must be a finite number, got {x}"
                )));
            }
        }
        let g = &model.geometry;
        let n = g.n_nodes();
        for s in stims {
            if s.node >= n || !(s.amp.is_finite() && s.delay.is_finite() && s.dur.is_finite()) {
                return Err(Error::invalid(format!(
                    "IClamp needs a node of the cell and finite amp/delay/dur, got {s:?}"
                )));
            }
        }
        let mut parent = vec![0u32; n];
        let mut g_axial = vec![0.0; n];
        for i in 1..n {
            let p = g.node_parent[i];
            if p < 0 || p as usize >= i {
                return Err(Error::invalid(format!(
                    "node {i} has parent {p}: nodes must be in Hines order"
                )));
            }
            parent[i] = p as u32;
            let ri = g.node_ri[i];
            if !(ri > 0.0 && ri.is_finite()) {
                return Err(Error::invalid(format!(
                    "node {i} has axial resistance {ri} megohm; expected a positive finite value"
                )));
            }
            g_axial[i] = 1.0 / ri;
        }
        let area_f: Vec<f64> = g.node_area.iter().map(|a| a * 1e-2).collect();
        let cap = area_f
            .iter()
            .zip(&model.cm)
            .map(|(a, cm)| cm * 1e-3 / dt * a)
            .collect();
        let mut mechs = Vec::with_capacity(model.mechs.len());
        for m in &model.mechs {
            let mut mech = create(REGISTRY[m.reg].suffix, m.nodes.clone())?;
            for (name, values) in &m.params {
                mech.set_param(name, values)?;
            }
            mechs.push(mech);
        }
        let mut ions = Ions::new(n);
        for i in 0..n {
            if let Some(e) = model.ena[i] {
                ions.ena[i] = e;
            }
            if let Some(e) = model.ek[i] {
                ions.ek[i] = e;
            }
        }
        let mut sim = CellSim {
            parent,
            g_axial,
            area_f,
            cap,
            v: vec![v_init; n],
            d: vec![0.0; n],
            rhs: vec![0.0; n],
            mechs,
            ions,
            cur: Currents::new(n),
            env: Env { celsius, dt },
            soma: model.soma_node,
            stims: stims.to_vec(),
            threshold: spike_threshold,
            above: false,
            steps: 0,
            v_init,
        };
        sim.initialize();
        Ok(sim)
    }

    /// NEURON's finitialize(v_init): v everywhere, INITIAL blocks in registry order, reversal
    /// potentials from concentrations, the spike detector armed from the initial voltage.
    pub fn initialize(&mut self) {
        self.v.iter_mut().for_each(|x| *x = self.v_init);
        for m in self.mechs.iter_mut() {
            m.init(&self.env, &self.v, &mut self.ions);
        }
        self.ions.update_reversals(self.env.celsius);
        self.above = self.v[self.soma] > self.threshold;
        self.steps = 0;
    }

    pub fn n_nodes(&self) -> usize {
        self.v.len()
    }

    pub fn soma_v(&self) -> f64 {
        self.v[self.soma]
    }

    /// Time (ms) reached: steps * dt.
    pub fn t(&self) -> f64 {
        self.steps as f64 * self.env.dt
    }

    /// One fixed step; returns true when the soma crossed the spike threshold upwards.
    pub fn step(&mut self) -> bool {
        let dt = self.env.dt;
        let t_mid = (self.steps as f64 + 0.5) * dt;
        self.ions.begin_step(self.env.celsius);
        self.cur.clear();
        for m in self.mechs.iter_mut() {
            m.current(&self.env, &self.v, &mut self.ions, &mut self.cur);
        }
        let n = self.v.len();
        let (v, d, rhs) = (&mut self.v, &mut self.d, &mut self.rhs);
        let (parent, ga) = (&self.parent, &self.g_axial);
        for i in 0..n {
            let a = self.area_f[i];
            d[i] = self.cap[i] + self.cur.g[i] * a;
            rhs[i] = -self.cur.i[i] * a;
        }
        for i in 1..n {
            let p = parent[i] as usize;
            let g = ga[i];
            let cur = g * (v[p] - v[i]);
            rhs[i] += cur;
            rhs[p] -= cur;
            d[i] += g;
            d[p] += g;
        }
        for s in &self.stims {
            if t_mid >= s.delay && t_mid < s.delay + s.dur {
                rhs[s.node] += s.amp;
            }
        }
        // Hines elimination: children into parents, then back substitution from the root.
        for i in (1..n).rev() {
            let p = parent[i] as usize;
            let f = ga[i] / d[i];
            d[p] -= f * ga[i];
            rhs[p] += f * rhs[i];
        }
        rhs[0] /= d[0];
        for i in 1..n {
            let p = parent[i] as usize;
            rhs[i] = (rhs[i] + ga[i] * rhs[p]) / d[i];
        }
        for i in 0..n {
            v[i] += rhs[i];
        }
        for m in self.mechs.iter_mut() {
            m.advance_states(&self.env, &self.v, &mut self.ions);
        }
        self.steps += 1;
        let vs = self.v[self.soma];
        if vs > self.threshold {
            if !self.above {
                self.above = true;
                return true;
            }
        } else {
            self.above = false;
        }
        false
    }
}

/// Number of fixed steps NEURON takes to reach `tstop` (its loop runs while t < tstop - dt/2).
pub fn n_steps(tstop: f64, dt: f64) -> Result<usize> {
    if !(tstop.is_finite() && tstop >= 0.0 && dt > 0.0 && dt.is_finite()) {
        return Err(Error::invalid(format!(
            "need tstop >= 0 and dt > 0 (ms), got tstop={tstop} dt={dt}"
        )));
    }
    Ok((tstop / dt + 0.5).floor() as usize)
}

/// Result of a single-cell run: soma voltage at t = 0, dt, 2 dt, ... and spike times (ms).
#[derive(Debug, Clone, Default)]
pub struct CellTrace {
    pub v_soma: Vec<f64>,
    pub spikes: Vec<f64>,
}

/// Runs a cell to `tstop`; with `record`, samples the soma voltage after initialization and after
/// every step.
pub fn run(sim: &mut CellSim, tstop: f64, record: bool) -> Result<CellTrace> {
    let nsteps = n_steps(tstop, sim.env.dt)?;
    let mut out = CellTrace {
        v_soma: Vec::with_capacity(if record { nsteps + 1 } else { 0 }),
        spikes: Vec::new(),
    };
    if record {
        out.v_soma.push(sim.soma_v());
    }
    for _ in 0..nsteps {
        if sim.step() {
            out.spikes.push(sim.t());
        }
        if record {
            out.v_soma.push(sim.soma_v());
        }
    }
    Ok(out)
}
