//! A loaded density mechanism behind the engine's [`Mechanism`] trait: the same calls, in the same
//! order, as the hand-written mechanisms, executed by the interpreter.
//!
//! NEURON's conventions reproduced here: the current and its derivative come from evaluating the
//! BREAKPOINT statements at v + 0.001 and then at v (di/dv by that finite difference, the
//! variables left at their values for v); ion variables are loaded from the node before each
//! block and written ones stored back after it (currents summed, concentrations assigned);
//! currents see `t + dt/2`, states `t + dt`.

use std::sync::Arc;

use super::model::{IonVar, Model};
use super::vm::{self, Frame, TableData};
use crate::bionet::mechanisms::{Currents, Env, Ions, Mechanism, ParamKind, ParamSpec};
use crate::error::{Error, Result};

pub struct NmodlMech {
    model: Arc<Model>,
    node: Vec<u32>,
    frame: Frame,
    scalars: Vec<f64>,
    tables: Vec<TableData>,
    /// The scalars the tables were built with (rebuilt when any changes).
    table_key: Option<Vec<f64>>,
    t: f64,
    i1: Vec<f64>,
    /// Point processes: per instance, the factor from the instance's ionic currents (nA) to the
    /// node's current densities (mA/cm2): NEURON's 100/area (um2).
    ion_scale: Vec<f64>,
    /// Per run kind (`which`): the scalars its prelude reads, and their values when it last ran
    /// (the prelude, `pow`s of q10 factors mostly, runs again only when one changed).
    prelude_memo: [(Vec<u32>, Option<Vec<f64>>); 6],
    /// Whether BREAKPOINT writes an ion value it reads (a concentration or reversal potential):
    /// its second evaluation then needs them gathered again, not just v.
    current_writes_ion_values: bool,
}

pub fn make(model: &Arc<Model>, node: Vec<u32>) -> Box<dyn Mechanism> {
    Box::new(NmodlMech::new(model.clone(), node))
}

fn ion_array_mut(ions: &mut Ions, v: IonVar) -> &mut Vec<f64> {
    match v {
        IonVar::Ena => &mut ions.ena,
        IonVar::Ek => &mut ions.ek,
        IonVar::Eca => &mut ions.eca,
        IonVar::Cai => &mut ions.cai,
        IonVar::Cao => &mut ions.cao,
        IonVar::Ina => &mut ions.ina,
        IonVar::Ik => &mut ions.ik,
        IonVar::Ica => &mut ions.ica,
    }
}

impl NmodlMech {
    /// Instances at `node`, each with new RANDOM streams (the process's next stream ids).
    pub fn new(model: Arc<Model>, node: Vec<u32>) -> Self {
        Self::with_streams(model, node, true)
    }

    /// One instance to check parameter names and values on: its streams take no stream ids
    /// (NEURON makes no object for the check, so the ids of the real instances stay NEURON's).
    pub fn probe(model: Arc<Model>) -> Self {
        Self::with_streams(model, vec![0], false)
    }

