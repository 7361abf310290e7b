//! Python bindings of BMTK's synapse placement (src/bionet/placement.rs) and numpy's legacy
//! RandomState (src/bionet/np_random.rs), for tests against numpy and bmtk.

use std::path::{Path, PathBuf};

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::IntoPyResult;
use crate::bionet::cell::{CellModel, ModelProcessing};
use crate::bionet::morphology::{build_cell, AxonProcessing, CellGeometry, Section};
use crate::bionet::np_random::{seed_u32, ChoiceCdf, RandomState};
use crate::bionet::placement::{SegmentTable, SynapsePlacer};
use crate::error::Result;

/// The cell as the engine builds it: with a fit json through `CellModel::build`, without one
/// the geometry of the SWC after the axon processing.
fn build(
    swc: &Path,
    fit_json: Option<&Path>,
    processing: &str,
    dl: Option<f64>,
) -> Result<(Vec<Section>, CellGeometry)> {
    match fit_json {
        Some(fit) => {
            let model = CellModel::build(
                swc,
                fit,
                ModelProcessing::from_name(processing)?,
                dl,
                &Default::default(),
            )?;
            Ok((model.morphology.sections, model.geometry))
        }
        None => {
            let m = build_cell(swc, AxonProcessing::from_name(processing)?, dl)?;
            let g = m.geometry(&|_| 100.0, None, None)?;
            Ok((m.sections, g))
        }
    }
}

/// `np.random.RandomState(seed).random_sample(n)`.
#[pyfunction]
pub fn legacy_random_sample(
    py: Python<'_>,
    seed: i128,
    n: usize,
) -> PyResult<Bound<'_, PyArray1<f64>>> {
    let mut r = RandomState::from_seed(seed).py()?;
    let v: Vec<f64> = (0..n).map(|_| r.random_sample()).collect();
    Ok(PyArray1::from_vec(py, v))
}

/// `np.random.RandomState(seed).uniform(low, high, n)`.
#[pyfunction]
pub fn legacy_uniform(
    py: Python<'_>,
    seed: i128,
    low: f64,
    high: f64,
    n: usize,
) -> PyResult<Bound<'_, PyArray1<f64>>> {
    let mut r = RandomState::from_seed(seed).py()?;
    let v: Vec<f64> = (0..n).map(|_| r.uniform(low, high)).collect();
    Ok(PyArray1::from_vec(py, v))
}

/// `np.random.RandomState(seed).choice(len(p), size, p=p)`: the drawn indices.
#[pyfunction]
pub fn legacy_choice(
    py: Python<'_>,
    seed: i128,
    size: usize,
    p: Vec<f64>,
) -> PyResult<Bound<'_, PyArray1<i64>>> {
    let mut r = RandomState::from_seed(seed).py()?;
    let cdf = ChoiceCdf::new(&p).py()?;
    let v: Vec<i64> = r.choice(&cdf, size).into_iter().map(|i| i as i64).collect();
    Ok(PyArray1::from_vec(py, v))
}

/// bmtk's per-segment table of a cell (its `seg_props`): dict of numpy arrays `sec_id`, `x`,
/// `type`, `length`, `dist`, `node` in bmtk's segment order.
#[pyfunction]
#[pyo3(signature = (swc_path, fit_json=None, model_processing="aibs_perisomatic", dL=Some(20.0)))]
#[allow(non_snake_case)]
pub fn synapse_segments<'py>(
    py: Python<'py>,
    swc_path: PathBuf,
    fit_json: Option<PathBuf>,
    model_processing: &str,
    dL: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let t = py
        .detach(|| {
            let (secs, g) = build(&swc_path, fit_json.as_deref(), model_processing, dL)?;
            SegmentTable::new(&g, &secs)
        })
        .py()?;
    let out = PyDict::new(py);
    let ints = |v: &[usize]| v.iter().map(|&i| i as i64).collect::<Vec<i64>>();
    out.set_item("sec_id", PyArray1::from_vec(py, ints(&t.sec_id)))?;
    out.set_item("x", PyArray1::from_slice(py, &t.x))?;
    out.set_item("type", PyArray1::from_slice(py, &t.kind))?;
    out.set_item("length", PyArray1::from_slice(py, &t.length))?;
    out.set_item("dist", PyArray1::from_slice(py, &t.dist))?;
    out.set_item("node", PyArray1::from_vec(py, ints(&t.node)))?;
    Ok(out)
}

