//! Native code for the interpreter's programs, compiled in the process at load time (cranelift):
//! no C compiler and no Rust toolchain on the user's machine.
//!
//! A program becomes one function that walks the instances two at a time (`f64x2`), every slot a
//! register value for the whole program, then an odd last instance through a one-lane copy of the
//! same code. The arithmetic is the interpreter's, operation by operation, in its order and with
//! the same functions (the engine's `exp` written out in the same steps, everything else of the
//! math library called), and cranelift never fuses or reorders floating-point operations, so the
//! results are bit for bit the interpreter's (tested on the whole corpus in tests.rs). The
//! interpreter stays the reference and runs whatever is not compiled here: programs with a TABLE
//! lookup, an event request or a dense solve (NET_RECEIVE, LINEAR/NONLINEAR blocks).
//!
//! What removes the time: the interpreter pays a dispatch and a pass over memory per operation
//! and chunk, which at the 16 instances of a soma mechanism per cell group outweighed the
//! arithmetic; here each instance's values stay in registers from the first operation to the last.

use std::collections::{BTreeSet, HashMap};

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, InstBuilder, MemFlags, Signature, Type, Value,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};

use super::ast::BinOp;
use super::lower::{read_before_written, reads_any, skippable, writes};
use super::vm::{self, Frame, Fun, Fun2, Op, Opnd};

/// `f(slot base pointers, scalars, first instance, end instance)`.
type NativeFn = unsafe extern "C" fn(*const *mut f64, *const f64, usize, usize);

/// One program in native code: the loop over pairs of instances and its one-lane copy for an odd
/// last instance.
#[derive(Clone, Copy)]
pub struct NativeProgram {
    /// Four instances per instruction (AVX2 code, x86/), where the host runs it.
    avx2: Option<NativeFn>,
    /// Several pairs of instances interleaved (`wide_lanes` instances per iteration).
    wide: NativeFn,
    wide_lanes: usize,
    pairs: NativeFn,
    single: NativeFn,
    /// The slots and scalars the code reads or writes (checked before every call).
    nslots: usize,
    nscalars: usize,
}

impl NativeProgram {
    /// Runs the program over all instances of `frame`. Returns false (nothing run) if the frame
    /// or the scalars are smaller than the program was compiled for.
    pub fn run(&self, frame: &mut Frame, g: &[f64]) -> bool {
        self.run_with(frame, g, true)
    }

    /// Whether AVX2 code runs this program.
    pub fn has_avx2(&self) -> bool {
        self.avx2.is_some()
    }

    /// [`NativeProgram::run`], with the AVX2 code only if `avx2` (tests run both).
    pub fn run_with(&self, frame: &mut Frame, g: &[f64], avx2: bool) -> bool {
        if frame.slots.len() < self.nslots || g.len() < self.nscalars {
            return false;
        }
        let n = frame.n;
        let base = frame.slot_addresses().as_ptr() as *const *mut f64;
        let (widest, lanes) = match self.avx2 {
            Some(f) if avx2 => (f, AVX2_LANES),
            _ => (self.wide, self.wide_lanes),
        };
        let wide = n - n % lanes;
        let even = n & !1;
        // SAFETY: the code reads and writes slots `< nslots` at instances in `[0, n)`, through
        // the frame's current slot addresses (every slot at least `n` long), and scalars
        // `< nscalars`; both bounds were checked above, and the frame is borrowed mutably.
        unsafe {
            if wide > 0 {
                (widest)(base, g.as_ptr(), 0, wide);
            }
            if wide < even {
                (self.pairs)(base, g.as_ptr(), wide, even);
            }
            if even < n {
                (self.single)(base, g.as_ptr(), even, n);
            }
        }
        true
    }
}

/// The compiled programs of one model, and the code memory they live in.
pub struct NativeCode {
    module: Option<JITModule>,
    /// The AVX2 functions' code.
    #[cfg(target_arch = "x86_64")]
    _avx2: Option<super::x86::ExecMemory>,
    programs: Vec<Option<NativeProgram>>,
}

// SAFETY: after `finalize_definitions` the module's code is immutable and only executed; the
// module itself is touched again only by `Drop`.
unsafe impl Send for NativeCode {}
unsafe impl Sync for NativeCode {}

