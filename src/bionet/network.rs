//! A BioNet network: biophysical cells in lockstep groups, IntFire1 point cells, virtual (spike
//! train) sources, Exp2Syn synapses and NetCon-style event delivery, run in exchange epochs.
//!
//! Every spike source has a dense *source id* (the caller maps populations and node ids to it).
//! Time advances as NEURON's fixed step does; events follow NEURON's rules:
//! - a biophysical cell spikes when its soma(0.5) voltage rises above the threshold, at the end of
//!   the step (+1e-10 ms); a virtual cell at its given times; an IntFire1 cell at the time of the
//!   input event that pushed it over 1;
//! - a spike from source s at time t reaches every synapse of every edge from s at `t + delay`, and
//!   is delivered at the start of the first step whose midpoint `t + dt/2` is at or past that time
//!   (an Exp2Syn adds `weight * factor` to its states; an IntFire1 integrates it at that exact time).
//!
//! Cells only interact through events whose delay is at least the network's minimum delay, so the
//! run is cut into epochs of at most that length: within an epoch every group of cells is advanced
//! independently (in parallel with rayon), and at its end the spikes of the epoch are exchanged
//! (between MPI ranks too, through the caller's exchange function) and turned into queued events.
//! Spikes are exchanged sorted by (time, source) and events are ordered by (time, incoming edge),
//! the incoming edges of a group sorted by (source, edge key, synapse): the arithmetic each
//! synapse sees is the same whatever the number of threads, ranks or the grouping of cells.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use super::artcell::ArtCells;
use super::cell::CellModel;
use super::ecp::{ColumnOrder, EcpTransfer, MinDistance};
use super::extracellular_field::{ExtField, FieldSeries};
use super::mechanisms::Mechanism;
use super::placement::{SegmentTable, SynapsePlacer};
use super::self_events::{edge_first, schedule, SelfQueue, NO_WV};
use super::solver::{n_steps, CellSim, IClamp, PerStep, RunConditions, SPIKE_TEPS};
use super::synapse::Exp2SynParams;
use crate::error::{Error, Result};
use crate::nmodl::vm::EmitKind;
use crate::nmodl::watch::Watches;

/// Cells of one model simulated side by side (lanes of one [`CellSim`]).
pub const MAX_LANES: usize = 16;

#[derive(Debug, Clone, Copy)]
enum Source {
    Unset,
    Bio {
        group: u32,
        lane: u32,
    },
    IntFire(u32),
    /// An ARTIFICIAL_CELL from a user's file (index into the network's `ArtCells`).
    Art(u32),
    Virtual,
    /// Simulated on another MPI rank: its spikes arrive through the exchange.
    Remote,
}

/// A queued event: delivery time and the incoming edge of the group it travels on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub(super) t: f64,
    pub(super) edge: u32,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    /// Reversed, so the max-heap pops the earliest (time, edge) first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t).then(o.edge.cmp(&self.edge))
    }
}

/// One synapse of an incoming edge as the group stores it.
#[derive(Debug, Clone, Copy)]
struct InEdge {
    source: u32,
    key: u64,
    k: u32,
    /// Synapse state (group-wide) or IntFire1 cell index; for an NMODL synapse, its instance.
    target: u32,
    weight: f64,
    delay: f64,
    /// NMODL synapses: the group's point-process set (NO_PP: an Exp2Syn state) and the index of
    /// the connection's weight vector.
    pp: u32,
    wv: u32,
}

const NO_PP: u32 = u32::MAX;

/// A synapse made on a cell whose synapses a netcon report lists, in the order they were made.
#[derive(Debug, Clone, Copy)]
struct SynLog {
    lane: u32,
    /// Its Exp2Syn state (before finalize's reordering) or point-process instance (pending).
    target: u32,
    /// Point-process synapse type, or NO_PP for Exp2Syn.
    pp: u32,
    source: u32,
    sec_id: u32,
    x: f64,
}

fn sort_in_edges(v: &mut [InEdge]) {
    v.sort_by_key(|a| (a.source, a.key, a.k));
}

/// CSR offsets of `edges` (sorted by source) over `n_sources`.
fn source_offsets(edges: &[InEdge], n_sources: usize) -> Vec<u32> {
    let mut off = vec![0u32; n_sources + 1];
    for e in edges {
        off[e.source as usize + 1] += 1;
    }
    for i in 0..n_sources {
        off[i + 1] += off[i];
    }
    off
}

pub use super::report_vars::Variable;

/// Columns of one report that one group records.
#[derive(Debug, Clone)]
struct GroupRecorder {
    report: usize,
    /// First column of these cells' elements in the report.
    column: usize,
    var: Variable,
    /// Solver indices, one per element; for a mechanism variable, after finalize, the
    /// mechanism's instance indices.
    index: Vec<u32>,
    /// For `i_membrane`: 1 / (area x 1e-2) per element, turning nA into mA/cm2.
    scale: Vec<f64>,
}

struct Group {
    model: Arc<CellModel>,
    model_id: usize,
    cells: Vec<u32>,
    seeds: Vec<u64>,
    placers: Vec<Option<SynapsePlacer>>,
    /// (node, lane, params) of each synapse state before the solver exists.
    pending_syn: Vec<(u32, u32, Exp2SynParams)>,
    syn_map: HashMap<(u32, u32, u64, u64, u64), u32>,
    /// (node, lane, synapse type) of each NMODL point-process synapse (one instance per synapse).
    pending_pp: Vec<(u32, u32, u32)>,
    /// NetCon weight vectors of the NMODL synapses' connections.
    pp_weights: Vec<Vec<f64>>,
    clamps: Vec<(usize, IClamp)>,
    /// Per lane: whether the cell's synapses each keep their own state and are logged (a netcon
    /// report reads them one by one).
    apart: Vec<bool>,
    syn_log: Vec<SynLog>,
    /// (node, lane, conductance uS, slot read) of each gap-junction half on these cells.
    pending_gaps: Vec<(u32, u32, f64, u32)>,
    /// (node, lane, slot) of each segment voltage these cells publish for gap junctions.
    gap_sources: Vec<(u32, u32, u32)>,
    /// Whether gap junctions tie these cells to others (they then advance one step at a time).
    coupled: bool,
    /// (lane, node, nA per step): currents played into a clamp step by step
    played: Vec<(usize, usize, Arc<[f64]>)>,
    /// (lane, node, mV per step, MOhm per step): voltage clamps
    vclamps: Vec<(usize, usize, PerStep, PerStep)>,
    /// Extracellular potentials imposed on lanes (xstim / comsol)
    ext_fields: Vec<ExtField>,
    sim: Option<CellSim>,
    in_edges: Vec<InEdge>,
    in_off: Vec<u32>,
    queue: BinaryHeap<Event>,
    /// `net_send` self events of the NMODL synapses (their set, instance and weight vector).
    self_q: SelfQueue,
    /// Active WATCH conditions of each NMODL synapse set (empty for sets without WATCH).
    watches: Vec<Watches>,
    /// What went wrong in a step (a bad `net_send`), reported after the epoch.
    error: Option<String>,
    spikes: Vec<(f64, u32)>,
    recorders: Vec<GroupRecorder>,
    /// Recorded rows (steps x the recorders' elements, concatenated).
    rec: Vec<f64>,
    rec_width: usize,
    /// Per lane: the cell's transfer matrix (channels x nodes) when it contributes to the ECP.
    ecp_lanes: Vec<Option<Vec<f64>>>,
    /// The lanes' matrices interleaved as the solver stores nodes (channels x nodes*lanes).
    ecp_matrix: Vec<f64>,
    ecp_channels: usize,
    im: Vec<f64>,
    /// ECP rows (steps x channels) of this group's cells.
    ecp_rec: Vec<f64>,
    /// Per lane, when per-cell contributions are kept: that cell's rows.
    ecp_cell_rec: Vec<Option<Vec<f64>>>,
    acc: Vec<f64>,
}

impl Group {
    /// After `sim.initialize()`: the self events the synapses' INITIAL blocks sent, then
    /// NET_RECEIVE's INITIAL for every connection (NEURON's finitialize order).
    fn init_point_events(&mut self) -> Result<()> {
        let Some(sim) = self.sim.as_mut() else {
            return Ok(());
        };
        self.self_q.clear();
        self.error = None;
        self.watches = sim
            .points
            .iter()
            .map(|p| Watches::new(if p.has_watches() { p.nodes().len() } else { 0 }))
            .collect();
        for (set, em) in std::mem::take(&mut sim.point_init_events) {
            let p = &sim.points[set as usize];
            let what = format!("{} ({})", p.model().name, p.model().file);
            schedule(
                &mut self.self_q,
                0.0,
                set,
                None,
                NO_WV,
                em,
                &what,
                |_, _, _, _| {},
            )
            .map_err(Error::invalid)?;
        }
        // connections in the order they were made (their weight vectors' order), as NEURON
        // runs NET_RECEIVE's INITIAL per NetCon
        let mut conns: Vec<&InEdge> = self.in_edges.iter().filter(|e| e.pp != NO_PP).collect();
        conns.sort_by_key(|e| e.wv);
        for e in conns {
            {
                let p = &mut sim.points[e.pp as usize];
                let vj = sim.v[p.nodes()[e.target as usize] as usize];
                let em = p.net_init(e.target as usize, vj, &mut self.pp_weights[e.wv as usize]);
                let what = format!("{} ({})", p.model().name, p.model().file);
                let mut req = Vec::new();
                schedule(
                    &mut self.self_q,
                    0.0,
                    e.pp,
                    Some(e.target),
                    e.wv,
                    em,
                    &what,
                    |_, k, a, b| {
                        if k == EmitKind::Watch {
                            req.push((a as u32, b));
                        }
                    },
                )
                .map_err(Error::invalid)?;
                self.watches[e.pp as usize].activate(p, e.target, vj, &req);
            }
        }
        Ok(())
    }

