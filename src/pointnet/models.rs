//! The neuron models, each one step of NEST's update loop for that model: propagate the state
//! exactly over the step, take the spikes of this step's ring-buffer slot, test the threshold at
//! the end of the step, reset and count the refractory period in whole steps.

use crate::error::Error;

use super::params::{relative, Params};
use super::propagators::{alpha_current, exp_current};

pub const SUPPORTED_MODELS: &[&str] = &[
    "glif_psc",
    "iaf_psc_alpha",
    "iaf_psc_delta",
    "iaf_psc_exp",
    "parrot_neuron",
];

/// NEST's refractory count: the period rounded to the clock's tics, then whole steps (floor).
pub fn steps_of(ms: f64, dt: f64) -> usize {
    let tics = (ms * 1000.0 + 0.5).floor();
    let tics_per_step = (dt * 1000.0).round();
    (tics / tics_per_step).floor().max(0.0) as usize
}

pub trait Model: Send + Sync {
    /// Ring-buffer channels for spikes (ports).
    fn n_ports(&self) -> usize;
    /// The channel a connection with this receptor type and weight feeds.
    fn port_of(&self, receptor: u32, weight: f64) -> Result<usize, Error>;
    /// True when the target counts spikes and ignores weights (parrot).
    fn counts_spikes(&self) -> bool {
        false
    }
    /// One step; `spikes` is this step's slot per port, `current` the current read this step.
    /// Returns the multiplicity of the spike emitted in this step (0 for none).
    fn update(&mut self, spikes: &[f64], current: f64) -> u32;
    fn recordables(&self) -> &'static [&'static str];
    fn get(&self, name: &str) -> f64;
}

pub fn build(model: &str, p: &Params, dt: f64) -> Result<Box<dyn Model>, Error> {
    let m: Box<dyn Model> = match model {
        "iaf_psc_alpha" => Box::new(IafPsc::new(model, p, dt, Shape::Alpha)?),
        "iaf_psc_exp" => Box::new(IafPsc::new(model, p, dt, Shape::Exp)?),
        "iaf_psc_delta" => Box::new(IafPsc::new(model, p, dt, Shape::Delta)?),
        "glif_psc" => Box::new(GlifPsc::new(p, dt)?),
        "parrot_neuron" => Box::new(Parrot),
        other => {
            return Err(Error::Invalid(format!(
            "unknown point neuron model '{other}'; bmtk-rs PointNet supports {SUPPORTED_MODELS:?}"
        )))
        }
    };
    p.check_all_used(model)?;
    Ok(m)
}

fn positive(model: &str, key: &str, v: f64) -> Result<f64, Error> {
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(Error::Invalid(format!(
            "{model}: '{key}' must be > 0, got {v}"
        )))
    }
}

// ---- iaf_psc_alpha / iaf_psc_exp / iaf_psc_delta -----------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Alpha,
    Exp,
    Delta,
}

/// Leaky integrate-and-fire with current synapses: alpha-shaped, exponential or delta (a jump of
/// V). Potentials are held relative to E_L, as NEST holds them.
struct IafPsc {
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

#[derive(Clone, Copy, Default)]
struct Syn {
    p11: f64,
    p21: f64,
    p31: f64,
    p32: f64,
    psc_init: f64,
    di: f64,
    i: f64,
}

impl IafPsc {
    fn new(model: &str, p: &Params, dt: f64, shape: Shape) -> Result<Self, Error> {
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
                s.p11 = (-dt / tau).exp();
                if shape == Shape::Alpha {
                    s.p21 = dt * s.p11;
                    (s.p31, s.p32) = alpha_current(tau, tau_m, c_m, dt);
                    s.psc_init = std::f64::consts::E / tau;
                } else {
                    s.p21 = exp_current(tau, tau_m, c_m, dt);
                }
            }
        }
        let expm1_m = (-dt / tau_m).exp_m1();
        Ok(IafPsc {
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

    fn port_of(&self, receptor: u32, weight: f64) -> Result<usize, Error> {
        if receptor != 0 {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: this model has only receptor 0"
            )));
        }
        Ok(if self.shape == Shape::Delta || weight >= 0.0 {
            0
        } else {
            1
        })
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
                    s.i = s.p21 * s.di + s.p11 * s.i;
                    s.di *= s.p11;
                    s.di += s.psc_init * w;
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

