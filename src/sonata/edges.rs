//! SONATA edges files: `/edges/<population>` with source/target ids, type ids, groups of
//! per-edge attributes and the two indices. Written in BMTK 1.2.0's layout plus the SONATA spec's
//! index names as hard links, without compression filters, so both bmtk and libsonata read them.

use std::path::Path;

use hdf5::Group;

use super::column::Column;
use super::h5::{self, PendingFile};
use super::index::{build_index, ArgSort, EdgeIndex};
use crate::error::{Error, Result};

/// One edge population, all columns in file order.
#[derive(Debug, Clone, Default)]
pub struct EdgePopulation {
    pub name: String,
    pub source_population: String,
    pub target_population: String,
    pub source_node_id: Vec<u64>,
    pub target_node_id: Vec<u64>,
    pub edge_type_id: Vec<u32>,
    pub edge_group_id: Vec<u16>,
    pub edge_group_index: Vec<u32>,
    /// (group id, [(attribute name, values)]), in the order the groups were created.
    pub groups: Vec<(u16, Vec<(String, Column)>)>,
}

impl EdgePopulation {
    pub fn len(&self) -> usize {
        self.source_node_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source_node_id.is_empty()
    }
}

/// The indices an edges file can carry (BMTK's `index_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeIndexKind {
    Target,
    Source,
    EdgeType,
}

impl EdgeIndexKind {
    /// BMTK's names for an index (`target_node_id`, `source`, `edge_type_id`, ...).
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_lowercase().as_str() {
            "target" | "target_id" | "target_node_id" | "target_node_ids" => Ok(Self::Target),
            "source" | "source_id" | "source_node_id" | "source_node_ids" => Ok(Self::Source),
            "edge_type" | "edge_type_id" | "edge_type_ids" => Ok(Self::EdgeType),
            _ => Err(Error::invalid(format!(
                "unknown edge index '{name}' (index_by takes target_node_id, source_node_id, edge_type_id)"
            ))),
        }
    }

    fn group_name(self) -> &'static str {
        match self {
            Self::Target => "target_to_source",
            Self::Source => "source_to_target",
            Self::EdgeType => "edge_type_to_index",
        }
    }
}

/// Writes one population into a new file at `path` (replacing it only once complete), indexed by
/// target and by source as BMTK does by default.
pub fn write_edges_file(path: &Path, pop: EdgePopulation, order: &dyn ArgSort) -> Result<()> {
    write_edges_file_indexed(
        path,
        pop,
        order,
        &[EdgeIndexKind::Target, EdgeIndexKind::Source],
    )
}

/// [`write_edges_file`] with the indices `index_by` (none: no `indices` group).
pub fn write_edges_file_indexed(
    path: &Path,
    mut pop: EdgePopulation,
    order: &dyn ArgSort,
    index_by: &[EdgeIndexKind],
) -> Result<()> {
    let pending = PendingFile::create(path)?;
    let file = pending.root();
    h5::write_root_attrs(path, file)?;
    let edges = h5::create_group(path, file, "edges")?;
    let g = h5::create_group(path, &edges, &pop.name)?;
    let src = h5::write_vec(path, &g, "source_node_id", &pop.source_node_id)?;
    h5::write_str_attr(path, &src, "node_population", &pop.source_population)?;
    let trg = h5::write_vec(path, &g, "target_node_id", &pop.target_node_id)?;
    h5::write_str_attr(path, &trg, "node_population", &pop.target_population)?;
    h5::write_vec(path, &g, "edge_group_id", &pop.edge_group_id)?;
    h5::write_vec(path, &g, "edge_group_index", &pop.edge_group_index)?;
    h5::write_vec(path, &g, "edge_type_id", &pop.edge_type_id)?;
    for (gid, cols) in &pop.groups {
        let grp = h5::create_group(path, &g, &gid.to_string())?;
        for (name, col) in cols {
            h5::write_column(path, &grp, name, col)?;
        }
    }
    // Only the id columns are needed from here on: free the rest before building the indices.
    let type_ids: Vec<u64> = if index_by.contains(&EdgeIndexKind::EdgeType) {
        pop.edge_type_id.iter().map(|&t| t as u64).collect()
    } else {
        Vec::new()
    };
    pop.groups = Vec::new();
    pop.edge_type_id = Vec::new();
    pop.edge_group_id = Vec::new();
    pop.edge_group_index = Vec::new();
    if !index_by.is_empty() {
        let indices = h5::create_group(path, &g, "indices")?;
        for kind in index_by {
            let ids = match kind {
                EdgeIndexKind::Target => &pop.target_node_id,
                EdgeIndexKind::Source => &pop.source_node_id,
                EdgeIndexKind::EdgeType => &type_ids,
            };
            let idx = build_index(ids, order)?;
            write_index(path, &indices, kind.group_name(), &idx)?;
        }
    }
    pending.commit()
}

