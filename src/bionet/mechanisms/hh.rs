//! The common shape of the Hodgkin-Huxley style channels: up to three gates, each relaxing to
//! `inf(v)` with time constant `tau(v)` (cnexp), an open probability built from the gates, an ohmic
//! current `g (v - e)` carried by one ion. Each channel file supplies only its rate functions.

use super::{cnexp, Currents, Env, Ions, Mechanism, ParamKind, ParamSpec, ParamTable};
use crate::error::Result;

/// Which reversal potential a channel uses and which ionic current it adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ion {
    Na,
    K,
    Ca,
    /// A NONSPECIFIC_CURRENT whose reversal potential is the GLOBAL parameter at this index.
    NonSpecific(usize),
}

/// Steady states and time constants (ms) of the gates at one voltage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates {
    pub inf: [f64; 3],
    pub tau: [f64; 3],
}

/// What a channel file defines.
pub trait HhModel: Send + Sync + 'static {
    const SUFFIX: &'static str;
    const ION: Ion;
    /// Gate (STATE) names, at most three.
    const STATES: &'static [&'static str];
    /// Name of the current variable as NEURON records it (`ina`, `ik`, `ica`, `ihcn`).
    const CURRENT: &'static str;
    /// Parameters; the first is always the RANGE `gbar`.
    const PARAMS: &'static [ParamSpec];
    /// Whether the open probability depends on v directly (not only through the gates); NEURON then
    /// takes di/dv by finite difference.
    const V_IN_OPEN: bool = false;
    /// Temperature factor multiplying the rates (dividing the time constants).
    fn qt(celsius: f64) -> f64;
    /// `inf` and `tau` of every gate at voltage `v` (and internal calcium `cai`).
    fn rates(v: f64, cai: f64, p: &ParamTable, qt: f64) -> Rates;
    /// Open probability from the gate values (and v when `V_IN_OPEN`).
    fn open(s: [f64; 3], v: f64, p: &ParamTable) -> f64;
}

/// A channel of model `M` with all its instances.
pub struct Hh<M: HhModel> {
    node: Vec<u32>,
    p: ParamTable,
    s: [Vec<f64>; 3],
    g: Vec<f64>,
    i: Vec<f64>,
    qt: f64,
    celsius: f64,
    _m: std::marker::PhantomData<M>,
}

impl<M: HhModel> Hh<M> {
    pub fn new(node: Vec<u32>) -> Self {
        let n = node.len();
        debug_assert!(M::STATES.len() <= 3 && M::PARAMS[0].name == "gbar");
        debug_assert!(M::PARAMS[0].kind == ParamKind::Range);
        Hh {
            p: ParamTable::new(M::PARAMS, n),
            s: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            g: vec![0.0; n],
            i: vec![0.0; n],
            node,
            qt: M::qt(6.3),
            celsius: f64::NAN,
            _m: std::marker::PhantomData,
        }
    }

    pub fn boxed(node: Vec<u32>) -> Box<dyn Mechanism> {
        Box::new(Self::new(node))
    }

    fn set_temperature(&mut self, celsius: f64) {
        if celsius != self.celsius {
            self.celsius = celsius;
            self.qt = M::qt(celsius);
        }
    }

    #[inline]
    fn erev(&self, ions: &Ions, n: usize) -> f64 {
        match M::ION {
            Ion::Na => ions.ena[n],
            Ion::K => ions.ek[n],
            Ion::Ca => ions.eca[n],
            Ion::NonSpecific(idx) => self.p.global(idx),
        }
    }
}

impl<M: HhModel> Mechanism for Hh<M> {
    fn suffix(&self) -> &'static str {
        M::SUFFIX
    }

    fn nodes(&self) -> &[u32] {
        &self.node
    }

    fn params(&self) -> &'static [ParamSpec] {
        M::PARAMS
    }

    fn set_param(&mut self, name: &str, values: &[f64]) -> Result<()> {
        self.p.set(M::SUFFIX, name, values)
    }

    fn variable_names(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = M::STATES.to_vec();
        out.extend(["g", M::CURRENT]);
        out.extend(
            M::PARAMS
                .iter()
                .filter(|s| s.kind == ParamKind::Range)
                .map(|s| s.name),
        );
        out
    }

    fn variable(&self, name: &str) -> Option<&[f64]> {
        if let Some(j) = M::STATES.iter().position(|s| *s == name) {
            return Some(&self.s[j]);
        }
        match name {
            "g" => Some(&self.g),
            _ if name == M::CURRENT => Some(&self.i),
            _ => {
                let idx = self.p.index(name)?;
                (M::PARAMS[idx].kind == ParamKind::Range).then(|| self.p.values[idx].as_slice())
            }
        }
    }

    fn init(&mut self, env: &Env, v: &[f64], ions: &mut Ions) {
        self.set_temperature(env.celsius);
        let nstates = M::STATES.len();
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            let r = M::rates(v[n], ions.cai[n], &self.p, self.qt);
            for j in 0..nstates {
                self.s[j][k] = r.inf[j];
            }
        }
    }

    fn current(&mut self, _env: &Env, v: &[f64], ions: &mut Ions, out: &mut Currents) {
        let gbar = &self.p.values[0];
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            let s = [self.s[0][k], self.s[1][k], self.s[2][k]];
            let e = self.erev(ions, n);
            let vn = v[n];
            let g = gbar[k] * M::open(s, vn, &self.p);
            let i = g * (vn - e);
            let didv = if M::V_IN_OPEN {
                let v1 = vn + 0.001;
                let i1 = gbar[k] * M::open(s, v1, &self.p) * (v1 - e);
                (i1 - i) / 0.001
            } else {
                g
            };
            self.g[k] = g;
            self.i[k] = i;
            out.i[n] += i;
            out.g[n] += didv;
            match M::ION {
                Ion::Na => ions.ina[n] += i,
                Ion::K => ions.ik[n] += i,
                Ion::Ca => ions.ica[n] += i,
                Ion::NonSpecific(_) => {}
            }
        }
    }

    fn advance_states(&mut self, env: &Env, v: &[f64], ions: &mut Ions) {
        self.set_temperature(env.celsius);
        let nstates = M::STATES.len();
        let dt = env.dt;
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            let r = M::rates(v[n], ions.cai[n], &self.p, self.qt);
            for j in 0..nstates {
                self.s[j][k] = cnexp(self.s[j][k], r.inf[j], r.tau[j], dt);
            }
        }
    }
}

/// A RANGE `gbar` with its default.
pub const fn gbar(default: f64) -> ParamSpec {
    ParamSpec {
        name: "gbar",
        default,
        kind: ParamKind::Range,
    }
}

/// A GLOBAL parameter with its default.
pub const fn global(name: &'static str, default: f64) -> ParamSpec {
    ParamSpec {
        name,
        default,
        kind: ParamKind::Global,
    }
}

/// `2.3^((celsius - t0)/10)`, the temperature factor of most Allen channels.
#[inline]
pub fn q10_23(celsius: f64, t0: f64) -> f64 {
    2.3f64.powf((celsius - t0) / 10.0)
}
