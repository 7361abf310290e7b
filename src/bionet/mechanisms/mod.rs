//! Membrane mechanisms, one file each, behind one trait ([`Mechanism`]) and a registry keyed by
//! NEURON's SUFFIX name ([`create`]).
//!
//! Conventions (those of NEURON, so traces can be compared sample by sample):
//! - units: mV, ms, mA/cm2 for currents, S/cm2 for conductances, mM, degC;
//! - a mechanism holds many instances; instance `k` sits on compartment (node) `node[k]`; every
//!   state variable is one `Vec<f64>` over instances (structure of arrays);
//! - one time step is: ion reversal potentials that follow concentrations are updated
//!   ([`Ions::begin_step`]), every mechanism adds its current and its conductance di/dv at the
//!   present voltage ([`Mechanism::current`]), the voltage is solved, then every mechanism advances
//!   its states with the new voltage ([`Mechanism::advance_states`]) in registry order;
//! - gating variables use the exponential-Euler update of NEURON's `cnexp`
//!   (`s += (1 - exp(-dt/tau)) (inf - s)`), the NaV kinetic scheme NEURON's implicit (backward
//!   Euler) `sparse` solve;
//! - di/dv is what NEURON uses: the exact conductance for ohmic currents, and the finite difference
//!   `(i(v + 0.001) - i(v)) / 0.001` where the conductance itself depends on v at the current step.
//!
//! How an engine drives them (what [`clamp::Compartment`] does for one compartment):
//!
//! ```text
//! mechs sorted by lookup(name).0 (registry order); ions = Ions::new(nodes); set ena/ek/... per node
//! init:  for m in mechs { m.init(&env, &v, &mut ions) }     // CaDynamics marks its nodes, sets cai
//!        ions.update_reversals(celsius)                      // eca from cai where cai is a state
//! step:  ions.begin_step(celsius); cur.clear();
//!        for m in mechs { m.current(&env, &v, &mut ions, &mut cur) }   // cur.i, cur.g per node
//!        solve (cm/dt + cur.g) dv = i_inj - cur.i (times areas, plus axial terms); v += dv
//!        for m in mechs { m.advance_states(&env, &v, &mut ions) }      // with v(t + dt)
//! ```
//!
//! Each channel loop gathers node values into contiguous scratch arrays, computes over instances
//! without branches or indirection (so the compiler vectorizes it; [`exp`] and [`vtrap`] are
//! branch-free for that reason), and scatters the sums back to the nodes.

// State lives in parallel arrays indexed by instance; index loops over several of them are the
// clearest (and vectorizable) form.
#![allow(clippy::needless_range_loop)]

mod ca_hva;
mod ca_lva;
mod cadynamics;
pub mod clamp;
mod hh;
mod ih;
mod im;
mod im_v2;
mod k_p;
mod k_t;
mod kd;
mod kv2like;
mod kv3_1;
mod nap;
mod nat;
mod nav;
mod pas;
mod sk;
pub mod user;

use crate::error::{Error, Result};

/// Gas constant (J/(K mol)) and Faraday constant (C/mol) as NEURON 9 defines them (CODATA 2018).
pub const GAS_CONSTANT: f64 = 8.314462618;
pub const FARADAY: f64 = 96485.33212331001;

/// Default ion values of NEURON (`ena`, `ek`, `eca`, `cai`, `cao` before any assignment).
pub const DEFAULT_ENA: f64 = 50.0;
pub const DEFAULT_EK: f64 = -77.0;
pub const DEFAULT_ECA: f64 = 132.4579341637009;
pub const DEFAULT_CAI: f64 = 5e-5;
pub const DEFAULT_CAO: f64 = 2.0;

/// Reversal potential (mV) of an ion of valence `z` from its concentrations, NEURON's `nernst`.
#[inline]
pub fn nernst(ci: f64, co: f64, z: f64, celsius: f64) -> f64 {
    let ktf = 1000.0 * GAS_CONSTANT * (celsius + 273.15) / FARADAY;
    if ci <= 0.0 {
        1e6
    } else if co <= 0.0 {
        -1e6
    } else {
        ktf / z * (co / ci).ln()
    }
}

/// Conditions shared by all mechanisms during a run.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    /// Temperature, degC (NEURON's `celsius`).
    pub celsius: f64,
    /// Time step, ms.
    pub dt: f64,
}

