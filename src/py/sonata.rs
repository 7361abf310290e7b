//! Python bindings of the SONATA readers and writers (nodes, edges, type tables).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert::{column_from_py, column_to_py, u64_array, u64s, IntoPyResult};
use crate::sonata::column::Column;
use crate::sonata::edges::read_edges_file;
use crate::sonata::nodes::{read_nodes_file, write_nodes_file, NodePopulation};
use crate::sonata::types_csv::{read_types_csv, write_types_csv, TypesTable};

type PyColumns<'py> = Vec<(String, String, Bound<'py, PyAny>, usize)>;

/// Writes a nodes file. Each population is a dict with `name`, `node_id`, `node_type_id`,
/// `node_group_id`, `node_group_index` (numpy arrays) and `groups`: a list of
/// `(group id, [(attribute, dtype, data, width)])`.
/// `append`: keep the populations already in the file (bmtk's `mode='a'`); a population name the
/// file already has is an error.
#[pyfunction]
#[pyo3(signature = (path, populations, append=false))]
pub fn write_nodes(
    path: std::path::PathBuf,
    populations: Vec<Bound<'_, PyDict>>,
    append: bool,
) -> PyResult<()> {
    let mut pops = if append && path.exists() {
        read_nodes_file(&path).py()?
    } else {
        Vec::new()
    };
    for d in populations {
        let get = |k: &str| {
            d.get_item(k)?
                .ok_or_else(|| PyValueError::new_err(format!("population description lacks '{k}'")))
        };
        let name: String = get("name")?.extract()?;
        let node_id = u64s(&get("node_id")?, "node_id")?;
        let node_type_id = u64s(&get("node_type_id")?, "node_type_id")?;
        let node_group_id: Vec<u32> = u64s(&get("node_group_id")?, "node_group_id")?
            .into_iter()
            .map(|x| x as u32)
            .collect();
        let node_group_index = u64s(&get("node_group_index")?, "node_group_index")?;
        let mut groups = Vec::new();
        let raw: Vec<(u32, PyColumns<'_>)> = get("groups")?.extract()?;
        for (gid, cols) in raw {
            let mut out: Vec<(String, Column)> = Vec::new();
            for (cname, dtype, data, width) in cols {
                let what = format!("node property '{cname}' of population {name}");
                out.push((cname, column_from_py(&dtype, &data, width, &what)?));
            }
            groups.push((gid, out));
        }
        if pops.iter().any(|p| p.name == name) {
            return Err(PyValueError::new_err(format!(
                "{}: the file already has a node population '{name}' (mode='a' adds new ones only)",
                path.display()
            )));
        }
        pops.push(NodePopulation {
            name,
            node_id,
            node_type_id,
            node_group_id,
            node_group_index,
            groups,
        });
    }
    write_nodes_file(&path, &pops).py()
}

fn groups_to_py<'py, G: ToString>(
    py: Python<'py>,
    groups: &[(G, Vec<(String, Column)>)],
) -> PyResult<Bound<'py, PyDict>> {
    let gd = PyDict::new(py);
    for (gid, cols) in groups {
        let cd = PyDict::new(py);
        for (n, c) in cols {
            cd.set_item(n, column_to_py(py, c)?)?;
        }
        gd.set_item(gid.to_string(), cd)?;
    }
    Ok(gd)
}

/// Reads every population of a nodes file into dicts of numpy arrays.
#[pyfunction]
pub fn read_nodes<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<Bound<'py, PyList>> {
    let pops = read_nodes_file(&path).py()?;
    let out = PyList::empty(py);
    for p in pops {
        let d = PyDict::new(py);
        d.set_item("name", &p.name)?;
        d.set_item("node_id", u64_array(py, &p.node_id))?;
        d.set_item("node_type_id", u64_array(py, &p.node_type_id))?;
        let gid: Vec<u64> = p.node_group_id.iter().map(|&x| x as u64).collect();
        d.set_item("node_group_id", u64_array(py, &gid))?;
        d.set_item("node_group_index", u64_array(py, &p.node_group_index))?;
        d.set_item("groups", groups_to_py(py, &p.groups)?)?;
        out.append(d)?;
    }
    Ok(out)
}

/// Reads every population of an edges file into dicts of numpy arrays.
#[pyfunction]
pub fn read_edges<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<Bound<'py, PyList>> {
    let pops = read_edges_file(&path).py()?;
    let out = PyList::empty(py);
    for p in pops {
        let d = PyDict::new(py);
        d.set_item("name", &p.name)?;
        d.set_item("source_population", &p.source_population)?;
        d.set_item("target_population", &p.target_population)?;
        d.set_item("source_node_id", u64_array(py, &p.source_node_id))?;
        d.set_item("target_node_id", u64_array(py, &p.target_node_id))?;
        d.set_item(
            "edge_type_id",
            numpy::PyArray1::from_slice(py, &p.edge_type_id),
        )?;
        d.set_item(
            "edge_group_id",
            numpy::PyArray1::from_slice(py, &p.edge_group_id),
        )?;
        d.set_item(
            "edge_group_index",
            numpy::PyArray1::from_slice(py, &p.edge_group_index),
        )?;
        d.set_item("groups", groups_to_py(py, &p.groups)?)?;
        out.append(d)?;
    }
    Ok(out)
}

