//! CaDynamics: internal calcium in a submembrane shell. The calcium current (ica, summed over all
//! calcium channels of the compartment) fills a shell of RANGE `depth` (um) of which the fraction
//! `gamma` stays free; removal relaxes `cai` to `minCai` with time constant `decay` (ms). It writes
//! `cai`, so `eca` then follows `cai` by Nernst's equation (see [`super::Ions`]).

use super::{exp, Currents, Env, Ions, Mechanism, ParamKind, ParamSpec, ParamTable, FARADAY};
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
    /// Per instance, for the step `cached_dt`: the cnexp factor 1 - exp(-dt/decay), and
    /// `decay * 10000 * gamma / (2 F depth)` (mM per mA/cm2 of ica at steady state).
    relax: Vec<f64>,
    influx: Vec<f64>,
    cached_dt: f64,
}

impl CaDynamics {
    fn refresh(&mut self, dt: f64) {
        let p = &self.p.values;
        for k in 0..self.node.len() {
            let decay = p[DECAY][k];
            self.relax[k] = 1.0 - exp(-dt / decay);
            self.influx[k] = decay * (10000.0 * p[GAMMA][k] / (2.0 * FARADAY * p[DEPTH][k]));
        }
        self.cached_dt = dt;
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    let n = node.len();
    Box::new(CaDynamics {
        p: ParamTable::new(PARAMS, n),
        relax: vec![0.0; n],
        influx: vec![0.0; n],
        cached_dt: f64::NAN,
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
        self.cached_dt = f64::NAN;
        self.p.set("CaDynamics", name, values)
    }

    fn ions(&self) -> Vec<&'static str> {
        vec!["ca"]
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
        if env.dt != self.cached_dt {
            self.refresh(env.dt);
        }
        let min_cai = &self.p.values[MINCAI];
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            // cai' = -10000 ica gamma / (2 F depth) - (cai - minCai) / decay is linear in cai:
            // it relaxes to minCai - decay 10000 ica gamma / (2 F depth).
            let inf = min_cai[k] - self.influx[k] * ions.ica[n];
            ions.cai[n] += self.relax[k] * (inf - ions.cai[n]);
        }
    }
}
