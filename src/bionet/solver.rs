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
//!    a spike at t + dt (+1e-10) when v rises above the threshold, re-armed when v falls to or
//!    below it). t itself accumulates as NEURON's does (t += dt/2 twice per step).
//!
//! All state is preallocated structure-of-arrays; nothing is allocated inside the time loop.

use super::cell::CellModel;
use super::extracellular_field::ExtField;
use super::gap::GapHalves;
use super::mechanisms::{create_index, Currents, Env, Ions, Mechanism};
use super::synapse::SynapseSet;
use crate::error::{Error, Result};
use std::sync::Arc;

/// One value per time step (a played current or a clamp's command), shared by the cells using it.
pub type PerStep = Arc<[f64]>;

/// NEURON's IClamp at a node: `amp` nA from `delay` for `dur` ms (on while delay <= t < delay+dur,
/// with t the midpoint of the step as NEURON evaluates it).
#[derive(Debug, Clone, Copy)]
pub struct IClamp {
    pub node: usize,
    pub amp: f64,
    pub delay: f64,
    pub dur: f64,
}

/// What NEURON's fixed-step threshold check adds to the step's end time when it records a spike.
pub const SPIKE_TEPS: f64 = 1e-10;

/// Conditions of a run.
#[derive(Debug, Clone, Copy)]
pub struct RunConditions {
    pub dt: f64,
    pub celsius: f64,
    pub v_init: f64,
    pub spike_threshold: f64,
}

/// `lanes` copies of one cell model simulated in lockstep. Every per-node array holds the lanes of
/// a node next to each other (index `node * lanes + lane`), so a mechanism on one compartment of
/// the model runs as a contiguous vector across the copies and the Hines solve advances `lanes`
/// independent elimination chains at once (one chain alone is bound by the latency of its
/// divisions). Each lane computes exactly what a single cell computes: results do not depend on
/// the number of lanes.
pub struct CellSim {
    lanes: usize,
    parent: Vec<u32>,
    /// 1/ri to the parent (uS), per node; 0 for the root.
    g_axial: Vec<f64>,
    /// area * 1e-2 (um2 -> the factor turning mA/cm2 into nA), per node; 0 at zero-area nodes.
    area_f: Vec<f64>,
    /// Segment diameter (um), per node: what a point process reading `diam` sees.
    diam: Vec<f64>,
    /// cm * 1e-3 / dt * area_f, per node.
    cap: Vec<f64>,
    pub v: Vec<f64>,
    d: Vec<f64>,
    rhs: Vec<f64>,
    mechs: Vec<Box<dyn Mechanism>>,
    pub ions: Ions,
    cur: Currents,
    env: Env,
    soma: usize,
    /// (index node * lanes + lane, clamp)
    stims: Vec<(usize, IClamp)>,
    threshold: f64,
    above: Vec<bool>,
    /// t (ms), accumulated as NEURON's fadvance does (t += dt/2 twice per step), so stimulus
    /// switching and spike times land on the same floating-point values as NEURON's.
    t: f64,
    v_init: f64,
    /// Exp2Syn states of all lanes (empty for a cell without synapses).
    pub synapses: SynapseSet,
    /// Synapses from `.mod` POINT_PROCESS files, one mechanism per synapse type (instances at
    /// solver indices, currents in nA as the Exp2Syn states').
    pub points: Vec<crate::nmodl::mech::NmodlMech>,
    /// What the point processes' INITIAL blocks asked for at the last initialize (per set): the
    /// network schedules it.
    pub point_init_events: Vec<(u32, Vec<crate::nmodl::vm::Emitted>)>,
    /// Midpoint time of the last step (when its stimuli were evaluated).
    t_mid_last: f64,
    /// Currents played step by step (index node * lanes + lane, nA per step): NEURON's
    /// `Vector.play` into an IClamp's amp, resolved on the step grid before the run.
    played: Vec<(usize, Arc<[f64]>)>,
    /// Steps taken since initialize (the index into played currents).
    steps_done: usize,
    /// Voltage clamps (NEURON's SEClamp) played step by step: (index node * lanes + lane, target
    /// voltage per step (mV), series resistance per step (MOhm; not finite: off)).
    vclamps: Vec<(usize, PerStep, PerStep)>,
    /// Extracellular potentials imposed on lanes (BMTK's xstim / comsol).
    ext_fields: Vec<ExtField>,
    /// Gap-junction halves on this group's cells (their partner voltages are loaded before
    /// every step by the network).
    pub gaps: GapHalves,
}