    fn with_streams(model: Arc<Model>, node: Vec<u32>, new_ids: bool) -> Self {
        let n = node.len();
        let mut frame = Frame::new(model.code.nslots, n);
        for (spec, slot) in model.params.iter().zip(&model.param_slot) {
            if let Some(s) = slot {
                frame.slots[*s as usize]
                    .iter_mut()
                    .for_each(|x| *x = spec.default);
            }
        }
        // NEURON makes an instance's streams when it makes the instance (nrn_alloc), one per
        // RANDOM variable in declaration order: instance by instance, as here
        let nvars = model.code.randoms.len();
        let mut streams = vec![Vec::with_capacity(n); nvars];
        for _ in 0..n {
            for s in streams.iter_mut() {
                s.push(if new_ids {
                    super::random::Stream::new_default()
                } else {
                    super::random::Stream::with_ids(1, 0, 0)
                });
            }
        }
        frame.streams = streams;
        NmodlMech {
            scalars: model.code.scalars.clone(),
            tables: vec![TableData::default(); model.code.tables.len()],
            table_key: None,
            t: 0.0,
            i1: vec![0.0; n],
            ion_scale: vec![0.0; n],
            prelude_memo: {
                let c = &model.code;
                let inputs = |p: &[super::hoist::ScalarOp]| (super::hoist::prelude_inputs(p), None);
                [
                    inputs(&c.init_prelude),
                    (Vec::new(), None),
                    inputs(&c.state_prelude),
                    inputs(&c.current_prelude),
                    (Vec::new(), None),
                    inputs(&c.current_prelude),
                ]
            },
            current_writes_ion_values: {
                let c = &model.code;
                let values: Vec<u32> = model
                    .ion_slots
                    .iter()
                    .filter(|s| s.gathered())
                    .map(|s| s.slot)
                    .collect();
                [&c.current_pre, &c.current_probe, &c.current_v]
                    .iter()
                    .flat_map(|p| p.iter())
                    .flat_map(super::lower::writes)
                    .any(|w| values.contains(&w))
            },
            frame,
            node,
            model,
        }
    }

    fn set_env(&mut self, env: &Env, t: f64) {
        let c = &self.model.code;
        self.scalars[c.g_dt as usize] = env.dt;
        self.scalars[c.g_celsius as usize] = env.celsius;
        self.scalars[c.g_t as usize] = t;
    }

    /// v and the ion variables at each instance's node (written currents excepted: they are
    /// this mechanism's own output, unless it reads them too).
    fn gather(&mut self, v: &[f64], ions: &Ions, dv: f64) {
        self.gather_v(v, dv);
        for s in &self.model.ion_slots {
            if !s.gathered() {
                continue;
            }
            let src = s.var.values(ions);
            let dst = &mut self.frame.slots[s.slot as usize];
            for (x, &n) in dst.iter_mut().zip(&self.node) {
                *x = src[n as usize];
            }
        }
    }

    /// BREAKPOINT's two evaluations, NEURON's way: at v + 0.001 (its total current into `i1`)
    /// and at v (every variable as this one leaves it). One fused program where there is one
    /// and BREAKPOINT changes no gathered ion value (the second evaluation would need them
    /// gathered again).
    fn breakpoint(&mut self, v: &[f64], ions: &Ions) {
        let itot = self.model.code.itot_slot as usize;
        let fused = self.model.code.fused.as_ref().map(|f| f.i1_slot as usize);
        match fused {
            Some(i1) if !self.current_writes_ion_values => {
                self.gather(v, ions, 0.0);
                self.run(super::FUSED as u8);
                self.i1.copy_from_slice(&self.frame.slots[i1]);
            }
            _ => {
                self.gather(v, ions, super::fused::DV);
                self.run(3);
                self.run(4);
                self.i1.copy_from_slice(&self.frame.slots[itot]);
                if self.current_writes_ion_values {
                    self.gather(v, ions, 0.0);
                } else {
                    self.gather_v(v, 0.0);
                }
                self.run(1);
            }
        }
    }

    fn gather_v(&mut self, v: &[f64], dv: f64) {
        let vs = &mut self.frame.slots[self.model.code.v_slot as usize];
        for (x, &n) in vs.iter_mut().zip(&self.node) {
            *x = v[n as usize] + dv;
        }
    }

    /// Written concentrations and reversal potentials back to the nodes.
    fn scatter_values(&self, ions: &mut Ions) {
        for s in &self.model.ion_slots {
            if s.write && !s.var.is_current() {
                let src = &self.frame.slots[s.slot as usize];
                let dst = ion_array_mut(ions, s.var);
                for (x, &n) in src.iter().zip(&self.node) {
                    dst[n as usize] = *x;
                }
            }
        }
    }