fn write_index(path: &Path, parent: &Group, dir: &str, idx: &EdgeIndex) -> Result<()> {
    let g = h5::create_group(path, parent, dir)?;
    write_pairs(path, &g, "range_to_edge_id", &idx.range_to_edge_id)?;
    write_pairs(path, &g, "node_id_to_range", &idx.node_id_to_range)?;
    // The SONATA specification (and libsonata) spell the two tables in the plural.
    h5::hard_link(path, &g, "range_to_edge_id", "range_to_edge_ids")?;
    h5::hard_link(path, &g, "node_id_to_range", "node_id_to_ranges")?;
    Ok(())
}

fn write_pairs(path: &Path, g: &Group, name: &str, rows: &[[u64; 2]]) -> Result<()> {
    h5::write_rows2(path, g, name, rows).map(|_| ())
}

/// Reads every edge population of a file. Indices are not read: readers rebuild what they need.
pub fn read_edges_file(path: &Path) -> Result<Vec<EdgePopulation>> {
    let file = h5::open_read(path)?;
    let edges = file
        .group("edges")
        .map_err(|_| Error::format(path, "no '/edges' group: not a SONATA edges file"))?;
    let mut out = Vec::new();
    let mut names = edges
        .member_names()
        .map_err(|e| Error::hdf5(path, "/edges", e))?;
    names.sort();
    for name in names {
        let g = edges
            .group(&name)
            .map_err(|e| Error::hdf5(path, &format!("/edges/{name}"), e))?;
        out.push(read_population(path, &name, &g)?);
    }
    Ok(out)
}

fn read_population(path: &Path, name: &str, g: &Group) -> Result<EdgePopulation> {
    let source_node_id = h5::read_u64(path, g, "source_node_id")?;
    let target_node_id = h5::read_u64(path, g, "target_node_id")?;
    let n = source_node_id.len();
    if target_node_id.len() != n {
        return Err(Error::format(
            path,
            format!(
                "/edges/{name}: source_node_id has {n} rows but target_node_id {}",
                target_node_id.len()
            ),
        ));
    }
    let pop_attr = |ds: &str| {
        g.dataset(ds)
            .ok()
            .and_then(|d| h5::read_str_attr(&d, "node_population"))
            .unwrap_or_default()
    };
    let edge_type_id: Vec<u32> = narrow(
        path,
        name,
        "edge_type_id",
        h5::read_u64(path, g, "edge_type_id")?,
    )?;
    let (edge_group_id, edge_group_index) = if g.link_exists("edge_group_id") {
        (
            narrow(
                path,
                name,
                "edge_group_id",
                h5::read_u64(path, g, "edge_group_id")?,
            )?,
            narrow(
                path,
                name,
                "edge_group_index",
                h5::read_u64(path, g, "edge_group_index")?,
            )?,
        )
    } else {
        (vec![0u16; n], (0..n as u32).collect())
    };
    let groups = h5::read_groups::<u16>(path, g)?;
    let pop = EdgePopulation {
        name: name.to_string(),
        source_population: pop_attr("source_node_id"),
        target_population: pop_attr("target_node_id"),
        source_node_id,
        target_node_id,
        edge_type_id,
        edge_group_id,
        edge_group_index,
        groups,
    };
    check_lengths(path, &pop)?;
    Ok(pop)
}

fn check_lengths(path: &Path, pop: &EdgePopulation) -> Result<()> {
    let n = pop.len();
    if pop.edge_type_id.len() != n
        || pop.edge_group_id.len() != n
        || pop.edge_group_index.len() != n
    {
        return Err(Error::format(
            path,
            format!("/edges/{}: edge_type_id, edge_group_id and edge_group_index must all have {n} rows", pop.name),
        ));
    }
    for (i, (&g, &k)) in pop
        .edge_group_id
        .iter()
        .zip(&pop.edge_group_index)
        .enumerate()
    {
        let size = pop
            .groups
            .iter()
            .find(|(id, _)| *id == g)
            .map(|(_, cols)| cols.first().map(|(_, c)| c.rows()).unwrap_or(usize::MAX));
        match size {
            None => {
                return Err(Error::format(
                    path,
                    format!(
                        "/edges/{}: edge {i} is in group {g}, which does not exist",
                        pop.name
                    ),
                ))
            }
            Some(rows) if (k as usize) >= rows => {
                return Err(Error::format(
                    path,
                    format!(
                    "/edges/{}: edge {i} has edge_group_index {k} but group {g} has {rows} rows",
                    pop.name
                ),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

fn narrow<T: TryFrom<u64>>(path: &Path, pop: &str, ds: &str, v: Vec<u64>) -> Result<Vec<T>> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| {
            T::try_from(x).map_err(|_| {
                Error::format(
                    path,
                    format!("/edges/{pop}/{ds}[{i}] = {x} is out of range"),
                )
            })
        })
        .collect()
}
