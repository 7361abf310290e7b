//! Python bindings of spike trains: the `SpikeStore` class behind
//! `bmtk_rs.utils.reports.spike_trains`, holding the spikes of every population in Rust.

use std::path::PathBuf;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::IntoPyResult;
use crate::sonata::spikes::SortOrder;
use crate::spikes::{
    gamma_constant, poisson_constant, poisson_varying, Refractory, SpikeTrains, StreamKey,
};

fn sort_of(s: &str) -> PyResult<SortOrder> {
    SortOrder::parse(s).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown sort order {s:?}: expected 'none', 'by_id' or 'by_time'"
        ))
    })
}

fn slice<'a, T: numpy::Element>(a: &'a PyReadonlyArray1<'_, T>, what: &str) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err(format!("{what}: expected a contiguous 1-D array")))
}

/// (node ids, timestamps) as numpy arrays.
type Columns<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<f64>>);

#[pyclass(module = "bmtk_rs._native")]
#[derive(Default)]
pub struct SpikeStore {
    inner: SpikeTrains,
}

#[pymethods]
impl SpikeStore {
    #[new]
    fn new() -> Self {
        SpikeStore::default()
    }

    #[staticmethod]
    #[pyo3(signature = (path, populations=None))]
    fn read_sonata(
        py: Python<'_>,
        path: PathBuf,
        populations: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| SpikeTrains::read_sonata(&path, populations.as_deref()))
            .py()?;
        Ok(SpikeStore { inner })
    }

    #[staticmethod]
    #[pyo3(signature = (path, default_population, sep=None))]
    fn read_csv(
        py: Python<'_>,
        path: PathBuf,
        default_population: &str,
        sep: Option<char>,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| SpikeTrains::read_csv(&path, default_population, sep))
            .py()?;
        Ok(SpikeStore { inner })
    }

    #[staticmethod]
    #[pyo3(signature = (path, population=None, trial=None))]
    fn read_nwb(
        py: Python<'_>,
        path: PathBuf,
        population: Option<&str>,
        trial: Option<&str>,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| SpikeTrains::read_nwb(&path, population, trial))
            .py()?;
        Ok(SpikeStore { inner })
    }

    fn populations(&self) -> Vec<String> {
        self.inner.names().into_iter().map(String::from).collect()
    }

    fn add(
        &mut self,
        population: &str,
        node_ids: PyReadonlyArray1<'_, u64>,
        timestamps: PyReadonlyArray1<'_, f64>,
        units: &str,
    ) -> PyResult<()> {
        let ids = slice(&node_ids, "node_ids")?;
        let ts = slice(&timestamps, "timestamps")?;
        self.inner.add(population, ids, ts, units).py()
    }

    /// Homogeneous Poisson trains on (t0, t1] (seconds); returns the number of spikes added.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (population, node_ids, rate, t0, t1, seed, stream, scale, units, abs_ref=0.0, tau_ref=0.0))]
    fn add_poisson(
        &mut self,
        py: Python<'_>,
        population: &str,
        node_ids: PyReadonlyArray1<'_, u64>,
        rate: f64,
        t0: f64,
        t1: f64,
        seed: u64,
        stream: u64,
        scale: f64,
        units: &str,
        abs_ref: f64,
        tau_ref: f64,
    ) -> PyResult<usize> {
        let ids = slice(&node_ids, "node_ids")?;
        let key = StreamKey { seed, stream };
        let refr = Refractory { abs_ref, tau_ref };
        let (n, t) = py
            .detach(|| poisson_constant(ids, rate, t0, t1, key, scale, refr))
            .py()?;
        let count = n.len();
        self.inner.add_owned(population, n, t, units).py()?;
        Ok(count)
    }

    /// Gamma renewal trains of mean rate `rate` and shape `shape` on (t0, t1]; returns the count.
    #[allow(clippy::too_many_arguments)]
    fn add_gamma(
        &mut self,
        py: Python<'_>,
        population: &str,
        node_ids: PyReadonlyArray1<'_, u64>,
        rate: f64,
        shape: f64,
        t0: f64,
        t1: f64,
        seed: u64,
        stream: u64,
        scale: f64,
        units: &str,
    ) -> PyResult<usize> {
        let ids = slice(&node_ids, "node_ids")?;
        let key = StreamKey { seed, stream };
        let (n, t) = py
            .detach(|| gamma_constant(ids, rate, shape, t0, t1, key, scale))
            .py()?;
        let count = n.len();
        self.inner.add_owned(population, n, t, units).py()?;
        Ok(count)
    }

    /// Inhomogeneous Poisson trains of a rate linear between samples; returns the spike count.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (population, node_ids, times, rates, seed, stream, scale, units, abs_ref=0.0, tau_ref=0.0))]
    fn add_poisson_varying(
        &mut self,
        py: Python<'_>,
        population: &str,
        node_ids: PyReadonlyArray1<'_, u64>,
        times: PyReadonlyArray1<'_, f64>,
        rates: PyReadonlyArray1<'_, f64>,
        seed: u64,
        stream: u64,
        scale: f64,
        units: &str,
        abs_ref: f64,
        tau_ref: f64,
    ) -> PyResult<usize> {
        let ids = slice(&node_ids, "node_ids")?;
        let tv = slice(&times, "times")?;
        let rv = slice(&rates, "firing_rate")?;
        let key = StreamKey { seed, stream };
        let refr = Refractory { abs_ref, tau_ref };
        let (n, t) = py
            .detach(|| poisson_varying(ids, tv, rv, key, scale, refr))
            .py()?;
        let count = n.len();
        self.inner.add_owned(population, n, t, units).py()?;
        Ok(count)
    }

    fn merge(&mut self, other: &SpikeStore) -> PyResult<()> {
        self.inner.merge(&other.inner).py()
    }

    fn has_population(&self, population: &str) -> bool {
        self.inner.get(population).is_some()
    }

    fn units(&self, population: &str) -> Option<String> {
        self.inner.get(population).map(|p| p.data.units.clone())
    }

    fn set_units(&mut self, population: &str, units: &str) {
        self.inner.set_units(population, units);
    }

    fn sorting(&self, population: &str) -> Option<&'static str> {
        self.inner.get(population).map(|p| p.data.sorting.as_str())
    }

    fn n_spikes(&self, population: &str) -> usize {
        self.inner
            .get(population)
            .map_or(0, |p| p.data.node_ids.len())
    }

    /// Distinct node ids with spikes, ascending (uint64).
    fn node_ids<'py>(&self, py: Python<'py>, population: &str) -> Bound<'py, PyArray1<u64>> {
        match self.inner.get(population) {
            Some(p) => PyArray1::from_slice(py, p.node_ids()),
            None => PyArray1::from_slice(py, &[]),
        }
    }

    fn get_times<'py>(
        &self,
        py: Python<'py>,
        population: &str,
        node_id: u64,
    ) -> Bound<'py, PyArray1<f64>> {
        let t = self
            .inner
            .get(population)
            .map(|p| p.times(node_id))
            .unwrap_or_default();
        PyArray1::from_vec(py, t)
    }

    /// (node_ids, timestamps) of a population in the order `sort`.
    #[pyo3(signature = (population, sort="none"))]
    fn columns<'py>(
        &self,
        py: Python<'py>,
        population: &str,
        sort: &str,
    ) -> PyResult<Columns<'py>> {
        let s = sort_of(sort)?;
        let (n, t) = match self.inner.get(population) {
            Some(p) => py.detach(|| p.columns(s)),
            None => (Vec::new(), Vec::new()),
        };
        Ok((PyArray1::from_vec(py, n), PyArray1::from_vec(py, t)))
    }

    #[pyo3(signature = (path, sort="none", deflate=None))]
    fn write_sonata(
        &self,
        py: Python<'_>,
        path: PathBuf,
        sort: &str,
        deflate: Option<u8>,
    ) -> PyResult<()> {
        let s = sort_of(sort)?;
        if let Some(l) = deflate {
            if l > 9 {
                return Err(PyValueError::new_err(format!(
                    "gzip level {l}: expected 0..9"
                )));
            }
        }
        py.detach(|| self.inner.write_sonata(&path, s, deflate))
            .py()
    }

    #[pyo3(signature = (path, sort="none", header=true, with_population=true))]
    fn write_csv(
        &self,
        py: Python<'_>,
        path: PathBuf,
        sort: &str,
        header: bool,
        with_population: bool,
    ) -> PyResult<()> {
        let s = sort_of(sort)?;
        py.detach(|| self.inner.write_csv(&path, s, header, with_population))
            .py()
    }

    #[pyo3(signature = (path, include_population=true, description="BMTK generated NWB spikes file"))]
    fn write_nwb(
        &self,
        py: Python<'_>,
        path: PathBuf,
        include_population: bool,
        description: &str,
    ) -> PyResult<()> {
        py.detach(|| self.inner.write_nwb(&path, include_population, description))
            .py()
    }
}
