//! What glif_psc and glif_cond share: the Allen Institute's generalized LIF parameters (potentials
//! relative to E_L), the variant flags, and the per-step threshold and after-spike-current logic
//! around the membrane update, which the two models do differently (exact propagation of current
//! synapses, or adaptive integration of conductances).

use std::sync::Arc;

use crate::error::Error;

use super::models::{positive, steps_of};
use super::params::{relative, Params};

/// The membrane and mechanism parameters of a GLIF neuron, read under NEST's names.
pub struct GlifParams {
    pub e_l: f64,
    pub th_inf: f64,
    pub v_reset: f64,
    pub v_m: f64,
    pub g: f64,
    pub c_m: f64,
    pub t_ref: f64,
    core: GlifCore,
}

impl GlifParams {
    /// Reads everything but the synapses; `g_key` is the leak conductance's name in `model`.
    pub fn read(m: &str, g_key: &str, p: &Params, dt: f64) -> Result<Self, Error> {
        let e_l = p.num_or(m, "E_L", -78.85)?;
        let el = (e_l, -78.85);
        let th_inf = relative(p, m, "V_th", el, -51.68 - -78.85)?;
        let v_reset = relative(p, m, "V_reset", el, 0.0)?;
        let v_m = relative(p, m, "V_m", el, 0.0)?;
        let g = positive(m, g_key, p.num_or(m, g_key, 9.43)?)?;
        let c_m = positive(m, "C_m", p.num_or(m, "C_m", 58.72)?)?;
        let t_ref = positive(m, "t_ref", p.num_or(m, "t_ref", 3.75)?)?;
        let th_spike_add = p.num_or(m, "th_spike_add", 0.37)?;
        let th_spike_decay = p.num_or(m, "th_spike_decay", 0.009)?;
        let voltage_reset_fraction = p.num_or(m, "voltage_reset_fraction", 0.20)?;
        let voltage_reset_add = p.num_or(m, "voltage_reset_add", 18.51)?;
        let th_voltage_index = p.num_or(m, "th_voltage_index", 0.005)?;
        let th_voltage_decay = p.num_or(m, "th_voltage_decay", 0.09)?;
        // asc_init is checked, but NEST's state starts from its default (zero) after-spike
        // currents unless ASCurrents is given
        let asc_init = p.list(m, "asc_init")?.unwrap_or(vec![0.0, 0.0]);
        let asc_decay = p.list(m, "asc_decay")?.unwrap_or(vec![0.003, 0.1]);
        let asc_amps = p.list(m, "asc_amps")?.unwrap_or(vec![-9.18, -198.94]);
        let asc_r = p.list(m, "asc_r")?.unwrap_or(vec![1.0, 1.0]);
        let has_theta_spike = p.flag_or(m, "spike_dependent_threshold", false)?;
        let has_asc = p.flag_or(m, "after_spike_currents", false)?;
        let has_theta_voltage = p.flag_or(m, "adapting_threshold", false)?;
        let asc_state = p.list(m, "ASCurrents")?;
        let threshold_spike = p.num_or(m, "threshold_spike", 0.0)?;
        let threshold_voltage = p.num_or(m, "threshold_voltage", 0.0)?;
        let bad = |msg: &str| Err(Error::Invalid(format!("{m}: {msg}")));
        let valid = matches!(
            (has_theta_spike, has_asc, has_theta_voltage),
            (false, false, false)
                | (true, false, false)
                | (false, true, false)
                | (true, true, false)
                | (true, true, true)
        );
        if !valid {
            return bad("spike_dependent_threshold / after_spike_currents / adapting_threshold is not one of the \
                        five GLIF variants (none; R; ASC; R+ASC; R+ASC+A)");
        }
        let n_asc = asc_decay.len();
        if has_asc {
            if asc_init.len() != n_asc || asc_amps.len() != n_asc || asc_r.len() != n_asc {
                return bad("asc_init, asc_decay, asc_amps and asc_r must have the same length");
            }
            if asc_decay.iter().any(|k| *k <= 0.0) {
                return bad("asc_decay values must be > 0");
            }
            if asc_r.iter().any(|r| !(0.0..=1.0).contains(r)) {
                return bad("asc_r values must be within [0, 1]");
            }
        }
        if v_reset >= th_inf {
            return bad("V_reset must be below V_th");
        }
        if has_theta_voltage && th_voltage_decay <= 0.0 {
            return bad("th_voltage_decay must be > 0");
        }
        if has_theta_spike
            && (th_spike_decay <= 0.0 || !(0.0..=1.0).contains(&voltage_reset_fraction))
        {
            return bad("th_spike_decay must be > 0 and voltage_reset_fraction within [0, 1]");
        }
        let asc = match asc_state {
            Some(a) => {
                if !has_asc {
                    return bad("ASCurrents is set but after_spike_currents is false");
                }
                if a.len() != n_asc {
                    return bad("ASCurrents must have as many values as asc_decay");
                }
                a
            }
            None => vec![0.0; n_asc],
        };
        let asc_decay_rates: Vec<f64> = asc_decay.iter().map(|k| (-k * dt).exp()).collect();
        let k = GlifConsts {
            th_inf,
            v_reset,
            g,
            th_spike_add,
            voltage_reset_fraction,
            voltage_reset_add,
            has_theta_spike,
            has_asc,
            has_theta_voltage,
            refractory_counts: steps_of(t_ref, dt),
            th_spike_decay_rate: (-th_spike_decay * dt).exp(),
            th_spike_refr_decay_rate: (-th_spike_decay * t_ref).exp(),
            asc_stable_coeff: asc_decay
                .iter()
                .zip(&asc_decay_rates)
                .map(|(k, rate)| ((1.0 / k) / dt) * (1.0 - rate))
                .collect(),
            asc_refr_decay_rates: asc_decay
                .iter()
                .zip(&asc_r)
                .map(|(k, r)| r * (-k * t_ref).exp())
                .collect(),
            asc_decay_rates,
            asc_amps,
            potential_decay_rate: (-g * dt / c_m).exp(),
            th_voltage_decay_inv: 1.0 / (th_voltage_decay * dt).exp(),
            phi: th_voltage_index / (th_voltage_decay - g / c_m),
            abpara_ratio_voltage: th_voltage_index / th_voltage_decay,
        };
        let core = GlifCore {
            k: Arc::new(k),
            threshold: th_inf,
            threshold_spike,
            threshold_voltage,
            asc_sum: asc.iter().sum(),
            asc,
            r: 0,
        };
        Ok(GlifParams {
            e_l,
            th_inf,
            v_reset,
            v_m,
            g,
            c_m,
            t_ref,
            core,
        })
    }

