//! The `<network>_gap_juncs.h5` table BMTK writes beside the edges: one row per gap junction with
//! the two cells and a pair of junction ids.

use std::path::Path;

use super::h5::{self, PendingFile};
use crate::error::{Error, Result};

pub struct GapJunctions<'a> {
    pub source_ids: &'a [u64],
    pub target_ids: &'a [u64],
    pub src_gap_ids: &'a [i64],
    pub trg_gap_ids: &'a [i64],
}

pub fn write_gap_junctions(path: &Path, gj: &GapJunctions<'_>) -> Result<()> {
    let n = gj.source_ids.len();
    if gj.target_ids.len() != n || gj.src_gap_ids.len() != n || gj.trg_gap_ids.len() != n {
        return Err(Error::invalid(format!(
            "{}: gap junction columns must all have {n} rows",
            path.display()
        )));
    }
    let pending = PendingFile::create(path)?;
    let root = pending.root();
    h5::write_root_attrs(path, root)?;
    h5::write_vec(path, root, "source_ids", gj.source_ids)?;
    h5::write_vec(path, root, "target_ids", gj.target_ids)?;
    h5::write_vec(path, root, "src_gap_ids", gj.src_gap_ids)?;
    h5::write_vec(path, root, "trg_gap_ids", gj.trg_gap_ids)?;
    pending.commit()
}