    /// Builds the TABLEs (NEURON's `usetable`) when a scalar they may depend on changed.
    fn ensure_tables(&mut self) {
        if self.model.code.tables.is_empty() {
            return;
        }
        // Time moves every step and never enters a table.
        let mut key = self.scalars[..self.model.code.n_base_scalars].to_vec();
        key[self.model.code.g_t as usize] = 0.0;
        if self.table_key.as_ref() == Some(&key) {
            return;
        }
        let code = &self.model.code;
        for (spec, data) in code.tables.iter().zip(self.tables.iter_mut()) {
            let mut probe = Frame::new(code.nslots, 1);
            vm::run(&spec.build, &mut probe, &self.scalars, &[]);
            let tmin = probe.slots[spec.from as usize][0];
            let tmax = probe.slots[spec.to as usize][0];
            let with = probe.slots[spec.with as usize][0].max(1.0) as usize;
            let dx = (tmax - tmin) / with as f64;
            let mut frame = Frame::new(code.nslots, with + 1);
            let mut x = tmin;
            for k in 0..=with {
                frame.slots[spec.arg_slot as usize][k] = x;
                x += dx;
            }
            vm::run(&spec.build, &mut frame, &self.scalars, &[]);
            *data = TableData {
                tmin,
                mfac: 1.0 / dx,
                with,
                values: spec
                    .outs
                    .iter()
                    .map(|&o| frame.slots[o as usize].clone())
                    .collect(),
            };
        }
        self.table_key = Some(key);
    }

    fn run(&mut self, which: u8) {
        let code = &self.model.code;
        // the uniform values hoisted out of the program (run 3 always precedes run 1; 5 is 3, 4 and 1 in one)
        let prelude = match which {
            0 => &code.init_prelude,
            3 | 5 => &code.current_prelude,
            2 => &code.state_prelude,
            _ => &Vec::new(),
        };
        let (inputs, last) = &mut self.prelude_memo[which as usize];
        let unchanged = last.as_ref().is_some_and(|l| {
            inputs
                .iter()
                .zip(l)
                .all(|(&i, x)| self.scalars[i as usize].to_bits() == x.to_bits())
        });
        if !unchanged {
            super::hoist::run_prelude(prelude, &mut self.scalars);
            *last = Some(inputs.iter().map(|&i| self.scalars[i as usize]).collect());
        }
        let ops = match which {
            0 => &code.init[..],
            // the part of BREAKPOINT that depends on v (the rest, 3, runs once per step), and its
            // first run at v + 0.001 (4); all three as one program (5)
            1 => &code.current_v,
            3 => &code.current_pre,
            4 => &code.current_probe,
            5 => code.fused.as_ref().map_or(&[][..], |f| &f.ops),
            _ => &code.state,
        };
        let native = self.model.native.as_ref();
        if let Some(p) = native.and_then(|n| n.program(which as usize)) {
            if p.run(&mut self.frame, &self.scalars) {
                return;
            }
        }
        vm::run(ops, &mut self.frame, &self.scalars, &self.tables);
    }
}

