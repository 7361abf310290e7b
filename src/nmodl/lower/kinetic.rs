//! KINETIC blocks solved as NEURON solves them (nocmodl's translation, scopmath's sparse solver).
//!
//! The system: each state's row is backward Euler on the sum of its reactions' fluxes (divided by
//! its COMPARTMENT volume), except that every CONSERVE replaces the row of one of its states by the
//! conservation itself, with each term times its state's volume, in time steps as in steady
//! states. The Jacobian is nocmodl's: mass action with the rate expressions taken as constants,
//! and `~ x << (flux)` terms left out of it; a scheme is "linear" when no reaction side holds a
//! state together with another species (or a second copy of it), whatever the rates read.
//!
//! A time step of a linear scheme is one Newton step. A nonlinear one iterates per instance until
//! the sum of |dx| is at most 1e-6 (scopmath's CONVERGE, an absolute test), setting states that
//! went negative to 0 after each update, for at most 22 iterations (NEURON stops the run with an
//! error beyond that; here the instance keeps its last iterate). STEADYSTATE (dt = 1e9): a linear
//! scheme iterates as above; a nonlinear one first takes up to 7 single Newton steps, each from
//! the states it starts at, until none is below -1e-6 (those below are set to 0 after each), then
//! iterates as above. After the solve the block's other statements run once more when they may
//! read a state, as NEURON evaluates the block again at the final states (so `cai = ca[0]` or a
//! current computed from `f_flux` belongs to the states the step ends at).

use super::*;

/// scopmath's convergence bound on the sum of |dx| (errcodes.hpp CONVERGE).
const CONVERGE: f64 = 1e-6;
/// Iterations before scopmath gives up (its MAXSTEPS test fails after the 22nd).
const MAX_ITERS: f64 = 22.0;
/// Single steps of a nonlinear steady state before giving up on nonnegative states.
const SS_ROUNDS: f64 = 7.0;
/// A state below this after a steady-state step is set to 0 and the step repeated.
const SS_NEGATIVE: f64 = -1e-6;

/// A KINETIC block's equations.
struct Scheme<'a> {
    states: Vec<String>,
    /// d state / dt per state (volume divided out).
    f: Vec<Expr>,
    /// n x n, row major: nocmodl's Jacobian of `f`.
    jac: Vec<Expr>,
    linear: bool,
    /// CONSERVE rows `g(x) = 0` by the row they replace.
    rows: Vec<(usize, Expr)>,
    other: Vec<&'a Stmt>,
}

impl<'a> Lx<'a> {
    /// Backward Euler on a KINETIC scheme (`SOLVE ... METHOD sparse`, or its STEADYSTATE).
    pub(super) fn kinetic(&mut self, blk: &'a Block) -> NResult<()> {
        let sch = self.scheme(blk)?;
        let n = sch.states.len();
        let dt = Expr::Var("dt".into(), blk.line);
        // I - dt J, each CONSERVE row replaced by dg/dx
        let mut mat: Vec<Expr> = (0..n * n)
            .map(|k| {
                let djac = sym::mul(dt.clone(), sch.jac[k].clone());
                sym::sub(Expr::Num(if k / n == k % n { 1.0 } else { 0.0 }), djac)
            })
            .collect();
        for (i, g) in &sch.rows {
            for (j, s) in sch.states.iter().enumerate() {
                let Some(d) = sym::diff(g, s) else {
                    return self.err(blk.line, "CONSERVE must be differentiable in the states");
                };
                mat[i * n + j] = d;
            }
        }
        self.conserve_rows = sch.rows.clone();
        self.scopes.push(HashMap::new());
        let mark = self.top;
        let res = self.kinetic_steps(blk, &sch, &mat);
        self.scopes.pop();
        self.top = mark;
        self.conserve_rows.clear();
        res
    }

