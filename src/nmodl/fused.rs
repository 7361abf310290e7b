//! BREAKPOINT's whole per-step work as one program: the v-free part, the first evaluation at
//! v + 0.001 (the probe), the total current of that evaluation kept, then the evaluation at v.
//!
//! The mechanism otherwise runs three programs and gathers v twice per step, and at 16 instances
//! per call (a soma channel of a cell group) the calls, the gathers and the copy cost about what
//! the arithmetic does. The values are the three programs' own: `v + 0.001` is the same addition
//! the gather does, the programs follow each other unchanged (the probe reading `v1` where it
//! read `v`), so every slot ends bit for bit as in the three-program sequence (jit_tests).

use super::lower::Compiled;
use super::vm::{Fun2, Op, Opnd};
use crate::nmodl::ast::BinOp;

/// What [`fused_current`] adds to the model.
#[derive(Debug, Clone, Default)]
pub struct FusedCurrent {
    pub ops: Vec<Op>,
    /// The slot holding the total current of the evaluation at v + 0.001.
    pub i1_slot: u32,
}

/// The step used for di/dv (NEURON's 0.001 mV).
pub const DV: f64 = 0.001;

/// Builds the fused program, adding its two temporaries and the constant `DV` to `c`.
pub fn fused_current(c: &mut Compiled) -> FusedCurrent {
    let v1 = c.nslots as u32;
    let i1 = v1 + 1;
    c.nslots += 2;
    let dv = c.scalars.len() as u32;
    c.scalars.push(DV);
    c.scalar_names.push(String::new());
    let mut ops = vec![Op::Bin {
        f: Fun2::Op(BinOp::Add),
        dst: v1,
        a: Opnd::S(c.v_slot),
        b: Opnd::G(dv),
    }];
    append(&mut ops, &c.current_pre, None);
    append(&mut ops, &c.current_probe, Some((c.v_slot, v1)));
    ops.push(Op::Store {
        dst: i1,
        a: Opnd::S(c.itot_slot),
        mask: None,
    });
    append(&mut ops, &c.current_v, None);
    FusedCurrent { ops, i1_slot: i1 }
}

/// `part` appended to `ops`, its jump targets moved by the offset (its end is the next part's
/// start) and reads of slot `rename.0` made reads of `rename.1`.
fn append(ops: &mut Vec<Op>, part: &[Op], rename: Option<(u32, u32)>) {
    let base = ops.len();
    for op in part {
        let mut op = op.clone();
        if let Op::SkipIfNone { to, .. } | Op::Jump { to } = &mut op {
            *to += base;
        }
        if let Some((from, to)) = rename {
            rename_reads(&mut op, from, to);
        }
        ops.push(op);
    }
}

fn rename_reads(op: &mut Op, from: u32, to: u32) {
    let fix = |o: &mut Opnd| {
        if *o == Opnd::S(from) {
            *o = Opnd::S(to);
        }
    };
    let fix_slot = |s: &mut u32| {
        if *s == from {
            *s = to;
        }
    };
    match op {
        Op::Bin { a, b, .. } | Op::Emit { a, b, .. } => {
            fix(a);
            fix(b);
        }
        Op::Un { a, .. } | Op::Store { a, .. } => fix(a),
        Op::Mask { cond, parent, .. } => {
            fix(cond);
            if let Some(p) = parent {
                fix_slot(p);
            }
        }
        Op::SkipIfNone { mask, .. } => fix_slot(mask),
        Op::Jump { .. } => {}
        Op::Table { x, .. } => fix(x),
        Op::Rand { args, .. } => args.iter_mut().for_each(fix),
        Op::Solve { mat, rhs, .. } => {
            mat.iter_mut().flatten().for_each(fix);
            rhs.iter_mut().for_each(fix_slot);
        }
    }
    // a masked store keeps its destination's old value where the mask is off: v is never a
    // destination, so nothing else reads it
    if let Op::Store { mask: Some(m), .. } | Op::Table { mask: Some(m), .. } = op {
        fix_slot(m);
    }
    if let Op::Emit { mask: Some(m), .. } | Op::Rand { mask: Some(m), .. } = op {
        fix_slot(m);
    }
}
