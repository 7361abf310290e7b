//! Model assembly: a biophysical cell from BMTK's node properties, as bmtk 1.2.0 builds it.
//!
//! `model_template 'ctdb:Biophys1.hoc'` reads the SWC through Import3d ([`Morphology`]); the
//! `model_processing` function then replaces the axon by a stub and applies the fit json
//! (`dynamics_params`) exactly as bmtk's default_setters/cell_models.py does:
//!
//! - `aibs_perisomatic` (`set_params_peri`): every section gets `Ra = passive.ra`,
//!   `cm = passive.cm[<type>]` (an entry per section type is required), `pas` with
//!   `e = passive.e_pas`; then every genome entry inserts its mechanism (if not "") into the
//!   sections of its type and sets `name = value` there; then `conditions.erev` sets ena/ek per
//!   section type.
//! - `aibs_allactive` (`set_params_allactive`): `pas` everywhere; `passive.e_pas`, `passive.ra` and
//!   `passive.cm` only where present; genome entries as above (section 'glob' skipped, value read
//!   with float()); erev per section type.
//! - the `*_directed` variants apply the same parameters to a stub pointed along the axon.
//!
//! Sections of one type always receive the same values, so the model is a table per section type
//! ([`SectionProps`]), expanded to per-segment mechanism instances in [`CellModel`].
//! BMTK's `dL` rule sets nseg after the processing; values set per section are uniform, so the
//! order does not matter. `celsius` and `v_init` are the simulation's conditions in BMTK; the fit
//! json's `conditions` supply defaults for them.

use std::path::Path;

use serde_json::Value;

use super::mechanisms::user::UserMechs;
use super::mechanisms::{
    all_entries, create_index, lookup, lookup_index, user, ParamKind, ParamSpec,
};
use super::morphology::{
    build_cell, AxonProcessing, CellGeometry, Morphology, APIC, AXON, DEND, SOMA,
};
use crate::error::{Error, Result};

/// NEURON's defaults for a new section.
pub const DEFAULT_RA: f64 = 35.4;
pub const DEFAULT_CM: f64 = 1.0;

/// The `model_processing` functions of bmtk 1.2.0 for `ctdb:Biophys1.hoc` cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelProcessing {
    Perisomatic,
    AllActive,
    PerisomaticDirected,
    AllActiveDirected,
    /// The Allen parameters on the full reconstructed axon (no stub): what bmtk's example run
    /// scripts register as `aibs_perisomatic_fullaxon` / `aibs_allactive_fullaxon`.
    PerisomaticFullAxon,
    AllActiveFullAxon,
}

impl ModelProcessing {
    pub const SUPPORTED: &'static str = "'aibs_perisomatic', 'aibs_allactive', 'aibs_perisomatic_directed', \
         'aibs_allactive_directed', 'aibs_perisomatic_fullaxon', 'aibs_allactive_fullaxon', each optionally \
         with ',extracellular'";

    /// A node's `model_processing`: one Allen processing, optionally in a comma-separated list with
    /// `extracellular` (NEURON's extracellular mechanism at its defaults, which leaves the membrane
    /// potential as it is: bmtk-rs records i_membrane without it).
    pub fn from_name(name: &str) -> Result<Self> {
        let mut found = None;
        for part in name.split(',').map(str::trim) {
            let p = match part {
                "aibs_perisomatic" => ModelProcessing::Perisomatic,
                "aibs_allactive" => ModelProcessing::AllActive,
                "aibs_perisomatic_directed" => ModelProcessing::PerisomaticDirected,
                "aibs_allactive_directed" => ModelProcessing::AllActiveDirected,
                "aibs_perisomatic_fullaxon" => ModelProcessing::PerisomaticFullAxon,
                "aibs_allactive_fullaxon" => ModelProcessing::AllActiveFullAxon,
                "extracellular" | "set_extracellular" => continue,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown model_processing '{other}' for model_template 'ctdb:Biophys1.hoc'; supported: {}",
                        Self::SUPPORTED
                    )))
                }
            };
            if found.is_some() {
                return Err(Error::invalid(format!(
                    "model_processing '{name}' names more than one Allen processing"
                )));
            }
            found = Some(p);
        }
        found.ok_or_else(|| {
            Error::invalid(format!(
                "model_processing '{name}' sets no biophysics (bmtk would build a cell without membrane \
                 mechanisms); add an Allen processing: {}",
                Self::SUPPORTED
            ))
        })
    }

    fn axon(self) -> AxonProcessing {
        match self {
            ModelProcessing::Perisomatic => AxonProcessing::Perisomatic,
            ModelProcessing::AllActive => AxonProcessing::AllActive,
            ModelProcessing::PerisomaticDirected => AxonProcessing::PerisomaticDirected,
            ModelProcessing::AllActiveDirected => AxonProcessing::AllActiveDirected,
            ModelProcessing::PerisomaticFullAxon | ModelProcessing::AllActiveFullAxon => {
                AxonProcessing::None
            }
        }
    }

    fn allactive(self) -> bool {
        matches!(
            self,
            ModelProcessing::AllActive
                | ModelProcessing::AllActiveDirected
                | ModelProcessing::AllActiveFullAxon
        )
    }
}