type Request = (Vec<String>, (f64, f64), usize);

/// Places the synapses of a sequence of edges on one cell as bmtk does: `requests` is a list of
/// `(target_sections, distance_range, nsyns)` drawn in order from `RandomState(seed)`.
/// With `skip_unmatched` an edge without candidate segments is skipped (bmtk's warning case),
/// otherwise it raises ValueError. Returns `(sec_id, sec_x, node)` arrays over all synapses.
#[pyfunction]
#[pyo3(signature = (swc_path, seed, requests, fit_json=None, model_processing="aibs_perisomatic",
                    dL=Some(20.0), skip_unmatched=false))]
#[allow(non_snake_case, clippy::too_many_arguments, clippy::type_complexity)]
pub fn place_synapses<'py>(
    py: Python<'py>,
    swc_path: PathBuf,
    seed: i128,
    requests: Vec<Request>,
    fit_json: Option<PathBuf>,
    model_processing: &str,
    dL: Option<f64>,
    skip_unmatched: bool,
) -> PyResult<(
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i64>>,
)> {
    let seed = seed_u32(seed).py()?;
    let sites = py
        .detach(|| {
            let (secs, g) = build(&swc_path, fit_json.as_deref(), model_processing, dL)?;
            let mut placer = SynapsePlacer::new(&g, &secs, seed)?;
            let mut sites = Vec::new();
            for (names, (dmin, dmax), nsyns) in &requests {
                let range = [*dmin, *dmax];
                if skip_unmatched && placer.n_candidates(names, range)? == 0 {
                    continue;
                }
                sites.extend(placer.place(names, range, *nsyns)?);
            }
            Ok(sites)
        })
        .py()?;
    Ok((
        PyArray1::from_vec(py, sites.iter().map(|s| s.sec_id as i64).collect()),
        PyArray1::from_vec(py, sites.iter().map(|s| s.sec_x).collect()),
        PyArray1::from_vec(py, sites.iter().map(|s| s.node as i64).collect()),
    ))
}

/// The node NEURON attaches a point process at `sec(x)` to, for each `(sec_id, x)`.
#[pyfunction]
#[pyo3(signature = (swc_path, locations, fit_json=None, model_processing="aibs_perisomatic", dL=Some(20.0)))]
#[allow(non_snake_case)]
pub fn synapse_nodes<'py>(
    py: Python<'py>,
    swc_path: PathBuf,
    locations: Vec<(usize, f64)>,
    fit_json: Option<PathBuf>,
    model_processing: &str,
    dL: Option<f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let nodes = py
        .detach(|| {
            let (secs, g) = build(&swc_path, fit_json.as_deref(), model_processing, dL)?;
            let t = SegmentTable::new(&g, &secs)?;
            locations
                .iter()
                .map(|&(s, x)| t.node_at(s, x).map(|n| n as i64))
                .collect::<Result<Vec<i64>>>()
        })
        .py()?;
    Ok(PyArray1::from_vec(py, nodes))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(legacy_random_sample, m)?)?;
    m.add_function(wrap_pyfunction!(legacy_uniform, m)?)?;
    m.add_function(wrap_pyfunction!(legacy_choice, m)?)?;
    m.add_function(wrap_pyfunction!(synapse_segments, m)?)?;
    m.add_function(wrap_pyfunction!(place_synapses, m)?)?;
    m.add_function(wrap_pyfunction!(synapse_nodes, m)?)?;
    Ok(())
}
