//! SONATA compartment reports (BMTK's `membrane_report` output): per population,
//! `/report/<population>/data` (time steps x elements) and `mapping/` with node_ids, index_pointer,
//! element_ids, element_pos and time = [tstart, tstop, dt]. Data are float32 as the SONATA
//! specification has them; readers accept any float type.
//!
//! The writer creates the whole layout first and then takes the data in blocks of time steps, so a
//! long simulation writes as it goes; the file appears under its final name when `finish` is called.

use std::path::Path;

use hdf5::Dataset;

use super::h5::{self, PendingFile};
use crate::error::{Error, Result};

/// Which elements (segments) of which cells a population's columns hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMapping {
    pub population: String,
    pub node_ids: Vec<u64>,
    /// Columns of cell i are index_pointer[i]..index_pointer[i + 1].
    pub index_pointer: Vec<u64>,
    pub element_ids: Vec<u64>,
    pub element_pos: Vec<f64>,
    /// Further per-element integer columns of `mapping/` (a netcon report's src_ids, trg_ids).
    pub element_columns: Vec<(String, Vec<i64>)>,
}

impl ReportMapping {
    /// A mapping from per-cell element lists, in the given cell order.
    pub fn from_cells(population: &str, cells: &[(u64, Vec<u64>, Vec<f64>)]) -> Result<Self> {
        let mut m = ReportMapping {
            population: population.to_string(),
            node_ids: Vec::with_capacity(cells.len()),
            index_pointer: vec![0],
            element_ids: Vec::new(),
            element_pos: Vec::new(),
            element_columns: Vec::new(),
        };
        for (node, ids, pos) in cells {
            if ids.len() != pos.len() {
                return Err(Error::invalid(format!(
                    "report of node {node} in population {population}: {} element ids but {} positions",
                    ids.len(),
                    pos.len()
                )));
            }
            m.node_ids.push(*node);
            m.element_ids.extend_from_slice(ids);
            m.element_pos.extend_from_slice(pos);
            m.index_pointer.push(m.element_ids.len() as u64);
        }
        Ok(m)
    }

    pub fn n_elements(&self) -> usize {
        self.element_ids.len()
    }

    fn check(&self, path: &Path) -> Result<()> {
        let n = self.element_ids.len();
        let ok = self.index_pointer.len() == self.node_ids.len() + 1
            && self.element_pos.len() == n
            && self.index_pointer.first() == Some(&0)
            && self.index_pointer.last() == Some(&(n as u64))
            && self.index_pointer.windows(2).all(|w| w[0] <= w[1])
            && self.element_columns.iter().all(|(_, c)| c.len() == n);
        if ok {
            Ok(())
        } else {
            Err(Error::format(
                path,
                format!(
                    "report population '{}': node_ids, index_pointer, element_ids and element_pos do not agree",
                    self.population
                ),
            ))
        }
    }
}

/// Time axis of a report: [tstart, tstop) in steps of dt (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportTime {
    pub tstart: f64,
    pub tstop: f64,
    pub dt: f64,
}

pub struct CompartmentReportWriter {
    pending: PendingFile,
    data: Vec<Dataset>,
    widths: Vec<usize>,
    n_steps: usize,
}

impl CompartmentReportWriter {
    pub fn create(
        path: &Path,
        mappings: &[ReportMapping],
        time: ReportTime,
        n_steps: usize,
        variable: &str,
        units: Option<&str>,
    ) -> Result<Self> {
        for m in mappings {
            m.check(path)?;
        }
        let pending = PendingFile::create(path)?;
        let root = pending.root();
        h5::write_root_attrs(path, root)?;
        let report = h5::create_group(path, root, "report")?;
        let mut data = Vec::new();
        let mut widths = Vec::new();
        for m in mappings {
            let g = h5::create_group(path, &report, &m.population)?;
            let map = h5::create_group(path, &g, "mapping")?;
            h5::write_vec(path, &map, "node_ids", &m.node_ids)?;
            h5::write_vec(path, &map, "element_ids", &m.element_ids)?;
            h5::write_vec(path, &map, "element_pos", &m.element_pos)?;
            h5::write_vec(path, &map, "index_pointer", &m.index_pointer)?;
            for (name, col) in &m.element_columns {
                h5::write_vec(path, &map, name, col)?;
            }
            // BMTK names it index_pointer, the SONATA specification (and libsonata) index_pointers.
            h5::hard_link(path, &map, "index_pointer", "index_pointers")?;
            let t = h5::write_vec(path, &map, "time", &[time.tstart, time.tstop, time.dt])?;
            // The specification gives the time axis units; libsonata requires them.
            h5::write_str_attr(path, &t, "units", "ms")?;
            let obj = format!("/report/{}/data", m.population);
            // float32, as the SONATA specification types it (libsonata reads nothing else); BMTK
            // reads any float type.
            let ds = g
                .new_dataset::<f32>()
                .shape((n_steps, m.n_elements()))
                .create("data")
                .map_err(|e| Error::hdf5(path, &obj, e))?;
            h5::write_str_attr(path, &ds, "variable", variable)?;
            if let Some(u) = units {
                h5::write_str_attr(path, &ds, "units", u)?;
            }
            data.push(ds);
            widths.push(m.n_elements());
        }
        Ok(CompartmentReportWriter {
            pending,
            data,
            widths,
            n_steps,
        })
    }

