//! The cell variables a membrane report can record, by NEURON's names: `v`, the ion variables
//! (`cai`, `ik`, `ena`, ...), a mechanism's RANGE variable as `<name>_<SUFFIX>` (`m_NaTs`,
//! `gbar_Kv3_1`, `ik_SK`), and the membrane current as `i_membrane` (mA/cm2, NEURON's
//! `extracellular` variable) or `i_membrane_` (nA, NEURON's fast_imem variable).

use super::cell::CellModel;
use super::mechanisms::{create_index, names_of, suffix_of};
use crate::error::{Error, Result};
use crate::nmodl::model::IonVar;

const ION_NAMES: [&str; 8] = ["ena", "ek", "eca", "cai", "cao", "ina", "ik", "ica"];

#[derive(Debug, Clone, PartialEq)]
pub enum Variable {
    V,
    Ion(IonVar),
    /// A variable of the cell model's `mech`-th mechanism (the same index in the solver).
    Mech {
        mech: usize,
        name: String,
    },
    /// `i_membrane`: the transmembrane current density (mA/cm2).
    MembraneDensity,
    /// `i_membrane_`: the transmembrane current of the segment (nA).
    MembraneCurrent,
    /// A variable of Exp2Syn synapses (netcon report; elements are synapse states).
    Exp2Syn(crate::bionet::synapse::Exp2SynVar),
    /// A variable of the NMODL point-process synapses of one type (netcon report; elements are
    /// instances of the group's point-process set `set`, known once the group is finalized).
    PointSyn {
        ty: u32,
        set: u32,
        name: String,
    },
}

impl Variable {
    /// `name` as a variable of cells built from `model`; `nodes` are the nodes to be recorded,
    /// each of which must carry the variable (NEURON refuses a mechanism variable where the
    /// mechanism is not inserted).
    pub fn resolve(model: &CellModel, name: &str, nodes: &[usize]) -> Result<Variable> {
        match name {
            "v" => return Ok(Variable::V),
            "i_membrane" => return Ok(Variable::MembraneDensity),
            "i_membrane_" => return Ok(Variable::MembraneCurrent),
            _ => {}
        }
        if let Some(ion) = IonVar::of(name) {
            let species = ion.species();
            let mut has = vec![false; model.geometry.n_nodes()];
            for placed in &model.mechs {
                if create_index(placed.reg, Vec::new())?
                    .ions()
                    .contains(&species)
                {
                    for &n in &placed.nodes {
                        has[n as usize] = true;
                    }
                }
            }
            if let Some(&n) = nodes.iter().find(|&&n| !has[n]) {
                let geo = &model.geometry;
                return Err(Error::invalid(format!(
                    "cannot record '{name}': section {} at x={:.4} has no mechanism using the {species} \
                     ion (record it from sections that have one, e.g. \"sections\": \"soma\")",
                    geo.node_sec[n], geo.node_x[n]
                )));
            }
            return Ok(Variable::Ion(ion));
        }
        // the longest suffix wins: `ik_Kv3_1` is `ik` of Kv3_1, not of a mechanism `1`
        let mut best: Option<(usize, &str, &str)> = None;
        for (m, placed) in model.mechs.iter().enumerate() {
            for suffix in names_of(placed.reg) {
                let Some(var) = name
                    .strip_suffix(suffix)
                    .and_then(|p| p.strip_suffix('_'))
                    .filter(|p| !p.is_empty())
                else {
                    continue;
                };
                if best.is_none_or(|(_, s, _)| suffix.len() > s.len()) {
                    best = Some((m, suffix, var));
                }
            }
        }
        let Some((m, suffix, var)) = best else {
            return Err(Error::invalid(format!(
                "cannot record '{name}': it is not v, i_membrane, i_membrane_, an ion variable ({}) \
                 or <variable>_<mechanism> of a mechanism this cell has ({})",
                ION_NAMES.join(", "),
                mechanism_names(model)
            )));
        };
        let placed = &model.mechs[m];
        let probe = create_index(placed.reg, Vec::new())?;
        let known = probe.variable_names();
        if !known.contains(&var) {
            return Err(Error::invalid(format!(
                "cannot record '{name}': mechanism {suffix} has no variable '{var}' (it has {})",
                known.join(", ")
            )));
        }
        if let Some(&n) = nodes.iter().find(|n| !placed.nodes.contains(&(**n as u32))) {
            let geo = &model.geometry;
            return Err(Error::invalid(format!(
                "cannot record '{name}': mechanism {suffix} is not inserted in section {} at x={:.4} \
                 (record it from sections that have it, e.g. \"sections\": \"soma\")",
                geo.node_sec[n], geo.node_x[n]
            )));
        }
        Ok(Variable::Mech {
            mech: m,
            name: var.to_string(),
        })
    }
}

fn mechanism_names(model: &CellModel) -> String {
    let names: Vec<&str> = model.mechs.iter().map(|m| suffix_of(m.reg)).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
