//! WATCH statements of NET_RECEIVE, with NEURON's fixed-step semantics (its WatchCondition):
//!
//! - a run of NET_RECEIVE (or its INITIAL) that reaches a WATCH statement first removes every
//!   watch of its instance, then activates the statements it reaches, each with its flag;
//! - on activation the condition's current truth is noted, so a condition already true does not
//!   fire until it has been false;
//! - at the start of every step, before that step's events are delivered, each active condition
//!   is evaluated with the instance's values (v of its node): when it turns true (value > 0 after
//!   <= 0) a self event with the watch's flag is queued at the current time (it is then delivered
//!   in the same step, after the events of earlier or equal time already queued); the watch stays
//!   active and fires again after its condition has been false.
//!
//! One difference from NEURON: the truth noted on activation is evaluated after the NET_RECEIVE
//! run ends, not at the WATCH statement (the same unless the block changes, after the statement,
//! a variable the condition reads).

use super::mech::NmodlMech;

#[derive(Debug, Clone, Copy)]
struct Active {
    number: u32,
    flag: f64,
    above: bool,
}

/// The active watches of every instance of one point-process set.
#[derive(Debug, Default, Clone)]
pub struct Watches {
    active: Vec<Vec<Active>>,
    /// Instances with at least one active watch, sorted.
    watched: Vec<u32>,
}

impl Watches {
    pub fn new(n: usize) -> Watches {
        Watches {
            active: vec![Vec::new(); n],
            watched: Vec::new(),
        }
    }

    pub fn clear(&mut self) {
        self.active.iter_mut().for_each(Vec::clear);
        self.watched.clear();
    }

    /// Applies the WATCH requests `(number, flag)` of one NET_RECEIVE run of instance `inst`, in
    /// statement order, the instance at voltage `v`.
    pub fn activate(&mut self, mech: &NmodlMech, inst: u32, v: f64, requests: &[(u32, f64)]) {
        if requests.is_empty() {
            return;
        }
        let list = &mut self.active[inst as usize];
        list.clear();
        for &(number, flag) in requests {
            let above = mech.watch_value(number, inst as usize, v).unwrap_or(0.0) > 0.0;
            list.retain(|a| a.number != number);
            list.push(Active {
                number,
                flag,
                above,
            });
        }
        if let Err(p) = self.watched.binary_search(&inst) {
            self.watched.insert(p, inst);
        }
    }

    /// Checks every active condition (`v_of(inst)`: the voltage at the instance's node); pushes
    /// (instance, flag) of each that turned true, in instance then statement order.
    pub fn check(
        &mut self,
        mech: &NmodlMech,
        v_of: impl Fn(u32) -> f64,
        fired: &mut Vec<(u32, f64)>,
    ) {
        for &inst in &self.watched {
            let v = v_of(inst);
            for a in self.active[inst as usize].iter_mut() {
                let now = mech.watch_value(a.number, inst as usize, v).unwrap_or(0.0) > 0.0;
                if now && !a.above {
                    fired.push((inst, a.flag));
                }
                a.above = now;
            }
        }
    }
}
