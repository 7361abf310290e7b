//! AVX2 code for an element-wise program: one function that walks the instances four at a time
//! (a ymm register holds one slot of four instances), with the operations, their order and the
//! engine's `exp` exactly as the interpreter and the cranelift code have them, so every result
//! is bit for bit theirs. Cranelift's x86 back end has no 256-bit vectors; this generator exists
//! for the doubled width, and is kept to the few instructions the programs need.
//!
//! Every slot's home is its array in the frame (instance k at `slot_base[s] + 8k`), every scalar
//! is broadcast once into the stack frame. Registers cache values within straight-line code:
//! a value is loaded at its first read, a result stays in its register until the register is
//! needed for something else; the register freed is the one whose value is read furthest ahead
//! (or never again). Before a branch or a label, and before a call of a library function, every
//! changed value that may still be read, or that must reach memory, is written home; after a
//! label or a call nothing is assumed to be in registers.

use std::collections::{BTreeSet, HashMap};

use super::enc::*;
use crate::nmodl::ast::BinOp;
use crate::nmodl::jit::{binary_fn, scalars_used, unary_fn};
use crate::nmodl::lower::{read_before_written, reads_any, writes};
use crate::nmodl::vm::{Fun, Fun2, Op, Opnd};

/// A value the registers cache: a slot of the current instances, or a broadcast scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    S(u32),
    G(u32),
}

/// The pointer registers (caller-saved, plus r15): each holds one slot array's base.
const PTR_REGS: [Gpr; 9] = [RCX, RDX, RSI, RDI, 8, 9, 10, 11, R15];
/// Registers fixed for the whole function.
const SLOTS: Gpr = RBX;
const SCALARS: Gpr = R12;
const K: Gpr = R13;
const END: Gpr = R14;
/// Stack frame: three 32-byte areas for a call's arguments and result, then the scalars.
const CALL_A: i32 = 0;
const CALL_B: i32 = 32;
const CALL_R: i32 = 64;
const SCALARS_AT: i32 = 96;
pub const LANES: usize = 4;

struct Gen {
    asm: Asm,
    pool: Vec<[u64; 4]>,
    pool_index: HashMap<u64, u32>,
    /// Each ymm register's value and whether it differs from the value's home.
    regs: [Option<(Key, bool)>; 16],
    at: HashMap<Key, Ymm>,
    pinned: u16,
    /// Pointer registers: the slot whose base each holds, and when it was last used.
    ptrs: [(Option<u32>, u64); 9],
    tick: u64,
    /// Positions of the operations that read each key, ascending.
    reads: HashMap<Key, Vec<usize>>,
    /// Slots whose final value must reach memory.
    store: BTreeSet<u32>,
    /// A backward jump: program order no longer says what is read later.
    loops: bool,
    pos: usize,
    scalar_at: HashMap<u32, i32>,
    labels: HashMap<usize, Label>,
}

