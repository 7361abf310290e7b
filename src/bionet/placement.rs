//! Where BMTK 1.2.0's BioNet puts the synapses of an edge on a biophysical target cell.
//!
//! What bmtk does (bionet/cell.py, biocell.py, morphology.py, bionetwork.py, biosimulator.py),
//! reproduced here:
//!
//! - **Stream.** Each local target cell owns one `np.random.RandomState(gid)`, created once
//!   before its first edge is built. The gid is the node id plus the offset of the node's
//!   population: populations get consecutive gid blocks in the order they were loaded (the
//!   config's `networks.nodes` list, then the populations of each file in the order h5py lists
//!   them, by name), each block `max(node_ids) + 1` long, virtual populations included.
//!   `run.random_seed` plays no part, nor does the MPI rank the cell lives on.
//! - **Which edges draw.** An edge group with `afferent_section_id` or `sec_id` columns is
//!   preselected: the synapse goes to that section at `afferent_section_pos`/`sec_x` and nothing
//!   is drawn. Otherwise, with an `nsyns` column, the edge draws `nsyns` locations with
//!   `choice(candidates, nsyns, p=probs)`: `nsyns` uniform doubles, one after the other. An edge
//!   whose candidate set is empty draws nothing: bmtk logs "Could not find target synaptic
//!   location for edge-type ..." and makes no synapse. A non-preselected gap junction with
//!   `nsyns >= 1` draws exactly one location and sits at 0.5 of the drawn segment's section.
//! - **Order of edges.** A cell's stream is consumed in the order its incoming edges are built:
//!   first every recurrent edge population (both ends non-virtual; a population mixing virtual
//!   and real sources skips the virtual ones), in load order (the config's `networks.edges` list,
//!   disabled ones skipped, then the populations of each file); then, for each spike input of the
//!   config's `inputs` in order, the edge populations whose source is a population of the input's
//!   node set, in load order (a population reached by two inputs is built twice; `replay`
//!   inputs build their own edge files at their place in that list). Within one
//!   population, a cell's edges come in the order of the `target_to_source` index (its ranges in
//!   `node_id_to_range` order, each range in row order).
//! - **Candidates.** Per segment (sections in `hobj.all` order, segments in x order): its section
//!   type, length `L / nseg`, and `h.distance` from soma[0](0) to the segment, i.e. NEURON's
//!   path distance between nodes: from the segment's node up through the connection node of each
//!   ancestor (a parent's segment centre, its 1 end, or its own connection node) to soma[0].
//!   With `d0, d1 = dist -/+ length / 2`, the overlap fraction
//!   `max(0, min(d1, dmax) - max(d0, dmin)) / length`; candidates are the segments, in index
//!   order, whose fraction is > 0 and whose type is one of `target_sections` (soma/somatic,
//!   axon/axonal, dend/basal, apic/apical). Weights are `length * fraction`, probabilities the
//!   weights over their numpy (pairwise) sum. The table is cached per (sections, range).
//! - **Location.** The drawn segment's section and its centre `x = (i + 0.5) / nseg`; NEURON
//!   then attaches the point process to the node of that segment.
//!
//! The per-segment table can be shared between cells with the same geometry ([`SegmentTable`]
//! behind an `Arc`). bmtk shares it more widely: one table per (morphology file, total nseg when
//! the cell is loaded, i.e. before `dL`), computed on the first such cell, so two node types that
//! put one SWC through different model_processing (say perisomatic and all-active stubs, same
//! section count) both get the first one's axon distances.

use std::collections::HashMap;
use std::sync::Arc;

use super::morphology::{type_name, CellGeometry, Section, APIC, AXON, DEND, SOMA};
use super::np_random::{np_sum, ChoiceCdf, RandomState};
use crate::error::{Error, Result};

/// One synapse location: section index (hobj.all order), x along it, and the geometry node
/// the point process attaches to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynapseSite {
    pub sec_id: usize,
    pub sec_x: f64,
    pub node: usize,
}

/// SWC type code of a `target_sections` name, as bmtk's `Morphology.sec_type_swc`.
pub fn section_type_code(name: &str) -> Option<i32> {
    match name {
        "soma" | "somatic" => Some(SOMA),
        "axon" | "axonal" => Some(AXON),
        "dend" | "basal" => Some(DEND),
        "apic" | "apical" => Some(APIC),
        _ => None,
    }
}

