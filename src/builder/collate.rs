//! Merges the edge types between one source and one target network into one SONATA edge
//! population: groups by attribute set, then orders rows by target node id.

use crate::error::{Error, Result};
use crate::sonata::column::Column;
use crate::sonata::edges::EdgePopulation;
use crate::sonata::index::ArgSort;

use super::edge_table::EdgeTypeTable;

pub fn collate(
    name: &str,
    source_population: &str,
    target_population: &str,
    tables: &[&EdgeTypeTable],
    order: &dyn ArgSort,
) -> Result<EdgePopulation> {
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut groups: Vec<(u16, Vec<(String, Column)>)> = Vec::new();
    let total: usize = tables.iter().map(|t| t.n_rows()).sum();
    let mut pop = EdgePopulation {
        name: name.to_string(),
        source_population: source_population.to_string(),
        target_population: target_population.to_string(),
        source_node_id: Vec::with_capacity(total),
        target_node_id: Vec::with_capacity(total),
        edge_type_id: Vec::with_capacity(total),
        edge_group_id: Vec::with_capacity(total),
        edge_group_index: Vec::with_capacity(total),
        groups: Vec::new(),
    };
    let mut group_sizes: Vec<u32> = Vec::new();
    for t in tables {
        let key = t.group_key();
        let gid = match keys.iter().position(|k| *k == key) {
            Some(g) => g,
            None => {
                keys.push(key);
                group_sizes.push(0);
                groups.push(((keys.len() - 1) as u16, Vec::new()));
                keys.len() - 1
            }
        };
        let n = t.n_rows();
        let (s, tr) = t.row_node_ids();
        pop.source_node_id.extend(s);
        pop.target_node_id.extend(tr);
        pop.edge_type_id
            .extend(std::iter::repeat_n(t.edge_type_id, n));
        pop.edge_group_id.extend(std::iter::repeat_n(gid as u16, n));
        let beg = group_sizes[gid];
        pop.edge_group_index.extend(beg..beg + n as u32);
        group_sizes[gid] += n as u32;
        let cols = &mut groups[gid].1;
        if cols.is_empty() {
            *cols = t.columns();
        } else {
            for (name, col) in t.columns() {
                let dst = cols.iter_mut().find(|(n, _)| *n == name).ok_or_else(|| {
                    Error::invalid(format!("edge property '{name}' missing in group {gid}"))
                })?;
                dst.1
                    .extend(&col)
                    .map_err(|e| Error::invalid(format!("edge property '{name}': {e}")))?;
            }
        }
    }
    pop.groups = groups;
    sort_by_target(&mut pop, order)?;
    Ok(pop)
}

/// Orders rows by target node id and reorders each group's attributes to follow.
fn sort_by_target(pop: &mut EdgePopulation, order: &dyn ArgSort) -> Result<()> {
    let t = &pop.target_node_id;
    if t.windows(2).all(|w| w[0] == w[1]) {
        return Ok(());
    }
    let perm = order.argsort(t)?;
    let take_u64 = |v: &Vec<u64>| perm.iter().map(|&i| v[i]).collect::<Vec<_>>();
    pop.source_node_id = take_u64(&pop.source_node_id);
    pop.target_node_id = take_u64(&pop.target_node_id);
    pop.edge_type_id = perm.iter().map(|&i| pop.edge_type_id[i]).collect();
    pop.edge_group_id = perm.iter().map(|&i| pop.edge_group_id[i]).collect();
    pop.edge_group_index = perm.iter().map(|&i| pop.edge_group_index[i]).collect();
    for (gid, cols) in pop.groups.iter_mut() {
        let rows: Vec<usize> = (0..pop.edge_group_id.len())
            .filter(|&r| pop.edge_group_id[r] == *gid)
            .collect();
        let old: Vec<usize> = rows
            .iter()
            .map(|&r| pop.edge_group_index[r] as usize)
            .collect();
        for (_, col) in cols.iter_mut() {
            *col = col.take(&old);
        }
        for (k, &r) in rows.iter().enumerate() {
            pop.edge_group_index[r] = k as u32;
        }
    }
    Ok(())
}
