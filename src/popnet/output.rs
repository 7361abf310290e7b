//! The rates table BMTK's PopNet writes: one `pop_id time rate` line per population and step,
//! numbers printed as Python prints floats.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// A float as Python's repr() shows it: shortest round-trip digits, positional notation for
/// 1e-4 <= |x| < 1e16, otherwise `d.ddde±XX`.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    let mut out = String::from(sign);
    if (-3..=16).contains(&decpt) {
        if decpt <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-decpt) as usize));
            out.push_str(&digits);
        } else if decpt as usize >= digits.len() {
            out.push_str(&digits);
            out.push_str(&"0".repeat(decpt as usize - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    out
}

/// Writes `label time rate` rows, population after population, to a temporary name that is
/// renamed to `path` once complete (an interrupted run leaves no partial table).
pub fn write_rates(path: &Path, labels: &[String], times: &[f64], rates: &[&[f64]]) -> Result<()> {
    if labels.len() != rates.len() {
        return Err(Error::invalid(
            "rates table: one label per population is required",
        ));
    }
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let ts: Vec<String> = times.iter().map(|&t| py_float(t)).collect();
    let mut buf = String::new();
    {
        let f = std::fs::File::create(&tmp).map_err(|e| Error::file(&tmp, e))?;
        let mut w = std::io::BufWriter::new(f);
        for (label, r) in labels.iter().zip(rates) {
            if r.len() != times.len() {
                return Err(Error::invalid(format!(
                    "rates table: population {label} has {} rates for {} times",
                    r.len(),
                    times.len()
                )));
            }
            for (t, &v) in ts.iter().zip(r.iter()) {
                buf.clear();
                let _ = writeln!(buf, "{label} {t} {}", py_float(v));
                w.write_all(buf.as_bytes())
                    .map_err(|e| Error::file(&tmp, e))?;
            }
        }
        w.flush().map_err(|e| Error::file(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::file(path, e))
}

#[cfg(test)]
mod tests {
    use super::py_float;

    #[test]
    fn floats_print_as_python() {
        let cases = [
            (0.0, "0.0"),
            (1.5, "1.5"),
            (0.018000000000000002, "0.018000000000000002"),
            (0.002, "0.002"),
            (1.132237970362323e-18, "1.132237970362323e-18"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (3.5354531393934154, "3.5354531393934154"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (-2.5e-7, "-2.5e-07"),
            (123456.0, "123456.0"),
        ];
        for (x, s) in cases {
            assert_eq!(py_float(x), s);
        }
    }
}