/// Where each section's nodes are in a [`CellGeometry`].
#[derive(Debug, Clone)]
struct SectionNodes {
    first: Vec<usize>,
    nseg: Vec<usize>,
    /// The node the section hangs from (the root node for the root section).
    parent_node: Vec<usize>,
}

impl SectionNodes {
    fn new(g: &CellGeometry) -> Result<Self> {
        let n = g.n_nodes();
        let bad = |why: &str| Error::invalid(format!("cell geometry: {why}"));
        if n == 0 || g.node_parent.first() != Some(&-1) {
            return Err(bad("node 0 must be the root node"));
        }
        let nsec = g.node_sec.iter().copied().max().map_or(0, |m| m + 1);
        let mut first = vec![usize::MAX; nsec];
        let mut nseg = vec![0usize; nsec];
        let mut end = vec![usize::MAX; nsec];
        for i in 1..n {
            let s = g.node_sec[i];
            let x = g.node_x[i];
            if x >= 1.0 {
                end[s] = i;
            } else if x > 0.0 {
                if first[s] == usize::MAX {
                    first[s] = i;
                }
                if first[s] + nseg[s] != i {
                    return Err(bad("the segments of a section are not consecutive nodes"));
                }
                nseg[s] += 1;
            } else {
                return Err(bad("only the root node may sit at x = 0"));
            }
        }
        let mut parent_node = vec![0usize; nsec];
        for s in 0..nsec {
            if nseg[s] == 0 || end[s] != first[s] + nseg[s] {
                return Err(bad(&format!(
                    "section {s} has no segments or its x = 1 node does not follow them"
                )));
            }
            let p = g.node_parent[first[s]];
            parent_node[s] = usize::try_from(p).map_err(|_| bad("a segment has no parent node"))?;
        }
        Ok(SectionNodes {
            first,
            nseg,
            parent_node,
        })
    }

    fn n_sections(&self) -> usize {
        self.first.len()
    }

    /// NEURON's `node_exact(sec, x)`: x <= 0 the node the section hangs from, x >= 1 its end
    /// node, otherwise the segment `int(nseg * x)`.
    fn at(&self, sec_id: usize, x: f64) -> Result<usize> {
        if sec_id >= self.n_sections() {
            return Err(Error::invalid(format!(
                "section id {sec_id} is out of range: the cell has {} sections",
                self.n_sections()
            )));
        }
        if !(0.0..=1.0).contains(&x) {
            return Err(Error::invalid(format!(
                "section position {x} (section id {sec_id}) must be within [0, 1]"
            )));
        }
        let n = self.nseg[sec_id];
        Ok(if x <= 0.0 {
            self.parent_node[sec_id]
        } else if x >= 1.0 {
            self.first[sec_id] + n
        } else {
            self.first[sec_id] + ((n as f64 * x) as usize).min(n - 1)
        })
    }
}

/// The node NEURON attaches a point process placed at `sec(x)` to (`node_exact`): for x = 0 the
/// node the section hangs from (on its parent, or the root node), for x = 1 the section's end
/// node, otherwise the node of segment `int(nseg * x)`. For many look-ups on one cell use
/// [`SegmentTable::node_at`].
pub fn node_at(geometry: &CellGeometry, sec_id: usize, x: f64) -> Result<usize> {
    SectionNodes::new(geometry)?.at(sec_id, x)
}

/// bmtk's per-segment properties (its `seg_props`) for one geometry, in bmtk's segment order.
#[derive(Debug, Clone)]
pub struct SegmentTable {
    pub sec_id: Vec<usize>,
    pub x: Vec<f64>,
    pub kind: Vec<i32>,
    /// `L / nseg` (um).
    pub length: Vec<f64>,
    /// `h.distance` from soma[0](0) (um).
    pub dist: Vec<f64>,
    pub node: Vec<usize>,
    sections: SectionNodes,
}

