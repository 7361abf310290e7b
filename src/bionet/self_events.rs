//! Self events of NMODL point processes in a network (`net_send` from INITIAL or NET_RECEIVE) and
//! what their `net_event` calls ask for.
//!
//! NEURON keeps a self event in the same queue as the NetCon events of its cell's thread and
//! delivers it by the same fixed-step rule: at the start of the first step whose midpoint is at
//! or past its time, NET_RECEIVE running at the event's own time with the `net_send` flag and the
//! weight vector of the event whose NET_RECEIVE sent it (none for INITIAL). A self event stays
//! with its instance, so it never crosses threads or ranks: its order is decided locally, by
//! (time, order of sending).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::nmodl::vm::{EmitKind, Emitted};

/// No weight vector: the event was sent from INITIAL (NET_RECEIVE sees zeros).
pub const NO_WV: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
pub struct SelfEvent {
    pub t: f64,
    seq: u64,
    /// The point-process set (per cell group: `CellSim::points`; artificial cells: their type).
    pub set: u32,
    pub inst: u32,
    /// The weight vector NET_RECEIVE sees.
    pub wv: u32,
    pub flag: f64,
}

impl PartialEq for SelfEvent {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for SelfEvent {}
impl PartialOrd for SelfEvent {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for SelfEvent {
    /// Reversed: the max-heap pops the earliest (time, sending order) first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}

#[derive(Debug, Default)]
pub struct SelfQueue {
    heap: BinaryHeap<SelfEvent>,
    seq: u64,
    /// Per (set, instance): its latest pending self event of flag 1, the one `net_move` moves
    /// (NEURON keeps that event's queue item in the instance).
    movable: HashMap<(u32, u32), SelfEvent>,
    /// Events moved away (left in the heap, skipped when they come up).
    moved: HashSet<u64>,
}

impl SelfQueue {
    pub fn push(&mut self, t: f64, set: u32, inst: u32, wv: u32, flag: f64) {
        self.seq += 1;
        let ev = SelfEvent {
            t,
            seq: self.seq,
            set,
            inst,
            wv,
            flag,
        };
        if flag == 1.0 {
            self.movable.insert((set, inst), ev);
        }
        self.heap.push(ev);
    }

    /// `net_move(t)` of instance `inst` at time `now`: its pending self event of flag 1 is
    /// delivered at `t` instead (queued anew, as NEURON's queue moves an item).
    pub fn move_to(&mut self, now: f64, set: u32, inst: u32, t: f64) -> Result<(), String> {
        let Some(ev) = self.movable.get(&(set, inst)).copied() else {
            return Err(format!(
                "net_move at t={now} ms (instance {inst}): no pending self event with flag 1 to move"
            ));
        };
        if t.is_nan() || t < now {
            return Err(format!(
                "net_move at t={now} ms (instance {inst}) to t={t} ms: an event cannot move into the past"
            ));
        }
        self.moved.insert(ev.seq);
        self.push(t, set, inst, ev.wv, ev.flag);
        Ok(())
    }

    /// Time of the earliest event, if due by `t_lim`.
    pub fn due(&mut self, t_lim: f64) -> Option<f64> {
        while let Some(e) = self.heap.peek() {
            if self.moved.remove(&e.seq) {
                self.heap.pop();
                continue;
            }
            return Some(e.t).filter(|&t| t <= t_lim);
        }
        None
    }

    pub fn pop(&mut self) -> Option<SelfEvent> {
        while let Some(e) = self.heap.pop() {
            if self.moved.remove(&e.seq) {
                continue;
            }
            if self
                .movable
                .get(&(e.set, e.inst))
                .is_some_and(|m| m.seq == e.seq)
            {
                self.movable.remove(&(e.set, e.inst));
            }
            return Some(e);
        }
        None
    }

    pub fn clear(&mut self) {
        self.heap.clear();
        self.movable.clear();
        self.moved.clear();
        self.seq = 0;
    }
}

/// Which queue delivers next, given the times of the NetCon queue's and the self queue's earliest
/// due events: Some(true) the NetCon queue (at equal times too: its events were queued first),
/// Some(false) the self queue, None when neither has an event due.
pub fn edge_first(te: Option<f64>, ts: Option<f64>) -> Option<bool> {
    match (te, ts) {
        (None, None) => None,
        (Some(a), Some(b)) => Some(a <= b),
        (Some(_), None) => Some(true),
        (None, Some(_)) => Some(false),
    }
}

/// Schedules what one run of INITIAL or NET_RECEIVE at time `t` asked for: `net_send(delay,
/// flag)` becomes a self event at `t + delay` for the emitting instance (`inst`, or for
/// INITIAL, which runs every instance, the instance the request names); `net_event(te)` and
/// WATCH requests are handed to `on_other` as (instance, kind, a, b). A negative delay is an
/// error, as in NEURON.
#[allow(clippy::too_many_arguments)]
pub fn schedule(
    q: &mut SelfQueue,
    t: f64,
    set: u32,
    inst: Option<u32>,
    wv: u32,
    emitted: Vec<Emitted>,
    what: &str,
    mut on_other: impl FnMut(u32, EmitKind, f64, f64),
) -> Result<(), String> {
    for (k, kind, a, b) in emitted {
        let i = inst.unwrap_or(k as u32);
        match kind {
            EmitKind::Send => {
                if !(a >= 0.0 && a.is_finite()) {
                    return Err(format!(
                        "{what}: net_send at t={t} ms with delay {a} ms (instance {i}): the delay must be a finite number >= 0"
                    ));
                }
                q.push(t + a, set, i, wv, b);
            }
            EmitKind::Move => q
                .move_to(t, set, i, a)
                .map_err(|e| format!("{what}: {e}"))?,
            EmitKind::Event | EmitKind::Watch => on_other(i, kind, a, b),
        }
    }
    Ok(())
}