impl Mechanism for NmodlMech {
    fn suffix(&self) -> &'static str {
        self.model.suffix
    }

    fn nodes(&self) -> &[u32] {
        &self.node
    }

    fn params(&self) -> &'static [ParamSpec] {
        self.model.params
    }

    fn set_param(&mut self, name: &str, values: &[f64]) -> Result<()> {
        let m = &self.model;
        let Some(idx) = m.params.iter().position(|p| p.name == name) else {
            let names: Vec<&str> = m.params.iter().map(|p| p.name).collect();
            return Err(Error::invalid(format!(
                "mechanism '{}' ({}) has no parameter '{name}'; expected one of: {}",
                m.name,
                m.file,
                names.join(", ")
            )));
        };
        if let Some(bad) = values.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid(format!(
                "{name}_{}: value {bad} is not a finite number",
                m.name
            )));
        }
        let n = self.node.len();
        match (
            m.params[idx].kind,
            m.param_slot[idx],
            m.param_scalar[idx],
            values.len(),
        ) {
            (ParamKind::Range, Some(s), _, 1) => self.frame.slots[s as usize]
                .iter_mut()
                .for_each(|x| *x = values[0]),
            (ParamKind::Range, Some(s), _, k) if k == n => {
                self.frame.slots[s as usize].copy_from_slice(values)
            }
            (ParamKind::Global, _, Some(g), 1) => self.scalars[g as usize] = values[0],
            (kind, _, _, k) => {
                let expect = if kind == ParamKind::Range {
                    format!("1 or {n} (one per instance)")
                } else {
                    "1 (a GLOBAL parameter in NEURON)".to_string()
                };
                return Err(Error::invalid(format!(
                    "{name}_{}: got {k} values, expected {expect}",
                    m.name
                )));
            }
        }
        Ok(())
    }

    fn ions(&self) -> Vec<&'static str> {
        self.model
            .ions
            .iter()
            .filter_map(|u| match u.ion.as_str() {
                "na" => Some("na"),
                "k" => Some("k"),
                "ca" => Some("ca"),
                _ => None,
            })
            .collect()
    }

    fn variable_names(&self) -> Vec<&'static str> {
        self.model.variables.clone()
    }

    fn variable(&self, name: &str) -> Option<&[f64]> {
        let m = &self.model;
        if !m.variables.contains(&name) {
            return None;
        }
        let s = m.code.slot_names.iter().position(|n| n == name)?;
        Some(&self.frame.slots[s])
    }

    fn init(&mut self, env: &Env, v: &[f64], ions: &mut Ions) {
        self.t = 0.0;
        self.set_env(env, 0.0);
        for s in &self.model.ion_slots {
            if s.write && s.var.is_concentration() {
                ions.mark_ca_concentration(&self.node);
            }
        }
        // States start from 0 (NEURON's default x0) unless they mirror an ion concentration.
        for st in &self.model.states {
            if self
                .model
                .ion_slots
                .iter()
                .any(|s| self.model.code.slot_names[s.slot as usize] == *st)
            {
                continue;
            }
            if let Some(k) = self.model.code.slot_names.iter().position(|n| n == st) {
                self.frame.slots[k].iter_mut().for_each(|x| *x = 0.0);
            }
        }
        self.gather(v, ions, 0.0);
        self.ensure_tables();
        self.run(0);
        self.scatter_values(ions);
    }

    fn current(&mut self, env: &Env, v: &[f64], ions: &mut Ions, out: &mut Currents) {
        self.set_env(env, self.t + 0.5 * env.dt);
        self.ensure_tables();
        let itot = self.model.code.itot_slot as usize;
        self.breakpoint(v, ions);
        let i0 = &self.frame.slots[itot];
        for ((&n, &i), &i1) in self.node.iter().zip(i0.iter()).zip(&self.i1) {
            out.i[n as usize] += i;
            out.g[n as usize] += (i1 - i) / 0.001;
        }
        for s in &self.model.ion_slots {
            if s.write && s.var.is_current() {
                let src = &self.frame.slots[s.slot as usize];
                let dst = ion_array_mut(ions, s.var);
                for (x, &n) in src.iter().zip(&self.node) {
                    dst[n as usize] += *x;
                }
            }
        }
    }

    fn set_geometry(&mut self, diam: &[f64], area: &[f64]) {
        for (slot, by_node) in self.model.geometry.iter().zip([diam, area]) {
            if let Some(s) = slot {
                let dst = &mut self.frame.slots[*s as usize];
                for (x, &n) in dst.iter_mut().zip(&self.node) {
                    *x = by_node[n as usize];
                }
            }
        }
    }

    fn advance_states(&mut self, env: &Env, v: &[f64], ions: &mut Ions) {
        self.t += env.dt;
        self.set_env(env, self.t);
        self.ensure_tables();
        self.gather(v, ions, 0.0);
        self.run(2);
        self.scatter_values(ions);
    }
}

