//! Python bindings of PointNet's engine: build a network of point neurons and generators, run it,
//! read back spikes and recordings.

use std::collections::BTreeMap;

use numpy::{PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict};

use super::convert::IntoPyResult;
use crate::error::Error;
use crate::pointnet::{Emission, Engine, ParamValue, Params, SUPPORTED_MODELS};

fn param_value(key: &str, v: &Bound<'_, PyAny>) -> PyResult<ParamValue> {
    if v.is_instance_of::<PyBool>() {
        return Ok(ParamValue::Bool(v.extract()?));
    }
    if let Ok(x) = v.extract::<f64>() {
        return Ok(ParamValue::Num(x));
    }
    if let Ok(xs) = v.extract::<Vec<f64>>() {
        return Ok(ParamValue::List(xs));
    }
    Err(PyValueError::new_err(format!(
        "parameter '{key}': expected a number, a list of numbers or a bool, got {}",
        v.repr()?
    )))
}

fn params_of(d: &Bound<'_, PyDict>) -> PyResult<Params> {
    let mut m = BTreeMap::new();
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        let val = param_value(&key, &v)?;
        m.insert(key, val);
    }
    Ok(Params::new(m))
}

/// (time stamps in steps, values[time, node]) of a recording.
type PyRecording<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray2<f64>>);

#[pyclass(name = "PointEngine")]
pub struct PyPointEngine {
    inner: Engine,
}

#[pymethods]
impl PyPointEngine {
    #[new]
    fn new(dt: f64) -> PyResult<Self> {
        Ok(PyPointEngine {
            inner: Engine::new(dt).py()?,
        })
    }

    #[getter]
    fn step(&self) -> u64 {
        self.inner.step()
    }

    #[getter]
    fn n_nodes(&self) -> usize {
        self.inner.n_nodes()
    }

    /// Adds `n` neurons of a NEST model with NEST-named parameters; returns the first node id.
    /// Under MPI `local` marks the ones this rank simulates.
    #[pyo3(signature = (model, params, n, local=None))]
    fn add_neurons(
        &mut self,
        model: &str,
        params: &Bound<'_, PyDict>,
        n: usize,
        local: Option<PyReadonlyArray1<'_, bool>>,
    ) -> PyResult<usize> {
        let p = params_of(params)?;
        let mask = match &local {
            Some(a) => Some(a.as_slice()?),
            None => None,
        };
        self.inner.add_neurons_on(model, &p, n, mask).py()
    }

    fn add_spike_generators(
        &mut self,
        offsets: PyReadonlyArray1<'_, i64>,
        times: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<usize> {
        let offs: Vec<usize> = offsets
            .as_array()
            .iter()
            .map(|&o| o.max(0) as usize)
            .collect();
        let t = times.as_array().to_vec();
        if offs.last().copied().unwrap_or(0) > t.len() {
            return Err(PyValueError::new_err(
                "spike generator offsets run past the spike times",
            ));
        }
        self.inner.add_spike_generators(&offs, &t).py()
    }

    fn connect(
        &mut self,
        sources: PyReadonlyArray1<'_, u32>,
        targets: PyReadonlyArray1<'_, u32>,
        weights: PyReadonlyArray1<'_, f64>,
        delays: PyReadonlyArray1<'_, f64>,
        receptors: PyReadonlyArray1<'_, u32>,
    ) -> PyResult<()> {
        self.inner
            .connect(
                sources.as_slice()?,
                targets.as_slice()?,
                weights.as_slice()?,
                delays.as_slice()?,
                receptors.as_slice()?,
            )
            .py()
    }

    fn add_step_current(
        &mut self,
        times: Vec<f64>,
        amps: Vec<f64>,
        targets: PyReadonlyArray1<'_, u32>,
        delay: f64,
    ) -> PyResult<()> {
        self.inner
            .add_step_current(&times, &amps, targets.as_slice()?, delay)
            .py()
    }

    fn add_recording(
        &mut self,
        variable: &str,
        nodes: PyReadonlyArray1<'_, u32>,
        interval: u64,
        start: u64,
        stop: u64,
    ) -> PyResult<usize> {
        self.inner
            .add_recording(variable, nodes.as_slice()?, interval, start, stop)
            .py()
    }

    /// Advances `n_steps`. Under MPI `exchange(steps, nodes, multiplicities, failure)` gathers
    /// every rank's spikes of an epoch and returns them all; `failure` is None or (node id,
    /// reason) of a model that failed here (the exchange raises when any rank failed).
    #[pyo3(signature = (n_steps, exchange=None))]
    fn run(&mut self, py: Python<'_>, n_steps: u64, exchange: Option<Py<PyAny>>) -> PyResult<()> {
        let inner = &mut self.inner;
        let Some(f) = exchange else {
            return py.detach(|| inner.run(n_steps)).py();
        };
        // the callback's own exception is what the caller sees, not a summary of it
        let mut raised: Option<PyErr> = None;
        let mut call =
            |local: &[Emission], failure: Option<(u32, &str)>| -> Result<Vec<Emission>, Error> {
                Python::attach(|py| -> PyResult<Vec<Emission>> {
                    let steps = PyArray1::from_iter(py, local.iter().map(|e| e.0));
                    let nodes = PyArray1::from_iter(py, local.iter().map(|e| e.1));
                    let mults = PyArray1::from_iter(py, local.iter().map(|e| e.2));
                    let out = f.call1(py, (steps, nodes, mults, failure))?;
                    let (s, n, m): (Vec<u64>, Vec<u32>, Vec<u32>) = out.extract(py)?;
                    if s.len() != n.len() || s.len() != m.len() {
                        return Err(PyValueError::new_err(
                            "exchange returned arrays of different lengths",
                        ));
                    }
                    Ok(s.into_iter()
                        .zip(n)
                        .zip(m)
                        .map(|((s, n), m)| (s, n, m))
                        .collect())
                })
                .map_err(|e| {
                    let msg = format!("spike exchange failed: {e}");
                    raised = Some(e);
                    Error::Invalid(msg)
                })
            };
        let result = py.detach(|| inner.run_exchanging(n_steps, Some(&mut call)));
        if let Some(e) = raised {
            return Err(e);
        }
        result.py()
    }

    /// (node id, reason) of the first neuron whose model failed (a numerical instability).
    fn failure(&self) -> Option<(u32, String)> {
        self.inner.failure()
    }

    /// (time stamps in steps, node ids) of every neuron spike so far.
    fn spikes<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u32>>) {
        let s = self.inner.spikes();
        let t: Vec<u64> = s.iter().map(|x| x.0).collect();
        let n: Vec<u32> = s.iter().map(|x| x.1).collect();
        (PyArray1::from_vec(py, t), PyArray1::from_vec(py, n))
    }

    /// (time stamps in steps, values[time, node]) of a recording.
    fn recording<'py>(&self, py: Python<'py>, i: usize) -> PyResult<PyRecording<'py>> {
        let r = self
            .inner
            .recording(i)
            .ok_or_else(|| PyValueError::new_err(format!("no recording {i}")))?;
        let cols = r.neurons.len();
        let rows = r.times.len();
        let arr = numpy::ndarray::Array2::from_shape_vec((rows, cols), r.data.clone())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((
            PyArray1::from_vec(py, r.times.clone()),
            PyArray2::from_owned_array(py, arr),
        ))
    }
}

#[pyfunction]
fn pointnet_models() -> Vec<&'static str> {
    SUPPORTED_MODELS.to_vec()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPointEngine>()?;
    m.add_function(wrap_pyfunction!(pointnet_models, m)?)?;
    Ok(())
}