impl CellSim {
    /// One cell with its clamps.
    pub fn new(model: &CellModel, cond: RunConditions, stims: &[IClamp]) -> Result<CellSim> {
        let s: Vec<(usize, IClamp)> = stims.iter().map(|c| (0, *c)).collect();
        Self::group(model, cond, 1, &s)
    }

    /// `lanes` copies of a cell; `stims` are (lane, clamp).
    pub fn group(
        model: &CellModel,
        cond: RunConditions,
        lanes: usize,
        stims: &[(usize, IClamp)],
    ) -> Result<CellSim> {
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
        if lanes == 0 {
            return Err(Error::invalid("a cell group needs at least one lane"));
        }
        let g = &model.geometry;
        let n = g.n_nodes();
        let nl = n * lanes;
        for (lane, s) in stims {
            if *lane >= lanes
                || s.node >= n
                || !(s.amp.is_finite() && s.delay.is_finite() && s.dur.is_finite())
            {
                return Err(Error::invalid(format!(
                    "IClamp needs a node of the cell and finite amp/delay/dur, got {s:?} (lane {lane})"
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
        let spread = |x: &[f64]| -> Vec<f64> {
            x.iter()
                .flat_map(|v| std::iter::repeat_n(*v, lanes))
                .collect()
        };
        let area_node: Vec<f64> = g.node_area.iter().map(|a| a * 1e-2).collect();
        let cap_node: Vec<f64> = area_node
            .iter()
            .zip(&model.cm)
            .map(|(a, cm)| cm * 1e-3 / dt * a)
            .collect();
        let mut mechs = Vec::with_capacity(model.mechs.len());
        for m in &model.mechs {
            let nodes: Vec<u32> = m
                .nodes
                .iter()
                .flat_map(|&k| (0..lanes as u32).map(move |l| k * lanes as u32 + l))
                .collect();
            let mut mech = create_index(m.reg, nodes)?;
            for (name, values) in &m.params {
                mech.set_param(name, &spread(values))?;
            }
            mech.set_geometry(&spread(&g.node_diam), &spread(&g.node_area));
            mechs.push(mech);
        }
        let mut ions = Ions::new(nl);
        // Ionic currents are written only where a channel sits (pas carries none).
        let mut current_nodes: Vec<u32> = mechs
            .iter()
            .filter(|m| m.suffix() != "pas")
            .flat_map(|m| m.nodes().iter().copied())
            .collect();
        current_nodes.sort_unstable();
        current_nodes.dedup();
        ions.current_nodes = Some(current_nodes);
        for i in 0..n {
            for l in 0..lanes {
                if let Some(e) = model.ena[i] {
                    ions.ena[i * lanes + l] = e;
                }
                if let Some(e) = model.ek[i] {
                    ions.ek[i * lanes + l] = e;
                }
            }
        }
        let mut sim = CellSim {
            lanes,
            parent,
            g_axial,
            area_f: area_node,
            diam: g.node_diam.clone(),
            cap: cap_node,
            v: vec![v_init; nl],
            d: vec![0.0; nl],
            rhs: vec![0.0; nl],
            mechs,
            ions,
            cur: Currents::new(nl),
            env: Env { celsius, dt },
            soma: model.soma_node,
            stims: stims
                .iter()
                .map(|(lane, c)| (c.node * lanes + lane, *c))
                .collect(),
            threshold: spike_threshold,
            above: vec![false; lanes],
            t: 0.0,
            v_init,
            synapses: SynapseSet::default(),
            points: Vec::new(),
            point_init_events: Vec::new(),
            t_mid_last: 0.0,
            played: Vec::new(),
            ext_fields: Vec::new(),
            steps_done: 0,
            vclamps: Vec::new(),
            gaps: GapHalves::default(),
        };
        sim.initialize();
        Ok(sim)
    }

    /// NEURON's finitialize(v_init): v everywhere, INITIAL blocks in registry order, reversal
    /// potentials from concentrations, the spike detectors armed from the initial voltage.
    pub fn initialize(&mut self) {
        self.v.iter_mut().for_each(|x| *x = self.v_init);
        for m in self.mechs.iter_mut() {
            m.init(&self.env, &self.v, &mut self.ions);
        }
        self.ions.update_reversals(self.env.celsius);
        self.synapses.initialize();
        self.point_init_events.clear();
        for (k, p) in self.points.iter_mut().enumerate() {
            let em = p.point_init(&self.env, &self.v, &self.ions);
            if !em.is_empty() {
                self.point_init_events.push((k as u32, em));
            }
        }
        for l in 0..self.lanes {
            self.above[l] = self.soma_v(l) > self.threshold;
        }
        self.t = 0.0;
        self.steps_done = 0;
    }

    /// Adds a point process (instances at solver indices); its ionic currents enter the nodes'
    /// ion sums as densities (100/area, NEURON's factor; 1 at a zero-area node, where NEURON
    /// takes the area as 100 um2).
    pub fn add_point(&mut self, mut p: crate::nmodl::mech::NmodlMech) -> Result<()> {
        let scale = p
            .nodes()
            .iter()
            .map(|&j| {
                let a = self.area_f[j as usize / self.lanes];
                if a > 0.0 {
                    1.0 / a
                } else {
                    1.0
                }
            })
            .collect();
        p.set_ion_scale(scale)?;
        // NEURON's `area` of a point process's node is 100 um2 at a zero-area node
        let n = self.v.len();
        let diam: Vec<f64> = (0..n).map(|j| self.diam[j / self.lanes]).collect();
        let area: Vec<f64> = (0..n)
            .map(|j| match self.area_f[j / self.lanes] * 1e2 {
                a if a > 0.0 => a,
                _ => 100.0,
            })
            .collect();
        p.set_geometry(&diam, &area);
        if p.writes_ion_currents() {
            if let Some(cn) = self.ions.current_nodes.as_mut() {
                cn.extend(p.nodes().iter().copied());
                cn.sort_unstable();
                cn.dedup();
            }
        }
        self.points.push(p);
        Ok(())
    }

    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Nodes of one cell.
    pub fn n_nodes(&self) -> usize {
        self.v.len() / self.lanes
    }

    pub fn soma_v(&self, lane: usize) -> f64 {
        self.v[self.soma * self.lanes + lane]
    }

    /// Adds a current clamp on `lane` (before the run starts).
    pub fn add_clamp(&mut self, lane: usize, c: IClamp) -> Result<()> {
        let n = self.n_nodes();
        if lane >= self.lanes
            || c.node >= n
            || !(c.amp.is_finite() && c.delay.is_finite() && c.dur.is_finite())
        {
            return Err(Error::invalid(format!(
                "IClamp needs a node of the cell and finite amp/delay/dur, got {c:?} (lane {lane})"
            )));
        }
        self.stims.push((c.node * self.lanes + lane, c));
        Ok(())
    }

    /// Adds a current played step by step on `lane` at `node`: `amps[k]` nA during step k (none
    /// after the array ends).
    pub fn add_played(&mut self, lane: usize, node: usize, amps: Arc<[f64]>) -> Result<()> {
        if lane >= self.lanes || node >= self.n_nodes() || amps.iter().any(|a| !a.is_finite()) {
            return Err(Error::invalid(format!(
                "a played current needs a node of the cell and finite amplitudes (node {node}, lane {lane})"
            )));
        }
        self.played.push((node * self.lanes + lane, amps));
        Ok(())
    }

    /// Imposes an extracellular potential on the lane `field` names (before the run starts).
    pub fn add_ext_field(&mut self, field: ExtField) -> Result<()> {
        if field.lane() >= self.lanes {
            return Err(Error::invalid(format!(
                "an extracellular potential names lane {} of a group of {}",
                field.lane(),
                self.lanes
            )));
        }
        self.ext_fields.push(field);
        Ok(())
    }

    /// Adds a voltage clamp on `lane` at `node`: during step k it pulls the node towards `vc[k]`
    /// mV through `rs[k]` MOhm (a non-finite resistance, or a step past the arrays: off).
    pub fn add_vclamp(
        &mut self,
        lane: usize,
        node: usize,
        vc: Arc<[f64]>,
        rs: Arc<[f64]>,
    ) -> Result<()> {
        if lane >= self.lanes || node >= self.n_nodes() || vc.len() != rs.len() {
            return Err(Error::invalid(format!(
                "a voltage clamp needs a node of the cell and as many resistances as voltages (node {node}, lane {lane})"
            )));
        }
        if rs.iter().any(|&r| r <= 0.0) || vc.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "a voltage clamp needs finite voltages and positive series resistances",
            ));
        }
        self.vclamps.push((node * self.lanes + lane, vc, rs));
        Ok(())
    }

    /// The current (nA) a voltage clamp injects during the coming step at voltage `v`, and the
    /// d(current)/dv NEURON's fixed step uses (its finite difference over 0.001 mV).
    fn vclamp_current(vc: f64, rs: f64, v: f64) -> (f64, f64) {
        let i = (vc - v) / rs;
        let i1 = (vc - (v + 0.001)) / rs;
        (i, (i1 - i) / 0.001)
    }

    /// The current (nA) each voltage clamp passed at the end of the last step, at the new voltages
    /// (NEURON's `SEClamp.i` after a step): (clamp number, current).
    pub fn vclamp_currents(&self) -> Vec<f64> {
        let k = self.steps_done.saturating_sub(1);
        self.vclamps
            .iter()
            .map(|(j, vc, rs)| match (vc.get(k), rs.get(k)) {
                (Some(&c), Some(&r)) if r.is_finite() => (c - self.v[*j]) / r,
                _ => 0.0,
            })
            .collect()
    }

    /// NEURON's `i_membrane_` (nA, outward) of every solver index after the last step: the axial
    /// current flowing into the node at the new voltages plus any electrode (IClamp) current
    /// injected there, which Kirchhoff's law makes equal to its capacitive + ionic + synaptic
    /// current.
    pub fn membrane_currents(&self, out: &mut [f64]) {
        let lanes = self.lanes;
        let n = self.v.len() / lanes;
        out.iter_mut().for_each(|x| *x = 0.0);
        for i in 1..n {
            let p = self.parent[i] as usize;
            let g = self.g_axial[i];
            for l in 0..lanes {
                let f = g * (self.v[p * lanes + l] - self.v[i * lanes + l]);
                out[i * lanes + l] += f;
                out[p * lanes + l] -= f;
            }
        }
        let t = self.t_mid_last;
        for &(j, s) in &self.stims {
            if t >= s.delay && t < s.delay + s.dur {
                out[j] += s.amp;
            }
        }
        if let Some(k) = self.steps_done.checked_sub(1) {
            for (j, a) in &self.played {
                out[*j] += a.get(k).copied().unwrap_or(0.0);
            }
        }
        for ((j, _, _), i) in self.vclamps.iter().zip(self.vclamp_currents()) {
            out[*j] += i;
        }
        // the axial currents flow between intracellular potentials v + e; the scratch potential is
        // only made for cells under an imposed field (rare), so report-only cells never allocate here
        if self.ext_fields.is_empty() {
            return;
        }
        if let Some(k) = self.steps_done.checked_sub(1) {
            let mut e = vec![0.0; n];
            for f in &self.ext_fields {
                f.fill_potential(k, &mut e);
                let l = f.lane();
                for i in 1..n {
                    let p = self.parent[i] as usize;
                    let c = self.g_axial[i] * (e[p] - e[i]);
                    out[i * lanes + l] += c;
                    out[p * lanes + l] -= c;
                }
            }
        }
    }

    /// Time step (ms).
    pub fn dt(&self) -> f64 {
        self.env.dt
    }

    /// Calcium concentration (mM) per solver index.
    /// Per instance, a variable of the cell's `mech`-th mechanism (None for an unknown name).
    pub fn mech_variable(&self, mech: usize, name: &str) -> Option<&[f64]> {
        self.mechs.get(mech)?.variable(name)
    }

    /// Solver index (node * lanes + lane) of every instance of the `mech`-th mechanism.
    pub fn mech_nodes(&self, mech: usize) -> &[u32] {
        self.mechs.get(mech).map_or(&[], |m| m.nodes())
    }

    pub fn cai(&self) -> &[f64] {
        &self.ions.cai
    }

    /// Time (ms) reached.
    pub fn t(&self) -> f64 {
        self.t
    }

    /// Assembles and solves the voltage system and updates v, compiled for AVX2 when the CPU has
    /// it (the same arithmetic without FMA contraction, so the same results on wider registers).
    fn solve(&mut self, t_mid: f64) {
        #[cfg(target_arch = "x86_64")]
        if super::mechanisms::has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.solve_avx2(t_mid) };
        }
        self.solve_body(t_mid)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn solve_avx2(&mut self, t_mid: f64) {
        self.solve_body(t_mid)
    }

    #[inline(always)]
    fn solve_body(&mut self, t_mid: f64) {
        let lanes = self.lanes;
        let n = self.v.len() / lanes;
        let (v, d, rhs) = (&mut self.v, &mut self.d, &mut self.rhs);
        let (parent, ga) = (&self.parent, &self.g_axial);
        // membrane rows (per unit area in NEURON, times area here)
        for (i, (&cap, &af)) in self.cap.iter().zip(&self.area_f).enumerate() {
            let r = i * lanes..(i + 1) * lanes;
            let (dn, rn) = (&mut d[r.clone()], &mut rhs[r.clone()]);
            let (gn, cn) = (&self.cur.g[r.clone()], &self.cur.i[r]);
            for l in 0..lanes {
                dn[l] = cap + gn[l] * af;
                rn[l] = -cn[l] * af;
            }
        }
        for &(j, s) in &self.stims {
            if t_mid >= s.delay && t_mid < s.delay + s.dur {
                rhs[j] += s.amp;
            }
        }
        for (j, a) in &self.played {
            rhs[*j] += a.get(self.steps_done).copied().unwrap_or(0.0);
        }
        for (j, vc, rs) in &self.vclamps {
            if let (Some(&c), Some(&r)) = (vc.get(self.steps_done), rs.get(self.steps_done)) {
                if r.is_finite() {
                    let (i, didv) = Self::vclamp_current(c, r, v[*j]);
                    rhs[*j] += i;
                    d[*j] -= didv;
                }
            }
        }
        for f in self.ext_fields.iter_mut() {
            f.add_axial_currents(self.steps_done, parent, ga, lanes, rhs);
        }
        if self.synapses.keeps_last() {
            self.synapses.add_currents_kept(v, d, rhs);
        } else {
            self.synapses.add_currents(v, d, rhs);
        }
        for p in self.points.iter_mut() {
            p.point_current(&self.env, v, &mut self.ions, None, d, rhs);
        }
        self.gaps.add_currents(v, d, rhs);
        // One pass from the leaves to the root: add the axial terms of the connection between
        // node i and its parent, then eliminate node i into its parent (its children are already
        // eliminated into it: they come later in Hines order). `d` keeps 1/d of eliminated rows.
        for i in (1..n).rev() {
            let p = parent[i] as usize;
            let g = ga[i];
            let (ci, cp) = (i * lanes, p * lanes);
            let (d_lo, d_hi) = d.split_at_mut(ci);
            let (r_lo, r_hi) = rhs.split_at_mut(ci);
            let (dp, di) = (&mut d_lo[cp..cp + lanes], &mut d_hi[..lanes]);
            let (rp, ri) = (&mut r_lo[cp..cp + lanes], &mut r_hi[..lanes]);
            let (vp, vi) = (&v[cp..cp + lanes], &v[ci..ci + lanes]);
            for l in 0..lanes {
                let cur = g * (vp[l] - vi[l]);
                let inv = 1.0 / (di[l] + g);
                let r = ri[l] + cur;
                let f = g * inv;
                di[l] = inv;
                ri[l] = r;
                dp[l] += g - f * g;
                rp[l] += f * r - cur;
            }
        }
        for l in 0..lanes {
            rhs[l] /= d[l];
        }
        for i in 1..n {
            let p = parent[i] as usize;
            let g = ga[i];
            let (ci, cp) = (i * lanes, p * lanes);
            let (r_lo, r_hi) = rhs.split_at_mut(ci);
            let (rp, ri) = (&r_lo[cp..cp + lanes], &mut r_hi[..lanes]);
            let di = &d[ci..ci + lanes];
            for l in 0..lanes {
                ri[l] = (ri[l] + g * rp[l]) * di[l];
            }
        }
        for (vj, dv) in v.iter_mut().zip(rhs.iter()) {
            *vj += dv;
        }
    }

    /// One fixed step; calls `spike(lane, t)` for every lane whose soma crossed the threshold
    /// upwards, with t the time NEURON's fixed-step detector reports: the end of the step plus
    /// its event epsilon of 1e-10 ms.
    pub fn step(&mut self, mut spike: impl FnMut(usize, f64)) {
        let dt = self.env.dt;
        let t_mid = self.t + 0.5 * dt;
        self.ions.begin_step(self.env.celsius);
        self.cur.clear();
        for m in self.mechs.iter_mut() {
            m.current(&self.env, &self.v, &mut self.ions, &mut self.cur);
        }
        self.solve(t_mid);
        self.t_mid_last = t_mid;
        self.steps_done += 1;
        for m in self.mechs.iter_mut() {
            m.advance_states(&self.env, &self.v, &mut self.ions);
        }
        self.synapses.advance();
        for p in self.points.iter_mut() {
            p.point_advance(&self.env, &self.v, &self.ions);
        }
        self.t = t_mid + 0.5 * dt;
        let t = self.t;
        let lanes = self.lanes;
        for l in 0..lanes {
            let vs = self.v[self.soma * lanes + l];
            if vs > self.threshold {
                if !self.above[l] {
                    self.above[l] = true;
                    spike(l, t + SPIKE_TEPS);
                }
            } else {
                self.above[l] = false;
            }
        }
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

/// Result of a run, per lane: soma voltage at t = 0, dt, 2 dt, ... and spike times (ms).
#[derive(Debug, Clone, Default)]
pub struct CellTrace {
    pub v_soma: Vec<f64>,
    pub spikes: Vec<f64>,
}

/// Runs a cell group to `tstop`; with `record`, samples each soma voltage after initialization
/// and after every step.
pub fn run(sim: &mut CellSim, tstop: f64, record: bool) -> Result<Vec<CellTrace>> {
    let nsteps = n_steps(tstop, sim.env.dt)?;
    let lanes = sim.lanes;
    let mut out: Vec<CellTrace> = (0..lanes)
        .map(|_| CellTrace {
            v_soma: Vec::with_capacity(if record { nsteps + 1 } else { 0 }),
            spikes: Vec::with_capacity(64),
        })
        .collect();
    if record {
        for (l, o) in out.iter_mut().enumerate() {
            o.v_soma.push(sim.soma_v(l));
        }
    }
    for _ in 0..nsteps {
        sim.step(|l, t| out[l].spikes.push(t));
        if record {
            for (l, o) in out.iter_mut().enumerate() {
                o.v_soma.push(sim.soma_v(l));
            }
        }
    }
    Ok(out)
}

/// Runs one cell (lane 0) to `tstop`, sampling v at `nodes` after initialization and after every
/// step. Returns the samples (one row of `nodes.len()` values per sample) and the spike times.
pub fn run_nodes(sim: &mut CellSim, tstop: f64, nodes: &[usize]) -> Result<(Vec<f64>, Vec<f64>)> {
    let nsteps = n_steps(tstop, sim.env.dt)?;
    let n = sim.n_nodes();
    if let Some(bad) = nodes.iter().find(|&&k| k >= n) {
        return Err(Error::invalid(format!(
            "cannot record node {bad}: the cell has {n} nodes"
        )));
    }
    let lanes = sim.lanes;
    let mut v = Vec::with_capacity((nsteps + 1) * nodes.len());
    let mut spikes = Vec::new();
    v.extend(nodes.iter().map(|&k| sim.v[k * lanes]));
    for _ in 0..nsteps {
        sim.step(|l, t| {
            if l == 0 {
                spikes.push(t)
            }
        });
        v.extend(nodes.iter().map(|&k| sim.v[k * lanes]));
    }
    Ok((v, spikes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bionet::cell::{Biophysics, CellModel, ModelProcessing};
    use crate::bionet::morphology::{AxonProcessing, Morphology};
    use crate::bionet::swc::Swc;
    use std::path::Path;

    const SWC: &str = "1 1 0 0 0 8 -1\n2 3 0 10 0 2 1\n3 3 0 60 0 1.5 2\n4 3 20 90 0 1 3\n\
        5 3 -20 95 0 1 3\n6 2 0 -10 0 1 1\n7 2 0 -40 0 1 6\n8 4 10 0 0 3 1\n9 4 120 0 0 2 8\n";
    const FIT: &str = r#"{"passive": [{"ra": 120, "e_pas": -80, "cm": [{"section": "soma", "cm": 1},
        {"section": "axon", "cm": 1}, {"section": "dend", "cm": 2}, {"section": "apic", "cm": 2}]}],
        "conditions": [{"celsius": 34, "v_init": -80,
                        "erev": [{"section": "soma", "ena": 53, "ek": -107}]}],
        "genome": [
          {"section": "soma", "name": "g_pas", "value": 1e-4, "mechanism": ""},
          {"section": "dend", "name": "g_pas", "value": 5e-5, "mechanism": ""},
          {"section": "soma", "name": "gbar_NaTs", "value": 0.8, "mechanism": "NaTs"},
          {"section": "soma", "name": "gbar_Kv3_1", "value": 0.6, "mechanism": "Kv3_1"},
          {"section": "soma", "name": "gbar_Ca_HVA", "value": 5e-4, "mechanism": "Ca_HVA"},
          {"section": "soma", "name": "gbar_SK", "value": 1e-3, "mechanism": "SK"},
          {"section": "soma", "name": "gamma_CaDynamics", "value": 0.01, "mechanism": "CaDynamics"},
          {"section": "apic", "name": "gbar_Ih", "value": 1e-4, "mechanism": "Ih"}]}"#;

    fn model() -> CellModel {
        let path = Path::new("t.swc");
        let mut m = Morphology::from_swc(&Swc::parse(path, SWC).unwrap());
        m.process(AxonProcessing::Perisomatic, path).unwrap();
        m.set_segment_dl(10.0).unwrap();
        let mut kinds: Vec<i32> = m.sections.iter().map(|s| s.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let json = serde_json::from_str(FIT).unwrap();
        let bio = Biophysics::from_fit(
            &json,
            Path::new("fit.json"),
            ModelProcessing::Perisomatic,
            &kinds,
            &Default::default(),
        )
        .unwrap();
        CellModel::assemble(m, &bio).unwrap()
    }

    /// A group of lanes computes, lane by lane and bit for bit, what single cells compute.
    #[test]
    fn lanes_equal_single_cells() {
        let model = model();
        let cond = RunConditions {
            dt: 0.025,
            celsius: 34.0,
            v_init: -80.0,
            spike_threshold: -15.0,
        };
        let amps = [0.0, 0.3, 0.6];
        let clamp = |amp| IClamp {
            node: model.soma_node,
            amp,
            delay: 5.0,
            dur: 50.0,
        };
        let stims: Vec<(usize, IClamp)> = amps
            .iter()
            .enumerate()
            .map(|(l, &a)| (l, clamp(a)))
            .collect();
        let mut group = CellSim::group(&model, cond, amps.len(), &stims).unwrap();
        let together = run(&mut group, 80.0, true).unwrap();
        assert!(together[2].spikes.len() >= 2, "{:?}", together[2].spikes);
        assert!(together[0].spikes.is_empty());
        for (l, &a) in amps.iter().enumerate() {
            let mut one = CellSim::new(&model, cond, &[clamp(a)]).unwrap();
            let alone = run(&mut one, 80.0, true).unwrap().swap_remove(0);
            assert_eq!(alone.v_soma, together[l].v_soma, "lane {l}");
            assert_eq!(alone.spikes, together[l].spikes, "lane {l}");
        }
    }

    #[test]
    fn bad_conditions_are_errors() {
        let model = model();
        let cond = RunConditions {
            dt: 0.0,
            celsius: 34.0,
            v_init: -80.0,
            spike_threshold: -15.0,
        };
        assert!(CellSim::new(&model, cond, &[]).is_err());
        let cond = RunConditions { dt: 0.1, ..cond };
        let bad = IClamp {
            node: usize::MAX,
            amp: 1.0,
            delay: 0.0,
            dur: 1.0,
        };
        let e = CellSim::new(&model, cond, &[bad])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("IClamp"), "{e}");
        assert!(n_steps(f64::NAN, 0.1).is_err());
        assert_eq!(n_steps(1000.0, 0.1).unwrap(), 10000);
    }
}