impl std::fmt::Debug for NativeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.programs.iter().filter(|p| p.is_some()).count();
        write!(f, "NativeCode({n} of {} programs)", self.programs.len())
    }
}

impl Drop for NativeCode {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the function pointers live only in `programs`, dropped with `self`.
            unsafe { m.free_memory() };
        }
    }
}

impl NativeCode {
    /// Program `i` of the list given to [`compile`], if it was compiled.
    pub fn program(&self, i: usize) -> Option<&NativeProgram> {
        self.programs.get(i).and_then(|p| p.as_ref())
    }
}

/// Whether compiled code is used (`BMTK_RS_NMODL_JIT=0` runs everything in the interpreter, for
/// measurements against it).
pub fn enabled() -> bool {
    std::env::var("BMTK_RS_NMODL_JIT").map_or(true, |v| v != "0")
}

/// Compiles each program of the model `name` that has only element-wise operations.
/// `keep(i, slot)` says whether a slot's value must reach memory even if program `i` itself never
/// reads it again (persistent slots, temporaries another program reads). Programs that cannot be compiled, and all of them
/// if the host has no code generator, are `None`: the interpreter runs them.
pub fn compile(
    name: &str,
    programs: &[&[Op]],
    nscalars: usize,
    keep: &dyn Fn(usize, u32) -> bool,
) -> NativeCode {
    let none = || NativeCode {
        module: None,
        #[cfg(target_arch = "x86_64")]
        _avx2: None,
        programs: vec![None; programs.len()],
    };
    let Some(mut module) = new_module() else {
        return none();
    };
    let mut ids = Vec::new();
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    for (i, ops) in programs.iter().enumerate() {
        if !compilable(ops) {
            ids.push(None);
            continue;
        }
        let mut fns = Vec::new();
        for (part, ty, streams) in [
            ("wide", types::F64X2, streams()),
            ("pairs", types::F64X2, 1),
            ("single", types::F64, 1),
        ] {
            let sig = signature(&module);
            ctx.func.signature = sig.clone();
            build(&mut ctx.func, &mut fctx, ops, ty, streams, &|s| keep(i, s));
            // named for profilers (perf shows them by these names)
            let fname = format!(
                "nmodl_{name}_{i}_{part}_x{}",
                ty.lane_count() as usize * streams
            );
            // BMTK_RS_NMODL_DISASM=<part of a function name> prints that function's machine code
            let disasm = std::env::var("BMTK_RS_NMODL_DISASM").ok();
            ctx.set_disasm(disasm.is_some());
            let defined = match module.declare_function(&fname, Linkage::Local, &sig) {
                Ok(id) => module.define_function(id, &mut ctx).is_ok().then_some(id),
                Err(_) => None,
            };
            if let (Some(want), Some(code)) = (&disasm, ctx.compiled_code()) {
                if let Some(text) = code
                    .vcode
                    .as_ref()
                    .filter(|_| fname.contains(want.as_str()))
                {
                    eprintln!("=== {fname}\n{text}");
                }
            }
            module.clear_context(&mut ctx);
            match defined {
                Some(id) => fns.push(id),
                None => break,
            }
        }
        let nslots = max_slot(ops).map_or(0, |s| s as usize + 1);
        let nscalars = nscalars.max(scalars_needed(ops));
        ids.push((fns.len() == 3).then_some((fns, nslots, nscalars)));
    }
    if module.finalize_definitions().is_err() {
        return none();
    }
    let (avx2_mem, avx2_at) = avx2_code(name, programs, keep);
    let programs = ids
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            e.map(|(fns, nslots, nscalars)| {
                // SAFETY: the functions were defined with `signature`, i.e. NativeFn's ABI.
                let f = |id| unsafe {
                    std::mem::transmute::<*const u8, NativeFn>(module.get_finalized_function(id))
                };
                NativeProgram {
                    avx2: avx2_at[i],
                    wide: f(fns[0]),
                    pairs: f(fns[1]),
                    single: f(fns[2]),
                    wide_lanes: 2 * streams(),
                    nslots,
                    nscalars,
                }
            })
        })
        .collect();
    NativeCode {
        module: Some(module),
        #[cfg(target_arch = "x86_64")]
        _avx2: avx2_mem,
        programs,
    }
}

