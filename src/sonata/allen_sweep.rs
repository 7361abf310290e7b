//! Stimulus sweeps of Allen Cell Types NWB (v1) files, as BMTK's current clamps read them:
//! `/epochs/<sweep>/stimulus/timeseries/data` (amps) with the sampling `rate` (Hz) on its
//! `starting_time` dataset.

use std::path::Path;

use super::h5::open_read;
use crate::error::{Error, Result};

/// One sweep's stimulus: the samples as stored (A) and the sampling rate (Hz).
pub struct AllenSweep {
    pub data: Vec<f64>,
    pub rate: f64,
}

/// Reads sweep `sweep` (e.g. `Sweep_35`) of an Allen NWB file.
pub fn read_allen_sweep(path: &Path, sweep: &str) -> Result<AllenSweep> {
    let f = open_read(path)?;
    let epochs = f
        .group("epochs")
        .map_err(|_| Error::format(path, "no /epochs group: not an Allen Cell Types NWB file"))?;
    if !epochs.link_exists(sweep) {
        let mut have = epochs.member_names().unwrap_or_default();
        have.truncate(8);
        return Err(Error::format(
            path,
            format!("no sweep '{sweep}' under /epochs (it has e.g. {have:?})"),
        ));
    }
    let where_ = format!("/epochs/{sweep}/stimulus/timeseries");
    let ts = epochs
        .group(&format!("{sweep}/stimulus/timeseries"))
        .map_err(|_| Error::format(path, format!("'{where_}' is missing")))?;
    let data = ts
        .dataset("data")
        .and_then(|d| d.read_raw::<f64>())
        .map_err(|e| Error::hdf5(path, &format!("{where_}/data"), e))?;
    let rate = ts
        .dataset("starting_time")
        .and_then(|d| d.attr("rate"))
        .and_then(|a| a.read_scalar::<f64>())
        .map_err(|e| Error::hdf5(path, &format!("{where_}/starting_time.rate"), e))?;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(Error::format(
            path,
            format!("{where_}/starting_time has rate {rate}: expected a positive number of Hz"),
        ));
    }
    if let Some(k) = data.iter().position(|x| !x.is_finite()) {
        return Err(Error::format(
            path,
            format!("{where_}/data[{k}] is not a finite number"),
        ));
    }
    Ok(AllenSweep { data, rate })
}
