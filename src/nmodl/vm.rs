//! The vectorised interpreter. A program is a flat list of operations on *slots*: one `f64` per
//! instance each (structure of arrays). Every operation is applied to a chunk of instances before
//! the next one runs, so dispatch costs once per chunk and each operation is a tight loop that the
//! compiler vectorizes. Control flow (`if`, `while`) runs under masks: every lane computes, stores
//! happen only where the mask holds, and a branch that no lane of the chunk takes is skipped.

use super::ast::BinOp;
use super::random::{RandFn, Stream};

/// Instances processed together: small enough that the slots touched stay in L1.
pub const CHUNK: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opnd {
    /// A per-instance slot.
    S(u32),
    /// A scalar: GLOBAL parameter, constant, `dt`, `celsius`, `t`.
    G(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fun {
    Neg,
    Not,
    Exp,
    /// libm's `exp` (what NEURON's compiled code calls); `Exp` is the engine's vectorizable one
    /// (2 ulp). Kept for measurements against it.
    ExpLibm,
    Log,
    Log10,
    Fabs,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Ceil,
    /// NEURON's `exprelr(x) = x / (exp(x) - 1)` (1 at x = 0).
    Exprelr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fun2 {
    Op(BinOp),
    Atan2,
    Fmod,
    Fmin,
    Fmax,
}

#[derive(Debug, Clone)]
pub enum Op {
    Bin {
        f: Fun2,
        dst: u32,
        a: Opnd,
        b: Opnd,
    },
    Un {
        f: Fun,
        dst: u32,
        a: Opnd,
    },
    /// `dst = a` where the mask (if any) is non-zero.
    Store {
        dst: u32,
        a: Opnd,
        mask: Option<u32>,
    },
    /// `dst = parent && (cond != 0)` (or `== 0` when `negate`), as 1.0 / 0.0.
    Mask {
        dst: u32,
        parent: Option<u32>,
        cond: Opnd,
        negate: bool,
    },
    /// Jumps to `to` when no lane of the chunk has the mask set.
    SkipIfNone {
        mask: u32,
        to: usize,
    },
    Jump {
        to: usize,
    },
    /// Table interpolation of table `id` at `x` into `outs` (one per tabulated quantity).
    Table {
        id: u32,
        x: Opnd,
        outs: Vec<u32>,
        mask: Option<u32>,
    },
    /// Records an event request of the lanes where the mask holds (NET_RECEIVE's `net_send`,
    /// `net_event`): the caller schedules it after the program ran.
    Emit {
        kind: EmitKind,
        a: Opnd,
        b: Opnd,
        mask: Option<u32>,
    },
    /// `dst = f(stream, args)` on RANDOM variable `var`'s stream of each lane where the mask holds
    /// (the draws change the stream: the interpreter runs it, native code never does).
    Rand {
        f: RandFn,
        var: u32,
        dst: u32,
        args: Vec<Opnd>,
        mask: Option<u32>,
    },
    /// Per lane: solves `mat x = rhs` (n x n, row major, `None` entries are 0) into `out`.
    Solve {
        n: usize,
        mat: Vec<Option<Opnd>>,
        rhs: Vec<u32>,
        out: Vec<u32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitKind {
    /// `net_send(delay, flag)`: a self event.
    Send,
    /// `net_event(t)`: a spike of the artificial cell (`a` is the time).
    Event,
    /// `WATCH (cond) flag`: (re)activates WATCH statement number `a` with flag `b`.
    Watch,
    /// `net_move(t)`: the instance's pending self event of flag 1 moves to time `a`.
    Move,
}

/// One request made by an [`Op::Emit`]: (instance, kind, a, b).
pub type Emitted = (usize, EmitKind, f64, f64);

/// A tabulated function of one variable: NEURON's TABLE with `with` intervals from `tmin`.
#[derive(Debug, Clone, Default)]
pub struct TableData {
    pub tmin: f64,
    pub mfac: f64,
    pub with: usize,
    /// One column of `with + 1` values per output.
    pub values: Vec<Vec<f64>>,
}

impl TableData {
    #[inline]
    fn lookup(&self, col: usize, xi: f64) -> f64 {
        let t = &self.values[col];
        if xi.is_nan() {
            return xi;
        }
        if xi <= 0.0 {
            return t[0];
        }
        if xi >= self.with as f64 {
            return t[self.with];
        }
        let i = xi as usize;
        let theta = xi - i as f64;
        t[i] + theta * (t[i + 1] - t[i])
    }
}

/// Slot storage of all instances: `slots[s][k]` is slot `s` of instance `k`.
#[derive(Debug, Clone)]
pub struct Frame {
    pub n: usize,
    pub slots: Vec<Vec<f64>>,
    /// Event requests made by the last programs run (drained by the caller).
    pub events: Vec<Emitted>,
    /// `streams[var][k]`: RANDOM variable `var` of instance `k` (random.rs); beside the slots,
    /// not in them (a stream is not a number).
    pub streams: Vec<Vec<Stream>>,
    /// A chunk's copy of an operand that is also the destination (kept here: no allocation or
    /// clearing per op or per run).
    scratch: Vec<f64>,
    /// The slots' base addresses for native code, built on first use. Valid because a slot's
    /// vector is never replaced or resized after `new` (the interpreter takes one out and puts
    /// the same one back within an operation).
    ptrs: SlotAddresses,
}

/// Base addresses of a frame's slots; a clone starts empty (the addresses are the original's).
#[derive(Debug, Default)]
struct SlotAddresses(Vec<usize>);

impl Clone for SlotAddresses {
    fn clone(&self) -> Self {
        SlotAddresses(Vec::new())
    }
}

impl Frame {
    pub fn new(nslots: usize, n: usize) -> Self {
        Frame {
            n,
            slots: vec![vec![0.0; n]; nslots],
            events: Vec::new(),
            streams: Vec::new(),
            scratch: vec![0.0; CHUNK],
            ptrs: SlotAddresses::default(),
        }
    }

    /// The slots' base addresses (see `ptrs`), each slot at least `n` long.
    pub fn slot_addresses(&mut self) -> &[usize] {
        if self.ptrs.0.len() != self.slots.len() {
            let n = self.n;
            for s in self.slots.iter_mut() {
                if s.len() < n {
                    s.resize(n, 0.0);
                }
            }
            self.ptrs.0 = self
                .slots
                .iter_mut()
                .map(|s| s.as_mut_ptr() as usize)
                .collect();
        }
        debug_assert!(self
            .slots
            .iter()
            .zip(&self.ptrs.0)
            .all(|(s, &p)| s.as_ptr() as usize == p && s.len() >= self.n));
        &self.ptrs.0
    }
}

enum In<'a> {
    V(&'a [f64]),
    C(f64),
}

#[inline(always)]
fn inp<'a>(slots: &'a [Vec<f64>], g: &[f64], o: Opnd, c0: usize, c1: usize) -> In<'a> {
    match o {
        Opnd::S(s) => In::V(&slots[s as usize][c0..c1]),
        Opnd::G(i) => In::C(g[i as usize]),
    }
}

// The loops below walk zipped iterators, not indices: with index bounds checks LLVM keeps a
// scalar epilogue of a whole vector block, so a chunk of exactly 16 instances (a 16-lane cell
// group's soma channels) ran entirely scalar. Element-wise: the values are the same either way.
#[inline(always)]
fn apply2(d: &mut [f64], a: In, b: In, f: impl Fn(f64, f64) -> f64) {
    match (a, b) {
        (In::V(a), In::V(b)) => {
            for ((d, &a), &b) in d.iter_mut().zip(a).zip(b) {
                *d = f(a, b);
            }
        }
        (In::V(a), In::C(b)) => {
            for (d, &a) in d.iter_mut().zip(a) {
                *d = f(a, b);
            }
        }
        (In::C(a), In::V(b)) => {
            for (d, &b) in d.iter_mut().zip(b) {
                *d = f(a, b);
            }
        }
        (In::C(a), In::C(b)) => d.iter_mut().for_each(|x| *x = f(a, b)),
    }
}

#[inline(always)]
fn apply1(d: &mut [f64], a: In, f: impl Fn(f64) -> f64) {
    match a {
        In::V(a) => {
            for (d, &a) in d.iter_mut().zip(a) {
                *d = f(a);
            }
        }
        In::C(a) => d.iter_mut().for_each(|x| *x = f(a)),
    }
}

fn b2f(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// The engine's vectorizable `exp` (2 ulp, as the hand-written mechanisms use), with libm's
/// limits: 0 below -708 (libm gives subnormals down to -745) and infinity above 709.
#[inline(always)]
fn fast_exp(x: f64) -> f64 {
    let y = crate::bionet::mechanisms::exp(x);
    if x < -708.0 {
        0.0
    } else if x > 709.0 {
        f64::INFINITY
    } else {
        y
    }
}

/// `f(x)` as the vector loops compute it (the same functions).
pub fn eval1(f: Fun, x: f64) -> f64 {
    match f {
        Fun::Neg => -x,
        Fun::Not => b2f(x == 0.0),
        Fun::Exp => fast_exp(x),
        Fun::ExpLibm => x.exp(),
        Fun::Log => x.ln(),
        Fun::Log10 => x.log10(),
        Fun::Fabs => x.abs(),
        Fun::Sqrt => x.sqrt(),
        Fun::Sin => x.sin(),
        Fun::Cos => x.cos(),
        Fun::Tan => x.tan(),
        Fun::Asin => x.asin(),
        Fun::Acos => x.acos(),
        Fun::Atan => x.atan(),
        Fun::Sinh => x.sinh(),
        Fun::Cosh => x.cosh(),
        Fun::Tanh => x.tanh(),
        Fun::Floor => x.floor(),
        Fun::Ceil => x.ceil(),
        Fun::Exprelr => exprelr(x),
    }
}

/// `f(x, y)` as the vector loops compute it.
pub fn eval2(f: Fun2, x: f64, y: f64) -> f64 {
    match f {
        Fun2::Op(op) => match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
            BinOp::Pow => x.powf(y),
            BinOp::Lt => b2f(x < y),
            BinOp::Le => b2f(x <= y),
            BinOp::Gt => b2f(x > y),
            BinOp::Ge => b2f(x >= y),
            BinOp::Eq => b2f(x == y),
            BinOp::Ne => b2f(x != y),
            BinOp::And => b2f(x != 0.0 && y != 0.0),
            BinOp::Or => b2f(x != 0.0 || y != 0.0),
        },
        Fun2::Atan2 => x.atan2(y),
        Fun2::Fmod => x % y,
        Fun2::Fmin => x.min(y),
        Fun2::Fmax => x.max(y),
    }
}

pub fn exprelr(x: f64) -> f64 {
    if 1.0 + x == 1.0 {
        1.0
    } else {
        x / x.exp_m1()
    }
}

/// Runs `ops` over all instances of `frame`.
pub fn run(ops: &[Op], frame: &mut Frame, g: &[f64], tables: &[TableData]) {
    let n = frame.n;
    let mut c0 = 0;
    while c0 < n {
        let c1 = (c0 + CHUNK).min(n);
        #[cfg(target_arch = "x86_64")]
        if crate::bionet::mechanisms::has_avx2() {
            // SAFETY: the CPU has AVX2 (checked at run time). The same code, wider vectors: no
            // fused multiply-add is enabled, so every value is rounded as in the portable build.
            unsafe { run_chunk_avx2(ops, frame, g, tables, c0, c1) };
            c0 = c1;
            continue;
        }
        run_chunk(ops, frame, g, tables, c0, c1);
        c0 = c1;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_chunk_avx2(
    ops: &[Op],
    frame: &mut Frame,
    g: &[f64],
    tables: &[TableData],
    c0: usize,
    c1: usize,
) {
    run_chunk(ops, frame, g, tables, c0, c1)
}

#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn run_chunk(ops: &[Op], frame: &mut Frame, g: &[f64], tables: &[TableData], c0: usize, c1: usize) {
    let Frame {
        slots,
        events,
        streams,
        scratch: ownbuf,
        ..
    } = frame;
    let mut pc = 0;
    while pc < ops.len() {
        match &ops[pc] {
            Op::Bin { f, dst, a, b } => {
                let mut dv = std::mem::take(&mut slots[*dst as usize]);
                {
                    // an operand that is the destination itself is read from a copy
                    let own = &mut ownbuf[..c1 - c0];
                    if *a == Opnd::S(*dst) || *b == Opnd::S(*dst) {
                        own.copy_from_slice(&dv[c0..c1]);
                    }
                    let own = &*own;
                    let d = &mut dv[c0..c1];
                    let pick = |o: Opnd| {
                        if o == Opnd::S(*dst) {
                            In::V(own)
                        } else {
                            inp(slots, g, o, c0, c1)
                        }
                    };
                    let a = pick(*a);
                    let b = pick(*b);
                    match f {
                        Fun2::Op(op) => match op {
                            BinOp::Add => apply2(d, a, b, |x, y| x + y),
                            BinOp::Sub => apply2(d, a, b, |x, y| x - y),
                            BinOp::Mul => apply2(d, a, b, |x, y| x * y),
                            BinOp::Div => apply2(d, a, b, |x, y| x / y),
                            BinOp::Pow => apply2(d, a, b, f64::powf),
                            BinOp::Lt => apply2(d, a, b, |x, y| b2f(x < y)),
                            BinOp::Le => apply2(d, a, b, |x, y| b2f(x <= y)),
                            BinOp::Gt => apply2(d, a, b, |x, y| b2f(x > y)),
                            BinOp::Ge => apply2(d, a, b, |x, y| b2f(x >= y)),
                            BinOp::Eq => apply2(d, a, b, |x, y| b2f(x == y)),
                            BinOp::Ne => apply2(d, a, b, |x, y| b2f(x != y)),
                            BinOp::And => apply2(d, a, b, |x, y| b2f(x != 0.0 && y != 0.0)),
                            BinOp::Or => apply2(d, a, b, |x, y| b2f(x != 0.0 || y != 0.0)),
                        },
                        Fun2::Atan2 => apply2(d, a, b, f64::atan2),
                        Fun2::Fmod => apply2(d, a, b, |x, y| x % y),
                        Fun2::Fmin => apply2(d, a, b, f64::min),
                        Fun2::Fmax => apply2(d, a, b, f64::max),
                    }
                }
                slots[*dst as usize] = dv;
            }
            Op::Un { f, dst, a } => {
                let mut dv = std::mem::take(&mut slots[*dst as usize]);
                {
                    let own = &mut ownbuf[..c1 - c0];
                    if *a == Opnd::S(*dst) {
                        own.copy_from_slice(&dv[c0..c1]);
                    }
                    let own = &*own;
                    let d = &mut dv[c0..c1];
                    let a = if *a == Opnd::S(*dst) {
                        In::V(own)
                    } else {
                        inp(slots, g, *a, c0, c1)
                    };
                    match f {
                        Fun::Neg => apply1(d, a, |x| -x),
                        Fun::Not => apply1(d, a, |x| b2f(x == 0.0)),
                        Fun::Exp => apply1(d, a, fast_exp),
                        Fun::ExpLibm => apply1(d, a, f64::exp),
                        Fun::Log => apply1(d, a, f64::ln),
                        Fun::Log10 => apply1(d, a, f64::log10),
                        Fun::Fabs => apply1(d, a, f64::abs),
                        Fun::Sqrt => apply1(d, a, f64::sqrt),
                        Fun::Sin => apply1(d, a, f64::sin),
                        Fun::Cos => apply1(d, a, f64::cos),
                        Fun::Tan => apply1(d, a, f64::tan),
                        Fun::Asin => apply1(d, a, f64::asin),
                        Fun::Acos => apply1(d, a, f64::acos),
                        Fun::Atan => apply1(d, a, f64::atan),
                        Fun::Sinh => apply1(d, a, f64::sinh),
                        Fun::Cosh => apply1(d, a, f64::cosh),
                        Fun::Tanh => apply1(d, a, f64::tanh),
                        Fun::Floor => apply1(d, a, f64::floor),
                        Fun::Ceil => apply1(d, a, f64::ceil),
                        Fun::Exprelr => apply1(d, a, exprelr),
                    }
                }
                slots[*dst as usize] = dv;
            }
            Op::Store { dst, a, mask } => {
                if *a != Opnd::S(*dst) {
                    let mut dv = std::mem::take(&mut slots[*dst as usize]);
                    {
                        let d = &mut dv[c0..c1];
                        let a = inp(slots, g, *a, c0, c1);
                        match mask {
                            None => apply1(d, a, |x| x),
                            Some(m) => {
                                let m = &slots[*m as usize][c0..c1];
                                match a {
                                    In::V(a) => {
                                        for ((d, &m), &a) in d.iter_mut().zip(m).zip(a) {
                                            *d = if m != 0.0 { a } else { *d };
                                        }
                                    }
                                    In::C(a) => {
                                        for (d, &m) in d.iter_mut().zip(m) {
                                            *d = if m != 0.0 { a } else { *d };
                                        }
                                    }
                                }
                            }
                        }
                    }
                    slots[*dst as usize] = dv;
                }
            }
            Op::Mask {
                dst,
                parent,
                cond,
                negate,
            } => {
                let mut dv = std::mem::take(&mut slots[*dst as usize]);
                {
                    let d = &mut dv[c0..c1];
                    let c = inp(slots, g, *cond, c0, c1);
                    let neg = *negate;
                    apply1(d, c, |x| b2f((x != 0.0) != neg));
                    if let Some(p) = parent {
                        let p = &slots[*p as usize][c0..c1];
                        for (d, &p) in d.iter_mut().zip(p) {
                            *d = if p != 0.0 { *d } else { 0.0 };
                        }
                    }
                }
                slots[*dst as usize] = dv;
            }
            Op::SkipIfNone { mask, to } => {
                if slots[*mask as usize][c0..c1].iter().all(|&x| x == 0.0) {
                    pc = *to;
                    continue;
                }
            }
            Op::Jump { to } => {
                pc = *to;
                continue;
            }
            Op::Table { id, x, outs, mask } => {
                let t = &tables[*id as usize];
                let xs: Vec<f64> = match inp(slots, g, *x, c0, c1) {
                    In::V(v) => v.iter().map(|&x| t.mfac * (x - t.tmin)).collect(),
                    In::C(c) => vec![t.mfac * (c - t.tmin); c1 - c0],
                };
                let mvals: Option<Vec<f64>> = mask.map(|m| slots[m as usize][c0..c1].to_vec());
                for (col, &o) in outs.iter().enumerate() {
                    let d = &mut slots[o as usize][c0..c1];
                    for k in 0..d.len() {
                        if mvals.as_ref().is_none_or(|m| m[k] != 0.0) {
                            d[k] = t.lookup(col, xs[k]);
                        }
                    }
                }
            }
            Op::Emit { kind, a, b, mask } => {
                let val = |o: Opnd, k: usize| match o {
                    Opnd::S(s) => slots[s as usize][k],
                    Opnd::G(i) => g[i as usize],
                };
                for k in c0..c1 {
                    if mask.is_none_or(|m| slots[m as usize][k] != 0.0) {
                        events.push((k, *kind, val(*a, k), val(*b, k)));
                    }
                }
            }
            Op::Rand {
                f,
                var,
                dst,
                args,
                mask,
            } => {
                let mut vals = [0.0; 3];
                for k in c0..c1 {
                    if mask.is_some_and(|m| slots[m as usize][k] == 0.0) {
                        continue;
                    }
                    for (v, o) in vals.iter_mut().zip(args) {
                        *v = match o {
                            Opnd::S(s) => slots[*s as usize][k],
                            Opnd::G(i) => g[*i as usize],
                        };
                    }
                    // a frame without the streams (a WATCH condition's) cannot draw: NaN
                    let x = streams
                        .get_mut(*var as usize)
                        .and_then(|v| v.get_mut(k))
                        .map_or(f64::NAN, |s| s.call(*f, &vals[..args.len().min(3)]));
                    slots[*dst as usize][k] = x;
                }
            }
            Op::Solve { n, mat, rhs, out } => {
                let n = *n;
                let mut a = vec![0.0; n * n];
                let mut b = vec![0.0; n];
                for k in 0..c1 - c0 {
                    for (e, o) in a.iter_mut().zip(mat) {
                        *e = match o {
                            None => 0.0,
                            Some(Opnd::S(s)) => slots[*s as usize][c0 + k],
                            Some(Opnd::G(i)) => g[*i as usize],
                        };
                    }
                    for (i, &r) in rhs.iter().enumerate() {
                        b[i] = slots[r as usize][c0 + k];
                    }
                    dense_solve(n, &mut a, &mut b);
                    for (i, &o) in out.iter().enumerate() {
                        slots[o as usize][c0 + k] = b[i];
                    }
                }
            }
        }
        pc += 1;
    }
}

/// Gaussian elimination with partial pivoting; the solution replaces `b`. A singular matrix gives
/// non-finite values (as NEURON's solver would fail), never a panic.
pub fn dense_solve(n: usize, a: &mut [f64], b: &mut [f64]) {
    for c in 0..n {
        let mut p = c;
        for r in c + 1..n {
            if a[r * n + c].abs() > a[p * n + c].abs() {
                p = r;
            }
        }
        if p != c {
            for k in 0..n {
                a.swap(c * n + k, p * n + k);
            }
            b.swap(c, p);
        }
        let piv = a[c * n + c];
        for r in c + 1..n {
            let f = a[r * n + c] / piv;
            if f != 0.0 {
                for k in c..n {
                    a[r * n + k] -= f * a[c * n + k];
                }
                b[r] -= f * b[c];
            }
        }
    }
    for c in (0..n).rev() {
        let mut s = b[c];
        for k in c + 1..n {
            s -= a[c * n + k] * b[k];
        }
        b[c] = s / a[c * n + c];
    }
}