/// The machine code of `ops` as a function `f(slot bases, scalars, first, end)` for `end -
/// first` a multiple of four, or `None` if an operation has no translation here.
pub fn generate(ops: &[Op], keep: &dyn Fn(u32) -> bool) -> Option<Vec<u8>> {
    let mut reads: HashMap<Key, Vec<usize>> = HashMap::new();
    let mut written = BTreeSet::new();
    let mut loops = false;
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Bin { .. } | Op::Un { .. } | Op::Store { .. } | Op::Mask { .. } => {}
            Op::SkipIfNone { to, .. } | Op::Jump { to } => loops |= *to <= i,
            _ => return None,
        }
        for s in reads_any(op) {
            reads.entry(Key::S(s)).or_default().push(i);
        }
        for g in scalars_used(std::slice::from_ref(op)) {
            reads.entry(Key::G(g)).or_default().push(i);
        }
        written.extend(writes(op));
    }
    let read_first = read_before_written(ops);
    let store = written
        .into_iter()
        .filter(|&s| keep(s) || read_first.contains(&s))
        .collect();
    let scalars: Vec<u32> = scalars_used(ops).into_iter().collect();
    let scalar_at = scalars
        .iter()
        .enumerate()
        .map(|(j, &g)| (g, SCALARS_AT + 32 * j as i32))
        .collect();
    let mut g = Gen {
        asm: Asm::default(),
        pool: Vec::new(),
        pool_index: HashMap::new(),
        regs: [None; 16],
        at: HashMap::new(),
        pinned: 0,
        ptrs: [(None, 0); 9],
        tick: 0,
        reads,
        store,
        loops,
        pos: 0,
        scalar_at,
        labels: HashMap::new(),
    };
    let frame = SCALARS_AT + 32 * scalars.len() as i32;
    g.prologue(&scalars, frame);
    let head = g.asm.label();
    let exit = g.asm.label();
    let tail = g.asm.label();
    g.asm.bind(head);
    g.asm.cmp_rr(K, END);
    g.asm.jae(exit);
    for op in ops {
        if let Op::SkipIfNone { to, .. } | Op::Jump { to } = op {
            let l = if *to >= ops.len() {
                tail
            } else {
                g.asm.label()
            };
            g.labels.entry(*to).or_insert(l);
        }
    }
    for (pc, op) in ops.iter().enumerate() {
        g.pos = pc;
        if let Some(&l) = g.labels.get(&pc) {
            g.flush();
            g.asm.bind(l);
            g.forget();
        }
        g.op(op);
    }
    g.pos = ops.len();
    g.flush();
    g.asm.bind(tail);
    g.forget();
    g.asm.add_imm(K, LANES as i32);
    g.asm.jmp(head);
    g.asm.bind(exit);
    g.epilogue();
    Some(g.asm.finish(&g.pool))
}

impl Gen {
    fn prologue(&mut self, scalars: &[u32], frame: i32) {
        let a = &mut self.asm;
        a.push(RBP);
        a.mov_rr(RBP, RSP);
        for r in [RBX, R12, R13, R14, R15] {
            a.push(r);
        }
        a.and_imm(RSP, -32);
        a.sub_imm(RSP, frame);
        a.mov_rr(SLOTS, RDI);
        a.mov_rr(SCALARS, RSI);
        a.mov_rr(K, RDX);
        a.mov_rr(END, RCX);
        for &g in scalars {
            a.vbroadcastsd(
                0,
                Mem::Base {
                    base: SCALARS,
                    disp: 8 * g as i32,
                },
            );
            let disp = self.scalar_at[&g];
            a.vmovupd_store(Mem::Base { base: RSP, disp }, 0);
        }
    }

    fn epilogue(&mut self) {
        let a = &mut self.asm;
        a.vzeroupper();
        a.lea(
            RSP,
            Mem::Base {
                base: RBP,
                disp: -40,
            },
        );
        for r in [R15, R14, R13, R12, RBX, RBP] {
            a.pop(r);
        }
        a.ret();
    }

    /// A constant broadcast to four lanes, as a memory operand.
    fn konst(&mut self, x: f64) -> Rm {
        self.bits(x.to_bits())
    }

    fn bits(&mut self, b: u64) -> Rm {
        let n = self.pool.len() as u32;
        let i = *self.pool_index.entry(b).or_insert(n);
        if i == n {
            self.pool.push([b; 4]);
        }
        Rm::Mem(Mem::Const(i))
    }

    /// A register holding the base of slot `s`'s array.
    fn ptr(&mut self, s: u32) -> Gpr {
        self.tick += 1;
        if let Some(j) = self.ptrs.iter().position(|p| p.0 == Some(s)) {
            self.ptrs[j].1 = self.tick;
            return PTR_REGS[j];
        }
        let j = (0..PTR_REGS.len())
            .min_by_key(|&j| self.ptrs[j].1)
            .expect("pointer registers");
        self.ptrs[j] = (Some(s), self.tick);
        self.asm.mov_load(
            PTR_REGS[j],
            Mem::Base {
                base: SLOTS,
                disp: 8 * s as i32,
            },
        );
        PTR_REGS[j]
    }