/// What one section type carries.
#[derive(Debug, Clone)]
pub struct SectionProps {
    pub ra: f64,
    pub cm: f64,
    /// Inserted mechanisms (registry index) with the parameters set on them, last write wins.
    pub mechs: Vec<(usize, Vec<(String, f64)>)>,
    pub ena: Option<f64>,
    pub ek: Option<f64>,
}

impl Default for SectionProps {
    fn default() -> Self {
        SectionProps {
            ra: DEFAULT_RA,
            cm: DEFAULT_CM,
            mechs: Vec::new(),
            ena: None,
            ek: None,
        }
    }
}

impl SectionProps {
    pub(crate) fn insert(&mut self, reg: usize) {
        if !self.mechs.iter().any(|(r, _)| *r == reg) {
            self.mechs.push((reg, Vec::new()));
        }
    }

    fn set_mech_param(&mut self, reg: usize, name: &str, value: f64) {
        if let Some((_, params)) = self.mechs.iter_mut().find(|(r, _)| *r == reg) {
            match params.iter_mut().find(|(n, _)| n == name) {
                Some(p) => p.1 = value,
                None => params.push((name.to_string(), value)),
            }
        }
    }
}

/// The section types BMTK's functions address by `sec.name().split(".")[1][:4]`.
const KINDS: [(i32, &str); 4] = [
    (SOMA, "soma"),
    (AXON, "axon"),
    (DEND, "dend"),
    (APIC, "apic"),
];

fn kind_of(name: &str) -> Option<i32> {
    KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
}

/// Per section type (indexed by SWC type 1..=4) the values bmtk sets, plus the conditions.
#[derive(Debug, Clone)]
pub struct Biophysics {
    pub props: [SectionProps; 5],
    pub celsius: Option<f64>,
    pub v_init: Option<f64>,
}

/// Reading helpers that name the file and the key path in every error.
struct Doc<'a> {
    path: &'a Path,
}

