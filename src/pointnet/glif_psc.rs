//! glif_psc: the Allen Institute's generalized LIF with alpha-shaped current synapses, one per
//! receptor port (ports 1..=len(tau_syn)), propagated exactly. Its flags pick the variant: GLIF1
//! (none), GLIF2 (spike-dependent threshold), GLIF3 (after-spike currents), GLIF4 (both), GLIF5
//! (all three).

use std::sync::Arc;

use crate::error::Error;

use super::glif::{GlifCore, GlifParams};
use super::iaf_psc::Syn;
use super::models::{names, Model};
use super::params::Params;

/// The constants of one parameter set, shared by its neurons.
struct PscConsts {
    e_l: f64,
    p33: f64,
    p30: f64,
    /// the synapses' propagators (their state fields are unused: see `syn_state`)
    syn: Vec<Syn>,
}

#[derive(Clone)]
pub struct GlifPsc {
    k: Arc<PscConsts>,
    core: GlifCore,
    // state
    u: f64,
    i: f64,
    i_syn: f64,
    /// per port: (di, i) of its alpha current
    syn_state: Vec<[f64; 2]>,
}

impl GlifPsc {
    pub fn new(p: &Params, dt: f64) -> Result<Self, Error> {
        let m = "glif_psc";
        let gp = GlifParams::read(m, "g", p, dt)?;
        let tau_syn = p.list(m, "tau_syn")?.unwrap_or(vec![2.0]);
        if tau_syn.is_empty() || tau_syn.iter().any(|t| *t <= 0.0) {
            return Err(Error::Invalid(format!(
                "{m}: tau_syn must be a non-empty list of values > 0"
            )));
        }
        let tau = gp.c_m / gp.g;
        let p33 = (-dt / tau).exp();
        let syn: Vec<Syn> = tau_syn
            .iter()
            .map(|&ts| Syn::alpha(ts, tau, gp.c_m, dt))
            .collect();
        let syn_state = vec![[0.0; 2]; syn.len()];
        Ok(GlifPsc {
            k: Arc::new(PscConsts {
                e_l: gp.e_l,
                p33,
                p30: 1.0 / gp.c_m * (1.0 - p33) * tau,
                syn,
            }),
            u: gp.v_m,
            i: 0.0,
            i_syn: 0.0,
            syn_state,
            core: gp.into_core(),
        })
    }
}

impl Model for GlifPsc {
    fn n_ports(&self) -> usize {
        self.syn_state.len()
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        let n = self.syn_state.len() as u32;
        if receptor == 0 || receptor > n {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: glif_psc has receptor ports 1..={n} (one per tau_syn)"
            )));
        }
        Ok((receptor as usize - 1, weight))
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        let k = &*self.k;
        let v_old = self.u;
        let (state, i) = (&self.syn_state, self.i);
        let i_syn = &mut self.i_syn;
        let fired = self.core.step(&mut self.u, v_old, i, |u, asc_sum| {
            *u = v_old * k.p33 + (i + asc_sum) * k.p30;
            *i_syn = 0.0;
            for (s, x) in k.syn.iter().zip(state) {
                *u += s.p31 * x[0] + s.p32 * x[1];
                *i_syn += x[1];
            }
        });
        // the alpha synapse over one step, then this step's input (Syn::advance_alpha's arithmetic)
        for ((s, x), w) in k.syn.iter().zip(self.syn_state.iter_mut()).zip(spikes) {
            x[1] = s.p21 * x[0] + s.p11 * x[1];
            x[0] *= s.p11;
            x[0] += s.psc_init * *w;
        }
        self.i = current;
        u32::from(fired)
    }

    fn copy(&self) -> Option<Box<dyn Model>> {
        Some(Box::new(self.clone()))
    }

    fn recordables(&self) -> Vec<String> {
        names(&[
            "V_m",
            "ASCurrents_sum",
            "I",
            "I_syn",
            "threshold",
            "threshold_spike",
            "threshold_voltage",
        ])
    }

    fn get(&self, name: &str) -> f64 {
        match name {
            "V_m" => self.u + self.k.e_l,
            "I" => self.i,
            "I_syn" => self.i_syn,
            other => self.core.get(other, self.k.e_l).unwrap_or(f64::NAN),
        }
    }
}
