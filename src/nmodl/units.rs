//! Named constants of UNITS blocks (`FARADAY = (faraday) (coulomb)`): the ratio of two units
//! from a small table of NEURON's unit database (2019 SI values, as NEURON 9 uses them).

use crate::bionet::mechanisms::FARADAY;

const PREFIXES: &[(&str, f64)] = &[
    ("milli", 1e-3),
    ("micro", 1e-6),
    ("nano", 1e-9),
    ("pico", 1e-12),
    ("kilo", 1e3),
    ("mega", 1e6),
    ("centi", 1e-2),
    ("m", 1e-3),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("k", 1e3),
];

fn base(name: &str) -> Option<f64> {
    Some(match name {
        "1" => 1.0,
        "coulomb" | "coul" => 1.0,
        "joule" => 1.0,
        "degC" | "kelvin" | "K" => 1.0,
        "faraday" => FARADAY,
        "pi" => std::f64::consts::PI,
        "k" => 1.380649e-23,
        "e" => 1.602176634e-19,
        "mole" => 6.02214076e23,
        "volt" => 1.0,
        "liter" => 1e-3,
        "meter" => 1.0,
        "ampere" | "amp" => 1.0,
        "siemens" | "mho" => 1.0,
        "ohm" => 1.0,
        "farad" => 1.0,
        "second" | "sec" | "s" => 1.0,
        _ => return None,
    })
}

fn word(w: &str) -> Option<f64> {
    if let Ok(v) = w.parse::<f64>() {
        return Some(v);
    }
    if let Some(v) = base(w) {
        return Some(v);
    }
    let w1 = w.strip_suffix('s').unwrap_or(w);
    if let Some(v) = base(w1) {
        return Some(v);
    }
    for (p, f) in PREFIXES {
        if let Some(rest) = w1.strip_prefix(p) {
            if let Some(v) = base(rest) {
                return Some(f * v);
            }
        }
    }
    None
}

/// The value of a unit expression such as `k-mole`, `joule/degC`, `kilocoulombs`; `-` joins
/// factors of a product, `/` divides by the rest.
pub fn value(unit: &str) -> Option<f64> {
    let (num, den) = match unit.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (unit, None),
    };
    let prod = |s: &str| -> Option<f64> {
        if s.is_empty() {
            return Some(1.0);
        }
        s.split('-')
            .try_fold(1.0, |acc, w| word(w).map(|v| acc * v))
    };
    let n = prod(num)?;
    let d = match den {
        Some(d) => prod(d)?,
        None => 1.0,
    };
    Some(n / d)
}
