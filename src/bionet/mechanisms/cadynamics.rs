//! CaDynamics: internal calcium in a submembrane shell. The calcium current (ica, summed over all
//! calcium channels of the compartment) fills a shell of RANGE `depth` (um) of which the fraction
//! `gamma` stays free; removal relaxes `cai` to `minCai` with time constant `decay` (ms). It writes
//! `cai`, so `eca` then follows `cai` by Nernst's equation (see [`super::Ions`]).

use super::{cnexp, Currents, Env, Ions, Mechanism, ParamKind, ParamSpec, ParamTable, FARADAY};
use crate::error::Result;

const GAMMA: usize = 0;
const DECAY: usize = 1;
const DEPTH: usize = 2;
const MINCAI: usize = 3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "gamma",
        default: 0.05,
        kind: ParamKind::Range,
    },
    ParamSpec {
        name: "decay",
        default: 80.0,
        kind: ParamKind::Range,
    },
    ParamSpec {
        name: "depth",
        default: 0.1,
        kind: ParamKind::Range,
    },
    ParamSpec {
        name: "minCai",
        default: 1e-4,
        kind: ParamKind::Range,
    },
];

pub struct CaDynamics {
    node: Vec<u32>,
    p: ParamTable,
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    let n = node.len();
    Box::new(CaDynamics {
        p: ParamTable::new(PARAMS, n),
        node,
    })
}

impl Mechanism for CaDynamics {
    fn suffix(&self) -> &'static str {
        "CaDynamics"
    }

    fn nodes(&self) -> &[u32] {
        &self.node
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, values: &[f64]) -> Result<()> {
        self.p.set("CaDynamics", name, values)
    }

    fn variable_names(&self) -> Vec<&'static str> {
        PARAMS.iter().map(|s| s.name).collect()
    }

    fn variable(&self, name: &str) -> Option<&[f64]> {
        self.p.index(name).map(|i| self.p.values[i].as_slice())
    }

    fn init(&mut self, _env: &Env, _v: &[f64], ions: &mut Ions) {
        ions.mark_ca_concentration(&self.node);
        for (k, &n) in self.node.iter().enumerate() {
            ions.cai[n as usize] = self.p.values[MINCAI][k];
        }
    }

    fn current(&mut self, _env: &Env, _v: &[f64], _ions: &mut Ions, _out: &mut Currents) {}

    fn advance_states(&mut self, env: &Env, _v: &[f64], ions: &mut Ions) {
        let p = &self.p.values;
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            let decay = p[DECAY][k];
            // cai' = -10000 ica gamma / (2 F depth) - (cai - minCai) / decay: linear in cai.
            let influx = -10000.0 * (ions.ica[n] * p[GAMMA][k] / (2.0 * FARADAY * p[DEPTH][k]));
            let inf = p[MINCAI][k] + influx * decay;
            ions.cai[n] = cnexp(ions.cai[n], inf, decay, env.dt);
        }
    }
}
