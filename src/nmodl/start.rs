//! STATE start values. Before the INITIAL block runs, NEURON sets every state `x` to `x0`, a
//! hidden variable that is 0 unless the file declares a PARAMETER of that name (cabpump.mod's
//! `pump0` starts its pump; the elements of an array state `ca[i]` all start at `ca0`). Files
//! that declare such a parameter get the assignments at the head of their INITIAL block (one is
//! made when there is none); the other states keep the engine's start value, 0.

use super::ast::{Block, BlockKind, Expr, File, Stmt};

pub fn expand(f: &mut File) {
    let mut set = Vec::new();
    for d in &f.states {
        let base = d.name.split('[').next().unwrap_or(&d.name);
        let start = format!("{base}0");
        if f.parameters.iter().any(|p| p.name == start) {
            set.push(Stmt::Assign {
                lhs: d.name.clone(),
                rhs: Expr::Var(start, d.line),
                line: d.line,
            });
        }
    }
    if set.is_empty() {
        return;
    }
    match f.blocks.iter_mut().find(|b| b.kind == BlockKind::Initial) {
        Some(b) => {
            set.append(&mut b.body);
            b.body = set;
        }
        None => f.blocks.push(Block {
            kind: BlockKind::Initial,
            name: "INITIAL".into(),
            args: Vec::new(),
            arg_units: Vec::new(),
            units: None,
            body: set,
            line: f.states.first().map_or(1, |d| d.line),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser;
    use super::*;

    #[test]
    fn states_start_at_their_parameter() {
        let src = "NEURON { SUFFIX t }\nPARAMETER { p0 = 3 c0 = 2 }\nSTATE { p q c[2] }\n\
                   INITIAL {\n q = 1\n}\n";
        // parse() runs expand()
        let f = parser::parse("t.mod", src).unwrap();
        let init = &f
            .blocks
            .iter()
            .find(|b| b.kind == BlockKind::Initial)
            .unwrap()
            .body;
        let lhs: Vec<&str> = init
            .iter()
            .map(|s| match s {
                Stmt::Assign { lhs, .. } => lhs.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(lhs, ["p", "c[0]", "c[1]", "q"]);
    }
}
