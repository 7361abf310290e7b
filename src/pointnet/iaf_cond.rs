//! iaf_cond_exp and iaf_cond_alpha: leaky integrate-and-fire with exponential or alpha-shaped
//! excitatory and inhibitory conductances, integrated as NEST integrates them (adaptive RKF45,
//! absolute tolerance 1e-3 on the values, the step size carried across time steps), then
//! NEST's threshold, reset and refractory rules on the grid.

use crate::error::Error;

use super::models::{names, non_negative, positive, resolution_ms, route_by_sign, steps_of, Model};
use super::params::Params;
use super::rkf45::{Control, Rkf45};

struct Consts {
    v_th: f64,
    v_reset: f64,
    g_l: f64,
    c_m: f64,
    e_ex: f64,
    e_in: f64,
    e_l: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
}

// state vector layouts
const V: usize = 0;
const EXP_G_EX: usize = 1;
const EXP_G_IN: usize = 2;
const ALPHA_DG_EX: usize = 1;
const ALPHA_G_EX: usize = 2;
const ALPHA_DG_IN: usize = 3;
const ALPHA_G_IN: usize = 4;

pub struct IafCond {
    model: &'static str,
    alpha: bool,
    c: Consts,
    refractory_counts: usize,
    /// per-spike jump of dg (alpha: e / tau, so that a weight is the conductance's peak)
    psc_init: [f64; 2],
    step_ms: f64,
    y: Vec<f64>,
    r: usize,
    i_stim: f64,
    solver: Rkf45,
}

impl IafCond {
    pub fn new(p: &Params, dt: f64, alpha: bool) -> Result<Self, Error> {
        let model: &'static str = if alpha {
            "iaf_cond_alpha"
        } else {
            "iaf_cond_exp"
        };
        let m = model;
        let c = Consts {
            v_th: p.num_or(m, "V_th", -55.0)?,
            v_reset: p.num_or(m, "V_reset", -60.0)?,
            g_l: p.num_or(m, "g_L", 16.6667)?,
            c_m: positive(m, "C_m", p.num_or(m, "C_m", 250.0)?)?,
            e_ex: p.num_or(m, "E_ex", 0.0)?,
            e_in: p.num_or(m, "E_in", -85.0)?,
            e_l: p.num_or(m, "E_L", -70.0)?,
            tau_ex: positive(m, "tau_syn_ex", p.num_or(m, "tau_syn_ex", 0.2)?)?,
            tau_in: positive(m, "tau_syn_in", p.num_or(m, "tau_syn_in", 2.0)?)?,
            i_e: p.num_or(m, "I_e", 0.0)?,
        };
        let t_ref = non_negative(m, "t_ref", p.num_or(m, "t_ref", 2.0)?)?;
        if c.v_reset >= c.v_th {
            return Err(Error::Invalid(format!("{m}: V_reset must be below V_th")));
        }
        // the state starts from NEST's defaults (V_m = -70 mV whatever E_L is) unless given
        let mut y = vec![0.0; if alpha { 5 } else { 3 }];
        y[V] = p.num_or(m, "V_m", -70.0)?;
        let (g_ex, g_in) = if alpha {
            (ALPHA_G_EX, ALPHA_G_IN)
        } else {
            (EXP_G_EX, EXP_G_IN)
        };
        y[g_ex] = p.num_or(m, "g_ex", 0.0)?;
        y[g_in] = p.num_or(m, "g_in", 0.0)?;
        if alpha {
            y[ALPHA_DG_EX] = p.num_or(m, "dg_ex", 0.0)?;
            y[ALPHA_DG_IN] = p.num_or(m, "dg_in", 0.0)?;
        }
        let step_ms = resolution_ms(dt);
        let solver = Rkf45::new(y.len(), Control::on_values(1e-3, 0.0), step_ms);
        Ok(IafCond {
            model,
            alpha,
            psc_init: [
                std::f64::consts::E / c.tau_ex,
                std::f64::consts::E / c.tau_in,
            ],
            c,
            refractory_counts: steps_of(t_ref, dt),
            step_ms,
            y,
            r: 0,
            i_stim: 0.0,
            solver,
        })
    }
}

