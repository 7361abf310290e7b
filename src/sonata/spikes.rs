//! SONATA spike files: `/spikes/<population>/timestamps` and `/spikes/<population>/node_ids`, the
//! group attribute `sorting` ("none", "by_id", "by_time") and the `units` attribute of
//! `timestamps`, as BMTK writes them. Readers also accept the layouts BMTK reads: the `sorting`
//! attribute on `node_ids`, the pre-population layout `/spikes/{gids,timestamps}`, and a bare
//! `/spikes` group (a run without spikes).
//!
//! Simulators and the spike-train API both write through [`write_spikes_file`].

pub mod csv;
pub mod nwb;

use std::path::Path;

use hdf5::{Dataset, Group};

use super::h5::{
    create_group, open_read, read_str_attr, write_root_attrs, write_str_attr, PendingFile,
};
use crate::error::{Error, Result};

/// The `sorting` attribute as the SONATA specification types it (an 8-bit enum), which is what
/// libsonata reads; BMTK 1.2.0 writes a string instead and reads one from `node_ids` first.
#[derive(hdf5::H5Type, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[allow(non_camel_case_types)]
enum SortingAttr {
    none = 0,
    by_id = 1,
    by_time = 2,
}

/// The population name BMTK gives to spikes stored without one (old layouts, NWB, plain CSV).
pub const POP_NA: &str = "<sonata:none>";

/// How the spikes of a population are ordered in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    None,
    ById,
    ByTime,
    Unknown,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::None => "none",
            SortOrder::ById => "by_id",
            SortOrder::ByTime => "by_time",
            SortOrder::Unknown => "unknown",
        }
    }

    /// Accepts the spellings BMTK accepts (`time`, `id`, `node_id`, `gid`, `na`, ...).
    pub fn parse(s: &str) -> Option<SortOrder> {
        match s.to_ascii_lowercase().as_str() {
            "by_time" | "time" => Some(SortOrder::ByTime),
            "by_id" | "id" | "node_id" | "gid" => Some(SortOrder::ById),
            "none" | "na" => Some(SortOrder::None),
            "unknown" => Some(SortOrder::Unknown),
            _ => None,
        }
    }
}

/// The spikes of one node population, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikePopulation {
    pub name: String,
    pub node_ids: Vec<u64>,
    pub timestamps: Vec<f64>,
    /// Units of the timestamps ("ms" unless the file says otherwise).
    pub units: String,
    pub sorting: SortOrder,
}

/// A population's spikes to write, borrowed from wherever they are kept.
#[derive(Debug, Clone, Copy)]
pub struct SpikePopulationRef<'a> {
    pub name: &'a str,
    pub node_ids: &'a [u64],
    pub timestamps: &'a [f64],
    pub units: &'a str,
    pub sorting: SortOrder,
}

impl SpikePopulation {
    pub fn as_ref(&self) -> SpikePopulationRef<'_> {
        SpikePopulationRef {
            name: &self.name,
            node_ids: &self.node_ids,
            timestamps: &self.timestamps,
            units: &self.units,
            sorting: self.sorting,
        }
    }
}

/// Options of [`write_spikes_file`].
#[derive(Debug, Clone)]
pub struct SonataWriteOptions {
    /// Deflate (gzip) level, or `None` for contiguous uncompressed datasets (readable by every
    /// HDF5 build, including libsonata's wheels, which lack the deflate filter).
    pub deflate: Option<u8>,
}

fn check_lengths(path: &Path, p: &SpikePopulationRef<'_>) -> Result<()> {
    if p.node_ids.len() != p.timestamps.len() {
        return Err(Error::invalid(format!(
            "{}: population '{}' has {} node ids but {} timestamps",
            path.display(),
            p.name,
            p.node_ids.len(),
            p.timestamps.len()
        )));
    }
    if p.name.is_empty() || p.name.contains('/') || p.name == "." {
        return Err(Error::invalid(format!(
            "{}: '{}' cannot be used as a population name in a SONATA file",
            path.display(),
            p.name
        )));
    }
    Ok(())
}

/// Elements per chunk of compressed datasets (2 MiB of f64/u64).
const DEFLATE_CHUNK: usize = 1 << 18;

fn write_dataset<T>(
    path: &Path,
    g: &Group,
    name: &str,
    data: &[T],
    deflate: Option<u8>,
) -> Result<Dataset>
where
    T: hdf5::H5Type + Copy + Default + Send + Sync,
{
    let obj = format!("{}/{}", g.name(), name);
    match deflate {
        Some(level) if !data.is_empty() => write_deflated(path, g, name, data, level),
        _ => g
            .new_dataset_builder()
            .with_data(data)
            .create(name)
            .map_err(|e| Error::hdf5(path, &obj, e)),
    }
}

