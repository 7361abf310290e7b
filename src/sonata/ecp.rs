//! The extracellular potential report file as BMTK 1.2.0's EcpMod writes it (`ecp.h5`):
//!
//! - root attributes `magic` (uint32 0x0A7A) and `version` (uint32 [0, 1]);
//! - `/ecp/data`: float64, shape (n_steps, n_channels), chunked, first axis unlimited, attribute
//!   `units` = "mV"; row k is the sample taken after time step k + 1 (see bionet::ecp);
//! - `/ecp/time`: float64 [tstart, tstop, dt] = [0, tstop, dt], attribute `units` = "ms";
//! - `/ecp/channel_id`: int64 0..n_channels (BMTK numbers channels by row of the electrode file,
//!   whatever its `channel` column says).
//!
//! With `contributions_dir`, each recorded cell also gets `<dir>/<gid>.h5` holding only
//! `/ecp/data` (float64, same shape, no attributes, no root attributes): that cell's own part.
//!
//! Files are written under a temporary name and appear under their final name on `finish`; rows
//! are written block by block as the simulation produces them.

use std::path::{Path, PathBuf};

use hdf5::Dataset;

use super::h5::{self, PendingFile};
use crate::error::{Error, Result};

/// The report's time axis as the file states it (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EcpTime {
    pub tstart: f64,
    pub tstop: f64,
    pub dt: f64,
}

/// BMTK's number of samples: round(tstop / dt) (Python rounds halves to even).
pub fn n_steps_for(tstop: f64, dt: f64) -> Result<usize> {
    let n = (tstop / dt).round_ties_even();
    if dt.is_nan() || dt <= 0.0 || !n.is_finite() || n < 0.0 {
        return Err(Error::invalid(format!(
            "ECP report: tstop {tstop} and dt {dt} give no number of steps"
        )));
    }
    Ok(n as usize)
}

/// Rows per chunk: about 256 KiB of float64 per chunk, at least one row.
fn chunk_rows(n_steps: usize, n_channels: usize) -> usize {
    (32_768 / n_channels.max(1)).clamp(1, n_steps.max(1))
}

fn create_data(
    path: &Path,
    group: &hdf5::Group,
    n_steps: usize,
    n_channels: usize,
) -> Result<Dataset> {
    // Chunk dimensions must be positive even for an empty dataset.
    let chunk = (chunk_rows(n_steps, n_channels), n_channels.max(1));
    group
        .new_dataset::<f64>()
        .chunk(chunk)
        .shape((n_steps.., n_channels))
        .create("data")
        .map_err(|e| Error::hdf5(path, "/ecp/data", e))
}

fn write_block(
    path: &Path,
    ds: &Dataset,
    n_steps: usize,
    n_channels: usize,
    first_step: usize,
    values: &[f64],
) -> Result<()> {
    if n_channels == 0 {
        return Ok(());
    }
    if values.len() % n_channels != 0 {
        return Err(Error::invalid(format!(
            "{}: {} values are not whole rows of {n_channels} channels",
            path.display(),
            values.len()
        )));
    }
    let rows = values.len() / n_channels;
    if first_step + rows > n_steps {
        return Err(Error::invalid(format!(
            "{}: steps {first_step}..{} exceed the report's {n_steps} steps",
            path.display(),
            first_step + rows
        )));
    }
    let arr = ndarray::ArrayView2::from_shape((rows, n_channels), values)
        .map_err(|e| Error::invalid(e.to_string()))?;
    ds.write_slice(arr, (first_step..first_step + rows, ..))
        .map_err(|e| Error::hdf5(path, "/ecp/data", e))
}

/// Writes the summed ECP of all recorded cells.
pub struct EcpWriter {
    pending: PendingFile,
    data: Dataset,
    n_steps: usize,
    n_channels: usize,
}

impl EcpWriter {
    pub fn create(path: &Path, n_channels: usize, time: EcpTime, n_steps: usize) -> Result<Self> {
        let pending = PendingFile::create(path)?;
        let root = pending.root();
        h5::write_root_attrs(path, root)?;
        let g = h5::create_group(path, root, "ecp")?;
        let data = create_data(path, &g, n_steps, n_channels)?;
        h5::write_str_attr(path, &data, "units", "mV")?;
        let t = h5::write_vec(path, &g, "time", &[time.tstart, time.tstop, time.dt])?;
        h5::write_str_attr(path, &t, "units", "ms")?;
        let ids: Vec<i64> = (0..n_channels as i64).collect();
        h5::write_vec(path, &g, "channel_id", &ids)?;
        Ok(EcpWriter {
            pending,
            data,
            n_steps,
            n_channels,
        })
    }

    pub fn n_steps(&self) -> usize {
        self.n_steps
    }

    pub fn n_channels(&self) -> usize {
        self.n_channels
    }

    /// Writes rows (steps x channels, row-major) starting at step `first_step`.
    pub fn write_rows(&self, first_step: usize, values: &[f64]) -> Result<()> {
        write_block(
            self.pending.path(),
            &self.data,
            self.n_steps,
            self.n_channels,
            first_step,
            values,
        )
    }

    /// Closes the file and moves it to its final name.
    pub fn finish(self) -> Result<()> {
        drop(self.data);
        self.pending.commit()
    }
}

/// The per-cell files of `contributions_dir`.
pub struct EcpContributions {
    files: Vec<(u64, PendingFile, Dataset)>,
    n_steps: usize,
    n_channels: usize,
}