/// Ion state per compartment (node): reversal potentials, calcium concentrations and the ionic
/// currents summed over all mechanisms during the current computation of a step.
#[derive(Debug, Clone)]
pub struct Ions {
    pub ena: Vec<f64>,
    pub ek: Vec<f64>,
    pub eca: Vec<f64>,
    pub cai: Vec<f64>,
    pub cao: Vec<f64>,
    pub ina: Vec<f64>,
    pub ik: Vec<f64>,
    pub ica: Vec<f64>,
    /// Nodes where a mechanism writes `cai`: there, as in NEURON, `eca` follows `cai` by Nernst's
    /// equation (at initialization and before the currents of every step).
    pub ca_conc_nodes: Vec<u32>,
    /// When set, the only nodes where mechanisms write ionic currents: [`Ions::begin_step`] then
    /// clears the current sums there only (a cell's channels often sit on a few compartments).
    pub current_nodes: Option<Vec<u32>>,
}

impl Ions {
    /// `n` nodes with NEURON's default ion values.
    pub fn new(n: usize) -> Self {
        Ions {
            ena: vec![DEFAULT_ENA; n],
            ek: vec![DEFAULT_EK; n],
            eca: vec![DEFAULT_ECA; n],
            cai: vec![DEFAULT_CAI; n],
            cao: vec![DEFAULT_CAO; n],
            ina: vec![0.0; n],
            ik: vec![0.0; n],
            ica: vec![0.0; n],
            ca_conc_nodes: Vec::new(),
            current_nodes: None,
        }
    }

    pub fn len(&self) -> usize {
        self.ena.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ena.is_empty()
    }

    /// Marks the nodes where a mechanism writes the calcium concentration (see `ca_conc_nodes`).
    pub fn mark_ca_concentration(&mut self, nodes: &[u32]) {
        self.ca_conc_nodes.extend_from_slice(nodes);
        self.ca_conc_nodes.sort_unstable();
        self.ca_conc_nodes.dedup();
    }

    /// Start of a current computation: ionic current sums are cleared and `eca` follows `cai`
    /// where calcium is a state (what NEURON's ion mechanism does before the channel currents).
    pub fn begin_step(&mut self, celsius: f64) {
        match &self.current_nodes {
            None => {
                self.ina.iter_mut().for_each(|x| *x = 0.0);
                self.ik.iter_mut().for_each(|x| *x = 0.0);
                self.ica.iter_mut().for_each(|x| *x = 0.0);
            }
            Some(nodes) => {
                for &n in nodes {
                    let n = n as usize;
                    self.ina[n] = 0.0;
                    self.ik[n] = 0.0;
                    self.ica[n] = 0.0;
                }
            }
        }
        self.update_reversals(celsius);
    }

    /// `eca` from `cai`/`cao` by Nernst's equation where calcium is a state.
    pub fn update_reversals(&mut self, celsius: f64) {
        for &n in &self.ca_conc_nodes {
            let n = n as usize;
            self.eca[n] = nernst(self.cai[n], self.cao[n], 2.0, celsius);
        }
    }
}

/// Membrane current and its derivative per node, summed over mechanisms (mA/cm2 and S/cm2).
#[derive(Debug, Clone)]
pub struct Currents {
    pub i: Vec<f64>,
    pub g: Vec<f64>,
}

impl Currents {
    pub fn new(n: usize) -> Self {
        Currents {
            i: vec![0.0; n],
            g: vec![0.0; n],
        }
    }

    pub fn clear(&mut self) {
        self.i.iter_mut().for_each(|x| *x = 0.0);
        self.g.iter_mut().for_each(|x| *x = 0.0);
    }
}

/// Whether a parameter has one value per instance (NEURON RANGE) or one per mechanism (GLOBAL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Range,
    Global,
}

/// A parameter of a mechanism with its NEURON default.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: f64,
    pub kind: ParamKind,
}

