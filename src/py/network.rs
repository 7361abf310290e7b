//! Python binding of the BioNet network engine (src/bionet/network.rs): the Python simulator
//! (bmtk_rs.simulator.bionet) reads the SONATA network and config, then hands cells, edges,
//! inputs and reports over as arrays.

use std::path::PathBuf;
use std::sync::Arc;

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::IntoPyResult;
use crate::bionet::cell::{CellModel, ModelProcessing};
use crate::bionet::ecp::{read_electrode_positions, MinDistance};
use crate::bionet::extracellular_field::FieldSeries;
use crate::bionet::mechanisms::user::{Added, UserMechs};
use crate::bionet::network::{
    EdgeSpec, GapSite, Network, PlacementRule, SynapseSite, VoltageExchange,
};
use crate::bionet::solver::RunConditions;
use crate::bionet::synapse::Exp2SynParams;
use crate::error::{Error, Result};
use numpy::PyReadonlyArray2;

#[pyclass(module = "bmtk_rs._native", name = "BioEngine", unsendable)]
pub struct BioEngine {
    net: Network,
    models: Vec<Arc<CellModel>>,
    /// The density mechanisms of the config's mechanisms_dir (by SUFFIX; they replace built-ins
    /// of the same name for the cells this engine builds).
    user: UserMechs,
}

type MechInfo = (String, Vec<(String, f64, bool)>, Vec<String>);

fn same_len(what: &str, lens: &[usize]) -> PyResult<()> {
    if lens.windows(2).any(|w| w[0] != w[1]) {
        return Err(PyValueError::new_err(format!(
            "{what}: the arrays differ in length ({lens:?})"
        )));
    }
    Ok(())
}

#[pymethods]
impl BioEngine {
    #[new]
    #[pyo3(signature = (dt, tstop, celsius, v_init, spike_threshold, n_cells, threads=1))]
    fn new(
        dt: f64,
        tstop: f64,
        celsius: f64,
        v_init: f64,
        spike_threshold: f64,
        n_cells: usize,
        threads: usize,
    ) -> PyResult<Self> {
        let cond = RunConditions {
            dt,
            celsius,
            v_init,
            spike_threshold,
        };
        Ok(BioEngine {
            net: Network::new(cond, tstop, n_cells, threads).py()?,
            models: Vec::new(),
            user: UserMechs::default(),
        })
    }

    /// Builds a cell model (SWC + fit json or .nml + model_processing, nseg from dL); returns its id.
    #[pyo3(signature = (swc, fit, processing, dL))]
    #[allow(non_snake_case)]
    fn add_model(
        &mut self,
        py: Python<'_>,
        swc: PathBuf,
        fit: PathBuf,
        processing: &str,
        dL: Option<f64>,
    ) -> PyResult<usize> {
        let proc = ModelProcessing::from_name(processing).py()?;
        let user = &self.user;
        let model = py
            .detach(|| CellModel::build(&swc, &fit, proc, dL, user))
            .py()?;
        self.models.push(Arc::new(model));
        Ok(self.models.len() - 1)
    }

    /// Builds a cell model from the sections a user's model_processing function left on
    /// bmtk-rs's Python cell object (dicts as `swc_sections` gives them, plus `nseg`, `ra` and per
    /// segment `cm`, `ena`, `ek` and `mechs`); nseg then follows dL as for every cell. Returns
    /// its id.
    #[pyo3(signature = (sections, define_shape, dL))]
    #[allow(non_snake_case)]
    fn add_described_model(
        &mut self,
        py: Python<'_>,
        sections: Vec<super::cell_description::SectionIn>,
        define_shape: bool,
        dL: Option<f64>,
    ) -> PyResult<usize> {
        let desc = super::cell_description::description(sections, define_shape);
        let user = &self.user;
        let model = py.detach(|| desc.build(dL, user)).py()?;
        self.models.push(Arc::new(model));
        Ok(self.models.len() - 1)
    }

