//! Leaky integrate-and-fire neurons with current synapses (iaf_psc_alpha, iaf_psc_exp,
//! iaf_psc_delta): exact propagation of the linear subthreshold dynamics over each step.

use crate::error::Error;

use super::models::{names, positive, receptor_zero, steps_of, Model};
use super::params::{relative, Params};
use super::propagators::{alpha_current, exp_current};

#[derive(Clone, Copy, PartialEq)]
pub enum Shape {
    Alpha,
    Exp,
    Delta,
}

/// Leaky integrate-and-fire with current synapses: alpha-shaped, exponential or delta (a jump of
/// V). Potentials are held relative to E_L, as NEST holds them.
pub struct IafPsc {
    model: &'static str,
    shape: Shape,
    e_l: f64,
    i_e: f64,
    theta: f64,
    v_reset: f64,
    v_min: f64,
    refractory_counts: usize,
    refractory_input: bool,
    // propagators
    p30: f64,
    p33: f64,
    expm1_m: f64,
    syn: [Syn; 2], // excitatory, inhibitory
    // state
    v: f64,
    y0: f64,
    r: usize,
    refr_spikes: f64,
    refr_decay: f64,
}

/// One alpha-shaped (or exponential) current synapse with its propagators.
#[derive(Clone, Copy, Default)]
pub struct Syn {
    pub p11: f64,
    pub p21: f64,
    pub p31: f64,
    pub p32: f64,
    pub psc_init: f64,
    pub di: f64,
    pub i: f64,
}

impl Syn {
    /// An alpha-shaped current with time constant `tau` on a membrane (tau_m, C_m), step `dt`.
    pub fn alpha(tau: f64, tau_m: f64, c_m: f64, dt: f64) -> Syn {
        let p11 = (-dt / tau).exp();
        let (p31, p32) = alpha_current(tau, tau_m, c_m, dt);
        Syn {
            p11,
            p21: dt * p11,
            p31,
            p32,
            psc_init: std::f64::consts::E / tau,
            di: 0.0,
            i: 0.0,
        }
    }

    /// The alpha synapse over one step, then this step's input.
    pub fn advance_alpha(&mut self, w: f64) {
        self.i = self.p21 * self.di + self.p11 * self.i;
        self.di *= self.p11;
        self.di += self.psc_init * w;
    }
}

impl IafPsc {
    pub fn new(model: &str, p: &Params, dt: f64, shape: Shape) -> Result<Self, Error> {
        let e_l = p.num_or(model, "E_L", -70.0)?;
        let c_m = positive(model, "C_m", p.num_or(model, "C_m", 250.0)?)?;
        let tau_m = positive(model, "tau_m", p.num_or(model, "tau_m", 10.0)?)?;
        let t_ref = p.num_or(model, "t_ref", 2.0)?;
        if t_ref < 0.0 {
            return Err(Error::Invalid(format!(
                "{model}: 't_ref' must be >= 0, got {t_ref}"
            )));
        }
        let el = (e_l, -70.0);
        let theta = relative(p, model, "V_th", el, 15.0)?;
        let v_reset = relative(p, model, "V_reset", el, 0.0)?;
        let v_min = relative(p, model, "V_min", el, f64::NEG_INFINITY)?;
        let v = relative(p, model, "V_m", el, 0.0)?;
        let i_e = p.num_or(model, "I_e", 0.0)?;
        if v_reset >= theta {
            return Err(Error::Invalid(format!(
                "{model}: V_reset must be below V_th"
            )));
        }
        let mut syn = [Syn::default(); 2];
        let mut refractory_input = false;
        if shape == Shape::Delta {
            refractory_input = p.flag_or(model, "refractory_input", false)?;
        } else {
            for (s, key) in syn.iter_mut().zip(["tau_syn_ex", "tau_syn_in"]) {
                let tau = positive(model, key, p.num_or(model, key, 2.0)?)?;
                if shape == Shape::Alpha {
                    *s = Syn::alpha(tau, tau_m, c_m, dt);
                } else {
                    s.p11 = (-dt / tau).exp();
                    s.p21 = exp_current(tau, tau_m, c_m, dt);
                }
            }
        }
        let expm1_m = (-dt / tau_m).exp_m1();
        Ok(IafPsc {
            model: match shape {
                Shape::Alpha => "iaf_psc_alpha",
                Shape::Exp => "iaf_psc_exp",
                Shape::Delta => "iaf_psc_delta",
            },
            shape,
            e_l,
            i_e,
            theta,
            v_reset,
            v_min,
            refractory_counts: steps_of(t_ref, dt),
            refractory_input,
            p30: -tau_m / c_m * expm1_m,
            p33: (-dt / tau_m).exp(),
            expm1_m,
            syn,
            v,
            y0: 0.0,
            r: 0,
            refr_spikes: 0.0,
            refr_decay: (-dt / tau_m).exp(),
        })
    }
}

impl Model for IafPsc {
    fn n_ports(&self) -> usize {
        if self.shape == Shape::Delta {
            1
        } else {
            2
        }
    }

    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
        receptor_zero(self.model, receptor)?;
        let port = if self.shape == Shape::Delta || weight >= 0.0 {
            0
        } else {
            1
        };
        Ok((port, weight))
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        match self.shape {
            Shape::Alpha => {
                if self.r == 0 {
                    let [ex, inh] = &self.syn;
                    let v = self.p30 * (self.y0 + self.i_e)
                        + ex.p31 * ex.di
                        + ex.p32 * ex.i
                        + inh.p31 * inh.di
                        + inh.p32 * inh.i
                        + self.expm1_m * self.v
                        + self.v;
                    self.v = v.max(self.v_min);
                } else {
                    self.r -= 1;
                }
                for (s, w) in self.syn.iter_mut().zip(spikes) {
                    s.advance_alpha(*w);
                }
            }
            Shape::Exp => {
                if self.r == 0 {
                    let [ex, inh] = &self.syn;
                    self.v = self.v * self.p33
                        + ex.i * ex.p21
                        + inh.i * inh.p21
                        + (self.i_e + self.y0) * self.p30;
                } else {
                    self.r -= 1;
                }
                for (s, w) in self.syn.iter_mut().zip(spikes) {
                    s.i *= s.p11;
                    s.i += w;
                }
            }
            Shape::Delta => {
                if self.r == 0 {
                    let mut v = self.p30 * (self.y0 + self.i_e) + self.p33 * self.v + spikes[0];
                    if self.refractory_input {
                        v += self.refr_spikes;
                        self.refr_spikes = 0.0;
                    }
                    self.v = v.max(self.v_min);
                } else {
                    if self.refractory_input {
                        // input during the refractory period, decayed to the period's end
                        self.refr_spikes += spikes[0] * self.refr_decay.powi(self.r as i32);
                    }
                    self.r -= 1;
                }
            }
        }
        let fired = self.v >= self.theta;
        if fired {
            self.r = self.refractory_counts;
            self.v = self.v_reset;
        }
        self.y0 = current;
        u32::from(fired)
    }

    fn recordables(&self) -> Vec<String> {
        match self.shape {
            Shape::Delta => names(&["V_m"]),
            _ => names(&["V_m", "I_syn_ex", "I_syn_in"]),
        }
    }

    fn get(&self, name: &str) -> f64 {
        match name {
            "V_m" => self.v + self.e_l,
            "I_syn_ex" => self.syn[0].i,
            "I_syn_in" => self.syn[1].i,
            _ => f64::NAN,
        }
    }
}
