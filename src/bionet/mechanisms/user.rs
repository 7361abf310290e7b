//! Density mechanisms from users' .mod files (a config's `mechanisms_dir`), run by the NMODL front
//! end.
//!
//! Every loaded file gets a permanent index past the built-in registry (an append-only list, so a
//! cell model built earlier keeps its mechanisms). Which name means which mechanism is a matter of
//! one configuration: a [`UserMechs`] maps the SUFFIXes of that config's files to their indices,
//! and name resolution ([`super::lookup_index`]) asks it before the built-in registry. A file
//! whose SUFFIX equals a built-in mechanism's therefore replaces the built-in for that config's
//! cells (users edit NaTs.mod and expect their version to run), and takes the built-in's place in
//! the run order ([`run_rank`]): NEURON runs a directory's mechanisms in its files' order, which
//! the built-in registry follows, so e.g. a user's CaDynamics still advances before SK reads
//! `cai`. Mechanisms new to the engine take their file name's place in that order too, and
//! concentration writers go first as in NEURON (see [`run_rank`]).
//!
//! bmtk's own files, unedited, are recognised by their token fingerprint ([`BMTK_FILES`]): the
//! engine has their equations built in (agreeing to 1e-9, tests/nmodl) and keeps the hand-written
//! code for them ([`UserMechs::add_or_builtin`]); an edited file (any changed name, number or
//! operator) runs from its text.

use std::cmp::Reverse;
use std::sync::{Arc, RwLock};

use super::{lookup, Mechanism, REGISTRY};
use crate::error::{Error, Result};
use crate::nmodl::model::{Kind, Model};

struct UserMech {
    suffix: &'static str,
    model: Arc<Model>,
}

static USER: RwLock<Vec<UserMech>> = RwLock::new(Vec::new());

/// Token fingerprints (nmodl::fingerprint) of the Allen mechanism files bmtk 1.2.0 ships (its
/// `bionet/mechanisms/modfiles`, also bmtk-data's `bio_components/mechanisms/modfiles`), whose
/// equations are built in under the same SUFFIX.
pub const BMTK_FILES: &[(&str, u64)] = &[
    ("CaDynamics", 0x1120eb6cd9fde920),
    ("Ca_HVA", 0x5eb24aff2ee43439),
    ("Ca_LVA", 0xcb66e28840e9eace),
    ("Ih", 0x77a7c9bea51da346),
    ("Im", 0xb1091f5bf020d70e),
    ("Im_v2", 0xbad452101a973d56),
    ("K_P", 0xfdd5273d8ff5a673),
    ("K_T", 0xf280ade0ca54065e),
    ("Kd", 0x96820d3b8f0cf2e2),
    ("Kv2like", 0xf49366ba03e5f056),
    ("Kv3_1", 0xd0022f2a5597bbcf),
    ("NaTa", 0xd79f11e7d2fadd3d),
    ("NaTs", 0x07f4fb0f6952e9d4),
    ("NaV", 0xf7c73c2177463786),
    ("Nap", 0x101994559f99c54a),
    ("SK", 0xd5332be60e318fae),
];

/// What adding a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// bmtk's own file for a built-in mechanism: the built-in runs.
    BuiltinIdentical,
    /// A file named like a built-in, with other contents: it replaces the built-in.
    Replaces,
    /// A mechanism the engine does not have.
    New,
}

/// The density mechanisms one configuration loaded from .mod files, by SUFFIX.
#[derive(Debug, Clone, Default)]
pub struct UserMechs {
    names: Vec<(&'static str, usize)>,
    /// Names whose file cannot run, with the reason: a cell naming one is refused (never given
    /// the built-in of that name instead).
    refused: Vec<(String, String)>,
}

impl UserMechs {
    /// Adds a density mechanism (a later file of the same SUFFIX replaces an earlier one); returns
    /// its index.
    pub fn add(&mut self, model: Arc<Model>) -> Result<usize> {
        let reg = register(model)?;
        let Some(suffix) = suffix(reg) else {
            return Err(Error::invalid(format!("no mechanism with index {reg}")));
        };
        self.names.retain(|(n, _)| *n != suffix);
        self.refused.retain(|(n, _)| n != suffix);
        self.names.push((suffix, reg));
        Ok(reg)
    }