/// One membrane mechanism with all its instances.
pub trait Mechanism: Send + Sync {
    /// NEURON SUFFIX name.
    fn suffix(&self) -> &'static str;
    /// Node (compartment) index of every instance.
    fn nodes(&self) -> &[u32];
    /// Number of instances.
    fn len(&self) -> usize {
        self.nodes().len()
    }
    fn is_empty(&self) -> bool {
        self.nodes().is_empty()
    }
    /// Parameters with their defaults.
    fn params(&self) -> &'static [ParamSpec];
    /// Sets a parameter: `values` holds one value (all instances) or one per instance (RANGE only).
    fn set_param(&mut self, name: &str, values: &[f64]) -> Result<()>;
    /// The ions (`na`, `k`, `ca`) this mechanism uses (NEURON's USEION): where one sits, the
    /// segment has that ion's variables.
    fn ions(&self) -> Vec<&'static str> {
        Vec::new()
    }
    /// Names of the variables [`Mechanism::variable`] returns (states, g, currents, parameters).
    fn variable_names(&self) -> Vec<&'static str>;
    /// One value per instance of a state, conductance, current or RANGE parameter.
    fn variable(&self, name: &str) -> Option<&[f64]>;
    /// NEURON's INITIAL block: states at their steady state (or initial equations) for voltage `v`
    /// (indexed by node). Called in registry order; ion concentrations may be written.
    fn init(&mut self, env: &Env, v: &[f64], ions: &mut Ions);
    /// Adds this mechanism's current at voltage `v` to `out.i` and its di/dv to `out.g` (both by
    /// node), and its ionic current to the ion sums in `ions`.
    fn current(&mut self, env: &Env, v: &[f64], ions: &mut Ions, out: &mut Currents);
    /// Advances the states by `env.dt` with the voltage at the end of the step.
    fn advance_states(&mut self, env: &Env, v: &[f64], ions: &mut Ions);
    /// The segments' geometry, indexed by node: diameter (um) and membrane area (um2), as
    /// NEURON's `diam` and `area`. Called before `init`; only mechanisms that read them keep it.
    fn set_geometry(&mut self, _diam: &[f64], _area: &[f64]) {}
}

/// A registered mechanism: its SUFFIX, other names it is known by, and its constructor.
pub struct Registered {
    pub suffix: &'static str,
    pub aliases: &'static [&'static str],
    make: fn(Vec<u32>) -> Box<dyn Mechanism>,
}

/// Every mechanism, in the order NEURON runs them (built-in `pas` first, then the compiled
/// mechanisms in the order nrnivmodl registers bmtk's modfiles). States advance in this order,
/// so e.g. SK sees the calcium concentration CaDynamics computed in the same step.
pub static REGISTRY: &[Registered] = &[
    Registered {
        suffix: "pas",
        aliases: &[],
        make: pas::make,
    },
    Registered {
        suffix: "CaDynamics",
        aliases: &[],
        make: cadynamics::make,
    },
    Registered {
        suffix: "Ca_HVA",
        aliases: &[],
        make: ca_hva::make,
    },
    Registered {
        suffix: "Ca_LVA",
        aliases: &[],
        make: ca_lva::make,
    },
    Registered {
        suffix: "Ih",
        aliases: &[],
        make: ih::make,
    },
    Registered {
        suffix: "Im",
        aliases: &[],
        make: im::make,
    },
    Registered {
        suffix: "Im_v2",
        aliases: &[],
        make: im_v2::make,
    },
    Registered {
        suffix: "K_P",
        aliases: &[],
        make: k_p::make,
    },
    Registered {
        suffix: "K_T",
        aliases: &[],
        make: k_t::make,
    },
    Registered {
        suffix: "Kd",
        aliases: &[],
        make: kd::make,
    },
    Registered {
        suffix: "Kv2like",
        aliases: &[],
        make: kv2like::make,
    },
    Registered {
        suffix: "Kv3_1",
        aliases: &[],
        make: kv3_1::make,
    },
    Registered {
        suffix: "NaTa",
        aliases: &["NaTa_t"],
        make: nat::make_nata,
    },
    Registered {
        suffix: "NaTs",
        aliases: &["NaTs2_t"],
        make: nat::make_nats,
    },
    Registered {
        suffix: "NaV",
        aliases: &[],
        make: nav::make,
    },
    Registered {
        suffix: "Nap",
        aliases: &["Nap_Et2"],
        make: nap::make,
    },
    Registered {
        suffix: "SK",
        aliases: &[],
        make: sk::make,
    },
];

