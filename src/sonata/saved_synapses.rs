//! The synapses a BioNet run made, written back as SONATA edges in the layout of BMTK's
//! `save_synapses` module: one population `<source>_<target>` per file, group 0 for synapses on
//! biophysical cells (`syn_weight`, `sec_id`, `sec_x`), group 1 for connections to point cells
//! (`syn_weight`), rows in the order the cells made them, indexed by target and by source.

use std::path::Path;

use super::h5::{self, PendingFile};
use crate::error::{Error, Result};

/// The rows of one saved population, in file order. `group[k]` is 0 (biophysical) or 1 (point);
/// the group columns hold their members in the same order.
pub struct SavedSynapses<'a> {
    pub source_population: &'a str,
    pub target_population: &'a str,
    pub edge_type_id: &'a [u32],
    pub source_node_id: &'a [u64],
    pub target_node_id: &'a [u64],
    pub group: &'a [u16],
    pub bio_syn_weight: &'a [f64],
    pub bio_sec_id: &'a [u64],
    pub bio_sec_x: &'a [f64],
    pub point_syn_weight: &'a [f64],
}

/// Writes `rows` to `path` (complete or not at all).
pub fn write_saved_synapses(path: &Path, rows: &SavedSynapses<'_>) -> Result<()> {
    let n = rows.group.len();
    let n_bio = rows.group.iter().filter(|&&g| g == 0).count();
    if [
        rows.edge_type_id.len(),
        rows.source_node_id.len(),
        rows.target_node_id.len(),
    ]
    .iter()
    .any(|&l| l != n)
        || [
            rows.bio_syn_weight.len(),
            rows.bio_sec_id.len(),
            rows.bio_sec_x.len(),
        ]
        .iter()
        .any(|&l| l != n_bio)
        || rows.point_syn_weight.len() != n - n_bio
        || rows.group.iter().any(|&g| g > 1)
    {
        return Err(Error::invalid(format!(
            "{}: saved synapse columns have inconsistent lengths or groups",
            path.display()
        )));
    }
    let mut index = Vec::with_capacity(n);
    let (mut nb, mut np) = (0u64, 0u64);
    for &g in rows.group {
        if g == 0 {
            index.push(nb);
            nb += 1;
        } else {
            index.push(np);
            np += 1;
        }
    }
    let pending = PendingFile::create(path)?;
    let file = pending.root();
    h5::write_root_attrs(path, file)?;
    let edges = h5::create_group(path, file, "edges")?;
    let name = format!("{}_{}", rows.source_population, rows.target_population);
    let g = h5::create_group(path, &edges, &name)?;
    h5::write_vec(path, &g, "edge_group_id", rows.group)?;
    let src = h5::write_vec(path, &g, "source_node_id", rows.source_node_id)?;
    h5::write_str_attr(path, &src, "node_population", rows.source_population)?;
    let trg = h5::write_vec(path, &g, "target_node_id", rows.target_node_id)?;
    h5::write_str_attr(path, &trg, "node_population", rows.target_population)?;
    h5::write_vec(path, &g, "edge_type_id", rows.edge_type_id)?;
    let g0 = h5::create_group(path, &g, "0")?;
    h5::write_vec(path, &g0, "syn_weight", rows.bio_syn_weight)?;
    h5::write_vec(path, &g0, "sec_id", rows.bio_sec_id)?;
    h5::write_vec(path, &g0, "sec_x", rows.bio_sec_x)?;
    let g1 = h5::create_group(path, &g, "1")?;
    h5::write_vec(path, &g1, "syn_weight", rows.point_syn_weight)?;
    h5::write_vec(path, &g, "edge_group_index", &index)?;
    let indices = h5::create_group(path, &g, "indices")?;
    for (dir, ids) in [
        ("target_to_source", rows.target_node_id),
        ("source_to_target", rows.source_node_id),
    ] {
        let (node_to_range, ranges) = runs_index(ids);
        let ig = h5::create_group(path, &indices, dir)?;
        h5::write_rows2(path, &ig, "range_to_edge_id", &ranges)?;
        h5::write_rows2(path, &ig, "node_id_to_range", &node_to_range)?;
    }
    drop(edges);
    pending.commit()
}

/// BMTK's index of a saved file: each node's maximal runs of consecutive rows, in row order,
/// and for every node id up to the largest one its span of runs ([0, 0] for a node without rows).
fn runs_index(ids: &[u64]) -> (Vec<[u64; 2]>, Vec<[u64; 2]>) {
    let Some(&max) = ids.iter().max() else {
        return (Vec::new(), Vec::new());
    };
    let mut per_node: Vec<Vec<[u64; 2]>> = vec![Vec::new(); max as usize + 1];
    let mut begin = 0usize;
    for end in 1..=ids.len() {
        if end == ids.len() || ids[end] != ids[begin] {
            per_node[ids[begin] as usize].push([begin as u64, end as u64]);
            begin = end;
        }
    }
    let mut ranges = Vec::new();
    let mut node_to_range = vec![[0u64; 2]; per_node.len()];
    for (node, runs) in per_node.into_iter().enumerate() {
        if !runs.is_empty() {
            let first = ranges.len() as u64;
            ranges.extend(runs);
            node_to_range[node] = [first, ranges.len() as u64];
        }
    }
    (node_to_range, ranges)
}

#[cfg(test)]
mod tests {
    use super::runs_index;

    #[test]
    fn runs_follow_row_order() {
        let (n2r, r) = runs_index(&[2, 2, 0, 2, 3]);
        assert_eq!(r, vec![[2, 3], [0, 2], [3, 4], [4, 5]]);
        assert_eq!(n2r, vec![[0, 1], [0, 0], [1, 3], [3, 4]]);
    }
}
