//! `f_flux` and `b_flux` in KINETIC blocks. nocmodl declares both as locals of the block and sets
//! them at every reaction while the block is evaluated: the forward rate times the left side's
//! species, the backward rate times the right side's (0 for `->`); a `~ x << (e)` flux sets
//! f_flux = 0 and b_flux = e. A statement therefore reads the fluxes of the reaction written last
//! before it, at the states of the current Newton iterate. When a block names either variable it
//! is rewritten into exactly that (a LOCAL first, two assignments after each reaction), so the
//! lowering sees ordinary locals; blocks that do not name them are left as they are.

use super::ast::{BinOp, BlockKind, Expr, File, Species, Stmt};

const NAMES: [&str; 2] = ["f_flux", "b_flux"];

pub fn expand(f: &mut File) {
    for b in f.blocks.iter_mut().filter(|b| b.kind == BlockKind::Kinetic) {
        if !b.body.iter().any(names_flux) {
            continue;
        }
        let mut body = vec![Stmt::Local(NAMES.iter().map(|n| n.to_string()).collect())];
        for s in std::mem::take(&mut b.body) {
            let set = match &s {
                Stmt::Reaction {
                    lhs,
                    rhs,
                    kf,
                    kb,
                    line,
                } => Some((
                    side(kf, lhs, *line),
                    kb.as_ref()
                        .map_or(Expr::Num(0.0), |kb| side(kb, rhs, *line)),
                    *line,
                )),
                Stmt::Flux { flux, line, .. } => Some((Expr::Num(0.0), flux.clone(), *line)),
                _ => None,
            };
            body.push(s);
            if let Some((fwd, bwd, line)) = set {
                for (name, rhs) in NAMES.iter().zip([fwd, bwd]) {
                    body.push(Stmt::Assign {
                        lhs: name.to_string(),
                        rhs,
                        line,
                    });
                }
            }
        }
        b.body = body;
    }
}

/// `k * s_n * ... * s_1`, each species repeated by its coefficient: nocmodl multiplies the rate by
/// the species in reverse order of writing (its term lists are built by prepending), so the
/// rounding is the same.
fn side(k: &Expr, species: &Species, line: usize) -> Expr {
    let mut e = k.clone();
    for (c, n) in species.iter().rev() {
        for _ in 0..(*c as usize).max(1) {
            e = Expr::bin(BinOp::Mul, e, Expr::Var(n.clone(), line));
        }
    }
    e
}

fn names_flux(s: &Stmt) -> bool {
    let e = |x: &Expr| NAMES.iter().any(|n| x.mentions(n));
    match s {
        Stmt::Assign { lhs, rhs, .. } => NAMES.contains(&lhs.as_str()) || e(rhs),
        Stmt::Call { args, .. } => args.iter().any(e),
        Stmt::If { cond, then, els } => e(cond) || then.iter().chain(els).any(names_flux),
        Stmt::While { cond, body, .. } => e(cond) || body.iter().any(names_flux),
        Stmt::Reaction { kf, kb, .. } => e(kf) || kb.as_ref().is_some_and(e),
        Stmt::Flux { flux, .. } => e(flux),
        Stmt::Conserve { lhs, rhs, .. } => e(lhs) || e(rhs),
        Stmt::Compartment { volume, .. } => e(volume),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser;
    use super::*;

    #[test]
    fn fluxes_follow_each_reaction() {
        let src = "NEURON { SUFFIX t }\nSTATE { a b c }\nASSIGNED { j }\n\
                   KINETIC k {\n ~ a + b <-> 2c (1, 2)\n j = f_flux - b_flux\n ~ a << (3)\n}\n";
        // parse() runs expand()
        let f = parser::parse("t.mod", src).unwrap();
        let body = &f.blocks.iter().find(|b| b.name == "k").unwrap().body;
        assert!(matches!(&body[0], Stmt::Local(n) if n == &["f_flux", "b_flux"]));
        let assigned: Vec<String> = body
            .iter()
            .filter_map(|s| match s {
                Stmt::Assign { lhs, rhs, .. } => {
                    let mut names = Vec::new();
                    rhs.names(&mut names);
                    Some(format!("{lhs}={}", names.join("*")))
                }
                _ => None,
            })
            .collect();
        // forward: b then a (reverse of writing); backward: c twice; the flux: f 0, b its value
        assert_eq!(
            assigned,
            [
                "f_flux=b*a",
                "b_flux=c*c",
                "j=f_flux*b_flux",
                "f_flux=",
                "b_flux="
            ]
        );
    }
}
