//! Density mechanisms from users' .mod files (a config's `mechanisms_dir`), run by the NMODL front
//! end. They extend the built-in registry: their indices follow it, so they run after the built-in
//! mechanisms in every step. A name the registry already has keeps the built-in (the same
//! equations, hand-written); a file registered again under the same name replaces the earlier one
//! for the cells built afterwards.

use std::sync::{Arc, RwLock};

use super::{Mechanism, REGISTRY};
use crate::error::{Error, Result};
use crate::nmodl::model::{Kind, Model};

struct UserMech {
    suffix: &'static str,
    model: Arc<Model>,
}

static USER: RwLock<Vec<UserMech>> = RwLock::new(Vec::new());

/// Registers a density mechanism; returns its index (past the built-in registry).
pub fn register(model: Arc<Model>) -> Result<usize> {
    if model.kind != Kind::Density {
        return Err(Error::invalid(format!(
            "{}: {} is a {}, not a density mechanism (SUFFIX)",
            model.file,
            model.name,
            model.kind.as_str()
        )));
    }
    let mut user = USER.write().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = user
        .iter()
        .position(|u| u.suffix == model.suffix && Arc::ptr_eq(&u.model, &model))
    {
        return Ok(REGISTRY.len() + k);
    }
    user.push(UserMech {
        suffix: model.suffix,
        model,
    });
    Ok(REGISTRY.len() + user.len() - 1)
}

/// The index of the latest user mechanism named `name`.
pub fn find(name: &str) -> Option<usize> {
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    user.iter()
        .rposition(|u| u.suffix == name)
        .map(|k| REGISTRY.len() + k)
}

/// (index, SUFFIX) of every user mechanism, latest registration of each name only.
pub fn entries() -> Vec<(usize, &'static str)> {
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    (0..user.len())
        .filter(|&k| !user[k + 1..].iter().any(|u| u.suffix == user[k].suffix))
        .map(|k| (REGISTRY.len() + k, user[k].suffix))
        .collect()
}

pub fn suffix(reg: usize) -> Option<&'static str> {
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    user.get(reg.checked_sub(REGISTRY.len())?).map(|u| u.suffix)
}

pub fn make(reg: usize, nodes: Vec<u32>) -> Option<Box<dyn Mechanism>> {
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    let u = user.get(reg.checked_sub(REGISTRY.len())?)?;
    Some(crate::nmodl::instantiate(&u.model, nodes))
}