impl SegmentTable {
    /// `sections` are the morphology's sections (hobj.all order) the geometry was built from.
    pub fn new(geometry: &CellGeometry, sections: &[Section]) -> Result<Self> {
        let sn = SectionNodes::new(geometry)?;
        if sn.n_sections() != sections.len() {
            return Err(Error::invalid(format!(
                "cell geometry has {} sections but {} were given",
                sn.n_sections(),
                sections.len()
            )));
        }
        for (s, sec) in sections.iter().enumerate() {
            if sec.nseg != sn.nseg[s] {
                return Err(Error::invalid(format!(
                    "section {} has nseg {} but {} segments in the geometry",
                    sec.name(),
                    sec.nseg,
                    sn.nseg[s]
                )));
            }
        }
        let root = 0usize;
        if sections[root].parent.is_some() || sections[root].kind != SOMA {
            return Err(Error::invalid(
                "the first section must be soma[0], the root of the cell (bmtk measures \
                 synapse distances from soma[0](0))",
            ));
        }
        // NEURON's section_length: the arc length of the last 3-d point, never below 1e-9
        let len: Vec<f64> = sections.iter().map(|s| s.length().max(1e-9)).collect();
        let node_dist = |s: usize, node: usize| -> f64 {
            if node == sn.parent_node[s] {
                0.0
            } else if node == sn.first[s] + sn.nseg[s] {
                len[s]
            } else {
                let i = node - sn.first[s];
                len[s] * ((i as f64 + 0.5) / sn.nseg[s] as f64)
            }
        };
        let total: usize = sn.nseg.iter().sum();
        let mut t = SegmentTable {
            sec_id: Vec::with_capacity(total),
            x: Vec::with_capacity(total),
            kind: Vec::with_capacity(total),
            length: Vec::with_capacity(total),
            dist: Vec::with_capacity(total),
            node: Vec::with_capacity(total),
            sections: sn.clone(),
        };
        for (s, sec) in sections.iter().enumerate() {
            let nseg = sn.nseg[s];
            for i in 0..nseg {
                let node = sn.first[s] + i;
                // topol_distance from soma[0]'s x = 0 node: climb from the segment's node to
                // soma[0], summing the part of each section between the node and where the
                // section hangs from, leaf first as NEURON adds them
                let (mut cur, mut nd, mut d) = (s, node, 0.0f64);
                let mut guard = 0usize;
                while cur != root {
                    d += node_dist(cur, nd);
                    nd = sn.parent_node[cur];
                    cur = sections[cur].parent.ok_or_else(|| {
                        Error::invalid(format!(
                            "section {} is not connected to soma[0]",
                            sections[cur].name()
                        ))
                    })?;
                    guard += 1;
                    if guard > sections.len() {
                        return Err(Error::invalid("the sections form a cycle"));
                    }
                }
                if nd != sn.parent_node[root] {
                    d += node_dist(root, nd);
                }
                t.sec_id.push(s);
                t.x.push((i as f64 + 0.5) / nseg as f64);
                t.kind.push(sec.kind);
                t.length.push(len[s] / nseg as f64);
                t.dist.push(d);
                t.node.push(node);
            }
        }
        if t.node != geometry.seg_node {
            return Err(Error::invalid(
                "cell geometry: seg_node does not list the segments in hobj.all order",
            ));
        }
        Ok(t)
    }

    pub fn len(&self) -> usize {
        self.sec_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sec_id.is_empty()
    }

    /// [`node_at`] on this table's geometry.
    pub fn node_at(&self, sec_id: usize, x: f64) -> Result<usize> {
        self.sections.at(sec_id, x)
    }

    /// bmtk's `find_sections`: the candidate segments and the choice table over them.
    fn candidates(&self, kinds: &[i32], range: [f64; 2]) -> Result<Candidates> {
        let [dmin, dmax] = range;
        let mut seg = Vec::new();
        let mut w = Vec::new();
        for k in 0..self.len() {
            let l = self.length[k];
            let d0 = self.dist[k] - l / 2.0;
            let d1 = self.dist[k] + l / 2.0;
            let frac = (d1.min(dmax) - d0.max(dmin)).max(0.0) / l;
            if frac > 0.0 && kinds.contains(&self.kind[k]) {
                seg.push(k);
                w.push(l * frac);
            }
        }
        if seg.is_empty() {
            return Ok(Candidates { seg, cdf: None });
        }
        let total = np_sum(&w);
        let p: Vec<f64> = w.iter().map(|&v| v / total).collect();
        Ok(Candidates {
            seg,
            cdf: Some(ChoiceCdf::new(&p)?),
        })
    }
}

#[derive(Debug)]
struct Candidates {
    seg: Vec<usize>,
    cdf: Option<ChoiceCdf>,
}