    fn new(model: Arc<CellModel>, model_id: usize) -> Group {
        Group {
            model,
            model_id,
            cells: Vec::new(),
            seeds: Vec::new(),
            placers: Vec::new(),
            pending_syn: Vec::new(),
            syn_map: HashMap::new(),
            pending_pp: Vec::new(),
            pp_weights: Vec::new(),
            clamps: Vec::new(),
            apart: Vec::new(),
            syn_log: Vec::new(),
            pending_gaps: Vec::new(),
            gap_sources: Vec::new(),
            coupled: false,
            played: Vec::new(),
            vclamps: Vec::new(),
            ext_fields: Vec::new(),
            sim: None,
            in_edges: Vec::new(),
            in_off: Vec::new(),
            queue: BinaryHeap::new(),
            self_q: SelfQueue::default(),
            watches: Vec::new(),
            error: None,
            spikes: Vec::new(),
            recorders: Vec::new(),
            rec: Vec::new(),
            rec_width: 0,
            ecp_lanes: Vec::new(),
            ecp_matrix: Vec::new(),
            ecp_channels: 0,
            im: Vec::new(),
            ecp_rec: Vec::new(),
            ecp_cell_rec: Vec::new(),
            acc: Vec::new(),
        }
    }

    fn synapse_state(&mut self, node: u32, lane: u32, p: Exp2SynParams) -> u32 {
        let key = (
            node,
            lane,
            p.tau1.to_bits(),
            p.tau2.to_bits(),
            p.e.to_bits(),
        );
        let next = self.pending_syn.len() as u32;
        if self.apart[lane as usize] {
            self.pending_syn.push((node, lane, p));
            return next;
        }
        *self.syn_map.entry(key).or_insert_with(|| {
            self.pending_syn.push((node, lane, p));
            next
        })
    }

    /// Advances the group by `steps` steps: events due at each step, the step, spike detection,
    /// recording. `gap_v`: the gap-junction slot voltages for the coming step (one step at a time).
    fn advance(&mut self, steps: usize, gap_v: Option<&[f64]>) {
        let Some(sim) = self.sim.as_mut() else {
            return;
        };
        let dt = sim.dt();
        for _ in 0..steps {
            if let Some(gv) = gap_v {
                sim.gaps.load(gv);
            }
            let t_mid = sim.t() + 0.5 * dt;
            // NEURON checks WATCH conditions before delivering the step's events; one that
            // turned true sends its flag as a self event at the current time
            for (set, w) in self.watches.iter_mut().enumerate() {
                let p = &sim.points[set];
                if !p.has_watches() {
                    continue;
                }
                let mut fired = Vec::new();
                let (v, nodes) = (&sim.v, p.nodes());
                w.check(p, |k| v[nodes[k as usize] as usize], &mut fired);
                for (k, flag) in fired {
                    self.self_q.push(sim.t(), set as u32, k, NO_WV, flag);
                }
            }
            // NetCon events and self events merged by time; at equal times the NetCon event
            // first (it was queued earlier: spikes are queued at the exchange before)
            loop {
                let te = self.queue.peek().map(|e| e.t).filter(|&t| t <= t_mid);
                let ts = self.self_q.due(t_mid);
                let Some(from_edge) = edge_first(te, ts) else {
                    break;
                };
                let (t, set, k, wv, flag) = if from_edge {
                    let Some(ev) = self.queue.pop() else { break };
                    let e = self.in_edges[ev.edge as usize];
                    if e.pp == NO_PP {
                        sim.synapses.receive(e.target as usize, e.weight);
                        continue;
                    }
                    (ev.t, e.pp, e.target, e.wv, 0.0)
                } else {
                    let Some(ev) = self.self_q.pop() else { break };
                    (ev.t, ev.set, ev.inst, ev.wv, ev.flag)
                };
                let p = &mut sim.points[set as usize];
                let vj = sim.v[p.nodes()[k as usize] as usize];
                let mut none = Vec::new();
                let w = if wv == NO_WV {
                    none.resize(p.n_weights(), 0.0);
                    &mut none
                } else {
                    &mut self.pp_weights[wv as usize]
                };
                let em = p.net_receive(k as usize, t, vj, w, flag);
                if em.is_empty() {
                    continue;
                }
                let what = format!("{} ({})", p.model().name, p.model().file);
                // net_event of a synapse: nothing in a BMTK network listens to it (no NetCon has
                // a synapse as its source), so it has no effect, as in NEURON
                let mut req = Vec::new();
                let r = schedule(
                    &mut self.self_q,
                    t,
                    set,
                    Some(k),
                    wv,
                    em,
                    &what,
                    |_, kind, a, b| {
                        if kind == EmitKind::Watch {
                            req.push((a as u32, b));
                        }
                    },
                );
                if let Err(e) = r {
                    self.error.get_or_insert(e);
                }
                self.watches[set as usize].activate(p, k, vj, &req);
            }
            let (cells, spikes) = (&self.cells, &mut self.spikes);
            sim.step(|lane, t| spikes.push((t, cells[lane])));
            if self.ecp_channels > 0 {
                sim.membrane_currents(&mut self.im);
                let w = self.im.len();
                let lanes = self.cells.len();
                for c in 0..self.ecp_channels {
                    let row = &self.ecp_matrix[c * w..(c + 1) * w];
                    self.acc.iter_mut().for_each(|a| *a = 0.0);
                    for (mr, ir) in row.chunks_exact(lanes).zip(self.im.chunks_exact(lanes)) {
                        for l in 0..lanes {
                            self.acc[l] += mr[l] * ir[l];
                        }
                    }
                    self.ecp_rec.push(self.acc.iter().sum());
                    for (l, rec) in self.ecp_cell_rec.iter_mut().enumerate() {
                        if let Some(r) = rec {
                            r.push(self.acc[l]);
                        }
                    }
                }
            }
            let needs_im = self
                .recorders
                .iter()
                .any(|r| matches!(r.var, Variable::MembraneCurrent | Variable::MembraneDensity));
            if needs_im && self.ecp_channels == 0 {
                sim.membrane_currents(&mut self.im);
            }
            let (rec, im) = (&mut self.rec, &self.im);
            for r in &self.recorders {
                let at = |vals: &[f64], rec: &mut Vec<f64>| {
                    rec.extend(r.index.iter().map(|&j| vals[j as usize]))
                };
                match &r.var {
                    Variable::V => at(&sim.v, rec),
                    Variable::Ion(ion) => at(ion.values(&sim.ions), rec),
                    Variable::Mech { mech, name } => {
                        // resolved against the model when the report was added
                        let vals = sim.mech_variable(*mech, name).unwrap_or(&[]);
                        at(vals, rec)
                    }
                    Variable::MembraneCurrent => at(im, rec),
                    Variable::Exp2Syn(v) => at(sim.synapses.values(*v), rec),
                    Variable::PointSyn { set, name, .. } => {
                        let vals = sim.points[*set as usize].values(name).unwrap_or(&[]);
                        at(vals, rec)
                    }
                    Variable::MembraneDensity => rec.extend(
                        r.index
                            .iter()
                            .zip(&r.scale)
                            .map(|(&j, f)| im[j as usize] * f),
                    ),
                }
            }
        }
    }
}

/// NEURON's IntFire1 (an artificial cell integrating events).
#[derive(Debug, Clone)]
struct IntFire1 {
    source: u32,
    tau: f64,
    refrac: f64,
    m: f64,
    t0: f64,
    refractory: bool,
    /// End of the refractory period (its self event), when refractory.
    wake: f64,
}

impl IntFire1 {
    fn reset(&mut self) {
        self.m = 0.0;
        self.t0 = 0.0;
        self.refractory = false;
        self.wake = f64::INFINITY;
    }

    /// An input event of weight `w` at `t`; returns whether the cell fires.
    fn receive(&mut self, t: f64, w: f64) -> bool {
        if self.refractory {
            return false;
        }
        self.m *= (-(t - self.t0) / self.tau).exp();
        self.t0 = t;
        self.m += w;
        if self.m > 1.0 {
            self.refractory = true;
            self.m = 2.0;
            self.wake = t + self.refrac;
            return true;
        }
        false
    }

    fn wake_up(&mut self) {
        self.t0 = self.wake;
        self.refractory = false;
        self.m = 0.0;
        self.wake = f64::INFINITY;
    }
}

/// A synapse location request for an edge without explicit section/x.
#[derive(Debug, Clone)]
pub struct PlacementRule {
    pub target_sections: Vec<String>,
    pub distance_range: [f64; 2],
}

