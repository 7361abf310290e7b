//! pas: NEURON's built-in passive leak, `i = g (v - e)` with RANGE `g` (S/cm2) and `e` (mV).

use super::{Currents, Env, Ions, Mechanism, ParamKind, ParamSpec, ParamTable};
use crate::error::Result;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "g",
        default: 0.001,
        kind: ParamKind::Range,
    },
    ParamSpec {
        name: "e",
        default: -70.0,
        kind: ParamKind::Range,
    },
];

pub struct Pas {
    node: Vec<u32>,
    p: ParamTable,
    i: Vec<f64>,
    /// Runs of instances on consecutive nodes (first instance, first node, length): pas sits on
    /// almost every compartment, so its loop runs over contiguous slices and vectorizes.
    runs: Vec<(usize, usize, usize)>,
}

fn runs_of(node: &[u32]) -> Vec<(usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (k, &n) in node.iter().enumerate() {
        match runs.last_mut() {
            Some((k0, n0, len)) if *n0 + *len == n as usize && *k0 + *len == k => *len += 1,
            _ => runs.push((k, n as usize, 1)),
        }
    }
    runs
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    let n = node.len();
    Box::new(Pas {
        p: ParamTable::new(PARAMS, n),
        i: vec![0.0; n],
        runs: runs_of(&node),
        node,
    })
}

impl Pas {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn current_avx2(&mut self, v: &[f64], out: &mut Currents) {
        self.current_body(v, out)
    }

    /// i = g (v - e) over runs of consecutive nodes (same arithmetic with or without AVX2).
    #[inline(always)]
    fn current_body(&mut self, v: &[f64], out: &mut Currents) {
        let (g, e) = (&self.p.values[0], &self.p.values[1]);
        for &(k0, n0, len) in &self.runs {
            let (g, e, ik) = (
                &g[k0..k0 + len],
                &e[k0..k0 + len],
                &mut self.i[k0..k0 + len],
            );
            let (v, oi, og) = (
                &v[n0..n0 + len],
                &mut out.i[n0..n0 + len],
                &mut out.g[n0..n0 + len],
            );
            for j in 0..len {
                let i = g[j] * (v[j] - e[j]);
                ik[j] = i;
                oi[j] += i;
                og[j] += g[j];
            }
        }
    }
}

impl Mechanism for Pas {
    fn suffix(&self) -> &'static str {
        "pas"
    }

    fn nodes(&self) -> &[u32] {
        &self.node
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, values: &[f64]) -> Result<()> {
        self.p.set("pas", name, values)
    }

    fn variable_names(&self) -> Vec<&'static str> {
        vec!["g", "e", "i"]
    }

    fn variable(&self, name: &str) -> Option<&[f64]> {
        match name {
            "g" => Some(&self.p.values[0]),
            "e" => Some(&self.p.values[1]),
            "i" => Some(&self.i),
            _ => None,
        }
    }

    fn init(&mut self, _env: &Env, _v: &[f64], _ions: &mut Ions) {}

    fn current(&mut self, _env: &Env, v: &[f64], _ions: &mut Ions, out: &mut Currents) {
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.current_avx2(v, out) };
        }
        self.current_body(v, out)
    }

    fn advance_states(&mut self, _env: &Env, _v: &[f64], _ions: &mut Ions) {}
}