impl Doc<'_> {
    fn missing(&self, key: &str) -> Error {
        Error::format(self.path, format!("missing key '{key}'"))
    }

    fn bad(&self, key: &str, expected: &str) -> Error {
        Error::format(self.path, format!("'{key}': expected {expected}"))
    }

    fn get<'v>(&self, v: &'v Value, key: &str, at: &str) -> Result<&'v Value> {
        v.get(key).ok_or_else(|| self.missing(&join(at, key)))
    }

    /// `d[key][0]` (BMTK's `passive`/`conditions` are one-element lists).
    fn first<'v>(&self, v: &'v Value, key: &str) -> Result<&'v Value> {
        let x = self.get(v, key, "")?;
        match x {
            Value::Array(a) => a.first().ok_or_else(|| self.missing(&format!("{key}[0]"))),
            _ => Err(self.bad(key, "a list (BMTK reads its first element)")),
        }
    }

    fn list<'v>(&self, v: &'v Value, key: &str, at: &str) -> Result<&'v [Value]> {
        match self.get(v, key, at)? {
            Value::Array(a) => Ok(a),
            _ => Err(self.bad(&join(at, key), "a list")),
        }
    }

    fn num(&self, v: &Value, key: &str, at: &str) -> Result<f64> {
        let x = self.get(v, key, at)?;
        self.as_num(x, &join(at, key))
    }

    /// A number, or (as Python's float() reads it) a numeric string.
    fn as_num(&self, x: &Value, key: &str) -> Result<f64> {
        let f = match x {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match f {
            Some(f) if f.is_finite() => Ok(f),
            _ => Err(self.bad(key, &format!("a finite number, got {x}"))),
        }
    }

    fn string<'v>(&self, v: &'v Value, key: &str, at: &str) -> Result<&'v str> {
        match self.get(v, key, at)? {
            Value::String(s) => Ok(s),
            other => Err(self.bad(&join(at, key), &format!("a string, got {other}"))),
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// Applies `setattr(sec, name, value)` of a genome entry to the sections of one type, as NEURON
/// resolves the name: `Ra`, `cm`, `ena`, `ek`, or `<param>_<mechanism>` of an inserted mechanism.
pub(crate) fn set_attr(
    p: &mut SectionProps,
    name: &str,
    value: f64,
    user: &UserMechs,
) -> std::result::Result<(), String> {
    match name {
        "Ra" => {
            p.ra = value;
            return Ok(());
        }
        "cm" => {
            p.cm = value;
            return Ok(());
        }
        "ena" => {
            p.ena = Some(value);
            return Ok(());
        }
        "ek" => {
            p.ek = Some(value);
            return Ok(());
        }
        _ => {}
    }
    for (idx, suffix) in all_entries(user) {
        let Some(param) = name.strip_suffix(suffix).and_then(|s| s.strip_suffix('_')) else {
            continue;
        };
        if !p.mechs.iter().any(|(m, _)| *m == idx) {
            return Err(format!(
                "'{name}' belongs to mechanism '{suffix}', which is not inserted in these sections"
            ));
        }
        let Some(spec) = create_index(idx, Vec::new())
            .map_err(|e| e.to_string())?
            .params()
            .iter()
            .find(|s| s.name == param)
            .copied()
        else {
            return Err(format!("mechanism '{suffix}' has no parameter '{param}'"));
        };
        if spec.kind == ParamKind::Global {
            return Err(format!(
                "'{name}' is a GLOBAL parameter of '{suffix}' in NEURON and cannot be set per section"
            ));
        }
        p.set_mech_param(idx, param, value);
        return Ok(());
    }
    Err(format!(
        "'{name}' is neither Ra, cm, ena, ek nor <parameter>_<mechanism> of a known mechanism"
    ))
}

impl Biophysics {
    /// Reads a fit json and applies it as the given model processing does, to sections of the
    /// types in `present` (the types of the cell's sections after the axon processing).
    pub fn from_fit_file(
        path: &Path,
        processing: ModelProcessing,
        present: &[i32],
        user: &UserMechs,
    ) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
        let json: Value = serde_json::from_str(&text)
            .map_err(|e| Error::format(path, format!("not valid JSON: {e}")))?;
        Self::from_fit(&json, path, processing, present, user)
    }

    pub fn from_fit(
        json: &Value,
        path: &Path,
        processing: ModelProcessing,
        present: &[i32],
        user: &UserMechs,
    ) -> Result<Self> {
        let doc = Doc { path };
        if !json.is_object() {
            return Err(Error::format(path, "expected a JSON object (a fit json)"));
        }
        let passive = doc.first(json, "passive")?;
        let conditions = doc.first(json, "conditions")?;
        let genome = doc.list(json, "genome", "")?;
        let mut props: [SectionProps; 5] = Default::default();
        let has = |k: i32| present.contains(&k);
        let pas = lookup("pas")?.0;
        let allactive = processing.allactive();

        if allactive {
            for (k, _) in KINDS {
                props[k as usize].insert(pas);
            }
            if let Some(e) = passive.get("e_pas") {
                let e = doc.as_num(e, "passive[0].e_pas")?;
                for (k, _) in KINDS {
                    props[k as usize].set_mech_param(pas, "e", e);
                }
            }
            if let Some(ra) = passive.get("ra") {
                let ra = doc.as_num(ra, "passive[0].ra")?;
                for (k, _) in KINDS {
                    props[k as usize].ra = ra;
                }
            }
            if passive.get("cm").is_some() {
                for (i, c) in doc.list(passive, "cm", "passive[0]")?.iter().enumerate() {
                    let at = format!("passive[0].cm[{i}]");
                    let cm = doc.num(c, "cm", &at)?;
                    let sec = doc.string(c, "section", &at)?;
                    if let Some(k) = kind_of(sec) {
                        props[k as usize].cm = cm;
                    }
                }
            }
        } else {
            let ra = doc.num(passive, "ra", "passive[0]")?;
            let e_pas = doc.num(passive, "e_pas", "passive[0]")?;
            let mut cm = [None; 5];
            for (i, c) in doc.list(passive, "cm", "passive[0]")?.iter().enumerate() {
                let at = format!("passive[0].cm[{i}]");
                let sec = doc.string(c, "section", &at)?;
                let v = doc.num(c, "cm", &at)?;
                if let Some(k) = kind_of(sec) {
                    cm[k as usize] = Some(v);
                }
            }
            for (k, name) in KINDS {
                let p = &mut props[k as usize];
                p.ra = ra;
                p.insert(pas);
                p.set_mech_param(pas, "e", e_pas);
                if has(k) {
                    p.cm = cm[k as usize].ok_or_else(|| {
                        Error::format(
                            path,
                            format!(
                                "missing key 'passive[0].cm' entry for section '{name}' \
                                 (the cell has {name} sections)"
                            ),
                        )
                    })?;
                }
            }
        }

        for (i, g) in genome.iter().enumerate() {
            let at = format!("genome[{i}]");
            let section = doc.string(g, "section", &at)?;
            if allactive && section == "glob" {
                continue;
            }
            let name = doc.string(g, "name", &at)?;
            let value = doc.num(g, "value", &at)?;
            let mechanism = match g.get("mechanism") {
                Some(Value::String(s)) => s.as_str(),
                Some(other) => {
                    return Err(doc.bad(
                        &format!("{at}.mechanism"),
                        &format!("a string, got {other}"),
                    ))
                }
                None if allactive => "",
                None => return Err(doc.missing(&format!("{at}.mechanism"))),
            };
            let Some(kind) = kind_of(section) else {
                continue; // no section of that name: bmtk's loop selects nothing
            };
            if !has(kind) {
                continue;
            }
            let p = &mut props[kind as usize];
            if !mechanism.is_empty() {
                let reg = lookup_index(mechanism, user).map_err(|e| {
                    Error::format(path, format!("'{at}.mechanism' (section '{section}'): {e}"))
                })?;
                p.insert(reg);
            }
            set_attr(p, name, value, user).map_err(|e| {
                Error::format(path, format!("'{at}.name' (section '{section}'): {e}"))
            })?;
        }

        for (i, e) in doc
            .list(conditions, "erev", "conditions[0]")?
            .iter()
            .enumerate()
        {
            let at = format!("conditions[0].erev[{i}]");
            let section = doc.string(e, "section", &at)?;
            let ena = doc.num(e, "ena", &at)?;
            let ek = doc.num(e, "ek", &at)?;
            if let Some(k) = kind_of(section) {
                props[k as usize].ena = Some(ena);
                props[k as usize].ek = Some(ek);
            }
        }

        let opt = |key: &str| -> Result<Option<f64>> {
            conditions
                .get(key)
                .map(|v| doc.as_num(v, &format!("conditions[0].{key}")))
                .transpose()
        };
        Ok(Biophysics {
            props,
            celsius: opt("celsius")?,
            v_init: opt("v_init")?,
        })
    }
}

