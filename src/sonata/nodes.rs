//! SONATA nodes files: `/nodes/<population>` with node ids, type ids and groups of per-node
//! attributes, in BMTK 1.2.0's layout and dtypes, without compression filters.

use std::path::Path;

use hdf5::Group;

use super::column::Column;
use super::h5::{self, PendingFile};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct NodePopulation {
    pub name: String,
    pub node_id: Vec<u64>,
    pub node_type_id: Vec<u64>,
    pub node_group_id: Vec<u32>,
    pub node_group_index: Vec<u64>,
    /// (group id, [(attribute name, values)]).
    pub groups: Vec<(u32, Vec<(String, Column)>)>,
}

impl NodePopulation {
    pub fn len(&self) -> usize {
        self.node_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.node_id.is_empty()
    }

    /// Value of attribute `name` for row `row`, looked up through its group.
    pub fn group_column(&self, row: usize, name: &str) -> Option<(&Column, usize)> {
        let gid = *self.node_group_id.get(row)?;
        let (_, cols) = self.groups.iter().find(|(g, _)| *g == gid)?;
        let (_, col) = cols.iter().find(|(n, _)| n == name)?;
        Some((col, self.node_group_index[row] as usize))
    }
}

pub fn write_nodes_file(path: &Path, pops: &[NodePopulation]) -> Result<()> {
    let pending = PendingFile::create(path)?;
    let file = pending.root();
    h5::write_root_attrs(path, file)?;
    let nodes = h5::create_group(path, file, "nodes")?;
    for pop in pops {
        let g = h5::create_group(path, &nodes, &pop.name)?;
        h5::write_vec(path, &g, "node_id", &pop.node_id)?;
        h5::write_vec(path, &g, "node_type_id", &pop.node_type_id)?;
        h5::write_vec(path, &g, "node_group_id", &pop.node_group_id)?;
        h5::write_vec(path, &g, "node_group_index", &pop.node_group_index)?;
        for (gid, cols) in &pop.groups {
            let grp = h5::create_group(path, &g, &gid.to_string())?;
            for (name, col) in cols {
                h5::write_column(path, &grp, name, col)?;
            }
        }
    }
    pending.commit()
}

pub fn read_nodes_file(path: &Path) -> Result<Vec<NodePopulation>> {
    let file = h5::open_read(path)?;
    let nodes = file
        .group("nodes")
        .map_err(|_| Error::format(path, "no '/nodes' group: not a SONATA nodes file"))?;
    let mut names = nodes
        .member_names()
        .map_err(|e| Error::hdf5(path, "/nodes", e))?;
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let g = nodes
            .group(&name)
            .map_err(|e| Error::hdf5(path, &format!("/nodes/{name}"), e))?;
        out.push(read_population(path, &name, &g)?);
    }
    Ok(out)
}

fn read_population(path: &Path, name: &str, g: &Group) -> Result<NodePopulation> {
    let node_type_id = h5::read_u64(path, g, "node_type_id")?;
    let n = node_type_id.len();
    let node_id = if g.link_exists("node_id") {
        h5::read_u64(path, g, "node_id")?
    } else {
        (0..n as u64).collect()
    };
    let (node_group_id, node_group_index) = if g.link_exists("node_group_id") {
        let gid = h5::read_u64(path, g, "node_group_id")?
            .into_iter()
            .map(|x| x as u32)
            .collect();
        (gid, h5::read_u64(path, g, "node_group_index")?)
    } else {
        (vec![0u32; n], (0..n as u64).collect())
    };
    if node_id.len() != n || node_group_id.len() != n || node_group_index.len() != n {
        return Err(Error::format(
            path,
            format!("/nodes/{name}: node_id, node_type_id, node_group_id and node_group_index must have the same length"),
        ));
    }
    let groups = h5::read_groups::<u32>(path, g)?;
    Ok(NodePopulation {
        name: name.to_string(),
        node_id,
        node_type_id,
        node_group_id,
        node_group_index,
        groups,
    })
}