    fn kinetic_steps(&mut self, blk: &'a Block, sch: &Scheme<'a>, mat: &[Expr]) -> NResult<()> {
        let n = sch.states.len();
        let xs: Vec<u32> = sch
            .states
            .iter()
            .map(|s| self.write_slot(s, blk.line))
            .collect::<NResult<_>>()?;
        let x0: Vec<u32> = (0..n).map(|_| self.tmp()).collect();
        let steady = self.steady_dt.is_some();
        match (steady, sch.linear) {
            (false, true) => {
                self.save_states(&x0, &xs);
                self.run_other(&sch.other)?;
                self.newton_step(&xs, &x0, &sch.f, mat, true)?;
            }
            (false, false) | (true, true) => {
                self.save_states(&x0, &xs);
                self.converge(sch, &xs, &x0, mat)?;
            }
            (true, false) => self.steady_nonlinear(sch, &xs, &x0, mat)?,
        }
        if sch.other.iter().any(|s| self.may_read(s, &sch.states, 0)) {
            self.run_other(&sch.other)?;
        }
        Ok(())
    }

    /// The block's statements other than reactions, in order, temporaries released after each
    /// (LOCALs kept until the caller releases them).
    fn run_other(&mut self, other: &[&'a Stmt]) -> NResult<()> {
        for s in other {
            let m = self.top;
            self.stmt(s)?;
            if !matches!(s, Stmt::Local(_)) {
                self.top = m;
            }
        }
        Ok(())
    }

    fn save_states(&mut self, x0: &[u32], xs: &[u32]) {
        for (a, b) in x0.iter().zip(xs) {
            self.store(*a, Opnd::S(*b));
        }
    }

    /// Opens a loop over the lanes where `flag` is set: returns (loop start, the SkipIfNone to
    /// patch, the enclosing mask); the body runs under the loop's mask.
    fn open_loop(&mut self, flag: u32) -> (usize, usize, Option<u32>) {
        let start = self.ops.len();
        let parent = self.mask;
        let m = self.tmp();
        self.emit(Op::Mask {
            dst: m,
            parent,
            cond: Opnd::S(flag),
            negate: false,
        });
        let at = self.ops.len();
        self.emit(Op::SkipIfNone { mask: m, to: 0 });
        self.mask = Some(m);
        (start, at, parent)
    }

    fn close_loop(&mut self, (start, at, parent): (usize, usize, Option<u32>)) {
        self.mask = parent;
        self.emit(Op::Jump { to: start });
        let end = self.ops.len();
        if let Op::SkipIfNone { to, .. } = &mut self.ops[at] {
            *to = end;
        }
    }

    fn set(&mut self, dst: u32, v: f64) {
        let k = self.konst(v);
        self.store(dst, k);
    }

    /// scopmath's sparse iteration from the saved states `x0`: Newton steps on the lanes not yet
    /// converged, negative states set to 0 after each, until sum |dx| <= CONVERGE.
    fn converge(&mut self, sch: &Scheme<'a>, xs: &[u32], x0: &[u32], mat: &[Expr]) -> NResult<()> {
        let (active, count) = (self.tmp(), self.tmp());
        self.set(active, 1.0);
        self.set(count, 0.0);
        let lp = self.open_loop(active);
        let mark = self.top;
        self.run_other(&sch.other)?;
        let dx = self.newton_step(xs, x0, &sch.f, mat, true)?;
        self.zero_below(xs, 0.0);
        let mut err = self.konst(0.0);
        for d in dx {
            let a = self.tmp();
            self.emit(Op::Un {
                f: Fun::Fabs,
                dst: a,
                a: d,
            });
            err = self.bin(BinOp::Add, err, Opnd::S(a));
        }
        let one = self.konst(1.0);
        let c = self.bin(BinOp::Add, Opnd::S(count), one);
        self.store(count, c);
        let tol = self.konst(CONVERGE);
        let more = self.bin(BinOp::Gt, err, tol);
        let cap = self.konst(MAX_ITERS);
        let left = self.bin(BinOp::Lt, Opnd::S(count), cap);
        let go = self.bin(BinOp::And, more, left);
        self.store(active, go);
        self.top = mark;
        self.close_loop(lp);
        Ok(())
    }

    /// Sets the states below `bound` to 0 (under the current mask); returns whether any was.
    fn zero_below(&mut self, xs: &[u32], bound: f64) -> Opnd {
        let b = self.konst(bound);
        let zero = self.konst(0.0);
        let mut any = zero;
        for &x in xs {
            let low = self.bin(BinOp::Lt, Opnd::S(x), b);
            let m = self.tmp();
            self.emit(Op::Mask {
                dst: m,
                parent: self.mask,
                cond: low,
                negate: false,
            });
            self.emit(Op::Store {
                dst: x,
                a: zero,
                mask: Some(m),
            });
            any = self.bin(BinOp::Or, any, low);
        }
        any
    }

    /// NEURON's steady state of a nonlinear scheme (`_ss_sparse_thread`): single Newton steps of
    /// dt 1e9, each from where the last ended, until no state is below SS_NEGATIVE (such states
    /// set to 0), at most SS_ROUNDS; then, where that succeeded, the full iteration.
    fn steady_nonlinear(
        &mut self,
        sch: &Scheme<'a>,
        xs: &[u32],
        x0: &[u32],
        mat: &[Expr],
    ) -> NResult<()> {
        let (pending, rounds, ok) = (self.tmp(), self.tmp(), self.tmp());
        self.set(pending, 1.0);
        self.set(rounds, 0.0);
        self.set(ok, 0.0);
        let lp = self.open_loop(pending);
        let mark = self.top;
        self.save_states(x0, xs);
        self.run_other(&sch.other)?;
        self.newton_step(xs, x0, &sch.f, mat, true)?;
        let bad = self.zero_below(xs, SS_NEGATIVE);
        let one = self.konst(1.0);
        let r = self.bin(BinOp::Add, Opnd::S(rounds), one);
        self.store(rounds, r);
        let good = self.tmp();
        self.emit(Op::Un {
            f: Fun::Not,
            dst: good,
            a: bad,
        });
        self.store(ok, Opnd::S(good));
        let cap = self.konst(SS_ROUNDS);
        let left = self.bin(BinOp::Lt, Opnd::S(rounds), cap);
        let again = self.bin(BinOp::And, bad, left);
        self.store(pending, again);
        self.top = mark;
        self.close_loop(lp);
        // `ok` lanes: one pass of a loop that runs once (the mask is what matters)
        let parent = self.mask;
        let m = self.tmp();
        self.emit(Op::Mask {
            dst: m,
            parent,
            cond: Opnd::S(ok),
            negate: false,
        });
        let at = self.ops.len();
        self.emit(Op::SkipIfNone { mask: m, to: 0 });
        self.mask = Some(m);
        self.save_states(x0, xs);
        let r = self.converge(sch, xs, x0, mat);
        self.mask = parent;
        r?;
        let end = self.ops.len();
        if let Op::SkipIfNone { to, .. } = &mut self.ops[at] {
            *to = end;
        }
        Ok(())
    }

    /// Whether a statement may read one of `states`, looking into the PROCEDUREs and FUNCTIONs
    /// it calls (NaV's `rates(v)` does not, so its step does not evaluate the rates twice).
    fn may_read(&self, s: &Stmt, states: &[String], depth: usize) -> bool {
        let expr = |e: &Expr| {
            states.iter().any(|x| e.mentions(x)) || self.calls_may_read(e, states, depth)
        };
        let block = |b: &[Stmt]| b.iter().any(|s| self.may_read(s, states, depth));
        match s {
            Stmt::Assign { rhs, .. } => expr(rhs),
            Stmt::Local(_) => false,
            Stmt::If { cond, then, els } => expr(cond) || block(then) || block(els),
            Stmt::While { cond, body, .. } => expr(cond) || block(body),
            Stmt::Call { name, args, .. } => {
                args.iter().any(expr) || self.body_may_read(name, states, depth)
            }
            _ => true,
        }
    }

    fn calls_may_read(&self, e: &Expr, states: &[String], depth: usize) -> bool {
        match e {
            Expr::Call(name, args, _) => {
                args.iter().any(|a| self.calls_may_read(a, states, depth))
                    || self.body_may_read(name, states, depth)
            }
            Expr::Neg(a) | Expr::Not(a) => self.calls_may_read(a, states, depth),
            Expr::Bin(_, a, b) => {
                self.calls_may_read(a, states, depth) || self.calls_may_read(b, states, depth)
            }
            _ => false,
        }
    }

    /// A user block's body may read a state (a math library function never does; recursion
    /// deeper than a few levels is assumed to).
    fn body_may_read(&self, name: &str, states: &[String], depth: usize) -> bool {
        match self.blocks.get(name) {
            None => false,
            Some(_) if depth > 8 => true,
            Some(b) => b.body.iter().any(|s| self.may_read(s, states, depth + 1)),
        }
    }

    /// The scheme of a KINETIC block: reactions, fluxes, COMPARTMENT volumes and CONSERVE rows.
    fn scheme(&mut self, blk: &'a Block) -> NResult<Scheme<'a>> {
        let mut conserve: Vec<(&Expr, &Expr, usize)> = Vec::new();
        let mut volume: HashMap<String, Expr> = HashMap::new();
        // (state, d state/dt contribution)
        let mut flux: Vec<(String, Expr)> = Vec::new();
        // (row state, column state, d flux/d column) of the mass-action terms
        let mut dflux: Vec<(String, String, Expr)> = Vec::new();
        let mut linear = true;
        let mut other: Vec<&'a Stmt> = Vec::new();
        for s in &blk.body {
            match s {
                Stmt::Reaction {
                    lhs,
                    rhs,
                    kf,
                    kb,
                    line,
                } => {
                    // A species that is not a STATE is a fixed concentration (NMODL's rule).
                    for (_, n) in lhs.iter().chain(rhs.iter()) {
                        if !self.state_names.contains(n) {
                            self.read_var(n, *line)?;
                        }
                    }
                    let zero = Expr::Num(0.0);
                    let sides = [(lhs, kf), (rhs, kb.as_ref().unwrap_or(&zero))];
                    let mut net = product(kf, lhs, *line);
                    if let Some(kb) = kb {
                        net = sym::sub(net, product(kb, rhs, *line));
                    }
                    for (j, (side, _)) in sides.iter().enumerate() {
                        let sign = if j == 0 { -1.0 } else { 1.0 };
                        for (c, n) in side.iter().filter(|(_, n)| self.state_names.contains(n)) {
                            flux.push((n.clone(), sym::mul(Expr::Num(sign * c), net.clone())));
                        }
                    }
                    // nocmodl's matrix terms: d(k * product)/d(species) with k a constant
                    for (j, (side, k)) in sides.iter().enumerate() {
                        let total: f64 = side.iter().map(|(c, _)| c).sum();
                        for (at, (_, col)) in side.iter().enumerate() {
                            if !self.state_names.contains(col) {
                                continue;
                            }
                            if total > 1.0 {
                                linear = false;
                            }
                            let term = derivative(k, side, at, *line);
                            for (j1, (side1, _)) in sides.iter().enumerate() {
                                let sign = if j == j1 { -1.0 } else { 1.0 };
                                for (c1, row) in
                                    side1.iter().filter(|(_, n)| self.state_names.contains(n))
                                {
                                    dflux.push((
                                        row.clone(),
                                        col.clone(),
                                        sym::mul(Expr::Num(sign * c1), term.clone()),
                                    ));
                                }
                            }
                        }
                    }
                }
                Stmt::Flux {
                    state,
                    flux: f,
                    line,
                } => {
                    if !self.state_names.iter().any(|s| s == state) {
                        return self.err(*line, format!("'{state}' in a flux is not a STATE"));
                    }
                    flux.push((state.clone(), f.clone()));
                }
                Stmt::Compartment {
                    volume: v, states, ..
                } => {
                    for s in states {
                        volume.insert(s.clone(), v.clone());
                    }
                }
                Stmt::Conserve { lhs, rhs, line } => conserve.push((lhs, rhs, *line)),
                s => other.push(s),
            }
        }
        let states: Vec<String> = self
            .state_names
            .iter()
            .filter(|s| flux.iter().any(|(n, _)| n == *s))
            .cloned()
            .collect();
        let per_volume = |s: &str, e: Expr| match volume.get(s) {
            Some(v) => sym::div(e, v.clone()),
            None => e,
        };
        let f: Vec<Expr> = states
            .iter()
            .map(|s| {
                let sum = flux
                    .iter()
                    .filter(|(n, _)| n == s)
                    .fold(Expr::Num(0.0), |e, (_, t)| sym::add(e, t.clone()));
                per_volume(s, sum)
            })
            .collect();
        let n = states.len();
        let mut jac = vec![Expr::Num(0.0); n * n];
        for (row, col, d) in dflux {
            let (Some(i), Some(j)) = (
                states.iter().position(|s| *s == row),
                states.iter().position(|s| *s == col),
            ) else {
                continue;
            };
            jac[i * n + j] = sym::add(jac[i * n + j].clone(), d);
        }
        for (i, s) in states.iter().enumerate() {
            for j in 0..n {
                jac[i * n + j] = per_volume(s, jac[i * n + j].clone());
            }
        }
        // nocmodl numbers the CONSERVE statements from the last, each taking the row of its last
        // state not yet taken; each term counts times its state's volume
        let mut rows: Vec<(usize, Expr)> = Vec::new();
        for (lhs, rhs, line) in conserve.into_iter().rev() {
            let mut names = Vec::new();
            lhs.names(&mut names);
            let row = names
                .iter()
                .rev()
                .filter_map(|n| states.iter().position(|s| s == n))
                .find(|i| rows.iter().all(|(r, _)| r != i));
            let Some(row) = row else {
                return self.err(
                    line,
                    "CONSERVE names no state of the scheme left to replace",
                );
            };
            let total = states.iter().fold(lhs.clone(), |e, s| match volume.get(s) {
                Some(v) => sym::subst(&e, s, &sym::mul(Expr::Var(s.clone(), line), v.clone())),
                None => e,
            });
            rows.push((row, sym::sub(total, rhs.clone())));
        }
        Ok(Scheme {
            states,
            f,
            jac,
            linear,
            rows,
            other,
        })
    }
}

/// `k * s1^c1 * s2^c2 ...` (a side's mass-action flux).
fn product(k: &Expr, side: &Species, line: usize) -> Expr {
    let mut e = k.clone();
    for (c, n) in side {
        e = sym::mul(e, power(n, *c, line));
    }
    e
}

fn power(n: &str, c: f64, line: usize) -> Expr {
    let v = Expr::Var(n.to_string(), line);
    if c == 1.0 {
        v
    } else {
        Expr::bin(BinOp::Pow, v, Expr::Num(c))
    }
}

/// nocmodl's matrix term of the side's species number `at`: d(k * product)/d(that species), k
/// held constant and a species written twice counted as two.
fn derivative(k: &Expr, side: &Species, at: usize, line: usize) -> Expr {
    let mut e = sym::mul(k.clone(), Expr::Num(side[at].0));
    for (i, (c1, n)) in side.iter().enumerate() {
        let p = if i == at { c1 - 1.0 } else { *c1 };
        if p != 0.0 {
            e = sym::mul(e, power(n, p, line));
        }
    }
    e
}
