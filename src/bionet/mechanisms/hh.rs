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

/// Steady states and relaxation rates (1/ms, the inverse of the time constants tau) of the gates
/// at one voltage. Rates rather than time constants spare a division per gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates {
    pub inf: [f64; 3],
    pub rate: [f64; 3],
}

/// The GLOBAL parameter values of a channel, copied to a local array before each loop (indexed as
/// in `PARAMS`; the slot of `gbar` is unused).
pub type Globals = [f64; MAX_PARAMS];
pub const MAX_PARAMS: usize = 12;

/// What a channel file defines.
pub trait HhModel: Send + Sync + 'static {
    const SUFFIX: &'static str;
    const ION: Ion;
    /// Gate (STATE) names, at most three.
    const STATES: &'static [&'static str];
    /// Name of the current variable as NEURON records it (`ina`, `ik`, `ica`, `ihcn`).
    const CURRENT: &'static str;
    /// Parameters; the first is always the RANGE `gbar`, the others are GLOBAL.
    const PARAMS: &'static [ParamSpec];
    /// Whether the rates read the internal calcium concentration.
    const READS_CAI: bool = false;
    /// Whether the open probability depends on v directly (not only through the gates); NEURON then
    /// takes di/dv by finite difference.
    const V_IN_OPEN: bool = false;
    /// Temperature factor multiplying the rates (dividing the time constants).
    fn qt(celsius: f64) -> f64;
    /// `inf` and `1/tau` of every gate at voltage `v` (and internal calcium `cai`).
    fn rates(v: f64, cai: f64, p: &Globals, qt: f64) -> Rates;
    /// Open probability from the gate values (and v when `V_IN_OPEN`).
    fn open(s: [f64; 3], v: f64, p: &Globals) -> f64;
}

/// A channel of model `M` with all its instances. Each step gathers the node values the instances
/// need into contiguous scratch arrays, computes over instances (a loop without indirection that
/// the compiler vectorizes), then scatters the currents to the nodes.
pub struct Hh<M: HhModel> {
    node: Vec<u32>,
    p: ParamTable,
    s: [Vec<f64>; 3],
    g: Vec<f64>,
    i: Vec<f64>,
    /// Scratch: v (and e or cai) at each instance's node, di/dv.
    vloc: Vec<f64>,
    xloc: Vec<f64>,
    didv: Vec<f64>,
    qt: f64,
    celsius: f64,
    _m: std::marker::PhantomData<M>,
}

