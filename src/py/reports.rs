//! Python bindings of the SONATA compartment report writer and reader.

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert::{u64_array, IntoPyResult};
use crate::sonata::compartment_report::{
    read_compartment_report, CompartmentReportWriter, ReportMapping, ReportTime,
};

type PyMapping<'py> = (
    String,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray1<'py, f64>,
);

/// Writes a compartment report block by block; `finish()` puts it under its final name.
#[pyclass(
    module = "bmtk_rs._native",
    name = "CompartmentReportWriter",
    unsendable
)]
pub struct PyCompartmentReportWriter {
    inner: Option<CompartmentReportWriter>,
}

#[pymethods]
impl PyCompartmentReportWriter {
    /// `mappings`: [(population, node_ids, index_pointer, element_ids, element_pos)];
    /// `element_columns`: further per-element mapping columns [(mapping index, name, int64 values)].
    #[new]
    #[pyo3(signature = (path, mappings, tstart, tstop, dt, n_steps, variable, units=None, element_columns=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        path: std::path::PathBuf,
        mappings: Vec<PyMapping<'_>>,
        tstart: f64,
        tstop: f64,
        dt: f64,
        n_steps: usize,
        variable: &str,
        units: Option<&str>,
        element_columns: Option<Vec<(usize, String, PyReadonlyArray1<'_, i64>)>>,
    ) -> PyResult<Self> {
        let mut maps: Vec<ReportMapping> = mappings
            .into_iter()
            .map(|(population, n, ip, ids, pos)| ReportMapping {
                population,
                node_ids: n.as_array().to_vec(),
                index_pointer: ip.as_array().to_vec(),
                element_ids: ids.as_array().to_vec(),
                element_pos: pos.as_array().to_vec(),
                element_columns: Vec::new(),
            })
            .collect();
        for (k, name, values) in element_columns.unwrap_or_default() {
            let m = maps.get_mut(k).ok_or_else(|| {
                PyValueError::new_err(format!("element column '{name}': no mapping {k}"))
            })?;
            m.element_columns.push((name, values.as_array().to_vec()));
        }
        let time = ReportTime { tstart, tstop, dt };
        let w =
            CompartmentReportWriter::create(&path, &maps, time, n_steps, variable, units).py()?;
        Ok(PyCompartmentReportWriter { inner: Some(w) })
    }

    /// Writes rows (time steps x elements) of population index `pop` starting at `first_step`.
    fn write_steps(
        &self,
        pop: usize,
        first_step: usize,
        values: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<()> {
        let w = self
            .inner
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("the report is already finished"))?;
        let v = values.as_array();
        let flat: Vec<f64> = v.iter().copied().collect();
        if v.shape()[1] == 0 && !flat.is_empty() {
            return Err(PyValueError::new_err(
                "values must have one column per element",
            ));
        }
        w.write_steps(pop, first_step, &flat).py()
    }

    fn finish(&mut self) -> PyResult<()> {
        match self.inner.take() {
            Some(w) => w.finish().py(),
            None => Err(PyValueError::new_err("the report is already finished")),
        }
    }
}

/// Reads every population of a compartment report into dicts of numpy arrays.
#[pyfunction]
pub fn read_compartment_report_file<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyList>> {
    let pops = read_compartment_report(&path).py()?;
    let out = PyList::empty(py);
    for p in pops {
        let d = PyDict::new(py);
        d.set_item("population", &p.mapping.population)?;
        d.set_item("node_ids", u64_array(py, &p.mapping.node_ids))?;
        d.set_item("index_pointer", u64_array(py, &p.mapping.index_pointer))?;
        d.set_item("element_ids", u64_array(py, &p.mapping.element_ids))?;
        d.set_item(
            "element_pos",
            numpy::PyArray1::from_slice(py, &p.mapping.element_pos),
        )?;
        d.set_item("time", (p.time.tstart, p.time.tstop, p.time.dt))?;
        d.set_item("variable", p.variable)?;
        d.set_item("units", p.units)?;
        let n_el = p.mapping.n_elements();
        let arr = numpy::PyArray1::from_vec(py, p.data);
        d.set_item(
            "data",
            numpy::PyArrayMethods::reshape(&arr, [p.n_steps, n_el])?,
        )?;
        out.append(d)?;
    }
    Ok(out)
}