/// The index of a mechanism by SUFFIX (or alias): one of `user` (a config's .mod files, which
/// replace built-ins of the same name), else a built-in one.
pub fn lookup_index(name: &str, user: &user::UserMechs) -> Result<usize> {
    if let Some(k) = user.find(name) {
        return Ok(k);
    }
    if let Some(reason) = user.refusal(name) {
        return Err(Error::invalid(format!(
            "mechanism '{name}' cannot run: {reason}"
        )));
    }
    if let Ok((k, _)) = lookup(name) {
        return Ok(k);
    }
    Err(Error::invalid(format!(
        "unknown mechanism '{name}'; supported: {} (and density mechanisms from .mod files in the \
         config's mechanisms_dir)",
        supported_names()
    )))
}

/// SUFFIX of an index (built-in or user mechanism).
pub fn suffix_of(reg: usize) -> &'static str {
    REGISTRY
        .get(reg)
        .map(|r| r.suffix)
        .or_else(|| user::suffix(reg))
        .unwrap_or("?")
}

/// The names an index answers to: a built-in's SUFFIX and aliases, a user mechanism's SUFFIX.
pub fn names_of(reg: usize) -> Vec<&'static str> {
    match REGISTRY.get(reg) {
        Some(r) => std::iter::once(r.suffix)
            .chain(r.aliases.iter().copied())
            .collect(),
        None => user::suffix(reg).into_iter().collect(),
    }
}

