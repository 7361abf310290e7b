//! Recursive-descent parser from tokens to [`ast::File`]. Precedence follows NEURON's grammar:
//! `||` < `&&` < comparisons < `+ -` < `* /` < unary `- !` < `^` (right associative), so
//! `-x^2` is `-(x^2)`.

use super::ast::*;
use super::lexer::{lex, Tok, Token};
use super::{err_at, NResult};

pub struct Parser<'a> {
    file: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// The INITIAL block met inside NET_RECEIVE, if any.
    pending_initial: Option<Vec<Stmt>>,
    /// WATCH statements met so far (NEURON numbers them in file order).
    n_watch: usize,
    /// For the unit checker only: numbers with units and parenthesized expressions kept as
    /// marker calls ([`UNITS_MARK`], [`PAREN_MARK`]) that lowering would not understand.
    keep_units: bool,
    /// `UNITSON` (true) / `UNITSOFF` (false) with their lines.
    unit_toggles: Vec<(usize, bool)>,
    /// Declared arrays and their sizes: `x[4]` becomes the scalars `x[0]` .. `x[3]`.
    arrays: std::collections::HashMap<String, usize>,
    /// DEFINE'd names (array sizes and loop bounds may use them).
    consts: std::collections::HashMap<String, f64>,
    /// Variables of the FROM loops being unrolled, with their current values.
    loop_env: Vec<(String, f64)>,
    /// Statements of an unrolled FROM loop, spliced into the enclosing block (so that KINETIC
    /// reactions in a loop stay top-level statements of their block).
    unrolled: Vec<Stmt>,
}

/// The value of an index or loop bound made of numbers and + - * / only.
fn const_value(e: &Expr) -> Option<f64> {
    match e {
        Expr::Num(v) => Some(*v),
        Expr::Neg(a) => const_value(a).map(|v| -v),
        Expr::Bin(op, a, b) => {
            let (a, b) = (const_value(a)?, const_value(b)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div => Some((a / b).trunc()),
                _ => None,
            }
        }
        Expr::Call(name, args, _) if name == PAREN_MARK => const_value(&args[0]),
        _ => None,
    }
}

/// Marker call of a number with units `2 (mV)` (the unit text follows the prefix).
pub const UNITS_MARK: &str = "__units__";
/// Marker call of a parenthesized expression `( e )`.
pub const PAREN_MARK: &str = "__paren__";

pub fn parse(file: &str, src: &str) -> NResult<File> {
    let mut f = parse_with(file, src, false)?;
    // KINETIC blocks that read f_flux/b_flux get them as locals set after each reaction
    super::kinflux::expand(&mut f);
    // states start at their PARAMETER `x0` where one is declared
    super::start::expand(&mut f);
    Ok(f)
}

/// The file as the unit checker reads it: expressions keep their unit markers.
pub fn parse_for_units(file: &str, src: &str) -> NResult<File> {
    parse_with(file, src, true)
}

