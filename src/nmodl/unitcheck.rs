//! Unit checking as NEURON's `modlunit` does it, reported as warnings: the arithmetic is never
//! changed (a file runs with its numbers as written, as NEURON runs it).
//!
//! The rules (learned from modlunit's behaviour and its grammar, written anew here):
//! - every unit string must be known ([`unit_table`]; a file's UNITS block adds names);
//! - a variable declared without units is dimensionless; a plain number conforms to anything;
//!   `2 (mV)` has units; a number alone in parentheses, `(1000)`, is a conversion factor
//!   (dimensionless with factor 1/1000);
//! - `a = b`, `a + b`, `a - b` and comparisons need conformable units with the same factor
//!   (to 1e-5); `*` and `/` combine them; `x^n` with n an integer literal raises them, any other
//!   exponent needs x and n dimensionless; `x' = f` needs f in units of x per ms;
//! - arguments of the math library (exp, log, fabs, sqrt, pow, ...) must be dimensionless with
//!   factor 1; arguments of a FUNCTION/PROCEDURE must match its declared argument units (none:
//!   dimensionless), and a call has the function's declared result units;
//! - a LOCAL takes the units of what is assigned to it;
//! - between UNITSOFF and UNITSON nothing is checked; reactions of KINETIC blocks are not
//!   checked here (modlunit checks them separately);
//! - finally NEURON's own variables: v, ion reversal potentials in mV, t and dt in ms, celsius
//!   in degC, diam in um, area in um2, concentrations in mM, currents in mA/cm2 (density
//!   mechanisms) or nA (point processes).
//!
//! modlunit stops at its first error; the checker reports every finding, in the order modlunit
//! would meet them (unit names first, then statements in file order, then NEURON's variables),
//! so the first warning is modlunit's error.

use std::collections::HashMap;

use super::ast::{BinOp, Block, BlockKind, Decl, Expr, File, Stmt};
use super::parser::{PAREN_MARK, UNITS_MARK};
use super::unit_table::{Table, Unit};
use super::NResult;

/// One finding: the line, what kind (`unknown-unit`, `not-conformable`, `conversion-factor`,
/// `not-dimensionless`, `neuron-units`, `redefinition`) and a message naming both units.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitWarning {
    pub line: usize,
    pub kind: &'static str,
    pub message: String,
}

/// The units of an expression: known (and whether it is a plain number, which conforms to
/// anything), or not known (an unknown unit was already reported: nothing more is checked).
#[derive(Debug, Clone, Copy)]
enum U {
    Known(Unit, bool),
    Any,
}

const MATH: &[&str] = &[
    "exp", "log", "log10", "fabs", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
    "cosh", "tanh", "floor", "ceil", "pow", "exprelr", "expm1", "atan2", "fmod",
];

struct Checker<'a> {
    table: Table,
    f: &'a File,
    globals: HashMap<String, U>,
    defines: HashMap<String, f64>,
    funcs: HashMap<&'a str, &'a Block>,
    locals: Vec<HashMap<String, U>>,
    out: Vec<UnitWarning>,
    line: usize,
    /// Names read or written anywhere (NEURON's variables are checked if used undeclared).
    used: std::collections::HashSet<String>,
    /// The first walk only collects `used`.
    silent: bool,
}

fn fmt_u(u: &Unit) -> String {
    format!("({u})")
}

impl<'a> Checker<'a> {
    fn warn(&mut self, kind: &'static str, message: String) {
        let w = UnitWarning {
            line: self.line,
            kind,
            message,
        };
        // an unrolled FROM loop repeats its statements: one finding each
        if !self.silent && !self.out.contains(&w) {
            self.out.push(w);
        }
    }

    fn units_of(&self, text: Option<&str>) -> U {
        match text {
            None => U::Known(Unit::ONE, false),
            Some(t) => match self.table.parse(t) {
                Ok(u) => U::Known(u, false),
                Err(_) => U::Any,
            },
        }
    }

    fn lookup(&self, name: &str) -> U {
        for scope in self.locals.iter().rev() {
            if let Some(u) = scope.get(name) {
                return *u;
            }
        }
        if let Some(v) = self.defines.get(name) {
            let _ = v;
            return U::Known(Unit::ONE, true);
        }
        self.globals.get(name).copied().unwrap_or(U::Any)
    }

