//! Neuron parameters as NEST names them: numbers, lists of numbers and flags, read once with
//! every key accounted for (NEST rejects a dictionary entry a model does not use, so do we).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;

#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Num(f64),
    List(Vec<f64>),
    Bool(bool),
}

/// A model's parameter dictionary; each read marks its key as used.
#[derive(Debug, Default)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
    used: RefCell<BTreeSet<String>>,
}

impl Params {
    pub fn new(values: BTreeMap<String, ParamValue>) -> Self {
        Params {
            values,
            used: RefCell::new(BTreeSet::new()),
        }
    }

    fn take(&self, key: &str) -> Option<&ParamValue> {
        let v = self.values.get(key);
        if v.is_some() {
            self.used.borrow_mut().insert(key.to_string());
        }
        v
    }

    pub fn num(&self, model: &str, key: &str) -> Result<Option<f64>, Error> {
        match self.take(key) {
            None => Ok(None),
            Some(ParamValue::Num(x)) if x.is_finite() || key == "V_min" => Ok(Some(*x)),
            Some(ParamValue::Bool(b)) => Ok(Some(if *b { 1.0 } else { 0.0 })),
            Some(other) => Err(Error::Invalid(format!(
                "{model}: parameter '{key}' must be a finite number, got {other:?}"
            ))),
        }
    }

    pub fn num_or(&self, model: &str, key: &str, default: f64) -> Result<f64, Error> {
        Ok(self.num(model, key)?.unwrap_or(default))
    }

    pub fn list(&self, model: &str, key: &str) -> Result<Option<Vec<f64>>, Error> {
        match self.take(key) {
            None => Ok(None),
            Some(ParamValue::List(v)) => Ok(Some(v.clone())),
            Some(ParamValue::Num(x)) => Ok(Some(vec![*x])),
            Some(other) => Err(Error::Invalid(format!(
                "{model}: parameter '{key}' must be a list of numbers, got {other:?}"
            ))),
        }
    }

    pub fn flag_or(&self, model: &str, key: &str, default: bool) -> Result<bool, Error> {
        match self.take(key) {
            None => Ok(default),
            Some(ParamValue::Bool(b)) => Ok(*b),
            Some(ParamValue::Num(x)) if *x == 0.0 || *x == 1.0 => Ok(*x == 1.0),
            Some(other) => Err(Error::Invalid(format!(
                "{model}: parameter '{key}' must be true or false, got {other:?}"
            ))),
        }
    }

    /// Errors on any key no read has used: a misspelt or foreign parameter never passes silently.
    pub fn check_all_used(&self, model: &str) -> Result<(), Error> {
        let used = self.used.borrow();
        let unused: Vec<&String> = self.values.keys().filter(|k| !used.contains(*k)).collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "{model}: unknown parameter(s) {unused:?} (NEST's {model} does not have them)"
            )))
        }
    }
}

/// A potential in absolute mV, returned relative to `E_L` as NEST holds it. One left unset keeps
/// its default absolute value (NEST shifts the stored offset when E_L moves), so a model given only
/// a new E_L still starts at, fires at and resets to its default potentials.
/// `default_rel` is the offset at the model's default resting potential `default_e_l`.
pub fn relative(
    p: &Params,
    model: &str,
    key: &str,
    (e_l, default_e_l): (f64, f64),
    default_rel: f64,
) -> Result<f64, Error> {
    Ok(match p.num(model, key)? {
        Some(v) => v - e_l,
        None => default_rel - (e_l - default_e_l),
    })
}