    /// Writes time steps `first_step..` of population `pop` (row-major: steps x elements).
    pub fn write_steps(&self, pop: usize, first_step: usize, values: &[f64]) -> Result<()> {
        let path = self.pending.path();
        let (ds, width) = match (self.data.get(pop), self.widths.get(pop)) {
            (Some(d), Some(&w)) => (d, w),
            _ => {
                return Err(Error::invalid(format!(
                    "report population index {pop} does not exist"
                )))
            }
        };
        if width == 0 {
            return Ok(());
        }
        if values.len() % width != 0 {
            return Err(Error::invalid(format!(
                "{}: {} values are not whole rows of {width} elements",
                path.display(),
                values.len()
            )));
        }
        let rows = values.len() / width;
        if first_step + rows > self.n_steps {
            return Err(Error::invalid(format!(
                "{}: steps {first_step}..{} exceed the report's {} steps",
                path.display(),
                first_step + rows,
                self.n_steps
            )));
        }
        let narrowed: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        let arr = ndarray::ArrayView2::from_shape((rows, width), &narrowed[..])
            .map_err(|e| Error::invalid(e.to_string()))?;
        ds.write_slice(arr, (first_step..first_step + rows, ..))
            .map_err(|e| Error::hdf5(path, &ds.name(), e))
    }

    /// Closes the file and moves it to its final name.
    pub fn finish(self) -> Result<()> {
        drop(self.data);
        self.pending.commit()
    }
}

/// One population of a report read back.
#[derive(Debug, Clone)]
pub struct ReportPopulation {
    pub mapping: ReportMapping,
    pub time: ReportTime,
    pub variable: Option<String>,
    pub units: Option<String>,
    pub n_steps: usize,
    /// Row-major, n_steps x elements.
    pub data: Vec<f64>,
}

pub fn read_compartment_report(path: &Path) -> Result<Vec<ReportPopulation>> {
    let file = h5::open_read(path)?;
    let report = file
        .group("report")
        .map_err(|_| Error::format(path, "no '/report' group: not a SONATA compartment report"))?;
    let mut names = report
        .member_names()
        .map_err(|e| Error::hdf5(path, "/report", e))?;
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let g = report
            .group(&name)
            .map_err(|e| Error::hdf5(path, &format!("/report/{name}"), e))?;
        let map = g
            .group("mapping")
            .map_err(|_| Error::format(path, format!("/report/{name}/mapping is missing")))?;
        let f64s = |n: &str| -> Result<Vec<f64>> {
            let ds = map.dataset(n).map_err(|_| {
                Error::format(path, format!("/report/{name}/mapping/{n} is missing"))
            })?;
            ds.read_raw::<f64>()
                .map_err(|e| Error::hdf5(path, &format!("/report/{name}/mapping/{n}"), e))
        };
        let mapping = ReportMapping {
            population: name.clone(),
            node_ids: h5::read_u64(path, &map, "node_ids")?,
            index_pointer: h5::read_u64(path, &map, "index_pointer")?,
            element_ids: h5::read_u64(path, &map, "element_ids")?,
            element_pos: f64s("element_pos")?,
            element_columns: Vec::new(),
        };
        mapping.check(path)?;
        let t = f64s("time")?;
        if t.len() != 3 {
            return Err(Error::format(
                path,
                format!("/report/{name}/mapping/time must hold [tstart, tstop, dt]"),
            ));
        }
        let ds = g
            .dataset("data")
            .map_err(|_| Error::format(path, format!("/report/{name}/data is missing")))?;
        let shape = ds.shape();
        let n_el = mapping.n_elements();
        if shape.len() != 2 || shape[1] != n_el {
            return Err(Error::format(
                path,
                format!("/report/{name}/data has shape {shape:?}, expected (steps, {n_el})"),
            ));
        }
        let data = ds
            .read_raw::<f64>()
            .map_err(|e| Error::hdf5(path, &format!("/report/{name}/data"), e))?;
        out.push(ReportPopulation {
            time: ReportTime {
                tstart: t[0],
                tstop: t[1],
                dt: t[2],
            },
            variable: h5::read_str_attr(&ds, "variable"),
            units: h5::read_str_attr(&ds, "units"),
            n_steps: shape[0],
            data,
            mapping,
        });
    }
    Ok(out)
}
