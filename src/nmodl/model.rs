//! The checked model of a file: what it is (density mechanism, point process, artificial cell),
//! its parameters, states and ions, and its lowered programs.

use std::collections::HashSet;

use super::ast::*;
use super::lower::{Compiled, Lx};
use super::{err_at, units, NResult};
use crate::bionet::mechanisms::{ParamKind, ParamSpec, FARADAY};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Density,
    PointProcess,
    ArtificialCell,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Density => "density",
            Kind::PointProcess => "point_process",
            Kind::ArtificialCell => "artificial_cell",
        }
    }
}

/// The ion quantities the engine tracks per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IonVar {
    Ena,
    Ek,
    Eca,
    Cai,
    Cao,
    Ina,
    Ik,
    Ica,
}

impl IonVar {
    pub fn of(name: &str) -> Option<IonVar> {
        Some(match name {
            "ena" => IonVar::Ena,
            "ek" => IonVar::Ek,
            "eca" => IonVar::Eca,
            "cai" => IonVar::Cai,
            "cao" => IonVar::Cao,
            "ina" => IonVar::Ina,
            "ik" => IonVar::Ik,
            "ica" => IonVar::Ica,
            _ => return None,
        })
    }

    /// The ion species (`na`, `k`, `ca`) the quantity belongs to.
    pub fn species(self) -> &'static str {
        match self {
            IonVar::Ena | IonVar::Ina => "na",
            IonVar::Ek | IonVar::Ik => "k",
            _ => "ca",
        }
    }

    /// Its per-node values in the engine's ion arrays.
    pub fn values(self, ions: &crate::bionet::mechanisms::Ions) -> &Vec<f64> {
        match self {
            IonVar::Ena => &ions.ena,
            IonVar::Ek => &ions.ek,
            IonVar::Eca => &ions.eca,
            IonVar::Cai => &ions.cai,
            IonVar::Cao => &ions.cao,
            IonVar::Ina => &ions.ina,
            IonVar::Ik => &ions.ik,
            IonVar::Ica => &ions.ica,
        }
    }

    pub fn is_current(&self) -> bool {
        matches!(self, IonVar::Ina | IonVar::Ik | IonVar::Ica)
    }

    pub fn is_concentration(&self) -> bool {
        matches!(self, IonVar::Cai | IonVar::Cao)
    }
}

/// One ion variable of the mechanism: its slot and whether it is written.
#[derive(Debug, Clone, Copy)]
pub struct IonSlot {
    pub var: IonVar,
    pub slot: u32,
    pub write: bool,
    /// Also READ: a written current that is read too (cabpump.mod's `ica`) is the node's total
    /// when the blocks run, as NEURON loads it before each.
    pub read: bool,
}

impl IonSlot {
    /// Whether the node's value is gathered into the slot before the blocks run: everything
    /// but a current the file writes without reading it (its own output).
    pub fn gathered(&self) -> bool {
        !(self.var.is_current() && self.write && !self.read)
    }
}

#[derive(Debug, Clone)]
pub struct IonInfo {
    pub ion: String,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub valence: Option<f64>,
}

