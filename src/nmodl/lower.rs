//! Lowering of a parsed file to interpreter programs: names resolved (file:line errors for unknown
//! ones), FUNCTION/PROCEDURE calls inlined, `if`/`while` under masks, SOLVE blocks rewritten by
//! their method (cnexp's exact exponential step, euler, KINETIC/LINEAR by Newton on backward
//! Euler), TABLEs turned into lookups of tables built at run time.

use std::collections::HashMap;

use super::ast::*;
use super::random::RandFn;
use super::sym;
use super::vm::{EmitKind, Fun, Fun2, Op, Opnd};
use super::{err_at, NResult};

mod kinetic;

#[derive(Debug, Clone, Copy)]
enum Sym {
    Inst(u32),
    /// Index into the scalars; `writable` is false for constants and GLOBAL parameters.
    Glob(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DerivMethod {
    Cnexp,
    Euler,
}

/// A TABLE of a FUNCTION or PROCEDURE: the program that fills it and where its pieces live.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub block: String,
    pub build: Vec<Op>,
    pub arg_slot: u32,
    /// Slots holding the tabulated outputs after `build` has run.
    pub outs: Vec<u32>,
    pub from: u32,
    pub to: u32,
    pub with: u32,
}

/// Everything the mechanism needs to run.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// Names of the persistent per-instance slots (`0..slot_names.len()`).
    pub slot_names: Vec<String>,
    /// Total slots, temporaries included.
    pub nslots: usize,
    pub scalars: Vec<f64>,
    pub scalar_names: Vec<String>,
    pub init: Vec<Op>,
    pub current: Vec<Op>,
    /// The RANDOM variables (`Op::Rand`'s `var` indexes them): a stream per instance each.
    pub randoms: Vec<String>,
    /// `current` split for di/dv: `current_pre` does not depend on v (run once), `current_v`
    /// (jump targets rebased) is run at v + 0.001 and at v. Same values as running `current`
    /// twice, half the work for the usual `g = gbar*m^3*h; i = g*(v - e)`.
    pub current_pre: Vec<Op>,
    pub current_v: Vec<Op>,
    /// `current_v` for its first run (at v + 0.001) without what the second run overwrites
    /// (probe.rs).
    pub current_probe: Vec<Op>,
    /// The v-free part, the probe and the v part as one program (fused.rs); `None` when
    /// BREAKPOINT writes v.
    pub fused: Option<super::fused::FusedCurrent>,
    pub state: Vec<Op>,
    /// Scalar preludes of `init`, `current` (pre and v) and `state`: the uniform values hoisted
    /// out of the per-instance programs (hoist.rs), computed once per run.
    pub init_prelude: Vec<super::hoist::ScalarOp>,
    pub current_prelude: Vec<super::hoist::ScalarOp>,
    pub state_prelude: Vec<super::hoist::ScalarOp>,
    /// Scalars before the hoisted ones (what tables may depend on).
    pub n_base_scalars: usize,
    pub tables: Vec<TableSpec>,
    /// NET_RECEIVE and its INITIAL block (run per event / per connection, one lane at a time).
    pub net_receive: Vec<Op>,
    pub net_init: Vec<Op>,
    /// Slots of NET_RECEIVE's arguments (the connection's weight vector) and of `flag`.
    pub nr_args: Vec<u32>,
    pub flag_slot: Option<u32>,
    /// NET_RECEIVE's WATCH conditions, by statement number.
    pub watches: Vec<WatchCond>,
    pub v_slot: u32,
    pub itot_slot: u32,
    pub g_t: u32,
    pub g_dt: u32,
    pub g_celsius: u32,
}

/// A WATCH condition as NEURON evaluates it: `a - b` for `(a > b)`, `b - a` for `(a < b)`; the
/// watch fires when the value turns positive.
#[derive(Debug, Clone)]
pub struct WatchCond {
    pub number: u32,
    pub ops: Vec<Op>,
    pub value: Opnd,
    pub line: usize,
}

pub struct Lx<'a> {
    file: &'a str,
    blocks: HashMap<String, &'a Block>,
    syms: HashMap<String, Sym>,
    scopes: Vec<HashMap<String, u32>>,
    top: u32,
    max: u32,
    ops: Vec<Op>,
    mask: Option<u32>,
    depth: usize,
    consts: HashMap<u64, u32>,
    in_table_build: bool,
    table_ids: HashMap<String, u32>,
    deriv: Option<DerivMethod>,
    /// Euler: (state slot, derivative slot) collected while lowering the block.
    euler: Vec<(u32, u32)>,
    state_names: Vec<String>,
    /// Lowering NET_RECEIVE or its INITIAL: `net_send`/`net_event` allowed.
    pub in_net: bool,
    /// Lowering NET_RECEIVE or its INITIAL (not the mechanism's INITIAL): WATCH allowed.
    pub in_receive: bool,
    /// (number, condition as a difference, line) of the WATCH statements lowered so far.
    pub watch_exprs: Vec<(u32, Expr, usize)>,
    /// Within `SOLVE ... STEADYSTATE`: the time step NEURON substitutes for `dt` (1e9 for
    /// sparse, 1e-9 for derivimplicit).
    steady_dt: Option<f64>,
    /// Rows of a KINETIC system replaced by its CONSERVE equations `g = 0` (lower/kinetic.rs).
    conserve_rows: Vec<(usize, Expr)>,
    pub out: Compiled,
}

const BUILTIN1: &[(&str, Fun)] = &[
    ("exp", Fun::Exp),
    ("log", Fun::Log),
    ("log10", Fun::Log10),
    ("fabs", Fun::Fabs),
    ("sqrt", Fun::Sqrt),
    ("sin", Fun::Sin),
    ("cos", Fun::Cos),
    ("tan", Fun::Tan),
    ("asin", Fun::Asin),
    ("acos", Fun::Acos),
    ("atan", Fun::Atan),
    ("sinh", Fun::Sinh),
    ("cosh", Fun::Cosh),
    ("tanh", Fun::Tanh),
    ("floor", Fun::Floor),
    ("ceil", Fun::Ceil),
    ("exprelr", Fun::Exprelr),
];

const BUILTIN2: &[(&str, Fun2)] = &[
    ("pow", Fun2::Op(BinOp::Pow)),
    ("atan2", Fun2::Atan2),
    ("fmod", Fun2::Fmod),
    ("fmin", Fun2::Fmin),
    ("fmax", Fun2::Fmax),
];

const RANDOM: &[&str] = &[
    "scop_random",
    "normrand",
    "erand",
    "exprand",
    "unirand",
    "nrn_random_pick",
];

impl<'a> Lx<'a> {
    pub fn new(file: &'a str, f: &'a File) -> Self {
        let mut blocks = HashMap::new();
        for b in &f.blocks {
            if matches!(
                b.kind,
                BlockKind::Procedure
                    | BlockKind::Function
                    | BlockKind::Derivative
                    | BlockKind::Kinetic
                    | BlockKind::Linear
                    | BlockKind::NonLinear
            ) {
                blocks.insert(b.name.clone(), b);
            }
        }
        Lx {
            file,
            blocks,
            syms: HashMap::new(),
            scopes: Vec::new(),
            top: 0,
            max: 0,
            ops: Vec::new(),
            mask: None,
            depth: 0,
            consts: HashMap::new(),
            in_table_build: false,
            table_ids: HashMap::new(),
            deriv: None,
            euler: Vec::new(),
            state_names: f.states.iter().map(|d| d.name.clone()).collect(),
            in_net: false,
            in_receive: false,
            watch_exprs: Vec::new(),
            steady_dt: None,
            conserve_rows: Vec::new(),
            out: Compiled {
                randoms: f.neuron.random.clone(),
                ..Compiled::default()
            },
        }
    }