/// What an edge targets on a biophysical cell.
#[derive(Debug, Clone, Copy)]
pub enum SynapseSite {
    /// BMTK's `afferent_section_id` / `afferent_section_pos` (one synapse).
    Explicit { sec_id: usize, sec_x: f64 },
    /// nsyns synapses drawn by BMTK's placement rule number `rule`.
    Placed { rule: usize, nsyns: usize },
}

/// One edge as the caller gives it.
#[derive(Debug, Clone, Copy)]
pub struct EdgeSpec {
    pub source: u32,
    pub target: u32,
    /// Unique, rank-independent key (population index and edge id).
    pub key: u64,
    pub weight: f64,
    pub delay: f64,
    pub site: SynapseSite,
    pub syn: Exp2SynParams,
    /// A point-process synapse type registered with [`Network::add_point_synapse_type`] (then
    /// `syn` is unused), None for Exp2Syn.
    pub pp: Option<u32>,
}

/// A synapse model from a loaded `.mod` file with its parameter values (BMTK's edge
/// `model_template` naming a POINT_PROCESS, parameters from the synaptic model json).
#[derive(Debug, Clone)]
pub struct PointSynapseType {
    pub model: Arc<crate::nmodl::Model>,
    pub params: Vec<(String, f64)>,
}

/// Where a gap-junction half sits on its cell: BMTK puts it at the middle (x = 0.5) of a section.
#[derive(Debug, Clone, Copy)]
pub enum GapSite {
    /// The section of a segment drawn by placement rule `rule` from the cell's placement stream
    /// (BMTK's target_sections / distance_range, one draw as for a synapse).
    Placed { rule: usize },
    /// Section `sec_id` (BMTK's afferent_section_id).
    Section { sec_id: usize },
}

/// A synapse of a cell whose synapses are kept apart, as a netcon report lists it.
#[derive(Debug, Clone)]
pub struct CellSynapse {
    /// NEURON's name of its model: Exp2Syn or the POINT_PROCESS.
    pub model: String,
    /// The presynaptic cell (None: a virtual or replayed source, whose NetCon has no source gid).
    pub source: Option<u32>,
    pub sec_id: usize,
    pub x: f64,
}

/// One biophysical synapse made for an edge, as BMTK would report it.
#[derive(Debug, Clone, Copy)]
pub struct MadeSynapse {
    pub key: u64,
    pub sec_id: usize,
    pub sec_x: f64,
}

pub struct Network {
    cond: RunConditions,
    tstop: f64,
    nsteps: usize,
    step: usize,
    sources: Vec<Source>,
    groups: Vec<Group>,
    open_group: HashMap<usize, usize>,
    intfire: Vec<IntFire1>,
    intfire_in: Vec<InEdge>,
    intfire_off: Vec<u32>,
    intfire_queue: BinaryHeap<Event>,
    art: ArtCells,
    virtual_spikes: Vec<(f64, u32)>,
    virtual_next: usize,
    rules: Vec<PlacementRule>,
    pp_types: Vec<PointSynapseType>,
    /// BMTK's segment table of each cell model, shared by its cells' placers.
    tables: HashMap<usize, Arc<SegmentTable>>,
    /// Keys of edges that found no target segment (BMTK warns and makes no synapse).
    pub skipped_edges: Vec<u64>,
    min_delay: f64,
    epoch_steps: usize,
    next_exchange: usize,
    /// Spikes of local cells, in exchange order.
    pub spikes: Vec<(f64, u32)>,
    /// Number of columns of each report.
    report_width: Vec<usize>,
    ecp_channels: Option<usize>,
    ecp_taken: usize,
    /// Gap-junction slots of the whole network (two per junction, numbered alike on every rank).
    gap_slots: usize,
    /// Slot voltages for the coming step.
    gap_v: Vec<f64>,
    /// This rank's published segments, (group, solver index, slot), in slot order after finalize.
    gap_local: Vec<(u32, u32, u32)>,
    /// Their voltages after the last step (in gap_local order).
    gap_out: Vec<f64>,
    /// Slots the halves of this rank read and publish, as they were added.
    gap_read: Vec<u32>,
    gap_publish: Vec<u32>,
    /// Whether the slot voltages hold the current state (false after finalize and rewind).
    gap_ready: bool,
    finalized: bool,
    pool: rayon::ThreadPool,
    /// Time courses of imposed extracellular potentials, and the same shared with the cells.
    ext_series: Vec<FieldSeries>,
    ext_series_shared: Option<Arc<[FieldSeries]>>,
}

/// What the caller does with the local spikes of an epoch: returns the spikes of all ranks.
pub type Exchange<'a> = dyn FnMut(&[(f64, u32)]) -> Result<Vec<(f64, u32)>> + 'a;

/// What the caller does, every step, with the voltages this rank publishes for gap junctions (in
/// the order of [`Network::gap_local_slots`]): returns the voltage of every slot of the network.
pub type VoltageExchange<'a> = dyn FnMut(&[f64]) -> Result<Vec<f64>> + 'a;