    /// A density mechanism as this engine's cells would get it (the config's .mod files first):
    /// (SUFFIX, [(parameter, default, is_global)], ions it uses). Unknown names raise.
    fn mechanism_info(&self, name: &str) -> PyResult<MechInfo> {
        use crate::bionet::mechanisms::{create_index, lookup_index, ParamKind};
        let reg = lookup_index(name, &self.user).py()?;
        let m = create_index(reg, Vec::new()).py()?;
        let params = m
            .params()
            .iter()
            .map(|p| (p.name.to_string(), p.default, p.kind == ParamKind::Global))
            .collect();
        let ions = m.ions().into_iter().map(str::to_string).collect();
        Ok((m.suffix().to_string(), params, ions))
    }

    /// Makes the density mechanism of a .mod file available to the cells built afterwards, by its
    /// SUFFIX as a fit json names it; a built-in mechanism of that name is replaced, unless the
    /// file is bmtk's own unedited one (the built-in then runs, with the same equations) and
    /// `always` is false. Returns (SUFFIX, "builtin" | "replaces" | "new"). A file that cannot run
    /// raises, and cells naming `declared` (the SUFFIX the file declares) are then refused with
    /// the reason.
    #[pyo3(signature = (path, declared=None, always=false))]
    fn add_density_mechanism(
        &mut self,
        path: PathBuf,
        declared: Option<String>,
        always: bool,
    ) -> PyResult<(String, &'static str)> {
        let m = match crate::nmodl::load_file(&path) {
            Ok(m) => m,
            Err(e) => {
                if let Some(name) = declared {
                    self.user.refuse(&name, e.to_string());
                }
                return Err(e).py();
            }
        };
        let name = m.suffix.to_string();
        let added = if always {
            self.user.add(m).py()?;
            if self.user.replaced().contains(&name.as_str()) {
                Added::Replaces
            } else {
                Added::New
            }
        } else {
            self.user.add_or_builtin(m).py()?
        };
        let what = match added {
            Added::BuiltinIdentical => "builtin",
            Added::Replaces => "replaces",
            Added::New => "new",
        };
        Ok((name, what))
    }

    /// Number of segments of a model and its soma node's (section id, x).
    fn model_segments(&self, model: usize) -> PyResult<usize> {
        let m = self
            .models
            .get(model)
            .ok_or_else(|| PyValueError::new_err(format!("unknown model {model}")))?;
        Ok(m.geometry.seg_node.len())
    }

