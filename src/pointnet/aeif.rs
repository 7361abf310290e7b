//! aeif_cond_exp and aeif_cond_alpha: the adaptive exponential integrate-and-fire neuron (Brette &
//! Gerstner 2005) with exponential or alpha-shaped conductances, integrated as NEST integrates it:
//! adaptive RKF45 with tolerance `gsl_error_tol` on the derivatives, a first step of at most
//! 0.01 ms, and spikes detected after every accepted integration step, so that a neuron can fire
//! several times within one time step when it has no refractory period.

use crate::error::Error;

use super::models::{names, non_negative, positive, resolution_ms, route_by_sign, steps_of, Model};
use super::params::Params;
use super::rkf45::{Control, Rkf45};

struct Consts {
    v_peak: f64,
    v_reset: f64,
    g_l: f64,
    c_m: f64,
    e_ex: f64,
    e_in: f64,
    e_l: f64,
    delta_t: f64,
    tau_w: f64,
    a: f64,
    b: f64,
    v_th: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
}

// state vector layouts: V, (dg_ex,) g_ex, (dg_in,) g_in, w
const V: usize = 0;

#[derive(Clone, Copy)]
struct Layout {
    dg_ex: Option<usize>,
    g_ex: usize,
    dg_in: Option<usize>,
    g_in: usize,
    w: usize,
}

const EXP: Layout = Layout {
    dg_ex: None,
    g_ex: 1,
    dg_in: None,
    g_in: 2,
    w: 3,
};
const ALPHA: Layout = Layout {
    dg_ex: Some(1),
    g_ex: 2,
    dg_in: Some(3),
    g_in: 4,
    w: 5,
};

pub struct Aeif {
    model: &'static str,
    c: Consts,
    at: Layout,
    /// the potential at which a spike is registered: V_peak, or V_th without the exponential term
    spike_at: f64,
    refractory_counts: usize,
    /// per-spike jump of dg for the alpha shape (e / tau)
    g0: [f64; 2],
    step_ms: f64,
    y: Vec<f64>,
    r: usize,
    i_stim: f64,
    solver: Rkf45,
    failed: Option<String>,
}

impl Aeif {
    pub fn new(p: &Params, dt: f64, alpha: bool) -> Result<Self, Error> {
        let m: &'static str = if alpha {
            "aeif_cond_alpha"
        } else {
            "aeif_cond_exp"
        };
        let bad = |msg: &str| Err(Error::Invalid(format!("{m}: {msg}")));
        let c = Consts {
            v_peak: p.num_or(m, "V_peak", 0.0)?,
            v_reset: p.num_or(m, "V_reset", -60.0)?,
            g_l: p.num_or(m, "g_L", 30.0)?,
            c_m: positive(m, "C_m", p.num_or(m, "C_m", 281.0)?)?,
            e_ex: p.num_or(m, "E_ex", 0.0)?,
            e_in: p.num_or(m, "E_in", -85.0)?,
            e_l: p.num_or(m, "E_L", -70.6)?,
            delta_t: non_negative(m, "Delta_T", p.num_or(m, "Delta_T", 2.0)?)?,
            tau_w: positive(m, "tau_w", p.num_or(m, "tau_w", 144.0)?)?,
            a: p.num_or(m, "a", 4.0)?,
            b: p.num_or(m, "b", 80.5)?,
            v_th: p.num_or(m, "V_th", -50.4)?,
            tau_ex: positive(m, "tau_syn_ex", p.num_or(m, "tau_syn_ex", 0.2)?)?,
            tau_in: positive(m, "tau_syn_in", p.num_or(m, "tau_syn_in", 2.0)?)?,
            i_e: p.num_or(m, "I_e", 0.0)?,
        };
        let t_ref = non_negative(m, "t_ref", p.num_or(m, "t_ref", 0.0)?)?;
        let tol = positive(m, "gsl_error_tol", p.num_or(m, "gsl_error_tol", 1e-6)?)?;
        if c.v_peak < c.v_th {
            return bad("V_peak must be >= V_th");
        }
        if c.v_reset >= c.v_peak {
            return bad("V_reset must be below V_peak");
        }
        // exp((V_peak - V_th) / Delta_T) must stay far from overflow
        let max_exp_arg = (f64::MAX / 1e20).ln();
        if c.delta_t > 0.0 && (c.v_peak - c.v_th) / c.delta_t >= max_exp_arg {
            return bad(
                "V_peak, V_th and Delta_T make exp((V_peak - V_th) / Delta_T) overflow; \
                        raise Delta_T or lower V_peak",
            );
        }
        let at = if alpha { ALPHA } else { EXP };
        // the state starts from NEST's defaults (V_m = -70.6 mV whatever E_L is) unless given
        let mut y = vec![0.0; at.w + 1];
        y[V] = p.num_or(m, "V_m", -70.6)?;
        y[at.g_ex] = p.num_or(m, "g_ex", 0.0)?;
        y[at.g_in] = p.num_or(m, "g_in", 0.0)?;
        y[at.w] = p.num_or(m, "w", 0.0)?;
        if let (Some(de), Some(di)) = (at.dg_ex, at.dg_in) {
            y[de] = p.num_or(m, "dg_ex", 0.0)?;
            y[di] = p.num_or(m, "dg_in", 0.0)?;
        }
        if y[at.g_ex] < 0.0 || y[at.g_in] < 0.0 {
            return bad("conductances g_ex and g_in must not be negative");
        }
        let step_ms = resolution_ms(dt);
        // NEST starts this model's integration with a step of at most 0.01 ms
        let solver = Rkf45::new(
            y.len(),
            Control::on_derivatives(tol, tol),
            step_ms.min(0.01),
        );
        Ok(Aeif {
            model: m,
            spike_at: if c.delta_t > 0.0 { c.v_peak } else { c.v_th },
            g0: [
                std::f64::consts::E / c.tau_ex,
                std::f64::consts::E / c.tau_in,
            ],
            c,
            at,
            refractory_counts: steps_of(t_ref, dt),
            step_ms,
            y,
            r: 0,
            i_stim: 0.0,
            solver,
            failed: None,
        })
    }
}

