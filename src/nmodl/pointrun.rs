//! One cylindrical compartment carrying a point process driven by a fixed list of events: the
//! harness the point-process tests compare with NEURON (a NetCon without source whose `event()`
//! calls deliver the same list). NEURON's fixed step, in its order (the engine's, solver.rs):
//! events due by t + dt/2 are delivered (NET_RECEIVE at each event's own time, self events
//! included), the ion sums cleared and reversal potentials updated, the density mechanisms'
//! currents then the point process's at t + dt/2 (its ionic currents into the node's sums), the
//! implicit voltage update, then the states at t + dt (density mechanisms first).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use super::mech::NmodlMech;
use super::model::{IonVar, Kind, Model};
use super::vm::{EmitKind, Emitted};
use super::watch::Watches;
use crate::bionet::mechanisms::clamp::{instantiate_ordered, MechSpec};
use crate::bionet::mechanisms::{Currents, Env, Ions, Mechanism};
use crate::error::{Error, Result};

/// The run's set-up (NEURON units: ms, mV, um, uF/cm2, S/cm2).
#[derive(Debug, Clone)]
pub struct PointRun {
    pub dt: f64,
    pub nsteps: usize,
    pub celsius: f64,
    pub v_init: f64,
    pub cm: f64,
    pub diam: f64,
    pub length: f64,
    /// `pas` (g S/cm2, e mV) in the compartment, if any.
    pub pas: Option<(f64, f64)>,
    /// Density mechanisms in the compartment (built-in, or from `density_models` by name).
    pub density: Vec<MechSpec>,
    pub density_models: Vec<Arc<Model>>,
    pub params: Vec<(String, f64)>,
    /// (time, weight vector) of each input event, each its own connection.
    pub events: Vec<(f64, Vec<f64>)>,
    pub record: Vec<String>,
}

struct Ev {
    t: f64,
    seq: usize,
    /// The connection whose weight vector NET_RECEIVE sees: the event's own, or for a self event
    /// that of the event whose NET_RECEIVE sent it (as NEURON's self events keep it); None for
    /// one sent by INITIAL.
    conn: Option<usize>,
    flag: f64,
}

impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    /// Reversed: the max-heap pops the earliest (time, insertion) first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}

/// The event queue of the one instance: NEURON's order (time, then insertion), `net_move`
/// moving the latest pending self event of flag 1.
#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Ev>,
    seq: usize,
    movable: Option<Ev>,
    moved: std::collections::HashSet<usize>,
}

impl Queue {
    fn push(&mut self, t: f64, conn: Option<usize>, flag: f64) {
        self.seq += 1;
        let ev = Ev {
            t,
            seq: self.seq,
            conn,
            flag,
        };
        if flag == 1.0 {
            self.movable = Some(Ev { ..ev });
        }
        self.heap.push(ev);
    }

    fn move_to(&mut self, now: f64, t: f64) -> std::result::Result<(), String> {
        let Some(ev) = self.movable.take() else {
            return Err(format!(
                "net_move at t={now} ms: no pending self event with flag 1 to move"
            ));
        };
        if t.is_nan() || t < now {
            return Err(format!("net_move at t={now} ms to t={t} ms: into the past"));
        }
        self.moved.insert(ev.seq);
        self.push(t, ev.conn, ev.flag);
        Ok(())
    }

    /// The next event due by `tm`, moved ones skipped.
    fn pop_due(&mut self, tm: f64) -> Option<Ev> {
        while self.heap.peek().is_some_and(|e| e.t <= tm) {
            let ev = self.heap.pop()?;
            if self.moved.remove(&ev.seq) {
                continue;
            }
            if self.movable.as_ref().is_some_and(|m| m.seq == ev.seq) {
                self.movable = None;
            }
            return Some(ev);
        }
        None
    }
}

