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
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    let n = node.len();
    Box::new(Pas {
        p: ParamTable::new(PARAMS, n),
        i: vec![0.0; n],
        node,
    })
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
        let (g, e) = (&self.p.values[0], &self.p.values[1]);
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            let i = g[k] * (v[n] - e[k]);
            self.i[k] = i;
            out.i[n] += i;
            out.g[n] += g[k];
        }
    }

    fn advance_states(&mut self, _env: &Env, _v: &[f64], _ions: &mut Ions) {}
}