#[pyfunction]
pub fn write_types_table(
    path: std::path::PathBuf,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
) -> PyResult<()> {
    write_types_csv(&path, &TypesTable { columns, rows }).py()
}

#[pyfunction]
pub fn read_types_table(path: std::path::PathBuf) -> PyResult<(Vec<String>, Vec<Vec<String>>)> {
    let t = read_types_csv(&path).py()?;
    Ok((t.columns, t.rows))
}

/// Writes a gap-junction table (BMTK's `<network>_gap_juncs.h5`).
#[pyfunction]
pub fn write_gap_junctions(
    path: std::path::PathBuf,
    source_ids: numpy::PyReadonlyArray1<'_, u64>,
    target_ids: numpy::PyReadonlyArray1<'_, u64>,
    src_gap_ids: numpy::PyReadonlyArray1<'_, i64>,
    trg_gap_ids: numpy::PyReadonlyArray1<'_, i64>,
) -> PyResult<()> {
    let slice = |a: &numpy::PyReadonlyArray1<'_, u64>| a.as_array().to_vec();
    let islice = |a: &numpy::PyReadonlyArray1<'_, i64>| a.as_array().to_vec();
    let (s, t, sg, tg) = (
        slice(&source_ids),
        slice(&target_ids),
        islice(&src_gap_ids),
        islice(&trg_gap_ids),
    );
    crate::sonata::gap_junctions::write_gap_junctions(
        &path,
        &crate::sonata::gap_junctions::GapJunctions {
            source_ids: &s,
            target_ids: &t,
            src_gap_ids: &sg,
            trg_gap_ids: &tg,
        },
    )
    .py()
}

/// Writes BMTK BioNet's clamp_report table (`merged`: the layout rank 0 writes under MPI).
#[pyfunction]
#[pyo3(signature = (path, rows, cols, data, merged=false))]
pub fn write_clamp_report(
    path: std::path::PathBuf,
    rows: usize,
    cols: usize,
    data: numpy::PyReadonlyArray1<'_, f64>,
    merged: bool,
) -> PyResult<()> {
    crate::sonata::clamp_report::write_clamp_report(&path, rows, cols, data.as_slice()?, merged)
        .py()
}

/// Reads a gap-junction table: (source_ids, target_ids, src_gap_ids, trg_gap_ids).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn read_gap_junctions<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<(
    Bound<'py, numpy::PyArray1<u64>>,
    Bound<'py, numpy::PyArray1<u64>>,
    Bound<'py, numpy::PyArray1<i64>>,
    Bound<'py, numpy::PyArray1<i64>>,
)> {
    let t = crate::sonata::gap_junctions::read_gap_junctions(&path).py()?;
    Ok((
        numpy::PyArray1::from_vec(py, t.source_ids),
        numpy::PyArray1::from_vec(py, t.target_ids),
        numpy::PyArray1::from_vec(py, t.src_gap_ids),
        numpy::PyArray1::from_vec(py, t.trg_gap_ids),
    ))
}

/// An Allen Cell Types NWB sweep's stimulus: (samples in A, sampling rate in Hz).
#[pyfunction]
pub fn read_allen_sweep<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    sweep: &str,
) -> PyResult<(Bound<'py, numpy::PyArray1<f64>>, f64)> {
    let s = crate::sonata::allen_sweep::read_allen_sweep(&path, sweep).py()?;
    Ok((numpy::PyArray1::from_vec(py, s.data), s.rate))
}

/// Writes the synapses a BioNet run made (BMTK's save_synapses layout).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn write_saved_synapses(
    path: std::path::PathBuf,
    source_population: &str,
    target_population: &str,
    edge_type_id: numpy::PyReadonlyArray1<'_, u32>,
    source_node_id: numpy::PyReadonlyArray1<'_, u64>,
    target_node_id: numpy::PyReadonlyArray1<'_, u64>,
    group: numpy::PyReadonlyArray1<'_, u16>,
    bio_syn_weight: numpy::PyReadonlyArray1<'_, f64>,
    bio_sec_id: numpy::PyReadonlyArray1<'_, u64>,
    bio_sec_x: numpy::PyReadonlyArray1<'_, f64>,
    point_syn_weight: numpy::PyReadonlyArray1<'_, f64>,
) -> PyResult<()> {
    use crate::sonata::saved_synapses::{write_saved_synapses as write, SavedSynapses};
    let rows = SavedSynapses {
        source_population,
        target_population,
        edge_type_id: edge_type_id.as_slice()?,
        source_node_id: source_node_id.as_slice()?,
        target_node_id: target_node_id.as_slice()?,
        group: group.as_slice()?,
        bio_syn_weight: bio_syn_weight.as_slice()?,
        bio_sec_id: bio_sec_id.as_slice()?,
        bio_sec_x: bio_sec_x.as_slice()?,
        point_syn_weight: point_syn_weight.as_slice()?,
    };
    write(&path, &rows).py()
}

/// {population: True when its node ids are stored signed} for a SONATA spike file.
#[pyfunction]
pub fn spike_node_ids_signed(path: std::path::PathBuf) -> PyResult<Vec<(String, bool)>> {
    crate::sonata::spikes::node_ids_signed(&path).py()
}
