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

/// A gap-junction table as read back (BMTK's reader takes the four datasets whole).
#[derive(Debug, Clone, Default)]
pub struct GapJunctionTable {
    pub source_ids: Vec<u64>,
    pub target_ids: Vec<u64>,
    pub src_gap_ids: Vec<i64>,
    pub trg_gap_ids: Vec<i64>,
}

/// Reads `<network>_gap_juncs.h5`: the four datasets at the root, all of one length.
pub fn read_gap_junctions(path: &Path) -> Result<GapJunctionTable> {
    let f = h5::open_read(path)?;
    let root = f.as_group().map_err(|e| Error::hdf5(path, "/", e))?;
    let ints = |name: &str| -> Result<Vec<i64>> {
        let ds = root.dataset(name).map_err(|_| {
            Error::format(
                path,
                format!("gap junction table lacks the dataset '{name}' (it needs source_ids, target_ids, src_gap_ids, trg_gap_ids)"),
            )
        })?;
        if ds.ndim() != 1 {
            return Err(Error::format(
                path,
                format!("gap junction dataset '{name}' must be one-dimensional"),
            ));
        }
        ds.read_raw::<i64>().map_err(|e| Error::hdf5(path, name, e))
    };
    let (s, t, sg, tg) = (
        ints("source_ids")?,
        ints("target_ids")?,
        ints("src_gap_ids")?,
        ints("trg_gap_ids")?,
    );
    let n = s.len();
    if t.len() != n || sg.len() != n || tg.len() != n {
        return Err(Error::format(
            path,
            format!(
                "gap junction datasets differ in length (source_ids {n}, target_ids {}, src_gap_ids {}, trg_gap_ids {})",
                t.len(),
                sg.len(),
                tg.len()
            ),
        ));
    }
    if let Some(bad) = s.iter().chain(&t).find(|&&x| x < 0) {
        return Err(Error::format(
            path,
            format!("gap junction table has a negative node id ({bad})"),
        ));
    }
    Ok(GapJunctionTable {
        source_ids: s.into_iter().map(|x| x as u64).collect(),
        target_ids: t.into_iter().map(|x| x as u64).collect(),
        src_gap_ids: sg,
        trg_gap_ids: tg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_table_reads_back() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_gj_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1_gap_juncs.h5");
        write_gap_junctions(
            &path,
            &GapJunctions {
                source_ids: &[0, 3],
                target_ids: &[1, 4],
                src_gap_ids: &[0, 2],
                trg_gap_ids: &[1, 3],
            },
        )
        .unwrap();
        let t = read_gap_junctions(&path).unwrap();
        assert_eq!(t.source_ids, vec![0, 3]);
        assert_eq!(t.target_ids, vec![1, 4]);
        assert_eq!(t.src_gap_ids, vec![0, 2]);
        assert_eq!(t.trg_gap_ids, vec![1, 3]);
        let e = read_gap_junctions(&dir.join("none.h5"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.h5"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
