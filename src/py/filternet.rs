//! Python bindings of FilterNet: evaluate LGN cells on a stimulus, write rates and spikes.

use std::borrow::Cow;
use std::path::PathBuf;

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::IntoPyResult;
use crate::filternet::cells::{build_model, CellParams};
use crate::filternet::output::{self, PopRates, Stream};
use crate::filternet::simulate::{evaluate, EvalOptions};
use crate::filternet::spatial::gaussian_kernel;
use crate::filternet::stimuli::{DenseData, Frames, Stimulus};
use crate::sonata::spikes::csv as spikes_csv;
use crate::sonata::spikes::nwb::{write_spikes_nwb, NwbUnit};
use crate::sonata::spikes::{write_spikes_file, SonataWriteOptions, SortOrder, SpikePopulationRef};

fn item<'py>(d: &Bound<'py, PyDict>, k: &str, what: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(k)?
        .ok_or_else(|| PyValueError::new_err(format!("{what}: missing '{k}'")))
}

fn f64s(d: &Bound<'_, PyDict>, k: &str, what: &str) -> PyResult<Vec<f64>> {
    let a: PyReadonlyArrayDyn<f64> = item(d, k, what)?.extract().map_err(|_| {
        PyValueError::new_err(format!("{what}: '{k}' must be a float64 numpy array"))
    })?;
    Ok(a.as_array().iter().copied().collect())
}

fn pairs(d: &Bound<'_, PyDict>, k: &str, n: usize, what: &str) -> PyResult<Vec<[f64; 2]>> {
    let v = f64s(d, k, what)?;
    if v.len() != 2 * n {
        return Err(PyValueError::new_err(format!(
            "{what}: '{k}' must have shape ({n}, 2)"
        )));
    }
    Ok(v.chunks(2).map(|c| [c[0], c[1]]).collect())
}

fn cells_from_py(d: &Bound<'_, PyDict>) -> PyResult<Vec<CellParams>> {
    let what = "cells";
    let node_id: PyReadonlyArray1<u64> = item(d, "node_id", what)?.extract()?;
    let node_id: Vec<u64> = node_id.as_array().to_vec();
    let n = node_id.len();
    let population: Vec<String> = item(d, "population", what)?.extract()?;
    let model: Vec<String> = item(d, "model", what)?.extract()?;
    let col = |k: &str| -> PyResult<Vec<f64>> {
        let v = f64s(d, k, what)?;
        if v.len() != n {
            return Err(PyValueError::new_err(format!(
                "{what}: '{k}' must have {n} values"
            )));
        }
        Ok(v)
    };
    let (x, y, rotation, spont, tuning_angle, sf_sep) = (
        col("x")?,
        col("y")?,
        col("rotation")?,
        col("spont")?,
        col("tuning_angle")?,
        col("sf_sep")?,
    );
    let sigma = pairs(d, "sigma", n, what)?;
    let sigma_on = pairs(d, "sigma_on", n, what)?;
    let sigma_off = pairs(d, "sigma_off", n, what)?;
    let (w, k, dl) = (
        pairs(d, "weights", n, what)?,
        pairs(d, "kpeaks", n, what)?,
        pairs(d, "delays", n, what)?,
    );
    let (wn, kn, dn) = (
        pairs(d, "weights_nd", n, what)?,
        pairs(d, "kpeaks_nd", n, what)?,
        pairs(d, "delays_nd", n, what)?,
    );
    if population.len() != n || model.len() != n {
        return Err(PyValueError::new_err(
            "cells: population/model must have one entry per cell",
        ));
    }
    Ok((0..n)
        .map(|i| CellParams {
            node_id: node_id[i],
            population: population[i].clone(),
            model: model[i].clone(),
            x: x[i],
            y: y[i],
            sigma: (sigma[i][0], sigma[i][1]),
            rotation: rotation[i],
            weights: w[i],
            kpeaks: k[i],
            delays: dl[i],
            weights_nd: wn[i],
            kpeaks_nd: kn[i],
            delays_nd: dn[i],
            spont: spont[i],
            tuning_angle: tuning_angle[i],
            sf_sep: sf_sep[i],
            sigma_on: (sigma_on[i][0], sigma_on[i][1]),
            sigma_off: (sigma_off[i][0], sigma_off[i][1]),
        })
        .collect())
}

