//! Uniform hoisting: a temporary whose value depends only on scalars (GLOBAL parameters, constants,
//! `dt`, `celsius`, `t`) is the same for every instance, so it is computed once per run into a new
//! scalar instead of once per instance (`qt = 2.3^((celsius - 23)/10)` of the Allen channels was a
//! `pow` per instance and step). The arithmetic is the same operation on the same values, so the
//! results are bit for bit those of the unhoisted program.
//!
//! Only temporaries are hoisted (persistent slots are recordable variables and keep their per
//! instance values), and only those written by plain unmasked arithmetic everywhere in the
//! program: a slot that is ever the target of a masked store, a table, a solve or a mask stays per
//! instance. Programs with loops (`while`) are left alone; `if` blocks are fine: a hoisted
//! operation inside one is pure and its temporary is not read after the block.

use super::vm::{Fun, Fun2, Op, Opnd};

/// One operation of a run's scalar prelude: `g[dst] = f(g[a], g[b])`.
#[derive(Debug, Clone)]
pub enum ScalarOp {
    Bin { f: Fun2, dst: u32, a: u32, b: u32 },
    Un { f: Fun, dst: u32, a: u32 },
    Copy { dst: u32, a: u32 },
}

/// Rewrites `ops` (temporaries from slot `first_tmp` on) so that uniform temporaries become
/// scalars appended to `scalars` (and named in `names`); returns the prelude computing them.
pub fn hoist(
    ops: &mut Vec<Op>,
    first_tmp: u32,
    scalars: &mut Vec<f64>,
    names: &mut Vec<String>,
) -> Vec<ScalarOp> {
    if ops.iter().any(|o| matches!(o, Op::Jump { .. })) {
        return Vec::new();
    }
    // slots that something other than plain unmasked arithmetic writes: never hoisted
    let mut pinned = std::collections::HashSet::new();
    for op in ops.iter() {
        match op {
            Op::Store {
                dst, mask: Some(_), ..
            }
            | Op::Mask { dst, .. } => {
                pinned.insert(*dst);
            }
            Op::Table { outs, .. } => pinned.extend(outs.iter().copied()),
            Op::Solve { out, .. } => pinned.extend(out.iter().copied()),
            // a draw differs per instance and per call: never a uniform value
            Op::Rand { dst, .. } => {
                pinned.insert(*dst);
            }
            _ => {}
        }
    }
    let mut current: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    let mut prelude = Vec::new();
    let mut out = Vec::with_capacity(ops.len());
    // new index of every old operation (and of the end), for the jump targets
    let mut new_at = Vec::with_capacity(ops.len() + 1);
    let uniform = |o: Opnd, current: &std::collections::HashMap<u32, u32>| match o {
        Opnd::G(g) => Some(g),
        Opnd::S(s) => current.get(&s).copied(),
    };
    for mut op in ops.drain(..) {
        new_at.push(out.len());
        rewrite_reads(&mut op, &current);
        let hoistable = |dst: u32| dst >= first_tmp && !pinned.contains(&dst);
        let scalar = match &op {
            Op::Bin { f, dst, a, b } if hoistable(*dst) => {
                match (uniform(*a, &current), uniform(*b, &current)) {
                    (Some(a), Some(b)) => Some((
                        *dst,
                        ScalarOp::Bin {
                            f: *f,
                            dst: 0,
                            a,
                            b,
                        },
                    )),
                    _ => None,
                }
            }
            Op::Un { f, dst, a } if hoistable(*dst) => {
                uniform(*a, &current).map(|a| (*dst, ScalarOp::Un { f: *f, dst: 0, a }))
            }
            Op::Store { dst, a, mask: None } if hoistable(*dst) => {
                uniform(*a, &current).map(|a| (*dst, ScalarOp::Copy { dst: 0, a }))
            }
            _ => None,
        };
        match scalar {
            Some((slot, mut sop)) => {
                let g = scalars.len() as u32;
                scalars.push(0.0);
                names.push(String::new());
                match &mut sop {
                    ScalarOp::Bin { dst, .. }
                    | ScalarOp::Un { dst, .. }
                    | ScalarOp::Copy { dst, .. } => *dst = g,
                }
                prelude.push(sop);
                current.insert(slot, g);
            }
            None => {
                for w in written(&op) {
                    current.remove(&w);
                }
                out.push(op);
            }
        }
    }
    new_at.push(out.len());
    for op in out.iter_mut() {
        if let Op::SkipIfNone { to, .. } = op {
            *to = new_at[*to];
        }
    }
    *ops = out;
    prelude
}

fn written(op: &Op) -> Vec<u32> {
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

fn rewrite_reads(op: &mut Op, current: &std::collections::HashMap<u32, u32>) {
    let fix = |o: &mut Opnd| {
        if let Opnd::S(s) = *o {
            if let Some(&g) = current.get(&s) {
                *o = Opnd::G(g);
            }
        }
    };
    match op {
        Op::Bin { a, b, .. } => {
            fix(a);
            fix(b);
        }
        Op::Un { a, .. } => fix(a),
        Op::Store { a, .. } => fix(a),
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

/// Runs a prelude on the scalars.
pub fn run_prelude(prelude: &[ScalarOp], g: &mut [f64]) {
    for op in prelude {
        match *op {
            ScalarOp::Bin { f, dst, a, b } => {
                g[dst as usize] = super::vm::eval2(f, g[a as usize], g[b as usize])
            }
            ScalarOp::Un { f, dst, a } => g[dst as usize] = super::vm::eval1(f, g[a as usize]),
            ScalarOp::Copy { dst, a } => g[dst as usize] = g[a as usize],
        }
    }
}

/// The scalars a prelude reads that it does not compute itself: its result depends on these only.
pub fn prelude_inputs(prelude: &[ScalarOp]) -> Vec<u32> {
    let mut written = std::collections::HashSet::new();
    let mut inputs = Vec::new();
    for op in prelude {
        let (dst, reads) = match *op {
            ScalarOp::Bin { dst, a, b, .. } => (dst, vec![a, b]),
            ScalarOp::Un { dst, a, .. } | ScalarOp::Copy { dst, a } => (dst, vec![a]),
        };
        for r in reads {
            if !written.contains(&r) && !inputs.contains(&r) {
                inputs.push(r);
            }
        }
        written.insert(dst);
    }
    inputs
}