fn derivs(c: &Consts, at: Layout, refractory: bool, i_stim: f64, y: &[f64], f: &mut [f64]) {
    // V is held at V_reset while refractory, and taken no higher than V_peak in the currents
    let v = if refractory {
        c.v_reset
    } else {
        y[V].min(c.v_peak)
    };
    let (g_ex, g_in, w) = (y[at.g_ex], y[at.g_in], y[at.w]);
    let i_ex = g_ex * (v - c.e_ex);
    let i_in = g_in * (v - c.e_in);
    let i_spike = if c.delta_t == 0.0 {
        0.0
    } else {
        c.g_l * c.delta_t * ((v - c.v_th) / c.delta_t).exp()
    };
    f[V] = if refractory {
        0.0
    } else {
        (-c.g_l * (v - c.e_l) + i_spike - i_ex - i_in - w + c.i_e + i_stim) / c.c_m
    };
    match (at.dg_ex, at.dg_in) {
        (Some(de), Some(di)) => {
            f[de] = -y[de] / c.tau_ex;
            f[at.g_ex] = y[de] - g_ex / c.tau_ex;
            f[di] = -y[di] / c.tau_in;
            f[at.g_in] = y[di] - g_in / c.tau_in;
        }
        _ => {
            f[at.g_ex] = -g_ex / c.tau_ex;
            f[at.g_in] = -g_in / c.tau_in;
        }
    }
    f[at.w] = (c.a * (v - c.e_l) - w) / c.tau_w;
}

impl Model for Aeif {
    fn n_ports(&self) -> usize {
        2
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        route_by_sign(self.model, receptor, weight)
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        if self.failed.is_some() {
            return 0;
        }
        let at = self.at;
        let mut fired = 0;
        let mut t = 0.0;
        while t < self.step_ms {
            let (c, refractory, i_stim) = (&self.c, self.r > 0, self.i_stim);
            let mut f = |y: &[f64], d: &mut [f64]| derivs(c, at, refractory, i_stim, y, d);
            self.solver
                .evolve(&mut f, &mut t, self.step_ms, &mut self.y);
            let (v, w) = (self.y[V], self.y[at.w]);
            // NEST lets V explode upwards but stops on these (and a NaN w stops here too, where NEST
            // would carry it on silently)
            if v < -1e3 || !(-1e6..=1e6).contains(&w) {
                self.failed = Some(format!(
                    "{}: numerical instability (V_m = {v} mV, w = {w} pA)",
                    self.model
                ));
                return fired;
            }
            if self.r > 0 {
                self.y[V] = self.c.v_reset;
            } else if v >= self.spike_at {
                self.y[V] = self.c.v_reset;
                self.y[at.w] += self.c.b;
                // one more than the period: the count goes down once after this step's loop
                self.r = if self.refractory_counts > 0 {
                    self.refractory_counts + 1
                } else {
                    0
                };
                fired += 1;
            }
        }
        if self.r > 0 {
            self.r -= 1;
        }
        match (at.dg_ex, at.dg_in) {
            (Some(de), Some(di)) => {
                self.y[de] += spikes[0] * self.g0[0];
                self.y[di] += spikes[1] * self.g0[1];
            }
            _ => {
                self.y[at.g_ex] += spikes[0];
                self.y[at.g_in] += spikes[1];
            }
        }
        self.i_stim = current;
        fired
    }

    fn recordables(&self) -> Vec<String> {
        names(&["V_m", "g_ex", "g_in", "w"])
    }

    fn get(&self, name: &str) -> f64 {
        match name {
            "V_m" => self.y[V],
            "g_ex" => self.y[self.at.g_ex],
            "g_in" => self.y[self.at.g_in],
            "w" => self.y[self.at.w],
            _ => f64::NAN,
        }
    }

    fn failure(&self) -> Option<String> {
        self.failed.clone()
    }
}
