//! glif_psc: the Allen Institute's generalized LIF with alpha-shaped current synapses, one per
//! receptor port (ports 1..=len(tau_syn)), propagated exactly. Its flags pick the variant: GLIF1
//! (none), GLIF2 (spike-dependent threshold), GLIF3 (after-spike currents), GLIF4 (both), GLIF5
//! (all three).

use crate::error::Error;

use super::glif::{GlifCore, GlifParams};
use super::iaf_psc::Syn;
use super::models::{names, Model};
use super::params::Params;

pub struct GlifPsc {
    e_l: f64,
    core: GlifCore,
    p33: f64,
    p30: f64,
    syn: Vec<Syn>,
    // state
    u: f64,
    i: f64,
    i_syn: f64,
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
        let syn = tau_syn
            .iter()
            .map(|&ts| Syn::alpha(ts, tau, gp.c_m, dt))
            .collect();
        Ok(GlifPsc {
            e_l: gp.e_l,
            p33,
            p30: 1.0 / gp.c_m * (1.0 - p33) * tau,
            syn,
            u: gp.v_m,
            i: 0.0,
            i_syn: 0.0,
            core: gp.into_core(),
        })
    }
}

impl Model for GlifPsc {
    fn n_ports(&self) -> usize {
        self.syn.len()
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        let n = self.syn.len() as u32;
        if receptor == 0 || receptor > n {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: glif_psc has receptor ports 1..={n} (one per tau_syn)"
            )));
        }
        Ok((receptor as usize - 1, weight))
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        let v_old = self.u;
        let (syn, i, p33, p30) = (&self.syn, self.i, self.p33, self.p30);
        let i_syn = &mut self.i_syn;
        let fired = self.core.step(&mut self.u, v_old, i, |u, asc_sum| {
            *u = v_old * p33 + (i + asc_sum) * p30;
            *i_syn = 0.0;
            for s in syn {
                *u += s.p31 * s.di + s.p32 * s.i;
                *i_syn += s.i;
            }
        });
        for (s, w) in self.syn.iter_mut().zip(spikes) {
            s.advance_alpha(*w);
        }
        self.i = current;
        u32::from(fired)
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
            "V_m" => self.u + self.e_l,
            "I" => self.i,
            "I_syn" => self.i_syn,
            other => self.core.get(other, self.e_l).unwrap_or(f64::NAN),
        }
    }
}
