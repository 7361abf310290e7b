//! The first of BREAKPOINT's two evaluations (at v + 0.001, for di/dv) trimmed to what the
//! second evaluation cannot overwrite.
//!
//! NEURON evaluates the v-dependent statements twice per step and keeps only the total current of
//! the first; everything else the first writes, the second writes again, unless a branch or mask
//! lets the second skip it, or the second reads it before writing it. The probe program keeps
//! exactly those writes (and what they need), so a channel whose BREAKPOINT calls a rate procedure
//! (Nap's `rates()` computes both gates' rates, the current needs one) runs the rest once.

use std::collections::BTreeSet;

use super::lower::{read_before_written, reads_any, skippable, writes};
use super::vm::Op;

/// `ops` (BREAKPOINT's v-dependent part) without the operations whose results neither reach the
/// total current `itot` nor survive the second evaluation. `persistent(slot)`: the slot's value
/// outlives the program (a variable, or a temporary another program reads). Jump targets are
/// renumbered.
pub(crate) fn probe_program(ops: &[Op], itot: u32, persistent: &dyn Fn(u32) -> bool) -> Vec<Op> {
    let skip = skippable(ops);
    // What the second run may leave as the first run wrote it (written by a skippable or masked
    // write only), or reads from the first run (reads before writing).
    let mut live: BTreeSet<u32> = read_before_written(ops);
    live.insert(itot);
    for (pc, op) in ops.iter().enumerate() {
        let masked = matches!(op, Op::Store { mask: Some(_), .. });
        for w in writes(op) {
            if (skip[pc] || masked) && persistent(w) {
                live.insert(w);
            }
        }
    }
    let removable = |op: &Op| {
        matches!(
            op,
            Op::Bin { .. } | Op::Un { .. } | Op::Store { .. } | Op::Mask { .. }
        )
    };
    // Backward liveness from the end. Temporaries are reused, so a write that every instance
    // runs ends its slot's earlier value's life; a skippable or masked write does not.
    let mut keep = vec![true; ops.len()];
    for pc in (0..ops.len()).rev() {
        let op = &ops[pc];
        if removable(op) && writes(op).iter().all(|w| !live.contains(w)) {
            keep[pc] = false;
            continue;
        }
        if !skip[pc] && !matches!(op, Op::Store { mask: Some(_), .. }) {
            for w in writes(op) {
                live.remove(&w);
            }
        }
        live.extend(reads_any(op));
    }
    // new index of each old position (a removed target moves to the next kept operation)
    let mut at = Vec::with_capacity(ops.len() + 1);
    let mut n = 0;
    for &k in &keep {
        at.push(n);
        n += k as usize;
    }
    at.push(n);
    ops.iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(op, _)| {
            let mut op = op.clone();
            if let Op::SkipIfNone { to, .. } | Op::Jump { to } = &mut op {
                *to = at[(*to).min(ops.len())];
            }
            op
        })
        .collect()
}