    /// modlunit's comparison of `a` (first) with `b`: a number takes the other's units.
    fn cmp(&mut self, a: U, b: U, what: &str) -> U {
        match (a, b) {
            (_, U::Known(_, true)) => a,
            (U::Known(_, true), _) => match b {
                U::Known(u, _) => U::Known(u, false),
                U::Any => U::Any,
            },
            (U::Known(ua, _), U::Known(ub, _)) => {
                if !ua.conforms(&ub) {
                    self.warn(
                        "not-conformable",
                        format!(
                            "{what}: the units {} (left) and {} (right) are not conformable",
                            fmt_u(&ua),
                            fmt_u(&ub)
                        ),
                    );
                } else if !ua.same_factor(&ub) {
                    self.warn(
                        "conversion-factor",
                        format!(
                            "{what}: {} and {} differ by the factor {:e} (a conversion factor is missing)",
                            fmt_u(&ua),
                            fmt_u(&ub),
                            ub.factor / ua.factor
                        ),
                    );
                }
                a
            }
            _ => a,
        }
    }

    /// Must be dimensionless with factor 1.
    fn unitless(&mut self, v: U, what: &str) {
        if let U::Known(u, _) = v {
            if !u.dimensionless() {
                self.warn(
                    "not-dimensionless",
                    format!("{what} is not dimensionless: {}", fmt_u(&u)),
                );
            } else if !u.same_factor(&Unit::ONE) {
                self.warn(
                    "conversion-factor",
                    format!("{what} needs the conversion factor ({:e})", 1.0 / u.factor),
                );
            }
        }
    }