/// dV/dt and the conductances' derivatives; V is held at V_reset while refractory and taken no
/// higher than V_th in the currents.
fn derivs(c: &Consts, alpha: bool, refractory: bool, i_stim: f64, y: &[f64], f: &mut [f64]) {
    let v = if refractory {
        c.v_reset
    } else {
        y[V].min(c.v_th)
    };
    if alpha {
        let i_ex = y[ALPHA_G_EX] * (v - c.e_ex);
        let i_in = y[ALPHA_G_IN] * (v - c.e_in);
        let i_leak = c.g_l * (v - c.e_l);
        f[V] = if refractory {
            0.0
        } else {
            (-i_leak - i_ex - i_in + i_stim + c.i_e) / c.c_m
        };
        f[ALPHA_DG_EX] = -y[ALPHA_DG_EX] / c.tau_ex;
        f[ALPHA_G_EX] = y[ALPHA_DG_EX] - (y[ALPHA_G_EX] / c.tau_ex);
        f[ALPHA_DG_IN] = -y[ALPHA_DG_IN] / c.tau_in;
        f[ALPHA_G_IN] = y[ALPHA_DG_IN] - (y[ALPHA_G_IN] / c.tau_in);
    } else {
        let i_ex = y[EXP_G_EX] * (v - c.e_ex);
        let i_in = y[EXP_G_IN] * (v - c.e_in);
        let i_leak = c.g_l * (v - c.e_l);
        f[V] = if refractory {
            0.0
        } else {
            (-i_leak + i_stim + c.i_e - i_ex - i_in) / c.c_m
        };
        f[EXP_G_EX] = -y[EXP_G_EX] / c.tau_ex;
        f[EXP_G_IN] = -y[EXP_G_IN] / c.tau_in;
    }
}

impl Model for IafCond {
    fn n_ports(&self) -> usize {
        2
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        route_by_sign(self.model, receptor, weight)
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        let (c, alpha, refractory, i_stim) = (&self.c, self.alpha, self.r > 0, self.i_stim);
        let mut f = |y: &[f64], d: &mut [f64]| derivs(c, alpha, refractory, i_stim, y, d);
        let mut t = 0.0;
        while t < self.step_ms {
            self.solver
                .evolve(&mut f, &mut t, self.step_ms, &mut self.y);
        }
        if !self.alpha {
            self.y[EXP_G_EX] += spikes[0];
            self.y[EXP_G_IN] += spikes[1];
        }
        let mut fired = 0;
        if self.r > 0 {
            self.r -= 1;
            self.y[V] = self.c.v_reset;
        } else if self.y[V] >= self.c.v_th {
            self.r = self.refractory_counts;
            self.y[V] = self.c.v_reset;
            fired = 1;
        }
        if self.alpha {
            self.y[ALPHA_DG_EX] += spikes[0] * self.psc_init[0];
            self.y[ALPHA_DG_IN] += spikes[1] * self.psc_init[1];
        }
        self.i_stim = current;
        fired
    }

    fn recordables(&self) -> Vec<String> {
        if self.alpha {
            names(&["V_m", "g_ex", "g_in", "t_ref_remaining"])
        } else {
            names(&["V_m", "g_ex", "g_in"])
        }
    }

    fn get(&self, name: &str) -> f64 {
        let (g_ex, g_in) = if self.alpha {
            (ALPHA_G_EX, ALPHA_G_IN)
        } else {
            (EXP_G_EX, EXP_G_IN)
        };
        match name {
            "V_m" => self.y[V],
            "g_ex" => self.y[g_ex],
            "g_in" => self.y[g_in],
            "t_ref_remaining" if self.alpha => self.step_ms * self.r as f64,
            _ => f64::NAN,
        }
    }
}