#[derive(Debug)]
pub struct Model {
    pub file: String,
    pub name: String,
    pub suffix: &'static str,
    pub kind: Kind,
    /// PARAMETERs with defaults, RANGE or GLOBAL (leaked once per load: the Mechanism trait
    /// hands out `&'static` specs).
    pub params: &'static [ParamSpec],
    /// Scalar index of each GLOBAL parameter (same order as in `params`, None for RANGE ones).
    pub param_scalar: Vec<Option<u32>>,
    pub param_slot: Vec<Option<u32>>,
    pub states: Vec<String>,
    pub ions: Vec<IonInfo>,
    pub ion_slots: Vec<IonSlot>,
    pub nonspecific: Vec<String>,
    /// Names declared RANGE (what NEURON lets one record per segment, with the STATEs).
    pub range: Vec<String>,
    /// Names of the variables one can record (`&'static` for the trait).
    pub variables: Vec<&'static str>,
    pub code: Compiled,
    /// The file's token fingerprint ([`super::fingerprint`]).
    pub fingerprint: u64,
    /// The instance programs in native code (None: the interpreter runs them).
    pub native: Option<super::jit::NativeCode>,
    /// Slots of `diam` and `area` where the file declares them (filled from the segment).
    pub geometry: [Option<u32>; 2],
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

const SPECIAL: &[&str] = &["v", "t", "dt", "celsius"];
/// Segment geometry a file may declare and read: `diam` (um) and `area` (um2) of the instance's
/// segment, set by the engine ([`Mechanism::set_geometry`](crate::bionet::mechanisms::Mechanism)).
pub const GEOMETRY: [&str; 2] = ["diam", "area"];

pub fn build(file: &str, f: &File) -> NResult<Model> {
    let nb = &f.neuron;
    let (name, kind, line) = match (&nb.suffix, &nb.point_process, &nb.artificial_cell) {
        (Some((n, l)), None, None) => (n.clone(), Kind::Density, *l),
        (None, Some((n, l)), None) => (n.clone(), Kind::PointProcess, *l),
        (None, None, Some((n, l))) => (n.clone(), Kind::ArtificialCell, *l),
        (None, None, None) => {
            return Err(err_at(
                file,
                1,
                "no SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL in the NEURON block",
            ))
        }
        _ => {
            return Err(err_at(
                file,
                1,
                "more than one of SUFFIX, POINT_PROCESS, ARTIFICIAL_CELL",
            ))
        }
    };
    if name == "VecStim" {
        return Err(err_at(
            file,
            line,
            "VecStim (vecevent.mod) is served by the engine's own spike sources (virtual nodes with spike trains); it needs no mechanism",
        ));
    }
    if let Some((what, line)) = f.unsupported.first() {
        return Err(err_at(
            file,
            *line,
            format!("{what} is not supported (C code cannot run without a compiler)"),
        ));
    }
    if let Some((p, l)) = nb.pointer.first() {
        return Err(err_at(
            file,
            *l,
            format!("POINTER '{p}' is not supported (it links to another mechanism's variable)"),
        ));
    }
    if let Some(e) = nb.electrode_current.first() {
        return Err(err_at(file, line, format!("ELECTRODE_CURRENT '{e}' is not supported (the engine's own IClamp/SEClamp serve electrodes)")));
    }
    let net_block = f.blocks.iter().find(|b| b.kind == BlockKind::NetReceive);
    if kind == Kind::ArtificialCell {
        if let Some(u) = nb.ions.first() {
            return Err(err_at(
                file,
                u.line,
                format!(
                    "USEION {} in an ARTIFICIAL_CELL: an artificial cell has no membrane to exchange ions with",
                    u.ion
                ),
            ));
        }
    } else if kind == Kind::PointProcess {
        // Ion currents of a point process (nA) enter the node's sums as densities; a point
        // process setting a node's concentration or reversal potential is not supported.
        for u in &nb.ions {
            if let Some(w) = u
                .write
                .iter()
                .find(|w| !IonVar::of(w).is_some_and(|v| v.is_current()))
            {
                return Err(err_at(
                    file,
                    u.line,
                    format!(
                        "USEION {} WRITE {w} in a POINT_PROCESS is not supported (a point process may \
                         write ionic currents only)",
                        u.ion
                    ),
                ));
            }
        }
    } else if let Some(b) = net_block {
        return Err(err_at(
            file,
            b.line,
            "NET_RECEIVE in a density mechanism (SUFFIX): only point processes receive events",
        ));
    }
    for d in f
        .parameters
        .iter()
        .chain(&f.assigned)
        .chain(&f.states)
        .chain(&f.constants)
    {
        if d.array.is_some() {
            return Err(err_at(
                file,
                d.line,
                format!("array variable '{}[...]' is not supported", d.name),
            ));
        }
    }

    let mut lx = Lx::new(file, f);
    let range: HashSet<&str> = nb.range.iter().map(|s| s.as_str()).collect();
    let v_slot = lx.inst("v");
    lx.out.v_slot = v_slot;
    lx.out.g_t = lx.scalar("t", 0.0);
    lx.out.g_dt = lx.scalar("dt", 0.025);
    lx.out.g_celsius = lx.scalar("celsius", 6.3);

    // Ions.
    let mut ion_slots = Vec::new();
    let mut ions = Vec::new();
    let mut ion_names: HashSet<String> = HashSet::new();
    for u in &nb.ions {
        if !matches!(u.ion.as_str(), "na" | "k" | "ca") {
            return Err(err_at(
                file,
                u.line,
                format!(
                    "USEION {}: the engine tracks the na, k and ca ions only",
                    u.ion
                ),
            ));
        }
        for (names, write) in [(&u.read, false), (&u.write, true)] {
            for n in names {
                let Some(var) = IonVar::of(n) else {
                    return Err(err_at(
                        file,
                        u.line,
                        format!("USEION {}: '{n}' is not available (the engine keeps ena, ek, eca, cai, cao and the ionic currents)", u.ion),
                    ));
                };
                let slot = lx.inst(n);
                ion_names.insert(n.clone());
                match ion_slots.iter_mut().find(|s: &&mut IonSlot| s.var == var) {
                    Some(s) => {
                        s.write |= write;
                        s.read |= !write;
                    }
                    None => ion_slots.push(IonSlot {
                        var,
                        slot,
                        write,
                        read: !write,
                    }),
                }
            }
        }
        ions.push(IonInfo {
            ion: u.ion.clone(),
            read: u.read.clone(),
            write: u.write.clone(),
            valence: u.valence,
        });
    }
    // Named constants: NEURON's built-ins, then the file's UNITS, CONSTANT and DEFINE.
    let mut defined: HashSet<String> = HashSet::new();
    for (n, u1, u2, l) in &f.unit_constants {
        let (a, b) = (units::value(u1), units::value(u2));
        match (a, b) {
            (Some(a), Some(b)) => {
                lx.scalar(n, a / b);
                defined.insert(n.clone());
            }
            _ => {
                return Err(err_at(
                    file,
                    *l,
                    format!("{n} = ({u1}) ({u2}): undefined unit"),
                ))
            }
        }
    }
    for (n, v) in [
        ("FARADAY", FARADAY),
        ("PI", std::f64::consts::PI),
        ("R", 8.31446261815324),
    ] {
        if !defined.contains(n)
            && !f
                .parameters
                .iter()
                .chain(&f.assigned)
                .chain(&f.states)
                .any(|d| d.name == n)
        {
            lx.scalar(n, v);
        }
    }
    for (n, v) in &f.defines {
        lx.scalar(n, *v);
    }
    for d in &f.constants {
        lx.scalar(&d.name, d.value.unwrap_or(0.0));
    }
    // PARAMETERs: RANGE ones (or any of a point process) per instance, others GLOBAL.
    let mut params = Vec::new();
    let mut param_scalar = Vec::new();
    let mut param_slot = Vec::new();
    for d in &f.parameters {
        // v, celsius, ... and ion variables declared as PARAMETERs keep their special meaning.
        if SPECIAL.contains(&d.name.as_str()) || ion_names.contains(&d.name) {
            continue;
        }
        if GEOMETRY.contains(&d.name.as_str()) {
            // the segment's, whatever the file's default: not a parameter (NEURON's rule)
            lx.inst(&d.name);
            continue;
        }
        let is_range = range.contains(d.name.as_str());
        let default = d.value.unwrap_or(0.0);
        if is_range {
            param_slot.push(Some(lx.inst(&d.name)));
            param_scalar.push(None);
        } else {
            param_scalar.push(Some(lx.scalar(&d.name, default)));
            param_slot.push(None);
        }
        params.push(ParamSpec {
            name: leak(&d.name),
            default,
            kind: if is_range {
                ParamKind::Range
            } else {
                ParamKind::Global
            },
        });
    }
    for d in f.assigned.iter().chain(&f.states) {
        if SPECIAL.contains(&d.name.as_str()) {
            continue;
        }
        lx.inst(&d.name);
    }
    for n in &nb.nonspecific {
        if !lx.has(n) {
            return Err(err_at(
                file,
                line,
                format!("NONSPECIFIC_CURRENT '{n}' is not declared in ASSIGNED"),
            ));
        }
    }
    for n in &nb.range {
        if !lx.has(n) {
            return Err(err_at(
                file,
                line,
                format!("RANGE '{n}' is not declared in PARAMETER, ASSIGNED or STATE"),
            ));
        }
    }
    if let Some(b) = net_block {
        for a in &b.args {
            if lx.has(a) {
                return Err(err_at(
                    file,
                    b.line,
                    format!("NET_RECEIVE argument '{a}' has the name of a declared variable"),
                ));
            }
            let s = lx.inst(a);
            lx.out.nr_args.push(s);
        }
        if !lx.has("flag") {
            lx.out.flag_slot = Some(lx.inst("flag"));
        }
    }
    let itot = lx.inst("__itot");
    lx.out.itot_slot = itot;
    lx.seal();

    let initial: Vec<&Stmt> = f
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Initial)
        .flat_map(|b| &b.body)
        .collect();
    let bp: Vec<&Stmt> = f
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Breakpoint)
        .flat_map(|b| &b.body)
        .collect();
    let (solves, rest): (Vec<&Stmt>, Vec<&Stmt>) = bp
        .into_iter()
        .partition(|s| matches!(s, Stmt::Solve { .. }));
    lx.in_net = kind != Kind::Density;
    lx.out.init = lx.program(&initial)?;
    if let Some(b) = net_block {
        lx.in_receive = true;
        let body: Vec<&Stmt> = b.body.iter().collect();
        lx.out.net_receive = lx.program(&body)?;
        if let Some(init) = &f.net_receive_initial {
            let body: Vec<&Stmt> = init.iter().collect();
            lx.out.net_init = lx.program(&body)?;
        }
        lx.in_receive = false;
        for (number, diff, line) in std::mem::take(&mut lx.watch_exprs) {
            let w = lx.watch_program(number, &diff, line)?;
            lx.out.watches.push(w);
        }
    }
    lx.in_net = false;
    lx.out.state = lx.program(&solves)?;
    let cur = lx.program(&rest)?;
    let mut currents: Vec<u32> = ion_slots
        .iter()
        .filter(|s| s.var.is_current() && s.write)
        .map(|s| s.slot)
        .collect();
    for n in &nb.nonspecific {
        currents.push(lx.inst_slot(n));
    }
    lx.out.current = lx.sum_currents(cur, &currents, itot);
    let first_tmp = lx.out.slot_names.len() as u32;
    super::lower::fuse_stores(&mut lx.out.current, first_tmp);
    super::lower::fuse_stores(&mut lx.out.init, first_tmp);
    super::lower::fuse_stores(&mut lx.out.state, first_tmp);
    lx.out.n_base_scalars = lx.out.scalars.len();
    {
        use super::hoist::hoist;
        let c = &mut lx.out;
        c.current_prelude = hoist(
            &mut c.current,
            first_tmp,
            &mut c.scalars,
            &mut c.scalar_names,
        );
        c.init_prelude = hoist(&mut c.init, first_tmp, &mut c.scalars, &mut c.scalar_names);
        c.state_prelude = hoist(&mut c.state, first_tmp, &mut c.scalars, &mut c.scalar_names);
        for ops in [&mut c.current, &mut c.init, &mut c.state] {
            super::cse::eliminate(ops, first_tmp);
        }
    }
    let ion_slot_ids: Vec<u32> = ion_slots.iter().map(|s| s.slot).collect();
    let split = super::lower::v_free_prefix(&lx.out.current, v_slot, &ion_slot_ids);
    lx.out.current_pre = lx.out.current[..split].to_vec();
    // The rest is straight-line code whenever split > 0: no jump targets to rebase.
    lx.out.current_v = lx.out.current[split..].to_vec();
    // temporaries another program reads before writing them
    let read_elsewhere: HashSet<u32> = [&lx.out.init, &lx.out.state, &lx.out.current_pre]
        .into_iter()
        .flat_map(|ops| super::jit::slots_read_first(ops))
        .collect();
    lx.out.current_probe = super::probe::probe_program(&lx.out.current_v, itot, &|s| {
        s < first_tmp || read_elsewhere.contains(&s)
    });
    let writes_v = [&lx.out.current_pre, &lx.out.current_v]
        .iter()
        .flat_map(|p| p.iter())
        .any(|op| super::lower::writes(op).contains(&v_slot));

    let states: Vec<String> = f.states.iter().map(|d| d.name.clone()).collect();
    let mut variables: Vec<&'static str> = Vec::new();
    let mut seen = HashSet::new();
    for d in f.states.iter().chain(&f.assigned).chain(&f.parameters) {
        if SPECIAL.contains(&d.name.as_str()) || !seen.insert(d.name.clone()) {
            continue;
        }
        if lx.is_inst(&d.name) {
            variables.push(leak(&d.name));
        }
    }
    for n in ion_names {
        if seen.insert(n.clone()) {
            variables.push(leak(&n));
        }
    }
    for ops in [&mut lx.out.net_receive, &mut lx.out.net_init] {
        super::lower::fuse_stores(ops, first_tmp);
    }
    let geometry = GEOMETRY.map(|n| lx.is_inst(n).then(|| lx.inst_slot(n)));
    let mut code = lx.finish();
    if !writes_v {
        // after `finish`: its temporaries go past every slot the programs use
        code.fused = Some(super::fused::fused_current(&mut code));
    }
    Ok(Model {
        file: file.to_string(),
        suffix: leak(&name),
        name,
        kind,
        params: Box::leak(params.into_boxed_slice()),
        param_scalar,
        param_slot,
        states,
        ions,
        ion_slots,
        nonspecific: nb.nonspecific.clone(),
        range: nb.range.clone(),
        variables,
        code,
        fingerprint: 0,
        native: None,
        geometry,
    })
}
