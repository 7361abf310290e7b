//! Spike trains in NWB files (HDF5). Written as BMTK's `to_nwb` does through pynwb: an NWB 2
//! file whose `/units` table has one row per node with spikes, columns `population`, `node_id`
//! and the ragged `spike_times` (+ `spike_times_index`), row ids being the node ids. Read from
//! that layout, and from the older BMTK layout `/processing/<trial>/spike_train/<node_id>/data`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5::types::VarLenUnicode;
use hdf5::{Group, H5Type, Location, ObjectReference1};

use super::super::h5::{create_group, open_read, read_column, write_str_attr, PendingFile};
use super::{SortOrder, SpikePopulation, POP_NA};
use crate::error::{Error, Result};
use crate::sonata::column::Values;

/// The NWB schema version the file declares (the units table layout is that of every NWB 2).
const NWB_VERSION: &str = "2.7.0";

/// One row of the units table: a node and its spike times.
pub struct NwbUnit<'a> {
    pub population: &'a str,
    pub node_id: u64,
    pub times: Vec<f64>,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random (version 4) UUID string for the `object_id` attributes.
fn uuid4() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let c = COUNTER.fetch_add(1, Ordering::Relaxed);
    let a = splitmix(nanos ^ splitmix(c) ^ ((std::process::id() as u64) << 32));
    let b = splitmix(a ^ c.rotate_left(17));
    let a = (a & !0xF000) | 0x4000; // version 4
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000; // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// The current time as ISO 8601 in UTC, as NWB stores `session_start_time`.
fn now_iso8601() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_micros()
    )
}

fn vlen(path: &Path, s: &str) -> Result<VarLenUnicode> {
    s.parse().map_err(|e| {
        Error::invalid(format!(
            "{}: string {s:?} cannot be stored: {e}",
            path.display()
        ))
    })
}

fn typed(path: &Path, loc: &Location, namespace: &str, ty: &str) -> Result<()> {
    write_str_attr(path, loc, "namespace", namespace)?;
    write_str_attr(path, loc, "neurodata_type", ty)?;
    write_str_attr(path, loc, "object_id", &uuid4())
}

fn scalar_str(path: &Path, g: &Group, name: &str, value: &str) -> Result<()> {
    let v = vlen(path, value)?;
    g.new_dataset::<VarLenUnicode>()
        .create(name)
        .and_then(|d| d.write_scalar(&v))
        .map_err(|e| Error::hdf5(path, name, e))
}

fn column<T: H5Type>(
    path: &Path,
    g: &Group,
    name: &str,
    data: &[T],
    ty: &str,
    description: Option<&str>,
) -> Result<()> {
    let obj = format!("/units/{name}");
    let ds = g
        .new_dataset_builder()
        .with_data(data)
        .create(name)
        .map_err(|e| Error::hdf5(path, &obj, e))?;
    if let Some(d) = description {
        write_str_attr(path, &ds, "description", d)?;
    }
    typed(path, &ds, "hdmf-common", ty)
}

