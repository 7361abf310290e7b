//! Edge indices (`indices/source_to_target`, `indices/target_to_source`): for every node id, the
//! range of rows of `range_to_edge_id`, each row a contiguous block of edges with that id.

use crate::error::Result;

/// Orders keys for the writer. BMTK orders with numpy's (unstable) quicksort; a caller that must
/// reproduce BMTK's files exactly supplies that ordering, a pure-Rust caller uses `StableOrder`.
pub trait ArgSort {
    fn argsort(&self, keys: &[u64]) -> Result<Vec<usize>>;
}

/// Ascending order, ties kept in their original order.
pub struct StableOrder;

impl ArgSort for StableOrder {
    fn argsort(&self, keys: &[u64]) -> Result<Vec<usize>> {
        let max = keys.iter().copied().max().unwrap_or(0) as usize;
        if max <= 4 * keys.len() + 1_000_000 {
            return Ok(counting_argsort(keys, max));
        }
        use rayon::slice::ParallelSliceMut;
        let mut idx: Vec<usize> = (0..keys.len()).collect();
        // A stable sort: equal keys keep their build order.
        idx.par_sort_by_key(|&i| keys[i]);
        Ok(idx)
    }
}

/// Stable argsort of small integer keys (node ids) in linear time.
fn counting_argsort(keys: &[u64], max: usize) -> Vec<usize> {
    let mut start = vec![0usize; max + 2];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut out = vec![0usize; keys.len()];
    for (i, &k) in keys.iter().enumerate() {
        let slot = &mut start[k as usize];
        out[*slot] = i;
        *slot += 1;
    }
    out
}

/// The two tables of one index direction.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeIndex {
    /// One [begin, end) row per node id 0..=max id, into `range_to_edge_id`.
    pub node_id_to_range: Vec<[u64; 2]>,
    /// One [begin, end) row per block of consecutive edges sharing a node id.
    pub range_to_edge_id: Vec<[u64; 2]>,
}

/// Builds the index of `ids` (the source or target node id of every edge, in file order).
pub fn build_index(ids: &[u64], order: &dyn ArgSort) -> Result<EdgeIndex> {
    if ids.is_empty() {
        return Ok(EdgeIndex {
            node_id_to_range: Vec::new(),
            range_to_edge_id: Vec::new(),
        });
    }
    let mut run_ids = Vec::new();
    let mut runs = Vec::new();
    let mut beg = 0usize;
    for i in 1..=ids.len() {
        if i == ids.len() || ids[i] != ids[beg] {
            run_ids.push(ids[beg]);
            runs.push([beg as u64, i as u64]);
            beg = i;
        }
    }
    let perm = order.argsort(&run_ids)?;
    let sorted_ids: Vec<u64> = perm.iter().map(|&p| run_ids[p]).collect();
    let range_to_edge_id: Vec<[u64; 2]> = perm.iter().map(|&p| runs[p]).collect();
    let max_id = *sorted_ids.last().unwrap_or(&0) as usize;
    let mut node_id_to_range = vec![[0u64, 0u64]; max_id + 1];
    let mut b = 0usize;
    for i in 1..=sorted_ids.len() {
        if i == sorted_ids.len() || sorted_ids[i] != sorted_ids[b] {
            node_id_to_range[sorted_ids[b] as usize] = [b as u64, i as u64];
            b = i;
        }
    }
    Ok(EdgeIndex {
        node_id_to_range,
        range_to_edge_id,
    })
}

/// Edge ids of node `id` according to an index (used by readers).
pub fn edges_of(index: &EdgeIndex, id: u64) -> Vec<u64> {
    let mut out = Vec::new();
    if let Some(r) = index.node_id_to_range.get(id as usize) {
        for row in &index.range_to_edge_id[r[0] as usize..r[1] as usize] {
            out.extend(row[0]..row[1]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_sort_is_stable() {
        let keys = [5u64, 1, 5, 0, 1, 5];
        assert_eq!(StableOrder.argsort(&keys).unwrap(), vec![3, 1, 4, 0, 2, 5]);
    }

    #[test]
    fn runs_and_ranges() {
        let ids = [3u64, 3, 1, 3, 0, 0];
        let idx = build_index(&ids, &StableOrder).unwrap();
        assert_eq!(idx.range_to_edge_id, vec![[4, 6], [2, 3], [0, 2], [3, 4]]);
        assert_eq!(idx.node_id_to_range, vec![[0, 1], [1, 2], [0, 0], [2, 4]]);
        assert_eq!(edges_of(&idx, 3), vec![0, 1, 3]);
        assert!(edges_of(&idx, 2).is_empty());
    }
}
