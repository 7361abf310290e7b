//! Python bindings of the NMODL front end: load a `.mod` file and describe it.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::IntoPyResult;
use crate::bionet::mechanisms::ParamKind;

/// Loads, checks and lowers an NMODL file; returns `{name, kind, file, parameters: {name: (default,
/// "range"|"global")}, states, variables, ions: {ion: {read, write, valence}}, nonspecific}`.
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
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(nmodl_load, m)?)
}