/// Writes the units in the order given, atomically.
pub fn write_spikes_nwb(
    path: &Path,
    units: &[NwbUnit<'_>],
    include_population: bool,
    session_description: &str,
) -> Result<()> {
    let pending = PendingFile::create(path)?;
    let root = pending.root();
    let now = now_iso8601();
    write_str_attr(path, root, "nwb_version", NWB_VERSION)?;
    typed(path, root, "core", "NWBFile")?;
    for g in [
        "acquisition",
        "analysis",
        "general",
        "processing",
        "stimulus",
    ] {
        create_group(path, root, g)?;
    }
    let stim = root
        .group("stimulus")
        .map_err(|e| Error::hdf5(path, "/stimulus", e))?;
    create_group(path, &stim, "presentation")?;
    create_group(path, &stim, "templates")?;
    scalar_str(
        path,
        root,
        "identifier",
        "Generated in-silico, no session id",
    )?;
    scalar_str(path, root, "session_description", session_description)?;
    scalar_str(path, root, "session_start_time", &now)?;
    scalar_str(path, root, "timestamps_reference_time", &now)?;
    root.new_dataset_builder()
        .with_data(&[vlen(path, &now)?][..])
        .create("file_create_date")
        .map_err(|e| Error::hdf5(path, "/file_create_date", e))?;

    let g = create_group(path, root, "units")?;
    let mut colnames = Vec::new();
    if include_population {
        colnames.push(vlen(path, "population")?);
    }
    colnames.push(vlen(path, "node_id")?);
    colnames.push(vlen(path, "spike_times")?);
    g.new_attr_builder()
        .with_data(&colnames[..])
        .create("colnames")
        .map_err(|e| Error::hdf5(path, "/units colnames", e))?;
    write_str_attr(path, &g, "description", "Autogenerated by NWBFile")?;
    typed(path, &g, "core", "Units")?;

    let ids: Vec<i64> = units.iter().map(|u| u.node_id as i64).collect();
    column(path, &g, "id", &ids, "ElementIdentifiers", None)?;
    column(
        path,
        &g,
        "node_id",
        &ids,
        "VectorData",
        Some("id of each node within a population"),
    )?;
    if include_population {
        let pops = units
            .iter()
            .map(|u| vlen(path, u.population))
            .collect::<Result<Vec<_>>>()?;
        column(
            path,
            &g,
            "population",
            &pops,
            "VectorData",
            Some("node population identifier"),
        )?;
    }
    let total: usize = units.iter().map(|u| u.times.len()).sum();
    let mut times = Vec::with_capacity(total);
    let mut index = Vec::with_capacity(units.len());
    for u in units {
        times.extend_from_slice(&u.times);
        index.push(times.len() as u64);
    }
    column(
        path,
        &g,
        "spike_times",
        &times,
        "VectorData",
        Some("the spike times for each unit in seconds"),
    )?;
    column(
        path,
        &g,
        "spike_times_index",
        &index,
        "VectorIndex",
        Some("Index for VectorData 'spike_times'"),
    )?;
    let target: ObjectReference1 = g
        .reference("spike_times")
        .map_err(|e| Error::hdf5(path, "/units/spike_times", e))?;
    let idx = g
        .dataset("spike_times_index")
        .map_err(|e| Error::hdf5(path, "/units/spike_times_index", e))?;
    idx.new_attr::<ObjectReference1>()
        .create("target")
        .and_then(|a| a.write_scalar(&target))
        .map_err(|e| Error::hdf5(path, "/units/spike_times_index target", e))?;
    drop((g, stim, idx));
    pending.commit()
}

fn push(pops: &mut Vec<SpikePopulation>, name: &str, node_id: u64, times: &[f64]) {
    let k = match pops.iter().position(|p| p.name == name) {
        Some(k) => k,
        None => {
            pops.push(SpikePopulation {
                name: name.to_string(),
                node_ids: Vec::new(),
                timestamps: Vec::new(),
                units: "ms".to_string(),
                sorting: SortOrder::ById,
            });
            pops.len() - 1
        }
    };
    pops[k].timestamps.extend_from_slice(times);
    pops[k]
        .node_ids
        .extend(std::iter::repeat_n(node_id, times.len()));
}

fn read_units(path: &Path, g: &Group, population: Option<&str>) -> Result<Vec<SpikePopulation>> {
    let err = |o: &str, e: hdf5::Error| Error::hdf5(path, &format!("/units/{o}"), e);
    let missing = |o: &str| Error::format(path, format!("'/units/{o}' is missing"));
    let times: Vec<f64> = g
        .dataset("spike_times")
        .map_err(|_| missing("spike_times"))?
        .read_raw()
        .map_err(|e| err("spike_times", e))?;
    let index: Vec<u64> = g
        .dataset("spike_times_index")
        .map_err(|_| missing("spike_times_index"))?
        .read_raw()
        .map_err(|e| err("spike_times_index", e))?;
    let id_name = if g.link_exists("node_id") {
        "node_id"
    } else {
        "id"
    };
    let ids: Vec<i64> = g
        .dataset(id_name)
        .map_err(|_| missing(id_name))?
        .read_raw()
        .map_err(|e| err(id_name, e))?;
    if ids.len() != index.len() {
        return Err(Error::format(
            path,
            format!(
                "'/units/{id_name}' has {} rows but spike_times_index has {}",
                ids.len(),
                index.len()
            ),
        ));
    }
    let pop_col: Option<Vec<String>> = match g.dataset("population") {
        Ok(ds) => match read_column(path, &ds)?.values {
            Values::Str(v) if v.len() == ids.len() => Some(v),
            _ => {
                return Err(Error::format(
                    path,
                    "'/units/population' is not a string column of one value per unit",
                ))
            }
        },
        Err(_) => None,
    };
    let mut pops = Vec::new();
    let mut start = 0usize;
    for (row, (&id, &end)) in ids.iter().zip(&index).enumerate() {
        let end = end as usize;
        if end < start || end > times.len() {
            return Err(Error::format(
                path,
                format!("'/units/spike_times_index' row {row} ({end}) is out of range"),
            ));
        }
        let node = u64::try_from(id)
            .map_err(|_| Error::format(path, format!("unit {row} has a negative node id {id}")))?;
        let name = match (&pop_col, population) {
            (Some(p), _) => p[row].as_str(),
            (None, Some(p)) => p,
            (None, None) => POP_NA,
        };
        if pop_col.is_none() || population.is_none_or(|want| want == name) {
            push(&mut pops, name, node, &times[start..end]);
        }
        start = end;
    }
    if let Some(want) = population {
        if !pops.iter().any(|p| p.name == want) && pop_col.is_some() {
            return Err(Error::format(
                path,
                format!("no units of population '{want}' in /units"),
            ));
        }
    }
    Ok(pops)
}

fn read_trial(
    path: &Path,
    file: &hdf5::File,
    population: Option<&str>,
    trial: Option<&str>,
) -> Result<Vec<SpikePopulation>> {
    let processing = file.group("processing").map_err(|_| {
        Error::format(
            path,
            "neither '/units' nor '/processing' found: no spike trains in this NWB file",
        )
    })?;
    let trials = processing
        .member_names()
        .map_err(|e| Error::hdf5(path, "/processing", e))?;
    let trial = match trial {
        Some(t) => t.to_string(),
        None if trials.len() == 1 => trials[0].clone(),
        None => {
            return Err(Error::invalid(format!(
                "{}: /processing holds {} trials {:?}; say which one with trial=...",
                path.display(),
                trials.len(),
                trials
            )))
        }
    };
    let obj = format!("/processing/{trial}/spike_train");
    let st = file
        .group(&obj)
        .map_err(|_| Error::format(path, format!("'{obj}' is missing")))?;
    let mut nodes: Vec<(u64, String)> = Vec::new();
    for n in st.member_names().map_err(|e| Error::hdf5(path, &obj, e))? {
        let id = n
            .parse::<u64>()
            .map_err(|_| Error::format(path, format!("'{obj}/{n}' is not named by a node id")))?;
        nodes.push((id, n));
    }
    nodes.sort();
    let name = population.unwrap_or(POP_NA);
    let mut pops = Vec::new();
    for (id, n) in nodes {
        let o = format!("{obj}/{n}/data");
        let t: Vec<f64> = file
            .dataset(&o)
            .map_err(|_| Error::format(path, format!("'{o}' is missing")))?
            .read_raw()
            .map_err(|e| Error::hdf5(path, &o, e))?;
        push(&mut pops, name, id, &t);
    }
    Ok(pops)
}

/// Reads the spike trains of an NWB file. `population`: keep (or, in files without a population
/// column, name) that population; `trial`: the `/processing` entry of old-layout files.
pub fn read_spikes_nwb(
    path: &Path,
    population: Option<&str>,
    trial: Option<&str>,
) -> Result<Vec<SpikePopulation>> {
    let file = open_read(path)?;
    match file.group("units") {
        Ok(g) => read_units(path, &g, population),
        Err(_) => read_trial(path, &file, population, trial),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_and_time_shapes() {
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid4());
        let t = now_iso8601();
        assert_eq!(t.len(), "2026-01-01T00:00:00.000000+00:00".len());
        assert!(t.starts_with("20"));
    }

    #[test]
    fn round_trip() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_spikes_nwb_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.nwb");
        let units = vec![
            NwbUnit {
                population: "a",
                node_id: 2,
                times: vec![1.0, 2.0],
            },
            NwbUnit {
                population: "b",
                node_id: 0,
                times: vec![3.0],
            },
        ];
        write_spikes_nwb(&path, &units, true, "test").unwrap();
        let p = read_spikes_nwb(&path, None, None).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].node_ids, vec![2, 2]);
        assert_eq!(p[1].timestamps, vec![3.0]);
        let only = read_spikes_nwb(&path, Some("b"), None).unwrap();
        assert_eq!(only.len(), 1);
        assert!(read_spikes_nwb(&path, Some("zz"), None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
