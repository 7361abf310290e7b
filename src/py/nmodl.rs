//! Python bindings of the NMODL front end: load a `.mod` file and describe it.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::IntoPyResult;
use crate::bionet::mechanisms::ParamKind;

/// Loads, checks and lowers an NMODL file; returns `{name, kind, file, parameters: {name: (default,
/// "range"|"global")}, states, variables, ions: {ion: {read, write, valence}}, nonspecific, range,
/// native, interpreted}` (the last two: the file's blocks run as native code / by the interpreter).
/// A file that cannot run raises ValueError naming file, line and construct.
#[pyfunction]
pub fn nmodl_load<'py>(py: Python<'py>, path: String) -> PyResult<Bound<'py, PyDict>> {
    let m = crate::nmodl::load_file(std::path::Path::new(&path)).py()?;
    let d = PyDict::new(py);
    d.set_item("name", &m.name)?;
    d.set_item("kind", m.kind.as_str())?;
    d.set_item("file", &m.file)?;
    let params = PyDict::new(py);
    for p in m.params {
        let kind = if p.kind == ParamKind::Range {
            "range"
        } else {
            "global"
        };
        params.set_item(p.name, (p.default, kind))?;
    }
    d.set_item("parameters", params)?;
    d.set_item("states", m.states.clone())?;
    d.set_item("variables", m.variables.clone())?;
    let ions = PyDict::new(py);
    for i in &m.ions {
        let e = PyDict::new(py);
        e.set_item("read", i.read.clone())?;
        e.set_item("write", i.write.clone())?;
        e.set_item("valence", i.valence)?;
        ions.set_item(&i.ion, e)?;
    }
    d.set_item("ions", ions)?;
    d.set_item("nonspecific", m.nonspecific.clone())?;
    d.set_item("range", m.range.clone())?;
    let modes = crate::nmodl::program_modes(&m);
    let pick = |native: bool| -> Vec<&str> {
        modes
            .iter()
            .filter(|(_, n)| *n == native)
            .map(|(name, _)| *name)
            .collect()
    };
    d.set_item("native", pick(true))?;
    d.set_item("interpreted", pick(false))?;
    Ok(d)
}

/// The unit findings of an NMODL file as NEURON's modlunit would report them (the arithmetic is
/// not changed by them): a list of `(line, kind, message)`, in modlunit's order (its first
/// error is the first entry). A file that does not parse raises ValueError naming file and line.
#[pyfunction]
pub fn nmodl_units(path: String) -> PyResult<Vec<(usize, String, String)>> {
    let p = std::path::Path::new(&path);
    let src = std::fs::read_to_string(p)
        .map_err(|e| crate::error::Error::file(p, e))
        .py()?;
    let found = crate::nmodl::unitcheck::check(&p.display().to_string(), &src).py()?;
    Ok(found
        .into_iter()
        .map(|w| (w.line, w.kind.to_string(), w.message))
        .collect())
}

/// Runs the point process of `path` in one compartment (`diam` x `L` um, `cm` uF/cm2, optional
/// `pas=(g, e)`, density mechanisms `density` {SUFFIX: {param: value}}, built in or from
/// `modfiles`) driven by `events`: a list of `(time, [weights...])`, one connection each.
/// `record` names `v`, variables of the point process and `seg.<ion variable>` of the node.
/// Returns `({name: numpy trace sampled at t = 0 and after every step}, [net_event times])`.
#[pyfunction]
#[pyo3(signature = (path, params, events, dt, tstop, record, celsius=6.3, v_init=-65.0, cm=1.0,
                    diam=10.0, L=10.0, pas=None, density=None, modfiles=None))]
#[allow(clippy::too_many_arguments, non_snake_case)]
pub fn nmodl_point_run<'py>(
    py: Python<'py>,
    path: String,
    params: std::collections::BTreeMap<String, f64>,
    events: Vec<(f64, Vec<f64>)>,
    dt: f64,
    tstop: f64,
    record: Vec<String>,
    celsius: f64,
    v_init: f64,
    cm: f64,
    diam: f64,
    L: f64,
    pas: Option<(f64, f64)>,
    density: Option<&Bound<'py, PyDict>>,
    modfiles: Option<Vec<String>>,
) -> PyResult<(Bound<'py, PyDict>, Vec<f64>)> {
    use numpy::IntoPyArray;
    if !(dt > 0.0 && tstop.is_finite() && tstop >= 0.0 && tstop / dt < 1e8) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "need dt > 0 and 0 <= tstop < 1e8 dt, got dt={dt} tstop={tstop}"
        )));
    }
    let m = crate::nmodl::load_file(std::path::Path::new(&path)).py()?;
    let spec = crate::nmodl::pointrun::PointRun {
        dt,
        nsteps: (tstop / dt - 1e-9).ceil().max(0.0) as usize,
        celsius,
        v_init,
        cm,
        diam,
        length: L,
        pas,
        density: match density {
            Some(d) => super::bionet::mech_specs(d)?,
            None => Vec::new(),
        },
        density_models: super::bionet::load_models(modfiles)?,
        params: params.into_iter().collect(),
        events,
        record: record.clone(),
    };
    let (traces, spikes) = py.detach(|| crate::nmodl::pointrun::run(&m, &spec)).py()?;
    let d = PyDict::new(py);
    for (name, tr) in record.iter().zip(traces) {
        d.set_item(name, tr.into_pyarray(py))?;
    }
    Ok((d, spikes))
}

/// SUFFIX names of the mechanisms the engine has built in (aliases included).
#[pyfunction]
pub fn builtin_mechanisms() -> Vec<String> {
    crate::bionet::mechanisms::REGISTRY
        .iter()
        .flat_map(|r| std::iter::once(r.suffix).chain(r.aliases.iter().copied()))
        .map(str::to_string)
        .collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(builtin_mechanisms, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl_load, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl_units, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl_point_run, m)?)
}