/// Compresses one chunk as HDF5's deflate filter stores it (a zlib stream).
fn deflate_chunk(bytes: &[u8], level: u8) -> std::result::Result<Vec<u8>, String> {
    use libz_sys::{compress2, compressBound, uLong, Z_OK};
    let src_len = bytes.len() as uLong;
    // SAFETY: compressBound only computes a size.
    let mut out_len = unsafe { compressBound(src_len) };
    let mut out = vec![0u8; out_len as usize];
    // SAFETY: `out` has `out_len` writable bytes, `bytes` has `src_len` readable bytes.
    let rc = unsafe {
        compress2(
            out.as_mut_ptr(),
            &mut out_len,
            bytes.as_ptr(),
            src_len,
            i32::from(level),
        )
    };
    if rc != Z_OK {
        return Err(format!("zlib compress2 failed with code {rc}"));
    }
    out.truncate(out_len as usize);
    Ok(out)
}

/// A gzip-compressed chunked dataset whose chunks are compressed in parallel (rayon) and handed
/// to HDF5 already filtered (`H5Dwrite_chunk`); readers see an ordinary deflate dataset.
fn write_deflated<T>(path: &Path, g: &Group, name: &str, data: &[T], level: u8) -> Result<Dataset>
where
    T: hdf5::H5Type + Copy + Default + Send + Sync,
{
    use rayon::prelude::*;
    let obj = format!("{}/{}", g.name(), name);
    let chunk = data.len().min(DEFLATE_CHUNK);
    let ds = g
        .new_dataset::<T>()
        .chunk(chunk)
        .deflate(level)
        .shape(data.len())
        .create(name)
        .map_err(|e| Error::hdf5(path, &obj, e))?;
    let compressed: Vec<std::result::Result<Vec<u8>, String>> = data
        .par_chunks(chunk)
        .map(|c| {
            // Edge chunks are stored full size: pad the last one.
            let padded;
            let full: &[T] = if c.len() < chunk {
                padded = c
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(T::default()))
                    .take(chunk)
                    .collect::<Vec<T>>();
                &padded
            } else {
                c
            };
            // SAFETY: plain numeric elements (u64/f64), viewed as their bytes.
            let bytes = unsafe {
                std::slice::from_raw_parts(full.as_ptr().cast::<u8>(), std::mem::size_of_val(full))
            };
            deflate_chunk(bytes, level)
        })
        .collect();
    for (i, c) in compressed.into_iter().enumerate() {
        let c = c.map_err(|e| Error::hdf5(path, &obj, e))?;
        let offset: [hdf5_sys::h5::hsize_t; 1] = [(i * chunk) as u64];
        let id = ds.id();
        // SAFETY: `offset` names a chunk of this 1-D dataset, `c` holds `c.len()` bytes; HDF5 calls
        // go through the crate's global lock.
        let rc = hdf5::sync::sync(|| unsafe {
            hdf5_sys::h5d::H5Dwrite_chunk(
                id,
                hdf5_sys::h5p::H5P_DEFAULT,
                0,
                offset.as_ptr(),
                c.len(),
                c.as_ptr().cast(),
            )
        });
        if rc < 0 {
            return Err(Error::hdf5(
                path,
                &obj,
                format!("writing compressed chunk {i} failed"),
            ));
        }
    }
    Ok(ds)
}

