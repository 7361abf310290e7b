//! Thin helpers over the hdf5 crate: typed column datasets, string attributes, hard links, and
//! files that appear under their final name only once completely written.

use std::path::{Path, PathBuf};

use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5::{Dataset, File, Group, H5Type, Location};

use super::column::{Column, Values};
use crate::error::{Error, Result};

/// The temporary name a file is written under before it is renamed to `dest`: hidden, in the
/// same folder (so the rename is atomic), and checked to be creatable.
pub fn temp_path_for(dest: &Path) -> Result<PathBuf> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::file(dest, "the folder does not exist"));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| Error::file(dest, "not a file path"))?
        .to_string_lossy()
        .to_string();
    Ok(dir.join(format!(".{}.{}.partial", name, std::process::id())))
}

/// An HDF5 file being written under a temporary name in the destination folder; `commit` renames
/// it to the destination, dropping it without `commit` removes it, so no partial file is left.
pub struct PendingFile {
    pub file: Option<File>,
    tmp: PathBuf,
    dest: PathBuf,
}

impl PendingFile {
    pub fn create(dest: &Path) -> Result<Self> {
        let tmp = temp_path_for(dest)?;
        // no modification times in object headers: the same content gives the same bytes
        let file = File::with_options()
            .with_fcpl(|p| p.obj_track_times(false))
            .create(&tmp)
            .map_err(|e| Error::file(dest, format!("cannot create: {e}")))?;
        Ok(PendingFile {
            file: Some(file),
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dest
    }

    pub fn root(&self) -> &File {
        self.file.as_ref().expect("file is open until commit")
    }

    pub fn commit(mut self) -> Result<()> {
        if let Some(f) = self.file.take() {
            if let Err(e) = f.close() {
                let _ = std::fs::remove_file(&self.tmp);
                return Err(Error::file(&self.dest, format!("cannot close: {e}")));
            }
        }
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            Error::file(
                &self.dest,
                format!("cannot move the finished file into place: {e}"),
            )
        })
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = f.close();
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes the SONATA root attributes (`magic` and `version`) as BMTK does.
pub fn write_root_attrs(path: &Path, file: &File) -> Result<()> {
    let magic: u32 = 0x0A7A;
    file.new_attr::<u32>()
        .create("magic")
        .and_then(|a| a.write_scalar(&magic))
        .map_err(|e| Error::hdf5(path, "/magic", e))?;
    file.new_attr_builder()
        .with_data(&[0u32, 1u32][..])
        .create("version")
        .map_err(|e| Error::hdf5(path, "/version", e))?;
    Ok(())
}

pub fn create_group(path: &Path, parent: &Group, name: &str) -> Result<Group> {
    parent
        .create_group_builder()
        .obj_track_times(false)
        .create(name)
        .map_err(|e| Error::hdf5(path, name, e))
}

fn write_slice<T: H5Type>(
    path: &Path,
    g: &Group,
    name: &str,
    data: &[T],
    width: usize,
) -> Result<Dataset> {
    let rows = data.len().checked_div(width).unwrap_or(0);
    let res = if width > 1 {
        let arr = ndarray::ArrayView2::from_shape((rows, width), data)
            .map_err(|e| Error::invalid(format!("{name}: {e}")))?;
        g.new_dataset_builder().with_data(arr).create(name)
    } else {
        g.new_dataset_builder().with_data(data).create(name)
    };
    res.map_err(|e| Error::hdf5(path, name, e))
}

/// Writes rows of two values as an N x 2 dataset, without copying them.
pub fn write_rows2<T: H5Type + Copy>(
    path: &Path,
    g: &Group,
    name: &str,
    rows: &[[T; 2]],
) -> Result<Dataset> {
    let flat = rows.as_flattened();
    write_slice(path, g, name, flat, 2)
}

/// Writes a typed slice as a 1-D dataset.
pub fn write_vec<T: H5Type>(path: &Path, g: &Group, name: &str, data: &[T]) -> Result<Dataset> {
    write_slice(path, g, name, data, 1)
}

/// Writes a column with its own element type (strings as variable-length UTF-8, as h5py does).
pub fn write_column(path: &Path, g: &Group, name: &str, col: &Column) -> Result<Dataset> {
    match &col.values {
        Values::Str(v) => {
            let mut enc = Vec::with_capacity(v.len());
            for s in v {
                let u: VarLenUnicode = s.parse().map_err(|e| {
                    Error::invalid(format!(
                        "property '{name}': string {s:?} cannot be stored: {e}"
                    ))
                })?;
                enc.push(u);
            }
            write_slice(path, g, name, &enc, col.width)
        }
        Values::Bool(v) => write_slice(path, g, name, v, col.width),
        Values::F64(v) => write_slice(path, g, name, v, col.width),
        Values::F32(v) => write_slice(path, g, name, v, col.width),
        Values::I64(v) => write_slice(path, g, name, v, col.width),
        Values::I32(v) => write_slice(path, g, name, v, col.width),
        Values::I16(v) => write_slice(path, g, name, v, col.width),
        Values::I8(v) => write_slice(path, g, name, v, col.width),
        Values::U64(v) => write_slice(path, g, name, v, col.width),
        Values::U32(v) => write_slice(path, g, name, v, col.width),
        Values::U16(v) => write_slice(path, g, name, v, col.width),
        Values::U8(v) => write_slice(path, g, name, v, col.width),
    }
}

/// Writes a scalar variable-length UTF-8 string attribute.
pub fn write_str_attr(path: &Path, loc: &Location, name: &str, value: &str) -> Result<()> {
    let v: VarLenUnicode = value
        .parse()
        .map_err(|e| Error::invalid(format!("attribute {name}: {e}")))?;
    loc.new_attr::<VarLenUnicode>()
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .map_err(|e| Error::hdf5(path, name, e))
}

/// Adds `link_name` in `g` as a second name (hard link) of the existing object `target`.
pub fn hard_link(path: &Path, g: &Group, target: &str, link_name: &str) -> Result<()> {
    g.link_hard(target, link_name)
        .map_err(|e| Error::hdf5(path, link_name, e))
}

/// Opens an existing HDF5 file for reading, with a message naming it when that fails.
pub fn open_read(path: &Path) -> Result<File> {
    if !path.exists() {
        return Err(Error::file(path, "no such file"));
    }
    File::open(path).map_err(|e| Error::file(path, format!("not a readable HDF5 file: {e}")))
}

/// Reads a whole dataset into a column of its stored element type.
pub fn read_column(path: &Path, ds: &Dataset) -> Result<Column> {
    let name = ds.name();
    let shape = ds.shape();
    let width = if shape.len() > 1 {
        shape[1..].iter().product()
    } else {
        1
    };
    let desc = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|e| Error::hdf5(path, &name, e))?;
    let err = |e: hdf5::Error| Error::hdf5(path, &name, e);
    use hdf5::types::{FloatSize, IntSize};
    let values = match desc {
        TypeDescriptor::Float(FloatSize::U8) => Values::F64(ds.read_raw().map_err(err)?),
        TypeDescriptor::Float(FloatSize::U4) => Values::F32(ds.read_raw().map_err(err)?),
        TypeDescriptor::Integer(IntSize::U8) => Values::I64(ds.read_raw().map_err(err)?),
        TypeDescriptor::Integer(IntSize::U4) => Values::I32(ds.read_raw().map_err(err)?),
        TypeDescriptor::Integer(IntSize::U2) => Values::I16(ds.read_raw().map_err(err)?),
        TypeDescriptor::Integer(IntSize::U1) => Values::I8(ds.read_raw().map_err(err)?),
        TypeDescriptor::Unsigned(IntSize::U8) => Values::U64(ds.read_raw().map_err(err)?),
        TypeDescriptor::Unsigned(IntSize::U4) => Values::U32(ds.read_raw().map_err(err)?),
        TypeDescriptor::Unsigned(IntSize::U2) => Values::U16(ds.read_raw().map_err(err)?),
        TypeDescriptor::Unsigned(IntSize::U1) => Values::U8(ds.read_raw().map_err(err)?),
        TypeDescriptor::Boolean => Values::Bool(ds.read_raw().map_err(err)?),
        TypeDescriptor::VarLenUnicode => Values::Str(
            ds.read_raw::<VarLenUnicode>()
                .map_err(err)?
                .into_iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        ),
        TypeDescriptor::VarLenAscii => Values::Str(
            ds.read_raw::<VarLenAscii>()
                .map_err(err)?
                .into_iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        ),
        TypeDescriptor::Enum(e) if e.size as usize == 1 && e.members.len() == 2 => {
            // h5py stores numpy bools as a two-member int8 enum (FALSE/TRUE).
            let raw: Vec<i8> = ds.read_raw().map_err(err)?;
            Values::Bool(raw.into_iter().map(|x| x != 0).collect())
        }
        other => {
            return Err(Error::format(
                path,
                format!(
                    "dataset '{name}' has an element type this reader does not support: {other:?}"
                ),
            ))
        }
    };
    Ok(Column::with_width(values, width))
}

/// Reads an integer dataset of any stored width as u64 (HDF5 converts on read).
pub fn read_u64(path: &Path, g: &Group, name: &str) -> Result<Vec<u64>> {
    let ds = g
        .dataset(name)
        .map_err(|_| Error::format(path, format!("'{}/{}' is missing", g.name(), name)))?;
    ds.read_raw::<u64>()
        .map_err(|e| Error::hdf5(path, &format!("{}/{}", g.name(), name), e))
}

/// The attributes of one group, by name.
pub type NamedColumns = Vec<(String, Column)>;

/// Reads the numbered attribute groups (`0`, `1`, ...) of a population, each as its columns
/// sorted by name.
pub fn read_groups<G: std::str::FromStr>(path: &Path, g: &Group) -> Result<Vec<(G, NamedColumns)>> {
    let mut groups = Vec::new();
    let mut members = g
        .member_names()
        .map_err(|e| Error::hdf5(path, &g.name(), e))?;
    members.sort_by_key(|m| m.parse::<u64>().unwrap_or(u64::MAX));
    for m in members {
        let Ok(gid) = m.parse::<G>() else { continue };
        let Ok(grp) = g.group(&m) else { continue };
        let mut cols = Vec::new();
        let mut cnames = grp.member_names().map_err(|e| Error::hdf5(path, &m, e))?;
        cnames.sort();
        for c in cnames {
            if let Ok(ds) = grp.dataset(&c) {
                cols.push((c, read_column(path, &ds)?));
            }
        }
        groups.push((gid, cols));
    }
    Ok(groups)
}

/// Reads a scalar string attribute, if present.
pub fn read_str_attr(loc: &Location, name: &str) -> Option<String> {
    let a = loc.attr(name).ok()?;
    if let Ok(v) = a.read_scalar::<VarLenUnicode>() {
        return Some(v.as_str().to_string());
    }
    if let Ok(v) = a.read_scalar::<VarLenAscii>() {
        return Some(v.as_str().to_string());
    }
    None
}
