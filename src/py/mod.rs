//! The `bmtk_rs._native` extension module: thin conversions around the engine.

use pyo3::prelude::*;

mod builder;
mod convert;
mod filternet;
mod sonata;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<builder::EdgeTable>()?;
    m.add_function(wrap_pyfunction!(builder::write_edges, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::write_nodes, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::read_nodes, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::read_edges, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::write_types_table, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::read_types_table, m)?)?;
    filternet::register(m)?;
    Ok(())
}