#[cfg(target_arch = "x86_64")]
const AVX2_LANES: usize = super::x86::LANES;
#[cfg(not(target_arch = "x86_64"))]
const AVX2_LANES: usize = 4;

#[cfg(target_arch = "x86_64")]
type Avx2Memory = Option<super::x86::ExecMemory>;
#[cfg(not(target_arch = "x86_64"))]
type Avx2Memory = ();

/// The AVX2 code of every compilable program (x86/), in one executable mapping, and each
/// program's entry; none where the host has no AVX2.
#[cfg(target_arch = "x86_64")]
fn avx2_code(
    name: &str,
    programs: &[&[Op]],
    keep: &dyn Fn(usize, u32) -> bool,
) -> (Avx2Memory, Vec<Option<NativeFn>>) {
    use super::x86;
    let mut at = vec![None; programs.len()];
    if !x86::available() {
        return (None, at);
    }
    let mut code = Vec::new();
    let mut offsets = Vec::new();
    for (i, ops) in programs.iter().enumerate() {
        if !compilable(ops) {
            continue;
        }
        if let Some(f) = x86::generate(ops, &|s| keep(i, s)) {
            // BMTK_RS_NMODL_AVX2_DUMP=<folder> writes each function's bytes there (for objdump
            // -D -b binary -mi386:x86-64; profilers do not see code made at run time)
            if let Ok(dir) = std::env::var("BMTK_RS_NMODL_AVX2_DUMP") {
                let path = std::path::Path::new(&dir).join(format!("nmodl_{name}_{i}_avx2.bin"));
                if let Err(e) = std::fs::write(&path, &f) {
                    eprintln!("{}: {e}", path.display());
                }
            }
            offsets.push((i, code.len()));
            code.extend_from_slice(&f);
        }
    }
    let Some(mem) = x86::ExecMemory::new(&code) else {
        return (None, at);
    };
    for (i, off) in offsets {
        // SAFETY: `generate` emits a complete function with NativeFn's ABI (System V) at `off`.
        at[i] = Some(unsafe { std::mem::transmute::<*const u8, NativeFn>(mem.at(off)) });
    }
    (Some(mem), at)
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_code(
    _: &str,
    _: &[&[Op]],
    _: &dyn Fn(usize, u32) -> bool,
) -> (Avx2Memory, Vec<Option<NativeFn>>) {
    ((), Vec::new())
}

/// How many pairs of instances the main loop interleaves: two independent chains of the same
/// operations keep the CPU's units busier (measured: states ~8% faster than one pair; three or
/// four pairs were no faster, their registers spill).
fn streams() -> usize {
    2
}

fn new_module() -> Option<JITModule> {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").ok()?;
    flags.set("use_colocated_libcalls", "false").ok()?;
    flags.set("is_pic", "false").ok()?;
    let isa = cranelift_native::builder()
        .ok()?
        .finish(settings::Flags::new(flags))
        .ok()?;
    let builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    Some(JITModule::new(builder))
}

fn signature(module: &JITModule) -> Signature {
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    for _ in 0..4 {
        sig.params.push(AbiParam::new(ptr));
    }
    sig
}

/// Whether a program has only element-wise operations (and any at all).
pub fn compilable(ops: &[Op]) -> bool {
    !ops.is_empty()
        && ops.iter().all(|op| {
            matches!(
                op,
                Op::Bin { .. }
                    | Op::Un { .. }
                    | Op::Store { .. }
                    | Op::Mask { .. }
                    | Op::SkipIfNone { .. }
                    | Op::Jump { .. }
            )
        })
}

/// The slots an operation reads (a masked store's own destination included: it is kept where
/// the mask is off) and the one it writes (lower.rs's analysis, shared with its passes).
fn reads_writes(op: &Op) -> (Vec<u32>, Option<u32>) {
    (reads_any(op), writes(op).first().copied())
}

/// The slots written by an operation that runs on every path through the program.
fn unconditionally_written(ops: &[Op]) -> BTreeSet<u32> {
    ops.iter()
        .zip(skippable(ops))
        .filter(|(_, skip)| !skip)
        .flat_map(|(op, _)| writes(op))
        .collect()
}

/// Every slot a program may read before writing it (its value from before the program).
pub fn slots_read_first(ops: &[Op]) -> BTreeSet<u32> {
    read_before_written(ops)
}

fn max_slot(ops: &[Op]) -> Option<u32> {
    ops.iter()
        .flat_map(|op| {
            let (r, w) = reads_writes(op);
            r.into_iter().chain(w)
        })
        .max()
}

pub(crate) fn scalars_used(ops: &[Op]) -> BTreeSet<u32> {
    let mut g = BTreeSet::new();
    for op in ops {
        let opnds: Vec<Opnd> = match op {
            Op::Bin { a, b, .. } => vec![*a, *b],
            Op::Un { a, .. } | Op::Store { a, .. } => vec![*a],
            Op::Mask { cond, .. } => vec![*cond],
            _ => Vec::new(),
        };
        g.extend(opnds.into_iter().filter_map(|o| match o {
            Opnd::G(i) => Some(i),
            Opnd::S(_) => None,
        }));
    }
    g
}

/// The largest scalar index a program reads, plus one.
pub fn scalars_needed(ops: &[Op]) -> usize {
    scalars_used(ops).last().map_or(0, |&i| i as usize + 1)
}

struct Gen<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    /// `F64X2` (two instances) or `F64` (one).
    ty: Type,
    /// Each stream's variables (a stream is one vector of instances; several are interleaved
    /// operation by operation so that their dependency chains overlap in the CPU).
    vars: Vec<HashMap<u32, Variable>>,
    /// The stream [`Gen::op`] emits for.
    cur: usize,
    scalars: HashMap<u32, Value>,
    sig1: cranelift_codegen::ir::SigRef,
    sig2: cranelift_codegen::ir::SigRef,
}