/// One mechanism over all its instances in a cell.
#[derive(Debug, Clone)]
pub struct MechPlacement {
    /// Registry index (run order).
    pub reg: usize,
    /// Node of every instance.
    pub nodes: Vec<u32>,
    /// Parameters set by the model: one value per instance.
    pub params: Vec<(String, Vec<f64>)>,
}

/// A cell ready to simulate: geometry, per-node membrane properties and mechanism instances.
#[derive(Debug, Clone)]
pub struct CellModel {
    pub morphology: Morphology,
    pub geometry: CellGeometry,
    /// Specific capacitance per node (uF/cm2; unused at zero-area nodes).
    pub cm: Vec<f64>,
    pub mechs: Vec<MechPlacement>,
    /// ena / ek set by the model per node (None keeps NEURON's default).
    pub ena: Vec<Option<f64>>,
    pub ek: Vec<Option<f64>>,
    /// soma[0](0.5): where BMTK puts the spike detector and current clamps.
    pub soma_node: usize,
    pub celsius: Option<f64>,
    pub v_init: Option<f64>,
}

impl CellModel {
    /// `ctdb:Biophys1.hoc` + model_processing + fit json; `dl` is the config's `dL` (None: one
    /// segment per section). A `.nml` file instead of the fit json is a NeuroML2 cell
    /// (`nml:` template): BMTK always gives those the perisomatic axon stub and no processing.
    /// Mechanism names resolve through `user` (a config's .mod files) before the built-in ones.
    pub fn build(
        swc: &Path,
        fit_json: &Path,
        processing: ModelProcessing,
        dl: Option<f64>,
        user: &UserMechs,
    ) -> Result<CellModel> {
        if fit_json
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("nml"))
        {
            let morphology = build_cell(swc, ModelProcessing::Perisomatic.axon(), dl)?;
            let bio = Biophysics::from_nml_file(fit_json, user)?;
            return Self::assemble(morphology, &bio);
        }
        let morphology = build_cell(swc, processing.axon(), dl)?;
        let mut present: Vec<i32> = morphology.sections.iter().map(|s| s.kind).collect();
        present.sort_unstable();
        present.dedup();
        let bio = Biophysics::from_fit_file(fit_json, processing, &present, user)?;
        Self::assemble(morphology, &bio)
    }

    pub fn assemble(morphology: Morphology, bio: &Biophysics) -> Result<CellModel> {
        let props = &bio.props;
        let prop = |kind: i32| props.get(kind as usize).filter(|_| kind > 0);
        for s in &morphology.sections {
            if prop(s.kind).is_none() {
                return Err(Error::invalid(format!(
                    "section {} has SWC type {}; supported: 1 (soma), 2 (axon), 3 (dend), 4 (apic)",
                    s.name(),
                    s.kind
                )));
            }
        }
        let ra = |kind: i32| prop(kind).map_or(DEFAULT_RA, |p| p.ra);
        let geometry = morphology.geometry(&ra, None, None)?;
        let n = geometry.n_nodes();
        let seg_nodes: Vec<usize> = geometry.seg_node.clone();

        let mut cm = vec![0.0; n];
        let mut ena = vec![None; n];
        let mut ek = vec![None; n];
        for &i in &seg_nodes {
            let p = &props[geometry.node_kind[i] as usize];
            cm[i] = p.cm;
            ena[i] = p.ena;
            ek[i] = p.ek;
        }

        let mut mechs = Vec::new();
        // run order: NEURON's (its built-ins, the concentration writers, then the mechanism
        // folder's files by name; the built-in Allen channels stand for bmtk's files)
        let mut used: Vec<usize> = props
            .iter()
            .flat_map(|p| p.mechs.iter().map(|(m, _)| *m))
            .collect();
        used.sort_unstable();
        used.dedup();
        used.sort_by_cached_key(|&r| user::run_rank(r));
        for reg in used {
            let mut nodes = Vec::new();
            let mut kinds = Vec::new();
            for &i in &seg_nodes {
                let k = geometry.node_kind[i];
                if props[k as usize].mechs.iter().any(|(m, _)| *m == reg) {
                    nodes.push(i as u32);
                    kinds.push(k);
                }
            }
            if nodes.is_empty() {
                continue;
            }
            let specs = create_index(reg, Vec::new())?.params();
            let mut names: Vec<String> = Vec::new();
            for p in props.iter() {
                for (m, params) in &p.mechs {
                    if *m == reg {
                        for (name, _) in params {
                            if !names.contains(name) {
                                names.push(name.clone());
                            }
                        }
                    }
                }
            }
            let params = names
                .into_iter()
                .map(|name| {
                    let default = param_default(specs, &name);
                    let values = kinds
                        .iter()
                        .map(|&k| {
                            props[k as usize]
                                .mechs
                                .iter()
                                .find(|(m, _)| *m == reg)
                                .and_then(|(_, ps)| ps.iter().find(|(nm, _)| *nm == name))
                                .map_or(default, |(_, v)| *v)
                        })
                        .collect();
                    (name, values)
                })
                .collect();
            mechs.push(MechPlacement { reg, nodes, params });
        }

        let soma_node = soma_node(&morphology, &seg_nodes)?;

        Ok(CellModel {
            morphology,
            geometry,
            cm,
            mechs,
            ena,
            ek,
            soma_node,
            celsius: bio.celsius,
            v_init: bio.v_init,
        })
    }

    /// Number of segments (compartments with membrane).
    pub fn n_segments(&self) -> usize {
        self.geometry.seg_node.len()
    }
}

