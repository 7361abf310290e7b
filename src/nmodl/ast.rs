//! The syntax tree of an NMODL file, as written (no meaning attached yet).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(String, usize),
    Call(String, Vec<Expr>, usize),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

impl Expr {
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }

    /// Variable names in order of appearance, left to right (repeats kept).
    pub fn names(&self, out: &mut Vec<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v, _) => out.push(v.clone()),
            Expr::Call(_, args, _) => args.iter().for_each(|a| a.names(out)),
            Expr::Neg(a) | Expr::Not(a) => a.names(out),
            Expr::Bin(_, a, b) => {
                a.names(out);
                b.names(out);
            }
        }
    }

    /// Whether variable `name` occurs in the expression (calls' arguments included).
    pub fn mentions(&self, name: &str) -> bool {
        match self {
            Expr::Num(_) => false,
            Expr::Var(v, _) => v == name,
            Expr::Call(_, args, _) => args.iter().any(|a| a.mentions(name)),
            Expr::Neg(a) | Expr::Not(a) => a.mentions(name),
            Expr::Bin(_, a, b) => a.mentions(name) || b.mentions(name),
        }
    }
}

/// One side of a reaction: (stoichiometric coefficient, state name).
pub type Species = Vec<(f64, String)>;

#[derive(Debug, Clone)]
pub enum Stmt {
    Assign {
        lhs: String,
        rhs: Expr,
        line: usize,
    },
    /// `x' = rhs` in a DERIVATIVE block.
    Deriv {
        state: String,
        rhs: Expr,
        line: usize,
    },
    Call {
        name: String,
        args: Vec<Expr>,
        line: usize,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
        line: usize,
    },
    Local(Vec<String>),
    Solve {
        block: String,
        method: Option<String>,
        steadystate: bool,
        line: usize,
    },
    /// `~ lhs <-> rhs (kf, kb)` or `~ lhs -> rhs (kf)`.
    Reaction {
        lhs: Species,
        rhs: Species,
        kf: Expr,
        kb: Option<Expr>,
        line: usize,
    },
    /// `~ x << (flux)`.
    Flux {
        state: String,
        flux: Expr,
        line: usize,
    },
    /// `~ lhs = rhs` in a LINEAR/NONLINEAR block.
    Equation {
        lhs: Expr,
        rhs: Expr,
        line: usize,
    },
    /// `CONSERVE lhs = rhs` (a sum of states equal to a total).
    Conserve {
        lhs: Expr,
        rhs: Expr,
        line: usize,
    },
    Compartment {
        volume: Expr,
        states: Vec<String>,
        line: usize,
    },
    Table {
        outputs: Vec<String>,
        depend: Vec<String>,
        from: Expr,
        to: Expr,
        with: Expr,
        line: usize,
    },
    /// Something parsed only to be refused when the block is used (name of the construct).
    Unsupported {
        what: String,
        line: usize,
    },
}

/// A variable declaration in PARAMETER/ASSIGNED/STATE/CONSTANT.
#[derive(Debug, Clone)]
pub struct Decl {
    pub name: String,
    pub value: Option<f64>,
    pub units: Option<String>,
    pub array: Option<usize>,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Initial,
    Breakpoint,
    Derivative,
    Kinetic,
    Linear,
    NonLinear,
    Procedure,
    Function,
    NetReceive,
    Other,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub kind: BlockKind,
    pub name: String,
    pub args: Vec<String>,
    /// Units declared with each argument, `f(v (mV))`.
    pub arg_units: Vec<Option<String>>,
    /// A FUNCTION's declared result units, `FUNCTION f(x) (ms)`.
    pub units: Option<String>,
    pub body: Vec<Stmt>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct UseIon {
    pub ion: String,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub valence: Option<f64>,
    pub line: usize,
}

/// The NEURON block.
#[derive(Debug, Clone, Default)]
pub struct NeuronBlock {
    /// Line of the `NEURON` keyword.
    pub line: usize,
    pub suffix: Option<(String, usize)>,
    pub point_process: Option<(String, usize)>,
    pub artificial_cell: Option<(String, usize)>,
    pub ions: Vec<UseIon>,
    pub nonspecific: Vec<String>,
    pub electrode_current: Vec<String>,
    pub range: Vec<String>,
    pub global: Vec<String>,
    pub pointer: Vec<(String, usize)>,
    pub threadsafe: bool,
    /// `RANDOM` variables: one random stream per instance each (random.rs), in declaration order.
    pub random: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct File {
    pub neuron: NeuronBlock,
    /// UNITS block: named constants `NAME = (unit) (unit)` with their line.
    pub unit_constants: Vec<(String, String, String, usize)>,
    /// UNITS block: unit definitions `(mV) = (millivolt)` with their line.
    pub unit_defs: Vec<(String, String, usize)>,
    /// UNITS block: named numbers `F = 96520 (coulombs)`: name, units, line (values in `defines`).
    pub unit_numbers: Vec<(String, String, usize)>,
    /// Names declared by a file-level LOCAL (kept in `assigned` too).
    pub file_locals: Vec<String>,
    /// `UNITSON` (true) / `UNITSOFF` (false) and their lines.
    pub unit_toggles: Vec<(usize, bool)>,
    pub parameters: Vec<Decl>,
    pub assigned: Vec<Decl>,
    pub states: Vec<Decl>,
    pub constants: Vec<Decl>,
    pub defines: Vec<(String, f64)>,
    pub blocks: Vec<Block>,
    /// Top-level constructs that make the file unsupported wherever they are (VERBATIM, ...).
    pub unsupported: Vec<(String, usize)>,
    pub net_receive_initial: Option<Vec<Stmt>>,
}