fn build(
    func: &mut cranelift_codegen::ir::Function,
    fctx: &mut FunctionBuilderContext,
    ops: &[Op],
    ty: Type,
    streams: usize,
    keep: &dyn Fn(u32) -> bool,
) {
    let ptr = types::I64;
    let mut b = FunctionBuilder::new(func, fctx);
    let call_conv = b.func.signature.call_conv;
    let mut s1 = Signature::new(call_conv);
    s1.params.push(AbiParam::new(types::F64));
    s1.returns.push(AbiParam::new(types::F64));
    let mut s2 = s1.clone();
    s2.params.push(AbiParam::new(types::F64));
    let sig1 = b.import_signature(s1);
    let sig2 = b.import_signature(s2);

    // Which slots are loaded before and stored after each instance.
    let mut read = BTreeSet::new();
    let mut written = BTreeSet::new();
    for op in ops {
        let (r, w) = reads_writes(op);
        read.extend(r);
        written.extend(w);
    }
    let read_first = read_before_written(ops);
    let store: Vec<u32> = written
        .iter()
        .copied()
        .filter(|&s| keep(s) || read_first.contains(&s))
        .collect();
    // A stored slot that some path may leave unwritten (all its writes inside a branch) is also
    // loaded: an instance that skips the branch keeps its old value. A slot read before it is
    // written is loaded anyway.
    let unconditional = unconditionally_written(ops);
    let load: BTreeSet<u32> = read_first
        .iter()
        .copied()
        .chain(store.iter().copied().filter(|s| !unconditional.contains(s)))
        .collect();
    let used: BTreeSet<u32> = read.union(&written).copied().collect();

    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (slots_p, g_p, c0, c1) = (params[0], params[1], params[2], params[3]);
    let flags = MemFlags::new().with_notrap();
    let mut bases = HashMap::new();
    for &s in &load
        .iter()
        .chain(store.iter())
        .copied()
        .collect::<BTreeSet<u32>>()
    {
        let v = b.ins().load(ptr, flags, slots_p, 8 * s as i32);
        bases.insert(s, v);
    }
    let mut scalars = HashMap::new();
    for i in scalars_used(ops) {
        let x = b.ins().load(types::F64, flags, g_p, 8 * i as i32);
        let x = if ty == types::F64 {
            x
        } else {
            b.ins().splat(ty, x)
        };
        scalars.insert(i, x);
    }
    let vars: Vec<HashMap<u32, Variable>> = (0..streams)
        .map(|_| used.iter().map(|&s| (s, b.declare_var(ty))).collect())
        .collect();
    let header = b.create_block();
    b.append_block_param(header, ptr);
    let body = b.create_block();
    let exit = b.create_block();
    let tail = b.create_block();
    b.ins().jump(header, &[c0.into()]);

    b.switch_to_block(header);
    let k = b.block_params(header)[0];
    let done = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, k, c1);
    b.ins().brif(done, exit, &[], body, &[]);

    b.switch_to_block(body);
    let off = b.ins().ishl_imm(k, 3);
    let mut addr = HashMap::new();
    for (&s, &base) in &bases {
        addr.insert(s, b.ins().iadd(base, off));
    }
    let width = ty.bytes() as i32;
    for &s in &load {
        for (j, vs) in vars.iter().enumerate() {
            let v = b.ins().load(ty, flags, addr[&s], width * j as i32);
            b.def_var(vs[&s], v);
        }
    }

    let mut g = Gen {
        b: &mut b,
        ty,
        vars,
        cur: 0,
        scalars,
        sig1,
        sig2,
    };
    let mut targets: HashMap<usize, Block> = HashMap::new();
    for op in ops {
        if let Op::SkipIfNone { to, .. } | Op::Jump { to } = op {
            if *to < ops.len() {
                targets.entry(*to).or_insert_with(|| g.b.create_block());
            }
        }
    }
    let target = |to: usize, targets: &HashMap<usize, Block>| {
        if to >= ops.len() {
            tail
        } else {
            targets[&to]
        }
    };
    for (pc, op) in ops.iter().enumerate() {
        if let Some(&blk) = targets.get(&pc) {
            // the current block is never terminated here (a jump opens a fresh one)
            g.b.ins().jump(blk, &[]);
            g.b.switch_to_block(blk);
        }
        match op {
            Op::SkipIfNone { mask, to } => {
                let mut any = None;
                for j in 0..streams {
                    g.cur = j;
                    let m = g.var(*mask);
                    let on = g.nonzero(m);
                    let a = if ty == types::F64 {
                        on
                    } else {
                        g.b.ins().vany_true(on)
                    };
                    any = Some(match any {
                        None => a,
                        Some(x) => g.b.ins().bor(x, a),
                    });
                }
                let any = any.expect("at least one stream");
                let next = g.b.create_block();
                g.b.ins().brif(any, next, &[], target(*to, &targets), &[]);
                g.b.switch_to_block(next);
            }
            Op::Jump { to } => {
                g.b.ins().jump(target(*to, &targets), &[]);
                let next = g.b.create_block();
                g.b.switch_to_block(next);
            }
            Op::Un {
                f: Fun::Exp,
                dst,
                a,
            } => {
                let xs: Vec<Value> = (0..streams)
                    .map(|j| {
                        g.cur = j;
                        g.opnd(*a)
                    })
                    .collect();
                for (j, y) in g.exp(&xs).into_iter().enumerate() {
                    g.cur = j;
                    g.def(*dst, y);
                }
            }
            _ => {
                for j in 0..streams {
                    g.cur = j;
                    g.op(op);
                }
            }
        }
    }
    g.b.ins().jump(tail, &[]);
    let vars = g.vars;
    b.switch_to_block(tail);
    for &s in &store {
        for (j, vs) in vars.iter().enumerate() {
            let v = b.use_var(vs[&s]);
            b.ins().store(flags, v, addr[&s], width * j as i32);
        }
    }
    let lanes = (ty.lane_count() as usize * streams) as i64;
    let next = b.ins().iadd_imm(k, lanes);
    b.ins().jump(header, &[next.into()]);

    b.switch_to_block(exit);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize();
}