/// Point processes (POINT_PROCESS, ARTIFICIAL_CELL): instances sit at solver indices (`nodes`),
/// their current enters as NEURON's point-process current (nA, scaled by the caller's factor, e.g.
/// 100/area for mA/cm2 rows), and events run NET_RECEIVE one instance at a time.
impl NmodlMech {
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Length of the weight vector each connection carries (NET_RECEIVE's arguments).
    pub fn n_weights(&self) -> usize {
        self.model.code.nr_args.len()
    }

    /// Whether the point process writes an ionic current (its nodes then need their ion sums
    /// cleared every step).
    pub fn writes_ion_currents(&self) -> bool {
        self.model
            .ion_slots
            .iter()
            .any(|s| s.write && s.var.is_current())
    }

    /// Per instance, 100/area (um2) of its node: the factor from nA to mA/cm2 with which its
    /// ionic currents enter the node's ion sums.
    pub fn set_ion_scale(&mut self, scale: Vec<f64>) -> Result<()> {
        if scale.len() != self.node.len() {
            return Err(Error::invalid(format!(
                "{}: {} ion scale factors for {} instances",
                self.model.name,
                scale.len(),
                self.node.len()
            )));
        }
        self.ion_scale = scale;
        Ok(())
    }

    /// INITIAL of every instance (states from 0 first, as NEURON); returns the self events its
    /// `net_send` calls asked for as (instance, kind, a, b).
    pub fn point_init(&mut self, env: &Env, v: &[f64], ions: &Ions) -> Vec<vm::Emitted> {
        self.t = 0.0;
        self.set_env(env, 0.0);
        for st in &self.model.states {
            if let Some(k) = self.model.code.slot_names.iter().position(|n| n == st) {
                self.frame.slots[k].iter_mut().for_each(|x| *x = 0.0);
            }
        }
        self.gather(v, ions, 0.0);
        self.ensure_tables();
        self.frame.events.clear();
        self.run(0);
        std::mem::take(&mut self.frame.events)
    }

    /// Runs `ops` (0: NET_RECEIVE, 1: its INITIAL) for instance `inst` alone at time `t`, with the
    /// connection's weight vector (updated in place, as NEURON keeps it in the NetCon).
    fn run_one(
        &mut self,
        which: u8,
        inst: usize,
        t: f64,
        v: f64,
        weights: &mut [f64],
        flag: f64,
    ) -> Vec<vm::Emitted> {
        let code = &self.model.code;
        let nper = code.slot_names.len();
        let mut one = Frame::new(code.nslots, 1);
        for s in 0..nper {
            one.slots[s][0] = self.frame.slots[s][inst];
        }
        one.slots[code.v_slot as usize][0] = v;
        for (k, &a) in code.nr_args.iter().enumerate() {
            one.slots[a as usize][0] = weights.get(k).copied().unwrap_or(0.0);
        }
        if let Some(f) = code.flag_slot {
            one.slots[f as usize][0] = flag;
        }
        one.streams = self.frame.streams.iter().map(|s| vec![s[inst]]).collect();
        let saved_t = self.scalars[code.g_t as usize];
        self.scalars[code.g_t as usize] = t;
        let ops = if which == 0 {
            &code.net_receive
        } else {
            &code.net_init
        };
        vm::run(ops, &mut one, &self.scalars, &self.tables);
        self.scalars[code.g_t as usize] = saved_t;
        for s in 0..nper {
            self.frame.slots[s][inst] = one.slots[s][0];
        }
        for (mine, s) in self.frame.streams.iter_mut().zip(&one.streams) {
            mine[inst] = s[0];
        }
        for (k, &a) in code.nr_args.iter().enumerate() {
            if let Some(w) = weights.get_mut(k) {
                *w = one.slots[a as usize][0];
            }
        }
        one.events
    }

    /// NET_RECEIVE's INITIAL block for one connection onto `inst` (at finitialize).
    pub fn net_init(&mut self, inst: usize, v: f64, weights: &mut [f64]) -> Vec<vm::Emitted> {
        if self.model.code.net_init.is_empty() {
            return Vec::new();
        }
        self.run_one(1, inst, 0.0, v, weights, 0.0)
    }

    /// One event at time `t` for instance `inst` (`flag` 0 for a connection's event, the
    /// `net_send` flag for a self event); returns the events NET_RECEIVE asked for.
    pub fn net_receive(
        &mut self,
        inst: usize,
        t: f64,
        v: f64,
        weights: &mut [f64],
        flag: f64,
    ) -> Vec<vm::Emitted> {
        self.run_one(0, inst, t, v, weights, flag)
    }

    /// Adds every instance's current to solver rows: `d += scale di/dv`, `rhs -= scale i`, the
    /// derivative by NEURON's finite difference over 0.001 mV. `scale` None means 1 (rows in nA).
    /// Ionic currents are added to the node's ion sums times the ion scale (nA -> mA/cm2).
    pub fn point_current(
        &mut self,
        env: &Env,
        v: &[f64],
        ions: &mut Ions,
        scale: Option<&[f64]>,
        d: &mut [f64],
        rhs: &mut [f64],
    ) {
        if self.node.is_empty() || self.model.kind == super::Kind::ArtificialCell {
            return;
        }
        self.set_env(env, self.t + 0.5 * env.dt);
        self.ensure_tables();
        let itot = self.model.code.itot_slot as usize;
        self.breakpoint(v, ions);
        for s in &self.model.ion_slots {
            if s.write && s.var.is_current() {
                let src = &self.frame.slots[s.slot as usize];
                let dst = ion_array_mut(ions, s.var);
                for ((x, &n), f) in src.iter().zip(&self.node).zip(&self.ion_scale) {
                    dst[n as usize] += *x * f;
                }
            }
        }
        let i0 = &self.frame.slots[itot];
        for (k, &n) in self.node.iter().enumerate() {
            let (i, i1) = (i0[k], self.i1[k]);
            let mut g = (i1 - i) / 0.001;
            let mut r = i;
            if let Some(s) = scale {
                g *= s[k];
                r *= s[k];
            }
            d[n as usize] += g;
            rhs[n as usize] -= r;
        }
    }

    /// The states' step to t + dt (SOLVE blocks at the new voltage).
    pub fn point_advance(&mut self, env: &Env, v: &[f64], ions: &Ions) {
        self.t += env.dt;
        if self.node.is_empty() {
            return;
        }
        self.set_env(env, self.t);
        self.ensure_tables();
        self.gather(v, ions, 0.0);
        self.run(2);
    }

    /// Value of variable `name` of every instance.
    pub fn values(&self, name: &str) -> Option<&[f64]> {
        let s = self.model.code.slot_names.iter().position(|n| n == name)?;
        Some(&self.frame.slots[s])
    }
}

/// WATCH conditions (NET_RECEIVE's `WATCH (a > b) flag`).
impl NmodlMech {
    /// Whether NET_RECEIVE has WATCH statements.
    pub fn has_watches(&self) -> bool {
        !self.model.code.watches.is_empty()
    }

    /// The value of WATCH statement `number`'s condition for instance `inst` at voltage `v`, as
    /// NEURON computes it (`a - b` for `a > b`): the watch fires when it turns positive. None
    /// for a number the file does not have.
    pub fn watch_value(&self, number: u32, inst: usize, v: f64) -> Option<f64> {
        let code = &self.model.code;
        let w = code.watches.iter().find(|w| w.number == number)?;
        let nper = code.slot_names.len();
        let mut one = Frame::new(code.nslots, 1);
        for s in 0..nper {
            one.slots[s][0] = self.frame.slots[s][inst];
        }
        one.slots[code.v_slot as usize][0] = v;
        vm::run(&w.ops, &mut one, &self.scalars, &self.tables);
        Some(match w.value {
            vm::Opnd::S(s) => one.slots[s as usize][0],
            vm::Opnd::G(g) => self.scalars[g as usize],
        })
    }
}
