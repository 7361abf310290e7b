//! Python bindings of the ECP report: transfer matrices (src/bionet/ecp.rs), the electrode
//! file reader, and the ecp.h5 writer/reader (src/sonata/ecp.rs).

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::IntoPyResult;
use crate::bionet::ecp::{read_electrode_positions, EcpTransfer, MinDistance};
use crate::sonata::ecp::{n_steps_for, read_ecp, EcpContributions, EcpTime, EcpWriter as Writer};

fn points(a: &PyReadonlyArray2<'_, f64>, what: &str) -> PyResult<Vec<[f64; 3]>> {
    let v = a.as_array();
    if v.shape()[1] != 3 {
        return Err(PyValueError::new_err(format!(
            "{what}: expected an (n, 3) array of x, y, z, got shape {:?}",
            v.shape()
        )));
    }
    Ok(v.rows().into_iter().map(|r| [r[0], r[1], r[2]]).collect())
}

fn min_distance(v: Option<&Bound<'_, PyAny>>) -> PyResult<MinDistance> {
    let Some(v) = v else {
        return Ok(MinDistance::Off);
    };
    if v.is_none() {
        return Ok(MinDistance::Off);
    }
    if let Ok(s) = v.extract::<String>() {
        return MinDistance::from_text(&s).py();
    }
    if let Ok(x) = v.extract::<f64>() {
        return MinDistance::from_number(x).py();
    }
    Err(PyValueError::new_err(
        "minimum_distance must be None, a number of um or \"auto\"",
    ))
}

fn rows_of(values: &PyReadonlyArray2<'_, f64>, width: usize, what: &str) -> PyResult<Vec<f64>> {
    let v = values.as_array();
    if v.shape()[1] != width {
        return Err(PyValueError::new_err(format!(
            "{what}: expected {width} columns, got shape {:?}",
            v.shape()
        )));
    }
    Ok(v.iter().copied().collect())
}

fn matrix<'py>(
    py: Python<'py>,
    data: Vec<f64>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, data)
        .reshape([rows, cols])?
        .into_any())
}

/// Line-source transfer resistances (mV per nA) from segments to electrodes, as BMTK's
/// RecXElectrode: `electrodes` (n, 3), `p0`/`p1` (m, 3) segment end points in um;
/// `minimum_distance` None, a number (um) or "auto" (then `diam` gives the segment diameters).
#[pyclass(module = "bmtk_rs._native", name = "EcpTransfer", frozen)]
pub struct PyEcpTransfer {
    inner: EcpTransfer,
}

#[pymethods]
impl PyEcpTransfer {
    #[new]
    #[pyo3(signature = (electrodes, p0, p1, minimum_distance=None, diam=None))]
    fn new(
        py: Python<'_>,
        electrodes: PyReadonlyArray2<'_, f64>,
        p0: PyReadonlyArray2<'_, f64>,
        p1: PyReadonlyArray2<'_, f64>,
        minimum_distance: Option<Bound<'_, PyAny>>,
        diam: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Self> {
        let e = points(&electrodes, "electrodes")?;
        let a = points(&p0, "p0")?;
        let b = points(&p1, "p1")?;
        let min = min_distance(minimum_distance.as_ref())?;
        let d: Option<Vec<f64>> = diam.map(|d| d.as_array().to_vec());
        let inner = py
            .detach(|| EcpTransfer::with_min_distance(&e, &a, &b, min, d.as_deref()))
            .py()?;
        Ok(PyEcpTransfer { inner })
    }

    #[getter]
    fn n_channels(&self) -> usize {
        self.inner.n_channels()
    }

    #[getter]
    fn n_segments(&self) -> usize {
        self.inner.n_segments()
    }

    /// The (n_channels, n_segments) matrix.
    #[getter]
    fn matrix<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        matrix(
            py,
            self.inner.matrix().to_vec(),
            self.inner.n_channels(),
            self.inner.n_segments(),
        )
    }

    /// Potentials (n_steps, n_channels) in mV from membrane currents (n_steps, n_segments) in nA.
    fn potentials<'py>(
        &self,
        py: Python<'py>,
        i_membrane: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let im = rows_of(&i_membrane, self.inner.n_segments(), "i_membrane")?;
        let steps = i_membrane.as_array().shape()[0];
        let mut out = vec![0.0; steps * self.inner.n_channels()];
        py.detach(|| self.inner.accumulate_steps(&im, &mut out));
        matrix(py, out, steps, self.inner.n_channels())
    }
}