    /// As [`UserMechs::add`], except that bmtk's own unedited file of a built-in mechanism keeps
    /// the built-in (the same equations, hand-written).
    pub fn add_or_builtin(&mut self, model: Arc<Model>) -> Result<Added> {
        let builtin = lookup(model.suffix).is_ok();
        if BMTK_FILES
            .iter()
            .any(|&(n, f)| n == model.suffix && f == model.fingerprint)
        {
            self.names.retain(|(n, _)| *n != model.suffix);
            self.refused.retain(|(n, _)| n != model.suffix);
            return Ok(Added::BuiltinIdentical);
        }
        self.add(model)?;
        Ok(if builtin { Added::Replaces } else { Added::New })
    }

    /// Records that the file declaring `name` cannot run, and why.
    pub fn refuse(&mut self, name: &str, reason: String) {
        self.names.retain(|(n, _)| *n != name);
        self.refused.retain(|(n, _)| n != name);
        self.refused.push((name.to_string(), reason));
    }

    /// Why the file declaring `name` cannot run, if it was refused.
    pub fn refusal(&self, name: &str) -> Option<&str> {
        self.refused
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_str())
    }

    /// The index of the mechanism this configuration loaded under `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    /// (SUFFIX, index) of every loaded mechanism.
    pub fn entries(&self) -> &[(&'static str, usize)] {
        &self.names
    }

    /// SUFFIXes of the built-in mechanisms (or aliases) this configuration's files replace.
    pub fn replaced(&self) -> Vec<&'static str> {
        self.names
            .iter()
            .filter(|(n, _)| lookup(n).is_ok())
            .map(|(n, _)| *n)
            .collect()
    }
}

/// Registers a density mechanism; returns its index (past the built-in registry). The same model
/// registered twice keeps its first index.
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
    if let Some(k) = user.iter().position(|u| Arc::ptr_eq(&u.model, &model)) {
        return Ok(REGISTRY.len() + k);
    }
    user.push(UserMech {
        suffix: model.suffix,
        model,
    });
    Ok(REGISTRY.len() + user.len() - 1)
}

pub fn suffix(reg: usize) -> Option<&'static str> {
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    user.get(reg.checked_sub(REGISTRY.len())?).map(|u| u.suffix)
}

/// Position in the run order, as NEURON orders the mechanisms of a section (its `memb_order_`,
/// which both the current and the state pass follow): its own built-ins (`pas`) first; then the
/// mechanisms that write an ion concentration, in the reverse of their registration order (each
/// one registered is moved in front of those registered before it, just after the ions); then
/// all others in registration order. nrnivmodl registers a folder's files in its `*.mod` glob's
/// order, file names in byte order (C locale; the same as other locales' order for bmtk's files).
/// A built-in Allen channel stands for bmtk's file of its name (the registry lists them in that
/// order; CaDynamics is their only concentration writer). A user mechanism is placed by its
/// file's name, so a new file writing `cai` advances before CaDynamics, and a new channel named
/// before `SK.mod` runs before SK, as in NEURON.
pub fn run_rank(reg: usize) -> RunRank {
    if let Some(r) = REGISTRY.get(reg) {
        return if NEURON_BUILTINS.contains(&r.suffix) {
            (0, Reverse(String::new()), format!("{reg:08}"), 0)
        } else {
            rank_of_file(
                r.suffix,
                BUILTIN_CONCENTRATION_WRITERS.contains(&r.suffix),
                0,
            )
        };
    }
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    match user.get(reg - REGISTRY.len()) {
        Some(u) => {
            let stem = std::path::Path::new(&u.model.file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| u.suffix.to_string());
            let writes = u
                .model
                .ion_slots
                .iter()
                .any(|s| s.write && s.var.is_concentration());
            rank_of_file(&stem, writes, 1)
        }
        None => (3, Reverse(String::new()), String::new(), 0),
    }
}

/// Sort key of [`run_rank`]: (group, name for the reversed group, name, built-in 0 / user 1).
pub type RunRank = (u8, Reverse<String>, String, u8);

fn rank_of_file(name: &str, writes_concentration: bool, user: u8) -> RunRank {
    if writes_concentration {
        (1, Reverse(name.to_string()), String::new(), user)
    } else {
        (2, Reverse(String::new()), name.to_string(), user)
    }
}

/// Registry mechanisms that NEURON has built in (registered before any compiled file).
const NEURON_BUILTINS: &[&str] = &["pas"];

/// Built-in mechanisms that write an ion concentration (`cai`).
const BUILTIN_CONCENTRATION_WRITERS: &[&str] = &["CaDynamics"];

pub fn make(reg: usize, nodes: Vec<u32>) -> Option<Box<dyn Mechanism>> {
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    let u = user.get(reg.checked_sub(REGISTRY.len())?)?;
    Some(crate::nmodl::instantiate(&u.model, nodes))
}
