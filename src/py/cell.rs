//! Python bindings of whole biophysical cells (src/bionet/cell.rs + solver.rs).

use std::path::PathBuf;
use std::time::Instant;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

use super::convert::IntoPyResult;
use crate::bionet::cell::{CellModel, ModelProcessing};
use crate::bionet::mechanisms::user::UserMechs;
use crate::bionet::solver::{n_steps, run, run_nodes, CellSim, IClamp, RunConditions};
use crate::error::{Error, Result};

/// (amp nA, delay ms, dur ms), one tuple or a list of them.
fn clamps(iclamp: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(f64, f64, f64)>> {
    let Some(obj) = iclamp else {
        return Ok(Vec::new());
    };
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(one) = obj.extract::<(f64, f64, f64)>() {
        return Ok(vec![one]);
    }
    obj.extract::<Vec<(f64, f64, f64)>>().map_err(|_| {
        PyValueError::new_err(
            "iclamp: expected (amp nA, delay ms, dur ms) or a list of such tuples",
        )
    })
}

fn conditions(
    model: &CellModel,
    dt: f64,
    celsius: Option<f64>,
    v_init: Option<f64>,
    spike_threshold: f64,
) -> Result<RunConditions> {
    let celsius = celsius.or(model.celsius).ok_or_else(|| {
        Error::invalid("celsius not given and the fit json has no conditions[0].celsius")
    })?;
    let v_init = v_init.or(model.v_init).ok_or_else(|| {
        Error::invalid("v_init not given and the fit json has no conditions[0].v_init")
    })?;
    Ok(RunConditions {
        dt,
        celsius,
        v_init,
        spike_threshold,
    })
}

fn stims(model: &CellModel, c: &[(f64, f64, f64)]) -> Vec<IClamp> {
    c.iter()
        .map(|&(amp, delay, dur)| IClamp {
            node: model.soma_node,
            amp,
            delay,
            dur,
        })
        .collect()
}

/// One `ctdb:Biophys1.hoc` cell (SWC + model_processing + fit json, nseg from `dL`) under IClamps
/// at soma(0.5), simulated with NEURON's fixed step for `tstop` ms. `celsius` and `v_init` default
/// to the fit json's conditions; spikes are upward crossings of `spike_threshold` at soma(0.5)
/// (BMTK's default -15 mV). Returns `(times, v, spike_times)`: samples at t = 0 and after every
/// step of the soma(0.5) voltage (`record='soma'`), or of every segment (`record='all'`, shape
/// (samples, segments), segments in BMTK's order: sections as hobj.all, segments by x), or none
/// (`record=None`); spike times in ms.
#[pyfunction]
#[pyo3(signature = (swc, fit_json, model_processing="aibs_perisomatic", dL=Some(20.0), iclamp=None,
                    tstop=1000.0, dt=0.1, spike_threshold=-15.0, celsius=None, v_init=None,
                    record=Some("soma")))]
#[allow(clippy::too_many_arguments, non_snake_case, clippy::type_complexity)]
pub fn run_single_cell<'py>(
    py: Python<'py>,
    swc: PathBuf,
    fit_json: PathBuf,
    model_processing: &str,
    dL: Option<f64>,
    iclamp: Option<&Bound<'py, PyAny>>,
    tstop: f64,
    dt: f64,
    spike_threshold: f64,
    celsius: Option<f64>,
    v_init: Option<f64>,
    record: Option<&str>,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyAny>,
    Bound<'py, PyArray1<f64>>,
)> {
    let record = match record {
        None => Record::Nothing,
        Some("soma") => Record::Soma,
        Some("all") => Record::All,
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "record: '{other}' is not supported; use 'soma', 'all' or None"
            )))
        }
    };
    let processing = ModelProcessing::from_name(model_processing).py()?;
    let clamps = clamps(iclamp)?;
    let nsteps = n_steps(tstop, dt).py()?;
    let (v, spikes, width) = py
        .detach(|| -> Result<_> {
            let model = CellModel::build(&swc, &fit_json, processing, dL, &Default::default())?;
            let cond = conditions(&model, dt, celsius, v_init, spike_threshold)?;
            let mut sim = CellSim::new(&model, cond, &stims(&model, &clamps))?;
            match record {
                Record::All => {
                    let nodes = &model.geometry.seg_node;
                    if (nsteps as f64 + 1.0) * nodes.len() as f64 > 5e8 {
                        return Err(Error::invalid(format!(
                            "tstop={tstop} ms at dt={dt} ms for {} segments would record more than 5e8 samples",
                            nodes.len()
                        )));
                    }
                    let (v, spikes) = run_nodes(&mut sim, tstop, nodes)?;
                    Ok((v, spikes, nodes.len()))
                }
                _ => {
                    if nsteps > 500_000_000 {
                        return Err(Error::invalid(format!(
                            "tstop={tstop} ms at dt={dt} ms would record more than 5e8 samples"
                        )));
                    }
                    let t = run(&mut sim, tstop, record == Record::Soma)?.swap_remove(0);
                    Ok((t.v_soma, t.spikes, 1))
                }
            }
        })
        .py()?;
    let nsamples = v.len() / width;
    let times: Vec<f64> = (0..nsamples).map(|k| k as f64 * dt).collect();
    let v = PyArray1::from_vec(py, v);
    let v = if record == Record::All {
        v.reshape([nsamples, width])?.into_any()
    } else {
        v.into_any()
    };
    Ok((
        PyArray1::from_vec(py, times),
        v,
        PyArray1::from_vec(py, spikes),
    ))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Record {
    Nothing,
    Soma,
    All,
}