    fn expr(&mut self, e: &Expr) -> U {
        match e {
            Expr::Num(_) => U::Known(Unit::ONE, true),
            Expr::Var(name, _) => {
                self.used.insert(name.clone());
                self.lookup(name)
            }
            Expr::Neg(a) => self.expr(a),
            Expr::Not(a) => {
                self.expr(a);
                U::Known(Unit::ONE, false)
            }
            Expr::Call(name, args, _) => {
                if let Some(text) = name.strip_prefix(UNITS_MARK) {
                    return self.units_of(Some(text));
                }
                if name == PAREN_MARK {
                    let inner = &args[0];
                    let v = self.expr(inner);
                    let d = match inner {
                        Expr::Num(d) => Some(*d),
                        Expr::Var(n, _) => self.defines.get(n).copied(),
                        _ => None,
                    };
                    return match d {
                        Some(d) if d != 0.0 => U::Known(
                            Unit {
                                factor: 1.0 / d,
                                ..Unit::ONE
                            },
                            false,
                        ),
                        _ => v,
                    };
                }
                self.call(name, args)
            }
            Expr::Bin(op, a, b) => {
                let ua = self.expr(a);
                let ub = self.expr(b);
                match op {
                    BinOp::Add | BinOp::Sub => self.cmp(ua, ub, "sum"),
                    BinOp::Mul | BinOp::Div => match (ua, ub) {
                        (U::Known(x, nx), U::Known(y, ny)) => U::Known(
                            if *op == BinOp::Mul {
                                x.times(y)
                            } else {
                                x.per(y)
                            },
                            nx && ny,
                        ),
                        _ => U::Any,
                    },
                    BinOp::Pow => {
                        self.unitless(ub, "the exponent");
                        let int_exponent = match &**b {
                            Expr::Num(n) if n.fract() == 0.0 && *n >= 0.0 => Some(*n as i32),
                            _ => None,
                        };
                        match (int_exponent, ua) {
                            (Some(n), U::Known(x, num)) => U::Known(x.powi(n.max(1)), num),
                            (Some(_), U::Any) => U::Any,
                            (None, _) => {
                                self.unitless(ua, "the base of a non-integer power");
                                U::Known(Unit::ONE, false)
                            }
                        }
                    }
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => {
                        self.cmp(ua, ub, "comparison");
                        U::Known(Unit::ONE, false)
                    }
                    BinOp::And | BinOp::Or => U::Known(Unit::ONE, false),
                }
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Expr]) -> U {
        if let Some(b) = self.funcs.get(name).copied() {
            for (k, a) in args.iter().enumerate() {
                let v = self.expr(a);
                let want = self.units_of(b.arg_units.get(k).and_then(|u| u.as_deref()));
                self.cmp(want, v, &format!("argument {} of {name}", k + 1));
            }
            return match b.kind {
                BlockKind::Function => self.units_of(b.units.as_deref()),
                _ => U::Known(Unit::ONE, false),
            };
        }
        let vals: Vec<U> = args.iter().map(|a| self.expr(a)).collect();
        if MATH.contains(&name) {
            for v in vals {
                self.unitless(v, &format!("the argument of {name}"));
            }
        }
        // net_send, net_event, random streams, ...: not checked
        U::Known(Unit::ONE, false)
    }

    fn assign(&mut self, lhs: &str, rhs: U) {
        self.used.insert(lhs.to_string());
        for scope in self.locals.iter_mut().rev() {
            if let Some(slot) = scope.get_mut(lhs) {
                // a LOCAL takes the units of its value
                *slot = match rhs {
                    U::Known(u, _) => U::Known(u, false),
                    U::Any => U::Any,
                };
                return;
            }
        }
        let l = self.lookup(lhs);
        self.cmp(l, rhs, &format!("assignment to {lhs}"));
    }

    fn off(&self, line: usize) -> bool {
        self.f
            .unit_toggles
            .iter()
            .rfind(|(l, _)| *l <= line)
            .is_some_and(|(_, on)| !on)
    }

    fn stmts(&mut self, body: &[Stmt], kinetic: bool) {
        for s in body {
            self.stmt(s, kinetic);
        }
    }

    fn stmt(&mut self, s: &Stmt, kinetic: bool) {
        let line = stmt_line(s);
        if let Some(l) = line {
            if self.off(l) {
                return;
            }
            self.line = l;
        }
        match s {
            Stmt::Assign { lhs, rhs, .. } => {
                let v = self.expr(rhs);
                self.assign(lhs, v);
            }
            Stmt::Deriv { state, rhs, .. } => {
                let v = self.expr(rhs);
                let want = match (self.lookup(state), self.table.parse("ms")) {
                    (U::Known(x, _), Ok(ms)) => U::Known(x.per(ms), false),
                    _ => U::Any,
                };
                self.cmp(want, v, &format!("{state}' (units of {state} per ms)"));
            }
            Stmt::Call { name, args, .. } => {
                self.call(name, args);
            }
            Stmt::If { cond, then, els } => {
                if let Some(l) = expr_line(cond) {
                    self.line = l;
                }
                self.expr(cond);
                self.stmts(then, kinetic);
                self.stmts(els, kinetic);
            }
            Stmt::While { cond, body, .. } => {
                self.expr(cond);
                self.stmts(body, kinetic);
            }
            Stmt::Local(names) => {
                if let Some(scope) = self.locals.last_mut() {
                    for n in names {
                        scope.insert(n.clone(), U::Known(Unit::ONE, false));
                    }
                }
            }
            Stmt::Equation { lhs, rhs, .. } => {
                let a = self.expr(lhs);
                let b = self.expr(rhs);
                self.cmp(a, b, "equation");
            }
            Stmt::Reaction { .. }
            | Stmt::Flux { .. }
            | Stmt::Conserve { .. }
            | Stmt::Compartment { .. }
            | Stmt::Solve { .. }
            | Stmt::Table { .. }
            | Stmt::Unsupported { .. } => {}
        }
    }

    fn block(&mut self, b: &Block) {
        let mut scope = HashMap::new();
        for (k, a) in b.args.iter().enumerate() {
            let u = self.units_of(b.arg_units.get(k).and_then(|u| u.as_deref()));
            scope.insert(a.clone(), u);
        }
        if b.kind == BlockKind::NetReceive {
            scope.insert("flag".to_string(), U::Known(Unit::ONE, false));
        }
        if b.kind == BlockKind::Function {
            // the function's name is its result
            scope.insert(b.name.clone(), self.units_of(b.units.as_deref()));
        }
        self.locals.push(scope);
        self.stmts(&b.body, b.kind == BlockKind::Kinetic);
        self.locals.pop();
    }
}

fn expr_line(e: &Expr) -> Option<usize> {
    match e {
        Expr::Num(_) => None,
        Expr::Var(_, l) | Expr::Call(_, _, l) => Some(*l),
        Expr::Neg(a) | Expr::Not(a) => expr_line(a),
        Expr::Bin(_, a, b) => expr_line(a).or_else(|| expr_line(b)),
    }
}

fn stmt_line(s: &Stmt) -> Option<usize> {
    match s {
        Stmt::Assign { line, .. }
        | Stmt::Deriv { line, .. }
        | Stmt::Call { line, .. }
        | Stmt::While { line, .. }
        | Stmt::Solve { line, .. }
        | Stmt::Reaction { line, .. }
        | Stmt::Flux { line, .. }
        | Stmt::Equation { line, .. }
        | Stmt::Conserve { line, .. }
        | Stmt::Compartment { line, .. }
        | Stmt::Table { line, .. }
        | Stmt::Unsupported { line, .. } => Some(*line),
        Stmt::If { cond, .. } => expr_line(cond),
        Stmt::Local(_) => None,
    }
}

/// Every unit string of the file with its line: declarations, UNITS entries, arguments,
/// results and numbers with units in expressions.
fn unit_strings(f: &File) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let decls = |out: &mut Vec<(usize, String)>, ds: &[Decl]| {
        for d in ds {
            if let Some(u) = &d.units {
                out.push((d.line, u.clone()));
            }
        }
    };
    decls(&mut out, &f.parameters);
    decls(&mut out, &f.assigned);
    decls(&mut out, &f.states);
    decls(&mut out, &f.constants);
    for (_, u, l) in &f.unit_numbers {
        out.push((*l, u.clone()));
    }
    fn in_expr(e: &Expr, out: &mut Vec<(usize, String)>) {
        match e {
            Expr::Call(name, args, l) => {
                if let Some(t) = name.strip_prefix(UNITS_MARK) {
                    out.push((*l, t.to_string()));
                }
                args.iter().for_each(|a| in_expr(a, out));
            }
            Expr::Neg(a) | Expr::Not(a) => in_expr(a, out),
            Expr::Bin(_, a, b) => {
                in_expr(a, out);
                in_expr(b, out);
            }
            _ => {}
        }
    }
    fn in_stmts(ss: &[Stmt], out: &mut Vec<(usize, String)>) {
        for s in ss {
            match s {
                Stmt::Assign { rhs, .. } | Stmt::Deriv { rhs, .. } => in_expr(rhs, out),
                Stmt::Call { args, .. } => args.iter().for_each(|a| in_expr(a, out)),
                Stmt::If { cond, then, els } => {
                    in_expr(cond, out);
                    in_stmts(then, out);
                    in_stmts(els, out);
                }
                Stmt::While { cond, body, .. } => {
                    in_expr(cond, out);
                    in_stmts(body, out);
                }
                Stmt::Equation { lhs, rhs, .. } => {
                    in_expr(lhs, out);
                    in_expr(rhs, out);
                }
                _ => {}
            }
        }
    }
    for b in &f.blocks {
        for u in b.arg_units.iter().chain([&b.units]).flatten() {
            out.push((b.line, u.clone()));
        }
        in_stmts(&b.body, &mut out);
    }
    out.sort_by_key(|(l, _)| *l);
    out
}