impl Gen<'_, '_> {
    fn var(&mut self, s: u32) -> Value {
        self.b.use_var(self.vars[self.cur][&s])
    }

    fn opnd(&mut self, o: Opnd) -> Value {
        match o {
            Opnd::S(s) => self.var(s),
            Opnd::G(i) => self.scalars[&i],
        }
    }

    fn konst(&mut self, x: f64) -> Value {
        let c = self.b.ins().f64const(x);
        if self.ty == types::F64 {
            c
        } else {
            self.b.ins().splat(self.ty, c)
        }
    }

    fn cmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.b.ins().fcmp(cc, a, b)
    }

    /// `x != 0.0` (true for NaN, as in Rust).
    fn nonzero(&mut self, x: Value) -> Value {
        let z = self.konst(0.0);
        self.cmp(FloatCC::NotEqual, x, z)
    }

    /// `if c { x } else { y }` per lane, `c` a comparison's result.
    fn sel(&mut self, c: Value, x: Value, y: Value) -> Value {
        if self.ty == types::F64 {
            self.b.ins().select(c, x, y)
        } else {
            let m = self.b.ins().bitcast(self.ty, MemFlags::new(), c);
            self.b.ins().bitselect(m, x, y)
        }
    }

    fn b2f(&mut self, c: Value) -> Value {
        let (one, zero) = (self.konst(1.0), self.konst(0.0));
        self.sel(c, one, zero)
    }

    fn def(&mut self, dst: u32, v: Value) {
        self.b.def_var(self.vars[self.cur][&dst], v);
    }

    /// `f` of each lane through a call of the Rust function (the interpreter's own).
    fn call(&mut self, f: usize, args: &[Value]) -> Value {
        let sig = if args.len() == 1 {
            self.sig1
        } else {
            self.sig2
        };
        let fp = self.b.ins().iconst(types::I64, f as i64);
        if self.ty == types::F64 {
            let inst = self.b.ins().call_indirect(sig, fp, args);
            return self.b.inst_results(inst)[0];
        }
        let mut out = self.konst(0.0);
        for lane in 0..2u8 {
            let xs: Vec<Value> = args
                .iter()
                .map(|&a| self.b.ins().extractlane(a, lane))
                .collect();
            let inst = self.b.ins().call_indirect(sig, fp, &xs);
            let r = self.b.inst_results(inst)[0];
            out = self.b.ins().insertlane(out, r, lane);
        }
        out
    }

    fn int_ty(&self) -> Type {
        if self.ty == types::F64 {
            types::I64
        } else {
            types::I64X2
        }
    }

    fn iconst(&mut self, x: i64) -> Value {
        let c = self.b.ins().iconst(types::I64, x);
        if self.ty == types::F64 {
            c
        } else {
            self.b.ins().splat(types::I64X2, c)
        }
    }

    /// The engine's `exp` (crate::bionet::mechanisms::exp, with vm's limits), step for step, of
    /// each stream's `x`: every step is emitted for all streams before the next, so the streams'
    /// long dependency chains (the polynomial) run side by side.
    fn exp(&mut self, xs: &[Value]) -> Vec<Value> {
        const LN2_HI: f64 = 0.693_147_180_369_123_8;
        const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
        const SHIFT: f64 = 6_755_399_441_055_744.0;
        let each = |g: &mut Self, v: &[Value], f: &mut dyn FnMut(&mut Self, Value) -> Value| {
            v.iter().map(|&x| f(g, x)).collect::<Vec<Value>>()
        };
        let lo = self.konst(-708.0);
        let hi = self.konst(709.0);
        // clamp: NaN stays NaN
        let xc = each(self, xs, &mut |g, x| {
            let below = g.cmp(FloatCC::LessThan, x, lo);
            g.sel(below, lo, x)
        });
        let xc = each(self, &xc, &mut |g, x| {
            let above = g.cmp(FloatCC::GreaterThan, x, hi);
            g.sel(above, hi, x)
        });
        let l2e = self.konst(std::f64::consts::LOG2_E);
        let shift = self.konst(SHIFT);
        let t = each(self, &xc, &mut |g, x| g.b.ins().fmul(x, l2e));
        let t = each(self, &t, &mut |g, x| g.b.ins().fadd(x, shift));
        let n = each(self, &t, &mut |g, x| g.b.ins().fsub(x, shift));
        let hi_c = self.konst(LN2_HI);
        let lo_c = self.konst(LN2_LO);
        let r: Vec<Value> = (0..xs.len())
            .map(|j| {
                let nh = self.b.ins().fmul(n[j], hi_c);
                self.b.ins().fsub(xc[j], nh)
            })
            .collect();
        let r: Vec<Value> = (0..xs.len())
            .map(|j| {
                let nl = self.b.ins().fmul(n[j], lo_c);
                self.b.ins().fsub(r[j], nl)
            })
            .collect();
        let mut fact = [1.0f64; 14];
        for i in 2..14 {
            fact[i] = fact[i - 1] * i as f64;
        }
        let top = self.konst(1.0 / fact[13]);
        let mut p = vec![top; xs.len()];
        for i in (0..13).rev() {
            let c = self.konst(1.0 / fact[i]);
            for j in 0..xs.len() {
                p[j] = self.b.ins().fmul(p[j], r[j]);
            }
            for pj in p.iter_mut() {
                *pj = self.b.ins().fadd(*pj, c);
            }
        }
        let ity = self.int_ty();
        let sb = self.iconst(SHIFT.to_bits() as i64);
        let bias = self.iconst(1023);
        let zero = self.konst(0.0);
        let inf = self.konst(f64::INFINITY);
        (0..xs.len())
            .map(|j| {
                let tb = self.b.ins().bitcast(ity, MemFlags::new(), t[j]);
                let kk = self.b.ins().isub(tb, sb);
                let e = self.b.ins().iadd(kk, bias);
                let e = self.b.ins().ishl_imm(e, 52);
                let scale = self.b.ins().bitcast(self.ty, MemFlags::new(), e);
                let y = self.b.ins().fmul(p[j], scale);
                let under = self.cmp(FloatCC::LessThan, xs[j], lo);
                let over = self.cmp(FloatCC::GreaterThan, xs[j], hi);
                let y = self.sel(over, inf, y);
                self.sel(under, zero, y)
            })
            .collect()
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Bin { f, dst, a, b } => {
                let (x, y) = (self.opnd(*a), self.opnd(*b));
                let v = match f {
                    Fun2::Op(o) => match o {
                        BinOp::Add => self.b.ins().fadd(x, y),
                        BinOp::Sub => self.b.ins().fsub(x, y),
                        BinOp::Mul => self.b.ins().fmul(x, y),
                        BinOp::Div => self.b.ins().fdiv(x, y),
                        BinOp::Pow => self.call(native_pow as *const () as usize, &[x, y]),
                        BinOp::Lt => self.cmp_f(FloatCC::LessThan, x, y),
                        BinOp::Le => self.cmp_f(FloatCC::LessThanOrEqual, x, y),
                        BinOp::Gt => self.cmp_f(FloatCC::GreaterThan, x, y),
                        BinOp::Ge => self.cmp_f(FloatCC::GreaterThanOrEqual, x, y),
                        BinOp::Eq => self.cmp_f(FloatCC::Equal, x, y),
                        BinOp::Ne => self.cmp_f(FloatCC::NotEqual, x, y),
                        BinOp::And | BinOp::Or => {
                            let (p, q) = (self.nonzero(x), self.nonzero(y));
                            let c = if *o == BinOp::And {
                                self.b.ins().band(p, q)
                            } else {
                                self.b.ins().bor(p, q)
                            };
                            self.b2f(c)
                        }
                    },
                    Fun2::Atan2 => self.call(native_atan2 as *const () as usize, &[x, y]),
                    Fun2::Fmod => self.call(native_fmod as *const () as usize, &[x, y]),
                    Fun2::Fmin => self.call(native_fmin as *const () as usize, &[x, y]),
                    Fun2::Fmax => self.call(native_fmax as *const () as usize, &[x, y]),
                };
                self.def(*dst, v);
            }
            Op::Un { f, dst, a } => {
                let x = self.opnd(*a);
                let v = match f {
                    Fun::Neg => self.b.ins().fneg(x),
                    Fun::Not => {
                        let z = self.konst(0.0);
                        self.cmp_f(FloatCC::Equal, x, z)
                    }
                    Fun::Exp => self.exp(&[x])[0],
                    Fun::Fabs => self.b.ins().fabs(x),
                    Fun::Sqrt => self.b.ins().sqrt(x),
                    other => self.call(unary_fn(*other), &[x]),
                };
                self.def(*dst, v);
            }
            Op::Store { dst, a, mask } => {
                if *a == Opnd::S(*dst) {
                    return;
                }
                let x = self.opnd(*a);
                let v = match mask {
                    None => x,
                    Some(m) => {
                        let mv = self.var(*m);
                        let on = self.nonzero(mv);
                        let old = self.var(*dst);
                        self.sel(on, x, old)
                    }
                };
                self.def(*dst, v);
            }
            Op::Mask {
                dst,
                parent,
                cond,
                negate,
            } => {
                let c = self.opnd(*cond);
                let z = self.konst(0.0);
                let cc = if *negate {
                    FloatCC::Equal
                } else {
                    FloatCC::NotEqual
                };
                let mut v = self.cmp_f(cc, c, z);
                if let Some(p) = parent {
                    let pv = self.var(*p);
                    let on = self.nonzero(pv);
                    v = self.sel(on, v, z);
                }
                self.def(*dst, v);
            }
            _ => unreachable!("filtered by compilable()"),
        }
    }

    fn cmp_f(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        let c = self.cmp(cc, a, b);
        self.b2f(c)
    }
}