/// Benchmark helper: `n_cells` identical unconnected cells. The cell model is built once from
/// its files (as a network builds each distinct morphology/model once), then the cells are
/// instantiated in groups of `lanes` copies simulated in lockstep, and the groups run for `tstop`
/// ms on `threads` threads (rayon). Returns a dict: build_s, run_s, n_cells, n_segments (total),
/// n_steps, spike_counts (list, one per cell). `modfiles`: .mod files whose density mechanisms
/// the fit's names resolve to first (replacing built-ins of the same name, as a config's
/// mechanisms_dir does).
#[pyfunction]
#[pyo3(signature = (swc, fit_json, n_cells, model_processing="aibs_perisomatic", dL=Some(20.0),
                    iclamp=None, tstop=1000.0, dt=0.1, spike_threshold=-15.0, celsius=None,
                    v_init=None, threads=1, lanes=16, modfiles=None))]
#[allow(clippy::too_many_arguments, non_snake_case)]
pub fn run_cells<'py>(
    py: Python<'py>,
    swc: PathBuf,
    fit_json: PathBuf,
    n_cells: usize,
    model_processing: &str,
    dL: Option<f64>,
    iclamp: Option<&Bound<'py, PyAny>>,
    tstop: f64,
    dt: f64,
    spike_threshold: f64,
    celsius: Option<f64>,
    v_init: Option<f64>,
    threads: usize,
    lanes: usize,
    modfiles: Option<Vec<PathBuf>>,
) -> PyResult<Bound<'py, PyDict>> {
    let processing = ModelProcessing::from_name(model_processing).py()?;
    let mut user = UserMechs::default();
    for f in modfiles.unwrap_or_default() {
        let m = crate::nmodl::load_file(&f).py()?;
        if m.kind == crate::nmodl::Kind::Density {
            user.add(m).py()?;
        }
    }
    let clamps = clamps(iclamp)?;
    let nsteps = n_steps(tstop, dt).py()?;
    let lanes = lanes.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| PyValueError::new_err(format!("threads: {e}")))?;
    let (build_s, run_s, nseg, counts) = py
        .detach(|| -> Result<_> {
            pool.install(|| {
                let t0 = Instant::now();
                let model = CellModel::build(&swc, &fit_json, processing, dL, &user)?;
                let cond = conditions(&model, dt, celsius, v_init, spike_threshold)?;
                let one = stims(&model, &clamps);
                let sizes: Vec<usize> = (0..n_cells)
                    .step_by(lanes)
                    .map(|start| lanes.min(n_cells - start))
                    .collect();
                let sims: Vec<CellSim> = sizes
                    .par_iter()
                    .map(|&size| {
                        let s: Vec<(usize, IClamp)> = (0..size)
                            .flat_map(|l| one.iter().map(move |c| (l, *c)))
                            .collect();
                        CellSim::group(&model, cond, size, &s)
                    })
                    .collect::<Result<_>>()?;
                let build_s = t0.elapsed().as_secs_f64();
                let nseg = model.n_segments() * n_cells;
                let t1 = Instant::now();
                let counts: Vec<Vec<usize>> = sims
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|mut sim| {
                        run(&mut sim, tstop, false)
                            .map(|t| t.iter().map(|c| c.spikes.len()).collect())
                    })
                    .collect::<Result<_>>()?;
                let counts: Vec<usize> = counts.into_iter().flatten().collect();
                Ok((build_s, t1.elapsed().as_secs_f64(), nseg, counts))
            })
        })
        .py()?;
    let d = PyDict::new(py);
    d.set_item("build_s", build_s)?;
    d.set_item("run_s", run_s)?;
    d.set_item("n_cells", n_cells)?;
    d.set_item("n_segments", nseg)?;
    d.set_item("n_steps", nsteps)?;
    d.set_item("lanes", lanes)?;
    d.set_item("spike_counts", counts)?;
    Ok(d)
}
