//! ARTIFICIAL_CELLs from a user's `.mod` files as network nodes (BMTK's `model_type:
//! point_process` with `model_template: nrn:<NAME>`): NET_RECEIVE runs for every event from an
//! edge (weight vector `[syn_weight, 0, ...]`) and every self event (`net_send`), and each
//! `net_event(t)` is a spike of the node at `t`, sent to its edges' targets and recorded like any
//! other spike.
//!
//! An artificial cell has no voltage and no step of its own, so its events are handled as the
//! engine handles IntFire1: at each exchange, every event due by then, in time order (events
//! from edges before self events of the same time, self events in the order they were sent).
//! That is NEURON's order per cell, and cells do not interact within an epoch (their spikes
//! reach targets after at least the network's minimum delay).

use std::collections::BinaryHeap;
use std::sync::Arc;

use super::mechanisms::{Env, Mechanism};
use super::network::Event;
use super::self_events::{edge_first, schedule, SelfQueue, NO_WV};
use crate::error::{Error, Result};
use crate::nmodl::mech::NmodlMech;
use crate::nmodl::vm::EmitKind;
use crate::nmodl::{Kind, Model};

#[derive(Debug, Clone, Copy)]
struct ArtEdge {
    source: u32,
    key: u64,
    /// The artificial cell (index into `cells`).
    cell: u32,
    delay: f64,
}

/// One model's cells: one mechanism, an instance per cell.
struct ArtType {
    model: Arc<Model>,
    /// (source id, parameter values) of each cell, in instance order.
    cells: Vec<(u32, Vec<(String, f64)>)>,
    mech: Option<NmodlMech>,
}

#[derive(Default)]
pub struct ArtCells {
    types: Vec<ArtType>,
    /// (type, instance) of each cell.
    cells: Vec<(u32, u32)>,
    edges: Vec<ArtEdge>,
    off: Vec<u32>,
    /// NetCon weight vectors, one per edge (NET_RECEIVE may change them, as in NEURON).
    weights: Vec<Vec<f64>>,
    queue: BinaryHeap<Event>,
    self_q: SelfQueue,
    /// Spikes asked for by INITIAL blocks, reported at the first exchange.
    init_spikes: Vec<(f64, u32)>,
    dt: f64,
    celsius: f64,
}

impl ArtCells {
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Adds a cell of `model` (an ARTIFICIAL_CELL) whose spikes are those of source `id`;
    /// returns its index (the network's `Source::Art`).
    pub fn add(&mut self, id: u32, model: &Arc<Model>, params: Vec<(String, f64)>) -> Result<u32> {
        if model.kind != Kind::ArtificialCell {
            return Err(Error::invalid(format!(
                "cell {id}: {}: '{}' is a {} mechanism, not an ARTIFICIAL_CELL: it cannot be a point_process node",
                model.file,
                model.name,
                model.kind.as_str()
            )));
        }
        if model.code.net_receive.is_empty() {
            return Err(Error::invalid(format!(
                "cell {id}: {}: ARTIFICIAL_CELL '{}' has no NET_RECEIVE block: it cannot receive spikes",
                model.file, model.name
            )));
        }
        if let Some(w) = model.code.watches.first() {
            return Err(Error::invalid(format!(
                "cell {id}: {}:{}: WATCH in an ARTIFICIAL_CELL node is not supported (its events are handled at exchanges, not step by step)",
                model.file, w.line
            )));
        }
        // every parameter name and value checked now, on a probe instance
        let mut probe = NmodlMech::probe(model.clone());
        for (name, value) in &params {
            probe
                .set_param(name, &[*value])
                .map_err(|e| Error::invalid(format!("cell {id}: {}: {e}", model.file)))?;
        }
        let t = match self
            .types
            .iter()
            .position(|ty| Arc::ptr_eq(&ty.model, model))
        {
            Some(t) => t,
            None => {
                self.types.push(ArtType {
                    model: model.clone(),
                    cells: Vec::new(),
                    mech: None,
                });
                self.types.len() - 1
            }
        };
        let ty = &mut self.types[t];
        ty.cells.push((id, params));
        self.cells.push((t as u32, ty.cells.len() as u32 - 1));
        Ok(self.cells.len() as u32 - 1)
    }

    /// An edge from `source` to artificial cell `cell` with the NetCon weight `weight`.
    pub fn add_edge(&mut self, source: u32, key: u64, cell: u32, weight: f64, delay: f64) {
        let (t, _) = self.cells[cell as usize];
        let n = self.types[t as usize].model.code.nr_args.len().max(1);
        let mut w = vec![0.0; n];
        w[0] = weight;
        self.weights.push(w);
        self.edges.push(ArtEdge {
            source,
            key,
            cell,
            delay,
        });
    }

