//! Spike trains held in memory, by node population: what `SpikeTrains` and the generators fill,
//! and what is written to SONATA, CSV and NWB files (through `crate::sonata::spikes`).

use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::sonata::spikes::csv::{read_spikes_csv, write_spikes_csv, Row};
use crate::sonata::spikes::nwb::{read_spikes_nwb, write_spikes_nwb, NwbUnit};
use crate::sonata::spikes::{
    read_spikes_file, write_spikes_file, SonataWriteOptions, SortOrder, SpikePopulation,
    SpikePopulationRef,
};

/// Where each node's spikes are: the spike indices grouped by node (ascending ids, file order
/// within a node).
#[derive(Debug)]
struct NodeIndex {
    nodes: Vec<u64>,
    starts: Vec<usize>,
    order: Vec<usize>,
}

#[derive(Debug)]
pub struct Population {
    pub data: SpikePopulation,
    index: OnceLock<NodeIndex>,
}

impl Population {
    fn new(data: SpikePopulation) -> Self {
        Population {
            data,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &NodeIndex {
        self.index.get_or_init(|| {
            let order = order_by_id(&self.data.node_ids);
            let mut nodes = Vec::new();
            let mut starts = Vec::new();
            for (k, &i) in order.iter().enumerate() {
                let n = self.data.node_ids[i];
                if nodes.last() != Some(&n) {
                    nodes.push(n);
                    starts.push(k);
                }
            }
            starts.push(order.len());
            NodeIndex {
                nodes,
                starts,
                order,
            }
        })
    }

    /// Distinct node ids, ascending.
    pub fn node_ids(&self) -> &[u64] {
        &self.index().nodes
    }

    /// The spike times of a node, in stored order.
    pub fn times(&self, node_id: u64) -> Vec<f64> {
        let ix = self.index();
        match ix.nodes.binary_search(&node_id) {
            Ok(k) => ix.order[ix.starts[k]..ix.starts[k + 1]]
                .iter()
                .map(|&i| self.data.timestamps[i])
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Spike indices in the requested order (stable: ties keep the stored order).
    pub fn order(&self, sort: SortOrder) -> Option<Vec<usize>> {
        match sort {
            SortOrder::ById => Some(self.index().order.clone()),
            SortOrder::ByTime => Some(order_by_time(&self.data.timestamps)),
            SortOrder::None | SortOrder::Unknown => None,
        }
    }

    /// (node ids, timestamps) in the requested order.
    pub fn columns(&self, sort: SortOrder) -> (Vec<u64>, Vec<f64>) {
        match self.order(sort) {
            Some(o) => (
                o.par_iter().map(|&i| self.data.node_ids[i]).collect(),
                o.par_iter().map(|&i| self.data.timestamps[i]).collect(),
            ),
            None => (self.data.node_ids.clone(), self.data.timestamps.clone()),
        }
    }
}

fn order_by_id(ids: &[u64]) -> Vec<usize> {
    let mut o: Vec<usize> = (0..ids.len()).collect();
    if !ids.windows(2).all(|w| w[0] <= w[1]) {
        o.par_sort_by_key(|&i| ids[i]);
    }
    o
}

fn order_by_time(ts: &[f64]) -> Vec<usize> {
    let mut o: Vec<usize> = (0..ts.len()).collect();
    if !ts.windows(2).all(|w| w[0] <= w[1]) {
        o.par_sort_by(|&a, &b| ts[a].total_cmp(&ts[b]));
    }
    o
}

/// All populations, in the order they were first added or read.
#[derive(Debug, Default)]
pub struct SpikeTrains {
    pops: Vec<Population>,
}

impl SpikeTrains {
    pub fn new() -> Self {
        SpikeTrains::default()
    }

    pub fn from_populations(pops: Vec<SpikePopulation>) -> Self {
        SpikeTrains {
            pops: pops.into_iter().map(Population::new).collect(),
        }
    }

    pub fn read_sonata(path: &Path, only: Option<&[String]>) -> Result<Self> {
        Ok(Self::from_populations(read_spikes_file(path, only)?))
    }

    pub fn read_csv(path: &Path, default_population: &str, sep: Option<char>) -> Result<Self> {
        Ok(Self::from_populations(read_spikes_csv(
            path,
            default_population,
            sep,
        )?))
    }

    pub fn read_nwb(path: &Path, population: Option<&str>, trial: Option<&str>) -> Result<Self> {
        Ok(Self::from_populations(read_spikes_nwb(
            path, population, trial,
        )?))
    }

    pub fn names(&self) -> Vec<&str> {
        self.pops.iter().map(|p| p.data.name.as_str()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Population> {
        self.pops.iter().find(|p| p.data.name == name)
    }

    fn get_or_create(&mut self, name: &str, units: &str) -> &mut Population {
        let k = match self.pops.iter().position(|p| p.data.name == name) {
            Some(k) => k,
            None => {
                self.pops.push(Population::new(SpikePopulation {
                    name: name.to_string(),
                    node_ids: Vec::new(),
                    timestamps: Vec::new(),
                    units: units.to_string(),
                    sorting: SortOrder::None,
                }));
                self.pops.len() - 1
            }
        };
        &mut self.pops[k]
    }

    /// Appends spikes to a population (created with `units` if new).
    pub fn add(
        &mut self,
        name: &str,
        node_ids: &[u64],
        timestamps: &[f64],
        units: &str,
    ) -> Result<()> {
        if node_ids.len() != timestamps.len() {
            return Err(Error::invalid(format!(
                "population '{name}': {} node ids but {} timestamps (node_ids and timestamps must be of the same length)",
                node_ids.len(),
                timestamps.len()
            )));
        }
        let p = self.get_or_create(name, units);
        p.data.node_ids.extend_from_slice(node_ids);
        p.data.timestamps.extend_from_slice(timestamps);
        p.data.sorting = SortOrder::None;
        p.index = OnceLock::new();
        Ok(())
    }

    /// Appends spikes given by value: moved in without a copy when the population is new or empty.
    pub fn add_owned(
        &mut self,
        name: &str,
        node_ids: Vec<u64>,
        timestamps: Vec<f64>,
        units: &str,
    ) -> Result<()> {
        if node_ids.len() != timestamps.len() {
            return self.add(name, &node_ids, &timestamps, units);
        }
        let p = self.get_or_create(name, units);
        if p.data.node_ids.is_empty() {
            p.data.node_ids = node_ids;
            p.data.timestamps = timestamps;
        } else {
            p.data.node_ids.extend_from_slice(&node_ids);
            p.data.timestamps.extend_from_slice(&timestamps);
        }
        p.data.sorting = SortOrder::None;
        p.index = OnceLock::new();
        Ok(())
    }

    /// Sets the timestamp units of a population.
    pub fn set_units(&mut self, name: &str, units: &str) {
        self.get_or_create(name, units).data.units = units.to_string();
    }

    pub fn merge(&mut self, other: &SpikeTrains) -> Result<()> {
        for p in &other.pops {
            self.add(
                &p.data.name,
                &p.data.node_ids,
                &p.data.timestamps,
                &p.data.units,
            )?;
        }
        Ok(())
    }

    /// Writes a SONATA spike file, each population in the order `sort`.
    pub fn write_sonata(&self, path: &Path, sort: SortOrder, deflate: Option<u8>) -> Result<()> {
        // Reordered copies only for populations that need them; the rest are written in place.
        let reordered: Vec<Option<(Vec<u64>, Vec<f64>)>> = self
            .pops
            .iter()
            .map(|p| p.order(sort).map(|_| p.columns(sort)))
            .collect();
        let refs: Vec<SpikePopulationRef<'_>> = self
            .pops
            .iter()
            .zip(&reordered)
            .map(|(p, r)| {
                let (node_ids, timestamps) = match r {
                    Some((n, t)) => (n.as_slice(), t.as_slice()),
                    None => (p.data.node_ids.as_slice(), p.data.timestamps.as_slice()),
                };
                SpikePopulationRef {
                    name: &p.data.name,
                    node_ids,
                    timestamps,
                    units: &p.data.units,
                    sorting: sort,
                }
            })
            .collect();
        write_spikes_file(path, &refs, &SonataWriteOptions { deflate })
    }

    /// Writes a CSV table: populations one after another, each in the order `sort` (as BMTK's
    /// in-memory spike trains write it).
    pub fn write_csv(
        &self,
        path: &Path,
        sort: SortOrder,
        header: bool,
        with_population: bool,
    ) -> Result<()> {
        let total: usize = self.pops.iter().map(|p| p.data.node_ids.len()).sum();
        let mut rows: Vec<Row> = Vec::with_capacity(total);
        for (k, p) in self.pops.iter().enumerate() {
            let (ids, ts) = p.columns(sort);
            rows.extend(ts.iter().zip(&ids).map(|(&t, &n)| (t, k, n)));
        }
        let names = self.names();
        write_spikes_csv(path, &names, &rows, header, with_population)
    }

    /// Writes an NWB units table: per population, per node (ascending) with spikes.
    pub fn write_nwb(
        &self,
        path: &Path,
        include_population: bool,
        description: &str,
    ) -> Result<()> {
        let mut units = Vec::new();
        for p in &self.pops {
            for &n in p.node_ids() {
                units.push(NwbUnit {
                    population: &p.data.name,
                    node_id: n,
                    times: p.times(n),
                });
            }
        }
        write_spikes_nwb(path, &units, include_population, description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_orders() {
        let mut s = SpikeTrains::new();
        s.add("a", &[5, 1, 5, 3], &[4.0, 3.0, 2.0, 1.0], "ms")
            .unwrap();
        let p = s.get("a").unwrap();
        assert_eq!(p.node_ids(), &[1, 3, 5]);
        assert_eq!(p.times(5), vec![4.0, 2.0]);
        assert!(p.times(9).is_empty());
        assert_eq!(p.columns(SortOrder::ById).0, vec![1, 3, 5, 5]);
        assert_eq!(p.columns(SortOrder::ByTime).1, vec![1.0, 2.0, 3.0, 4.0]);
        s.add("a", &[0], &[9.0], "ms").unwrap();
        assert_eq!(s.get("a").unwrap().node_ids(), &[0, 1, 3, 5]);
        assert!(s.add("a", &[0, 1], &[9.0], "ms").is_err());
    }
}