fn borrow_or_copy<'a, T: numpy::Element + Copy>(a: &'a PyReadonlyArrayDyn<'_, T>) -> Cow<'a, [T]> {
    match a.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
    }
}

/// Movie pixels held by Python, kept borrowed while the engine reads them.
#[derive(Default)]
struct MovieBuffers<'py> {
    u8: Option<PyReadonlyArrayDyn<'py, u8>>,
    f32: Option<PyReadonlyArrayDyn<'py, f32>>,
    f64: Option<PyReadonlyArrayDyn<'py, f64>>,
}

impl<'py> MovieBuffers<'py> {
    fn from_py(d: &Bound<'py, PyDict>) -> PyResult<Self> {
        let mut b = MovieBuffers::default();
        if let Some(obj) = d.get_item("data")? {
            if let Ok(a) = obj.extract::<PyReadonlyArrayDyn<u8>>() {
                b.u8 = Some(a);
            } else if let Ok(a) = obj.extract::<PyReadonlyArrayDyn<f32>>() {
                b.f32 = Some(a);
            } else if let Ok(a) = obj.extract::<PyReadonlyArrayDyn<f64>>() {
                b.f64 = Some(a);
            } else {
                return Err(PyValueError::new_err(
                    "movie: 'data' must be a numpy array of uint8, float32 or float64",
                ));
            }
        }
        Ok(b)
    }

    fn dense(&self) -> Option<DenseData<'_>> {
        if let Some(a) = &self.u8 {
            Some(DenseData::U8(borrow_or_copy(a)))
        } else if let Some(a) = &self.f32 {
            Some(DenseData::F32(borrow_or_copy(a)))
        } else {
            self.f64.as_ref().map(|a| DenseData::F64(borrow_or_copy(a)))
        }
    }
}

fn stimulus_from_py<'a>(
    d: &Bound<'_, PyDict>,
    buffers: &'a MovieBuffers<'_>,
) -> PyResult<Stimulus<'a>> {
    let what = "movie";
    let kind: String = item(d, "kind", what)?.extract()?;
    let frame_rate: f64 = item(d, "frame_rate", what)?.extract()?;
    let n_frames: usize = item(d, "n_frames", what)?.extract()?;
    let row_range = f64s(d, "row_range", what)?;
    let col_range = f64s(d, "col_range", what)?;
    let (n_rows, n_cols) = (row_range.len(), col_range.len());
    let frames = match kind.as_str() {
        "dense" => Frames::Dense {
            data: buffers
                .dense()
                .ok_or_else(|| PyValueError::new_err("movie: missing 'data'"))?,
        },
        "uniform" => Frames::Uniform {
            values: f64s(d, "values", what)?,
        },
        "grating" => Frames::Grating {
            n_gray: item(d, "n_gray", what)?.extract()?,
            time: f64s(d, "time", what)?,
            xcoord: f64s(d, "xcoord", what)?,
            ycoord: f64s(d, "ycoord", what)?,
            cpd: item(d, "cpd", what)?.extract()?,
            temporal_f: item(d, "temporal_f", what)?.extract()?,
            theta: item(d, "theta", what)?.extract()?,
            phase: item(d, "phase", what)?.extract()?,
            contrast: item(d, "contrast", what)?.extract()?,
        },
        "looming" => Frames::Looming {
            n_gray: item(d, "n_gray", what)?.extract()?,
            n_loom: item(d, "n_loom", what)?.extract()?,
        },
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown movie kind '{other}'"
            )))
        }
    };
    let stim = Stimulus::new(
        frames, n_frames, n_rows, n_cols, frame_rate, row_range, col_range,
    )
    .py()?;
    match d.get_item("t_range")? {
        Some(t) if !t.is_none() => {
            let t: PyReadonlyArrayDyn<f64> = t.extract().map_err(|_| {
                PyValueError::new_err("movie: 't_range' must be a float64 numpy array")
            })?;
            stim.with_times(t.as_array().iter().copied().collect()).py()
        }
        _ => Ok(stim),
    }
}