impl Network {
    pub fn new(
        cond: RunConditions,
        tstop: f64,
        n_sources: usize,
        threads: usize,
    ) -> Result<Network> {
        let nsteps = n_steps(tstop, cond.dt)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| Error::invalid(format!("cannot start {threads} threads: {e}")))?;
        Ok(Network {
            cond,
            tstop,
            nsteps,
            step: 0,
            sources: vec![Source::Unset; n_sources],
            groups: Vec::new(),
            open_group: HashMap::new(),
            intfire: Vec::new(),
            intfire_in: Vec::new(),
            intfire_off: Vec::new(),
            intfire_queue: BinaryHeap::new(),
            art: ArtCells::default(),
            virtual_spikes: Vec::new(),
            virtual_next: 0,
            rules: Vec::new(),
            pp_types: Vec::new(),
            tables: HashMap::new(),
            skipped_edges: Vec::new(),
            min_delay: f64::INFINITY,
            epoch_steps: 1,
            next_exchange: 0,
            spikes: Vec::new(),
            report_width: Vec::new(),
            ecp_channels: None,
            ecp_taken: 0,
            gap_slots: 0,
            gap_v: Vec::new(),
            gap_local: Vec::new(),
            gap_out: Vec::new(),
            gap_read: Vec::new(),
            gap_publish: Vec::new(),
            gap_ready: false,
            finalized: false,
            pool,
            ext_series: Vec::new(),
            ext_series_shared: None,
        })
    }

    pub fn n_steps(&self) -> usize {
        self.nsteps
    }

    pub fn current_step(&self) -> usize {
        self.step
    }

    pub fn tstop(&self) -> f64 {
        self.tstop
    }

    fn source_slot(&mut self, id: u32) -> Result<&mut Source> {
        let n = self.sources.len();
        let s = self.sources.get_mut(id as usize).ok_or_else(|| {
            Error::invalid(format!("cell {id} is outside the network's {n} cells"))
        })?;
        if !matches!(s, Source::Unset) {
            return Err(Error::invalid(format!("cell {id} was added twice")));
        }
        Ok(s)
    }

    fn check_open(&self) -> Result<()> {
        if self.finalized {
            return Err(Error::invalid(
                "the network is already running: cells, edges, inputs and reports must be added before",
            ));
        }
        Ok(())
    }

    /// A biophysical cell of `model` (`model_id` groups identical models) seeded with `seed` (BMTK's gid).
    pub fn add_biophysical(
        &mut self,
        id: u32,
        model_id: usize,
        model: &Arc<CellModel>,
        seed: u64,
    ) -> Result<()> {
        self.check_open()?;
        if seed > u32::MAX as u64 {
            return Err(Error::invalid(format!(
                "cell {id}: gid {seed} does not fit the 32-bit seed of BMTK's placement stream"
            )));
        }
        self.source_slot(id)?;
        let g = match self.open_group.get(&model_id) {
            Some(&g) if self.groups[g].cells.len() < MAX_LANES => g,
            _ => {
                self.groups.push(Group::new(model.clone(), model_id));
                let g = self.groups.len() - 1;
                self.open_group.insert(model_id, g);
                g
            }
        };
        let grp = &mut self.groups[g];
        let lane = grp.cells.len() as u32;
        grp.cells.push(id);
        grp.seeds.push(seed);
        grp.placers.push(None);
        grp.apart.push(false);
        self.sources[id as usize] = Source::Bio {
            group: g as u32,
            lane,
        };
        Ok(())
    }

    pub fn add_intfire1(&mut self, id: u32, tau: f64, refrac: f64) -> Result<()> {
        self.check_open()?;
        if !(tau > 0.0 && tau.is_finite() && refrac >= 0.0 && refrac.is_finite()) {
            return Err(Error::invalid(format!(
                "cell {id}: IntFire1 needs tau > 0 and refrac >= 0, got tau={tau} refrac={refrac}"
            )));
        }
        self.source_slot(id)?;
        self.sources[id as usize] = Source::IntFire(self.intfire.len() as u32);
        let mut c = IntFire1 {
            source: id,
            tau,
            refrac,
            m: 0.0,
            t0: 0.0,
            refractory: false,
            wake: f64::INFINITY,
        };
        c.reset();
        self.intfire.push(c);
        Ok(())
    }

    /// A node whose model is the ARTIFICIAL_CELL `model` of a user's file, with parameter values
    /// `params` (BMTK's `model_type: point_process`, `model_template: nrn:<NAME>`).
    pub fn add_artificial_cell(
        &mut self,
        id: u32,
        model: &Arc<crate::nmodl::Model>,
        params: Vec<(String, f64)>,
    ) -> Result<()> {
        self.check_open()?;
        self.source_slot(id)?;
        let k = self.art.add(id, model, params)?;
        self.sources[id as usize] = Source::Art(k);
        Ok(())
    }

    /// A virtual cell with its spike times (ms, any order, not negative).
    pub fn add_virtual(&mut self, id: u32, times: &[f64]) -> Result<()> {
        self.check_open()?;
        if let Some(t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(Error::invalid(format!(
                "virtual cell {id}: spike time {t} is not a finite time >= 0 ms"
            )));
        }
        let slot = self.source_slot(id)?;
        *slot = Source::Virtual;
        self.virtual_spikes.extend(times.iter().map(|&t| (t, id)));
        Ok(())
    }

    /// A cell simulated on another rank.
    pub fn add_remote(&mut self, id: u32) -> Result<()> {
        self.check_open()?;
        *self.source_slot(id)? = Source::Remote;
        Ok(())
    }

    pub fn add_placement_rule(&mut self, rule: PlacementRule) -> usize {
        self.rules.push(rule);
        self.rules.len() - 1
    }

    fn bio_target(&self, id: u32) -> Result<(usize, usize)> {
        match self.sources.get(id as usize) {
            Some(Source::Bio { group, lane }) => Ok((*group as usize, *lane as usize)),
            _ => Err(Error::invalid(format!(
                "cell {id} is not a biophysical cell of this rank"
            ))),
        }
    }

    fn check_edge(&mut self, e: &EdgeSpec) -> Result<()> {
        if !(e.delay.is_finite() && e.delay > 0.0 && e.weight.is_finite()) {
            return Err(Error::invalid(format!(
                "edge {}: delay must be > 0 ms and weight finite, got delay={} weight={}",
                e.key & 0xff_ffff_ffff,
                e.delay,
                e.weight
            )));
        }
        match self.sources.get(e.source as usize) {
            None => Err(Error::invalid(format!(
                "edge {}: source cell {} does not exist",
                e.key & 0xff_ffff_ffff,
                e.source
            ))),
            _ => {
                self.min_delay = self.min_delay.min(e.delay);
                Ok(())
            }
        }
    }

    /// Edges to biophysical cells of this rank, in BMTK's order for each target (that order consumes
    /// the target's placement random stream). Returns the synapses made.
    pub fn add_bio_edges(&mut self, edges: &[EdgeSpec]) -> Result<Vec<MadeSynapse>> {
        self.check_open()?;
        let mut made = Vec::with_capacity(edges.len());
        for e in edges {
            self.check_edge(e)?;
            let (g, lane) = self.bio_target(e.target)?;
            let n_weights = match e.pp {
                None => {
                    e.syn
                        .validate(&format!("edge {}", e.key & 0xff_ffff_ffff))?;
                    0
                }
                Some(t) => match self.pp_types.get(t as usize) {
                    Some(ty) => ty.model.code.nr_args.len().max(1),
                    None => {
                        return Err(Error::invalid(format!(
                            "edge {}: unknown point-process synapse type {t}",
                            e.key & 0xff_ffff_ffff
                        )))
                    }
                },
            };
            let table = self.segment_table(g)?;
            let grp = &mut self.groups[g];
            let what = |err: Error| {
                Error::invalid(format!(
                    "edge {} to cell {}: {err}",
                    e.key & 0xff_ffff_ffff,
                    e.target
                ))
            };
            let sites: Vec<(usize, f64, usize)> = match e.site {
                SynapseSite::Explicit { sec_id, sec_x } => {
                    // a point process sits at its segment's centre (NEURON's postloc reports that)
                    let node = table.node_at(sec_id, sec_x).map_err(what)?;
                    let x = grp
                        .model
                        .geometry
                        .node_x
                        .get(node)
                        .copied()
                        .unwrap_or(sec_x);
                    vec![(sec_id, x, node)]
                }
                SynapseSite::Placed { rule, nsyns } => {
                    let r = self
                        .rules
                        .get(rule)
                        .ok_or_else(|| Error::invalid(format!("unknown placement rule {rule}")))?;
                    let seed = grp.seeds[lane] as u32;
                    let placer = grp.placers[lane]
                        .get_or_insert_with(|| SynapsePlacer::with_table(table.clone(), seed));
                    if placer
                        .n_candidates(&r.target_sections, r.distance_range)
                        .map_err(what)?
                        == 0
                    {
                        self.skipped_edges.push(e.key);
                        continue;
                    }
                    placer
                        .place(&r.target_sections, r.distance_range, nsyns)
                        .map_err(what)?
                        .into_iter()
                        .map(|s| (s.sec_id, s.sec_x, s.node))
                        .collect()
                }
            };
            for (k, (sec_id, sec_x, node)) in sites.into_iter().enumerate() {
                let (state, pp, wv) = match e.pp {
                    None => (grp.synapse_state(node as u32, lane as u32, e.syn), NO_PP, 0),
                    Some(t) => {
                        grp.pending_pp.push((node as u32, lane as u32, t));
                        let mut w = vec![0.0; n_weights];
                        w[0] = e.weight;
                        grp.pp_weights.push(w);
                        (
                            grp.pending_pp.len() as u32 - 1,
                            t,
                            grp.pp_weights.len() as u32 - 1,
                        )
                    }
                };
                grp.in_edges.push(InEdge {
                    source: e.source,
                    key: e.key,
                    k: k as u32,
                    target: state,
                    weight: e.weight,
                    delay: e.delay,
                    pp,
                    wv,
                });
                if grp.apart[lane] {
                    grp.syn_log.push(SynLog {
                        lane: lane as u32,
                        target: state,
                        pp,
                        source: e.source,
                        sec_id: sec_id as u32,
                        x: sec_x,
                    });
                }
                made.push(MadeSynapse {
                    key: e.key,
                    sec_id,
                    sec_x,
                });
            }
        }
        Ok(made)
    }

    /// Registers a synapse model from a loaded `.mod` POINT_PROCESS with its parameter values;
    /// returns the id edges name in [`EdgeSpec::pp`]. Refused (with the file's name): other
    /// kinds of mechanism and unknown parameters. Self events (`net_send`) are scheduled on the
    /// synapse's cell group; `net_event` of a synapse reaches nothing (in NEURON it would reach
    /// NetCons whose source is the synapse, which a SONATA network cannot make), so it is
    /// accepted and has no effect.
    pub fn add_point_synapse_type(&mut self, ty: PointSynapseType) -> Result<u32> {
        self.check_open()?;
        let m = &ty.model;
        if m.kind != crate::nmodl::Kind::PointProcess {
            return Err(Error::invalid(format!(
                "{}: '{}' is a {} mechanism, not a POINT_PROCESS: it cannot be a synapse",
                m.file,
                m.name,
                m.kind.as_str()
            )));
        }
        let c = &m.code;
        if c.net_receive.is_empty() {
            return Err(Error::invalid(format!(
                "{}: POINT_PROCESS '{}' has no NET_RECEIVE block: it cannot receive spikes",
                m.file, m.name
            )));
        }
        let mut probe = crate::nmodl::mech::NmodlMech::probe(m.clone());
        for (name, value) in &ty.params {
            probe.set_param(name, &[*value])?;
        }
        self.pp_types.push(ty);
        Ok(self.pp_types.len() as u32 - 1)
    }

    /// Edges to IntFire1 cells of this rank (weight already BMTK's syn_weight * sign * nsyns).
    pub fn add_intfire_edge(&mut self, e: &EdgeSpec) -> Result<()> {
        self.check_open()?;
        self.check_edge(e)?;
        let i = match self.sources.get(e.target as usize) {
            Some(Source::IntFire(i)) => *i,
            Some(Source::Art(k)) => {
                self.art.add_edge(e.source, e.key, *k, e.weight, e.delay);
                return Ok(());
            }
            _ => {
                return Err(Error::invalid(format!(
                "edge {}: cell {} is not a point cell (IntFire1 or ARTIFICIAL_CELL) of this rank",
                e.key & 0xff_ffff_ffff,
                e.target
            )))
            }
        };
        self.intfire_in.push(InEdge {
            source: e.source,
            key: e.key,
            k: 0,
            target: i,
            weight: e.weight,
            delay: e.delay,
            pp: NO_PP,
            wv: 0,
        });
        Ok(())
    }

    /// The node of `section[index](x)` of a biophysical cell (BMTK's `hobj.<section>[index](x)`,
    /// section being soma, dend, apic or axon); None: soma[0](0.5).
    pub fn cell_node(&self, target: u32, site: Option<(&str, usize, f64)>) -> Result<usize> {
        let (g, _) = self.bio_target(target)?;
        let model = &self.groups[g].model;
        let Some((name, index, x)) = site else {
            return Ok(model.soma_node);
        };
        if !(0.0..=1.0).contains(&x) {
            return Err(Error::invalid(format!(
                "cell {target}: section position {x} is not within [0, 1]"
            )));
        }
        let sec = model
            .morphology
            .sections
            .iter()
            .position(|s| s.type_name() == name && s.name_index == index)
            .ok_or_else(|| {
                let n = model
                    .morphology
                    .sections
                    .iter()
                    .filter(|s| s.type_name() == name)
                    .count();
                Error::invalid(format!(
                    "cell {target} has no section {name}[{index}] (it has {n} {name} sections)"
                ))
            })?;
        super::placement::node_at(&model.geometry, sec, x)
    }

    /// One segment of a cell drawn as BMTK's `choose_sections` draws it (placement `rule`, from the
    /// cell's own placement stream, after the synapses drawn so far); returns its node.
    pub fn choose_node(&mut self, target: u32, rule: usize) -> Result<usize> {
        self.check_open()?;
        let (g, lane) = self.bio_target(target)?;
        let table = self.segment_table(g)?;
        let r = self
            .rules
            .get(rule)
            .ok_or_else(|| Error::invalid(format!("unknown placement rule {rule}")))?;
        let grp = &mut self.groups[g];
        let seed = grp.seeds[lane] as u32;
        let placer =
            grp.placers[lane].get_or_insert_with(|| SynapsePlacer::with_table(table, seed));
        if placer.n_candidates(&r.target_sections, r.distance_range)? == 0 {
            return Err(Error::invalid(format!(
                "cell {target}: no segment in sections {:?} within {:?} um of the soma",
                r.target_sections, r.distance_range
            )));
        }
        let site = placer.place(&r.target_sections, r.distance_range, 1)?;
        site.first()
            .map(|s| s.node)
            .ok_or_else(|| Error::invalid(format!("cell {target}: no segment was drawn")))
    }

    /// Keeps the synapses of `cell` apart (one state each) and lists them for
    /// [`Self::cell_synapses`]: a netcon report records them one by one. Called before its edges.
    pub fn keep_synapses_apart(&mut self, cell: u32) -> Result<()> {
        self.check_open()?;
        let (g, lane) = self.bio_target(cell)?;
        let grp = &mut self.groups[g];
        let has = grp.pending_syn.iter().any(|p| p.1 as usize == lane)
            || grp.pending_pp.iter().any(|p| p.1 as usize == lane);
        if has && !grp.apart[lane] {
            return Err(Error::invalid(format!(
                "cell {cell}: synapses must be kept apart before its edges are added"
            )));
        }
        grp.apart[lane] = true;
        Ok(())
    }

    /// The synapses made on a cell kept apart, in the order they were made.
    pub fn cell_synapses(&self, cell: u32) -> Result<Vec<CellSynapse>> {
        let (g, lane) = self.bio_target(cell)?;
        let grp = &self.groups[g];
        if !grp.apart[lane] {
            return Err(Error::invalid(format!(
                "cell {cell}: its synapses were not kept apart"
            )));
        }
        Ok(grp
            .syn_log
            .iter()
            .filter(|s| s.lane as usize == lane)
            .map(|s| {
                let name = match s.pp {
                    NO_PP => "Exp2Syn".to_string(),
                    t => self.pp_types[t as usize].model.name.to_string(),
                };
                let src = match self.sources.get(s.source as usize) {
                    Some(Source::Virtual) | None => None,
                    _ => Some(s.source),
                };
                CellSynapse {
                    model: name,
                    source: src,
                    sec_id: s.sec_id as usize,
                    x: s.x,
                }
            })
            .collect())
    }

    /// Adds synapses of a cell kept apart to report `report`: those at positions `which` of
    /// [`Self::cell_synapses`], recording `variable` (NEURON's name: g, i, A, B for Exp2Syn, any
    /// variable of a POINT_PROCESS). Returns the number of columns added.
    pub fn add_synapse_report(
        &mut self,
        report: usize,
        cell: u32,
        variable: &str,
        which: &[usize],
    ) -> Result<usize> {
        self.check_open()?;
        let (g, lane) = self.bio_target(cell)?;
        if !self.groups[g].apart[lane] {
            return Err(Error::invalid(format!(
                "cell {cell}: its synapses were not kept apart"
            )));
        }
        let width = *self
            .report_width
            .get(report)
            .ok_or_else(|| Error::invalid(format!("unknown report {report}")))?;
        let logged: Vec<SynLog> = self.groups[g]
            .syn_log
            .iter()
            .filter(|s| s.lane as usize == lane)
            .copied()
            .collect();
        let mut column = width;
        let mut recorders: Vec<GroupRecorder> = Vec::new();
        for &w in which {
            let s = logged
                .get(w)
                .ok_or_else(|| Error::invalid(format!("cell {cell} has no synapse number {w}")))?;
            let var = if s.pp == NO_PP {
                let v = crate::bionet::synapse::Exp2SynVar::of(variable).ok_or_else(|| {
                    Error::invalid(format!(
                        "Exp2Syn has no variable '{variable}' a report can record ({})",
                        crate::bionet::synapse::Exp2SynVar::NAMES.join(", ")
                    ))
                })?;
                Variable::Exp2Syn(v)
            } else {
                let m = &self.pp_types[s.pp as usize].model;
                if !m.code.slot_names.iter().any(|n| n == variable) {
                    return Err(Error::invalid(format!(
                        "{}: POINT_PROCESS '{}' has no variable '{variable}'",
                        m.file, m.name
                    )));
                }
                Variable::PointSyn {
                    ty: s.pp,
                    set: u32::MAX,
                    name: variable.to_string(),
                }
            };
            match recorders.last_mut() {
                Some(r) if r.var == var => r.index.push(s.target),
                _ => recorders.push(GroupRecorder {
                    report,
                    column,
                    var,
                    index: vec![s.target],
                    scale: Vec::new(),
                }),
            }
            column += 1;
        }
        let grp = &mut self.groups[g];
        grp.recorders.extend(recorders);
        self.report_width[report] = column;
        Ok(column - width)
    }

    /// BMTK's segment table of group `g`'s cell model (built once per model).
    fn segment_table(&mut self, g: usize) -> Result<Arc<SegmentTable>> {
        let model_id = self.groups[g].model_id;
        if let Some(t) = self.tables.get(&model_id) {
            return Ok(t.clone());
        }
        let m = &self.groups[g].model;
        let t = Arc::new(SegmentTable::new(&m.geometry, &m.morphology.sections)?);
        self.tables.insert(model_id, t.clone());
        Ok(t)
    }

    /// The smallest delay of the edges added on this rank (infinite without edges).
    pub fn local_min_delay(&self) -> f64 {
        self.min_delay
    }

    /// Lowers the minimum delay to `d` (the smallest over every rank, which the exchange epochs
    /// must share: every rank exchanges spikes at the same steps).
    pub fn share_min_delay(&mut self, d: f64) -> Result<()> {
        self.check_open()?;
        if d.is_nan() || d <= 0.0 {
            return Err(Error::invalid(format!(
                "the network's minimum delay must be > 0 ms, got {d}"
            )));
        }
        self.min_delay = self.min_delay.min(d);
        Ok(())
    }

    /// The number of gap-junction slots of the whole network (two per junction); set before
    /// halves are added, alike on every rank.
    pub fn set_gap_slots(&mut self, n: usize) -> Result<()> {
        self.check_open()?;
        if n < self.gap_slots {
            return Err(Error::invalid(format!(
                "gap junction slots cannot shrink from {} to {n}",
                self.gap_slots
            )));
        }
        self.gap_slots = n;
        Ok(())
    }

    /// One gap-junction half on a biophysical cell of this rank: a conductance `g` (uS) at the
    /// middle of the section `site` gives, publishing that segment's voltage into slot `publish`
    /// and reading its partner's voltage from slot `read`. Returns the (section id, x) it sits at.
    pub fn add_gap(
        &mut self,
        cell: u32,
        site: GapSite,
        g: f64,
        publish: u32,
        read: u32,
    ) -> Result<(usize, f64)> {
        self.check_open()?;
        if !g.is_finite() {
            return Err(Error::invalid(format!(
                "cell {cell}: gap junction conductance must be a finite number of uS, got {g}"
            )));
        }
        let n = self.gap_slots;
        if publish as usize >= n || read as usize >= n || publish == read {
            return Err(Error::invalid(format!(
                "cell {cell}: gap junction slots {publish}/{read} must differ and lie below {n}"
            )));
        }
        let (gi, lane) = self.bio_target(cell)?;
        let table = self.segment_table(gi)?;
        let what = |e: Error| Error::invalid(format!("gap junction on cell {cell}: {e}"));
        let sec_id = match site {
            GapSite::Section { sec_id } => sec_id,
            GapSite::Placed { rule } => {
                let r = self
                    .rules
                    .get(rule)
                    .ok_or_else(|| Error::invalid(format!("unknown placement rule {rule}")))?;
                let grp = &mut self.groups[gi];
                let seed = grp.seeds[lane] as u32;
                let placer = grp.placers[lane]
                    .get_or_insert_with(|| SynapsePlacer::with_table(table.clone(), seed));
                if placer
                    .n_candidates(&r.target_sections, r.distance_range)
                    .map_err(what)?
                    == 0
                {
                    return Err(Error::invalid(format!(
                        "gap junction on cell {cell}: no segment in sections {:?} within {:?} um of the soma",
                        r.target_sections, r.distance_range
                    )));
                }
                let drawn = placer
                    .place(&r.target_sections, r.distance_range, 1)
                    .map_err(what)?;
                drawn
                    .first()
                    .map(|s| s.sec_id)
                    .ok_or_else(|| what(Error::invalid("no segment was drawn")))?
            }
        };
        let node = table.node_at(sec_id, 0.5).map_err(what)?;
        let grp = &mut self.groups[gi];
        let x = grp.model.geometry.node_x.get(node).copied().unwrap_or(0.5);
        grp.pending_gaps.push((node as u32, lane as u32, g, read));
        grp.gap_sources.push((node as u32, lane as u32, publish));
        self.gap_read.push(read);
        self.gap_publish.push(publish);
        Ok((sec_id, x))
    }

    /// Slots this rank publishes, in the order [`VoltageExchange`] receives their voltages.
    pub fn gap_local_slots(&self) -> Vec<u32> {
        let mut s = self.gap_publish.clone();
        s.sort_unstable();
        s
    }

    /// Slots the gap-junction halves of this rank read.
    pub fn gap_read_slots(&self) -> &[u32] {
        &self.gap_read
    }

    /// Copies the published segment voltages into the slots (through `exchange` under MPI), as
    /// NEURON's ParallelContext transfer does after each voltage solve.
    fn transfer_gaps(&mut self, exchange: Option<&mut VoltageExchange<'_>>) -> Result<()> {
        let mut out = std::mem::take(&mut self.gap_out);
        out.clear();
        for &(g, j, _) in &self.gap_local {
            let v = self.groups[g as usize]
                .sim
                .as_ref()
                .map_or(f64::NAN, |s| s.v[j as usize]);
            out.push(v);
        }
        let result = match exchange {
            Some(f) => f(&out).and_then(|all| {
                if all.len() != self.gap_slots {
                    return Err(Error::invalid(format!(
                        "the gap junction exchange returned {} voltages for {} slots",
                        all.len(),
                        self.gap_slots
                    )));
                }
                self.gap_v.copy_from_slice(&all);
                Ok(())
            }),
            None => {
                for (&(_, _, slot), &v) in self.gap_local.iter().zip(&out) {
                    self.gap_v[slot as usize] = v;
                }
                match self.gap_read.iter().find(|&&r| self.gap_v[r as usize].is_nan()) {
                    Some(r) => Err(Error::invalid(format!(
                        "a gap junction half reads slot {r}, which no segment publishes (its partner half was never made)"
                    ))),
                    None => Ok(()),
                }
            }
        };
        self.gap_out = out;
        result
    }

    /// A current played step by step (`amps[k]` nA during step k) into `node` of a cell.
    pub fn add_played_clamp(&mut self, target: u32, node: usize, amps: Arc<[f64]>) -> Result<()> {
        self.check_open()?;
        let (g, lane) = self.bio_target(target)?;
        if node >= self.groups[g].model.geometry.n_nodes() || amps.iter().any(|a| !a.is_finite()) {
            return Err(Error::invalid(format!(
                "current clamp on cell {target}: node {node} or its amplitudes are invalid"
            )));
        }
        self.groups[g].played.push((lane, node, amps));
        Ok(())
    }

    /// Registers time courses of imposed extracellular potentials; returns the index of the
    /// first (see `add_extracellular`).
    pub fn add_extracellular_series(&mut self, series: Vec<FieldSeries>) -> Result<u32> {
        self.check_open()?;
        let first = self.ext_series.len() as u32;
        self.ext_series.extend(series);
        self.ext_series_shared = None;
        Ok(first)
    }

    /// Segment centres (um) of a cell placed at `pos` with `rot` (x, y, z rotation angles), in
    /// BMTK's segment order (`seg_coords.p05`).
    pub fn segment_centres(&self, id: u32, pos: [f64; 3], rot: [f64; 3]) -> Result<Vec<[f64; 3]>> {
        let (g, _) = self.bio_target(id)?;
        let placed = self.groups[g]
            .model
            .morphology
            .geometry(&|_| 100.0, Some(pos), Some(rot))?;
        Ok(placed
            .seg_node
            .iter()
            .map(|&i| placed.node_pos[i])
            .collect())
    }

    /// Imposes an extracellular potential on a cell: e(segment, step) = sum of coeff *
    /// series(step) over `terms` (segment, series index, mV per unit).
    pub fn add_extracellular(&mut self, id: u32, terms: &[(usize, u32, f64)]) -> Result<()> {
        self.check_open()?;
        let (g, lane) = self.bio_target(id)?;
        let shared = match &self.ext_series_shared {
            Some(s) if s.len() == self.ext_series.len() => s.clone(),
            _ => {
                let s: Arc<[FieldSeries]> = self.ext_series.clone().into();
                self.ext_series_shared = Some(s.clone());
                s
            }
        };
        let m = &self.groups[g].model;
        let f = ExtField::new(&m.geometry, &m.morphology.sections, terms, shared)
            .map_err(|e| Error::invalid(format!("cell {id}: {e}")))?;
        self.groups[g].ext_fields.push(f.with_lane(lane));
        Ok(())
    }

    /// A voltage clamp (NEURON's SEClamp) on `node` of a cell: target `vc[k]` mV through `rs[k]`
    /// MOhm during step k (not finite: off).
    pub fn add_vclamp(
        &mut self,
        target: u32,
        node: usize,
        vc: Arc<[f64]>,
        rs: Arc<[f64]>,
    ) -> Result<()> {
        self.check_open()?;
        let (g, lane) = self.bio_target(target)?;
        if node >= self.groups[g].model.geometry.n_nodes() || vc.len() != rs.len() {
            return Err(Error::invalid(format!(
                "voltage clamp on cell {target}: node {node} or its step arrays are invalid"
            )));
        }
        self.groups[g].vclamps.push((lane, node, vc, rs));
        Ok(())
    }

    /// IClamp on a node of a biophysical cell (its soma: [`Self::cell_node`] with None).
    pub fn add_clamp(
        &mut self,
        target: u32,
        node: usize,
        amp: f64,
        delay: f64,
        dur: f64,
    ) -> Result<()> {
        self.check_open()?;
        let (g, lane) = self.bio_target(target)?;
        if !(amp.is_finite() && delay.is_finite() && dur.is_finite()) {
            return Err(Error::invalid(format!(
                "IClamp on cell {target}: amp, delay and duration must be finite numbers"
            )));
        }
        self.groups[g].clamps.push((
            lane,
            IClamp {
                node,
                amp,
                delay,
                dur,
            },
        ));
        Ok(())
    }

    /// A new report; returns its number.
    pub fn add_report(&mut self) -> usize {
        self.report_width.push(0);
        self.report_width.len() - 1
    }

    /// Adds a cell's elements to report `report`: soma(0.5) when `kinds` is None, else every
    /// segment (BMTK's order) whose SWC type is in `kinds` (empty: all). `variable` is NEURON's
    /// name of what to record ([`Variable::resolve`]). Returns the (section id, x) of each element.
    pub fn add_report_cell(
        &mut self,
        report: usize,
        cell: u32,
        variable: &str,
        kinds: Option<&[i32]>,
    ) -> Result<Vec<(usize, f64)>> {
        self.check_open()?;
        let (g, lane) = self.bio_target(cell)?;
        let width = self
            .report_width
            .get_mut(report)
            .ok_or_else(|| Error::invalid(format!("unknown report {report}")))?;
        let grp = &mut self.groups[g];
        let geo = &grp.model.geometry;
        let nodes: Vec<usize> = match kinds {
            None => vec![grp.model.soma_node],
            Some(k) => geo
                .seg_node
                .iter()
                .copied()
                .filter(|&n| k.is_empty() || k.contains(&geo.node_kind[n]))
                .collect(),
        };
        let var = Variable::resolve(&grp.model, variable, &nodes)
            .map_err(|e| Error::invalid(format!("cell {cell}: {e}")))?;
        let elements = nodes
            .iter()
            .map(|&n| (geo.node_sec[n], geo.node_x[n]))
            .collect();
        let scale = match var {
            Variable::MembraneDensity => nodes
                .iter()
                .map(|&n| 1.0 / (geo.node_area[n] * 1e-2))
                .collect(),
            _ => Vec::new(),
        };
        grp.recorders.push(GroupRecorder {
            report,
            column: *width,
            var,
            // solver indices need the final lane count: lanes are fixed once the group is full or
            // finalized, so keep (node, lane) packed and resolve in finalize()
            index: nodes
                .iter()
                .map(|&n| (n * MAX_LANES + lane) as u32)
                .collect(),
            scale,
        });
        *width += nodes.len();
        Ok(elements)
    }

    /// The extracellular potential at `electrodes` (BMTK's line-source `extracellular` report)
    /// from the cells `cells` = (id, soma position, rotation angles about x, y, z).
    pub fn add_ecp(
        &mut self,
        electrodes: &[[f64; 3]],
        min: MinDistance,
        cells: &[(u32, [f64; 3], [f64; 3])],
        per_cell: bool,
    ) -> Result<()> {
        self.check_open()?;
        if electrodes.is_empty() {
            return Err(Error::invalid(
                "the extracellular report needs at least one electrode",
            ));
        }
        if self.ecp_channels.is_some() {
            return Err(Error::invalid(
                "only one extracellular (ECP) report per simulation is supported",
            ));
        }
        self.ecp_channels = Some(electrodes.len());
        for &(id, pos, rot) in cells {
            let (g, lane) = self.bio_target(id)?;
            let grp = &mut self.groups[g];
            let placed = grp
                .model
                .morphology
                .geometry(&|_| 100.0, Some(pos), Some(rot))?;
            let t = EcpTransfer::from_cells(electrodes, &[&placed], min, ColumnOrder::Nodes)
                .map_err(|e| Error::invalid(format!("extracellular report, cell {id}: {e}")))?;
            if grp.ecp_lanes.len() < grp.cells.len() {
                grp.ecp_lanes.resize(grp.cells.len(), None);
            }
            grp.ecp_lanes[lane] = Some(t.matrix().to_vec());
            if per_cell {
                if grp.ecp_cell_rec.len() < grp.cells.len() {
                    grp.ecp_cell_rec.resize(grp.cells.len(), None);
                }
                grp.ecp_cell_rec[lane] = Some(Vec::new());
            }
        }
        Ok(())
    }

    pub fn ecp_channel_count(&self) -> usize {
        self.ecp_channels.unwrap_or(0)
    }

    /// Per-cell ECP rows since the last call: (cell id, steps x channels) for every cell of this
    /// rank that keeps its contribution.
    pub fn take_ecp_cells(&mut self) -> Vec<(u32, Vec<f64>)> {
        let mut out = Vec::new();
        for g in self.groups.iter_mut() {
            for (l, rec) in g.ecp_cell_rec.iter_mut().enumerate() {
                if let Some(r) = rec {
                    out.push((g.cells[l], std::mem::take(r)));
                }
            }
        }
        out
    }

    /// Takes the ECP rows recorded since the last call (steps x channels), summed over this
    /// rank's cells.
    pub fn take_ecp(&mut self) -> (usize, Vec<f64>) {
        let Some(nc) = self.ecp_channels else {
            return (0, Vec::new());
        };
        let rows = self
            .groups
            .iter()
            .find(|g| g.ecp_channels > 0)
            .map(|g| g.ecp_rec.len() / nc)
            .unwrap_or((self.step.saturating_sub(self.ecp_taken)).min(self.nsteps));
        let mut out = vec![0.0; rows * nc];
        for g in self.groups.iter_mut() {
            if g.ecp_channels > 0 {
                for (o, v) in out.iter_mut().zip(&g.ecp_rec) {
                    *o += v;
                }
                g.ecp_rec.clear();
            }
        }
        self.ecp_taken = self.step;
        (rows, out)
    }

    /// Builds the solvers and the event tables. Called once, before the first step.
    pub fn finalize(&mut self) -> Result<()> {
        if self.finalized {
            return Ok(());
        }
        if let Some(i) = self.sources.iter().position(|s| matches!(s, Source::Unset)) {
            return Err(Error::invalid(format!(
                "cell {i} of the network was never added"
            )));
        }
        let n_sources = self.sources.len();
        let cond = self.cond;
        let pp_types = &self.pp_types;
        self.pool.install(|| {
            self.groups.par_iter_mut().try_for_each(|g| -> Result<()> {
                let lanes = g.cells.len();
                let mut sim = CellSim::group(&g.model, cond, lanes, &g.clamps)?;
                for (lane, node, amps) in &g.played {
                    sim.add_played(*lane, *node, amps.clone())?;
                }
                for (lane, node, vc, rs) in &g.vclamps {
                    sim.add_vclamp(*lane, *node, vc.clone(), rs.clone())?;
                }
                for f in &g.ext_fields {
                    sim.add_ext_field(f.clone())?;
                }
                // states in solver order, so the per-step synapse loop walks memory forwards
                let idx = |k: usize| g.pending_syn[k].0 * lanes as u32 + g.pending_syn[k].1;
                let mut order: Vec<usize> = (0..g.pending_syn.len()).collect();
                order.sort_by_key(|&k| (idx(k), k));
                let mut new_of = vec![0u32; order.len()];
                for (new, &old) in order.iter().enumerate() {
                    new_of[old] = new as u32;
                    sim.synapses.push(idx(old), g.pending_syn[old].2, cond.dt);
                }
                // NMODL synapses: one mechanism per synapse type, instances in solver order.
                let mut pp_of = vec![(0u32, 0u32); g.pending_pp.len()];
                let mut types: Vec<u32> = g.pending_pp.iter().map(|p| p.2).collect();
                types.sort_unstable();
                types.dedup();
                for &t in &types {
                    let mut inst: Vec<usize> = (0..g.pending_pp.len())
                        .filter(|&k| g.pending_pp[k].2 == t)
                        .collect();
                    let pidx = |k: usize| g.pending_pp[k].0 * lanes as u32 + g.pending_pp[k].1;
                    inst.sort_by_key(|&k| (pidx(k), k));
                    let ty = &pp_types[t as usize];
                    let mut mech = crate::nmodl::mech::NmodlMech::new(
                        ty.model.clone(),
                        inst.iter().map(|&k| pidx(k)).collect(),
                    );
                    for (name, value) in &ty.params {
                        mech.set_param(name, &[*value])?;
                    }
                    for (pos, &k) in inst.iter().enumerate() {
                        pp_of[k] = (sim.points.len() as u32, pos as u32);
                    }
                    sim.add_point(mech)?;
                }
                for e in g.in_edges.iter_mut() {
                    if e.pp == NO_PP {
                        e.target = new_of[e.target as usize];
                    } else {
                        (e.pp, e.target) = pp_of[e.target as usize];
                    }
                }
                let mut halves: Vec<(u32, u32, f64)> = g
                    .pending_gaps
                    .iter()
                    .map(|&(node, lane, gc, read)| (node * lanes as u32 + lane, read, gc))
                    .collect();
                halves.sort_by_key(|h| (h.0, h.1));
                for &(j, read, gc) in &halves {
                    sim.gaps.push(j, gc, read);
                }
                g.coupled = !halves.is_empty() || !g.gap_sources.is_empty();
                sim.initialize();
                if g.recorders
                    .iter()
                    .any(|r| matches!(r.var, Variable::Exp2Syn(_)))
                {
                    sim.synapses.keep_last();
                }
                for r in g.recorders.iter_mut() {
                    match &mut r.var {
                        Variable::Exp2Syn(_) => {
                            for j in r.index.iter_mut() {
                                *j = new_of[*j as usize];
                            }
                            continue;
                        }
                        Variable::PointSyn { set, .. } => {
                            for j in r.index.iter_mut() {
                                let (s, pos) = pp_of[*j as usize];
                                *set = s;
                                *j = pos;
                            }
                            continue;
                        }
                        _ => {}
                    }
                    for j in r.index.iter_mut() {
                        let (node, lane) = (*j as usize / MAX_LANES, *j as usize % MAX_LANES);
                        *j = (node * lanes + lane) as u32;
                    }
                    if let Variable::Mech { mech, .. } = r.var {
                        let at: HashMap<u32, u32> = sim
                            .mech_nodes(mech)
                            .iter()
                            .enumerate()
                            .map(|(k, &j)| (j, k as u32))
                            .collect();
                        for j in r.index.iter_mut() {
                            *j = at[&*j];
                        }
                    }
                }
                if g.recorders
                    .iter()
                    .any(|r| matches!(r.var, Variable::MembraneCurrent | Variable::MembraneDensity))
                    && g.im.is_empty()
                {
                    g.im = vec![0.0; g.model.geometry.n_nodes() * lanes];
                }
                g.rec_width = g.recorders.iter().map(|r| r.index.len()).sum();
                if g.ecp_lanes.iter().any(|m| m.is_some()) {
                    let n = g.model.geometry.n_nodes();
                    let nc = g
                        .ecp_lanes
                        .iter()
                        .flatten()
                        .next()
                        .map_or(0, |m| m.len() / n);
                    let w = n * lanes;
                    let mut mat = vec![0.0; nc * w];
                    for (lane, m) in g.ecp_lanes.iter().enumerate() {
                        if let Some(m) = m {
                            for c in 0..nc {
                                for node in 0..n {
                                    mat[c * w + node * lanes + lane] = m[c * n + node];
                                }
                            }
                        }
                    }
                    g.ecp_matrix = mat;
                    g.ecp_channels = nc;
                    g.im = vec![0.0; w];
                    g.acc = vec![0.0; lanes];
                    g.ecp_cell_rec.resize(lanes, None);
                    g.ecp_lanes.clear();
                }
                g.sim = Some(sim);
                g.init_point_events()?;
                sort_in_edges(&mut g.in_edges);
                g.in_off = source_offsets(&g.in_edges, n_sources);
                g.placers.clear();
                g.syn_map = HashMap::new();
                Ok(())
            })
        })?;
        sort_in_edges(&mut self.intfire_in);
        self.intfire_off = source_offsets(&self.intfire_in, n_sources);
        self.art
            .finalize(n_sources, self.cond.dt, self.cond.celsius)?;
        let mut local = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            let lanes = g.cells.len() as u32;
            for &(node, lane, slot) in &g.gap_sources {
                local.push((gi as u32, node * lanes + lane, slot));
            }
        }
        local.sort_by_key(|x| x.2);
        if let Some(w) = local.windows(2).find(|w| w[0].2 == w[1].2) {
            return Err(Error::invalid(format!(
                "gap junction slot {} is published by two segments",
                w[0].2
            )));
        }
        self.gap_local = local;
        self.gap_v = vec![f64::NAN; self.gap_slots];
        self.gap_ready = false;
        self.virtual_spikes
            .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let dt = self.cond.dt;
        if self.min_delay.is_finite() && self.min_delay < dt {
            return Err(Error::invalid(format!(
                "the smallest edge delay ({} ms) is shorter than the time step dt={} ms",
                self.min_delay, dt
            )));
        }
        // epochs are at most the minimum delay (and 10 ms, as BMTK's set_maxstep(10))
        let span = self.min_delay.min(10.0);
        self.epoch_steps = ((span / dt) * (1.0 + 1e-12)).floor().max(1.0) as usize;
        self.next_exchange = self.epoch_steps;
        self.finalized = true;
        Ok(())
    }

    /// Back to t = 0 with the network as built: every cell at its initial state, no event queued,
    /// spikes and recordings dropped, virtual spike trains from their start (a second run of the same
    /// simulation gives the first run's results).
    pub fn rewind(&mut self) {
        if !self.finalized {
            return;
        }
        self.step = 0;
        self.next_exchange = self.epoch_steps;
        self.virtual_next = 0;
        self.spikes.clear();
        self.intfire_queue.clear();
        self.intfire.iter_mut().for_each(IntFire1::reset);
        // the same INITIAL blocks ran at finalize without error
        let _ = self.art.initialize();
        self.ecp_taken = 0;
        self.gap_v.iter_mut().for_each(|v| *v = f64::NAN);
        self.gap_ready = false;
        for g in self.groups.iter_mut() {
            if let Some(sim) = g.sim.as_mut() {
                sim.initialize();
            }
            // the same INITIAL blocks ran at finalize without error
            let _ = g.init_point_events();
            g.queue.clear();
            g.spikes.clear();
            g.rec.clear();
            g.ecp_rec.clear();
            g.ecp_cell_rec.iter_mut().flatten().for_each(Vec::clear);
        }
    }

    /// Advances `steps` steps (or to tstop), exchanging spikes at every epoch end through
    /// `exchange` and gap-junction voltages at every step through `voltages` (None: this process
    /// has every cell).
    ///
    /// Cells without gap junctions run a whole epoch at once; cells with gap junctions run step by
    /// step, with the slot voltages transferred between steps.
    pub fn advance(
        &mut self,
        steps: usize,
        mut exchange: Option<&mut Exchange<'_>>,
        mut voltages: Option<&mut VoltageExchange<'_>>,
    ) -> Result<()> {
        self.finalize()?;
        let end = (self.step + steps).min(self.nsteps);
        while self.step < end {
            let chunk = (self.next_exchange.min(end)) - self.step;
            if self.gap_slots == 0 {
                let groups = &mut self.groups;
                self.pool.install(|| {
                    groups.par_iter_mut().for_each(|g| g.advance(chunk, None));
                });
            } else {
                if !self.gap_ready {
                    // NEURON transfers once at finitialize, before the first step
                    self.transfer_gaps(voltages.as_deref_mut())?;
                    self.gap_ready = true;
                }
                let groups = &mut self.groups;
                self.pool.install(|| {
                    groups
                        .par_iter_mut()
                        .filter(|g| !g.coupled)
                        .for_each(|g| g.advance(chunk, None));
                });
                for _ in 0..chunk {
                    let (groups, gap_v) = (&mut self.groups, &self.gap_v);
                    self.pool.install(|| {
                        groups
                            .par_iter_mut()
                            .filter(|g| g.coupled)
                            .for_each(|g| g.advance(1, Some(gap_v)));
                    });
                    self.transfer_gaps(voltages.as_deref_mut())?;
                }
            }
            self.step += chunk;
            if let Some(e) = self.groups.iter_mut().find_map(|g| g.error.take()) {
                return Err(Error::invalid(e));
            }
            if self.step == self.next_exchange || self.step == self.nsteps {
                self.exchange(exchange.as_deref_mut())?;
                self.next_exchange += self.epoch_steps;
            }
        }
        Ok(())
    }

    /// The midpoint time of the step that starts at step index `k` (as the cells accumulate t).
    fn last_mid(&self) -> f64 {
        // every group holds the same t; without groups use the nominal time
        let t_end = self
            .groups
            .first()
            .and_then(|g| g.sim.as_ref())
            .map(|s| s.t())
            .unwrap_or(self.step as f64 * self.cond.dt);
        t_end - 0.5 * self.cond.dt
    }

    fn exchange(&mut self, exchange: Option<&mut Exchange<'_>>) -> Result<()> {
        let t_mid = self.last_mid();
        let t_end = t_mid + 0.5 * self.cond.dt;
        let mut local: Vec<(f64, u32)> = Vec::new();
        for g in self.groups.iter_mut() {
            local.append(&mut g.spikes);
        }
        // NEURON delivers, at the end of each step, the events due by half a step past it: after
        // the last step those up to tstop + dt/2 still reach the IntFire1 cells (and can fire them)
        let t_intfire = if self.step == self.nsteps {
            t_end + 0.5 * self.cond.dt
        } else {
            t_mid
        };
        self.run_intfire(t_intfire, &mut local);
        self.art.run(t_intfire, &mut local)?;
        local.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.spikes.extend_from_slice(&local);
        let mut all = match exchange {
            Some(f) => f(&local)?,
            None => local,
        };
        while self.virtual_next < self.virtual_spikes.len()
            && self.virtual_spikes[self.virtual_next].0 < t_end
        {
            all.push(self.virtual_spikes[self.virtual_next]);
            self.virtual_next += 1;
        }
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let groups = &mut self.groups;
        let spikes = &all;
        self.pool.install(|| {
            groups.par_iter_mut().for_each(|g| {
                for &(t, s) in spikes {
                    let (a, b) = (
                        g.in_off[s as usize] as usize,
                        g.in_off[s as usize + 1] as usize,
                    );
                    for i in a..b {
                        g.queue.push(Event {
                            t: t + g.in_edges[i].delay,
                            edge: i as u32,
                        });
                    }
                }
            })
        });
        self.art.enqueue(spikes);
        for &(t, s) in spikes {
            let (a, b) = (
                self.intfire_off[s as usize] as usize,
                self.intfire_off[s as usize + 1] as usize,
            );
            for i in a..b {
                self.intfire_queue.push(Event {
                    t: t + self.intfire_in[i].delay,
                    edge: i as u32,
                });
            }
        }
        Ok(())
    }

    /// IntFire1 events due up to `t_mid` (and refractory ends before them), in time order.
    fn run_intfire(&mut self, t_mid: f64, out: &mut Vec<(f64, u32)>) {
        while let Some(ev) = self.intfire_queue.peek().copied() {
            if ev.t > t_mid {
                break;
            }
            self.intfire_queue.pop();
            let e = self.intfire_in[ev.edge as usize];
            let c = &mut self.intfire[e.target as usize];
            if c.refractory && c.wake <= ev.t {
                c.wake_up();
            }
            if c.receive(ev.t, e.weight) {
                out.push((ev.t, c.source));
            }
        }
        for c in self.intfire.iter_mut() {
            if c.refractory && c.wake <= t_mid {
                c.wake_up();
            }
        }
    }

    /// Takes the rows recorded since the last call for report `report`: (steps x columns).
    pub fn take_report(&mut self, report: usize) -> Result<(usize, Vec<f64>)> {
        let width = *self
            .report_width
            .get(report)
            .ok_or_else(|| Error::invalid(format!("unknown report {report}")))?;
        let rows = self
            .groups
            .iter()
            .find(|g| g.rec_width > 0)
            .map(|g| g.rec.len() / g.rec_width)
            .unwrap_or(0);
        let mut out = vec![0.0; rows * width];
        for g in self.groups.iter() {
            if g.rec_width == 0 {
                continue;
            }
            let mut off = 0;
            for r in &g.recorders {
                if r.report == report {
                    for row in 0..rows {
                        let src = &g.rec
                            [row * g.rec_width + off..row * g.rec_width + off + r.index.len()];
                        out[row * width + r.column..row * width + r.column + r.index.len()]
                            .copy_from_slice(src);
                    }
                }
                off += r.index.len();
            }
        }
        Ok((rows, out))
    }

    /// Drops recorded rows every report has taken.
    pub fn clear_recordings(&mut self) {
        for g in self.groups.iter_mut() {
            g.rec.clear();
        }
    }

    pub fn n_groups(&self) -> usize {
        self.groups.len()
    }

    /// Compartments (segments) simulated on this rank.
    pub fn n_segments(&self) -> usize {
        self.groups
            .iter()
            .map(|g| g.cells.len() * g.model.geometry.seg_node.len())
            .sum()
    }

    pub fn n_synapse_states(&self) -> usize {
        self.groups.iter().map(|g| g.pending_syn.len()).sum()
    }

    pub fn spike_time_epsilon() -> f64 {
        SPIKE_TEPS
    }
}