    pub fn err<T>(&self, line: usize, msg: impl std::fmt::Display) -> NResult<T> {
        Err(err_at(self.file, line, msg))
    }

    /// Declares a per-instance variable (idempotent).
    pub fn inst(&mut self, name: &str) -> u32 {
        if let Some(Sym::Inst(s)) = self.syms.get(name) {
            return *s;
        }
        let s = self.out.slot_names.len() as u32;
        self.out.slot_names.push(name.to_string());
        self.syms.insert(name.to_string(), Sym::Inst(s));
        s
    }

    /// Declares a scalar (GLOBAL parameter, constant, special).
    pub fn scalar(&mut self, name: &str, value: f64) -> u32 {
        let i = self.out.scalars.len() as u32;
        self.out.scalars.push(value);
        self.out.scalar_names.push(name.to_string());
        self.syms.insert(name.to_string(), Sym::Glob(i));
        i
    }

    pub fn has(&self, name: &str) -> bool {
        self.syms.contains_key(name)
    }

    /// Called once all variables are declared: temporaries start after the persistent slots.
    pub fn seal(&mut self) {
        self.top = self.out.slot_names.len() as u32;
        self.max = self.top;
    }

    fn konst(&mut self, v: f64) -> Opnd {
        if let Some(&i) = self.consts.get(&v.to_bits()) {
            return Opnd::G(i);
        }
        let i = self.out.scalars.len() as u32;
        self.out.scalars.push(v);
        self.out.scalar_names.push(String::new());
        self.consts.insert(v.to_bits(), i);
        Opnd::G(i)
    }

    fn tmp(&mut self) -> u32 {
        let s = self.top;
        self.top += 1;
        self.max = self.max.max(self.top);
        s
    }

    fn emit(&mut self, op: Op) {
        self.ops.push(op);
    }

    fn read_var(&mut self, name: &str, line: usize) -> NResult<Opnd> {
        if let Some(s) = self.scopes.last().and_then(|sc| sc.get(name)) {
            return Ok(Opnd::S(*s));
        }
        if let (Some(dt), "dt") = (self.steady_dt, name) {
            return Ok(self.konst(dt));
        }
        match self.syms.get(name) {
            // NET_RECEIVE's implicit `flag` means nothing elsewhere (NEURON: undefined there)
            Some(Sym::Inst(s)) if !self.in_receive && self.out.flag_slot == Some(*s) => {
                self.err(line, "'flag' (the event's flag) exists only in NET_RECEIVE")
            }
            Some(Sym::Inst(s)) => Ok(Opnd::S(*s)),
            Some(Sym::Glob(i)) => Ok(Opnd::G(*i)),
            None => {
                if self.blocks.contains_key(name) {
                    return self.err(
                        line,
                        format!("'{name}' is a FUNCTION/PROCEDURE, used as a variable"),
                    );
                }
                self.err(line, format!("unknown variable '{name}' (not declared in PARAMETER, ASSIGNED, STATE, CONSTANT, LOCAL or UNITS)"))
            }
        }
    }

    fn write_slot(&mut self, name: &str, line: usize) -> NResult<u32> {
        if let Some(s) = self.scopes.last().and_then(|sc| sc.get(name)) {
            return Ok(*s);
        }
        if super::model::GEOMETRY.contains(&name) {
            return self.err(
                line,
                format!("assignment to '{name}' (the segment's geometry, read-only here)"),
            );
        }
        match self.syms.get(name) {
            // Writing v changes this mechanism's copy for the rest of the block, as in NEURON.
            Some(Sym::Inst(s)) => Ok(*s),
            Some(Sym::Glob(_)) => self.err(
                line,
                format!("assignment to '{name}', a GLOBAL parameter, constant or NEURON variable, is not supported"),
            ),
            None => self.err(line, format!("assignment to unknown variable '{name}'")),
        }
    }

    fn store(&mut self, dst: u32, a: Opnd) {
        let mask = self.mask;
        self.emit(Op::Store { dst, a, mask });
    }

    pub fn ex(&mut self, e: &Expr) -> NResult<Opnd> {
        Ok(match e {
            Expr::Num(v) => self.konst(*v),
            Expr::Var(name, line) => self.read_var(name, *line)?,
            Expr::Neg(a) => {
                let a = self.ex(a)?;
                let d = self.tmp();
                self.emit(Op::Un {
                    f: Fun::Neg,
                    dst: d,
                    a,
                });
                Opnd::S(d)
            }
            Expr::Not(a) => {
                let a = self.ex(a)?;
                let d = self.tmp();
                self.emit(Op::Un {
                    f: Fun::Not,
                    dst: d,
                    a,
                });
                Opnd::S(d)
            }
            Expr::Bin(op, a, b) => {
                // `x^2` as x*x (the channels' Gaussians, exp(-((v - a)/b)^2)): NEURON's C calls
                // pow(x, 2.0), which libm computes to within 0.52 ulp; x*x is correctly rounded,
                // so the two differ by at most one ulp, rarely, and x*x needs no call.
                let square = *op == BinOp::Pow && matches!(**b, Expr::Num(y) if y == 2.0);
                let a = self.ex(a)?;
                let (f, b) = if square {
                    (Fun2::Op(BinOp::Mul), a)
                } else {
                    (Fun2::Op(*op), self.ex(b)?)
                };
                let d = self.tmp();
                self.emit(Op::Bin { f, dst: d, a, b });
                Opnd::S(d)
            }
            Expr::Call(name, args, line) => match self.call(name, args, *line)? {
                Some(o) => o,
                None => return self.err(*line, format!("PROCEDURE '{name}' has no value")),
            },
        })
    }

