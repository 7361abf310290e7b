//! Python bindings of the BioNet engine pieces: the single-compartment mechanism bench.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::IntoPyResult;
use crate::bionet::mechanisms::clamp::{Compartment, IonValues, MechSpec, Stimulus};
use crate::bionet::mechanisms::REGISTRY;

pub(crate) fn mech_specs(mechs: &Bound<'_, PyDict>) -> PyResult<Vec<MechSpec>> {
    let mut out = Vec::new();
    for (k, v) in mechs.iter() {
        let name: String = k
            .extract()
            .map_err(|_| PyValueError::new_err("mechs: keys must be mechanism names (str)"))?;
        let mut params = Vec::new();
        if !v.is_none() {
            let d = v.cast::<PyDict>().map_err(|_| {
                PyValueError::new_err(format!(
                    "mechs['{name}']: expected a dict of parameter -> float"
                ))
            })?;
            for (pk, pv) in d.iter() {
                let pname: String = pk.extract().map_err(|_| {
                    PyValueError::new_err(format!("mechs['{name}']: parameter names must be str"))
                })?;
                let val: f64 = pv.extract().map_err(|_| {
                    PyValueError::new_err(format!("mechs['{name}']['{pname}']: expected a number"))
                })?;
                params.push((pname, val));
            }
        }
        out.push(MechSpec { name, params });
    }
    Ok(out)
}

fn ion_values(ions: Option<&Bound<'_, PyDict>>) -> PyResult<IonValues> {
    let mut out = IonValues::default();
    let Some(d) = ions else { return Ok(out) };
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        let val: f64 = v
            .extract()
            .map_err(|_| PyValueError::new_err(format!("ions['{key}']: expected a number")))?;
        let slot = match key.as_str() {
            "ena" => &mut out.ena,
            "ek" => &mut out.ek,
            "eca" => &mut out.eca,
            "cai" => &mut out.cai,
            "cao" => &mut out.cao,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "ions: unknown key '{key}'; expected some of: ena, ek, eca, cai, cao"
                )))
            }
        };
        *slot = Some(val);
    }
    Ok(out)
}

/// Loads the NMODL files named in `modfiles` (None: none).
pub(crate) fn load_models(
    modfiles: Option<Vec<String>>,
) -> PyResult<Vec<std::sync::Arc<crate::nmodl::Model>>> {
    modfiles
        .unwrap_or_default()
        .iter()
        .map(|p| crate::nmodl::load_file(std::path::Path::new(p)).py())
        .collect()
}

fn traces<'py>(
    py: Python<'py>,
    record: &[String],
    data: Vec<Vec<f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, trace) in record.iter().zip(data) {
        d.set_item(name, PyArray1::from_vec(py, trace))?;
    }
    Ok(d)
}

/// Runs mechanisms in one voltage-clamped compartment. `mechs` maps SUFFIX names to parameter
/// dicts; `v` holds v_init and then the voltage after each step of `dt` ms; `record` names variables
/// as NEURON does (`v`, `cai`, `eca`, `ica`, `m_NaTs`, `ina_NaTs`, `O_NaV`, `i_pas`). Returns a dict of
/// numpy arrays, one sample per entry of `v`.
/// `modfiles` lists NMODL files whose mechanisms are used instead of built-ins of the same name.
#[pyfunction]
#[pyo3(signature = (mechs, v, dt, celsius, record, ions=None, modfiles=None))]
#[allow(clippy::too_many_arguments)]
pub fn mechanism_vclamp<'py>(
    py: Python<'py>,
    mechs: &Bound<'py, PyDict>,
    v: &Bound<'py, PyAny>,
    dt: f64,
    celsius: f64,
    record: Vec<String>,
    ions: Option<&Bound<'py, PyDict>>,
    modfiles: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyDict>> {
    let models = load_models(modfiles)?;
    let specs = mech_specs(mechs)?;
    let ions = ion_values(ions)?;
    let v: Vec<f64> = match v.extract::<PyReadonlyArray1<'py, f64>>() {
        Ok(a) => a.as_array().to_vec(),
        Err(_) => v.extract().map_err(|_| {
            PyValueError::new_err("v: expected a 1-D array or sequence of float voltages (mV)")
        })?,
    };
    let data = py.detach(|| -> crate::error::Result<Vec<Vec<f64>>> {
        let mut c = Compartment::with_models(&specs, &models, ions, celsius, dt, &record)?;
        c.run_vclamp(&v)
    });
    traces(py, &record, data.py()?)
}

/// Runs mechanisms in one current-clamped cylindrical compartment (`diam` x `L` um, `cm` uF/cm2)
/// with an IClamp of `amp` nA from `delay` for `dur` ms, for `tstop` ms. Returns a dict of numpy
/// arrays, sampled at t = 0 and after every step.
#[pyfunction]
#[pyo3(signature = (mechs, dt, tstop, celsius, record, v_init=-65.0, cm=1.0, diam=10.0, L=10.0,
                    amp=0.0, delay=0.0, dur=0.0, ions=None, modfiles=None))]
#[allow(clippy::too_many_arguments, non_snake_case)]
pub fn mechanism_iclamp<'py>(
    py: Python<'py>,
    mechs: &Bound<'py, PyDict>,
    dt: f64,
    tstop: f64,
    celsius: f64,
    record: Vec<String>,
    v_init: f64,
    cm: f64,
    diam: f64,
    L: f64,
    amp: f64,
    delay: f64,
    dur: f64,
    ions: Option<&Bound<'py, PyDict>>,
    modfiles: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyDict>> {
    let models = load_models(modfiles)?;
    let specs = mech_specs(mechs)?;
    let ions = ion_values(ions)?;
    if !(tstop.is_finite() && tstop >= 0.0 && dt > 0.0) {
        return Err(PyValueError::new_err(format!(
            "need tstop >= 0 and dt > 0, got tstop={tstop} dt={dt}"
        )));
    }
    let nsteps_f = (tstop / dt - 1e-9).ceil().max(0.0);
    if nsteps_f * (record.len().max(1) as f64) > 5e8 {
        return Err(PyValueError::new_err(format!(
            "tstop={tstop} ms at dt={dt} ms with {} recorded variables would hold more than 5e8 samples",
            record.len()
        )));
    }
    let nsteps = nsteps_f as usize;
    let stim = Stimulus { amp, delay, dur };
    let data = py.detach(|| -> crate::error::Result<Vec<Vec<f64>>> {
        let mut c = Compartment::with_models(&specs, &models, ions, celsius, dt, &record)?;
        c.run_iclamp(v_init, cm, diam, L, stim, nsteps)
    });
    traces(py, &record, data.py()?)
}

/// The supported mechanisms: `{suffix: {"aliases": [...], "params": {name: (default, "range"|"global")}}}`.
#[pyfunction]
pub fn mechanism_registry(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for r in REGISTRY {
        let m = crate::bionet::mechanisms::create(r.suffix, vec![]).py()?;
        let params = PyDict::new(py);
        for p in m.params() {
            let kind = match p.kind {
                crate::bionet::mechanisms::ParamKind::Range => "range",
                crate::bionet::mechanisms::ParamKind::Global => "global",
            };
            params.set_item(p.name, (p.default, kind))?;
        }
        let e = PyDict::new(py);
        e.set_item("aliases", r.aliases.to_vec())?;
        e.set_item("params", params)?;
        e.set_item("variables", m.variable_names())?;
        d.set_item(r.suffix, e)?;
    }
    Ok(d)
}