impl<M: HhModel> Hh<M> {
    pub fn new(node: Vec<u32>) -> Self {
        let n = node.len();
        debug_assert!(M::STATES.len() <= 3 && M::PARAMS[0].name == "gbar");
        debug_assert!(M::PARAMS[0].kind == ParamKind::Range && M::PARAMS.len() <= MAX_PARAMS);
        debug_assert!(M::PARAMS[1..].iter().all(|p| p.kind == ParamKind::Global));
        Hh {
            p: ParamTable::new(M::PARAMS, n),
            s: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            g: vec![0.0; n],
            i: vec![0.0; n],
            vloc: vec![0.0; n],
            xloc: vec![0.0; n],
            didv: vec![0.0; if M::V_IN_OPEN { n } else { 0 }],
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

    fn globals(&self) -> Globals {
        let mut g = [0.0; MAX_PARAMS];
        for (j, spec) in M::PARAMS.iter().enumerate().skip(1) {
            if spec.kind == ParamKind::Global {
                g[j] = self.p.global(j);
            }
        }
        g
    }

    /// vloc <- v at each instance's node; xloc <- cai there when the rates need it.
    fn gather_v_cai(&mut self, v: &[f64], ions: &Ions) {
        for (x, &n) in self.vloc.iter_mut().zip(&self.node) {
            *x = v[n as usize];
        }
        if M::READS_CAI {
            for (x, &n) in self.xloc.iter_mut().zip(&self.node) {
                *x = ions.cai[n as usize];
            }
        }
    }

    /// Gates at their steady state for vloc (and xloc).
    fn steady_gates(&mut self) {
        let gl = self.globals();
        let n = self.node.len();
        for k in 0..n {
            let cai = if M::READS_CAI { self.xloc[k] } else { 0.0 };
            let r = M::rates(self.vloc[k], cai, &gl, self.qt);
            for j in 0..3 {
                self.s[j][k] = r.inf[j];
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn compute_currents_avx2(&mut self, gl: &Globals) {
        self.compute_currents_body(gl)
    }

    /// g, i (and di/dv) of every instance from vloc and the reversal potentials in xloc.
    #[inline(always)]
    fn compute_currents_body(&mut self, gl: &Globals) {
        let n = self.node.len();
        let gbar = &self.p.values[0][..n];
        let (vloc, eloc) = (&self.vloc[..n], &self.xloc[..n]);
        let (s0, s1, s2) = (&self.s[0][..n], &self.s[1][..n], &self.s[2][..n]);
        let (g, i) = (&mut self.g[..n], &mut self.i[..n]);
        for k in 0..n {
            let gk = gbar[k] * M::open([s0[k], s1[k], s2[k]], vloc[k], gl);
            g[k] = gk;
            i[k] = gk * (vloc[k] - eloc[k]);
        }
        if M::V_IN_OPEN {
            let didv = &mut self.didv[..n];
            for k in 0..n {
                let v1 = vloc[k] + 0.001;
                let i1 = gbar[k] * M::open([s0[k], s1[k], s2[k]], v1, gl) * (v1 - eloc[k]);
                didv[k] = (i1 - i[k]) / 0.001;
            }
        }
    }

    /// One cnexp step of every gate, compiled for AVX2 when the CPU has it (same arithmetic, so
    /// the same results, on more lanes).
    fn advance_gates(&mut self, dt: f64) {
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.advance_gates_avx2(dt) };
        }
        self.advance_gates_body(dt)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn advance_gates_avx2(&mut self, dt: f64) {
        self.advance_gates_body(dt)
    }

    /// One cnexp step of every gate with `inf` and `1/tau` at vloc (and xloc). Kept free of branches
    /// and indirection so that it vectorizes over instances.
    #[inline(always)]
    fn advance_gates_body(&mut self, dt: f64) {
        let gl = self.globals();
        let qt = self.qt;
        let n = self.node.len();
        let nstates = M::STATES.len();
        let vloc = &self.vloc[..n];
        let xloc = &self.xloc[..n];
        let [s0, s1, s2] = &mut self.s;
        let (s0, s1, s2) = (&mut s0[..n], &mut s1[..n], &mut s2[..n]);
        for k in 0..n {
            let cai = if M::READS_CAI { xloc[k] } else { 0.0 };
            let r = M::rates(vloc[k], cai, &gl, qt);
            s0[k] = cnexp(s0[k], r.inf[0], r.rate[0], dt);
            if nstates > 1 {
                s1[k] = cnexp(s1[k], r.inf[1], r.rate[1], dt);
            }
            if nstates > 2 {
                s2[k] = cnexp(s2[k], r.inf[2], r.rate[2], dt);
            }
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

    fn ions(&self) -> Vec<&'static str> {
        let mut out = match M::ION {
            Ion::Na => vec!["na"],
            Ion::K => vec!["k"],
            Ion::Ca => vec!["ca"],
            Ion::NonSpecific(_) => Vec::new(),
        };
        if M::READS_CAI && !out.contains(&"ca") {
            out.push("ca");
        }
        out
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
        self.gather_v_cai(v, ions);
        self.steady_gates();
    }

    fn current(&mut self, _env: &Env, v: &[f64], ions: &mut Ions, out: &mut Currents) {
        let n = self.node.len();
        let gl = self.globals();
        // Gather v and the reversal potential.
        for k in 0..n {
            let nd = self.node[k] as usize;
            self.vloc[k] = v[nd];
            self.xloc[k] = match M::ION {
                Ion::Na => ions.ena[nd],
                Ion::K => ions.ek[nd],
                Ion::Ca => ions.eca[nd],
                Ion::NonSpecific(idx) => gl[idx],
            };
        }
        // Compute over instances.
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.compute_currents_avx2(&gl) };
        } else {
            self.compute_currents_body(&gl);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.compute_currents_body(&gl);
        // Scatter to the nodes.
        let didv = if M::V_IN_OPEN { &self.didv } else { &self.g };
        let ion_sum = match M::ION {
            Ion::Na => Some(&mut ions.ina),
            Ion::K => Some(&mut ions.ik),
            Ion::Ca => Some(&mut ions.ica),
            Ion::NonSpecific(_) => None,
        };
        for k in 0..n {
            let nd = self.node[k] as usize;
            out.i[nd] += self.i[k];
            out.g[nd] += didv[k];
        }
        if let Some(sum) = ion_sum {
            for k in 0..n {
                sum[self.node[k] as usize] += self.i[k];
            }
        }
    }

    fn advance_states(&mut self, env: &Env, v: &[f64], ions: &mut Ions) {
        self.set_temperature(env.celsius);
        self.gather_v_cai(v, ions);
        self.advance_gates(env.dt);
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

#[cfg(test)]
mod tests {
    use super::super::nat::NaTs;
    use super::*;

    /// The AVX2 copy of the loops computes bit for bit what the baseline copy computes.
    #[test]
    fn dispatched_loops_are_bitwise_baseline() {
        let n = 37;
        let env = Env {
            celsius: 34.0,
            dt: 0.025,
        };
        let v: Vec<f64> = (0..n).map(|k| -90.0 + 3.3 * k as f64).collect();
        let nodes: Vec<u32> = (0..n as u32).collect();
        let mut ions = Ions::new(n);
        let mut a = Hh::<NaTs>::new(nodes.clone());
        let mut b = Hh::<NaTs>::new(nodes);
        a.init(&env, &v, &mut ions);
        b.init(&env, &v, &mut ions);
        for _ in 0..20 {
            a.gather_v_cai(&v, &ions);
            b.gather_v_cai(&v, &ions);
            a.advance_gates(env.dt);
            b.advance_gates_body(env.dt);
        }
        assert_eq!(a.s, b.s);
    }
}