    fn call(&mut self, name: &str, args: &[Expr], line: usize) -> NResult<Option<Opnd>> {
        if let Some((_, f)) = BUILTIN1.iter().find(|(n, _)| *n == name) {
            if args.len() != 1 {
                return self.err(
                    line,
                    format!("{name}() takes 1 argument, got {}", args.len()),
                );
            }
            let a = self.ex(&args[0])?;
            let d = self.tmp();
            self.emit(Op::Un { f: *f, dst: d, a });
            return Ok(Some(Opnd::S(d)));
        }
        if let Some((_, f)) = BUILTIN2.iter().find(|(n, _)| *n == name) {
            if args.len() != 2 {
                return self.err(
                    line,
                    format!("{name}() takes 2 arguments, got {}", args.len()),
                );
            }
            let a = self.ex(&args[0])?;
            let b = self.ex(&args[1])?;
            let d = self.tmp();
            self.emit(Op::Bin {
                f: *f,
                dst: d,
                a,
                b,
            });
            return Ok(Some(Opnd::S(d)));
        }
        if let Some((f, counts)) = RandFn::by_name(name) {
            return self.random_call(f, counts, name, args, line);
        }
        // a file's own FUNCTION of that name (netstim.mod's erand) is not the old library's
        if RANDOM.contains(&name) && !self.blocks.contains_key(name) {
            return self.err(
                line,
                format!("random number function '{name}' is not supported"),
            );
        }
        if self.in_net && matches!(name, "net_send" | "net_event" | "net_move") {
            let want = if name == "net_send" { 2 } else { 1 };
            if args.len() != want {
                return self.err(
                    line,
                    format!("{name}() takes {want} argument(s), got {}", args.len()),
                );
            }
            let a = self.ex(&args[0])?;
            let (kind, b) = match name {
                "net_send" => (EmitKind::Send, self.ex(&args[1])?),
                "net_move" => (EmitKind::Move, self.konst(0.0)),
                _ => (EmitKind::Event, self.konst(0.0)),
            };
            let mask = self.mask;
            self.emit(Op::Emit { kind, a, b, mask });
            return Ok(None);
        }
        if name == "__watch" {
            return self.watch(args, line);
        }
        if matches!(name, "net_send" | "net_event" | "net_move") {
            return self.err(
                line,
                format!("'{name}' outside a supported NET_RECEIVE/INITIAL context"),
            );
        }
        let Some(&blk) = self.blocks.get(name) else {
            return self.err(line, format!("call of unknown function '{name}'"));
        };
        if !matches!(blk.kind, BlockKind::Function | BlockKind::Procedure) {
            return self.err(
                line,
                format!("'{name}' is a {:?} block and cannot be called", blk.kind),
            );
        }
        if args.len() != blk.args.len() {
            return self.err(
                line,
                format!(
                    "'{name}' takes {} arguments, got {}",
                    blk.args.len(),
                    args.len()
                ),
            );
        }
        let table = blk.body.iter().find_map(|s| match s {
            Stmt::Table {
                outputs,
                from,
                to,
                with,
                line,
                ..
            } => Some((outputs.clone(), from, to, with, *line)),
            _ => None,
        });
        if let (Some((outputs, from, to, with, tline)), false) = (table, self.in_table_build) {
            if blk.args.len() != 1 {
                return self.err(
                    tline,
                    format!("TABLE in '{name}' needs exactly one argument"),
                );
            }
            let id = self.table(blk, &outputs, from, to, with, tline)?;
            let x = self.ex(&args[0])?;
            let (outs, ret) = if blk.kind == BlockKind::Function {
                let r = self.tmp();
                (vec![r], Some(Opnd::S(r)))
            } else {
                let mut outs = Vec::new();
                for o in &outputs {
                    outs.push(self.write_slot(o, tline)?);
                }
                (outs, None)
            };
            let mask = self.mask;
            self.emit(Op::Table { id, x, outs, mask });
            return Ok(ret);
        }
        self.inline(blk, args, line)
    }

    /// `random_*(var, ...)` on a RANDOM variable: an interpreter op on the instance's stream, under
    /// the current mask (a lane that does not take the branch does not draw, as in NEURON).
    fn random_call(
        &mut self,
        f: RandFn,
        counts: &[usize],
        name: &str,
        args: &[Expr],
        line: usize,
    ) -> NResult<Option<Opnd>> {
        let var = match args.first() {
            Some(Expr::Var(v, _)) => self.out.randoms.iter().position(|r| r == v),
            _ => None,
        };
        let Some(var) = var else {
            return self.err(
                line,
                format!("{name}() takes a RANDOM variable (NEURON block) as its first argument"),
            );
        };
        if !counts.contains(&(args.len() - 1)) {
            let n: Vec<String> = counts.iter().map(|c| (c + 1).to_string()).collect();
            return self.err(
                line,
                format!(
                    "{name}() takes {} argument(s), got {}",
                    n.join(" or "),
                    args.len()
                ),
            );
        }
        let mut ops = Vec::new();
        for a in &args[1..] {
            ops.push(self.ex(a)?);
        }
        let dst = self.tmp();
        let mask = self.mask;
        self.emit(Op::Rand {
            f,
            var: var as u32,
            dst,
            args: ops,
            mask,
        });
        Ok(Some(Opnd::S(dst)))
    }

    fn inline(&mut self, blk: &'a Block, args: &[Expr], line: usize) -> NResult<Option<Opnd>> {
        if self.depth > 40 {
            return self.err(
                line,
                format!(
                    "calls nested too deep (recursion through '{}' is not supported)",
                    blk.name
                ),
            );
        }
        let mut scope = HashMap::new();
        for (a, name) in args.iter().zip(&blk.args) {
            let o = self.ex(a)?;
            let s = self.tmp();
            self.emit(Op::Store {
                dst: s,
                a: o,
                mask: None,
            });
            scope.insert(name.clone(), s);
        }
        let ret = if blk.kind == BlockKind::Function {
            let r = self.tmp();
            let z = self.konst(0.0);
            self.emit(Op::Store {
                dst: r,
                a: z,
                mask: None,
            });
            scope.insert(blk.name.clone(), r);
            Some(Opnd::S(r))
        } else {
            None
        };
        self.depth += 1;
        self.scopes.push(scope);
        let r = self.stmts(&blk.body);
        self.scopes.pop();
        self.depth -= 1;
        r?;
        Ok(ret)
    }

    /// The id of the table of `blk`, building its fill program on first use.
    fn table(
        &mut self,
        blk: &'a Block,
        outputs: &[String],
        from: &Expr,
        to: &Expr,
        with: &Expr,
        line: usize,
    ) -> NResult<u32> {
        if let Some(&id) = self.table_ids.get(&blk.name) {
            return Ok(id);
        }
        let saved_ops = std::mem::take(&mut self.ops);
        let saved_mask = self.mask.take();
        let saved_top = self.top;
        self.in_table_build = true;
        self.ops.clear();
        self.top = saved_top;
        let f = self.ex(from)?;
        let t = self.ex(to)?;
        let w = self.ex(with)?;
        let (fs, ts, ws, arg) = (self.tmp(), self.tmp(), self.tmp(), self.tmp());
        self.emit(Op::Store {
            dst: fs,
            a: f,
            mask: None,
        });
        self.emit(Op::Store {
            dst: ts,
            a: t,
            mask: None,
        });
        self.emit(Op::Store {
            dst: ws,
            a: w,
            mask: None,
        });
        let mut scope = HashMap::new();
        scope.insert(blk.args[0].clone(), arg);
        let ret = if blk.kind == BlockKind::Function {
            let r = self.tmp();
            let z = self.konst(0.0);
            self.emit(Op::Store {
                dst: r,
                a: z,
                mask: None,
            });
            scope.insert(blk.name.clone(), r);
            Some(r)
        } else {
            None
        };
        self.scopes.push(scope);
        let r = self.stmts(&blk.body);
        self.scopes.pop();
        let outs = match ret {
            Some(r) => Ok(vec![r]),
            None => outputs
                .iter()
                .map(|o| self.write_slot(o, line))
                .collect::<NResult<Vec<u32>>>(),
        };
        self.in_table_build = false;
        let build = std::mem::replace(&mut self.ops, saved_ops);
        self.mask = saved_mask;
        self.top = saved_top;
        r?;
        let outs = outs?;
        let id = self.out.tables.len() as u32;
        self.out.tables.push(TableSpec {
            block: blk.name.clone(),
            build,
            arg_slot: arg,
            outs,
            from: fs,
            to: ts,
            with: ws,
        });
        self.table_ids.insert(blk.name.clone(), id);
        Ok(id)
    }