fn options_from_py(d: &Bound<'_, PyDict>) -> PyResult<EvalOptions> {
    let mut o = EvalOptions::default();
    if let Some(v) = d.get_item("separable")? {
        o.separable = v.is_truthy()?;
    }
    if let Some(v) = d.get_item("downsample")? {
        o.downsample = v.extract()?;
    }
    if let Some(v) = d.get_item("t_min")? {
        o.t_min = v.extract()?;
    }
    if let Some(v) = d.get_item("t_max")? {
        o.t_max = v.extract()?;
    }
    Ok(o)
}

/// Evaluates every cell on the movie. Returns (times in s, rates in Hz with one row per cell).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn filternet_evaluate<'py>(
    py: Python<'py>,
    cells: Bound<'py, PyDict>,
    movie: Bound<'py, PyDict>,
    options: Bound<'py, PyDict>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>)> {
    let cells = cells_from_py(&cells)?;
    let buffers = MovieBuffers::from_py(&movie)?;
    let stim = stimulus_from_py(&movie, &buffers)?;
    let opt = options_from_py(&options)?;
    let n = cells.len();
    let (times, flat) = py.detach(|| evaluate(&cells, &stim, &opt)).py()?;
    let nt = times.len();
    let arr = PyArray1::from_vec(py, flat).reshape([n, nt])?;
    Ok((PyArray1::from_vec(py, times), arr))
}

/// Spatial kernels (rows, cols, weights incl. amplitude) and temporal kernels (sampled at
/// `t_range`) of one cell's subunits, for inspection and tests.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn filternet_cell_kernels<'py>(
    py: Python<'py>,
    cells: Bound<'py, PyDict>,
    index: usize,
    row_range: Vec<f64>,
    col_range: Vec<f64>,
    t_range: Vec<f64>,
) -> PyResult<Vec<(Vec<u32>, Vec<u32>, Vec<f64>, Vec<f64>, f64)>> {
    let _ = py;
    let cells = cells_from_py(&cells)?;
    let p = cells
        .get(index)
        .ok_or_else(|| PyValueError::new_err("cell index out of range"))?;
    let model = build_model(p).py()?;
    let mut out = Vec::new();
    for u in &model.units {
        let k = gaussian_kernel(&u.gauss, &row_range, &col_range, "cell").py()?;
        out.push((
            k.rows,
            k.cols,
            k.w,
            u.temporal.sample(&t_range),
            u.amplitude,
        ));
    }
    Ok(out)
}

/// (population name, node ids, one rates row per node), borrowed from numpy.
type BorrowedPop<'a> = (String, &'a [u64], Vec<&'a [f64]>);

type PyPop<'py> = (
    String,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray2<'py, f64>,
);

/// Writes rates to csv and/or h5. `populations`: [(name, node ids, rates (nodes x times))].
#[pyfunction]
#[pyo3(signature = (times, populations, csv_path=None, h5_path=None))]
pub fn filternet_write_rates(
    py: Python<'_>,
    times: PyReadonlyArray1<'_, f64>,
    populations: Vec<PyPop<'_>>,
    csv_path: Option<PathBuf>,
    h5_path: Option<PathBuf>,
) -> PyResult<()> {
    let times = times.as_array().to_vec();
    let nt = times.len();
    let mut data: Vec<BorrowedPop> = Vec::new();
    for (n, ids, r) in &populations {
        let ids = ids
            .as_slice()
            .map_err(|_| PyValueError::new_err("node ids must be a contiguous array"))?;
        let flat = r.as_slice().map_err(|_| {
            PyValueError::new_err("rates must be a C-contiguous (nodes x times) array")
        })?;
        if flat.len() != ids.len() * nt {
            return Err(PyValueError::new_err(format!(
                "population '{n}': rates must have shape (nodes, times)"
            )));
        }
        let rows: Vec<&[f64]> = if nt == 0 {
            vec![&[][..]; ids.len()]
        } else {
            flat.chunks(nt).collect()
        };
        data.push((n.clone(), ids, rows));
    }
    py.detach(|| {
        let pops: Vec<PopRates> = data
            .iter()
            .map(|(n, ids, r)| PopRates {
                name: n,
                node_ids: ids,
                rates: r,
            })
            .collect();
        if let Some(p) = &csv_path {
            output::write_rates_csv(p, &times, &pops)?;
        }
        if let Some(p) = &h5_path {
            output::write_rates_h5(p, &times, &pops)?;
        }
        Ok(())
    })
    .py()
}