    /// Builds the mechanisms (per-instance parameters; a GLOBAL parameter must agree across the
    /// cells of its model, as NEURON keeps one value) and sorts the edges by source.
    pub fn finalize(&mut self, n_sources: usize, dt: f64, celsius: f64) -> Result<()> {
        self.dt = dt;
        self.celsius = celsius;
        for ty in self.types.iter_mut() {
            let n = ty.cells.len();
            let mut mech = NmodlMech::new(ty.model.clone(), vec![0; n]);
            let mut names: Vec<&str> = ty
                .cells
                .iter()
                .flat_map(|c| c.1.iter().map(|p| p.0.as_str()))
                .collect();
            names.sort_unstable();
            names.dedup();
            for name in names {
                let spec = ty.model.params.iter().find(|p| p.name == name);
                let default = spec.map_or(0.0, |p| p.default);
                let vals: Vec<f64> = ty
                    .cells
                    .iter()
                    .map(|c| {
                        c.1.iter()
                            .rev()
                            .find(|p| p.0 == name)
                            .map_or(default, |p| p.1)
                    })
                    .collect();
                let global = spec.is_some_and(|p| p.kind == super::mechanisms::ParamKind::Global);
                if global {
                    if let Some(k) = vals.iter().position(|v| v.to_bits() != vals[0].to_bits()) {
                        return Err(Error::invalid(format!(
                            "{}: '{name}' is a GLOBAL parameter of {} (one value for all its cells in NEURON), but cell {} sets {} and cell {} sets {}",
                            ty.model.file, ty.model.name, ty.cells[0].0, vals[0], ty.cells[k].0, vals[k]
                        )));
                    }
                    mech.set_param(name, &vals[..1])?;
                } else {
                    mech.set_param(name, &vals)?;
                }
            }
            ty.mech = Some(mech);
        }
        let mut order: Vec<usize> = (0..self.edges.len()).collect();
        order.sort_by_key(|&i| (self.edges[i].source, self.edges[i].key));
        self.edges = order.iter().map(|&i| self.edges[i]).collect();
        let mut w = std::mem::take(&mut self.weights);
        self.weights = order.iter().map(|&i| std::mem::take(&mut w[i])).collect();
        let mut off = vec![0u32; n_sources + 1];
        for e in &self.edges {
            off[e.source as usize + 1] += 1;
        }
        for i in 0..n_sources {
            off[i + 1] += off[i];
        }
        self.off = off;
        self.initialize()
    }

    /// NEURON's finitialize for these cells: INITIAL of every cell (its `net_send`s queued), then
    /// NET_RECEIVE's INITIAL for every edge; queues emptied first.
    pub fn initialize(&mut self) -> Result<()> {
        self.queue.clear();
        self.self_q.clear();
        self.init_spikes.clear();
        let env = Env {
            celsius: self.celsius,
            dt: self.dt,
        };
        let ions = super::mechanisms::Ions::new(1);
        for (t, ty) in self.types.iter_mut().enumerate() {
            let Some(mech) = ty.mech.as_mut() else {
                continue;
            };
            let v = [0.0];
            let em = mech.point_init(&env, &v, &ions);
            queue_requests(
                &mut self.self_q,
                0.0,
                t as u32,
                None,
                NO_WV,
                em,
                ty,
                &mut self.init_spikes,
            )?;
        }
        for (k, e) in self.edges.iter().enumerate() {
            let (t, inst) = self.cells[e.cell as usize];
            let ty = &mut self.types[t as usize];
            let Some(mech) = ty.mech.as_mut() else {
                continue;
            };
            let em = mech.net_init(inst as usize, 0.0, &mut self.weights[k]);
            let wv = k as u32;
            queue_requests(
                &mut self.self_q,
                0.0,
                t,
                Some(inst),
                wv,
                em,
                ty,
                &mut self.init_spikes,
            )?;
        }
        Ok(())
    }

    /// Queues the events the spikes `spikes` (time, source) cause on these cells' edges.
    pub fn enqueue(&mut self, spikes: &[(f64, u32)]) {
        if self.edges.is_empty() {
            return;
        }
        for &(t, s) in spikes {
            let (a, b) = (
                self.off[s as usize] as usize,
                self.off[s as usize + 1] as usize,
            );
            for i in a..b {
                self.queue.push(Event {
                    t: t + self.edges[i].delay,
                    edge: i as u32,
                });
            }
        }
    }

    /// Delivers every event due by `t_lim`, in time order; the cells' spikes go to `out` as
    /// (time, source).
    pub fn run(&mut self, t_lim: f64, out: &mut Vec<(f64, u32)>) -> Result<()> {
        out.append(&mut self.init_spikes);
        loop {
            let te = self.queue.peek().map(|e| e.t).filter(|&t| t <= t_lim);
            let ts = self.self_q.due(t_lim);
            let Some(from_edge) = edge_first(te, ts) else {
                break;
            };
            let (t, set, inst, wv, flag) = if from_edge {
                let Some(ev) = self.queue.pop() else { break };
                let (set, inst) = self.cells[self.edges[ev.edge as usize].cell as usize];
                (ev.t, set, inst, ev.edge, 0.0)
            } else {
                let Some(ev) = self.self_q.pop() else { break };
                (ev.t, ev.set, ev.inst, ev.wv, ev.flag)
            };
            let ty = &mut self.types[set as usize];
            let Some(mech) = ty.mech.as_mut() else {
                continue;
            };
            let mut none = vec![0.0; mech.n_weights()];
            let w = if wv == NO_WV {
                &mut none
            } else {
                &mut self.weights[wv as usize]
            };
            let em = mech.net_receive(inst as usize, t, 0.0, w, flag);
            queue_requests(&mut self.self_q, t, set, Some(inst), wv, em, ty, out)?;
        }
        Ok(())
    }
}

/// Queues the self events one run of INITIAL or NET_RECEIVE of `ty`'s cells asked for; its
/// `net_event`s are spikes of the cells, pushed to `out` as (time, source).
#[allow(clippy::too_many_arguments)]
fn queue_requests(
    q: &mut SelfQueue,
    t: f64,
    set: u32,
    inst: Option<u32>,
    wv: u32,
    em: Vec<crate::nmodl::vm::Emitted>,
    ty: &ArtType,
    out: &mut Vec<(f64, u32)>,
) -> Result<()> {
    let what = format!("{} ({})", ty.model.name, ty.model.file);
    schedule(q, t, set, inst, wv, em, &what, |i, kind, te, _| {
        if kind == EmitKind::Event {
            out.push((te, ty.cells[i as usize].0))
        }
    })
    .map_err(Error::invalid)
}
