//! The connections made by one `add_edges` call (one edge type): only the (source, target) pairs
//! that have synapses are kept, never a dense source x target matrix.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::sonata::column::{Column, Values};

/// One connected pair: indices into the source and target selections, and its synapse count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conn {
    pub src: u32,
    pub trg: u32,
    pub nsyns: u32,
}

#[derive(Debug, Clone)]
pub struct EdgeTypeTable {
    pub edge_type_id: u32,
    /// Node ids of the source selection, in selection order.
    pub source_ids: Vec<u64>,
    /// Node ids of the target selection, in selection order.
    pub target_ids: Vec<u64>,
    /// Connected pairs ordered by (source index, target index).
    conns: Vec<Conn>,
    sorted: bool,
    /// Per-synapse properties from `add_properties`; when present there is one row per synapse.
    props: Vec<(String, Column)>,
}

impl EdgeTypeTable {
    pub fn new(edge_type_id: u32, source_ids: Vec<u64>, target_ids: Vec<u64>) -> Result<Self> {
        if source_ids.len() > u32::MAX as usize || target_ids.len() > u32::MAX as usize {
            return Err(Error::invalid("a selection is larger than 2^32 nodes"));
        }
        Ok(EdgeTypeTable {
            edge_type_id,
            source_ids,
            target_ids,
            conns: Vec::new(),
            sorted: true,
            props: Vec::new(),
        })
    }

    pub fn n_sources(&self) -> usize {
        self.source_ids.len()
    }

    pub fn n_targets(&self) -> usize {
        self.target_ids.len()
    }

    /// Every pair gets `nsyns` synapses (an integer connection rule), generated in parallel.
    pub fn fill_constant(&mut self, nsyns: u32) {
        self.conns.clear();
        if nsyns > 0 {
            let nt = self.n_targets() as u32;
            self.conns = (0..self.n_sources() as u32)
                .into_par_iter()
                .flat_map_iter(|s| {
                    (0..nt).map(move |t| Conn {
                        src: s,
                        trg: t,
                        nsyns,
                    })
                })
                .collect();
        }
        self.sorted = true;
    }

    /// Counts for all pairs, source-major (`counts[s * n_targets + t]`), zeros dropped.
    pub fn fill_dense(&mut self, counts: &[u32]) -> Result<()> {
        let nt = self.n_targets();
        if counts.len() != self.n_sources() * nt {
            return Err(Error::invalid(format!(
                "connection matrix has {} entries, expected {} sources x {} targets = {}",
                counts.len(),
                self.n_sources(),
                nt,
                self.n_sources() * nt
            )));
        }
        if nt == 0 {
            self.conns.clear();
            return Ok(());
        }
        self.conns = counts
            .par_chunks(nt)
            .enumerate()
            .flat_map_iter(|(s, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(move |(t, &n)| Conn {
                        src: s as u32,
                        trg: t as u32,
                        nsyns: n,
                    })
            })
            .collect();
        self.sorted = true;
        Ok(())
    }

    /// Records the count of one pair (pairs may come in any order; zero counts are dropped).
    pub fn push(&mut self, src: u32, trg: u32, nsyns: u32) {
        if nsyns == 0 {
            return;
        }
        if let Some(last) = self.conns.last() {
            if (last.src, last.trg) >= (src, trg) {
                self.sorted = false;
            }
        }
        self.conns.push(Conn { src, trg, nsyns });
    }

    /// Puts the pairs in (source, target) order; a pair given twice keeps the last count.
    pub fn finish_counts(&mut self) {
        if !self.sorted {
            // stable, so of a pair given twice the later count stays last
            self.conns.par_sort_by_key(|c| (c.src, c.trg));
            let mut out: Vec<Conn> = Vec::with_capacity(self.conns.len());
            for c in self.conns.drain(..) {
                match out.last_mut() {
                    Some(l) if l.src == c.src && l.trg == c.trg => *l = c,
                    _ => out.push(c),
                }
            }
            self.conns = out;
            self.sorted = true;
        }
    }

    /// True once `add_properties` values exist: then there is one row per synapse.
    pub fn has_properties(&self) -> bool {
        !self.props.is_empty()
    }

    pub fn conns(&self) -> &[Conn] {
        &self.conns
    }

    pub fn n_syns(&self) -> u64 {
        self.conns.iter().map(|c| c.nsyns as u64).sum()
    }

    /// Rows this edge type contributes to the edges file.
    pub fn n_rows(&self) -> usize {
        if self.props.is_empty() {
            self.conns.len()
        } else {
            self.n_syns() as usize
        }
    }

    /// (source index, target index) of every synapse, a pair repeated once per synapse.
    pub fn synapse_pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.conns
            .iter()
            .flat_map(|c| std::iter::repeat_n((c.src, c.trg), c.nsyns as usize))
    }

    pub fn add_property(&mut self, name: &str, col: Column) -> Result<()> {
        if name == "nsyns" {
            return Err(Error::invalid(
                "'nsyns' is set by the connection rule, not by add_properties",
            ));
        }
        if self.props.iter().any(|(n, _)| n == name) {
            return Err(Error::invalid(format!(
                "edge property '{name}' is already set for edge type {}",
                self.edge_type_id
            )));
        }
        let want = self.n_syns() as usize;
        if col.rows() != want {
            return Err(Error::invalid(format!(
                "edge property '{name}' has {} values for {want} synapses",
                col.rows()
            )));
        }
        self.props.push((name.to_string(), col));
        Ok(())
    }

    /// The attributes this edge type writes: its properties, or `nsyns` when it has none.
    pub fn columns(&self) -> Vec<(String, Column)> {
        if self.props.is_empty() {
            let n = self.conns.iter().map(|c| c.nsyns).collect();
            vec![("nsyns".to_string(), Column::new(Values::U32(n)))]
        } else {
            self.props.clone()
        }
    }

    /// Group key: attribute names and types, sorted; edge types with equal keys share a group.
    pub fn group_key(&self) -> Vec<String> {
        let mut k: Vec<String> = if self.props.is_empty() {
            vec!["nsyns(uint32)".to_string()]
        } else {
            self.props
                .iter()
                .map(|(n, c)| format!("{n}({})", c.values.dtype_name()))
                .collect()
        };
        k.sort();
        k
    }

    /// (source node id, target node id) of every row.
    pub fn row_node_ids(&self) -> (Vec<u64>, Vec<u64>) {
        let n = self.n_rows();
        let mut s = Vec::with_capacity(n);
        let mut t = Vec::with_capacity(n);
        if self.props.is_empty() {
            for c in &self.conns {
                s.push(self.source_ids[c.src as usize]);
                t.push(self.target_ids[c.trg as usize]);
            }
        } else {
            for (a, b) in self.synapse_pairs() {
                s.push(self.source_ids[a as usize]);
                t.push(self.target_ids[b as usize]);
            }
        }
        (s, t)
    }
}