    pub fn stmts(&mut self, body: &'a [Stmt]) -> NResult<()> {
        for s in body {
            let mark = self.top;
            let keep = matches!(s, Stmt::Local(_));
            self.stmt(s)?;
            if !keep {
                self.top = mark;
            }
        }
        Ok(())
    }

    fn stmt(&mut self, s: &'a Stmt) -> NResult<()> {
        match s {
            Stmt::Assign { lhs, rhs, line } => {
                let o = self.ex(rhs)?;
                let d = self.write_slot(lhs, *line)?;
                self.store(d, o);
            }
            Stmt::Call { name, args, line } => {
                self.call(name, args, *line)?;
            }
            Stmt::Local(names) => {
                if self.scopes.is_empty() {
                    self.scopes.push(HashMap::new());
                }
                for n in names {
                    let s = self.tmp();
                    let z = self.konst(0.0);
                    self.emit(Op::Store {
                        dst: s,
                        a: z,
                        mask: None,
                    });
                    if let Some(sc) = self.scopes.last_mut() {
                        sc.insert(n.clone(), s);
                    }
                }
            }
            Stmt::If { cond, then, els } => {
                let c = self.ex(cond)?;
                let (mt, me) = (self.tmp(), self.tmp());
                let parent = self.mask;
                self.emit(Op::Mask {
                    dst: mt,
                    parent,
                    cond: c,
                    negate: false,
                });
                self.emit(Op::Mask {
                    dst: me,
                    parent,
                    cond: c,
                    negate: true,
                });
                let at = self.ops.len();
                self.emit(Op::SkipIfNone { mask: mt, to: 0 });
                self.mask = Some(mt);
                let r = self.stmts(then);
                self.mask = parent;
                r?;
                let end = self.ops.len();
                if let Op::SkipIfNone { to, .. } = &mut self.ops[at] {
                    *to = end;
                }
                if !els.is_empty() {
                    let at = self.ops.len();
                    self.emit(Op::SkipIfNone { mask: me, to: 0 });
                    self.mask = Some(me);
                    let r = self.stmts(els);
                    self.mask = parent;
                    r?;
                    let end = self.ops.len();
                    if let Op::SkipIfNone { to, .. } = &mut self.ops[at] {
                        *to = end;
                    }
                }
            }
            Stmt::While { cond, body, .. } => {
                let start = self.ops.len();
                let c = self.ex(cond)?;
                let m = self.tmp();
                let parent = self.mask;
                self.emit(Op::Mask {
                    dst: m,
                    parent,
                    cond: c,
                    negate: false,
                });
                let at = self.ops.len();
                self.emit(Op::SkipIfNone { mask: m, to: 0 });
                self.mask = Some(m);
                let r = self.stmts(body);
                self.mask = parent;
                r?;
                self.emit(Op::Jump { to: start });
                let end = self.ops.len();
                if let Op::SkipIfNone { to, .. } = &mut self.ops[at] {
                    *to = end;
                }
            }
            Stmt::Table { .. } | Stmt::Conserve { .. } | Stmt::Compartment { .. } => {}
            Stmt::Solve {
                block,
                method,
                steadystate,
                line,
            } => {
                let Some(&blk) = self.blocks.get(block) else {
                    return self.err(*line, format!("SOLVE of unknown block '{block}'"));
                };
                if *steadystate {
                    self.steady_state(blk, method.as_deref(), *line)?;
                } else {
                    self.solve(blk, method.as_deref(), *line)?;
                }
            }
            Stmt::Deriv { state, rhs, line } => self.deriv(state, rhs, *line)?,
            Stmt::Reaction { line, .. } | Stmt::Flux { line, .. } => {
                return self.err(*line, "reaction statement outside a KINETIC block");
            }
            Stmt::Equation { line, .. } => {
                return self.err(*line, "'~' equation outside a LINEAR/NONLINEAR block");
            }
            Stmt::Unsupported { what, line } => {
                return self.err(*line, format!("{what} is not supported"));
            }
        }
        Ok(())
    }

    fn state_slot(&mut self, state: &str, line: usize) -> NResult<u32> {
        if !self.state_names.iter().any(|s| s == state) {
            return self.err(line, format!("'{state}' is not a STATE"));
        }
        self.write_slot(state, line)
    }

    fn deriv(&mut self, state: &str, rhs: &'a Expr, line: usize) -> NResult<()> {
        let x = self.state_slot(state, line)?;
        let dt = Opnd::G(self.out.g_dt);
        match self.deriv {
            None => self.err(
                line,
                format!("derivative {state}' outside a DERIVATIVE block"),
            ),
            Some(DerivMethod::Euler) => {
                let f = self.ex(rhs)?;
                // Derivatives are all evaluated before any state moves (slots past the statement's
                // temporaries are kept until the block ends).
                let d = self.tmp();
                self.emit(Op::Store {
                    dst: d,
                    a: f,
                    mask: None,
                });
                self.euler.push((x, d));
                Ok(())
            }
            Some(DerivMethod::Cnexp) => {
                let Some(b) = sym::diff(rhs, state) else {
                    return self.err(
                        line,
                        format!("cnexp: {state}' is not a linear function of {state}"),
                    );
                };
                if b.mentions(state) {
                    return self.err(
                        line,
                        format!("cnexp: {state}' is not linear in {state} (use derivimplicit)"),
                    );
                }
                if sym::is_zero(&b) {
                    // No dependence on the state: x += dt f.
                    let f = self.ex(rhs)?;
                    let p = self.tmp();
                    self.emit(Op::Bin {
                        f: Fun2::Op(BinOp::Mul),
                        dst: p,
                        a: dt,
                        b: f,
                    });
                    let s = self.tmp();
                    self.emit(Op::Bin {
                        f: Fun2::Op(BinOp::Add),
                        dst: s,
                        a: Opnd::S(x),
                        b: Opnd::S(p),
                    });
                    self.store(x, Opnd::S(s));
                    return Ok(());
                }
                // x' = a + b x: x += (1 - exp(dt b)) (-a/b - x), NEURON's form.
                let a = sym::subst(rhs, state, &Expr::Num(0.0));
                let upd = Expr::bin(
                    BinOp::Add,
                    Expr::Var(state.to_string(), line),
                    Expr::bin(
                        BinOp::Mul,
                        Expr::bin(
                            BinOp::Sub,
                            Expr::Num(1.0),
                            Expr::Call(
                                "exp".into(),
                                vec![Expr::bin(
                                    BinOp::Mul,
                                    Expr::Var("dt".into(), line),
                                    b.clone(),
                                )],
                                line,
                            ),
                        ),
                        Expr::bin(
                            BinOp::Sub,
                            Expr::Neg(Box::new(Expr::bin(BinOp::Div, a, b))),
                            Expr::Var(state.to_string(), line),
                        ),
                    ),
                );
                let o = self.ex(&upd)?;
                self.store(x, o);
                Ok(())
            }
        }
    }

