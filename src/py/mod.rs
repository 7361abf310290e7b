//! The `bmtk_rs._native` extension module: thin conversions around the engine.

use pyo3::prelude::*;

mod bionet;
mod builder;
mod cell;
mod cell_description;
mod convert;
mod ecp;
mod filternet;
mod morphology;
mod network;
mod nmodl;
mod placement;
mod pointnet;
mod popnet;
mod reports;
mod sonata;
mod spikes;

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
    m.add_function(wrap_pyfunction!(sonata::write_gap_junctions, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::read_gap_junctions, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::write_clamp_report, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::read_allen_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::write_saved_synapses, m)?)?;
    m.add_function(wrap_pyfunction!(sonata::spike_node_ids_signed, m)?)?;
    m.add_class::<spikes::SpikeStore>()?;
    m.add_function(wrap_pyfunction!(bionet::mechanism_vclamp, m)?)?;
    m.add_function(wrap_pyfunction!(bionet::mechanism_iclamp, m)?)?;
    m.add_function(wrap_pyfunction!(bionet::mechanism_registry, m)?)?;
    m.add_function(wrap_pyfunction!(morphology::cell_geometry, m)?)?;
    m.add_function(wrap_pyfunction!(cell_description::swc_sections, m)?)?;
    filternet::register(m)?;
    ecp::register(m)?;
    nmodl::register(m)?;
    m.add_class::<reports::PyCompartmentReportWriter>()?;
    m.add_function(wrap_pyfunction!(reports::read_compartment_report_file, m)?)?;
    m.add_function(wrap_pyfunction!(cell::run_single_cell, m)?)?;
    m.add_function(wrap_pyfunction!(cell::run_cells, m)?)?;
    m.add_class::<network::BioEngine>()?;
    placement::register(m)?;
    popnet::register(m)?;
    pointnet::register(m)?;
    Ok(())
}
