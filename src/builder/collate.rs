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
    let total: usize = tables.iter().map(|t| t.n_rows()).sum();
    if order.is_stable() && total < u32::MAX as usize {
        return collate_stable(name, source_population, target_population, tables);
    }
    let (table_group, n_groups) = group_ids(tables)?;
    let mut groups: Vec<(u16, Vec<(String, Column)>)> =
        (0..n_groups).map(|g| (g as u16, Vec::new())).collect();
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
    let mut group_sizes = vec![0u32; n_groups];
    for (t, &gid) in tables.iter().zip(&table_group) {
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

/// Group id of every table: tables with the same attribute names and types share a group,
/// numbered in order of first appearance.
fn group_ids(tables: &[&EdgeTypeTable]) -> Result<(Vec<usize>, usize)> {
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut ids = Vec::with_capacity(tables.len());
    for t in tables {
        let key = t.group_key();
        let gid = match keys.iter().position(|k| *k == key) {
            Some(g) => g,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        ids.push(gid);
    }
    if keys.len() > u16::MAX as usize {
        return Err(Error::invalid(
            "more than 65535 edge groups in one population",
        ));
    }
    Ok((ids, keys.len()))
}

/// Collation for a stable order, in linear time: every row goes straight to its place in
/// target order (ties in build order), then group attributes are scattered to their group rows.
fn collate_stable(
    name: &str,
    source_population: &str,
    target_population: &str,
    tables: &[&EdgeTypeTable],
) -> Result<EdgePopulation> {
    let (table_group, n_groups) = group_ids(tables)?;
    let total: usize = tables.iter().map(|t| t.n_rows()).sum();
    let max_t = tables
        .iter()
        .flat_map(|t| t.target_ids.iter().copied())
        .max()
        .unwrap_or(0) as usize;
    let mut cursor = vec![0usize; max_t + 2];
    for t in tables {
        let per_conn_rows = !t.has_properties();
        for c in t.conns() {
            let rows = if per_conn_rows { 1 } else { c.nsyns as usize };
            cursor[t.target_ids[c.trg as usize] as usize + 1] += rows;
        }
    }
    for k in 1..cursor.len() {
        cursor[k] += cursor[k - 1];
    }
    let mut src = vec![0u64; total];
    let mut trg = vec![0u64; total];
    let mut etype = vec![0u32; total];
    let mut gid = vec![0u16; total];
    let mut slots: Vec<Vec<u32>> = Vec::with_capacity(tables.len());
    for (ti, t) in tables.iter().enumerate() {
        let g = table_group[ti] as u16;
        let mut my_slots = Vec::with_capacity(t.n_rows());
        let mut place = |s: u32, tr: u32| {
            let tid = t.target_ids[tr as usize];
            let p = cursor[tid as usize];
            cursor[tid as usize] += 1;
            src[p] = t.source_ids[s as usize];
            trg[p] = tid;
            etype[p] = t.edge_type_id;
            gid[p] = g;
            my_slots.push(p as u32);
        };
        if t.has_properties() {
            for (s, tr) in t.synapse_pairs() {
                place(s, tr);
            }
        } else {
            for c in t.conns() {
                place(c.src, c.trg);
            }
        }
        slots.push(my_slots);
    }
    drop(cursor);
    let mut counters = vec![0u32; n_groups];
    let gidx: Vec<u32> = gid
        .iter()
        .map(|&g| {
            let k = counters[g as usize];
            counters[g as usize] += 1;
            k
        })
        .collect();
    let mut groups: Vec<(u16, Vec<(String, Column)>)> = Vec::with_capacity(n_groups);
    for (g, &size) in counters.iter().enumerate() {
        let first = table_group
            .iter()
            .position(|&x| x == g)
            .ok_or_else(|| Error::invalid("edge group without an edge type"))?;
        let mut cols: Vec<(String, Column)> = tables[first]
            .columns()
            .into_iter()
            .map(|(n, c)| {
                let z = c.zeros_like(size as usize);
                (n, z)
            })
            .collect();
        for (ti, t) in tables.iter().enumerate() {
            if table_group[ti] != g {
                continue;
            }
            let dest: Vec<u32> = std::mem::take(&mut slots[ti])
                .into_iter()
                .map(|p| gidx[p as usize])
                .collect();
            for (cname, col) in t.columns() {
                let out = cols.iter_mut().find(|(n, _)| *n == cname).ok_or_else(|| {
                    Error::invalid(format!("edge property '{cname}' missing in group {g}"))
                })?;
                col.scatter_into(&dest, &mut out.1)
                    .map_err(|e| Error::invalid(format!("edge property '{cname}': {e}")))?;
            }
        }
        groups.push((g as u16, cols));
    }
    Ok(EdgePopulation {
        name: name.to_string(),
        source_population: source_population.to_string(),
        target_population: target_population.to_string(),
        source_node_id: src,
        target_node_id: trg,
        edge_type_id: etype,
        edge_group_id: gid,
        edge_group_index: gidx,
        groups,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata::column::Values;

    /// A stable order through the general (permutation) path.
    struct PermStable;
    impl ArgSort for PermStable {
        fn argsort(&self, keys: &[u64]) -> Result<Vec<usize>> {
            let mut idx: Vec<usize> = (0..keys.len()).collect();
            idx.sort_by_key(|&i| keys[i]);
            Ok(idx)
        }
    }

    fn tables() -> Vec<EdgeTypeTable> {
        let mut a = EdgeTypeTable::new(100, vec![0, 1, 2], vec![5, 3, 4]).unwrap();
        a.fill_dense(&[1, 0, 2, 3, 1, 0, 0, 2, 1]).unwrap();
        let mut b = EdgeTypeTable::new(101, vec![7, 8], vec![4, 3]).unwrap();
        b.fill_constant(2);
        let n = b.n_syns() as usize;
        b.add_property(
            "syn_weight",
            Column::new(Values::F64((0..n).map(|i| i as f64).collect())),
        )
        .unwrap();
        let mut c = EdgeTypeTable::new(102, vec![1], vec![3, 5]).unwrap();
        c.fill_constant(1);
        vec![a, b, c]
    }

    #[test]
    fn stable_fast_path_equals_general_path() {
        let t = tables();
        let refs: Vec<&EdgeTypeTable> = t.iter().collect();
        let fast = collate("p", "s", "t", &refs, &crate::sonata::index::StableOrder).unwrap();
        let slow = collate("p", "s", "t", &refs, &PermStable).unwrap();
        assert_eq!(fast.source_node_id, slow.source_node_id);
        assert_eq!(fast.target_node_id, slow.target_node_id);
        assert_eq!(fast.edge_type_id, slow.edge_type_id);
        assert_eq!(fast.edge_group_id, slow.edge_group_id);
        assert_eq!(fast.edge_group_index, slow.edge_group_index);
        assert_eq!(fast.groups, slow.groups);
        assert!(fast.target_node_id.windows(2).all(|w| w[0] <= w[1]));
    }
}
