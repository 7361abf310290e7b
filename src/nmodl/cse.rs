//! Common subexpressions: an operation that computes what an earlier one of the same block already
//! computed, from operands unchanged since, is dropped (its slot already holds the value) or
//! becomes a copy. NMODL files repeat themselves (NaV's `rates()` evaluates `exp(v/x1)` eight
//! times); the lowering reuses temporaries statement by statement, so a repeated subexpression
//! usually lands in the same slot and costs nothing. The values are those of the original
//! program, bit for bit: only repeated evaluations of pure functions disappear.
//!
//! Copies (`t = s`, and what a repeated expression in another slot becomes) are propagated: reads
//! of `t` read `s` until either is written, and the copy is made only if it is still needed then,
//! at the end of a block, or at the end of the program for a variable. Blocks end at every `if`
//! (SkipIfNone) and every jump target; programs with loops are left alone.

use std::collections::HashMap;

use super::vm::{Fun, Fun2, Op, Opnd};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Bin(Fun2, Opnd, Opnd),
    Un(Fun, Opnd),
}

fn writes(op: &Op) -> Vec<u32> {
    match op {
        Op::Bin { dst, .. } | Op::Un { dst, .. } | Op::Store { dst, .. } | Op::Mask { dst, .. } => {
            vec![*dst]
        }
        Op::Table { outs, .. } => outs.clone(),
        Op::Solve { out, .. } => out.clone(),
        Op::Rand { dst, .. } => vec![*dst],
        _ => Vec::new(),
    }
}

fn mentions(key: &Key, s: u32) -> bool {
    let is = |o: &Opnd| *o == Opnd::S(s);
    match key {
        Key::Bin(_, a, b) => is(a) || is(b),
        Key::Un(_, a) => is(a),
    }
}

/// Removes repeated pure operations and propagates copies in `ops` (see the module note); slots
/// from `first_tmp` on are temporaries.
pub fn eliminate(ops: &mut Vec<Op>, first_tmp: u32) {
    if ops.iter().any(|o| matches!(o, Op::Jump { .. })) {
        return;
    }
    let mut targets = vec![false; ops.len() + 1];
    for op in ops.iter() {
        if let Op::SkipIfNone { to, .. } = op {
            targets[*to] = true;
        }
    }
    let mut st = State {
        known: HashMap::new(),
        alias: HashMap::new(),
        out: Vec::with_capacity(ops.len()),
    };
    let mut new_at = Vec::with_capacity(ops.len() + 1);
    for (k, mut op) in ops.drain(..).enumerate() {
        if targets[k] || matches!(op, Op::SkipIfNone { .. }) {
            // a block boundary: every pending copy is made, nothing is known any more
            new_at.push(st.out.len());
            st.materialize_all(|_| true);
            st.known.clear();
        } else {
            new_at.push(st.out.len());
        }
        // slots read as such (not as operands) must hold their values
        let raw = raw_reads(&op);
        st.materialize_all(|(t, _)| raw.contains(t));
        let plain_dst = match &op {
            Op::Bin { dst, .. }
            | Op::Un { dst, .. }
            | Op::Store {
                dst, mask: None, ..
            } => Some(*dst),
            _ => None,
        };
        // slots this op writes: pending copies from them are made first (so no read is redirected
        // to the slot being written), copies into them are made if the write blends into the old
        // value (masked), dropped after the reads if it replaces it
        for w in writes(&op) {
            st.materialize_all(|(_, a)| *a == Opnd::S(w));
            if plain_dst != Some(w) {
                st.materialize_all(|(t, _)| *t == w);
            }
        }
        st.rewrite_reads(&mut op);
        if let Some(w) = plain_dst {
            st.alias.remove(&w);
        }
        let key = match &op {
            Op::Bin { f, a, b, .. } => Some(Key::Bin(*f, *a, *b)),
            Op::Un { f, a, .. } => Some(Key::Un(*f, *a)),
            _ => None,
        };
        if let (Some(key), Some(dst)) = (key, plain_dst) {
            if let Some(&held) = st.known.get(&key) {
                if held != dst {
                    invalidate(&mut st.known, dst);
                    st.alias.insert(dst, Opnd::S(held));
                }
                continue;
            }
        }
        if let Op::Store { dst, a, mask: None } = op {
            invalidate(&mut st.known, dst);
            if a != Opnd::S(dst) {
                st.alias.insert(dst, a);
            }
            continue;
        }
        for w in writes(&op) {
            invalidate(&mut st.known, w);
        }
        if let (Some(key), Some(dst)) = (key, plain_dst) {
            // x = f(x) overwrote its own operand: the key no longer describes x's value
            if !mentions(&key, dst) {
                st.known.insert(key, dst);
            }
        }
        st.out.push(op);
    }
    new_at.push(st.out.len());
    // the program's variables get their values; temporaries are not read after it
    st.materialize_all(|(t, _)| *t < first_tmp);
    let mut out = st.out;
    for op in out.iter_mut() {
        if let Op::SkipIfNone { to, .. } = op {
            *to = new_at[*to];
        }
    }
    *ops = out;
}