impl EcpContributions {
    /// One file `<dir>/<gid>.h5` per gid; `dir` is created if it does not exist.
    pub fn create(dir: &Path, gids: &[u64], n_channels: usize, n_steps: usize) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::file(dir, format!("cannot create contributions_dir: {e}")))?;
        let mut files = Vec::with_capacity(gids.len());
        for &gid in gids {
            let path = contribution_path(dir, gid);
            let pending = PendingFile::create(&path)?;
            let g = h5::create_group(&path, pending.root(), "ecp")?;
            let ds = create_data(&path, &g, n_steps, n_channels)?;
            files.push((gid, pending, ds));
        }
        Ok(EcpContributions {
            files,
            n_steps,
            n_channels,
        })
    }

    /// The gids in file order (the `cell` index of `write_rows`).
    pub fn gids(&self) -> Vec<u64> {
        self.files.iter().map(|f| f.0).collect()
    }

    /// Writes rows of cell number `cell` (in the order the gids were given).
    pub fn write_rows(&self, cell: usize, first_step: usize, values: &[f64]) -> Result<()> {
        let (_, pending, ds) = self.files.get(cell).ok_or_else(|| {
            Error::invalid(format!(
                "ECP contributions: cell index {cell} out of {}",
                self.files.len()
            ))
        })?;
        write_block(
            pending.path(),
            ds,
            self.n_steps,
            self.n_channels,
            first_step,
            values,
        )
    }

    pub fn finish(self) -> Result<()> {
        for (_, pending, ds) in self.files {
            drop(ds);
            pending.commit()?;
        }
        Ok(())
    }
}

/// `<dir>/<gid>.h5`, as BMTK names a cell's contribution file.
pub fn contribution_path(dir: &Path, gid: u64) -> PathBuf {
    dir.join(format!("{gid}.h5"))
}

/// An ECP file read back (a report or a contribution file).
#[derive(Debug, Clone)]
pub struct EcpReport {
    /// [tstart, tstop, dt]; None in contribution files.
    pub time: Option<[f64; 3]>,
    pub channel_ids: Option<Vec<i64>>,
    pub units: Option<String>,
    pub n_steps: usize,
    pub n_channels: usize,
    /// Row-major n_steps x n_channels.
    pub data: Vec<f64>,
}

pub fn read_ecp(path: &Path) -> Result<EcpReport> {
    let file = h5::open_read(path)?;
    let g = file
        .group("ecp")
        .map_err(|_| Error::format(path, "no '/ecp' group: not an ECP report"))?;
    let ds = g
        .dataset("data")
        .map_err(|_| Error::format(path, "'/ecp/data' is missing"))?;
    let shape = ds.shape();
    if shape.len() != 2 {
        return Err(Error::format(
            path,
            format!("'/ecp/data' has shape {shape:?}, expected (steps, channels)"),
        ));
    }
    let data = ds
        .read_raw::<f64>()
        .map_err(|e| Error::hdf5(path, "/ecp/data", e))?;
    let time = match g.dataset("time") {
        Ok(t) => {
            let v = t
                .read_raw::<f64>()
                .map_err(|e| Error::hdf5(path, "/ecp/time", e))?;
            if v.len() != 3 {
                return Err(Error::format(
                    path,
                    "'/ecp/time' must hold [tstart, tstop, dt]",
                ));
            }
            Some([v[0], v[1], v[2]])
        }
        Err(_) => None,
    };
    let channel_ids = match g.dataset("channel_id") {
        Ok(c) => {
            let v = c
                .read_raw::<i64>()
                .map_err(|e| Error::hdf5(path, "/ecp/channel_id", e))?;
            if v.len() != shape[1] {
                return Err(Error::format(
                    path,
                    format!(
                        "'/ecp/channel_id' has {} ids for {} data columns",
                        v.len(),
                        shape[1]
                    ),
                ));
            }
            Some(v)
        }
        Err(_) => None,
    };
    Ok(EcpReport {
        time,
        channel_ids,
        units: h5::read_str_attr(&ds, "units"),
        n_steps: shape[0],
        n_channels: shape[1],
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_in_blocks_read_back() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_ecp_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ecp.h5");
        let time = EcpTime {
            tstart: 0.0,
            tstop: 0.5,
            dt: 0.1,
        };
        let n = n_steps_for(0.5, 0.1).unwrap();
        assert_eq!(n, 5);
        let w = EcpWriter::create(&path, 3, time, n).unwrap();
        let all: Vec<f64> = (0..15).map(|i| i as f64 * 0.5 - 2.0).collect();
        w.write_rows(0, &all[..6]).unwrap();
        w.write_rows(2, &all[6..]).unwrap();
        assert!(w.write_rows(4, &all[..6]).is_err());
        assert!(w.write_rows(0, &all[..4]).is_err());
        assert!(!path.exists(), "the file appears only when finished");
        w.finish().unwrap();
        let r = read_ecp(&path).unwrap();
        assert_eq!(r.data, all);
        assert_eq!((r.n_steps, r.n_channels), (5, 3));
        assert_eq!(r.time, Some([0.0, 0.5, 0.1]));
        assert_eq!(r.channel_ids, Some(vec![0, 1, 2]));
        assert_eq!(r.units.as_deref(), Some("mV"));

        let c = EcpContributions::create(&dir.join("contrib"), &[7, 3], 3, n).unwrap();
        c.write_rows(1, 0, &all).unwrap();
        assert!(c.write_rows(2, 0, &all).is_err());
        c.finish().unwrap();
        let r = read_ecp(&dir.join("contrib").join("3.h5")).unwrap();
        assert_eq!(r.data, all);
        assert!(r.time.is_none() && r.channel_ids.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
