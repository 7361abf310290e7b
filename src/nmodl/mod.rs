//! NMODL front end: a `.mod` file is parsed ([`parser`]), checked and lowered ([`model`],
//! [`lower`]) to programs that a vectorised interpreter ([`vm`]) runs over all instances of a
//! mechanism, behind the same [`crate::bionet::mechanisms::Mechanism`] trait as the hand-written
//! mechanisms ([`mech`]). No C compiler, no NEURON.
//!
//! The programs of each loaded file are also compiled to native code at load time ([`jit`],
//! cranelift: no C compiler or Rust toolchain on the user's machine), bit for bit the
//! interpreter's results; the interpreter runs what is not compiled (NET_RECEIVE, TABLE lookups,
//! INITIAL's dense solves) and stays the reference (`BMTK_RS_NMODL_JIT=0`). Load-time passes
//! ([`hoist`], [`cse`], the sparse KINETIC solve of [`lower`]) cut the work of both.
//!
//! Errors name the file and line: `file.mod:12: unknown variable 'x'`.

pub mod ast;
mod cse;
pub(crate) mod fused;
pub(crate) mod hoist;
pub mod jit;
mod kinflux;
mod lexer;
mod lower;
pub mod mech;
pub mod model;
pub mod parser;
pub mod pointrun;
mod probe;
pub mod random;
mod sparse;
mod start;
mod sym;
pub mod unit_table;
pub mod unitcheck;
mod units;
pub mod vm;
pub mod watch;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::path::Path;
use std::sync::Arc;

pub use model::{Kind, Model};

use crate::error::{Error, Result};

pub(crate) type NResult<T> = Result<T>;

pub(crate) fn err_at(file: &str, line: usize, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{file}:{line}: {msg}"))
}

/// Parses, checks and lowers NMODL source; `file` names it in errors.
pub fn compile(file: &str, src: &str) -> Result<Model> {
    let ast = parser::parse(file, src)?;
    let mut m = model::build(file, &ast)?;
    m.fingerprint = fingerprint(file, src)?;
    if jit::enabled() {
        // a code generator failure leaves the file to the interpreter, never aborts the load
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            native_code(&m.name, &m.code)
        }));
        m.native = code.ok();
    }
    Ok(m)
}

/// The programs a density mechanism or point process runs over all its instances, in the order
/// [`mech`] numbers them (its `run(which)`).
pub(crate) fn instance_programs(c: &lower::Compiled) -> [&[vm::Op]; 6] {
    [
        &c.init,
        &c.current_v,
        &c.state,
        &c.current_pre,
        &c.current_probe,
        c.fused.as_ref().map_or(&[], |f| &f.ops),
    ]
}

/// [`instance_programs`]' index of the fused BREAKPOINT program (fused.rs), which replaces the
/// v-free part (3), the probe (4) and the v part (1) in a step.
pub(crate) const FUSED: usize = 5;

/// The model's non-empty programs by the block they come from, each with whether it runs as native
/// code (`bmtk_rs.mechanisms` shows this; NET_RECEIVE always runs in the interpreter).
pub fn program_modes(m: &Model) -> Vec<(&'static str, bool)> {
    let c = &m.code;
    let names = [
        "INITIAL",
        "BREAKPOINT (the part depending on v)",
        "SOLVE",
        "BREAKPOINT (the part not depending on v)",
    ];
    let progs = instance_programs(c);
    // in the order they run in a step
    let mut out: Vec<(&'static str, bool)> = [0, 3, 1, 2]
        .into_iter()
        .filter(|&i| !progs[i].is_empty())
        .map(|i| {
            let native = m.native.as_ref().is_some_and(|n| n.program(i).is_some());
            (names[i], native)
        })
        .collect();
    if !c.net_receive.is_empty() {
        out.push(("NET_RECEIVE", false));
    }
    if !c.net_init.is_empty() {
        out.push(("NET_RECEIVE INITIAL", false));
    }
    out
}

/// Native code for a model's instance programs ([`jit`]). A temporary's value reaches memory
/// when another program reads it before writing it (BREAKPOINT's v-free part computes what its v
/// part uses).
pub(crate) fn native_code(name: &str, c: &lower::Compiled) -> jit::NativeCode {
    let progs = instance_programs(c);
    let reads: Vec<_> = progs.iter().map(|p| jit::slots_read_first(p)).collect();
    let first_tmp = c.slot_names.len() as u32;
    let i1 = c.fused.as_ref().map(|f| f.i1_slot);
    let keep = |i: usize, s: u32| {
        // the three programs the fused one replaces do not run after it
        let replaced = |j: usize| i == FUSED && matches!(j, 1 | 3 | 4);
        s < first_tmp
            || (i == FUSED && Some(s) == i1)
            || reads
                .iter()
                .enumerate()
                .any(|(j, r)| j != i && !replaced(j) && r.contains(&s))
    };
    jit::compile(name, &progs, c.scalars.len(), &keep)
}

/// FNV-1a hash of a file's tokens: comments, blank space and line breaks do not count, any change
/// of a name, number or operator does. It recognises bmtk's own mechanism files, which the
/// engine has built in (bionet/mechanisms/user.rs).
pub fn fingerprint(file: &str, src: &str) -> Result<u64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for t in lexer::lex(file, src)? {
        match t.tok {
            lexer::Tok::Ident(s) => eat(s.as_bytes()),
            lexer::Tok::Num(v) => eat(&v.to_bits().to_le_bytes()),
            lexer::Tok::P(p) => eat(p.as_bytes()),
            lexer::Tok::Verbatim => eat(b"VERBATIM"),
            lexer::Tok::Eof => {}
        }
    }
    Ok(h)
}

/// Loads one `.mod` file.
pub fn load_file(path: &Path) -> Result<Arc<Model>> {
    let src = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
    Ok(Arc::new(compile(&path.display().to_string(), &src)?))
}

/// A mechanism of `model` with one instance on each of `nodes`.
pub fn instantiate(
    model: &Arc<Model>,
    nodes: Vec<u32>,
) -> Box<dyn crate::bionet::mechanisms::Mechanism> {
    mech::make(model, nodes)
}

#[cfg(test)]
mod jit_bench;
#[cfg(test)]
mod jit_tests;
#[cfg(test)]
mod tests;
