//! glif_cond: the Allen Institute's generalized LIF with alpha-shaped conductances, one per
//! receptor port (ports 1..=len(tau_syn), reversal potentials E_rev), the membrane integrated as
//! NEST integrates it (adaptive RKF45, absolute tolerance 1e-3 on the values) and the GLIF
//! threshold and after-spike-current rules applied after each step. Flags pick the variant as in
//! glif_psc.

use crate::error::Error;

use super::glif::{GlifCore, GlifParams};
use super::models::{resolution_ms, Model};
use super::params::Params;
use super::rkf45::{Control, Rkf45};

const MODEL: &str = "glif_cond";
/// NEST's name of the leak conductance in glif_cond
pub const G_KEY: &str = "g_m";

struct Consts {
    e_l: f64,
    v_reset: f64,
    g: f64,
    c_m: f64,
    tau_syn: Vec<f64>,
    e_rev: Vec<f64>,
}

pub struct GlifCond {
    c: Consts,
    core: GlifCore,
    /// per-spike jump of each port's dg (e / tau: a weight is the conductance's peak in nS)
    g0: Vec<f64>,
    step_ms: f64,
    /// V (relative to E_L), then (dg, g) per port
    y: Vec<f64>,
    i: f64,
    solver: Rkf45,
}

impl GlifCond {
    pub fn new(p: &Params, dt: f64) -> Result<Self, Error> {
        let gp = GlifParams::read(MODEL, G_KEY, p, dt)?;
        let tau_syn = p.list(MODEL, "tau_syn")?.unwrap_or(vec![0.2, 2.0]);
        let e_rev = p.list(MODEL, "E_rev")?.unwrap_or(vec![0.0, -85.0]);
        if tau_syn.len() != e_rev.len() {
            return Err(Error::Invalid(format!(
                "{MODEL}: E_rev ({}) and tau_syn ({}) must have the same length",
                e_rev.len(),
                tau_syn.len()
            )));
        }
        if tau_syn.iter().any(|t| *t <= 0.0 || !t.is_finite()) {
            return Err(Error::Invalid(format!(
                "{MODEL}: tau_syn values must be > 0"
            )));
        }
        let n = tau_syn.len();
        let mut y = vec![0.0; 1 + 2 * n];
        y[0] = gp.v_m;
        let step_ms = resolution_ms(dt);
        let c = Consts {
            e_l: gp.e_l,
            v_reset: gp.v_reset,
            g: gp.g,
            c_m: gp.c_m,
            tau_syn,
            e_rev,
        };
        Ok(GlifCond {
            g0: c.tau_syn.iter().map(|t| std::f64::consts::E / t).collect(),
            c,
            core: gp.into_core(),
            step_ms,
            solver: Rkf45::new(y.len(), Control::on_values(1e-3, 0.0), step_ms),
            y,
            i: 0.0,
        })
    }
}

fn derivs(c: &Consts, refractory: bool, i_ext: f64, asc_sum: f64, y: &[f64], f: &mut [f64]) {
    let v = if refractory { c.v_reset } else { y[0] };
    let mut i_syn = 0.0;
    for k in 0..c.tau_syn.len() {
        i_syn += y[2 + 2 * k] * (v + c.e_l - c.e_rev[k]);
    }
    let i_leak = c.g * v;
    f[0] = if refractory {
        0.0
    } else {
        (-i_leak - i_syn + i_ext + asc_sum) / c.c_m
    };
    for (k, tau) in c.tau_syn.iter().enumerate() {
        let (dg, g) = (y[1 + 2 * k], y[2 + 2 * k]);
        f[1 + 2 * k] = -dg / tau;
        f[2 + 2 * k] = dg - (g / tau);
    }
}

impl Model for GlifCond {
    fn n_ports(&self) -> usize {
        self.c.tau_syn.len()
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        let n = self.c.tau_syn.len() as u32;
        if receptor == 0 || receptor > n {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: {MODEL} has receptor ports 1..={n} (one per tau_syn/E_rev)"
            )));
        }
        // NEST would add a negative conductance (an inverted synapse) without a word; inhibition
        // on glif_cond is a port whose E_rev is below rest, with a positive weight
        if weight < 0.0 {
            return Err(Error::Invalid(format!(
                "weight {weight} on receptor_type {receptor}: {MODEL} takes conductances (nS), which \
                 must be >= 0; inhibition is a port with a low E_rev and a positive weight"
            )));
        }
        Ok((receptor as usize - 1, weight))
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        let v_old = self.y[0];
        {
            let (c, refractory) = (&self.c, self.core.refractory());
            let (i_ext, asc_sum) = (self.i, self.core.asc_sum);
            let mut f = |y: &[f64], d: &mut [f64]| derivs(c, refractory, i_ext, asc_sum, y, d);
            let mut t = 0.0;
            while t < self.step_ms {
                self.solver
                    .evolve(&mut f, &mut t, self.step_ms, &mut self.y);
            }
        }
        let fired = self.core.step(&mut self.y[0], v_old, self.i, |_, _| {});
        for (k, w) in spikes.iter().enumerate() {
            self.y[1 + 2 * k] += w * self.g0[k];
        }
        self.i = current;
        u32::from(fired)
    }

    fn recordables(&self) -> Vec<String> {
        let mut r: Vec<String> = [
            "V_m",
            "I",
            "ASCurrents_sum",
            "threshold",
            "threshold_spike",
            "threshold_voltage",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        r.extend((1..=self.c.tau_syn.len()).map(|k| format!("g_{k}")));
        r
    }

    fn get(&self, name: &str) -> f64 {
        match name {
            "V_m" => self.y[0] + self.c.e_l,
            "I" => self.i,
            other => {
                if let Some(k) = other
                    .strip_prefix("g_")
                    .and_then(|k| k.parse::<usize>().ok())
                {
                    if k >= 1 && k <= self.c.tau_syn.len() {
                        return self.y[2 * k];
                    }
                }
                self.core.get(other, self.c.e_l).unwrap_or(f64::NAN)
            }
        }
    }
}