    fn recordables(&self) -> &'static [&'static str] {
        match self.shape {
            Shape::Delta => &["V_m"],
            _ => &["V_m", "I_syn_ex", "I_syn_in"],
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

// ---- parrot_neuron ------------------------------------------------------------------------------

/// Re-emits every spike it receives, one step later than it arrives, with its multiplicity.
struct Parrot;

impl Model for Parrot {
    fn n_ports(&self) -> usize {
        1
    }
    fn port_of(&self, receptor: u32, _weight: f64) -> Result<usize, Error> {
        if receptor != 0 {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: parrot_neuron repeats spikes on receptor 0 only"
            )));
        }
        Ok(0)
    }
    fn counts_spikes(&self) -> bool {
        true
    }
    fn update(&mut self, spikes: &[f64], _current: f64) -> u32 {
        spikes[0].round().max(0.0) as u32
    }
    fn recordables(&self) -> &'static [&'static str] {
        &[]
    }
    fn get(&self, _name: &str) -> f64 {
        f64::NAN
    }
}

// ---- glif_psc -----------------------------------------------------------------------------------

/// The Allen Institute's generalized LIF with alpha-shaped current synapses, one per receptor
/// port (ports 1..=len(tau_syn)). Its flags pick the variant: GLIF1 (none), GLIF2 (spike-dependent
/// threshold), GLIF3 (after-spike currents), GLIF4 (both), GLIF5 (all three).
struct GlifPsc {
    e_l: f64,
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
    // propagators
    p33: f64,
    p30: f64,
    th_spike_decay_rate: f64,
    th_spike_refr_decay_rate: f64,
    asc_decay_rates: Vec<f64>,
    asc_stable_coeff: Vec<f64>,
    asc_refr_decay_rates: Vec<f64>,
    potential_decay_rate: f64,
    th_voltage_decay_inv: f64,
    phi: f64,
    abpara_ratio_voltage: f64,
    syn: Vec<Syn>,
    // state
    u: f64,
    threshold: f64,
    threshold_spike: f64,
    threshold_voltage: f64,
    i: f64,
    i_syn: f64,
    asc: Vec<f64>,
    asc_sum: f64,
    r: usize,
}

impl GlifPsc {
    fn new(p: &Params, dt: f64) -> Result<Self, Error> {
        let m = "glif_psc";
        let e_l = p.num_or(m, "E_L", -78.85)?;
        let el = (e_l, -78.85);
        let th_inf = relative(p, m, "V_th", el, -51.68 - -78.85)?;
        let v_reset = relative(p, m, "V_reset", el, 0.0)?;
        let u = relative(p, m, "V_m", el, 0.0)?;
        let g = positive(m, "g", p.num_or(m, "g", 9.43)?)?;
        let c_m = positive(m, "C_m", p.num_or(m, "C_m", 58.72)?)?;
        let t_ref = positive(m, "t_ref", p.num_or(m, "t_ref", 3.75)?)?;
        let th_spike_add = p.num_or(m, "th_spike_add", 0.37)?;
        let th_spike_decay = p.num_or(m, "th_spike_decay", 0.009)?;
        let voltage_reset_fraction = p.num_or(m, "voltage_reset_fraction", 0.20)?;
        let voltage_reset_add = p.num_or(m, "voltage_reset_add", 18.51)?;
        let th_voltage_index = p.num_or(m, "th_voltage_index", 0.005)?;
        let th_voltage_decay = p.num_or(m, "th_voltage_decay", 0.09)?;
        let asc_init = p.list(m, "asc_init")?.unwrap_or(vec![0.0, 0.0]);
        let asc_decay = p.list(m, "asc_decay")?.unwrap_or(vec![0.003, 0.1]);
        let asc_amps = p.list(m, "asc_amps")?.unwrap_or(vec![-9.18, -198.94]);
        let asc_r = p.list(m, "asc_r")?.unwrap_or(vec![1.0, 1.0]);
        let tau_syn = p.list(m, "tau_syn")?.unwrap_or(vec![2.0]);
        let has_theta_spike = p.flag_or(m, "spike_dependent_threshold", false)?;
        let has_asc = p.flag_or(m, "after_spike_currents", false)?;
        let has_theta_voltage = p.flag_or(m, "adapting_threshold", false)?;
        let asc_state = p.list(m, "ASCurrents")?;
        let threshold_spike = p.num_or(m, "threshold_spike", 0.0)?;
        let threshold_voltage = p.num_or(m, "threshold_voltage", 0.0)?;
        let bad = |msg: &str| Err(Error::Invalid(format!("glif_psc: {msg}")));
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
        if tau_syn.is_empty() || tau_syn.iter().any(|t| *t <= 0.0) {
            return bad("tau_syn must be a non-empty list of values > 0");
        }
        // NEST starts the after-spike currents at zero (two ports) unless ASCurrents is given
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
        let tau = c_m / g;
        let p33 = (-dt / tau).exp();
        let syn = tau_syn
            .iter()
            .map(|&ts| {
                let p11 = (-dt / ts).exp();
                let (p31, p32) = alpha_current(ts, tau, c_m, dt);
                Syn {
                    p11,
                    p21: dt * p11,
                    p31,
                    p32,
                    psc_init: std::f64::consts::E / ts,
                    di: 0.0,
                    i: 0.0,
                }
            })
            .collect();
        let asc_decay_rates: Vec<f64> = asc_decay.iter().map(|k| (-k * dt).exp()).collect();
        Ok(GlifPsc {
            e_l,
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
            p33,
            p30: 1.0 / c_m * (1.0 - p33) * tau,
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
            syn,
            u,
            threshold: th_inf,
            threshold_spike,
            threshold_voltage,
            i: 0.0,
            i_syn: 0.0,
            asc_sum: asc.iter().sum(),
            asc,
            r: 0,
        })
    }
}