/// Every name a fit file can address and the index it means with `user`'s files loaded:
/// (index, name), the built-in names `user` does not replace, then `user`'s.
pub fn all_entries(user: &user::UserMechs) -> Vec<(usize, &'static str)> {
    let mut out: Vec<(usize, &'static str)> = REGISTRY
        .iter()
        .enumerate()
        .flat_map(|(k, r)| {
            std::iter::once(r.suffix)
                .chain(r.aliases.iter().copied())
                .map(move |n| (k, n))
        })
        .filter(|(_, n)| user.find(n).is_none() && user.refusal(n).is_none())
        .collect();
    out.extend(user.entries().iter().map(|&(n, k)| (k, n)));
    out
}

/// A mechanism by run-order index with one instance on each of `nodes`.
pub fn create_index(reg: usize, nodes: Vec<u32>) -> Result<Box<dyn Mechanism>> {
    if let Some(r) = REGISTRY.get(reg) {
        return Ok((r.make)(nodes));
    }
    user::make(reg, nodes).ok_or_else(|| Error::invalid(format!("no mechanism with index {reg}")))
}

/// The registry entry for a SUFFIX (or alias) and its position in run order.
pub fn lookup(name: &str) -> Result<(usize, &'static Registered)> {
    REGISTRY
        .iter()
        .enumerate()
        .find(|(_, r)| r.suffix == name || r.aliases.contains(&name))
        .ok_or_else(|| {
            Error::invalid(format!(
                "unknown mechanism '{name}'; supported: {}",
                supported_names()
            ))
        })
}

/// "pas, CaDynamics, ..., NaTa (alias NaTa_t), ...".
pub fn supported_names() -> String {
    REGISTRY
        .iter()
        .map(|r| {
            if r.aliases.is_empty() {
                r.suffix.to_string()
            } else {
                format!("{} (alias {})", r.suffix, r.aliases.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A mechanism by SUFFIX name with one instance on each of `nodes`, parameters at their defaults.
pub fn create(name: &str, nodes: Vec<u32>) -> Result<Box<dyn Mechanism>> {
    let (_, r) = lookup(name)?;
    Ok((r.make)(nodes))
}

/// Parameter storage shared by the mechanisms: RANGE parameters one value per instance, GLOBAL
/// ones a single value.
#[derive(Debug, Clone)]
pub(crate) struct ParamTable {
    specs: &'static [ParamSpec],
    pub values: Vec<Vec<f64>>,
}

impl ParamTable {
    pub fn new(specs: &'static [ParamSpec], n: usize) -> Self {
        let values = specs
            .iter()
            .map(|s| match s.kind {
                ParamKind::Range => vec![s.default; n],
                ParamKind::Global => vec![s.default],
            })
            .collect();
        ParamTable { specs, values }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.name == name)
    }

    pub fn set(&mut self, suffix: &str, name: &str, values: &[f64]) -> Result<()> {
        let idx = self.index(name).ok_or_else(|| {
            let names: Vec<&str> = self.specs.iter().map(|s| s.name).collect();
            Error::invalid(format!(
                "mechanism '{suffix}' has no parameter '{name}'; expected one of: {}",
                names.join(", ")
            ))
        })?;
        if let Some(bad) = values.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid(format!(
                "{name}_{suffix}: value {bad} is not a finite number"
            )));
        }
        let dst = &mut self.values[idx];
        match (values.len(), self.specs[idx].kind) {
            (1, _) => dst.iter_mut().for_each(|x| *x = values[0]),
            (n, ParamKind::Range) if n == dst.len() => dst.copy_from_slice(values),
            (n, kind) => {
                let expect = if kind == ParamKind::Range {
                    format!("1 or {} (one per instance)", dst.len())
                } else {
                    "1 (a GLOBAL parameter in NEURON)".to_string()
                };
                return Err(Error::invalid(format!(
                    "{name}_{suffix}: got {n} values, expected {expect}"
                )));
            }
        }
        Ok(())
    }

    /// The single value of a GLOBAL parameter.
    #[inline]
    pub fn global(&self, idx: usize) -> f64 {
        self.values[idx][0]
    }
}

/// `e^x` to within 2 ulp, branch-free so loops over instances vectorize (the libm call does not).
/// Cody-Waite reduction `x = n ln2 + r`, |r| <= ln2/2, a degree-13 Taylor polynomial for e^r and
/// the power of two built from the bits of n. Arguments are clamped to [-708, 709].
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52: adding it rounds to an integer
    let x = x.clamp(-708.0, 709.0);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362880.0,
        1.0 / 3628800.0,
        1.0 / 39916800.0,
        1.0 / 479001600.0,
        1.0 / 6227020800.0,
    ];
    let mut p = C[13];
    for c in C[..13].iter().rev() {
        p = p * r + c;
    }
    let k = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i64;
    let scale = f64::from_bits(((k + 1023) as u64) << 52);
    p * scale
}

/// Whether the CPU runs AVX2: the heaviest loops then run a copy compiled for it. No FMA is
/// enabled and Rust never fuses operations on its own, so results are bitwise those of the
/// baseline build.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// NEURON's `vtrap(x, y)` of the Allen modfiles: x / (exp(x/y) - 1) with its limit near x = 0.
/// Both forms are computed and one selected, so loops over instances stay branch-free.
#[inline(always)]
pub fn vtrap(x: f64, y: f64) -> f64 {
    let r = x / y;
    let near_zero = y * (1.0 - r / 2.0);
    let general = x / (exp(r) - 1.0);
    if r.abs() < 1e-6 {
        near_zero
    } else {
        general
    }
}

/// Exponential-Euler (`cnexp`) step of `s' = (inf - s) rate` (rate = 1/tau) over `dt`.
#[inline(always)]
pub fn cnexp(s: f64, inf: f64, rate: f64, dt: f64) -> f64 {
    s + (1.0 - exp(-dt * rate)) * (inf - s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_and_errors() {
        for r in REGISTRY {
            let m = create(r.suffix, vec![0, 1]).unwrap();
            assert_eq!(m.suffix(), r.suffix);
            assert_eq!(m.len(), 2);
            for a in r.aliases {
                assert_eq!(create(a, vec![0]).unwrap().suffix(), r.suffix);
            }
        }
        let e = create("hh2", vec![0]).err().unwrap().to_string();
        assert!(
            e.contains("hh2") && e.contains("NaTs") && e.contains("SK"),
            "{e}"
        );
        let mut m = create("NaTs", vec![0, 1]).unwrap();
        let e = m.set_param("gmax", &[1.0]).unwrap_err().to_string();
        assert!(e.contains("gbar") && e.contains("gmax"), "{e}");
        assert!(m.set_param("gbar", &[1.0, 2.0, 3.0]).is_err());
        m.set_param("gbar", &[1.0, 2.0]).unwrap();
        assert_eq!(m.variable("gbar").unwrap(), &[1.0, 2.0]);
    }

    /// Many instances on scattered nodes give, instance by instance, what one instance alone on
    /// its own node gives (gather, compute and scatter keep instances apart and sum per node).
    #[test]
    fn instances_on_scattered_nodes_match_single_instances() {
        let env = Env {
            celsius: 30.0,
            dt: 0.025,
        };
        let v_nodes = [-70.0, -30.0, 10.0, -50.0];
        let nodes = vec![2u32, 0, 3];
        let gbar = [2e-3, 5e-3, 1e-2];
        for r in REGISTRY {
            let gname = if r.suffix == "pas" { "g" } else { "gbar" };
            let mut ions = Ions::new(4);
            ions.cai = vec![2e-4, 3e-4, 5e-4, 8e-4];
            let mut many = (r.make)(nodes.clone());
            if r.suffix != "CaDynamics" {
                many.set_param(gname, &gbar).unwrap();
            }
            let mut cur = Currents::new(4);
            many.init(&env, &v_nodes, &mut ions);
            let mut singles = Vec::new();
            for (k, &nd) in nodes.iter().enumerate() {
                let mut ions1 = Ions::new(1);
                ions1.cai[0] = [2e-4, 3e-4, 5e-4, 8e-4][nd as usize];
                let mut m = (r.make)(vec![0]);
                if r.suffix != "CaDynamics" {
                    m.set_param(gname, &[gbar[k]]).unwrap();
                }
                m.init(&env, &[v_nodes[nd as usize]], &mut ions1);
                singles.push((m, ions1, Currents::new(1)));
            }
            for _ in 0..50 {
                cur.clear();
                ions.begin_step(env.celsius);
                many.current(&env, &v_nodes, &mut ions, &mut cur);
                many.advance_states(&env, &v_nodes, &mut ions);
                for (k, (m, ions1, cur1)) in singles.iter_mut().enumerate() {
                    let v1 = [v_nodes[nodes[k] as usize]];
                    cur1.clear();
                    ions1.begin_step(env.celsius);
                    m.current(&env, &v1, ions1, cur1);
                    m.advance_states(&env, &v1, ions1);
                }
            }
            for (k, (m, ions1, cur1)) in singles.iter().enumerate() {
                let nd = nodes[k] as usize;
                for name in m.variable_names() {
                    let a = many.variable(name).unwrap()[k];
                    let b = m.variable(name).unwrap()[0];
                    assert_eq!(a, b, "{} {name} instance {k}", r.suffix);
                }
                assert_eq!(cur.i[nd], cur1.i[0], "{} i at node {nd}", r.suffix);
                assert_eq!(cur.g[nd], cur1.g[0], "{} g at node {nd}", r.suffix);
                assert_eq!(ions.cai[nd], ions1.cai[0], "{} cai at node {nd}", r.suffix);
                assert_eq!(ions.ik[nd], ions1.ik[0], "{} ik at node {nd}", r.suffix);
            }
            assert_eq!(cur.i[1], 0.0, "{}: node 1 has no instance", r.suffix);
        }
    }

    #[test]
    fn fast_exp_is_accurate() {
        let mut worst: f64 = 0.0;
        let mut x = -707.0;
        while x < 708.0 {
            for dx in [0.0, 1e-3, 0.3465, -0.3466, 1e-9] {
                let y = x + dx;
                let rel = (exp(y) - y.exp()).abs() / y.exp();
                worst = worst.max(rel);
            }
            x += 0.0137;
        }
        assert!(worst < 5e-16, "max relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn vtrap_is_continuous_at_zero() {
        let a = vtrap(1e-9, 6.0);
        let b = vtrap(1e-4, 6.0);
        assert!((a - 6.0).abs() < 1e-6 && (b - 6.0).abs() < 1e-3);
    }

    #[test]
    fn all_mechanisms_step_without_nan() {
        let env = Env {
            celsius: 34.0,
            dt: 0.025,
        };
        let v = vec![-65.0, 0.0, 30.0];
        let mut ions = Ions::new(3);
        let mut cur = Currents::new(3);
        let mut mechs: Vec<_> = REGISTRY.iter().map(|r| (r.make)(vec![0, 1, 2])).collect();
        for m in mechs.iter_mut() {
            m.set_param("gbar", &[1e-3]).ok();
            m.init(&env, &v, &mut ions);
        }
        for _ in 0..100 {
            ions.begin_step(env.celsius);
            cur.clear();
            for m in mechs.iter_mut() {
                m.current(&env, &v, &mut ions, &mut cur);
            }
            for m in mechs.iter_mut() {
                m.advance_states(&env, &v, &mut ions);
            }
        }
        assert!(cur.i.iter().chain(cur.g.iter()).all(|x| x.is_finite()));
        for m in &mechs {
            for name in m.variable_names() {
                assert!(
                    m.variable(name).unwrap().iter().all(|x| x.is_finite()),
                    "{name}"
                );
            }
        }
    }
}