    fn solve(&mut self, blk: &'a Block, method: Option<&str>, line: usize) -> NResult<()> {
        match (blk.kind, method) {
            (BlockKind::Derivative, Some(m @ ("cnexp" | "euler"))) => {
                let saved = self.deriv;
                self.deriv = Some(if m == "cnexp" {
                    DerivMethod::Cnexp
                } else {
                    DerivMethod::Euler
                });
                self.euler.clear();
                self.scopes.push(HashMap::new());
                let mark = self.top;
                let r = self.stmts_keep(&blk.body);
                self.scopes.pop();
                self.deriv = saved;
                r?;
                if m == "euler" {
                    let dt = Opnd::G(self.out.g_dt);
                    for (x, d) in std::mem::take(&mut self.euler) {
                        let p = self.tmp();
                        self.emit(Op::Bin {
                            f: Fun2::Op(BinOp::Mul),
                            dst: p,
                            a: dt,
                            b: Opnd::S(d),
                        });
                        let s = self.tmp();
                        self.emit(Op::Bin {
                            f: Fun2::Op(BinOp::Add),
                            dst: s,
                            a: Opnd::S(x),
                            b: Opnd::S(p),
                        });
                        self.emit(Op::Store {
                            dst: x,
                            a: Opnd::S(s),
                            mask: None,
                        });
                    }
                }
                self.top = mark;
                Ok(())
            }
            (BlockKind::Derivative, Some("derivimplicit")) => self.derivimplicit(blk),
            (BlockKind::Derivative, Some(m)) => self.err(
                line,
                format!(
                    "METHOD {m} for DERIVATIVE '{}' is not supported (cnexp, derivimplicit and \
                     euler are)",
                    blk.name
                ),
            ),
            (BlockKind::Kinetic, Some("sparse")) => self.kinetic(blk),
            (BlockKind::Kinetic, Some(m)) => self.err(
                line,
                format!(
                    "METHOD {m} for KINETIC '{}' is not supported (sparse is)",
                    blk.name
                ),
            ),
            (BlockKind::Linear, _) => self.linear(blk, false),
            (BlockKind::NonLinear, _) => self.linear(blk, true),
            (BlockKind::Procedure, None) => {
                self.inline(blk, &[], line)?;
                Ok(())
            }
            (k, m) => self.err(
                line,
                format!(
                    "SOLVE {} ({k:?}) with METHOD {m:?} is not supported",
                    blk.name
                ),
            ),
        }
    }

    /// `SOLVE block STEADYSTATE sparse | derivimplicit` (NEURON's `_ss_sparse_thread` and
    /// `_ss_derivimplicit_thread`): the block's implicit step with `dt` replaced, 1e9 for a
    /// KINETIC scheme (backward Euler then lands on the steady state; CONSERVE rows fix the
    /// totals) and 1e-9 for a DERIVATIVE block (NEURON 9's choice: the states barely move).
    fn steady_state(&mut self, blk: &'a Block, method: Option<&str>, line: usize) -> NResult<()> {
        let dt = match (blk.kind, method) {
            (BlockKind::Kinetic, Some("sparse")) => 1e9,
            (BlockKind::Derivative, Some("derivimplicit")) => 1e-9,
            (k, m) => {
                return self.err(
                    line,
                    format!(
                        "SOLVE {} ({k:?}) STEADYSTATE {m:?} is not supported (STEADYSTATE sparse \
                         for a KINETIC block and derivimplicit for a DERIVATIVE block are)",
                        blk.name
                    ),
                )
            }
        };
        let saved = self.steady_dt.replace(dt);
        let r = self.solve(blk, method, line);
        self.steady_dt = saved;
        r
    }

    /// Statements whose temporaries all stay allocated until the caller releases them (euler keeps
    /// its derivative slots this way).
    fn stmts_keep(&mut self, body: &'a [Stmt]) -> NResult<()> {
        for s in body {
            let mark = self.top;
            self.stmt(s)?;
            if self.deriv != Some(DerivMethod::Euler) && !matches!(s, Stmt::Local(_)) {
                self.top = mark;
            }
        }
        Ok(())
    }

    /// `SOLVE ... METHOD derivimplicit`: backward Euler on the DERIVATIVE block's equations,
    /// x = x0 + dt f(x), by Newton iterations as for a KINETIC scheme (NEURON solves the same
    /// implicit step by Newton's method).
    fn derivimplicit(&mut self, blk: &'a Block) -> NResult<()> {
        let mut states: Vec<String> = Vec::new();
        let mut f: Vec<Expr> = Vec::new();
        let mut other: Vec<&'a Stmt> = Vec::new();
        // Top-level assignments, substituted into the derivatives so that the Jacobian sees a
        // state dependence through them (`pump = vmax*cai/(cai + km)  cai' = ... - pump`).
        let mut defs: HashMap<String, Expr> = HashMap::new();
        // Statements whose dependence on the states the symbolic Jacobian cannot follow.
        let mut opaque: Vec<&'a Stmt> = Vec::new();
        let subst_defs = |e: &Expr, defs: &HashMap<String, Expr>| {
            defs.iter()
                .fold(e.clone(), |e, (name, by)| sym::subst(&e, name, by))
        };
        for s in &blk.body {
            match s {
                Stmt::Deriv { state, rhs, line } => {
                    if !self.state_names.iter().any(|x| x == state) {
                        return self.err(*line, format!("'{state}' is not a STATE"));
                    }
                    if states.contains(state) {
                        return self.err(*line, format!("{state}' is given twice"));
                    }
                    states.push(state.clone());
                    f.push(subst_defs(rhs, &defs));
                }
                Stmt::Assign { lhs, rhs, .. } => {
                    let e = subst_defs(rhs, &defs);
                    defs.insert(lhs.clone(), e);
                    other.push(s);
                }
                Stmt::Local(_) => other.push(s),
                s => {
                    // what it assigns is no longer known in closed form
                    match assigned_names(s) {
                        Some(names) => names.iter().for_each(|n| {
                            defs.remove(n);
                        }),
                        None => defs.clear(),
                    }
                    opaque.push(s);
                    other.push(s);
                }
            }
        }
        if states.is_empty() {
            return self.err(
                blk.line,
                format!("DERIVATIVE '{}' has no equation x' = ...", blk.name),
            );
        }
        // A statement that may read a state (directly, or through a call whose body is not
        // seen here) can make a derivative depend on the states where the symbolic Jacobian does
        // not see it: the step then iterates as for a nonlinear system (the residual is always
        // exact, so the iteration converges to the same implicit step).
        let hidden =
            opaque.iter().any(|s| may_read_states(s, &states)) || f.iter().any(calls_user_function);
        self.backward_euler(blk, "DERIVATIVE", &states, &f, &other, hidden)
    }