/// Runs the compartment; returns one trace per `record` name (`v`, a variable of the point
/// process, or `seg.<ion variable>` such as `seg.cai`, `seg.ica` of the node), sampled at t = 0
/// and after every step, and the times of the instance's `net_event` calls.
pub fn run(model: &Arc<Model>, p: &PointRun) -> Result<(Vec<Vec<f64>>, Vec<f64>)> {
    if model.kind == Kind::Density {
        return Err(Error::invalid(format!(
            "{}: '{}' is a density mechanism, not a point process",
            model.file, model.name
        )));
    }
    let mut pp = NmodlMech::new(model.clone(), vec![0]);
    for (name, value) in &p.params {
        pp.set_param(name, &[*value])?;
    }
    let mut dens = instantiate_ordered(&p.density, &p.density_models)?;
    let env = Env {
        celsius: p.celsius,
        dt: p.dt,
    };
    let area = std::f64::consts::PI * p.diam * p.length;
    let scale = [1e2 / area];
    pp.set_ion_scale(scale.to_vec())?;
    pp.set_geometry(&[p.diam], &[area]);
    for m in dens.iter_mut() {
        m.set_geometry(&[p.diam], &[area]);
    }
    let mut ions = Ions::new(1);
    let mut cur = Currents::new(1);
    let nw = pp.n_weights();
    let mut weights: Vec<Vec<f64>> = p
        .events
        .iter()
        .map(|(_, w)| {
            let mut v = w.clone();
            v.resize(nw.max(w.len()), 0.0);
            v
        })
        .collect();
    for name in &p.record {
        if let Some(ion) = name.strip_prefix("seg.") {
            if IonVar::of(ion).is_none() {
                return Err(Error::invalid(format!(
                    "cannot record '{name}': '{ion}' is not an ion variable of the segment"
                )));
            }
        } else if name != "v" && pp.values(name).is_none() {
            return Err(Error::invalid(format!(
                "cannot record '{name}': {} has no such variable",
                model.name
            )));
        }
    }
    let mut v = [p.v_init];
    let mut queue = Queue::default();
    let mut spikes = Vec::new();
    let mut watches = Watches::new(1);
    // WATCH requests of the run that just ended (applied by the caller, with the run's values)
    let mut watch_req: Vec<(u32, f64)> = Vec::new();
    let schedule = |queue: &mut Queue,
                    t: f64,
                    conn: Option<usize>,
                    em: Vec<Emitted>,
                    spikes: &mut Vec<f64>,
                    watch_req: &mut Vec<(u32, f64)>|
     -> Result<()> {
        watch_req.clear();
        for (_, kind, a, b) in em {
            match kind {
                EmitKind::Send => queue.push(t + a, conn, b),
                EmitKind::Event => spikes.push(a),
                EmitKind::Watch => watch_req.push((a as u32, b)),
                EmitKind::Move => queue
                    .move_to(t, a)
                    .map_err(|e| Error::invalid(format!("{} ({}): {e}", model.name, model.file)))?,
            }
        }
        Ok(())
    };
    for m in dens.iter_mut() {
        m.init(&env, &v, &mut ions);
    }
    ions.update_reversals(p.celsius);
    let em = pp.point_init(&env, &v, &ions);
    schedule(&mut queue, 0.0, None, em, &mut spikes, &mut watch_req)?;
    for (c, (t, _)) in p.events.iter().enumerate() {
        let em = pp.net_init(0, v[0], &mut weights[c]);
        schedule(&mut queue, 0.0, Some(c), em, &mut spikes, &mut watch_req)?;
        watches.activate(&pp, 0, v[0], &watch_req);
        queue.heap.push(Ev {
            t: *t,
            seq: usize::MAX - p.events.len() + c,
            conn: Some(c),
            flag: 0.0,
        });
    }
    // finitialize ends by evaluating the currents (BREAKPOINT's assignments at v, as recorded at t = 0).
    let env_half = Env { dt: 0.0, ..env };
    ions.begin_step(p.celsius);
    for m in dens.iter_mut() {
        m.current(&env_half, &v, &mut ions, &mut cur);
    }
    pp.point_current(
        &env_half,
        &v,
        &mut ions,
        Some(&scale),
        &mut [0.0],
        &mut [0.0],
    );
    let mut out: Vec<Vec<f64>> = vec![Vec::with_capacity(p.nsteps + 1); p.record.len()];
    let sample = |out: &mut Vec<Vec<f64>>, pp: &NmodlMech, v: f64, ions: &Ions| {
        for (o, name) in out.iter_mut().zip(&p.record) {
            o.push(if name == "v" {
                v
            } else if let Some(ion) = name.strip_prefix("seg.").and_then(IonVar::of) {
                ion.values(ions)[0]
            } else {
                pp.values(name).map_or(f64::NAN, |x| x[0])
            });
        }
    };
    sample(&mut out, &pp, v[0], &ions);
    let cfac = 1e-3 / p.dt;
    let mut t = 0.0;
    for _ in 0..p.nsteps {
        let tm = t + 0.5 * p.dt;
        // NEURON checks the WATCH conditions before delivering the step's events
        let mut fired = Vec::new();
        watches.check(&pp, |_| v[0], &mut fired);
        for (_, flag) in fired {
            queue.push(t, None, flag);
        }
        while let Some(ev) = queue.pop_due(tm) {
            let mut none = vec![0.0; nw];
            let w = match ev.conn {
                Some(c) => &mut weights[c],
                None => &mut none,
            };
            let em = pp.net_receive(0, ev.t, v[0], w, ev.flag);
            schedule(&mut queue, ev.t, ev.conn, em, &mut spikes, &mut watch_req)?;
            watches.activate(&pp, 0, v[0], &watch_req);
        }
        ions.begin_step(p.celsius);
        cur.clear();
        for m in dens.iter_mut() {
            m.current(&env, &v, &mut ions, &mut cur);
        }
        let (mut d, mut rhs) = ([cur.g[0]], [-cur.i[0]]);
        pp.point_current(&env, &v, &mut ions, Some(&scale), &mut d, &mut rhs);
        if let Some((g, e)) = p.pas {
            let i0 = g * (v[0] - e);
            let i1 = g * (v[0] + 0.001 - e);
            d[0] += (i1 - i0) / 0.001;
            rhs[0] -= i0;
        }
        if model.kind != Kind::ArtificialCell {
            d[0] += p.cm * cfac;
            v[0] += rhs[0] / d[0];
        }
        t = tm + 0.5 * p.dt;
        for m in dens.iter_mut() {
            m.advance_states(&env, &v, &mut ions);
        }
        pp.point_advance(&env, &v, &ions);
        sample(&mut out, &pp, v[0], &ions);
    }
    Ok((out, spikes))
}