    pub fn into_core(self) -> GlifCore {
        self.core
    }
}

/// The constants of a GLIF neuron's threshold and after-spike currents, shared by every neuron
/// of one parameter set (neurons are copies of one prototype).
pub struct GlifConsts {
    th_inf: f64,
    v_reset: f64,
    g: f64,
    th_spike_add: f64,
    voltage_reset_fraction: f64,
    voltage_reset_add: f64,
    asc_amps: Vec<f64>,
    has_theta_spike: bool,
    has_asc: bool,
    has_theta_voltage: bool,
    refractory_counts: usize,
    th_spike_decay_rate: f64,
    th_spike_refr_decay_rate: f64,
    asc_decay_rates: Vec<f64>,
    asc_stable_coeff: Vec<f64>,
    asc_refr_decay_rates: Vec<f64>,
    potential_decay_rate: f64,
    th_voltage_decay_inv: f64,
    phi: f64,
    abpara_ratio_voltage: f64,
}

/// The threshold components, after-spike currents and refractory count of a GLIF neuron.
#[derive(Clone)]
pub struct GlifCore {
    k: Arc<GlifConsts>,
    // state
    pub threshold: f64,
    pub threshold_spike: f64,
    pub threshold_voltage: f64,
    pub asc: Vec<f64>,
    /// the after-spike currents' mean over the last non-refractory step
    pub asc_sum: f64,
    pub r: usize,
}

impl GlifCore {
    pub fn refractory(&self) -> bool {
        self.r > 0
    }

    /// One step around the membrane update. `u` is the potential (relative to E_L) and `v_old`
    /// its value at the step's start; `membrane(u, asc_sum)` brings `u` to the step's end (a
    /// model whose `u` is already there does nothing). Returns whether the neuron fired.
    pub fn step(
        &mut self,
        u: &mut f64,
        v_old: f64,
        i_ext: f64,
        membrane: impl FnOnce(&mut f64, f64),
    ) -> bool {
        let k = &*self.k;
        if self.r > 0 {
            // the potential is held while refractory
            self.r -= 1;
            *u = v_old;
            self.threshold = self.threshold_spike + self.threshold_voltage + k.th_inf;
            return false;
        }
        if k.has_theta_spike {
            self.threshold_spike *= k.th_spike_decay_rate;
        }
        // the exact mean of each decaying after-spike current over the step, then its decay
        self.asc_sum = 0.0;
        if k.has_asc {
            for a in 0..self.asc.len() {
                self.asc_sum += k.asc_stable_coeff[a] * self.asc[a];
                self.asc[a] *= k.asc_decay_rates[a];
            }
        }
        membrane(u, self.asc_sum);
        if k.has_theta_voltage {
            let beta = (i_ext + self.asc_sum) / k.g;
            self.threshold_voltage = k.phi * (v_old - beta) * k.potential_decay_rate
                + k.th_voltage_decay_inv
                    * (self.threshold_voltage
                        - k.phi * (v_old - beta)
                        - k.abpara_ratio_voltage * beta)
                + k.abpara_ratio_voltage * beta;
        }
        self.threshold = self.threshold_spike + self.threshold_voltage + k.th_inf;
        let fired = *u > self.threshold;
        if fired {
            self.r = k.refractory_counts;
            if k.has_asc {
                for a in 0..self.asc.len() {
                    self.asc[a] = k.asc_amps[a] + self.asc[a] * k.asc_refr_decay_rates[a];
                }
            }
            if !k.has_theta_spike {
                *u = k.v_reset;
            } else {
                *u = k.voltage_reset_fraction * v_old + k.voltage_reset_add;
                self.threshold_spike =
                    self.threshold_spike * k.th_spike_refr_decay_rate + k.th_spike_add;
                self.threshold = self.threshold_spike + self.threshold_voltage + k.th_inf;
            }
        }
        fired
    }

    /// The recordables every GLIF model has (potentials absolute, given E_L).
    pub fn get(&self, name: &str, e_l: f64) -> Option<f64> {
        Some(match name {
            "ASCurrents_sum" => self.asc_sum,
            "threshold" => self.threshold + e_l,
            "threshold_spike" => self.threshold_spike,
            "threshold_voltage" => self.threshold_voltage,
            _ => return None,
        })
    }
}