    /// Backward Euler x = x0 + dt f(x) on `states` by Newton's method with the symbolic Jacobian:
    /// one step when f is linear in the states (then exact), else a fixed number. `other` runs
    /// before each evaluation of f.
    fn backward_euler(
        &mut self,
        blk: &'a Block,
        what: &str,
        states: &[String],
        f: &[Expr],
        other: &[&'a Stmt],
        force_iterate: bool,
    ) -> NResult<()> {
        let n = states.len();
        let mut jac = Vec::with_capacity(n * n);
        let mut linear = !force_iterate;
        for fi in f {
            for s in states {
                let Some(d) = sym::diff(fi, s) else {
                    return self.err(
                        blk.line,
                        format!(
                            "{what} '{}': the right-hand sides must be differentiable in the states",
                            blk.name
                        ),
                    );
                };
                if states.iter().any(|x| d.mentions(x)) {
                    linear = false;
                }
                jac.push(d);
            }
        }
        let dt = Expr::Var("dt".into(), blk.line);
        // Newton on G(x) = x - x0 - dt F(x): (I - dt J) dx = -(x - x0 - dt F(x)).
        let mut mat: Vec<Expr> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                let djac = sym::mul(dt.clone(), jac[k].clone());
                sym::sub(Expr::Num(if i == j { 1.0 } else { 0.0 }), djac)
            })
            .collect();
        // a conservation row g(x) = 0: dg/dx dx = -g(x)
        for (i, g) in &self.conserve_rows {
            for (j, s) in states.iter().enumerate() {
                let Some(d) = sym::diff(g, s) else {
                    return self.err(blk.line, "CONSERVE must be differentiable in the states");
                };
                mat[i * n + j] = d;
            }
        }
        self.scopes.push(HashMap::new());
        let mark = self.top;
        let xs: Vec<u32> = states
            .iter()
            .map(|s| self.write_slot(s, blk.line))
            .collect::<NResult<_>>()?;
        let x0: Vec<u32> = (0..n).map(|_| self.tmp()).collect();
        for (a, b) in x0.iter().zip(&xs) {
            self.emit(Op::Store {
                dst: *a,
                a: Opnd::S(*b),
                mask: None,
            });
        }
        // a steady state from far away takes more Newton steps (NEURON iterates to convergence)
        let iters = match (linear, self.steady_dt) {
            (true, _) => 1,
            (false, None) => 8,
            (false, Some(_)) => 40,
        };
        // After an iterated DERIVATIVE step the block's variables are computed once more from the
        // final states (NEURON evaluates the block again after its Newton solve).
        let rerun = !linear && what == "DERIVATIVE";
        let res = (|| -> NResult<()> {
            for k in 0..iters + usize::from(rerun) {
                let imark = self.top;
                for s in other {
                    let m = self.top;
                    self.stmt(s)?;
                    if !matches!(s, Stmt::Local(_)) {
                        self.top = m;
                    }
                }
                if k < iters {
                    self.newton_step(&xs, &x0, f, &mat, true)?;
                }
                self.top = imark;
            }
            Ok(())
        })();
        self.scopes.pop();
        self.top = mark;
        res
    }

    /// One Newton step on the unknowns `xs`: for an ODE (`ode`), residual x - x0 - dt f; otherwise
    /// residual f (equations f = 0) with matrix `mat` = df/dx. Returns the corrections dx.
    fn newton_step(
        &mut self,
        xs: &[u32],
        x0: &[u32],
        f: &[Expr],
        mat: &[Expr],
        ode: bool,
    ) -> NResult<Vec<Opnd>> {
        let n = xs.len();
        let mut rhs = Vec::with_capacity(n);
        let conserve = if ode {
            std::mem::take(&mut self.conserve_rows)
        } else {
            Vec::new()
        };
        for i in 0..n {
            if let Some((_, g)) = conserve.iter().find(|(row, _)| *row == i) {
                let gi = self.ex(g)?;
                let r = self.tmp();
                self.emit(Op::Un {
                    f: Fun::Neg,
                    dst: r,
                    a: gi,
                });
                rhs.push(r);
                continue;
            }
            let fi = self.ex(&f[i])?;
            let r = self.tmp();
            if ode {
                // -(x - x0 - dt f) = x0 - x + dt f
                let p = self.tmp();
                let dt = match self.steady_dt {
                    Some(dt) => self.konst(dt),
                    None => Opnd::G(self.out.g_dt),
                };
                self.emit(Op::Bin {
                    f: Fun2::Op(BinOp::Mul),
                    dst: p,
                    a: dt,
                    b: fi,
                });
                let q = self.tmp();
                self.emit(Op::Bin {
                    f: Fun2::Op(BinOp::Sub),
                    dst: q,
                    a: Opnd::S(x0[i]),
                    b: Opnd::S(xs[i]),
                });
                self.emit(Op::Bin {
                    f: Fun2::Op(BinOp::Add),
                    dst: r,
                    a: Opnd::S(q),
                    b: Opnd::S(p),
                });
            } else {
                self.emit(Op::Un {
                    f: Fun::Neg,
                    dst: r,
                    a: fi,
                });
            }
            rhs.push(r);
        }
        self.conserve_rows = conserve;
        let mut m = Vec::with_capacity(n * n);
        for e in mat {
            if sym::is_zero(e) {
                m.push(None);
            } else {
                m.push(Some(self.ex(e)?));
            }
        }
        let out: Vec<Opnd> = if ode && (0..n).all(|i| m[i * n + i].is_some()) {
            // I - dt J: diagonally dominant, eliminated without pivoting over all instances
            self.sparse_solve(n, m, rhs.iter().map(|&r| Opnd::S(r)).collect())
        } else {
            let out: Vec<u32> = (0..n).map(|_| self.tmp()).collect();
            self.emit(Op::Solve {
                n,
                mat: m,
                rhs,
                out: out.clone(),
            });
            out.into_iter().map(Opnd::S).collect()
        };
        for i in 0..n {
            let s = self.tmp();
            self.emit(Op::Bin {
                f: Fun2::Op(BinOp::Add),
                dst: s,
                a: Opnd::S(xs[i]),
                b: out[i],
            });
            self.store(xs[i], Opnd::S(s));
        }
        Ok(out)
    }

    fn bin(&mut self, op: BinOp, a: Opnd, b: Opnd) -> Opnd {
        let d = self.tmp();
        self.emit(Op::Bin {
            f: Fun2::Op(op),
            dst: d,
            a,
            b,
        });
        Opnd::S(d)
    }

    /// Gaussian elimination of `mat x = rhs` written out as operations (sparse.rs): the entries
    /// that are structurally zero stay absent, the unknowns go in minimum-degree order, no
    /// pivoting (the caller guarantees a nonzero, dominant diagonal). Returns the solution.
    fn sparse_solve(&mut self, n: usize, mut a: Vec<Option<Opnd>>, mut b: Vec<Opnd>) -> Vec<Opnd> {
        let nz: Vec<bool> = a.iter().map(Option::is_some).collect();
        let order = super::sparse::min_degree_order(n, &nz);
        let mut done = vec![false; n];
        for &p in &order {
            done[p] = true;
            let Some(piv) = a[p * n + p] else { continue };
            for r in (0..n).filter(|&r| !done[r]) {
                let Some(arp) = a[r * n + p] else { continue };
                let f = self.bin(BinOp::Div, arp, piv);
                for c in (0..n).filter(|&c| !done[c]) {
                    let Some(apc) = a[p * n + c] else { continue };
                    let prod = self.bin(BinOp::Mul, f, apc);
                    let arc = a[r * n + c].unwrap_or_else(|| self.konst(0.0));
                    a[r * n + c] = Some(self.bin(BinOp::Sub, arc, prod));
                }
                let prod = self.bin(BinOp::Mul, f, b[p]);
                b[r] = self.bin(BinOp::Sub, b[r], prod);
            }
        }
        let mut x: Vec<Opnd> = b.clone();
        let mut solved = vec![false; n];
        for &p in order.iter().rev() {
            let mut s = b[p];
            for c in (0..n).filter(|&c| solved[c]) {
                if let Some(apc) = a[p * n + c] {
                    let prod = self.bin(BinOp::Mul, apc, x[c]);
                    s = self.bin(BinOp::Sub, s, prod);
                }
            }
            let piv = a[p * n + p].unwrap_or_else(|| self.konst(1.0));
            x[p] = self.bin(BinOp::Div, s, piv);
            solved[p] = true;
        }
        x
    }

    /// LINEAR (one exact Newton step) or NONLINEAR (a few) systems `~ lhs = rhs` in the STATEs.
    fn linear(&mut self, blk: &'a Block, nonlinear: bool) -> NResult<()> {
        let mut eqs = Vec::new();
        let mut other = Vec::new();
        for s in &blk.body {
            match s {
                Stmt::Equation { lhs, rhs, .. } => eqs.push(sym::sub(lhs.clone(), rhs.clone())),
                s => other.push(s),
            }
        }
        let states: Vec<String> = self
            .state_names
            .iter()
            .filter(|s| eqs.iter().any(|e| e.mentions(s)))
            .cloned()
            .collect();
        if states.len() != eqs.len() {
            return self.err(
                blk.line,
                format!(
                    "'{}': {} equations in {} unknown STATEs",
                    blk.name,
                    eqs.len(),
                    states.len()
                ),
            );
        }
        let n = states.len();
        let mut mat = Vec::with_capacity(n * n);
        for e in &eqs {
            for s in &states {
                match sym::diff(e, s) {
                    Some(d) => mat.push(d),
                    None => {
                        return self.err(
                            blk.line,
                            format!(
                                "'{}': equations must be differentiable in the states",
                                blk.name
                            ),
                        )
                    }
                }
            }
        }
        self.scopes.push(HashMap::new());
        let mark = self.top;
        let res = (|| -> NResult<()> {
            let xs: Vec<u32> = states
                .iter()
                .map(|s| self.write_slot(s, blk.line))
                .collect::<NResult<_>>()?;
            for _ in 0..(if nonlinear { 10 } else { 1 }) {
                let imark = self.top;
                for s in &other {
                    let m = self.top;
                    self.stmt(s)?;
                    if !matches!(s, Stmt::Local(_)) {
                        self.top = m;
                    }
                }
                self.newton_step(&xs, &[], &eqs, &mat, false)?;
                self.top = imark;
            }
            Ok(())
        })();
        self.scopes.pop();
        self.top = mark;
        res
    }

    pub fn inst_slot(&self, name: &str) -> u32 {
        match self.syms.get(name) {
            Some(Sym::Inst(s)) => *s,
            _ => u32::MAX,
        }
    }

    pub fn is_inst(&self, name: &str) -> bool {
        matches!(self.syms.get(name), Some(Sym::Inst(_)))
    }

    /// Lowers top-level block statements into a fresh program.
    /// `WATCH (cond) flag` (the parser's `__watch(number, cond, flag)`): a request to (re)activate
    /// the watch, recorded like `net_send`; the condition is lowered later by `watch_program`.
    fn watch(&mut self, args: &[Expr], line: usize) -> NResult<Option<Opnd>> {
        if !self.in_receive {
            return self.err(
                line,
                "WATCH is allowed only in NET_RECEIVE (and its INITIAL block)",
            );
        }
        let (Some(Expr::Num(number)), Some(cond), Some(flag)) =
            (args.first(), args.get(1), args.get(2))
        else {
            return self.err(line, "malformed WATCH statement");
        };
        let diff = match cond {
            Expr::Bin(BinOp::Gt, a, b) => Expr::bin(BinOp::Sub, (**a).clone(), (**b).clone()),
            Expr::Bin(BinOp::Lt, a, b) => Expr::bin(BinOp::Sub, (**b).clone(), (**a).clone()),
            _ => return self.err(
                line,
                "WATCH condition must be one comparison 'a > b' or 'a < b' (as NEURON requires)",
            ),
        };
        let number = *number as u32;
        let b = self.ex(flag)?;
        let a = self.konst(number as f64);
        let mask = self.mask;
        self.emit(Op::Emit {
            kind: EmitKind::Watch,
            a,
            b,
            mask,
        });
        if !self.watch_exprs.iter().any(|w| w.0 == number) {
            self.watch_exprs.push((number, diff, line));
        }
        Ok(None)
    }

    /// The program evaluating one WATCH condition (one instance at a time) and the operand that
    /// holds its value after it ran.
    pub fn watch_program(&mut self, number: u32, diff: &Expr, line: usize) -> NResult<WatchCond> {
        self.ops.clear();
        self.mask = None;
        self.scopes.push(HashMap::new());
        let mark = self.top;
        let r = self.ex(diff);
        self.scopes.pop();
        // a temporary holding the value is still set when the program ends (it runs alone)
        self.top = mark;
        let value = r?;
        Ok(WatchCond {
            number,
            ops: std::mem::take(&mut self.ops),
            value,
            line,
        })
    }

    pub fn program(&mut self, body: &[&'a Stmt]) -> NResult<Vec<Op>> {
        self.ops.clear();
        self.mask = None;
        self.scopes.push(HashMap::new());
        let mark = self.top;
        let r = (|| -> NResult<()> {
            for s in body {
                let m = self.top;
                self.stmt(s)?;
                if !matches!(s, Stmt::Local(_)) {
                    self.top = m;
                }
            }
            Ok(())
        })();
        self.scopes.pop();
        self.top = mark;
        r?;
        Ok(std::mem::take(&mut self.ops))
    }

    /// Appends `itot = sum of the current variables` to a program.
    pub fn sum_currents(&mut self, mut ops: Vec<Op>, currents: &[u32], itot: u32) -> Vec<Op> {
        std::mem::swap(&mut self.ops, &mut ops);
        let z = self.konst(0.0);
        self.emit(Op::Store {
            dst: itot,
            a: z,
            mask: None,
        });
        for &c in currents {
            let s = self.tmp();
            self.emit(Op::Bin {
                f: Fun2::Op(BinOp::Add),
                dst: s,
                a: Opnd::S(itot),
                b: Opnd::S(c),
            });
            self.emit(Op::Store {
                dst: itot,
                a: Opnd::S(s),
                mask: None,
            });
            self.top -= 1;
        }
        std::mem::swap(&mut self.ops, &mut ops);
        ops
    }

    pub fn finish(mut self) -> Compiled {
        self.out.nslots = self.max as usize;
        self.out
    }
}