/// The Rust function a binary operation without an instruction of its own calls (per lane).
pub(crate) fn binary_fn(f: Fun2) -> Option<usize> {
    let f: extern "C" fn(f64, f64) -> f64 = match f {
        Fun2::Op(BinOp::Pow) => native_pow,
        Fun2::Atan2 => native_atan2,
        Fun2::Fmod => native_fmod,
        Fun2::Fmin => native_fmin,
        Fun2::Fmax => native_fmax,
        Fun2::Op(_) => return None,
    };
    Some(f as usize)
}

extern "C" fn native_pow(x: f64, y: f64) -> f64 {
    vm::eval2(Fun2::Op(BinOp::Pow), x, y)
}
extern "C" fn native_atan2(x: f64, y: f64) -> f64 {
    vm::eval2(Fun2::Atan2, x, y)
}
extern "C" fn native_fmod(x: f64, y: f64) -> f64 {
    vm::eval2(Fun2::Fmod, x, y)
}
extern "C" fn native_fmin(x: f64, y: f64) -> f64 {
    vm::eval2(Fun2::Fmin, x, y)
}
extern "C" fn native_fmax(x: f64, y: f64) -> f64 {
    vm::eval2(Fun2::Fmax, x, y)
}

macro_rules! unary {
    ($($name:ident => $f:expr),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 { vm::eval1($f, x) })*
    };
}
unary!(
    native_explibm => Fun::ExpLibm,
    native_log => Fun::Log,
    native_log10 => Fun::Log10,
    native_sin => Fun::Sin,
    native_cos => Fun::Cos,
    native_tan => Fun::Tan,
    native_asin => Fun::Asin,
    native_acos => Fun::Acos,
    native_atan => Fun::Atan,
    native_sinh => Fun::Sinh,
    native_cosh => Fun::Cosh,
    native_tanh => Fun::Tanh,
    native_floor => Fun::Floor,
    native_ceil => Fun::Ceil,
    native_exprelr => Fun::Exprelr,
    native_exp => Fun::Exp,
    native_neg => Fun::Neg,
    native_not => Fun::Not,
    native_fabs => Fun::Fabs,
    native_sqrt => Fun::Sqrt,
);

pub(crate) fn unary_fn(f: Fun) -> usize {
    (match f {
        Fun::ExpLibm => native_explibm,
        Fun::Log => native_log,
        Fun::Log10 => native_log10,
        Fun::Sin => native_sin,
        Fun::Cos => native_cos,
        Fun::Tan => native_tan,
        Fun::Asin => native_asin,
        Fun::Acos => native_acos,
        Fun::Atan => native_atan,
        Fun::Sinh => native_sinh,
        Fun::Cosh => native_cosh,
        Fun::Tanh => native_tanh,
        Fun::Floor => native_floor,
        Fun::Ceil => native_ceil,
        Fun::Exprelr => native_exprelr,
        Fun::Exp => native_exp,
        Fun::Neg => native_neg,
        Fun::Not => native_not,
        Fun::Fabs => native_fabs,
        Fun::Sqrt => native_sqrt,
    }) as usize
}
