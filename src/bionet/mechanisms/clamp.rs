//! A single compartment carrying any set of mechanisms, stepped in NEURON's fixed-step order: the
//! test bench that compares each mechanism with NEURON, voltage-clamped or current-clamped.
//!
//! Order of one step from t to t + dt (NEURON's `fadvance` with `secondorder = 0`):
//! 1. reversal potentials that follow concentrations are updated, currents and di/dv computed at
//!    v(t) with the states of time t;
//! 2. v(t + dt) is either imposed (voltage clamp) or solved by the linearized backward Euler step
//!    `(cm/dt + di/dv) dv = i_stim - i_ion` (current clamp);
//! 3. every mechanism advances its states with v(t + dt), in registry order.
//!
//! Samples are taken after initialization (t = 0, currents at v_init) and after every step, so a
//! current sample at t + dt is the one computed at the start of that step, as NEURON records it.

use super::{lookup, Currents, Env, Ions, Mechanism};
use crate::error::{Error, Result};

/// A mechanism to insert, by SUFFIX name, with parameter values (unlisted ones keep defaults).
#[derive(Debug, Clone)]
pub struct MechSpec {
    pub name: String,
    pub params: Vec<(String, f64)>,
}

/// Ion values of the compartment; `None` keeps NEURON's default.
#[derive(Debug, Clone, Copy, Default)]
pub struct IonValues {
    pub ena: Option<f64>,
    pub ek: Option<f64>,
    pub eca: Option<f64>,
    pub cai: Option<f64>,
    pub cao: Option<f64>,
}

/// A current-clamp stimulus (NEURON's IClamp): `amp` nA from `delay` for `dur` ms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stimulus {
    pub amp: f64,
    pub delay: f64,
    pub dur: f64,
}

/// What a recorded trace holds, resolved once before the run.
enum Var {
    V,
    Ion(fn(&Ions) -> &[f64]),
    Mech(usize, &'static str),
}

pub struct Compartment {
    mechs: Vec<Box<dyn Mechanism>>,
    ions: Ions,
    cur: Currents,
    env: Env,
    v: [f64; 1],
    record: Vec<Var>,
}

const ION_VARS: &[&str] = &["ena", "ek", "eca", "cai", "cao", "ina", "ik", "ica"];

fn ion_var(name: &str) -> Option<fn(&Ions) -> &[f64]> {
    Some(match name {
        "ena" => |i| &i.ena,
        "ek" => |i| &i.ek,
        "eca" => |i| &i.eca,
        "cai" => |i| &i.cai,
        "cao" => |i| &i.cao,
        "ina" => |i| &i.ina,
        "ik" => |i| &i.ik,
        "ica" => |i| &i.ica,
        _ => return None,
    })
}

impl Compartment {
    /// Builds the compartment. `record` names NEURON-style variables: `v`, ion variables (`ena`,
    /// `cai`, `ica`, ...), and mechanism variables as `<name>_<SUFFIX>` (`m_NaTs`, `ik_Kv3_1`,
    /// `O_NaV`, `i_pas`).
    pub fn new(
        specs: &[MechSpec],
        ions: IonValues,
        celsius: f64,
        dt: f64,
        record: &[String],
    ) -> Result<Self> {
        Self::with_models(specs, &[], ions, celsius, dt, record)
    }

    /// As [`Compartment::new`], where a name first resolves to one of the loaded NMODL `models`
    /// (which then replaces the built-in of that name and takes its place in the run order; other
    /// loaded mechanisms run after the built-ins, in the order given).
    pub fn with_models(
        specs: &[MechSpec],
        models: &[std::sync::Arc<crate::nmodl::Model>],
        ions: IonValues,
        celsius: f64,
        dt: f64,
        record: &[String],
    ) -> Result<Self> {
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(Error::invalid(format!(
                "dt must be a positive number of ms, got {dt}"
            )));
        }
        if !celsius.is_finite() {
            return Err(Error::invalid(format!(
                "celsius must be a finite number, got {celsius}"
            )));
        }
        let mechs = instantiate_ordered(specs, models)?;

        let mut ion_state = Ions::new(1);
        let set = |dst: &mut Vec<f64>, v: Option<f64>| {
            if let Some(v) = v {
                dst[0] = v;
            }
        };
        set(&mut ion_state.ena, ions.ena);
        set(&mut ion_state.ek, ions.ek);
        set(&mut ion_state.eca, ions.eca);
        set(&mut ion_state.cai, ions.cai);
        set(&mut ion_state.cao, ions.cao);

        let mut vars = Vec::new();
        for name in record {
            vars.push(Self::resolve(&mechs, name)?);
        }
        Ok(Compartment {
            mechs,
            ions: ion_state,
            cur: Currents::new(1),
            env: Env { celsius, dt },
            v: [0.0],
            record: vars,
        })
    }

    fn resolve(mechs: &[Box<dyn Mechanism>], name: &str) -> Result<Var> {
        if name == "v" {
            return Ok(Var::V);
        }
        if let Some(f) = ion_var(name) {
            return Ok(Var::Ion(f));
        }
        // NEURON's spelling of an array element, `ca_cadifpmp[3]`, names the variable `ca[3]`
        let (stem, index) = match name.split_once('[') {
            Some((stem, rest)) if name.ends_with(']') => (stem, format!("[{rest}")),
            _ => (name, String::new()),
        };
        for (idx, m) in mechs.iter().enumerate() {
            if let Some(var) = stem
                .strip_suffix(m.suffix())
                .and_then(|s| s.strip_suffix('_'))
            {
                let var = format!("{var}{index}");
                if let Some(found) = m.variable_names().into_iter().find(|n| *n == var) {
                    return Ok(Var::Mech(idx, found));
                }
            }
        }
        let mut known: Vec<String> = vec!["v".into()];
        known.extend(ION_VARS.iter().map(|s| s.to_string()));
        for m in mechs {
            known.extend(
                m.variable_names()
                    .iter()
                    .map(|n| format!("{n}_{}", m.suffix())),
            );
        }
        Err(Error::invalid(format!(
            "cannot record '{name}': no such variable in this compartment; available: {}",
            known.join(", ")
        )))
    }