fn reads(op: &Op) -> Vec<u32> {
    let s = |o: &Opnd| match o {
        Opnd::S(s) => Some(*s),
        Opnd::G(_) => None,
    };
    match op {
        Op::Bin { a, b, .. } => [s(a), s(b)].into_iter().flatten().collect(),
        Op::Un { a, .. } => s(a).into_iter().collect(),
        Op::Store { dst, a, mask } => [s(a), *mask, mask.map(|_| *dst)]
            .into_iter()
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn writes(op: &Op) -> Vec<u32> {
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

/// Length of the leading part of a current program that gives the same values whether run once
/// or before each of the two evaluations. It is plain arithmetic that reads neither v nor what the
/// rest writes (unless the part itself wrote it first), writes neither v nor an ion variable, and
/// writes nothing the rest both writes and reads before writing (its second run would see the
/// first run's value). The rest must be straight-line code (else no split: 0).
pub fn v_free_prefix(ops: &[Op], v: u32, ion_slots: &[u32]) -> usize {
    use std::collections::HashSet;
    let plain = |op: &Op| {
        matches!(
            op,
            Op::Bin { .. } | Op::Un { .. } | Op::Store { mask: None, .. }
        )
    };
    let mut split = ops
        .iter()
        .position(|op| {
            !plain(op)
                || reads(op).contains(&v)
                || writes(op).iter().any(|d| *d == v || ion_slots.contains(d))
        })
        .unwrap_or(ops.len());
    if !ops[split..].iter().all(plain) {
        return 0;
    }
    loop {
        let mut later: HashSet<u32> = HashSet::new();
        let mut exposed: HashSet<u32> = HashSet::new();
        for op in &ops[split..] {
            for r in reads(op) {
                if !later.contains(&r) {
                    exposed.insert(r);
                }
            }
            later.extend(writes(op));
        }
        let mut own: HashSet<u32> = HashSet::new();
        let mut cut = split;
        for (k, op) in ops[..split].iter().enumerate() {
            let stale_read = reads(op)
                .iter()
                .any(|r| later.contains(r) && !own.contains(r));
            let clobbered = writes(op)
                .iter()
                .any(|d| later.contains(d) && exposed.contains(d));
            if stale_read || clobbered {
                cut = k;
                break;
            }
            own.extend(writes(op));
        }
        if cut == split {
            return split;
        }
        split = cut;
    }
}

/// Peephole: `tmp = a op b; x = tmp` becomes `x = a op b` (and the store a no-op, so no jump target
/// moves) when `tmp` is a temporary (slot >= `first_tmp`) that nothing reads before it is written
/// again, `x` is not an operand, and the store is unmasked. Same values, one pass less per
/// assignment. Programs with loops are left alone.
pub fn fuse_stores(ops: &mut [Op], first_tmp: u32) {
    if ops.iter().any(|o| matches!(o, Op::Jump { .. })) {
        return;
    }
    for k in 0..ops.len().saturating_sub(1) {
        let (t, operands) = match &ops[k] {
            Op::Bin { dst, a, b, .. } => (*dst, [Some(*a), Some(*b)]),
            Op::Un { dst, a, .. } => (*dst, [Some(*a), None]),
            _ => continue,
        };
        let Op::Store {
            dst: x,
            a: Opnd::S(src),
            mask: None,
        } = ops[k + 1]
        else {
            continue;
        };
        if src != t || t < first_tmp || x == t || operands.contains(&Some(Opnd::S(x))) {
            continue;
        }
        let mut read_later = false;
        for op in &ops[k + 2..] {
            if reads_any(op).contains(&t) {
                read_later = true;
                break;
            }
            if writes(op).contains(&t) && !matches!(op, Op::Store { mask: Some(_), .. }) {
                break;
            }
        }
        if read_later {
            continue;
        }
        match &mut ops[k] {
            Op::Bin { dst, .. } | Op::Un { dst, .. } => *dst = x,
            _ => {}
        }
        ops[k + 1] = Op::Store {
            dst: x,
            a: Opnd::S(x),
            mask: None,
        };
    }
}

/// For each operation, the regions around it that a `SkipIfNone` or `Jump` jumps over (as
/// `[start, end)` ranges of operations).
pub(crate) fn regions(ops: &[Op]) -> Vec<Vec<(usize, usize)>> {
    let mut out = vec![Vec::new(); ops.len()];
    for (pc, op) in ops.iter().enumerate() {
        if let Op::SkipIfNone { to, .. } | Op::Jump { to } = op {
            let end = (*to).min(ops.len());
            for r in out.iter_mut().take(end).skip(pc + 1) {
                r.push((pc + 1, end));
            }
        }
    }
    out
}

/// For each operation, whether some instance may skip it.
pub(crate) fn skippable(ops: &[Op]) -> Vec<bool> {
    regions(ops).iter().map(|r| !r.is_empty()).collect()
}

/// The slots a program may read before it has written them (their values from before the
/// program): a write covers a later read when every instance that runs the read ran the write
/// (every region skipping the write skips the read too; a masked store covers nothing).
pub(crate) fn read_before_written(ops: &[Op]) -> std::collections::BTreeSet<u32> {
    let reg = regions(ops);
    // per slot, the regions around each of its covering writes so far
    let mut written: std::collections::HashMap<u32, Vec<&[(usize, usize)]>> = Default::default();
    let mut out = std::collections::BTreeSet::new();
    for (pc, op) in ops.iter().enumerate() {
        for r in reads_any(op) {
            let covered = written.get(&r).is_some_and(|ws| {
                ws.iter()
                    .any(|w| w.iter().all(|&(a, b)| (a..b).contains(&pc)))
            });
            if !covered {
                out.insert(r);
            }
        }
        if !matches!(op, Op::Store { mask: Some(_), .. }) {
            for w in writes(op) {
                written.entry(w).or_default().push(&reg[pc]);
            }
        }
    }
    out
}

/// Every slot an op reads (control flow, tables and solves included).
pub(crate) fn reads_any(op: &Op) -> Vec<u32> {
    let s = |o: &Opnd| match o {
        Opnd::S(s) => Some(*s),
        Opnd::G(_) => None,
    };
    match op {
        Op::Mask { parent, cond, .. } => [*parent, s(cond)].into_iter().flatten().collect(),
        Op::SkipIfNone { mask, .. } => vec![*mask],
        Op::Table { x, mask, .. } => [s(x), *mask].into_iter().flatten().collect(),
        Op::Emit { a, b, mask, .. } => [s(a), s(b), *mask].into_iter().flatten().collect(),
        Op::Rand { args, mask, .. } => args.iter().filter_map(s).chain(*mask).collect(),
        Op::Solve { mat, rhs, .. } => mat
            .iter()
            .flatten()
            .filter_map(s)
            .chain(rhs.iter().copied())
            .collect(),
        o => reads(o),
    }
}

/// Whether a statement of a DERIVATIVE block may read one of `states`: it names one, or calls a
/// PROCEDURE or FUNCTION (whose body may read any variable).
fn may_read_states(s: &Stmt, states: &[String]) -> bool {
    let expr = |e: &Expr| states.iter().any(|x| e.mentions(x)) || calls_user_function(e);
    let block = |b: &[Stmt]| b.iter().any(|s| may_read_states(s, states));
    match s {
        Stmt::Assign { rhs, .. } => expr(rhs),
        Stmt::Local(_) => false,
        Stmt::If { cond, then, els } => expr(cond) || block(then) || block(els),
        Stmt::While { cond, body, .. } => expr(cond) || block(body),
        _ => true,
    }
}

/// The variables a statement assigns, or None when it cannot be told (a PROCEDURE call).
fn assigned_names(s: &Stmt) -> Option<Vec<String>> {
    let mut out = Vec::new();
    fn walk(s: &Stmt, out: &mut Vec<String>) -> bool {
        match s {
            Stmt::Assign { lhs, .. } => {
                out.push(lhs.clone());
                true
            }
            Stmt::Local(_) => true,
            Stmt::If { then, els, .. } => then.iter().chain(els).all(|s| walk(s, out)),
            Stmt::While { body, .. } => body.iter().all(|s| walk(s, out)),
            _ => false,
        }
    }
    walk(s, &mut out).then_some(out)
}

/// Whether an expression calls a FUNCTION of the file (whose body may read the states).
fn calls_user_function(e: &Expr) -> bool {
    match e {
        Expr::Num(_) | Expr::Var(..) => false,
        Expr::Call(name, args, _) => {
            let math =
                BUILTIN1.iter().any(|(m, _)| m == name) || BUILTIN2.iter().any(|(m, _)| m == name);
            !math || args.iter().any(calls_user_function)
        }
        Expr::Neg(a) | Expr::Not(a) => calls_user_function(a),
        Expr::Bin(_, a, b) => calls_user_function(a) || calls_user_function(b),
    }
}
