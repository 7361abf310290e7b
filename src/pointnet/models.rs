//! The neuron models behind one trait, each one step of NEST's update loop for that model, and
//! the registry that builds them by NEST's model name. One file per model family.

use crate::error::Error;

use super::aeif::Aeif;
use super::glif_cond::GlifCond;
use super::glif_psc::GlifPsc;
use super::iaf_cond::IafCond;
use super::iaf_psc::{IafPsc, Shape};
use super::izhikevich::Izhikevich;
use super::params::Params;

pub const SUPPORTED_MODELS: &[&str] = &[
    "aeif_cond_alpha",
    "aeif_cond_exp",
    "glif_cond",
    "glif_psc",
    "iaf_cond_alpha",
    "iaf_cond_exp",
    "iaf_psc_alpha",
    "iaf_psc_delta",
    "iaf_psc_exp",
    "izhikevich",
    "parrot_neuron",
];

/// NEST's refractory count: the period rounded to the clock's tics, then up to whole steps.
pub fn steps_of(ms: f64, dt: f64) -> usize {
    let tics = (ms * 1000.0 + 0.5).floor().max(0.0) as u64;
    let tics_per_step = ((dt * 1000.0).round() as u64).max(1);
    tics.div_ceil(tics_per_step) as usize
}

/// The step in ms as NEST's clock gives it (tics times the length of a tic), which the adaptive
/// integrators take as their interval.
pub fn resolution_ms(dt: f64) -> f64 {
    (dt * 1000.0).round() * (1.0 / 1000.0)
}

pub trait Model: Send + Sync {
    /// Ring-buffer channels for spikes (ports).
    fn n_ports(&self) -> usize;
    /// The channel a connection with this receptor type and weight feeds, and what one spike
    /// adds there (a conductance model keeps inhibitory weights as positive conductances).
    fn route(&self, receptor: u32, weight: f64) -> Result<(usize, f64), Error>;
    /// One step; `spikes` is this step's slot per port, `current` the current read this step.
    /// Returns the number of spikes emitted in this step.
    fn update(&mut self, spikes: &[f64], current: f64) -> u32;
    fn recordables(&self) -> Vec<String>;
    fn get(&self, name: &str) -> f64;
    /// A fresh neuron of the same parameters, sharing its constants with this one (one copy of
    /// the propagators per add_neurons call, not per neuron), where the model supports it.
    fn copy(&self) -> Option<Box<dyn Model>> {
        None
    }
    /// Why the model stopped (a numerical instability NEST raises an error for), if it did.
    fn failure(&self) -> Option<String> {
        None
    }
}

pub fn build(model: &str, p: &Params, dt: f64) -> Result<Box<dyn Model>, Error> {
    let m: Box<dyn Model> = match model {
        "iaf_psc_alpha" => Box::new(IafPsc::new(model, p, dt, Shape::Alpha)?),
        "iaf_psc_exp" => Box::new(IafPsc::new(model, p, dt, Shape::Exp)?),
        "iaf_psc_delta" => Box::new(IafPsc::new(model, p, dt, Shape::Delta)?),
        "iaf_cond_exp" => Box::new(IafCond::new(p, dt, false)?),
        "iaf_cond_alpha" => Box::new(IafCond::new(p, dt, true)?),
        "aeif_cond_exp" => Box::new(Aeif::new(p, dt, false)?),
        "aeif_cond_alpha" => Box::new(Aeif::new(p, dt, true)?),
        "glif_psc" => Box::new(GlifPsc::new(p, dt)?),
        "glif_cond" => Box::new(GlifCond::new(p, dt)?),
        "izhikevich" => Box::new(Izhikevich::new(p, dt)?),
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

pub fn positive(model: &str, key: &str, v: f64) -> Result<f64, Error> {
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(Error::Invalid(format!(
            "{model}: '{key}' must be > 0, got {v}"
        )))
    }
}

pub fn non_negative(model: &str, key: &str, v: f64) -> Result<f64, Error> {
    if v >= 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(Error::Invalid(format!(
            "{model}: '{key}' must be >= 0, got {v}"
        )))
    }
}

/// Only receptor 0 exists on the models with one excitatory and one inhibitory input.
pub fn receptor_zero(model: &str, receptor: u32) -> Result<(), Error> {
    if receptor != 0 {
        return Err(Error::Invalid(format!(
            "receptor_type {receptor}: {model} has only receptor 0"
        )));
    }
    Ok(())
}

/// NEST's conductance models with an excitatory and an inhibitory conductance take the sign of
/// the weight as the choice: > 0 excitatory (port 0), otherwise inhibitory (port 1, by |w|).
pub fn route_by_sign(model: &str, receptor: u32, weight: f64) -> Result<(usize, f64), Error> {
    receptor_zero(model, receptor)?;
    Ok(if weight > 0.0 {
        (0, weight)
    } else {
        (1, -weight)
    })
}

pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Re-emits every spike it receives, one step later than it arrives, with its multiplicity.
struct Parrot;

impl Model for Parrot {
    fn n_ports(&self) -> usize {
        1
    }
    fn route(&self, receptor: u32, _weight: f64) -> Result<(usize, f64), Error> {
        if receptor != 0 {
            return Err(Error::Invalid(format!(
                "receptor_type {receptor}: parrot_neuron repeats spikes on receptor 0 only"
            )));
        }
        // the parrot counts spikes; weights do not matter
        Ok((0, 1.0))
    }
    fn update(&mut self, spikes: &[f64], _current: f64) -> u32 {
        spikes[0].round().max(0.0) as u32
    }
    fn recordables(&self) -> Vec<String> {
        Vec::new()
    }
    fn get(&self, _name: &str) -> f64 {
        f64::NAN
    }
}