    fn sample(&self, out: &mut [Vec<f64>]) {
        for (dst, var) in out.iter_mut().zip(&self.record) {
            dst.push(match var {
                Var::V => self.v[0],
                Var::Ion(f) => f(&self.ions)[0],
                Var::Mech(i, name) => self.mechs[*i].variable(name).map_or(f64::NAN, |x| x[0]),
            });
        }
    }

    fn compute_currents(&mut self) {
        self.ions.begin_step(self.env.celsius);
        self.cur.clear();
        for m in self.mechs.iter_mut() {
            m.current(&self.env, &self.v, &mut self.ions, &mut self.cur);
        }
    }

    /// A cylinder of `diam` x `length` um (area without end caps, as NEURON's one-segment section).
    fn set_geometry(&mut self, diam: f64, length: f64) {
        let area = std::f64::consts::PI * diam * length;
        for m in self.mechs.iter_mut() {
            m.set_geometry(&[diam], &[area]);
        }
    }

    fn initialize(&mut self, v_init: f64) {
        self.v[0] = v_init;
        for m in self.mechs.iter_mut() {
            m.init(&self.env, &self.v, &mut self.ions);
        }
        self.ions.update_reversals(self.env.celsius);
        self.compute_currents();
    }

    fn advance_states(&mut self) {
        for m in self.mechs.iter_mut() {
            m.advance_states(&self.env, &self.v, &mut self.ions);
        }
    }

    /// Voltage clamp: `v[0]` is v_init, `v[n]` the voltage at t = n dt. Returns one trace per
    /// recorded variable, `v.len()` samples each.
    pub fn run_vclamp(&mut self, v: &[f64]) -> Result<Vec<Vec<f64>>> {
        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
            return Err(Error::invalid(
                "the voltage trace must be non-empty and finite",
            ));
        }
        let mut out = vec![Vec::with_capacity(v.len()); self.record.len()];
        // the oracle's section under the clamp: NEURON's default 10 x 10 um cylinder
        self.set_geometry(10.0, 10.0);
        self.initialize(v[0]);
        self.sample(&mut out);
        for &vn in &v[1..] {
            self.compute_currents();
            self.v[0] = vn;
            self.advance_states();
            self.sample(&mut out);
        }
        Ok(out)
    }

    /// Current clamp of a cylinder of `diam` x `length` um (area pi diam length, no end caps) with
    /// specific capacitance `cm` uF/cm2, from `v_init` for `nsteps` steps.
    pub fn run_iclamp(
        &mut self,
        v_init: f64,
        cm: f64,
        diam: f64,
        length: f64,
        stim: Stimulus,
        nsteps: usize,
    ) -> Result<Vec<Vec<f64>>> {
        if !(cm > 0.0 && diam > 0.0 && length > 0.0) {
            return Err(Error::invalid(format!(
                "cm, diam and L must be positive, got cm={cm} diam={diam} L={length}"
            )));
        }
        let area = std::f64::consts::PI * diam * length; // um2
        let stim_density = stim.amp * 100.0 / area; // nA -> mA/cm2
        let cfac = 1e-3 * cm / self.env.dt;
        let mut out = vec![Vec::with_capacity(nsteps + 1); self.record.len()];
        self.set_geometry(diam, length);
        self.initialize(v_init);
        self.sample(&mut out);
        for n in 0..nsteps {
            let t_mid = (n as f64 + 0.5) * self.env.dt;
            self.compute_currents();
            let on = t_mid >= stim.delay && t_mid < stim.delay + stim.dur;
            let rhs = if on { stim_density } else { 0.0 } - self.cur.i[0];
            self.v[0] += rhs / (cfac + self.cur.g[0]);
            self.advance_states();
            self.sample(&mut out);
        }
        Ok(out)
    }
}

/// One instance (on node 0) of each mechanism of `specs` with its parameters, in run order; a
/// name first resolves to one of the loaded NMODL `models`, which then replaces the built-in of that
/// name and takes its place in the run order (other loaded mechanisms run after the built-ins, in
/// the order given).
pub fn instantiate_ordered(
    specs: &[MechSpec],
    models: &[std::sync::Arc<crate::nmodl::Model>],
) -> Result<Vec<Box<dyn Mechanism>>> {
    let mut ordered = Vec::new();
    for s in specs {
        let (pos, mut m) = match models.iter().position(|m| m.name == s.name) {
            Some(k) => (
                lookup(&s.name).map_or(super::REGISTRY.len() + k, |(p, _)| p),
                crate::nmodl::instantiate(&models[k], vec![0]),
            ),
            None => {
                let (pos, reg) = lookup(&s.name)?;
                (pos, (reg.make)(vec![0]))
            }
        };
        if ordered.iter().any(|(p, _)| *p == pos) {
            return Err(Error::invalid(format!(
                "mechanism '{}' is inserted twice (as '{}')",
                m.suffix(),
                s.name
            )));
        }
        for (k, v) in &s.params {
            m.set_param(k, &[*v])?;
        }
        ordered.push((pos, m));
    }
    ordered.sort_by_key(|(p, _)| *p);
    Ok(ordered.into_iter().map(|(_, m)| m).collect())
}