/// One target cell's synapse placement: the segment table, the candidate tables already asked
/// for, and the cell's legacy RandomState.
#[derive(Debug, Clone)]
pub struct SynapsePlacer {
    table: Arc<SegmentTable>,
    cache: HashMap<(Vec<i32>, [u64; 2]), Arc<Candidates>>,
    rng: RandomState,
}

impl SynapsePlacer {
    /// A placer for one cell; `seed` is bmtk's gid of the cell (see the module documentation).
    pub fn new(geometry: &CellGeometry, sections: &[Section], seed: u32) -> Result<Self> {
        Ok(Self::with_table(
            Arc::new(SegmentTable::new(geometry, sections)?),
            seed,
        ))
    }

    /// A placer on a table shared between cells of the same geometry.
    pub fn with_table(table: Arc<SegmentTable>, seed: u32) -> Self {
        SynapsePlacer {
            table,
            cache: HashMap::new(),
            rng: RandomState::new(seed),
        }
    }

    pub fn table(&self) -> &Arc<SegmentTable> {
        &self.table
    }

    fn lookup(
        &mut self,
        target_sections: &[String],
        distance_range: [f64; 2],
    ) -> Result<Arc<Candidates>> {
        if distance_range.iter().any(|v| v.is_nan()) {
            return Err(Error::invalid(format!(
                "distance_range {distance_range:?} contains NaN"
            )));
        }
        let mut kinds = Vec::with_capacity(target_sections.len());
        for name in target_sections {
            let code = section_type_code(name).ok_or_else(|| {
                Error::invalid(format!(
                    "target_sections: unknown section type '{name}' (expected soma, somatic, \
                     axon, axonal, dend, basal, apic or apical)"
                ))
            })?;
            kinds.push(code);
        }
        kinds.sort_unstable();
        kinds.dedup();
        let key = (kinds, distance_range.map(f64::to_bits));
        if let Some(c) = self.cache.get(&key) {
            return Ok(c.clone());
        }
        let c = Arc::new(self.table.candidates(&key.0, distance_range)?);
        self.cache.insert(key, c.clone());
        Ok(c)
    }

    /// How many segments an edge with these `target_sections`/`distance_range` can land on.
    /// Zero is where bmtk warns "Could not find target synaptic location" and skips the edge
    /// without drawing; [`place`](Self::place) returns an error then.
    pub fn n_candidates(
        &mut self,
        target_sections: &[String],
        distance_range: [f64; 2],
    ) -> Result<usize> {
        Ok(self.lookup(target_sections, distance_range)?.seg.len())
    }

    /// bmtk's draw for one edge: `nsyns` locations from the cell's stream. On error nothing is
    /// drawn.
    pub fn place(
        &mut self,
        target_sections: &[String],
        distance_range: [f64; 2],
        nsyns: usize,
    ) -> Result<Vec<SynapseSite>> {
        let c = self.lookup(target_sections, distance_range)?;
        let Some(cdf) = c.cdf.as_ref() else {
            let names: Vec<&str> = target_sections.iter().map(String::as_str).collect();
            let present: Vec<&str> = {
                let mut k = self.table.kind.clone();
                k.sort_unstable();
                k.dedup();
                k.into_iter().map(type_name).collect()
            };
            return Err(Error::invalid(format!(
                "could not find a target synaptic location: no segment of type {names:?} lies \
                 within distance_range [{}, {}] um of soma[0](0) (the cell has {} segments of \
                 types {present:?})",
                distance_range[0],
                distance_range[1],
                self.table.len()
            )));
        };
        let t = &self.table;
        Ok(self
            .rng
            .choice(cdf, nsyns)
            .into_iter()
            .map(|i| {
                let k = c.seg[i];
                SynapseSite {
                    sec_id: t.sec_id[k],
                    sec_x: t.x[k],
                    node: t.node[k],
                }
            })
            .collect())
    }

    /// [`node_at`] for explicit `sec_id`/`sec_x` edges (draws nothing).
    pub fn node_at(&self, sec_id: usize, x: f64) -> Result<usize> {
        self.table.node_at(sec_id, x)
    }
}

#[cfg(test)]
mod tests {
    use super::super::morphology::Morphology;
    use super::super::swc::Swc;
    use super::*;
    use std::path::Path;

