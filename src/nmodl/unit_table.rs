//! Units as NEURON's `modlunit` reads them: a factor times powers of five base dimensions
//! (meter, kilogram, second, coulomb, kelvin), the names it knows (its unit database, the
//! 2019 SI constants), long prefixes only (`millivolt` is known, `mV` must be defined in the
//! file's UNITS block), a plural `s` dropped, digits as exponents (`cm2`), `-` or space
//! between factors and everything after a `/` in the denominator. `mole` is a number
//! (Avogadro's), so `mM` = milli mole / liter has dimensions 1/m3.

use std::collections::HashMap;

pub const NDIM: usize = 5;
const DIM_NAMES: [&str; NDIM] = ["m", "kg", "sec", "coul", "K"];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub factor: f64,
    pub dim: [i32; NDIM],
}

impl Unit {
    pub const ONE: Unit = Unit {
        factor: 1.0,
        dim: [0; NDIM],
    };

    pub fn times(self, o: Unit) -> Unit {
        let mut dim = self.dim;
        dim.iter_mut().zip(o.dim).for_each(|(a, b)| *a += b);
        Unit {
            factor: self.factor * o.factor,
            dim,
        }
    }

    pub fn per(self, o: Unit) -> Unit {
        let mut dim = self.dim;
        dim.iter_mut().zip(o.dim).for_each(|(a, b)| *a -= b);
        Unit {
            factor: self.factor / o.factor,
            dim,
        }
    }

    pub fn powi(self, n: i32) -> Unit {
        Unit {
            factor: self.factor.powi(n),
            dim: self.dim.map(|d| d * n),
        }
    }

    pub fn dimensionless(&self) -> bool {
        self.dim.iter().all(|&d| d == 0)
    }

    /// Same dimensions (conformable).
    pub fn conforms(&self, o: &Unit) -> bool {
        self.dim == o.dim
    }

    /// Same factor, within modlunit's relative tolerance of 1e-5.
    pub fn same_factor(&self, o: &Unit) -> bool {
        (o.factor / self.factor - 1.0).abs() <= 1e-5
    }
}