    fn home(&mut self, k: Key) -> Mem {
        match k {
            Key::S(s) => Mem::Indexed {
                base: self.ptr(s),
                index: K,
                disp: 0,
            },
            Key::G(g) => Mem::Base {
                base: RSP,
                disp: self.scalar_at[&g],
            },
        }
    }

    /// The first operation from the current one on that reads `k` (the current operation's
    /// reads count: an operand not yet fetched must not be dropped).
    fn next_read(&self, k: Key) -> Option<usize> {
        let r = self.reads.get(&k)?;
        let i = r.partition_point(|&p| p < self.pos);
        r.get(i).copied()
    }

    /// Whether an operation after the current one reads `k`.
    fn read_later(&self, k: Key) -> bool {
        self.reads
            .get(&k)
            .is_some_and(|r| r.last().is_some_and(|&p| p > self.pos))
    }

    /// Whether a changed value must be written home before its register is reused.
    fn needed(&self, k: Key) -> bool {
        match k {
            Key::G(_) => false,
            Key::S(s) => self.loops || self.store.contains(&s) || self.next_read(k).is_some(),
        }
    }

    fn pin(&mut self, r: Ymm) {
        self.pinned |= 1 << r;
    }

    fn unpin_all(&mut self) {
        self.pinned = 0;
    }

    /// Empties register `r`, writing its value home if that is needed.
    fn evict(&mut self, r: Ymm) {
        if let Some((k, dirty)) = self.regs[r as usize].take() {
            if dirty && self.needed(k) {
                let m = self.home(k);
                self.asm.vmovupd_store(m, r);
            }
            self.at.remove(&k);
        }
    }