/// Reads an `electrode_positions` csv: {"positions": (n, 3) array, "channel": array or None}.
#[pyfunction]
pub fn read_electrode_file<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    let el = read_electrode_positions(&path).py()?;
    let n = el.positions.len();
    let d = PyDict::new(py);
    let flat: Vec<f64> = el.positions.iter().flatten().copied().collect();
    d.set_item("positions", matrix(py, flat, n, 3)?)?;
    match el.channel {
        Some(c) => d.set_item("channel", PyArray1::from_vec(py, c))?,
        None => d.set_item("channel", py.None())?,
    }
    Ok(d)
}

/// BMTK's number of ECP samples for a run: round(tstop / dt).
#[pyfunction]
pub fn ecp_n_steps(tstop: f64, dt: f64) -> PyResult<usize> {
    n_steps_for(tstop, dt).py()
}

/// Writes an ecp.h5 file in BMTK's layout, block by block; `finish()` puts it in place.
#[pyclass(module = "bmtk_rs._native", name = "EcpWriter", unsendable)]
pub struct PyEcpWriter {
    inner: Option<Writer>,
}

#[pymethods]
impl PyEcpWriter {
    /// `n_steps` defaults to round(tstop / dt); the time axis is stored as [tstart, tstop, dt].
    #[new]
    #[pyo3(signature = (path, n_channels, tstop, dt, n_steps=None, tstart=0.0))]
    fn new(
        path: std::path::PathBuf,
        n_channels: usize,
        tstop: f64,
        dt: f64,
        n_steps: Option<usize>,
        tstart: f64,
    ) -> PyResult<Self> {
        let n = match n_steps {
            Some(n) => n,
            None => n_steps_for(tstop - tstart, dt).py()?,
        };
        let time = EcpTime { tstart, tstop, dt };
        let w = Writer::create(&path, n_channels, time, n).py()?;
        Ok(PyEcpWriter { inner: Some(w) })
    }

    /// Writes rows (steps x channels) starting at step `first_step`.
    fn write_rows(&self, first_step: usize, values: PyReadonlyArray2<'_, f64>) -> PyResult<()> {
        let w = self
            .inner
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("the ECP report is already finished"))?;
        let v = rows_of(&values, w.n_channels(), "values")?;
        w.write_rows(first_step, &v).py()
    }

    fn finish(&mut self) -> PyResult<()> {
        match self.inner.take() {
            Some(w) => w.finish().py(),
            None => Err(PyValueError::new_err("the ECP report is already finished")),
        }
    }
}

/// Per-cell contribution files `<dir>/<gid>.h5`; `write_rows(cell_index, ...)` with cells in
/// the order of `gids`.
#[pyclass(
    module = "bmtk_rs._native",
    name = "EcpContributionsWriter",
    unsendable
)]
pub struct PyEcpContributions {
    inner: Option<EcpContributions>,
    n_channels: usize,
}

#[pymethods]
impl PyEcpContributions {
    #[new]
    fn new(
        dir: std::path::PathBuf,
        gids: Vec<u64>,
        n_channels: usize,
        n_steps: usize,
    ) -> PyResult<Self> {
        let c = EcpContributions::create(&dir, &gids, n_channels, n_steps).py()?;
        Ok(PyEcpContributions {
            inner: Some(c),
            n_channels,
        })
    }

    fn write_rows(
        &self,
        cell: usize,
        first_step: usize,
        values: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<()> {
        let w = self
            .inner
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("the contribution files are already finished"))?;
        let v = rows_of(&values, self.n_channels, "values")?;
        w.write_rows(cell, first_step, &v).py()
    }

    fn finish(&mut self) -> PyResult<()> {
        match self.inner.take() {
            Some(w) => w.finish().py(),
            None => Err(PyValueError::new_err(
                "the contribution files are already finished",
            )),
        }
    }
}

/// Reads an ecp.h5 (or a contribution file): {"data": (n_steps, n_channels), "time":
/// (tstart, tstop, dt) or None, "channel_id": array or None, "units": str or None}.
#[pyfunction]
pub fn read_ecp_file<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    let r = py.detach(|| read_ecp(&path)).py()?;
    let d = PyDict::new(py);
    d.set_item("data", matrix(py, r.data, r.n_steps, r.n_channels)?)?;
    d.set_item("time", r.time.map(|t| (t[0], t[1], t[2])))?;
    match r.channel_ids {
        Some(c) => d.set_item("channel_id", PyArray1::from_vec(py, c))?,
        None => d.set_item("channel_id", py.None())?,
    }
    d.set_item("units", r.units)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEcpTransfer>()?;
    m.add_class::<PyEcpWriter>()?;
    m.add_class::<PyEcpContributions>()?;
    m.add_function(wrap_pyfunction!(read_electrode_file, m)?)?;
    m.add_function(wrap_pyfunction!(read_ecp_file, m)?)?;
    m.add_function(wrap_pyfunction!(ecp_n_steps, m)?)?;
    Ok(())
}
