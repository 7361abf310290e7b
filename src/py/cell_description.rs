//! Python binding of cell descriptions (src/bionet/cell_description.rs): the sections of an SWC
//! as Import3d builds them, handed to bmtk-rs's Python cell object (what a user's
//! model_processing function edits), and the edited sections read back.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert::IntoPyResult;
use crate::bionet::cell_description::{CellDescription, ParamValues, SectionDesc};
use crate::bionet::morphology::{one_segment_diam, Morphology};

/// One section as Python's cell object hands it back (a dict with these keys).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct SectionIn {
    kind: i32,
    name_index: usize,
    parent: Option<usize>,
    parent_x: f64,
    pts: Vec<[f32; 4]>,
    logical: Option<[f32; 3]>,
    length: f64,
    diam: f64,
    nseg: usize,
    ra: f64,
    cm: Vec<f64>,
    ena: Vec<f64>,
    ek: Vec<f64>,
    mechs: Vec<(String, ParamValues)>,
}

pub fn description(sections: Vec<SectionIn>, define_shape: bool) -> CellDescription {
    CellDescription {
        sections: sections
            .into_iter()
            .map(|s| SectionDesc {
                kind: s.kind,
                name_index: s.name_index,
                parent: s.parent,
                parent_x: s.parent_x,
                pts: s.pts,
                logical: s.logical,
                length: s.length,
                diam: s.diam,
                nseg: s.nseg,
                ra: s.ra,
                cm: s.cm,
                ena: s.ena,
                ek: s.ek,
                mechs: s.mechs,
            })
            .collect(),
        define_shape,
    }
}

/// The sections of an SWC file as NEURON's Import3d builds them (bmtk's `Biophys1` cell before
/// any model_processing), in `hobj.all` order: a list of dicts with `kind` (SWC type),
/// `name_index`, `parent` (index or None), `parent_x`, `pts` ([x, y, z, diam] per 3-d point),
/// `logical` (Import3d's connection point or None), `length` (L, um) and `diam` (sec.diam at
/// nseg = 1).
#[pyfunction]
pub fn swc_sections<'py>(
    py: Python<'py>,
    swc_path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyList>> {
    let m = Morphology::from_swc_file(&swc_path).py()?;
    let out = PyList::empty(py);
    for s in &m.sections {
        let d = PyDict::new(py);
        d.set_item("kind", s.kind)?;
        d.set_item("name_index", s.name_index)?;
        d.set_item("parent", s.parent)?;
        d.set_item("parent_x", s.parent_x)?;
        let pts: Vec<[f32; 4]> = s.pts.iter().map(|p| [p.x, p.y, p.z, p.d]).collect();
        d.set_item("pts", pts)?;
        d.set_item("logical", s.logical)?;
        d.set_item("length", s.length())?;
        d.set_item(
            "diam",
            if s.pts.len() >= 2 {
                one_segment_diam(s)
            } else {
                0.0
            },
        )?;
        out.append(d)?;
    }
    Ok(out)
}
