//! Symbolic algebra on expressions, what the solvers need: derivative by a variable (cnexp's
//! linear coefficient, the Jacobians of KINETIC/LINEAR), substitution, and light simplification.

use super::ast::{BinOp, Expr};

fn num(e: &Expr) -> Option<f64> {
    if let Expr::Num(v) = e {
        Some(*v)
    } else {
        None
    }
}

pub fn add(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(0.0), _) => b,
        (_, Some(0.0)) => a,
        (Some(x), Some(y)) => Expr::Num(x + y),
        _ => Expr::bin(BinOp::Add, a, b),
    }
}

pub fn sub(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (_, Some(0.0)) => a,
        (Some(0.0), _) => neg(b),
        (Some(x), Some(y)) => Expr::Num(x - y),
        _ => Expr::bin(BinOp::Sub, a, b),
    }
}

pub fn mul(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(0.0), _) | (_, Some(0.0)) => Expr::Num(0.0),
        (Some(1.0), _) => b,
        (_, Some(1.0)) => a,
        (Some(x), Some(y)) => Expr::Num(x * y),
        _ => Expr::bin(BinOp::Mul, a, b),
    }
}

pub fn div(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(0.0), _) => Expr::Num(0.0),
        (_, Some(1.0)) => a,
        _ => Expr::bin(BinOp::Div, a, b),
    }
}

pub fn neg(a: Expr) -> Expr {
    match a {
        Expr::Num(v) => Expr::Num(-v),
        Expr::Neg(inner) => *inner,
        a => Expr::Neg(Box::new(a)),
    }
}

/// d e / d x, or `None` when `e` depends on `x` through something not differentiable here (a
/// call of a user function, a comparison).
pub fn diff(e: &Expr, x: &str) -> Option<Expr> {
    if !e.mentions(x) {
        return Some(Expr::Num(0.0));
    }
    Some(match e {
        Expr::Num(_) => Expr::Num(0.0),
        Expr::Var(v, _) => Expr::Num(if v == x { 1.0 } else { 0.0 }),
        Expr::Neg(a) => neg(diff(a, x)?),
        Expr::Not(_) => return None,
        Expr::Call(f, args, l) => {
            if args.len() != 1 {
                return None;
            }
            let a = &args[0];
            let da = diff(a, x)?;
            let call = |name: &str, arg: Expr| Expr::Call(name.into(), vec![arg], *l);
            let outer = match f.as_str() {
                "exp" => call("exp", a.clone()),
                "log" => div(Expr::Num(1.0), a.clone()),
                "sqrt" => div(Expr::Num(0.5), call("sqrt", a.clone())),
                "sin" => call("cos", a.clone()),
                "cos" => neg(call("sin", a.clone())),
                _ => return None,
            };
            mul(outer, da)
        }
        Expr::Bin(op, a, b) => {
            let (da, db) = (diff(a, x)?, diff(b, x)?);
            match op {
                BinOp::Add => add(da, db),
                BinOp::Sub => sub(da, db),
                BinOp::Mul => add(mul(da, (**b).clone()), mul((**a).clone(), db)),
                BinOp::Div => {
                    // (da b - a db) / b^2, written as da/b - a db / (b b)
                    let t1 = div(da, (**b).clone());
                    let t2 = div(mul((**a).clone(), db), mul((**b).clone(), (**b).clone()));
                    sub(t1, t2)
                }
                BinOp::Pow => {
                    if b.mentions(x) {
                        return None;
                    }
                    // b a^(b-1) da
                    let p = Expr::bin(
                        BinOp::Pow,
                        (**a).clone(),
                        sub((**b).clone(), Expr::Num(1.0)),
                    );
                    mul(mul((**b).clone(), p), da)
                }
                _ => return None,
            }
        }
    })
}

/// `e` with every occurrence of variable `x` replaced by `by`.
pub fn subst(e: &Expr, x: &str, by: &Expr) -> Expr {
    match e {
        Expr::Var(v, _) if v == x => by.clone(),
        Expr::Num(_) | Expr::Var(..) => e.clone(),
        Expr::Neg(a) => neg(subst(a, x, by)),
        Expr::Not(a) => Expr::Not(Box::new(subst(a, x, by))),
        Expr::Call(f, args, l) => Expr::Call(
            f.clone(),
            args.iter().map(|a| subst(a, x, by)).collect(),
            *l,
        ),
        Expr::Bin(op, a, b) => {
            let (a, b) = (subst(a, x, by), subst(b, x, by));
            match op {
                BinOp::Add => add(a, b),
                BinOp::Sub => sub(a, b),
                BinOp::Mul => mul(a, b),
                BinOp::Div => div(a, b),
                _ => Expr::bin(*op, a, b),
            }
        }
    }
}

pub fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Num(v) if *v == 0.0)
}