impl Model for GlifPsc {
    fn n_ports(&self) -> usize {
        self.syn.len()
    }

    fn port_of(&self, receptor: u32, _weight: f64) -> Result<usize, Error> {
        let n = self.syn.len() as u32;
        if receptor == 0 || receptor > n {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: glif_psc has receptor ports 1..={n} (one per tau_syn)"
            )));
        }
        Ok(receptor as usize - 1)
    }

    fn update(&mut self, spikes: &[f64], current: f64) -> u32 {
        let v_old = self.u;
        let mut fired = 0;
        if self.r == 0 {
            if self.has_theta_spike {
                self.threshold_spike *= self.th_spike_decay_rate;
            }
            self.asc_sum = 0.0;
            if self.has_asc {
                for a in 0..self.asc.len() {
                    self.asc_sum += self.asc_stable_coeff[a] * self.asc[a];
                    self.asc[a] *= self.asc_decay_rates[a];
                }
            }
            self.u = v_old * self.p33 + (self.i + self.asc_sum) * self.p30;
            self.i_syn = 0.0;
            for s in &self.syn {
                self.u += s.p31 * s.di + s.p32 * s.i;
                self.i_syn += s.i;
            }
            if self.has_theta_voltage {
                let beta = (self.i + self.asc_sum) / self.g;
                self.threshold_voltage = self.phi * (v_old - beta) * self.potential_decay_rate
                    + self.th_voltage_decay_inv
                        * (self.threshold_voltage
                            - self.phi * (v_old - beta)
                            - self.abpara_ratio_voltage * beta)
                    + self.abpara_ratio_voltage * beta;
            }
            self.threshold = self.threshold_spike + self.threshold_voltage + self.th_inf;
            if self.u > self.threshold {
                self.r = self.refractory_counts;
                if self.has_asc {
                    for a in 0..self.asc.len() {
                        self.asc[a] = self.asc_amps[a] + self.asc[a] * self.asc_refr_decay_rates[a];
                    }
                }
                if !self.has_theta_spike {
                    self.u = self.v_reset;
                } else {
                    self.u = self.voltage_reset_fraction * v_old + self.voltage_reset_add;
                    self.threshold_spike =
                        self.threshold_spike * self.th_spike_refr_decay_rate + self.th_spike_add;
                    self.threshold = self.threshold_spike + self.threshold_voltage + self.th_inf;
                }
                fired = 1;
            }
        } else {
            self.r -= 1;
            self.u = v_old;
            self.threshold = self.threshold_spike + self.threshold_voltage + self.th_inf;
        }
        for (s, w) in self.syn.iter_mut().zip(spikes) {
            s.i = s.p21 * s.di + s.p11 * s.i;
            s.di *= s.p11;
            s.di += s.psc_init * w;
        }
        self.i = current;
        fired
    }

    fn recordables(&self) -> &'static [&'static str] {
        &[
            "V_m",
            "ASCurrents_sum",
            "I",
            "I_syn",
            "threshold",
            "threshold_spike",
            "threshold_voltage",
        ]
    }

    fn get(&self, name: &str) -> f64 {
        match name {
            "V_m" => self.u + self.e_l,
            "ASCurrents_sum" => self.asc_sum,
            "I" => self.i,
            "I_syn" => self.i_syn,
            "threshold" => self.threshold + self.e_l,
            "threshold_spike" => self.threshold_spike,
            "threshold_voltage" => self.threshold_voltage,
            _ => f64::NAN,
        }
    }
}