struct State {
    known: HashMap<Key, u32>,
    /// Pending copies: slot -> the operand whose value it holds (its reads are redirected there).
    alias: HashMap<u32, Opnd>,
    out: Vec<Op>,
}

impl State {
    fn materialize_all(&mut self, which: impl Fn(&(u32, Opnd)) -> bool) {
        let mut due: Vec<(u32, Opnd)> = self
            .alias
            .iter()
            .map(|(t, a)| (*t, *a))
            .filter(|e| which(e))
            .collect();
        due.sort_unstable_by_key(|(t, _)| *t);
        for (t, a) in due {
            self.alias.remove(&t);
            self.out.push(Op::Store {
                dst: t,
                a,
                mask: None,
            });
        }
    }

    fn rewrite_reads(&self, op: &mut Op) {
        let fix = |o: &mut Opnd| {
            if let Opnd::S(s) = *o {
                if let Some(a) = self.alias.get(&s) {
                    *o = *a;
                }
            }
        };
        match op {
            Op::Bin { a, b, .. } => {
                fix(a);
                fix(b);
            }
            Op::Un { a, .. } | Op::Store { a, .. } => fix(a),
            Op::Mask { cond, .. } => fix(cond),
            Op::Table { x, .. } => fix(x),
            Op::Emit { a, b, .. } => {
                fix(a);
                fix(b);
            }
            Op::Solve { mat, .. } => mat.iter_mut().flatten().for_each(fix),
            Op::Rand { args, .. } => args.iter_mut().for_each(fix),
            Op::SkipIfNone { .. } | Op::Jump { .. } => {}
        }
    }
}

/// Slots an op reads by number rather than through an operand.
fn raw_reads(op: &Op) -> Vec<u32> {
    match op {
        Op::Store { mask, .. } => mask.iter().copied().collect(),
        Op::Mask { parent, .. } => parent.iter().copied().collect(),
        Op::SkipIfNone { mask, .. } => vec![*mask],
        Op::Table { mask, .. } | Op::Emit { mask, .. } | Op::Rand { mask, .. } => {
            mask.iter().copied().collect()
        }
        Op::Solve { rhs, .. } => rhs.clone(),
        _ => Vec::new(),
    }
}

fn invalidate(known: &mut HashMap<Key, u32>, w: u32) {
    known.retain(|key, held| *held != w && !mentions(key, w));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nmodl::ast::BinOp;

    fn div(dst: u32, a: Opnd, b: Opnd) -> Op {
        Op::Bin {
            f: Fun2::Op(BinOp::Div),
            dst,
            a,
            b,
        }
    }

    #[test]
    fn repeated_expression_in_the_same_slot_is_dropped_and_a_changed_operand_is_not() {
        let v = Opnd::S(0);
        let mut ops = vec![
            div(5, v, Opnd::G(1)),
            Op::Un {
                f: Fun::Exp,
                dst: 6,
                a: Opnd::S(5),
            },
            div(5, v, Opnd::G(1)),
            Op::Un {
                f: Fun::Exp,
                dst: 6,
                a: Opnd::S(5),
            },
            div(7, v, Opnd::G(1)),
            Op::Store {
                dst: 0,
                a: Opnd::S(6),
                mask: None,
            },
            div(5, v, Opnd::G(1)),
        ];
        eliminate(&mut ops, 1);
        // the repeats are gone; slot 7's copy of slot 5 is made before slot 5 changes; v's new
        // value (a copy of slot 6) is what the last division reads, and v gets it at the end
        assert_eq!(ops.len(), 5, "{ops:#?}");
        assert!(matches!(
            ops[2],
            Op::Store {
                dst: 7,
                a: Opnd::S(5),
                ..
            }
        ));
        assert!(matches!(
            ops[3],
            Op::Bin {
                dst: 5,
                a: Opnd::S(6),
                ..
            }
        ));
        assert!(matches!(
            ops[4],
            Op::Store {
                dst: 0,
                a: Opnd::S(6),
                ..
            }
        ));
    }
}