/// Writes populations as a SONATA spike file, atomically (temporary name, then rename). The data
/// are written in the order given; each population's `sorting` is stored as its group attribute.
pub fn write_spikes_file(
    path: &Path,
    pops: &[SpikePopulationRef<'_>],
    opts: &SonataWriteOptions,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for p in pops {
        check_lengths(path, p)?;
        if !seen.insert(p.name) {
            return Err(Error::invalid(format!(
                "{}: population '{}' is given twice",
                path.display(),
                p.name
            )));
        }
    }
    let pending = PendingFile::create(path)?;
    let root = pending.root();
    write_root_attrs(path, root)?;
    let spikes = create_group(path, root, "spikes")?;
    for p in pops {
        let g = create_group(path, &spikes, p.name)?;
        let ts = write_dataset(path, &g, "timestamps", p.timestamps, opts.deflate)?;
        write_str_attr(path, &ts, "units", p.units)?;
        // int64, the type BMTK 1.2.0 writes (its readers and libsonata read it as well as uint64)
        let signed: Vec<i64> = p
            .node_ids
            .iter()
            .map(|&n| {
                i64::try_from(n).map_err(|_| {
                    Error::invalid(format!(
                        "{}: node id {n} of population '{}' does not fit in int64",
                        path.display(),
                        p.name
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let ids = write_dataset(path, &g, "node_ids", &signed, opts.deflate)?;
        let attr = match p.sorting {
            SortOrder::None => Some(SortingAttr::none),
            SortOrder::ById => Some(SortingAttr::by_id),
            SortOrder::ByTime => Some(SortingAttr::by_time),
            SortOrder::Unknown => None,
        };
        if let Some(a) = attr {
            // The spec's enum on the group (libsonata), the string on node_ids (BMTK 1.2.0).
            g.new_attr::<SortingAttr>()
                .create("sorting")
                .and_then(|x| x.write_scalar(&a))
                .map_err(|e| Error::hdf5(path, &format!("/spikes/{}/sorting", p.name), e))?;
            write_str_attr(path, &ids, "sorting", p.sorting.as_str())?;
        }
    }
    drop(spikes);
    pending.commit()
}

fn read_f64(path: &Path, g: &Group, name: &str) -> Result<Vec<f64>> {
    let obj = format!("{}/{}", g.name(), name);
    let ds = g
        .dataset(name)
        .map_err(|_| Error::format(path, format!("'{obj}' is missing")))?;
    ds.read_raw::<f64>().map_err(|e| Error::hdf5(path, &obj, e))
}

/// Whether each population of a SONATA spike file stores its node ids as a signed integer type
/// (BMTK's readers hand the stored type on to their DataFrames). Populations in file order; files
/// without a `/spikes/<population>/node_ids` dataset give an empty list.
pub fn node_ids_signed(path: &Path) -> Result<Vec<(String, bool)>> {
    let f = open_read(path)?;
    let Ok(spikes) = f.group("spikes") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in spikes.member_names().unwrap_or_default() {
        if let Ok(ds) = spikes.dataset(&format!("{name}/node_ids")) {
            let signed = matches!(
                ds.dtype().and_then(|t| t.to_descriptor()),
                Ok(hdf5::types::TypeDescriptor::Integer(_))
            );
            out.push((name, signed));
        }
    }
    Ok(out)
}

fn read_ids(path: &Path, g: &Group, name: &str) -> Result<Vec<u64>> {
    let obj = format!("{}/{}", g.name(), name);
    let ds = g
        .dataset(name)
        .map_err(|_| Error::format(path, format!("'{obj}' is missing")))?;
    // Files in the wild store node ids as int64, uint32 or uint64; negative ids are rejected.
    let signed = matches!(
        ds.dtype().and_then(|t| t.to_descriptor()),
        Ok(hdf5::types::TypeDescriptor::Integer(_))
    );
    if !signed {
        return ds.read_raw::<u64>().map_err(|e| Error::hdf5(path, &obj, e));
    }
    let raw = ds
        .read_raw::<i64>()
        .map_err(|e| Error::hdf5(path, &obj, e))?;
    raw.into_iter()
        .map(|x| {
            u64::try_from(x)
                .map_err(|_| Error::format(path, format!("'{obj}' holds a negative node id ({x})")))
        })
        .collect()
}

fn sorting_of(g: &Group, ids: &str) -> SortOrder {
    // The group attribute is an enum (SONATA, libsonata) or a string (BMTK); some files carry a
    // string on the node_ids dataset instead.
    if let Ok(a) = g.attr("sorting") {
        if let Ok(e) = a.read_scalar::<SortingAttr>() {
            return match e {
                SortingAttr::none => SortOrder::None,
                SortingAttr::by_id => SortOrder::ById,
                SortingAttr::by_time => SortOrder::ByTime,
            };
        }
    }
    let on_ds = g
        .dataset(ids)
        .ok()
        .and_then(|d| read_str_attr(&d, "sorting"));
    let s = on_ds.or_else(|| read_str_attr(g, "sorting"));
    match s {
        Some(v) => SortOrder::parse(&v).unwrap_or(SortOrder::Unknown),
        None => SortOrder::Unknown,
    }
}

fn read_population(path: &Path, g: &Group, name: &str, ids: &str) -> Result<SpikePopulation> {
    let timestamps = read_f64(path, g, "timestamps")?;
    let node_ids = read_ids(path, g, ids)?;
    if node_ids.len() != timestamps.len() {
        return Err(Error::format(
            path,
            format!(
                "'{}' has {} timestamps but {} {}",
                g.name(),
                timestamps.len(),
                node_ids.len(),
                ids
            ),
        ));
    }
    let units = g
        .dataset("timestamps")
        .ok()
        .and_then(|d| read_str_attr(&d, "units"))
        .unwrap_or_else(|| "ms".to_string());
    Ok(SpikePopulation {
        name: name.to_string(),
        node_ids,
        timestamps,
        units,
        sorting: sorting_of(g, ids),
    })
}

/// Reads a SONATA spike file. `only`: the populations to keep (each must exist in the file).
/// Population groups lacking `timestamps` or `node_ids` are skipped, as BMTK does.
pub fn read_spikes_file(path: &Path, only: Option<&[String]>) -> Result<Vec<SpikePopulation>> {
    let file = open_read(path)?;
    let root = file
        .group("spikes")
        .map_err(|_| Error::format(path, "no '/spikes' group: not a SONATA spike file"))?;
    let names = root
        .member_names()
        .map_err(|e| Error::hdf5(path, "/spikes", e))?;
    let mut pops = Vec::new();
    let mut any_group = false;
    for name in &names {
        let Ok(g) = root.group(name) else { continue };
        any_group = true;
        if let Some(sel) = only {
            if !sel.iter().any(|s| s == name) {
                continue;
            }
        }
        if !(g.link_exists("timestamps") && g.link_exists("node_ids")) {
            continue;
        }
        pops.push(read_population(path, &g, name, "node_ids")?);
    }
    if !any_group && root.link_exists("timestamps") && root.link_exists("gids") {
        // The layout before populations: /spikes/gids + /spikes/timestamps.
        let mut p = read_population(path, &root, POP_NA, "gids")?;
        if p.sorting == SortOrder::Unknown {
            p.sorting = sorting_of(&root, "timestamps");
        }
        if only.is_none_or(|sel| sel.iter().any(|s| s == POP_NA)) {
            pops.push(p);
        }
    }
    if let Some(sel) = only {
        for s in sel {
            if !pops.iter().any(|p| &p.name == s) {
                let have: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
                return Err(Error::format(
                    path,
                    format!("no spikes for population '{s}' in /spikes (found: {have:?})"),
                ));
            }
        }
    }
    Ok(pops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(name: &str) -> SpikePopulation {
        SpikePopulation {
            name: name.into(),
            node_ids: vec![3, 1, 3],
            timestamps: vec![0.5, 1.5, 2.5],
            units: "ms".into(),
            sorting: SortOrder::None,
        }
    }

    #[test]
    fn round_trip_and_filter() {
        let dir =
            std::env::temp_dir().join(format!("bmtk_rs_spikes_sonata_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.h5");
        let (a, b) = (pop("a"), pop("b"));
        write_spikes_file(
            &path,
            &[a.as_ref(), b.as_ref()],
            &SonataWriteOptions { deflate: Some(4) },
        )
        .unwrap();
        let back = read_spikes_file(&path, None).unwrap();
        assert_eq!(back, vec![a.clone(), b]);
        let only = read_spikes_file(&path, Some(&["a".to_string()])).unwrap();
        assert_eq!(only, vec![a]);
        let err = read_spikes_file(&path, Some(&["zz".to_string()])).unwrap_err();
        assert!(err.to_string().contains("zz"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn deflated_chunks_with_a_partial_last_one() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_spikes_gz_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("z.h5");
        let n = DEFLATE_CHUNK * 2 + 5;
        let p = SpikePopulation {
            name: "z".into(),
            node_ids: (0..n as u64).map(|i| i / 7).collect(),
            timestamps: (0..n).map(|i| i as f64 * 0.25).collect(),
            units: "ms".into(),
            sorting: SortOrder::ById,
        };
        write_spikes_file(
            &path,
            &[p.as_ref()],
            &SonataWriteOptions { deflate: Some(4) },
        )
        .unwrap();
        let f = hdf5::File::open(&path).unwrap();
        let ds = f.dataset("spikes/z/timestamps").unwrap();
        assert_eq!(ds.chunk(), Some(vec![DEFLATE_CHUNK]));
        assert!(ds
            .filters()
            .iter()
            .any(|x| matches!(x, hdf5::filters::Filter::Deflate(4))));
        drop((ds, f));
        assert_eq!(read_spikes_file(&path, None).unwrap(), vec![p]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mismatched_lengths_leave_no_file() {
        let dir =
            std::env::temp_dir().join(format!("bmtk_rs_spikes_sonata_bad_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.h5");
        let mut p = pop("a");
        p.timestamps.pop();
        assert!(
            write_spikes_file(&path, &[p.as_ref()], &SonataWriteOptions { deflate: None }).is_err()
        );
        assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
