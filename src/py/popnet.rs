//! Python bindings of PopNet: run a population-density network, write its rates table.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::IntoPyResult;
use crate::popnet::{self, Connection, External, Norm, Population, Source, UpdateMethod};

/// (tau_m, v_min, v_max, dv, update_method, approx_order, tol, norm, initial_firing_rate)
type PyPopulation = (
    Vec<(f64, f64)>,
    f64,
    f64,
    f64,
    String,
    Option<usize>,
    f64,
    String,
    f64,
);
/// (source kind 'internal'/'external', source index, target index, nsyns, weights, delays)
type PyConnection = (String, usize, usize, f64, Vec<(f64, f64)>, Vec<(f64, f64)>);

fn population(i: usize, p: PyPopulation) -> PyResult<Population> {
    let (tau_m, v_min, v_max, dv, method, order, tol, norm, initial_rate) = p;
    let method = match method.as_str() {
        "gmres" => UpdateMethod::Gmres,
        "exact" => UpdateMethod::Exact,
        "approx" => UpdateMethod::Approx(order),
        other => {
            return Err(PyValueError::new_err(format!(
                "population {i}: update_method '{other}' is not one of 'gmres', 'exact', 'approx'"
            )))
        }
    };
    let norm = match norm.as_str() {
        "inf" => Norm::Inf,
        "1" => Norm::One,
        "2" | "fro" => Norm::Two,
        other => {
            return Err(PyValueError::new_err(format!(
                "population {i}: norm '{other}' is not one of inf, 1, 2, 'fro'"
            )))
        }
    };
    Ok(Population {
        tau_m,
        v_min,
        v_max,
        dv,
        method,
        tol,
        norm,
        initial_rate,
    })
}

/// Runs the network; returns (times, rates[population, step], Krylov iterations).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn popnet_simulate<'py>(
    py: Python<'py>,
    populations: Vec<PyPopulation>,
    external_rates: Vec<f64>,
    connections: Vec<PyConnection>,
    dt: f64,
    t0: f64,
    tstop: f64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>, u64)> {
    let pops = populations
        .into_iter()
        .enumerate()
        .map(|(i, p)| population(i, p))
        .collect::<PyResult<Vec<_>>>()?;
    let exts: Vec<External> = external_rates
        .into_iter()
        .map(|rate| External { rate })
        .collect();
    let conns = connections
        .into_iter()
        .enumerate()
        .map(|(i, (kind, s, target, nsyn, weights, delays))| {
            let source = match kind.as_str() {
                "internal" => Source::Internal(s),
                "external" => Source::External(s),
                other => {
                    return Err(PyValueError::new_err(format!(
                        "connection {i}: unknown source kind '{other}'"
                    )))
                }
            };
            Ok(Connection {
                source,
                target,
                nsyn,
                weights,
                delays,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let out = py
        .detach(|| popnet::simulate(&pops, &exts, &conns, dt, t0, tstop))
        .py()?;
    let (n, nt) = (out.rates.len(), out.times.len());
    let flat: Vec<f64> = out.rates.into_iter().flatten().collect();
    let rates = PyArray1::from_vec(py, flat).reshape([n, nt])?;
    Ok((PyArray1::from_vec(py, out.times), rates, out.iterations))
}

/// Writes BMTK's `pop_id time rate` table (rows of `rates` follow `labels`).
#[pyfunction]
pub fn popnet_write_rates(
    py: Python<'_>,
    path: std::path::PathBuf,
    labels: Vec<String>,
    times: PyReadonlyArray1<f64>,
    rates: PyReadonlyArray2<f64>,
) -> PyResult<()> {
    let times = times.as_array().to_vec();
    let rates = rates.as_array();
    let rows: Vec<Vec<f64>> = rates.rows().into_iter().map(|r| r.to_vec()).collect();
    py.detach(|| {
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        popnet::output::write_rates(&path, &labels, &times, &refs)
    })
    .py()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(popnet_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(popnet_write_rates, m)?)?;
    Ok(())
}