fn parse_with(file: &str, src: &str, keep_units: bool) -> NResult<File> {
    let toks = lex(file, src)?;
    let mut p = Parser {
        file,
        toks,
        pos: 0,
        pending_initial: None,
        n_watch: 0,
        keep_units,
        unit_toggles: Vec::new(),
        arrays: Default::default(),
        consts: Default::default(),
        loop_env: Vec::new(),
        unrolled: Vec::new(),
    };
    let mut f = p.file_()?;
    f.unit_toggles = std::mem::take(&mut p.unit_toggles);
    // RANGE/GLOBAL names of arrays name their elements
    for list in [&mut f.neuron.range, &mut f.neuron.global] {
        *list = list
            .iter()
            .flat_map(|n| match p.arrays.get(n) {
                Some(&len) => (0..len).map(|k| format!("{n}[{k}]")).collect(),
                None => vec![n.clone()],
            })
            .collect();
    }
    Ok(f)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.pos + k).min(self.toks.len() - 1)].tok
    }

    fn line(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].line
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn err<T>(&self, msg: impl std::fmt::Display) -> NResult<T> {
        Err(err_at(self.file, self.line(), msg))
    }

    fn is_p(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::P(q) if *q == p)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(q) if q == w)
    }

    fn eat_p(&mut self, p: &str) -> bool {
        if self.is_p(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_p(&mut self, p: &str) -> NResult<()> {
        if self.eat_p(p) {
            Ok(())
        } else {
            self.err(format!("expected '{p}', found {}", describe(self.peek())))
        }
    }

    fn ident(&mut self) -> NResult<String> {
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.pos += 1;
                Ok(s)
            }
            t => self.err(format!("expected a name, found {}", describe(&t))),
        }
    }

    fn number(&mut self) -> NResult<f64> {
        let neg = self.eat_p("-");
        if !neg {
            self.eat_p("+");
        }
        match self.peek().clone() {
            Tok::Num(v) => {
                self.pos += 1;
                Ok(if neg { -v } else { v })
            }
            t => self.err(format!("expected a number, found {}", describe(&t))),
        }
    }

    /// `( ... )` as the text of a unit (nested parentheses allowed).
    fn units(&mut self) -> NResult<String> {
        self.expect_p("(")?;
        let mut depth = 1;
        let mut text = String::new();
        loop {
            match self.next() {
                Tok::P("(") => {
                    depth += 1;
                    text.push('(');
                }
                Tok::P(")") => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(text);
                    }
                    text.push(')');
                }
                Tok::P(p) => text.push_str(p),
                // words and numbers keep a separator between them (`ohm cm`)
                Tok::Ident(s) => {
                    if text.ends_with(|c: char| c.is_alphanumeric() || c == '.') {
                        text.push(' ');
                    }
                    text.push_str(&s)
                }
                Tok::Num(v) => {
                    if text.ends_with(|c: char| c.is_alphanumeric() || c == '.') {
                        text.push(' ');
                    }
                    text.push_str(&v.to_string())
                }
                Tok::Verbatim | Tok::Eof => return self.err("unterminated unit '(...'"),
            }
        }
    }

    /// Skips a balanced `{ ... }` block.
    fn skip_braces(&mut self) -> NResult<()> {
        self.expect_p("{")?;
        let mut depth = 1;
        while depth > 0 {
            match self.next() {
                Tok::P("{") => depth += 1,
                Tok::P("}") => depth -= 1,
                Tok::Eof => return self.err("unbalanced '{'"),
                _ => {}
            }
        }
        Ok(())
    }

    fn file_(&mut self) -> NResult<File> {
        let mut f = File::default();
        loop {
            let line = self.line();
            let word = match self.next() {
                Tok::Eof => break,
                Tok::Ident(w) => w,
                Tok::Verbatim => {
                    f.unsupported.push(("VERBATIM".into(), line));
                    continue;
                }
                t => {
                    return Err(err_at(
                        self.file,
                        line,
                        format!("unexpected {} at top level", describe(&t)),
                    ))
                }
            };
            match word.as_str() {
                "NEURON" => {
                    f.neuron.line = line;
                    self.neuron_block(&mut f.neuron)?
                }
                "UNITS" => self.units_block(&mut f)?,
                "PARAMETER" => f.parameters.extend(self.decls()?),
                "ASSIGNED" => f.assigned.extend(self.decls()?),
                "STATE" => f.states.extend(self.decls()?),
                "CONSTANT" => f.constants.extend(self.decls()?),
                "INDEPENDENT" => self.skip_braces()?,
                // File-level LOCAL variables behave as ASSIGNED ones.
                "LOCAL" => loop {
                    let name = self.ident()?;
                    // `LOCAL frat[NANN]`: an array of file-level locals
                    let names = if self.eat_p("[") {
                        let len = match self.next() {
                            Tok::Num(n) => Some(n),
                            Tok::Ident(c) => self.consts.get(&c).copied(),
                            _ => None,
                        };
                        self.expect_p("]")?;
                        let Some(len) = len.filter(|n| *n >= 1.0 && n.fract() == 0.0) else {
                            return Err(err_at(
                                self.file,
                                line,
                                "an array size must be a positive integer or a DEFINE'd name",
                            ));
                        };
                        self.arrays.insert(name.clone(), len as usize);
                        (0..len as usize).map(|k| format!("{name}[{k}]")).collect()
                    } else {
                        vec![name]
                    };
                    for name in names {
                        f.file_locals.push(name.clone());
                        f.assigned.push(Decl {
                            name,
                            value: None,
                            units: None,
                            array: None,
                            line,
                        });
                    }
                    if !self.eat_p(",") {
                        break;
                    }
                },
                "UNITSON" | "UNITSOFF" => self.unit_toggles.push((line, word == "UNITSON")),
                "ENDCOMMENT" => {}
                "DEFINE" => {
                    let name = self.ident()?;
                    let v = self.number()?;
                    self.consts.insert(name.clone(), v);
                    f.defines.push((name, v));
                }
                "INITIAL" | "BREAKPOINT" => {
                    let kind = if word == "INITIAL" {
                        BlockKind::Initial
                    } else {
                        BlockKind::Breakpoint
                    };
                    let body = self.stmt_block()?;
                    f.blocks.push(Block {
                        kind,
                        name: word.clone(),
                        args: vec![],
                        arg_units: vec![],
                        units: None,
                        body,
                        line,
                    });
                }
                "DERIVATIVE" | "KINETIC" | "LINEAR" | "NONLINEAR" => {
                    let kind = match word.as_str() {
                        "DERIVATIVE" => BlockKind::Derivative,
                        "KINETIC" => BlockKind::Kinetic,
                        "LINEAR" => BlockKind::Linear,
                        _ => BlockKind::NonLinear,
                    };
                    let name = self.ident()?;
                    // Optional `SOLVEFOR a, b`.
                    if self.is_word("SOLVEFOR") {
                        self.next();
                        self.ident()?;
                        while self.eat_p(",") {
                            self.ident()?;
                        }
                    }
                    let body = self.stmt_block()?;
                    f.blocks.push(Block {
                        kind,
                        name,
                        args: vec![],
                        arg_units: vec![],
                        units: None,
                        body,
                        line,
                    });
                }
                "PROCEDURE" | "FUNCTION" => {
                    let kind = if word == "FUNCTION" {
                        BlockKind::Function
                    } else {
                        BlockKind::Procedure
                    };
                    let name = self.ident()?;
                    let (args, arg_units) = self.formal_args()?;
                    let units = if self.is_p("(") {
                        Some(self.units()?) // FUNCTION f(x) (units)
                    } else {
                        None
                    };
                    let body = self.stmt_block()?;
                    f.blocks.push(Block {
                        kind,
                        name,
                        args,
                        arg_units,
                        units,
                        body,
                        line,
                    });
                }
                "NET_RECEIVE" => {
                    let (args, arg_units) = self.formal_args()?;
                    let mut body = self.stmt_block()?;
                    // NET_RECEIVE's own INITIAL block is parsed as a statement `Call INITIAL`.
                    let mut init = None;
                    body.retain(
                        |s| !matches!(s, Stmt::Unsupported { what, .. } if what == "__INITIAL__"),
                    );
                    if let Some(b) = self.pending_initial.take() {
                        init = Some(b);
                    }
                    f.net_receive_initial = init;
                    f.blocks.push(Block {
                        kind: BlockKind::NetReceive,
                        name: word.clone(),
                        args,
                        arg_units,
                        units: None,
                        body,
                        line,
                    });
                }
                "FUNCTION_TABLE" => {
                    f.unsupported.push(("FUNCTION_TABLE".into(), line));
                    let _ = self.ident()?;
                    let _ = self.formal_args()?;
                    if self.is_p("(") {
                        self.units()?;
                    }
                }
                "BEFORE" | "AFTER" => {
                    let _ = self.ident()?;
                    f.unsupported.push((format!("{word} block"), line));
                    self.skip_braces()?;
                }
                "CONSTRUCTOR" | "DESTRUCTOR" | "DISCRETE" | "PARTIAL" | "TERMINAL" | "MATCH" => {
                    f.unsupported.push((format!("{word} block"), line));
                    if !self.is_p("{") {
                        let _ = self.ident()?;
                    }
                    self.skip_braces()?;
                }
                other => {
                    return Err(err_at(
                        self.file,
                        line,
                        format!("unknown top-level keyword '{other}'"),
                    ));
                }
            }
        }
        Ok(f)
    }

    /// `(a (units), b, ...)`: the names and their units where given.
    #[allow(clippy::type_complexity)]
    fn formal_args(&mut self) -> NResult<(Vec<String>, Vec<Option<String>>)> {
        let (mut args, mut units) = (Vec::new(), Vec::new());
        self.expect_p("(")?;
        if self.eat_p(")") {
            return Ok((args, units));
        }
        loop {
            args.push(self.ident()?);
            units.push(if self.is_p("(") {
                Some(self.units()?)
            } else {
                None
            });
            if self.eat_p(")") {
                return Ok((args, units));
            }
            self.expect_p(",")?;
        }
    }

    fn name_list(&mut self) -> NResult<Vec<String>> {
        let mut out = vec![self.ident()?];
        while self.eat_p(",") {
            out.push(self.ident()?);
        }
        Ok(out)
    }

    fn neuron_block(&mut self, nb: &mut NeuronBlock) -> NResult<()> {
        self.expect_p("{")?;
        loop {
            let line = self.line();
            match self.next() {
                Tok::P("}") => return Ok(()),
                Tok::Ident(w) => match w.as_str() {
                    "SUFFIX" => nb.suffix = Some((self.ident()?, line)),
                    "POINT_PROCESS" => nb.point_process = Some((self.ident()?, line)),
                    "ARTIFICIAL_CELL" => nb.artificial_cell = Some((self.ident()?, line)),
                    "USEION" => {
                        let ion = self.ident()?;
                        let mut u = UseIon {
                            ion,
                            read: vec![],
                            write: vec![],
                            valence: None,
                            line,
                        };
                        loop {
                            if self.is_word("READ") {
                                self.next();
                                u.read = self.name_list()?;
                            } else if self.is_word("WRITE") {
                                self.next();
                                u.write = self.name_list()?;
                            } else if self.is_word("VALENCE") {
                                self.next();
                                u.valence = Some(self.number()?);
                            } else if self.is_word("REPRESENTS") {
                                self.next();
                                let _ = self.ident()?;
                                while self.eat_p(":") || self.is_p("[") {
                                    self.next();
                                }
                            } else {
                                break;
                            }
                        }
                        nb.ions.push(u);
                    }
                    "NONSPECIFIC_CURRENT" => nb.nonspecific.extend(self.name_list()?),
                    "ELECTRODE_CURRENT" => nb.electrode_current.extend(self.name_list()?),
                    "RANGE" => nb.range.extend(self.name_list()?),
                    "GLOBAL" => nb.global.extend(self.name_list()?),
                    "POINTER" | "BBCOREPOINTER" => {
                        for n in self.name_list()? {
                            nb.pointer.push((n, line));
                        }
                    }
                    "THREADSAFE" => nb.threadsafe = true,
                    "RANDOM" => {
                        nb.random.extend(self.name_list()?);
                    }
                    "EXTERNAL" => {
                        self.name_list()?;
                    }
                    other => {
                        return Err(err_at(
                            self.file,
                            line,
                            format!("unknown NEURON block statement '{other}'"),
                        ))
                    }
                },
                Tok::Eof => return self.err("NEURON block without '}'"),
                t => {
                    return Err(err_at(
                        self.file,
                        line,
                        format!("unexpected {} in NEURON block", describe(&t)),
                    ))
                }
            }
        }
    }

    fn units_block(&mut self, f: &mut File) -> NResult<()> {
        self.expect_p("{")?;
        loop {
            let line = self.line();
            if self.eat_p("}") {
                return Ok(());
            }
            if self.is_p("(") {
                let a = self.units()?;
                self.expect_p("=")?;
                let b = self.units()?;
                f.unit_defs.push((a, b, line));
            } else {
                let name = self.ident()?;
                self.expect_p("=")?;
                if matches!(self.peek(), Tok::Num(_)) || self.is_p("-") {
                    // `F = 96520 (coulombs)`: a number with its units
                    let v = self.number()?;
                    let u = self.units()?;
                    f.defines.push((name.clone(), v));
                    f.unit_numbers.push((name, u, line));
                    continue;
                }
                let a = self.units()?;
                let b = self.units()?;
                f.unit_constants.push((name, a, b, line));
            }
        }
    }

    /// Declarations: `name [= value] [(units)] [<lo, hi>] [FROM a TO b] [[n]]`, several per line.
    fn decls(&mut self) -> NResult<Vec<Decl>> {
        self.expect_p("{")?;
        let mut out = Vec::new();
        loop {
            let line = self.line();
            if self.eat_p("}") {
                return Ok(out);
            }
            if self.is_word("FROM") {
                return self.err("FROM loops in declarations are not supported");
            }
            let name = self.ident()?;
            let mut d = Decl {
                name,
                value: None,
                units: None,
                array: None,
                line,
            };
            let mut len = None;
            if self.eat_p("[") {
                let n = match self.next() {
                    Tok::Num(n) => Some(n),
                    Tok::Ident(c) => self.consts.get(&c).copied(),
                    _ => None,
                };
                match n {
                    Some(n) if n >= 1.0 && n.fract() == 0.0 => len = Some(n as usize),
                    _ => {
                        return Err(err_at(
                            self.file,
                            line,
                            "an array size must be a positive integer or a DEFINE'd name",
                        ))
                    }
                }
                self.expect_p("]")?;
            }
            if self.eat_p("=") {
                d.value = Some(self.number()?);
            }
            if self.is_p("(") {
                d.units = Some(self.units()?);
            }
            if self.eat_p("<") {
                // `<lo, hi>` limits, or `<tol>` (an absolute tolerance).
                self.number()?;
                if self.eat_p(",") {
                    self.number()?;
                }
                self.expect_p(">")?;
            }
            if self.is_word("FROM") {
                self.next();
                self.number()?;
                if !self.is_word("TO") {
                    return self.err("expected TO");
                }
                self.next();
                self.number()?;
            }
            match len {
                // an array is its elements, each a scalar of the declared units and value
                Some(n) => {
                    self.arrays.insert(d.name.clone(), n);
                    out.extend((0..n).map(|k| Decl {
                        name: format!("{}[{k}]", d.name),
                        ..d.clone()
                    }));
                }
                None => out.push(d),
            }
        }
    }

    fn stmt_block(&mut self) -> NResult<Vec<Stmt>> {
        self.expect_p("{")?;
        let mut out = Vec::new();
        loop {
            if self.eat_p("}") {
                return Ok(out);
            }
            if let Tok::Eof = self.peek() {
                return self.err("block without closing '}'");
            }
            if let Some(s) = self.stmt()? {
                out.push(s);
            }
            out.append(&mut self.unrolled);
        }
    }

    fn stmt(&mut self) -> NResult<Option<Stmt>> {
        let line = self.line();
        match self.peek().clone() {
            Tok::Verbatim => {
                self.next();
                Ok(Some(Stmt::Unsupported {
                    what: "VERBATIM".into(),
                    line,
                }))
            }
            Tok::P("~") => {
                self.next();
                self.tilde(line).map(Some)
            }
            Tok::P("{") => {
                let body = self.stmt_block()?;
                Ok(Some(Stmt::If {
                    cond: Expr::Num(1.0),
                    then: body,
                    els: vec![],
                }))
            }
            Tok::Ident(w) => {
                match w.as_str() {
                    "UNITSON" | "UNITSOFF" | "THREADSAFE" => {
                        if w != "THREADSAFE" {
                            self.unit_toggles.push((line, w == "UNITSON"));
                        }
                        self.next();
                        return Ok(None);
                    }
                    "LOCAL" => {
                        self.next();
                        let names = self.name_list()?;
                        return Ok(Some(Stmt::Local(names)));
                    }
                    "if" => return self.if_stmt().map(Some),
                    "while" => {
                        self.next();
                        self.expect_p("(")?;
                        let cond = self.expr()?;
                        self.expect_p(")")?;
                        let body = self.stmt_block()?;
                        return Ok(Some(Stmt::While { cond, body, line }));
                    }
                    "SOLVE" => {
                        self.next();
                        let block = self.ident()?;
                        let mut method = None;
                        let mut steadystate = false;
                        if self.is_word("METHOD") {
                            self.next();
                            method = Some(self.ident()?);
                        } else if self.is_word("STEADYSTATE") {
                            self.next();
                            steadystate = true;
                            method = Some(self.ident()?);
                        }
                        if self.is_word("IFERROR") {
                            self.next();
                            self.stmt_block()?;
                        }
                        return Ok(Some(Stmt::Solve {
                            block,
                            method,
                            steadystate,
                            line,
                        }));
                    }
                    "TABLE" => {
                        self.next();
                        let mut outputs = Vec::new();
                        if !self.is_word("DEPEND") && !self.is_word("FROM") {
                            outputs = self.name_list()?;
                        }
                        let mut depend = Vec::new();
                        if self.is_word("DEPEND") {
                            self.next();
                            depend = self.name_list()?;
                        }
                        if !self.is_word("FROM") {
                            return self.err("TABLE: expected FROM");
                        }
                        self.next();
                        let from = self.expr()?;
                        if !self.is_word("TO") {
                            return self.err("TABLE: expected TO");
                        }
                        self.next();
                        let to = self.expr()?;
                        if !self.is_word("WITH") {
                            return self.err("TABLE: expected WITH");
                        }
                        self.next();
                        let with = self.expr()?;
                        return Ok(Some(Stmt::Table {
                            outputs,
                            depend,
                            from,
                            to,
                            with,
                            line,
                        }));
                    }
                    "CONSERVE" => {
                        self.next();
                        let lhs = self.expr()?;
                        self.expect_p("=")?;
                        let rhs = self.expr()?;
                        return Ok(Some(Stmt::Conserve { lhs, rhs, line }));
                    }
                    "COMPARTMENT" => {
                        self.next();
                        if matches!(self.peek(), Tok::Ident(_))
                            && matches!(self.peek_at(1), Tok::P(","))
                        {
                            return self.indexed_compartment(line);
                        }
                        let volume = self.expr()?;
                        self.expect_p("{")?;
                        let mut states = Vec::new();
                        while !self.eat_p("}") {
                            states.push(self.ident()?);
                        }
                        return Ok(Some(Stmt::Compartment {
                            volume,
                            states,
                            line,
                        }));
                    }
                    "INITIAL" => {
                        // Only inside NET_RECEIVE.
                        self.next();
                        let body = self.stmt_block()?;
                        self.pending_initial = Some(body);
                        return Ok(Some(Stmt::Unsupported {
                            what: "__INITIAL__".into(),
                            line,
                        }));
                    }
                    "FROM" => {
                        let body = self.unrolled_from_loop(line)?;
                        self.unrolled.extend(body);
                        return Ok(None);
                    }
                    "FOR" => {
                        self.next();
                        self.skip_until_block()?;
                        return Ok(Some(Stmt::Unsupported {
                            what: format!("{w} loop"),
                            line,
                        }));
                    }
                    "WATCH" => {
                        self.next();
                        return self.watch(line).map(Some);
                    }
                    "LAG" | "SENS" | "PROTECT" | "MUTEXLOCK" | "MUTEXUNLOCK" | "printf"
                    | "FOR_NETCONS" | "LONGDIFUS" | "CONDUCTANCE" | "RESET" | "VERBATIM" => {
                        self.next();
                        self.skip_statement_rest()?;
                        return Ok(Some(Stmt::Unsupported {
                            what: w.clone(),
                            line,
                        }));
                    }
                    _ => {}
                }
                let mut name = self.ident()?;
                if self.is_p("[") {
                    name = self.element(&name)?;
                }
                if self.eat_p("'") {
                    // NMODL writes an element's derivative x'[i]
                    if self.is_p("[") {
                        name = self.element(&name)?;
                    }
                    self.expect_p("=")?;
                    let rhs = self.expr()?;
                    return Ok(Some(Stmt::Deriv {
                        state: name,
                        rhs,
                        line,
                    }));
                }
                if self.eat_p("=") {
                    let rhs = self.expr()?;
                    return Ok(Some(Stmt::Assign {
                        lhs: name,
                        rhs,
                        line,
                    }));
                }
                if self.is_p("(") {
                    let args = self.call_args()?;
                    return Ok(Some(Stmt::Call { name, args, line }));
                }
                self.err(format!(
                    "expected '=', ''' or '(' after '{name}', found {}",
                    describe(self.peek())
                ))
            }
            t => self.err(format!(
                "unexpected {} at the start of a statement",
                describe(&t)
            )),
        }
    }

    /// `[index]` after an array's name: the element's name `x[k]`, for an index made of numbers
    /// and FROM loop variables.
    fn element(&mut self, name: &str) -> NResult<String> {
        self.expect_p("[")?;
        let index = self.expr()?;
        self.expect_p("]")?;
        let Some(&len) = self.arrays.get(name) else {
            return self.err(format!("'{name}' is not an array"));
        };
        let Some(k) = const_value(&index) else {
            return self.err(format!(
                "index of '{name}[...]': only numbers and FROM loop variables are supported"
            ));
        };
        if k.fract() != 0.0 || k < 0.0 || k >= len as f64 {
            return self.err(format!("index {k} of '{name}' is outside 0..{}", len - 1));
        }
        Ok(format!("{name}[{}]", k as usize))
    }

    /// `COMPARTMENT i, volume(i) { a b }` for arrays a, b: each element a[k] gets volume(k).
    fn indexed_compartment(&mut self, line: usize) -> NResult<Option<Stmt>> {
        let var = self.ident()?;
        self.expect_p(",")?;
        let start = self.pos;
        self.loop_env.push((var.clone(), 0.0));
        let r = self.expr();
        self.loop_env.pop();
        r?;
        self.expect_p("{")?;
        let mut names = Vec::new();
        while !self.eat_p("}") {
            names.push(self.ident()?);
        }
        let end = self.pos;
        for name in names {
            let Some(&len) = self.arrays.get(&name) else {
                return Err(err_at(
                    self.file,
                    line,
                    format!("indexed COMPARTMENT of '{name}', which is not an array"),
                ));
            };
            for k in 0..len {
                self.pos = start;
                self.loop_env.push((var.clone(), k as f64));
                let volume = self.expr();
                self.loop_env.pop();
                self.unrolled.push(Stmt::Compartment {
                    volume: volume?,
                    states: vec![format!("{name}[{k}]")],
                    line,
                });
            }
        }
        self.pos = end;
        Ok(None)
    }

    /// A FROM loop bound: numbers and DEFINE'd names.
    fn bound(&mut self, line: usize) -> NResult<f64> {
        let e = self.expr()?;
        let e = match &e {
            Expr::Var(n, _) => self.consts.get(n).map(|v| Expr::Num(*v)).unwrap_or(e),
            _ => e,
        };
        const_value(&e).ok_or_else(|| {
            err_at(
                self.file,
                line,
                "FROM loop bounds must be numbers or DEFINE'd names",
            )
        })
    }

    /// `FROM i = a TO b [BY c] { ... }` with constant bounds, unrolled: the body is read once per
    /// value of i, with i a number there (NEURON's loop includes b).
    fn unrolled_from_loop(&mut self, line: usize) -> NResult<Vec<Stmt>> {
        self.next();
        let var = self.ident()?;
        self.expect_p("=")?;
        let from = self.bound(line)?;
        if !self.is_word("TO") {
            return self.err("expected TO in FROM loop");
        }
        self.next();
        let to = self.bound(line)?;
        let by = if self.is_word("BY") {
            self.next();
            self.bound(line)?
        } else {
            1.0
        };
        if by <= 0.0 || (to - from) / by > 1e5 {
            return Err(err_at(self.file, line, "FROM loop step must be positive"));
        }
        let start = self.pos;
        let mut body = Vec::new();
        let mut k = from;
        while k <= to {
            self.pos = start;
            self.loop_env.push((var.clone(), k));
            let r = self.stmt_block();
            self.loop_env.pop();
            body.extend(r?);
            k += by;
        }
        if body.is_empty() {
            self.pos = start;
            self.skip_braces()?;
        }
        Ok(body)
    }

    /// Skips tokens until a `{...}` block has been skipped (FOR loops).
    fn skip_until_block(&mut self) -> NResult<()> {
        while !self.is_p("{") {
            if let Tok::Eof = self.next() {
                return self.err("unterminated loop");
            }
        }
        self.skip_braces()
    }

    /// `WATCH (a > b) flag, (c < d) flag2 ...`: each condition becomes a call
    /// `__watch(number, condition, flag)` that lowering turns into a watch request (several in one
    /// statement: a block of such calls).
    fn watch(&mut self, line: usize) -> NResult<Stmt> {
        let mut calls = Vec::new();
        loop {
            self.expect_p("(")?;
            let cond = self.expr()?;
            self.expect_p(")")?;
            let flag = self.expr()?;
            self.n_watch += 1;
            calls.push(Stmt::Call {
                name: "__watch".into(),
                args: vec![Expr::Num(self.n_watch as f64), cond, flag],
                line,
            });
            if !self.eat_p(",") {
                break;
            }
        }
        if calls.len() == 1 {
            return Ok(calls.remove(0));
        }
        Ok(Stmt::If {
            cond: Expr::Num(1.0),
            then: calls,
            els: Vec::new(),
        })
    }

    /// Skips the arguments of an unsupported statement: a parenthesized group and what follows on
    /// the same line.
    fn skip_statement_rest(&mut self) -> NResult<()> {
        let line = self.line();
        if self.is_p("(") {
            let _ = self.units()?;
        }
        while self.line() == line && !self.is_p("}") && !matches!(self.peek(), Tok::Eof) {
            if self.is_p("{") {
                return self.skip_braces();
            }
            self.next();
        }
        Ok(())
    }

    fn if_stmt(&mut self) -> NResult<Stmt> {
        self.next(); // if
        self.expect_p("(")?;
        let cond = self.expr()?;
        self.expect_p(")")?;
        let then = self.stmt_block()?;
        let mut els = Vec::new();
        if self.is_word("else") {
            self.next();
            if self.is_word("if") {
                els.push(self.if_stmt()?);
            } else {
                els = self.stmt_block()?;
            }
        }
        Ok(Stmt::If { cond, then, els })
    }

    fn species(&mut self) -> NResult<Species> {
        let mut out = Vec::new();
        loop {
            let coef = if let Tok::Num(v) = self.peek().clone() {
                self.next();
                v
            } else {
                1.0
            };
            let mut name = self.ident()?;
            if self.is_p("[") {
                name = self.element(&name)?;
            }
            out.push((coef, name));
            if !self.eat_p("+") {
                return Ok(out);
            }
        }
    }

    fn tilde(&mut self, line: usize) -> NResult<Stmt> {
        // `~ x << (flux)` / reactions / equations. A reaction starts with species and then `<->`
        // or `->`; anything else is an equation `lhs = rhs`.
        let save = self.pos;
        if let Tok::Ident(name) = self.peek().clone() {
            // `~ ca[0] << (...)`: the flux of an array element
            let element = matches!(self.peek_at(1), Tok::P("["));
            let close = (2..8).find(|&k| matches!(self.peek_at(k), Tok::P("]")));
            let is_flux = match (element, close) {
                (false, _) => matches!(self.peek_at(1), Tok::P("<<")),
                (true, Some(k)) => matches!(self.peek_at(k + 1), Tok::P("<<")),
                (true, None) => false,
            };
            if is_flux {
                self.next();
                let name = if element { self.element(&name)? } else { name };
                self.next();
                let flux = self.expr()?;
                return Ok(Stmt::Flux {
                    state: name,
                    flux,
                    line,
                });
            }
        }
        if let Ok(lhs) = self.species() {
            if self.eat_p("<->") {
                let rhs = self.species()?;
                self.expect_p("(")?;
                let kf = self.expr()?;
                self.expect_p(",")?;
                let kb = self.expr()?;
                self.expect_p(")")?;
                return Ok(Stmt::Reaction {
                    lhs,
                    rhs,
                    kf,
                    kb: Some(kb),
                    line,
                });
            }
            if self.eat_p("->") {
                let rhs = if self.is_p("(") {
                    Vec::new()
                } else {
                    self.species()?
                };
                self.expect_p("(")?;
                let kf = self.expr()?;
                self.expect_p(")")?;
                return Ok(Stmt::Reaction {
                    lhs,
                    rhs,
                    kf,
                    kb: None,
                    line,
                });
            }
        }
        self.pos = save;
        let lhs = self.expr()?;
        self.expect_p("=")?;
        let rhs = self.expr()?;
        Ok(Stmt::Equation { lhs, rhs, line })
    }

    fn call_args(&mut self) -> NResult<Vec<Expr>> {
        self.expect_p("(")?;
        let mut args = Vec::new();
        if self.eat_p(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat_p(")") {
                return Ok(args);
            }
            self.expect_p(",")?;
        }
    }

    pub fn expr(&mut self) -> NResult<Expr> {
        self.or_expr()
    }

    fn or_expr(&mut self) -> NResult<Expr> {
        let mut a = self.and_expr()?;
        while self.eat_p("||") {
            a = Expr::bin(BinOp::Or, a, self.and_expr()?);
        }
        Ok(a)
    }

    fn and_expr(&mut self) -> NResult<Expr> {
        let mut a = self.cmp_expr()?;
        while self.eat_p("&&") {
            a = Expr::bin(BinOp::And, a, self.cmp_expr()?);
        }
        Ok(a)
    }

    fn cmp_expr(&mut self) -> NResult<Expr> {
        let mut a = self.add_expr()?;
        loop {
            let op = match self.peek() {
                Tok::P("<") => BinOp::Lt,
                Tok::P("<=") => BinOp::Le,
                Tok::P(">") => BinOp::Gt,
                Tok::P(">=") => BinOp::Ge,
                Tok::P("==") => BinOp::Eq,
                Tok::P("!=") => BinOp::Ne,
                _ => return Ok(a),
            };
            self.next();
            a = Expr::bin(op, a, self.add_expr()?);
        }
    }

    fn add_expr(&mut self) -> NResult<Expr> {
        let mut a = self.mul_expr()?;
        loop {
            let op = match self.peek() {
                Tok::P("+") => BinOp::Add,
                Tok::P("-") => BinOp::Sub,
                _ => return Ok(a),
            };
            self.next();
            a = Expr::bin(op, a, self.mul_expr()?);
        }
    }

    fn mul_expr(&mut self) -> NResult<Expr> {
        let mut a = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::P("*") => BinOp::Mul,
                Tok::P("/") => BinOp::Div,
                Tok::P("%") => return self.err("'%' is not supported"),
                _ => return Ok(a),
            };
            self.next();
            a = Expr::bin(op, a, self.unary()?);
        }
    }

    fn unary(&mut self) -> NResult<Expr> {
        if self.eat_p("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat_p("+") {
            return self.unary();
        }
        if self.eat_p("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.pow_expr()
    }

    fn pow_expr(&mut self) -> NResult<Expr> {
        let base = self.primary()?;
        if self.eat_p("^") {
            // Right associative, and the exponent may carry its own sign.
            let e = self.unary()?;
            return Ok(Expr::bin(BinOp::Pow, base, e));
        }
        Ok(base)
    }

    fn primary(&mut self) -> NResult<Expr> {
        let line = self.line();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.next();
                // A number may carry units: `2 (mV)`.
                if self.is_p("(") {
                    let u = self.units()?;
                    if self.keep_units {
                        return Ok(Expr::Call(
                            format!("{UNITS_MARK}{u}"),
                            vec![Expr::Num(v)],
                            line,
                        ));
                    }
                }
                Ok(Expr::Num(v))
            }
            Tok::Ident(name) => {
                self.next();
                if self.is_p("(") {
                    let args = self.call_args()?;
                    return Ok(Expr::Call(name, args, line));
                }
                if self.is_p("[") {
                    let element = self.element(&name)?;
                    return Ok(Expr::Var(element, line));
                }
                if let Some((_, v)) = self.loop_env.iter().rev().find(|(n, _)| *n == name) {
                    return Ok(Expr::Num(*v));
                }
                // a DEFINE'd name is its number (NEURON substitutes it as text)
                if let Some(v) = self.consts.get(&name) {
                    return Ok(Expr::Num(*v));
                }
                Ok(Expr::Var(name, line))
            }
            Tok::P("(") => {
                self.next();
                let e = self.expr()?;
                self.expect_p(")")?;
                if self.keep_units {
                    return Ok(Expr::Call(PAREN_MARK.into(), vec![e], line));
                }
                Ok(e)
            }
            t => self.err(format!("expected an expression, found {}", describe(&t))),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Num(v) => format!("number {v}"),
        Tok::P(p) => format!("'{p}'"),
        Tok::Verbatim => "VERBATIM".into(),
        Tok::Eof => "end of file".into(),
    }
}