impl std::fmt::Display for Unit {
    /// `0.001 m2-kg/sec2-coul`: the factor, then positive powers, `/`, negative powers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let part = |sign: i32| -> String {
            self.dim
                .iter()
                .zip(DIM_NAMES)
                .filter(|(d, _)| **d * sign > 0)
                .map(|(d, n)| {
                    let p = d * sign;
                    if p > 1 {
                        format!("{n}{p}")
                    } else {
                        n.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("-")
        };
        let (num, den) = (part(1), part(-1));
        write!(f, "{}", self.factor)?;
        if !num.is_empty() {
            write!(f, " {num}")?;
        }
        if !den.is_empty() {
            write!(f, " /{den}")?;
        }
        Ok(())
    }
}

const PREFIXES: &[(&str, f64)] = &[
    ("atto", 1e-18),
    ("femto", 1e-15),
    ("pico", 1e-12),
    ("nano", 1e-9),
    ("micro", 1e-6),
    ("milli", 1e-3),
    ("centi", 1e-2),
    ("deci", 1e-1),
    ("deka", 1e1),
    ("hecta", 1e2),
    ("hecto", 1e2),
    ("kilo", 1e3),
    ("mega", 1e6),
    ("meg", 1e6),
    ("giga", 1e9),
    ("tera", 1e12),
];

/// Names and their definitions in terms of earlier ones (base dimensions `*m*` ...). Written
/// for bmtk-rs from the SI definitions; the names are those NEURON's unit database knows
/// that mechanisms use.
const DEFINITIONS: &[(&str, &str)] = &[
    ("m", "*m*"),
    ("kg", "*kg*"),
    ("sec", "*sec*"),
    ("coul", "*coul*"),
    ("K", "*K*"),
    ("fuzz", "1"),
    ("pi", "3.14159265358979323846"),
    ("mole", "6.02214076e23"),
    ("e", "1.602176634e-19 coul"),
    ("second", "sec"),
    ("s", "sec"),
    ("minute", "60 sec"),
    ("min", "minute"),
    ("hour", "60 min"),
    ("hr", "hour"),
    ("day", "24 hr"),
    ("ms", "millisec"),
    ("us", "microsec"),
    ("ns", "nanosec"),
    ("gram", "millikg"),
    ("gm", "gram"),
    ("mg", "milligram"),
    ("meter", "m"),
    ("metre", "m"),
    ("cm", "centimeter"),
    ("mm", "millimeter"),
    ("km", "kilometer"),
    ("nm", "nanometer"),
    ("micron", "micrometer"),
    ("angstrom", "decinanometer"),
    ("cc", "cm3"),
    ("liter", "kilocc"),
    ("litre", "liter"),
    ("ml", "milliliter"),
    ("newton", "kg-m/sec2"),
    ("nt", "newton"),
    ("N", "newton"),
    ("joule", "nt-m"),
    ("cal", "4.1868 joule"),
    ("calorie", "cal"),
    ("erg", "cm2-gm/sec2"),
    ("dyne", "cm-gm/sec2"),
    ("coulomb", "coul"),
    ("C", "coul"),
    ("ampere", "coul/sec"),
    ("amp", "ampere"),
    ("watt", "joule/sec"),
    ("volt", "watt/amp"),
    ("V", "volt"),
    ("ohm", "volt/amp"),
    ("kilohm", "kiloohm"),
    ("megohm", "megaohm"),
    ("mho", "/ohm"),
    ("siemens", "/ohm"),
    ("farad", "coul/volt"),
    ("henry", "sec2/farad"),
    ("weber", "volt-sec"),
    ("tesla", "weber/m2"),
    ("hertz", "/sec"),
    ("Hz", "hertz"),
    ("hz", "/sec"),
    ("pascal", "nt/m2"),
    ("bar", "1e5 nt/m2"),
    ("atmosphere", "101325 nt/m2"),
    ("atm", "atmosphere"),
    ("ev", "e-volt"),
    ("eV", "e-V"),
    ("faraday", "e-mole"),
    ("boltzmann", "1.380649e-23 joule/K"),
    ("k", "boltzmann"),
    ("gasconstant", "k-mole"),
    ("R", "gasconstant"),
    ("planck", "6.62607015e-34 joule-sec"),
    ("degC", "K"),
    ("kelvin", "K"),
    ("degF", "0.5555555555555556 degC"),
    ("percent", "0.01"),
];

/// A unit string that names something the table does not know.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown(pub String);

#[derive(Clone)]
pub struct Table {
    names: HashMap<String, Unit>,
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

impl Table {
    pub fn new() -> Self {
        let mut t = Table {
            names: HashMap::new(),
        };
        for (i, n) in DIM_NAMES.iter().enumerate() {
            let mut dim = [0; NDIM];
            dim[i] = 1;
            t.names.insert(format!("*{n}*"), Unit { factor: 1.0, dim });
        }
        for (name, def) in DEFINITIONS {
            let u = t
                .parse(def)
                .unwrap_or_else(|e| panic!("unit table: {name}: {e:?}"));
            t.names.insert((*name).to_string(), u);
        }
        t
    }

    /// Adds a file's `(name) = (definition)`; false when the name is already known (modlunit
    /// keeps the old meaning).
    pub fn define(&mut self, name: &str, def: Unit) -> bool {
        if self.names.contains_key(name) {
            return false;
        }
        self.names.insert(name.to_string(), def);
        true
    }

    /// One name, with prefixes and a plural `s` tried as modlunit tries them.
    fn word(&self, name: &str) -> Option<Unit> {
        if name.is_empty() {
            // what a bare prefix leaves: `(milli/liter)`
            return Some(Unit::ONE);
        }
        if let Some(u) = self.names.get(name) {
            return Some(*u);
        }
        for (p, f) in PREFIXES {
            if let Some(rest) = name.strip_prefix(p) {
                if let Some(u) = self.word(rest) {
                    return Some(Unit {
                        factor: u.factor * f,
                        dim: u.dim,
                    });
                }
                // modlunit takes the first prefix that matches and goes on with the rest only
                return None;
            }
        }
        self.plural(name)
    }

    fn plural(&self, name: &str) -> Option<Unit> {
        match name.strip_suffix('s') {
            Some(stem) if !stem.is_empty() => self.word(stem),
            _ => None,
        }
    }