    fn cell(dl: f64) -> (Morphology, CellGeometry) {
        // soma, a basal dendrite from the soma centre with a child at its end, and an apical
        // dendrite, each long enough for several segments
        let text = "1 1 0 0 0 5 -1\n\
                    2 3 0 -6 0 1 1\n3 3 0 -66 0 1 2\n4 3 20 -100 0 1 3\n\
                    5 4 0 6 0 1 1\n6 4 0 106 0 1 5\n";
        let swc = Swc::parse(Path::new("t.swc"), text).unwrap();
        let mut m = Morphology::from_swc(&swc);
        m.set_segment_dl(dl).unwrap();
        let g = m.geometry(&|_| 100.0, None, None).unwrap();
        (m, g)
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn distances_follow_the_tree() {
        let (m, g) = cell(20.0);
        let t = SegmentTable::new(&g, &m.sections).unwrap();
        assert_eq!(t.len(), g.seg_node.len());
        for k in 0..t.len() {
            let s = t.sec_id[k];
            let sec = &m.sections[s];
            // a child of a child of the soma adds its parent's full length
            let mut expect = t.x[k] * sec.length();
            let mut cur = s;
            while let Some(p) = m.sections[cur].parent {
                let px = m.sections[cur].parent_x;
                expect += px * m.sections[p].length();
                cur = p;
            }
            assert!(
                (t.dist[k] - expect).abs() < 1e-9,
                "{k}: {} vs {expect}",
                t.dist[k]
            );
            assert!(t.dist[k] > 0.0);
        }
    }

    #[test]
    fn draws_land_on_candidates_and_repeat_with_the_seed() {
        let (m, g) = cell(10.0);
        let mut a = SynapsePlacer::new(&g, &m.sections, 42).unwrap();
        let mut b = SynapsePlacer::new(&g, &m.sections, 42).unwrap();
        let req = names(&["basal"]);
        let sa = a.place(&req, [10.0, 50.0], 200).unwrap();
        let sb = b.place(&req, [10.0, 50.0], 200).unwrap();
        assert_eq!(sa, sb);
        let t = a.table().clone();
        for s in &sa {
            assert_eq!(m.sections[s.sec_id].kind, DEND);
            assert_eq!(a.node_at(s.sec_id, s.sec_x).unwrap(), s.node);
            let k = t.node.iter().position(|&n| n == s.node).unwrap();
            let l = t.length[k];
            assert!(t.dist[k] + l / 2.0 > 10.0 && t.dist[k] - l / 2.0 < 50.0);
        }
        // an unmatched request errors and leaves the stream where it was
        assert!(a.place(&req, [5000.0, 6000.0], 3).is_err());
        assert_eq!(a.n_candidates(&req, [5000.0, 6000.0]).unwrap(), 0);
        assert!(a.place(&names(&["axon"]), [0.0, 1e20], 1).is_err());
        assert!(a.place(&names(&["dendrite"]), [0.0, 1e20], 1).is_err());
        let next_a = a
            .place(&names(&["apical", "somatic"]), [0.0, 1e20], 5)
            .unwrap();
        b.place(&req, [0.0, 1e20], 0).unwrap();
        let next_b = b
            .place(&names(&["somatic", "apical"]), [0.0, 1e20], 5)
            .unwrap();
        assert_eq!(next_a, next_b);
    }

    #[test]
    fn node_exact_semantics() {
        let (m, g) = cell(20.0);
        let t = SegmentTable::new(&g, &m.sections).unwrap();
        for (s, sec) in m.sections.iter().enumerate() {
            let first = t.node[t.sec_id.iter().position(|&v| v == s).unwrap()];
            let n = sec.nseg;
            assert_eq!(node_at(&g, s, 1.0).unwrap(), first + n);
            assert_eq!(node_at(&g, s, 0.0).unwrap() as i64, g.node_parent[first]);
            assert_eq!(node_at(&g, s, 0.5).unwrap(), first + n / 2);
            assert_eq!(node_at(&g, s, 1e-12).unwrap(), first);
            assert_eq!(node_at(&g, s, 1.0 - 1e-12).unwrap(), first + n - 1);
        }
        assert!(node_at(&g, m.sections.len(), 0.5).is_err());
        assert!(node_at(&g, 0, 1.5).is_err());
        assert!(node_at(&g, 0, f64::NAN).is_err());
    }
}