/// The unit findings of NMODL source, in modlunit's order (see the module documentation).
pub fn check(file: &str, src: &str) -> NResult<Vec<UnitWarning>> {
    let f = super::parser::parse_for_units(file, src)?;
    Ok(check_file(&f))
}

fn check_file(f: &File) -> Vec<UnitWarning> {
    let mut c = Checker {
        table: Table::new(),
        f,
        globals: HashMap::new(),
        defines: f.defines.iter().cloned().collect(),
        funcs: HashMap::new(),
        locals: Vec::new(),
        out: Vec::new(),
        line: 0,
        used: Default::default(),
        silent: false,
    };
    // UNITS block: definitions, then named factors (their units are the second unit's).
    for (name, def, line) in &f.unit_defs {
        c.line = *line;
        match c.table.parse(def) {
            Ok(u) => {
                if !c.table.define(name, u) {
                    c.warn(
                        "redefinition",
                        format!("({name}) is already a unit: the redefinition is ignored"),
                    );
                }
            }
            Err(e) => c.warn(
                "unknown-unit",
                format!("cannot recognize the units '{}' in ({def})", e.0),
            ),
        }
    }
    for (name, u1, u2, line) in &f.unit_constants {
        c.line = *line;
        if let (Ok(a), Ok(b)) = (c.table.parse(u1), c.table.parse(u2)) {
            if !a.per(b).dimensionless() {
                c.warn(
                    "not-dimensionless",
                    format!("{name} = ({u1}) ({u2}): the ratio is not dimensionless"),
                );
            }
            c.globals.insert(name.clone(), U::Known(b, false));
        }
    }
    for (name, u, _) in &f.unit_numbers {
        let v = c.units_of(Some(u));
        c.globals.insert(name.clone(), v);
        c.defines.remove(name);
    }
    // t is the independent variable (ms); NEURON's other variables used undeclared are
    // dimensionless (and reported at the end)
    let ms = c.units_of(Some("ms"));
    c.globals.insert("t".into(), ms);
    for name in ["v", "dt", "celsius", "diam", "area"] {
        c.globals.insert(name.into(), U::Known(Unit::ONE, false));
    }
    for d in f
        .parameters
        .iter()
        .chain(&f.assigned)
        .chain(&f.states)
        .chain(&f.constants)
    {
        let u = c.units_of(d.units.as_deref());
        c.globals.insert(d.name.clone(), u);
    }
    for b in &f.blocks {
        if matches!(b.kind, BlockKind::Function | BlockKind::Procedure) {
            c.funcs.insert(b.name.as_str(), b);
        }
    }
    // modlunit checks NEURON's variables (those the file declares or uses) before the other
    // unit strings and the statements: a silent walk finds the used ones first
    c.silent = true;
    statements(&mut c, f);
    c.silent = false;
    neuron_variables(&mut c, f);
    // then every unit string, in file order
    for (line, text) in unit_strings(f) {
        if let Err(e) = c.table.parse(&text) {
            c.line = line;
            c.warn(
                "unknown-unit",
                format!(
                    "cannot recognize the units '{}' in ({text}): define it in the UNITS block, \
                     e.g. ({}) = (...)",
                    e.0, e.0
                ),
            );
        }
    }
    statements(&mut c, f);
    c.out
}