    fn add_biophysical(
        &mut self,
        ids: PyReadonlyArray1<'_, u32>,
        model: usize,
        seeds: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<()> {
        let m = self
            .models
            .get(model)
            .ok_or_else(|| PyValueError::new_err(format!("unknown model {model}")))?
            .clone();
        let (ids, seeds) = (ids.as_array(), seeds.as_array());
        same_len("add_biophysical", &[ids.len(), seeds.len()])?;
        for (&id, &seed) in ids.iter().zip(seeds.iter()) {
            self.net.add_biophysical(id, model, &m, seed).py()?;
        }
        Ok(())
    }

    fn add_intfire1(
        &mut self,
        ids: PyReadonlyArray1<'_, u32>,
        tau: PyReadonlyArray1<'_, f64>,
        refrac: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let (ids, tau, refrac) = (ids.as_array(), tau.as_array(), refrac.as_array());
        same_len("add_intfire1", &[ids.len(), tau.len(), refrac.len()])?;
        for i in 0..ids.len() {
            self.net.add_intfire1(ids[i], tau[i], refrac[i]).py()?;
        }
        Ok(())
    }

    /// Nodes running the ARTIFICIAL_CELL of the `.mod` file `path`: `ids[i]` with parameter
    /// values `params[i]` ({name: value}). ValueError names the file (and line) of anything that
    /// cannot run, and the cell of a bad parameter.
    fn add_artificial_cells(
        &mut self,
        ids: PyReadonlyArray1<'_, u32>,
        path: String,
        params: Vec<std::collections::BTreeMap<String, f64>>,
    ) -> PyResult<()> {
        let ids = ids.as_array();
        same_len("add_artificial_cells", &[ids.len(), params.len()])?;
        let model = crate::nmodl::load_file(std::path::Path::new(&path)).py()?;
        for (i, p) in params.into_iter().enumerate() {
            self.net
                .add_artificial_cell(ids[i], &model, p.into_iter().collect())
                .py()?;
        }
        Ok(())
    }

    /// Virtual cells: `ids[i]` fires at `times[offsets[i]..offsets[i+1]]`.
    fn add_virtual(
        &mut self,
        ids: PyReadonlyArray1<'_, u32>,
        offsets: PyReadonlyArray1<'_, u64>,
        times: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let (ids, off, times) = (ids.as_array(), offsets.as_array(), times.as_array());
        let times = times
            .as_slice()
            .ok_or_else(|| PyValueError::new_err("times must be contiguous"))?;
        if off.len() != ids.len() + 1 || off[ids.len()] as usize > times.len() {
            return Err(PyValueError::new_err(
                "add_virtual: offsets must have one more entry than ids and end within times",
            ));
        }
        for i in 0..ids.len() {
            let (a, b) = (off[i] as usize, off[i + 1] as usize);
            if a > b {
                return Err(PyValueError::new_err(
                    "add_virtual: offsets must not decrease",
                ));
            }
            self.net.add_virtual(ids[i], &times[a..b]).py()?;
        }
        Ok(())
    }

    fn add_remote(&mut self, ids: PyReadonlyArray1<'_, u32>) -> PyResult<()> {
        for &id in ids.as_array().iter() {
            self.net.add_remote(id).py()?;
        }
        Ok(())
    }

    fn add_placement_rule(
        &mut self,
        target_sections: Vec<String>,
        distance_range: (f64, f64),
    ) -> usize {
        self.net.add_placement_rule(PlacementRule {
            target_sections,
            distance_range: [distance_range.0, distance_range.1],
        })
    }

    /// Edges to biophysical cells, in BMTK's per-target order. `rule[i] < 0` means the edge has an
    /// explicit (sec_id, sec_x); otherwise nsyns synapses are placed by that rule. Returns the
    /// synapses made: (edge keys, section ids, x). `pp[i] >= 0` makes edge i's synapses of that
    /// point-process synapse type (add_point_synapse_type) instead of Exp2Syn.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[pyo3(signature = (source, target, keys, weight, delay, tau1, tau2, erev, rule, nsyns, sec_id, sec_x,
                        pp=None))]
    fn add_bio_edges<'py>(
        &mut self,
        py: Python<'py>,
        source: PyReadonlyArray1<'_, u32>,
        target: PyReadonlyArray1<'_, u32>,
        keys: PyReadonlyArray1<'_, u64>,
        weight: PyReadonlyArray1<'_, f64>,
        delay: PyReadonlyArray1<'_, f64>,
        tau1: PyReadonlyArray1<'_, f64>,
        tau2: PyReadonlyArray1<'_, f64>,
        erev: PyReadonlyArray1<'_, f64>,
        rule: PyReadonlyArray1<'_, i64>,
        nsyns: PyReadonlyArray1<'_, i64>,
        sec_id: PyReadonlyArray1<'_, i64>,
        sec_x: PyReadonlyArray1<'_, f64>,
        pp: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<(
        Bound<'py, PyArray1<u64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let (s, t, k, w, d) = (
            source.as_array(),
            target.as_array(),
            keys.as_array(),
            weight.as_array(),
            delay.as_array(),
        );
        let (t1, t2, e, r, n, si, sx) = (
            tau1.as_array(),
            tau2.as_array(),
            erev.as_array(),
            rule.as_array(),
            nsyns.as_array(),
            sec_id.as_array(),
            sec_x.as_array(),
        );
        same_len(
            "add_bio_edges",
            &[
                s.len(),
                t.len(),
                k.len(),
                w.len(),
                d.len(),
                t1.len(),
                t2.len(),
                e.len(),
                r.len(),
                n.len(),
                si.len(),
                sx.len(),
            ],
        )?;
        let pp: Vec<i64> = match &pp {
            Some(a) => a.as_array().to_vec(),
            None => vec![-1; s.len()],
        };
        same_len("add_bio_edges", &[s.len(), pp.len()])?;
        let mut specs = Vec::with_capacity(s.len());
        for i in 0..s.len() {
            let site = if r[i] < 0 {
                if si[i] < 0 || !sx[i].is_finite() {
                    return Err(PyValueError::new_err(format!(
                        "edge {}: afferent section id {} / position {} invalid",
                        k[i] & 0xff_ffff_ffff,
                        si[i],
                        sx[i]
                    )));
                }
                SynapseSite::Explicit {
                    sec_id: si[i] as usize,
                    sec_x: sx[i],
                }
            } else {
                SynapseSite::Placed {
                    rule: r[i] as usize,
                    nsyns: n[i].max(0) as usize,
                }
            };
            specs.push(EdgeSpec {
                source: s[i],
                target: t[i],
                key: k[i],
                weight: w[i],
                delay: d[i],
                site,
                syn: Exp2SynParams {
                    tau1: t1[i],
                    tau2: t2[i],
                    e: e[i],
                },
                pp: (pp[i] >= 0).then_some(pp[i] as u32),
            });
        }
        let net = &mut self.net;
        let made = py.detach(|| net.add_bio_edges(&specs)).py()?;
        let keys: Vec<u64> = made.iter().map(|m| m.key).collect();
        let secs: Vec<i64> = made.iter().map(|m| m.sec_id as i64).collect();
        let xs: Vec<f64> = made.iter().map(|m| m.sec_x).collect();
        Ok((
            PyArray1::from_vec(py, keys),
            PyArray1::from_vec(py, secs),
            PyArray1::from_vec(py, xs),
        ))
    }

    fn add_intfire_edges(
        &mut self,
        source: PyReadonlyArray1<'_, u32>,
        target: PyReadonlyArray1<'_, u32>,
        keys: PyReadonlyArray1<'_, u64>,
        weight: PyReadonlyArray1<'_, f64>,
        delay: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let (s, t, k, w, d) = (
            source.as_array(),
            target.as_array(),
            keys.as_array(),
            weight.as_array(),
            delay.as_array(),
        );
        same_len(
            "add_intfire_edges",
            &[s.len(), t.len(), k.len(), w.len(), d.len()],
        )?;
        for i in 0..s.len() {
            self.net
                .add_intfire_edge(&EdgeSpec {
                    source: s[i],
                    target: t[i],
                    key: k[i],
                    weight: w[i],
                    delay: d[i],
                    site: SynapseSite::Placed { rule: 0, nsyns: 1 },
                    syn: Exp2SynParams {
                        tau1: 1.0,
                        tau2: 2.0,
                        e: 0.0,
                    },
                    pp: None,
                })
                .py()?;
        }
        Ok(())
    }

    /// Loads the POINT_PROCESS of the `.mod` file `path` as a synapse type with parameter values
    /// `params` ({name: value}); returns its id for add_bio_edges' `pp`. ValueError names the
    /// file (and line) of anything that cannot run.
    fn add_point_synapse_type(
        &mut self,
        path: String,
        params: std::collections::BTreeMap<String, f64>,
    ) -> PyResult<u32> {
        let model = crate::nmodl::load_file(std::path::Path::new(&path)).py()?;
        self.net
            .add_point_synapse_type(crate::bionet::network::PointSynapseType {
                model,
                params: params.into_iter().collect(),
            })
            .py()
    }

    /// The node of section[index](x) of a cell (None: the soma's middle), for clamps.
    #[pyo3(signature = (target, section=None, index=0, x=0.5))]
    fn cell_node(
        &self,
        target: u32,
        section: Option<&str>,
        index: usize,
        x: f64,
    ) -> PyResult<usize> {
        self.net
            .cell_node(target, section.map(|s| (s, index, x)))
            .py()
    }

    #[pyo3(signature = (target, amp, delay, duration, node=None))]
    fn add_clamp(
        &mut self,
        target: u32,
        amp: f64,
        delay: f64,
        duration: f64,
        node: Option<usize>,
    ) -> PyResult<()> {
        let node = match node {
            Some(n) => n,
            None => self.net.cell_node(target, None).py()?,
        };
        self.net.add_clamp(target, node, amp, delay, duration).py()
    }

    /// One node of a cell drawn by a placement rule from the cell's placement stream.
    fn choose_node(&mut self, target: u32, rule: usize) -> PyResult<usize> {
        self.net.choose_node(target, rule).py()
    }

    /// A voltage clamp (SEClamp) on a node: vc[k] mV through rs[k] MOhm during step k (inf: off).
    fn add_vclamp(
        &mut self,
        target: u32,
        node: usize,
        vc: PyReadonlyArray1<'_, f64>,
        rs: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let v: Arc<[f64]> = vc.as_array().iter().copied().collect();
        let r: Arc<[f64]> = rs.as_array().iter().copied().collect();
        self.net.add_vclamp(target, node, v, r).py()
    }

    /// A current played step by step into a node: amps[k] nA during step k.
    fn add_played_clamp(
        &mut self,
        target: u32,
        node: usize,
        amps: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let a: Arc<[f64]> = amps.as_array().iter().copied().collect();
        self.net.add_played_clamp(target, node, a).py()
    }

    /// Registers time courses of imposed extracellular potentials (rows of `tables`: the value
    /// during each step, or with `periodic` a table that repeats from the second step, as BMTK's
    /// COMSOL studies); returns the index of the first.
    fn add_extracellular_series(
        &mut self,
        tables: PyReadonlyArray2<'_, f64>,
        periodic: bool,
    ) -> PyResult<u32> {
        let t = tables.as_array();
        let series = t
            .rows()
            .into_iter()
            .map(|r| FieldSeries::new(r.iter().copied().collect(), periodic))
            .collect::<Result<Vec<_>>>()
            .py()?;
        self.net.add_extracellular_series(series).py()
    }

    /// Segment centres (n segments x 3, um) of a cell placed at `position` with `rotation`, in
    /// BMTK's segment order.
    fn segment_centres<'py>(
        &self,
        py: Python<'py>,
        id: u32,
        position: [f64; 3],
        rotation: [f64; 3],
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let c = self.net.segment_centres(id, position, rotation).py()?;
        let rows: Vec<Vec<f64>> = c.iter().map(|p| p.to_vec()).collect();
        Ok(PyArray2::from_vec2(py, &rows)?)
    }

    /// Imposes an extracellular potential on a cell: e(segment, step) is the sum of
    /// coeffs[k] * series[series_index[k]](step) over the k with segments[k] == segment.
    fn add_extracellular(
        &mut self,
        id: u32,
        segments: PyReadonlyArray1<'_, u64>,
        series_index: PyReadonlyArray1<'_, u32>,
        coeffs: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let (s, x, c) = (
            segments.as_array(),
            series_index.as_array(),
            coeffs.as_array(),
        );
        if s.len() != x.len() || s.len() != c.len() {
            return Err(PyValueError::new_err(
                "add_extracellular: segments, series_index and coeffs differ in length",
            ));
        }
        let terms: Vec<(usize, u32, f64)> =
            (0..s.len()).map(|k| (s[k] as usize, x[k], c[k])).collect();
        self.net.add_extracellular(id, &terms).py()
    }

    fn add_report(&mut self) -> usize {
        self.net.add_report()
    }

    /// Adds cells to a report (`kinds`: SWC types of the segments to record, empty for all; None
    /// for soma(0.5) only); returns (index_pointer, element section ids, element x) over them.
    #[allow(clippy::type_complexity)]
    fn add_report_cells<'py>(
        &mut self,
        py: Python<'py>,
        report: usize,
        cells: PyReadonlyArray1<'_, u32>,
        variable: &str,
        kinds: Option<Vec<i32>>,
    ) -> PyResult<(
        Bound<'py, PyArray1<u64>>,
        Bound<'py, PyArray1<u64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let mut ptr = vec![0u64];
        let mut ids = Vec::new();
        let mut xs = Vec::new();
        for &c in cells.as_array().iter() {
            let el = self
                .net
                .add_report_cell(report, c, variable, kinds.as_deref())
                .py()?;
            for (s, x) in el {
                ids.push(s as u64);
                xs.push(x);
            }
            ptr.push(ids.len() as u64);
        }
        Ok((
            PyArray1::from_vec(py, ptr),
            PyArray1::from_vec(py, ids),
            PyArray1::from_vec(py, xs),
        ))
    }

    /// The extracellular report: electrodes from BMTK's electrode_positions csv, cells by id with
    /// their soma positions and rotation angles (n x 3 each). Returns the number of channels.
    #[pyo3(signature = (electrode_file, cells, positions, rotations, minimum_distance=None, per_cell=false))]
    #[allow(clippy::too_many_arguments)]
    fn add_ecp(
        &mut self,
        py: Python<'_>,
        electrode_file: PathBuf,
        cells: PyReadonlyArray1<'_, u32>,
        positions: PyReadonlyArray2<'_, f64>,
        rotations: PyReadonlyArray2<'_, f64>,
        minimum_distance: Option<Bound<'_, PyAny>>,
        per_cell: bool,
    ) -> PyResult<usize> {
        let min = match minimum_distance {
            None => MinDistance::Off,
            Some(v) if v.is_none() => MinDistance::Off,
            Some(v) => match v.extract::<f64>() {
                Ok(x) => MinDistance::from_number(x).py()?,
                Err(_) => MinDistance::from_text(&v.extract::<String>()?).py()?,
            },
        };
        let el = read_electrode_positions(&electrode_file).py()?;
        let (ids, pos, rot) = (cells.as_array(), positions.as_array(), rotations.as_array());
        if pos.shape() != [ids.len(), 3] || rot.shape() != [ids.len(), 3] {
            return Err(PyValueError::new_err(
                "add_ecp: positions and rotations must be (n cells x 3)",
            ));
        }
        let list: Vec<(u32, [f64; 3], [f64; 3])> = (0..ids.len())
            .map(|i| {
                (
                    ids[i],
                    [pos[[i, 0]], pos[[i, 1]], pos[[i, 2]]],
                    [rot[[i, 0]], rot[[i, 1]], rot[[i, 2]]],
                )
            })
            .collect();
        let net = &mut self.net;
        py.detach(|| net.add_ecp(&el.positions, min, &list, per_cell))
            .py()?;
        Ok(el.positions.len())
    }

    /// ECP rows (steps x channels) recorded since the last call, summed over this rank's cells.
    fn take_ecp<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (rows, data) = self.net.take_ecp();
        let cols = data.len().checked_div(rows).unwrap_or(0);
        PyArray1::from_vec(py, data).reshape([rows, cols])
    }

    /// Per-cell ECP rows since the last call: [(cell id, steps x channels array)].
    fn take_ecp_cells<'py>(
        &mut self,
        py: Python<'py>,
    ) -> PyResult<Vec<(u32, Bound<'py, PyArray2<f64>>)>> {
        let nc = self.net.ecp_channel_count();
        self.net
            .take_ecp_cells()
            .into_iter()
            .map(|(id, rows)| {
                let n = rows.len().checked_div(nc).unwrap_or(0);
                Ok((id, PyArray1::from_vec(py, rows).reshape([n, nc])?))
            })
            .collect()
    }

    fn finalize(&mut self, py: Python<'_>) -> PyResult<()> {
        let net = &mut self.net;
        py.detach(|| net.finalize()).py()
    }

    /// Back to t = 0 for another run of the same network (states, queues, spikes, recordings reset).
    fn rewind(&mut self) {
        self.net.rewind();
    }

    /// Keeps the synapses of these cells apart, one state each, and lists them (netcon reports).
    fn keep_synapses_apart(&mut self, cells: PyReadonlyArray1<'_, u32>) -> PyResult<()> {
        for &c in cells.as_array().iter() {
            self.net.keep_synapses_apart(c).py()?;
        }
        Ok(())
    }

    /// The synapses made on a cell kept apart, in the order they were made: (model names, source
    /// cell ids (-1: a virtual source), section ids, x).
    #[allow(clippy::type_complexity)]
    fn cell_synapses<'py>(
        &self,
        py: Python<'py>,
        cell: u32,
    ) -> PyResult<(
        Vec<String>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let syns = self.net.cell_synapses(cell).py()?;
        let names = syns.iter().map(|s| s.model.clone()).collect();
        let src = syns
            .iter()
            .map(|s| s.source.map_or(-1, i64::from))
            .collect();
        let sec = syns.iter().map(|s| s.sec_id as i64).collect();
        let x = syns.iter().map(|s| s.x).collect();
        Ok((
            names,
            PyArray1::from_vec(py, src),
            PyArray1::from_vec(py, sec),
            PyArray1::from_vec(py, x),
        ))
    }

    /// Adds the synapses `which` (positions in cell_synapses) of a cell to a report, recording
    /// `variable`; returns the number of columns added.
    fn add_synapse_report(
        &mut self,
        report: usize,
        cell: u32,
        variable: &str,
        which: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<usize> {
        let w: Vec<usize> = which
            .as_array()
            .iter()
            .map(|&k| k.max(0) as usize)
            .collect();
        self.net.add_synapse_report(report, cell, variable, &w).py()
    }

    /// The smallest edge delay on this rank (ms; inf without edges).
    fn local_min_delay(&self) -> f64 {
        self.net.local_min_delay()
    }

    /// Lowers the exchange epoch's minimum delay to `d` ms (the smallest over every MPI rank).
    fn share_min_delay(&mut self, d: f64) -> PyResult<()> {
        self.net.share_min_delay(d).py()
    }

    /// The number of gap-junction slots of the whole network (two per junction).
    fn set_gap_slots(&mut self, n: usize) -> PyResult<()> {
        self.net.set_gap_slots(n).py()
    }

    /// Gap-junction halves: on `cells[i]` at the middle of a section drawn by placement rule
    /// `rule[i]` (or, when negative, of section `sec_id[i]`), conductance `g[i]` uS, publishing
    /// its segment's voltage into slot `publish[i]` and reading slot `read[i]`. Returns the
    /// (section id, x) of each half.
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn add_gaps<'py>(
        &mut self,
        py: Python<'py>,
        cells: PyReadonlyArray1<'_, u32>,
        rule: PyReadonlyArray1<'_, i64>,
        sec_id: PyReadonlyArray1<'_, i64>,
        g: PyReadonlyArray1<'_, f64>,
        publish: PyReadonlyArray1<'_, u32>,
        read: PyReadonlyArray1<'_, u32>,
    ) -> PyResult<(Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>)> {
        let (c, r, si, g, p, rd) = (
            cells.as_array(),
            rule.as_array(),
            sec_id.as_array(),
            g.as_array(),
            publish.as_array(),
            read.as_array(),
        );
        same_len(
            "add_gaps",
            &[c.len(), r.len(), si.len(), g.len(), p.len(), rd.len()],
        )?;
        let (mut secs, mut xs) = (Vec::with_capacity(c.len()), Vec::with_capacity(c.len()));
        for i in 0..c.len() {
            let site = match (r[i], si[i]) {
                (rule, _) if rule >= 0 => GapSite::Placed {
                    rule: rule as usize,
                },
                (_, sec) if sec >= 0 => GapSite::Section {
                    sec_id: sec as usize,
                },
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "gap junction on cell {}: neither a placement rule nor a section id",
                        c[i]
                    )))
                }
            };
            let (sec, x) = self.net.add_gap(c[i], site, g[i], p[i], rd[i]).py()?;
            secs.push(sec as i64);
            xs.push(x);
        }
        Ok((PyArray1::from_vec(py, secs), PyArray1::from_vec(py, xs)))
    }

    /// Slots this rank publishes, in the order the gap exchange receives their voltages.
    fn gap_local_slots<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_vec(py, self.net.gap_local_slots())
    }

    /// Slots the gap-junction halves of this rank read.
    fn gap_read_slots<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_vec(py, self.net.gap_read_slots().to_vec())
    }

    /// Advances `steps` steps. `exchange(times, ids) -> (times, ids)` gathers the spikes of every
    /// MPI rank at each epoch end, `gap_exchange(voltages) -> voltages` the gap-junction voltages
    /// every step (this rank's, in gap_local_slots() order, to every slot's; None: single process).
    #[pyo3(signature = (steps, exchange=None, gap_exchange=None))]
    fn advance(
        &mut self,
        py: Python<'_>,
        steps: usize,
        exchange: Option<Py<PyAny>>,
        gap_exchange: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let net = &mut self.net;
        let mut gap_call = gap_exchange.map(|f| {
            move |local: &[f64]| -> Result<Vec<f64>> {
                Python::attach(|py| -> PyResult<Vec<f64>> {
                    let out = f.call1(py, (PyArray1::from_slice(py, local),))?;
                    out.extract(py)
                })
                .map_err(|e| Error::invalid(format!("gap junction voltage exchange failed: {e}")))
            }
        });
        match exchange {
            None => py
                .detach(|| {
                    let gaps = gap_call.as_mut().map(|c| c as &mut VoltageExchange<'_>);
                    net.advance(steps, None, gaps)
                })
                .py(),
            Some(f) => {
                let mut call = |local: &[(f64, u32)]| -> Result<Vec<(f64, u32)>> {
                    Python::attach(|py| -> PyResult<Vec<(f64, u32)>> {
                        let t: Vec<f64> = local.iter().map(|x| x.0).collect();
                        let ids: Vec<u32> = local.iter().map(|x| x.1).collect();
                        let out =
                            f.call1(py, (PyArray1::from_vec(py, t), PyArray1::from_vec(py, ids)))?;
                        let (t, ids): (Vec<f64>, Vec<u32>) = out.extract(py)?;
                        if t.len() != ids.len() {
                            return Err(PyValueError::new_err(
                                "exchange returned arrays of different lengths",
                            ));
                        }
                        Ok(t.into_iter().zip(ids).collect())
                    })
                    .map_err(|e| Error::invalid(format!("spike exchange failed: {e}")))
                };
                py.detach(|| {
                    let gaps = gap_call.as_mut().map(|c| c as &mut VoltageExchange<'_>);
                    net.advance(steps, Some(&mut call), gaps)
                })
                .py()
            }
        }
    }

    /// Rows recorded for `report` since the last clear_recordings(): (steps x elements).
    fn take_report<'py>(
        &mut self,
        py: Python<'py>,
        report: usize,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (rows, data) = self.net.take_report(report).py()?;
        let cols = data.len().checked_div(rows).unwrap_or(0);
        PyArray1::from_vec(py, data).reshape([rows, cols])
    }

    fn clear_recordings(&mut self) {
        self.net.clear_recordings()
    }

    /// Spikes of this rank's cells so far: (times, cell ids), in exchange order.
    fn spikes<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<u32>>) {
        let t: Vec<f64> = self.net.spikes.iter().map(|x| x.0).collect();
        let ids: Vec<u32> = self.net.spikes.iter().map(|x| x.1).collect();
        (PyArray1::from_vec(py, t), PyArray1::from_vec(py, ids))
    }

    /// Keys of edges that found no target segment (BMTK warns and builds no synapse for them).
    fn skipped_edges<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_vec(py, self.net.skipped_edges.clone())
    }

    #[getter]
    fn n_steps(&self) -> usize {
        self.net.n_steps()
    }

    #[getter]
    fn step(&self) -> usize {
        self.net.current_step()
    }

    #[getter]
    fn n_segments(&self) -> usize {
        self.net.n_segments()
    }

    #[getter]
    fn n_synapses(&self) -> usize {
        self.net.n_synapse_states()
    }

    #[getter]
    fn n_groups(&self) -> usize {
        self.net.n_groups()
    }
}
