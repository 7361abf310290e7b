//! BMTK BioNet's `clamp_report` file: one `data` table of clamp currents (steps x clamps, nA).
//!
//! bmtk 1.2.0 fills the table from clamp lists of its simulator that no configuration input adds
//! to (its IClamp and SEClamp inputs keep their clamps to themselves), so from a configuration the
//! table has no columns: `(int(tstop / dt), 0)` with the SONATA root attributes in one process;
//! under MPI rank 0 merges the per-rank tables row by row, keeping the non-empty ones, into a
//! one-dimensional empty `data` without root attributes.

use std::path::Path;

use super::h5::{self, PendingFile};
use crate::error::{Error, Result};

/// Writes the table: `rows` x `cols` currents (row-major), or the merged layout of an MPI run.
pub fn write_clamp_report(
    path: &Path,
    rows: usize,
    cols: usize,
    data: &[f64],
    merged: bool,
) -> Result<()> {
    if data.len() != rows * cols {
        return Err(Error::invalid(format!(
            "{}: clamp report data has {} values for {rows} x {cols}",
            path.display(),
            data.len()
        )));
    }
    let pending = PendingFile::create(path)?;
    let root = pending.root();
    let res = if merged {
        let kept: Vec<f64> = if cols > 0 { data.to_vec() } else { Vec::new() };
        let shape: Vec<usize> = if cols > 0 { vec![rows, cols] } else { vec![0] };
        root.new_dataset::<f64>()
            .shape(shape)
            .create("data")
            .and_then(|ds| ds.write_raw(&kept))
    } else {
        h5::write_root_attrs(path, root)?;
        root.new_dataset::<f64>()
            .shape((rows, cols))
            .create("data")
            .and_then(|ds| ds.write_raw(data))
    };
    res.map_err(|e| Error::hdf5(path, "data", e))?;
    pending.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tables_have_bmtks_shapes() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_clamp_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let one = dir.join("se.h5");
        write_clamp_report(&one, 12000, 0, &[], false).unwrap();
        let f = hdf5::File::open(&one).unwrap();
        assert_eq!(f.dataset("data").unwrap().shape(), vec![12000, 0]);
        assert!(f.attr("magic").is_ok());
        let merged = dir.join("ic.h5");
        write_clamp_report(&merged, 12000, 0, &[], true).unwrap();
        let f = hdf5::File::open(&merged).unwrap();
        assert_eq!(f.dataset("data").unwrap().shape(), vec![0]);
        assert!(f.attr("magic").is_err());
        assert!(write_clamp_report(&dir.join("x.h5"), 2, 1, &[1.0], false).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