/// Draws spike trains from the rates (times in s, rates in Hz) and writes csv, h5 and/or NWB
/// (the units table bmtk's SpikeTrains.to_nwb writes: per population, one unit per node with
/// spikes, in node order).
#[pyfunction]
#[pyo3(signature = (times, populations, seed, csv_path=None, h5_path=None, nwb_path=None))]
#[allow(clippy::too_many_arguments)]
pub fn filternet_write_spikes(
    py: Python<'_>,
    times: PyReadonlyArray1<'_, f64>,
    populations: Vec<PyPop<'_>>,
    seed: u64,
    csv_path: Option<PathBuf>,
    h5_path: Option<PathBuf>,
    nwb_path: Option<PathBuf>,
) -> PyResult<()> {
    let t_ms: Vec<f64> = times.as_array().iter().map(|t| t * 1000.0).collect();
    let mut pops = Vec::new();
    for (name, ids, rates) in &populations {
        let rates = rates.as_array();
        let mut node_ids = Vec::new();
        let mut ts = Vec::new();
        for (nid, row) in ids.as_array().iter().zip(rates.rows()) {
            let mut s = Stream::new(seed, *nid);
            let row = row.to_vec();
            let spk = output::rates_to_spikes(&t_ms, &row, &mut s, 0.1);
            node_ids.extend(std::iter::repeat_n(*nid, spk.len()));
            ts.extend(spk);
        }
        pops.push((name.clone(), node_ids, ts));
    }
    py.detach(|| {
        // Spike files go through the shared spikes layouts (the ones BioNet and the spike-train
        // utilities write), sorted by node id as the trains were generated.
        let refs: Vec<SpikePopulationRef<'_>> = pops
            .iter()
            .map(|(n, ids, ts)| SpikePopulationRef {
                name: n,
                node_ids: ids,
                timestamps: ts,
                units: "ms",
                sorting: SortOrder::ById,
            })
            .collect();
        if let Some(path) = &csv_path {
            let names: Vec<&str> = pops.iter().map(|(n, _, _)| n.as_str()).collect();
            let rows: Vec<spikes_csv::Row> = pops
                .iter()
                .enumerate()
                .flat_map(|(pi, (_, ids, ts))| ts.iter().zip(ids).map(move |(&t, &n)| (t, pi, n)))
                .collect();
            spikes_csv::write_spikes_csv(path, &names, &rows, true, true)?;
        }
        if let Some(path) = &h5_path {
            write_spikes_file(path, &refs, &SonataWriteOptions { deflate: None })?;
        }
        if let Some(path) = &nwb_path {
            let mut units = Vec::new();
            for (name, ids, ts) in &pops {
                // a node's spikes are contiguous (trains are drawn node by node, ids ascending)
                let mut start = 0;
                while start < ids.len() {
                    let end = start + ids[start..].partition_point(|&n| n == ids[start]);
                    units.push(NwbUnit {
                        population: name,
                        node_id: ids[start],
                        times: ts[start..end].to_vec(),
                    });
                    start = end;
                }
            }
            let desc = format!(
                "bmtk-rs {} generated NWB spikes file",
                env!("CARGO_PKG_VERSION")
            );
            write_spikes_nwb(path, &units, true, &desc)?;
        }
        Ok(())
    })
    .py()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(filternet_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(filternet_cell_kernels, m)?)?;
    m.add_function(wrap_pyfunction!(filternet_write_rates, m)?)?;
    m.add_function(wrap_pyfunction!(filternet_write_spikes, m)?)?;
    Ok(())
}