/// A mechanism parameter's NEURON default (0 for a name the mechanism lacks, which callers reject
/// before).
pub(crate) fn param_default(specs: &[ParamSpec], name: &str) -> f64 {
    specs
        .iter()
        .find(|s| s.name == name)
        .map_or(0.0, |s| s.default)
}

/// soma[0](0.5)'s node.
pub(crate) fn soma_node(morphology: &Morphology, seg_nodes: &[usize]) -> Result<usize> {
    let soma0 = morphology
        .sections
        .iter()
        .position(|s| s.kind == SOMA && s.name_index == 0)
        .ok_or_else(|| Error::invalid("the morphology has no soma[0]"))?;
    let offset: usize = morphology.sections[..soma0].iter().map(|s| s.nseg).sum();
    let nseg = morphology.sections[soma0].nseg;
    Ok(seg_nodes[offset + ((0.5 * nseg as f64) as usize).min(nseg - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(text: &str, processing: ModelProcessing) -> Result<Biophysics> {
        let v: Value = serde_json::from_str(text).unwrap();
        Biophysics::from_fit(
            &v,
            Path::new("fit.json"),
            processing,
            &[SOMA, AXON, DEND],
            &UserMechs::default(),
        )
    }

    const PERI: &str = r#"{"passive": [{"ra": 100, "e_pas": -80,
        "cm": [{"section": "soma", "cm": 1.5}, {"section": "axon", "cm": 1}, {"section": "dend", "cm": 2}]}],
        "conditions": [{"celsius": 34, "v_init": -80, "erev": [{"section": "soma", "ena": 53, "ek": -107}]}],
        "genome": [{"section": "soma", "name": "gbar_NaTs", "value": 0.5, "mechanism": "NaTs"},
                   {"section": "dend", "name": "g_pas", "value": 1e-4, "mechanism": ""}]}"#;

    #[test]
    fn perisomatic_applies_passive_genome_and_erev() {
        let b = fit(PERI, ModelProcessing::Perisomatic).unwrap();
        let soma = &b.props[SOMA as usize];
        assert_eq!(
            (soma.ra, soma.cm, soma.ena, soma.ek),
            (100.0, 1.5, Some(53.0), Some(-107.0))
        );
        let nats = lookup("NaTs").unwrap().0;
        assert!(soma
            .mechs
            .iter()
            .any(|(m, p)| *m == nats && p == &[("gbar".to_string(), 0.5)]));
        let dend = &b.props[DEND as usize];
        assert_eq!(dend.cm, 2.0);
        assert_eq!(
            dend.mechs[0].1,
            vec![("e".into(), -80.0), ("g".into(), 1e-4)]
        );
        assert_eq!((b.celsius, b.v_init), (Some(34.0), Some(-80.0)));
    }

    #[test]
    fn errors_name_the_key() {
        let e = fit(
            &PERI.replace("\"e_pas\": -80,", ""),
            ModelProcessing::Perisomatic,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("fit.json") && e.contains("passive[0].e_pas"),
            "{e}"
        );
        let e = fit(
            &PERI.replace("\"mechanism\": \"NaTs\"", "\"mechanism\": \"NaX\""),
            ModelProcessing::Perisomatic,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("genome[0].mechanism") && e.contains("NaX") && e.contains("supported"),
            "{e}"
        );
        let e = fit(
            &PERI.replace(
                "{\"section\": \"dend\", \"cm\": 2}",
                "{\"section\": \"apic\", \"cm\": 2}",
            ),
            ModelProcessing::Perisomatic,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("passive[0].cm") && e.contains("dend"), "{e}");
        let e = fit(
            &PERI.replace("gbar_NaTs", "gmax_NaTs"),
            ModelProcessing::Perisomatic,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("genome[0].name") && e.contains("gmax"), "{e}");
        let e = fit(
            &PERI.replace("\"genome\"", "\"genomes\""),
            ModelProcessing::AllActive,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("missing key 'genome'"), "{e}");
    }

    #[test]
    fn allactive_defaults_and_glob() {
        let text = r#"{"passive": [{"ra": 90}], "conditions": [{"erev": []}],
            "genome": [{"section": "glob", "name": "x", "value": 1},
                       {"section": "soma", "name": "cm", "value": "2.5"},
                       {"section": "axon", "name": "e_pas", "value": -70.5}]}"#;
        let b = fit(text, ModelProcessing::AllActive).unwrap();
        assert_eq!(b.props[SOMA as usize].cm, 2.5);
        assert_eq!(b.props[DEND as usize].cm, DEFAULT_CM);
        assert_eq!(b.props[AXON as usize].ra, 90.0);
        assert_eq!(b.props[AXON as usize].mechs[0].1, vec![("e".into(), -70.5)]);
        assert!(fit(text, ModelProcessing::Perisomatic).is_err());
    }
}