    /// A leading number: digits, a decimal point, an exponent (`1e-3`, or the unit database's
    /// `1.5+3` / `1-3`), and `a|b` for a ratio.
    fn leading_number(s: &str) -> (Option<f64>, &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        if i == 0 {
            return (None, s);
        }
        let mantissa: f64 = s[..i].parse().unwrap_or(1.0);
        let mut value = mantissa;
        let mut rest = &s[i..];
        // the unit database's exponents: `1+8` is 1e8, `1-10` is 1e-10
        if let Some(sign) = rest.chars().next().filter(|c| matches!(c, '+' | '-')) {
            let digits = rest[1..].bytes().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                let e: i32 = rest[1..1 + digits].parse().unwrap_or(0);
                value = mantissa * 10f64.powi(if sign == '-' { -e } else { e });
                rest = &rest[1 + digits..];
            }
        }
        let exp_start = rest.strip_prefix('e').or_else(|| rest.strip_prefix('E'));
        if let Some(r) = exp_start {
            let sign_len = usize::from(r.starts_with(['+', '-']));
            let digits = r[sign_len..]
                .bytes()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits > 0 {
                let e: i32 = r[..sign_len + digits].parse().unwrap_or(0);
                value = mantissa * 10f64.powi(e);
                rest = &r[sign_len + digits..];
            }
        }
        if let Some(r) = rest.strip_prefix('|') {
            let (d, r2) = Self::leading_number(r);
            if let Some(d) = d {
                value /= d;
                rest = r2;
            }
        }
        (Some(value), rest)
    }

    /// Parses a unit expression such as `mA/cm2`, `/mM-ms`, `1`, `k-mole`, `0.001 coulomb`.
    pub fn parse(&self, text: &str) -> Result<Unit, Unknown> {
        let s = text.trim();
        let (factor, mut rest) = Self::leading_number(s);
        let mut u = Unit {
            factor: match factor {
                Some(f) if f != 0.0 => f,
                _ => 1.0,
            },
            dim: [0; NDIM],
        };
        let mut den = false;
        loop {
            rest = rest.trim_start_matches([' ', '\t', '-']);
            if let Some(r) = rest.strip_prefix('/') {
                den = true;
                rest = r;
                continue;
            }
            if rest.is_empty() {
                return Ok(u);
            }
            // a name runs up to a separator or an exponent digit (1..9)
            let end = rest
                .find(|c: char| matches!(c, ' ' | '\t' | '-' | '/' | '1'..='9'))
                .unwrap_or(rest.len());
            let (name, after) = rest.split_at(end);
            let mut power = 1;
            let mut after = after;
            if let Some(d) = after.chars().next().and_then(|c| c.to_digit(10)) {
                if name.is_empty() {
                    // a bare number in the middle (`1` of `(1)` after a factor): a factor of 1
                    after = &after[1..];
                    if d != 1 {
                        u.factor *= f64::from(d);
                    }
                    rest = after;
                    continue;
                }
                power = d as i32;
                after = &after[1..];
            }
            let w = self
                .word(name)
                .ok_or_else(|| Unknown(name.to_string()))?
                .powi(power);
            u = if den { u.per(w) } else { u.times(w) };
            rest = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_as_modlunit() {
        let t = Table::new();
        let mv = t.parse("millivolt").unwrap();
        assert!((mv.factor - 1e-3).abs() < 1e-18);
        assert_eq!(mv.dim, [2, 1, -2, -1, 0]);
        assert_eq!(t.parse("mV"), Err(Unknown("mV".into())));
        assert_eq!(t.parse("S"), Err(Unknown("S".into())));
        let ms = t.parse("/ms").unwrap();
        assert!((ms.factor - 1e3).abs() < 1e-9 && ms.dim == [0, 0, -1, 0, 0]);
        let mm = t.parse("milli/liter").unwrap();
        assert_eq!(mm.dim, [-3, 0, 0, 0, 0]);
        assert!((mm.factor - 1.0).abs() < 1e-12); // 1e-3 / (1e-3 m3): `mole` is not in it
        let cm2 = t.parse("milliamp/cm2").unwrap();
        assert!((cm2.factor - 10.0).abs() < 1e-12 && cm2.dim == [-2, 0, -1, 1, 0]);
        assert_eq!(t.parse("1").unwrap(), Unit::ONE);
        assert_eq!(t.parse("coulombs").unwrap().dim, [0, 0, 0, 1, 0]);
        let r = t
            .parse("k-mole")
            .unwrap()
            .per(t.parse("joule/degC").unwrap());
        assert!(r.dimensionless() && (r.factor - 8.31446261815324).abs() < 1e-9);
        assert_eq!(format!("{}", t.parse("1/ms").unwrap()), "1000 /sec");
    }
}