    /// A register for a new value (not pinned; the caller pins it if it needs it to survive
    /// further allocations).
    fn alloc(&mut self) -> Ymm {
        let mut best: Option<(Ymm, (usize, bool))> = None;
        for r in 0..16u8 {
            if self.pinned & (1 << r) != 0 {
                continue;
            }
            let score = match self.regs[r as usize] {
                None => return r,
                Some((k, dirty)) => (
                    self.next_read(k).unwrap_or(usize::MAX),
                    !(dirty && self.needed(k)),
                ),
            };
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((r, score));
            }
        }
        let (r, _) = best.expect("a register not pinned");
        self.evict(r);
        r
    }

    fn scratch(&mut self) -> Ymm {
        let r = self.alloc();
        self.pin(r);
        r
    }

    /// The register holding `k` (loaded if needed), pinned.
    fn get(&mut self, k: Key) -> Ymm {
        if let Some(&r) = self.at.get(&k) {
            self.pin(r);
            return r;
        }
        let r = self.alloc();
        let m = self.home(k);
        self.asm.vmovupd_load(r, Rm::Mem(m));
        self.regs[r as usize] = Some((k, false));
        self.at.insert(k, r);
        self.pin(r);
        r
    }

    fn key(o: Opnd) -> Key {
        match o {
            Opnd::S(s) => Key::S(s),
            Opnd::G(g) => Key::G(g),
        }
    }

    /// An operand for an instruction's second source: its register if cached, else memory when
    /// it is not read again, else loaded into a register.
    fn operand(&mut self, o: Opnd) -> Rm {
        let k = Self::key(o);
        if let Some(&r) = self.at.get(&k) {
            self.pin(r);
            return Rm::Reg(r);
        }
        if !self.read_later(k) {
            return Rm::Mem(self.home(k));
        }
        Rm::Reg(self.get(k))
    }

    /// `r` now holds slot `dst`'s new value.
    fn define(&mut self, dst: u32, r: Ymm) {
        let k = Key::S(dst);
        if let Some(old) = self.at.remove(&k) {
            if old != r {
                self.regs[old as usize] = None;
            }
        }
        self.regs[r as usize] = Some((k, true));
        self.at.insert(k, r);
        self.unpin_all();
    }

    /// A register for `dst`'s new value once the sources are in registers or memory operands
    /// (the result is written by one instruction that reads them all first).
    fn result(&mut self, dst: u32) -> Ymm {
        self.unpin_all();
        // the old value is replaced: never written home
        if let Some(old) = self.at.remove(&Key::S(dst)) {
            self.regs[old as usize] = None;
        }
        self.alloc()
    }

    /// Writes home every changed value that may still be needed, and forgets the others.
    fn flush(&mut self) {
        for r in 0..16u8 {
            if let Some((k, true)) = self.regs[r as usize] {
                if self.needed(k) {
                    let m = self.home(k);
                    self.asm.vmovupd_store(m, r);
                    self.regs[r as usize] = Some((k, false));
                } else {
                    self.regs[r as usize] = None;
                    self.at.remove(&k);
                }
            }
        }
    }

    /// Nothing is known to be in registers (after a label or a call).
    fn forget(&mut self) {
        self.regs = [None; 16];
        self.at.clear();
        self.ptrs = [(None, 0); 9];
        self.pinned = 0;
    }

    /// `x != 0` as an all-ones/zero mask in a pinned scratch register.
    fn nonzero(&mut self, x: Ymm) -> Ymm {
        let z = self.konst(0.0);
        let m = self.scratch();
        self.asm.vcmppd(m, x, z, pred::NEQ_UQ);
        m
    }

    /// 1.0 where mask `m` is set, else 0.0 (in place).
    fn mask_to_float(&mut self, m: Ymm) {
        let one = self.konst(1.0);
        self.asm.vandpd(m, m, one);
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Bin { f, dst, a, b } => self.bin(*f, *dst, *a, *b),
            Op::Un { f, dst, a } => self.un(*f, *dst, *a),
            Op::Store { dst, a, mask } => {
                if *a == Opnd::S(*dst) {
                    return;
                }
                match mask {
                    None => {
                        let x = self.operand(*a);
                        let d = self.result(*dst);
                        self.asm.vmovupd_load(d, x);
                        self.define(*dst, d);
                    }
                    Some(m) => {
                        let old = self.get(Key::S(*dst));
                        let x = self.operand(*a);
                        let mr = self.get(Key::S(*m));
                        let on = self.nonzero(mr);
                        let d = self.alloc_after_sources();
                        self.asm.vblendvpd(d, old, x, on);
                        self.define(*dst, d);
                    }
                }
            }
            Op::Mask {
                dst,
                parent,
                cond,
                negate,
            } => {
                let c = self.get(Self::key(*cond));
                let z = self.konst(0.0);
                let v = self.scratch();
                let p = if *negate { pred::EQ_OQ } else { pred::NEQ_UQ };
                self.asm.vcmppd(v, c, z, p);
                self.mask_to_float(v);
                if let Some(pm) = parent {
                    let pr = self.get(Key::S(*pm));
                    let on = self.nonzero(pr);
                    self.asm.vandpd(v, v, Rm::Reg(on));
                }
                self.define(*dst, v);
            }
            Op::SkipIfNone { mask, to } => {
                let mr = self.get(Key::S(*mask));
                let on = self.nonzero(mr);
                self.asm.vmovmskpd(RAX, on);
                self.unpin_all();
                self.flush();
                self.asm.test32(RAX);
                let l = self.labels[to];
                self.asm.jz(l);
            }
            Op::Jump { to } => {
                self.flush();
                let l = self.labels[to];
                self.asm.jmp(l);
                self.forget();
            }
            _ => unreachable!("checked in generate()"),
        }
    }

    /// A register for a result written by one instruction after the sources were read (a
    /// source's register may be reused).
    fn alloc_after_sources(&mut self) -> Ymm {
        self.unpin_all();
        self.alloc()
    }

    fn bin(&mut self, f: Fun2, dst: u32, a: Opnd, b: Opnd) {
        let o = match f {
            Fun2::Op(o) => o,
            _ => return self.call_binary(f, a, b, dst),
        };
        let (arith, cmp) = match o {
            BinOp::Add => (Some(0x58), None),
            BinOp::Mul => (Some(0x59), None),
            BinOp::Sub => (Some(0x5c), None),
            BinOp::Div => (Some(0x5e), None),
            BinOp::Lt => (None, Some(pred::LT_OQ)),
            BinOp::Le => (None, Some(pred::LE_OQ)),
            BinOp::Gt => (None, Some(pred::GT_OQ)),
            BinOp::Ge => (None, Some(pred::GE_OQ)),
            BinOp::Eq => (None, Some(pred::EQ_OQ)),
            BinOp::Ne => (None, Some(pred::NEQ_UQ)),
            BinOp::Pow => return self.call_binary(f, a, b, dst),
            BinOp::And | BinOp::Or => (None, None),
        };
        let x = self.get(Self::key(a));
        let d = if let Some(code) = arith {
            let y = self.operand(b);
            let d = self.result(dst);
            self.asm.vpd(code, d, x, y);
            d
        } else if let Some(p) = cmp {
            let y = self.operand(b);
            let d = self.result(dst);
            self.asm.vcmppd(d, x, y, p);
            self.mask_to_float(d);
            d
        } else {
            let y = self.get(Self::key(b));
            let p = self.nonzero(x);
            let q = self.nonzero(y);
            let d = self.alloc_after_sources();
            if o == BinOp::And {
                self.asm.vandpd(d, p, Rm::Reg(q));
            } else {
                self.asm.vorpd(d, p, Rm::Reg(q));
            }
            self.mask_to_float(d);
            d
        };
        self.define(dst, d);
    }

    fn call_binary(&mut self, f: Fun2, a: Opnd, b: Opnd, dst: u32) {
        let fp = binary_fn(f).expect("a binary function without an instruction");
        self.call(fp, &[a, b], dst);
    }

    fn un(&mut self, f: Fun, dst: u32, a: Opnd) {
        match f {
            Fun::Neg | Fun::Fabs | Fun::Sqrt => {
                let x = self.operand(a);
                let c = match f {
                    Fun::Neg => Some(self.bits(1u64 << 63)),
                    Fun::Fabs => Some(self.bits(!(1u64 << 63))),
                    _ => None,
                };
                let x = match (c, x) {
                    // the bitwise forms take their first source in a register
                    (Some(_), Rm::Mem(_)) => Rm::Reg(self.get(Self::key(a))),
                    _ => x,
                };
                let d = self.result(dst);
                match (f, x) {
                    (Fun::Neg, Rm::Reg(x)) => self.asm.vxorpd(d, x, c.unwrap()),
                    (Fun::Fabs, Rm::Reg(x)) => self.asm.vandpd(d, x, c.unwrap()),
                    _ => self.asm.vsqrtpd(d, x),
                }
                self.define(dst, d);
            }
            Fun::Not => {
                let x = self.get(Self::key(a));
                let z = self.konst(0.0);
                let d = self.result(dst);
                self.asm.vcmppd(d, x, z, pred::EQ_OQ);
                self.mask_to_float(d);
                self.define(dst, d);
            }
            Fun::Exp => self.exp(dst, a),
            other => self.call(unary_fn(other), &[a], dst),
        }
    }

    /// The engine's `exp` (crate::bionet::mechanisms::exp, with vm's limits), step for step.
    fn exp(&mut self, dst: u32, a: Opnd) {
        const LN2_HI: f64 = 0.693_147_180_369_123_8;
        const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
        const SHIFT: f64 = 6_755_399_441_055_744.0;
        let x = self.get(Self::key(a));
        let lo = self.konst(-708.0);
        let hi = self.konst(709.0);
        let m = self.scratch();
        let xc = self.scratch();
        let t = self.scratch();
        let r = self.scratch();
        let asm = &mut self.asm;
        // clamp to [-708, 709]; NaN stays NaN
        asm.vcmppd(m, x, lo, pred::LT_OQ);
        asm.vblendvpd(xc, x, lo, m);
        asm.vcmppd(m, xc, hi, pred::GT_OQ);
        asm.vblendvpd(xc, xc, hi, m);
        let l2e = self.konst(std::f64::consts::LOG2_E);
        let shift = self.konst(SHIFT);
        let (chi, clo) = (self.konst(LN2_HI), self.konst(LN2_LO));
        let asm = &mut self.asm;
        asm.vmulpd(t, xc, l2e);
        asm.vaddpd(t, t, shift);
        let n = m;
        asm.vsubpd(n, t, shift);
        asm.vmulpd(r, n, chi);
        asm.vsubpd(r, xc, Rm::Reg(r));
        asm.vmulpd(n, n, clo);
        asm.vsubpd(r, r, Rm::Reg(n));
        let mut fact = [1.0f64; 14];
        for i in 2..14 {
            fact[i] = fact[i - 1] * i as f64;
        }
        let p = xc;
        let top = self.konst(1.0 / fact[13]);
        self.asm.vmulpd(p, r, top);
        for i in (0..13).rev() {
            let c = self.konst(1.0 / fact[i]);
            if i < 12 {
                self.asm.vmulpd(p, p, Rm::Reg(r));
            }
            self.asm.vaddpd(p, p, c);
        }
        let sb = self.bits(SHIFT.to_bits());
        let bias = self.bits(1023);
        let (zero, inf) = (self.konst(0.0), self.konst(f64::INFINITY));
        let asm = &mut self.asm;
        asm.vpsubq(n, t, sb);
        asm.vpaddq(n, n, bias);
        asm.vpsllq(n, n, 52);
        asm.vmulpd(p, p, Rm::Reg(n));
        asm.vcmppd(t, x, hi, pred::GT_OQ);
        asm.vblendvpd(p, p, inf, t);
        asm.vcmppd(t, x, lo, pred::LT_OQ);
        asm.vblendvpd(p, p, zero, t);
        self.define(dst, p);
    }

    /// `f` of each lane through a call of the Rust function (the interpreter's own).
    fn call(&mut self, f: usize, args: &[Opnd], dst: u32) {
        for (j, &a) in args.iter().enumerate() {
            let x = self.get(Self::key(a));
            self.asm.vmovupd_store(
                Mem::Base {
                    base: RSP,
                    disp: CALL_A + 32 * j as i32,
                },
                x,
            );
        }
        self.unpin_all();
        // the values the call reads are copied: from here on this operation reads nothing
        self.flush();
        self.forget();
        self.asm.vzeroupper();
        for lane in 0..LANES as i32 {
            self.asm.vmovsd_load(
                0,
                Mem::Base {
                    base: RSP,
                    disp: CALL_A + 8 * lane,
                },
            );
            if args.len() == 2 {
                self.asm.vmovsd_load(
                    1,
                    Mem::Base {
                        base: RSP,
                        disp: CALL_B + 8 * lane,
                    },
                );
            }
            self.asm.mov_imm64(RAX, f as u64);
            self.asm.call(RAX);
            self.asm.vmovsd_store(
                Mem::Base {
                    base: RSP,
                    disp: CALL_R + 8 * lane,
                },
                0,
            );
        }
        let d = self.alloc();
        self.asm.vmovupd_load(
            d,
            Rm::Mem(Mem::Base {
                base: RSP,
                disp: CALL_R,
            }),
        );
        self.define(dst, d);
    }
}
