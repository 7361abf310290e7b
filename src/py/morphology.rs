//! Python binding of the cell geometry (src/bionet/morphology.rs).

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert::IntoPyResult;
use crate::bionet::morphology::{build_cell, type_name, AxonProcessing, APIC, AXON, DEND, SOMA};

fn xyz<'py>(py: Python<'py>, v: &[[f64; 3]]) -> PyResult<Bound<'py, PyAny>> {
    let flat: Vec<f64> = v.iter().flatten().copied().collect();
    Ok(PyArray1::from_vec(py, flat)
        .reshape([v.len(), 3])?
        .into_any())
}

/// Ra (ohm cm) per section type from a number or a dict {'soma': .., 'axon': .., 'dend': ..,
/// 'apic': ..}; a dict must name every type it is used for.
fn ra_table(ra: &Bound<'_, PyAny>) -> PyResult<[Option<f64>; 5]> {
    if let Ok(v) = ra.extract::<f64>() {
        return Ok([Some(v); 5]);
    }
    let d = ra.cast::<PyDict>().map_err(|_| {
        PyValueError::new_err("Ra must be a number (ohm cm) or a dict of section type -> number")
    })?;
    let mut t = [None; 5];
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        let kind = match key.as_str() {
            "soma" | "somatic" => SOMA,
            "axon" | "axonal" => AXON,
            "dend" | "basal" => DEND,
            "apic" | "apical" => APIC,
            other => {
                return Err(PyValueError::new_err(format!(
                    "Ra: unknown section type '{other}' (expected soma, axon, dend, apic)"
                )))
            }
        };
        t[kind as usize] = Some(v.extract()?);
    }
    Ok(t)
}

/// Builds one cell's geometry: NEURON's Import3d sections from the SWC, BMTK's axon processing
/// ('aibs_perisomatic', 'aibs_allactive' or 'none'), nseg from `dL` (None: one segment per
/// section), NEURON's segment areas and axial resistances, and BMTK's segment positions.
///
/// Returns a dict of numpy arrays over nodes in Hines order (parent < node): `parent`, `sec_id`,
/// `x`, `type` (SWC type), `area` (um2, 0 at x=0/1 nodes), `ri` (megohm to parent, inf for the
/// root), `diam`, `pos`/`p0`/`p1` (n x 3), `is_segment`; `seg_node` maps BMTK's segment index to
/// a node; per section (hobj.all order) `sec_names`, `sec_type`, `sec_parent`, `sec_parent_x`,
/// `sec_nseg`, `sec_L`; and `soma_pos`.
#[pyfunction]
#[pyo3(signature = (swc_path, model_processing="aibs_perisomatic", dL=Some(20.0), Ra=None, position=None, rotation=None))]
#[allow(non_snake_case)]
pub fn cell_geometry<'py>(
    py: Python<'py>,
    swc_path: std::path::PathBuf,
    model_processing: &str,
    dL: Option<f64>,
    Ra: Option<Bound<'py, PyAny>>,
    position: Option<[f64; 3]>,
    rotation: Option<[f64; 3]>,
) -> PyResult<Bound<'py, PyDict>> {
    let processing = AxonProcessing::from_name(model_processing).py()?;
    let ra = match &Ra {
        Some(r) => ra_table(r)?,
        None => [Some(100.0); 5],
    };
    let (m, g) = py
        .detach(|| {
            let m = build_cell(&swc_path, processing, dL)?;
            let missing = m
                .sections
                .iter()
                .find(|s| ra[s.kind.clamp(0, 4) as usize].is_none())
                .map(|s| s.kind);
            if let Some(k) = missing {
                return Err(crate::error::Error::invalid(format!(
                    "Ra has no value for section type '{}'",
                    type_name(k)
                )));
            }
            let g = m.geometry(
                &|k| ra[k.clamp(0, 4) as usize].unwrap_or(f64::NAN),
                position,
                rotation,
            )?;
            Ok((m, g))
        })
        .py()?;
    let out = PyDict::new(py);
    out.set_item("parent", PyArray1::from_slice(py, &g.node_parent))?;
    let sec: Vec<i64> = g.node_sec.iter().map(|&v| v as i64).collect();
    out.set_item("sec_id", PyArray1::from_vec(py, sec))?;
    out.set_item("x", PyArray1::from_slice(py, &g.node_x))?;
    out.set_item("type", PyArray1::from_slice(py, &g.node_kind))?;
    out.set_item("area", PyArray1::from_slice(py, &g.node_area))?;
    out.set_item("ri", PyArray1::from_slice(py, &g.node_ri))?;
    out.set_item("diam", PyArray1::from_slice(py, &g.node_diam))?;
    let is_seg: Vec<bool> = g.node_x.iter().map(|&x| x > 0.0 && x < 1.0).collect();
    out.set_item("is_segment", PyArray1::from_vec(py, is_seg))?;
    out.set_item("pos", xyz(py, &g.node_pos)?)?;
    out.set_item("p0", xyz(py, &g.node_p0)?)?;
    out.set_item("p1", xyz(py, &g.node_p1)?)?;
    let seg_node: Vec<i64> = g.seg_node.iter().map(|&v| v as i64).collect();
    out.set_item("seg_node", PyArray1::from_vec(py, seg_node))?;
    let names: Vec<String> = m.sections.iter().map(|s| s.name()).collect();
    out.set_item("sec_names", PyList::new(py, names)?)?;
    let t: Vec<i32> = m.sections.iter().map(|s| s.kind).collect();
    out.set_item("sec_type", PyArray1::from_vec(py, t))?;
    let p: Vec<i64> = m
        .sections
        .iter()
        .map(|s| s.parent.map(|p| p as i64).unwrap_or(-1))
        .collect();
    out.set_item("sec_parent", PyArray1::from_vec(py, p))?;
    let px: Vec<f64> = m
        .sections
        .iter()
        .map(|s| if s.parent.is_some() { s.parent_x } else { -1.0 })
        .collect();
    out.set_item("sec_parent_x", PyArray1::from_vec(py, px))?;
    let nseg: Vec<i64> = m.sections.iter().map(|s| s.nseg as i64).collect();
    out.set_item("sec_nseg", PyArray1::from_vec(py, nseg))?;
    let l: Vec<f64> = m.sections.iter().map(|s| s.length()).collect();
    out.set_item("sec_L", PyArray1::from_vec(py, l))?;
    out.set_item("soma_pos", PyArray1::from_slice(py, &g.soma_pos))?;
    Ok(out)
}