fn statements(c: &mut Checker, f: &File) {
    // file-level LOCALs take the units of what is assigned to them, across blocks
    c.locals = vec![f
        .file_locals
        .iter()
        .map(|n| (n.clone(), U::Known(Unit::ONE, false)))
        .collect()];
    for b in &f.blocks {
        c.block(b);
    }
    if let Some(b) = &f.net_receive_initial {
        c.locals.push(HashMap::new());
        c.stmts(b, false);
        c.locals.pop();
    }
}

/// NEURON's variables must have NEURON's units.
fn neuron_variables(c: &mut Checker, f: &File) {
    let nb = &f.neuron;
    let point = nb.point_process.is_some() || nb.artificial_cell.is_some();
    let mut required: Vec<(String, &str)> = ["v", "t", "dt", "celsius", "diam", "area"]
        .iter()
        .zip(["millivolt", "ms", "ms", "degC", "micron", "micron2"])
        .map(|(n, u)| (n.to_string(), u))
        .collect();
    let current = if point { "nanoamp" } else { "milliamp/cm2" };
    for n in nb.nonspecific.iter().chain(&nb.electrode_current) {
        required.push((n.clone(), current));
    }
    // modlunit's order: currents, concentrations, reversal potentials
    for pass in 0..3 {
        for ion in &nb.ions {
            for n in ion.read.iter().chain(&ion.write) {
                let (k, unit) = if *n == format!("i{}", ion.ion) {
                    (0, current)
                } else if *n == format!("e{}", ion.ion) {
                    (2, "millivolt")
                } else {
                    (1, "milli/liter")
                };
                if k == pass {
                    required.push((n.clone(), unit));
                }
            }
        }
    }
    let declared: HashMap<&str, &Decl> = f
        .parameters
        .iter()
        .chain(&f.assigned)
        .chain(&f.states)
        .map(|d| (d.name.as_str(), d))
        .collect();
    for (name, unit) in required {
        let (units, at) = match declared.get(name.as_str()) {
            Some(d) => (d.units.as_deref().unwrap_or(""), d.line),
            None if name != "t" && c.used.contains(&name) => ("", nb.line),
            None => continue,
        };
        let (Ok(have), Ok(want)) = (c.table.parse(units), c.table.parse(unit)) else {
            continue;
        };
        if !(have.conforms(&want) && have.same_factor(&want)) {
            // modlunit reports these at the NEURON block
            c.line = nb.line;
            c.warn(
                "neuron-units",
                format!("{name} (line {at}) must have the units ({unit}) instead of ({units})"),
            );
        }
    }
}
