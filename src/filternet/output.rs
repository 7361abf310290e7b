//! FilterNet outputs: firing rates (csv as BMTK's RecordRates writes it, h5 `/firing_rates`),
//! and spike trains drawn from the rates.
//!
//! NOTE: the Poisson generation and the SONATA spikes writer here are deliberately minimal and
//! local to FilterNet; they are to be merged into the shared `spikes` module once it exists.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::sonata::h5::{self, PendingFile};

/// Formats a float exactly as Python's `str(float)` does (shortest round-trip digits).
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{v:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if !(-4..16).contains(&exp) {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let es = if exp < 0 { "-" } else { "+" };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let nd = digits.len() as i32;
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    } else if nd <= exp + 1 {
        let zeros = "0".repeat((exp + 1 - nd) as usize);
        format!("{sign}{digits}{zeros}.0")
    } else {
        let p = (exp + 1) as usize;
        format!("{sign}{}.{}", &digits[..p], &digits[p..])
    }
}

/// Writes `text` to `path` through a temporary file renamed when complete.
fn write_text_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::file(path, "the folder does not exist"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let res = (|| -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        fill(&mut w)?;
        w.flush()?;
        Ok(())
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::file(path, format!("cannot write: {e}")));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        Error::file(
            path,
            format!("cannot move the finished file into place: {e}"),
        )
    })
}

/// One population's rates: node ids (sorted ascending) and a row of rates per node.
pub struct PopRates<'a> {
    pub name: &'a str,
    pub node_ids: &'a [u64],
    pub rates: &'a [&'a [f64]],
}

/// `node_id population timestamps firing_rates`, space separated, one line per (node, time).
pub fn write_rates_csv(path: &Path, times: &[f64], pops: &[PopRates]) -> Result<()> {
    use rayon::prelude::*;
    let ts: Vec<String> = times.iter().map(|&t| py_float(t)).collect();
    write_text_atomic(path, |w| {
        // csv.writer's default line terminator is CRLF
        write!(w, "node_id population timestamps firing_rates\r\n")?;
        for p in pops {
            // format blocks of cells in parallel, write them in order
            for block in p.node_ids.chunks(64).zip(p.rates.chunks(64)) {
                let texts: Vec<String> = block
                    .0
                    .par_iter()
                    .zip(block.1.par_iter())
                    .map(|(nid, row)| {
                        let head = format!("{nid} {} ", p.name);
                        let mut s = String::with_capacity(row.len() * (head.len() + 40));
                        for (t, r) in ts.iter().zip(row.iter()) {
                            s.push_str(&head);
                            s.push_str(t);
                            s.push(' ');
                            s.push_str(&py_float(*r));
                            s.push_str("\r\n");
                        }
                        s
                    })
                    .collect();
                for t in texts {
                    w.write_all(t.as_bytes())?;
                }
            }
        }
        Ok(())
    })
}

/// `/firing_rates/<population>/{node_id, times, firing_rates_Hz (times x nodes)}`.
pub fn write_rates_h5(path: &Path, times: &[f64], pops: &[PopRates]) -> Result<()> {
    let pending = PendingFile::create(path)?;
    let root = h5::create_group(path, pending.root(), "firing_rates")?;
    for p in pops {
        let g = h5::create_group(path, &root, p.name)?;
        h5::write_vec(path, &g, "node_id", p.node_ids)?;
        h5::write_vec(path, &g, "times", times)?;
        let nt = times.len();
        let nn = p.node_ids.len();
        let ds = g
            .new_dataset::<f64>()
            .shape((nt, nn))
            .create("firing_rates_Hz")
            .map_err(|e| Error::hdf5(path, "firing_rates_Hz", e))?;
        // times x nodes, written in blocks of nodes so the transpose never holds all rates twice
        const BLOCK: usize = 256;
        for b0 in (0..nn).step_by(BLOCK) {
            let b1 = (b0 + BLOCK).min(nn);
            let w = b1 - b0;
            let mut block = vec![0.0f64; nt * w];
            for (j, row) in p.rates[b0..b1].iter().enumerate() {
                for (i, v) in row.iter().enumerate() {
                    block[i * w + j] = *v;
                }
            }
            let arr = ndarray::ArrayView2::from_shape((nt, w), &block)
                .map_err(|e| Error::invalid(e.to_string()))?;
            ds.write_slice(arr, ndarray::s![.., b0..b1])
                .map_err(|e| Error::hdf5(path, "firing_rates_Hz", e))?;
        }
    }
    pending.commit()
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small counter-based generator (splitmix64): one independent stream per (seed, node id),
/// so spike trains do not depend on thread count or cell order.
pub struct Stream(u64);

impl Stream {
    pub fn new(seed: u64, node_id: u64) -> Self {
        // Start each stream at a hashed point of the splitmix64 cycle so that streams of
        // neighbouring node ids do not overlap.
        let a = mix64(seed.wrapping_add(0x9E37_79B9_7F4A_7C15));
        let b = mix64(node_id ^ 0xD1B5_4A32_D192_ED03);
        Stream(mix64(a ^ b.rotate_left(17)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// BMTK's f_rate_to_spike_train: the rate at t[k] holds on [t[k], t[k+1]) (t in ms, rate in
/// Hz); each interval is split into bins with spike probability at most `p_max`, at most one
/// spike per bin, uniformly placed within it.
pub fn rates_to_spikes(t_ms: &[f64], rate_hz: &[f64], stream: &mut Stream, p_max: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for k in 0..t_ms.len().saturating_sub(1) {
        let dt = t_ms[k + 1] - t_ms[k];
        let mean = rate_hz[k] / 1000.0 * dt;
        if mean.is_nan() || mean <= 0.0 {
            continue;
        }
        let nb = if mean <= p_max {
            1
        } else {
            (mean / p_max).ceil() as usize
        };
        let tb = dt / nb as f64;
        let pb = mean / nb as f64;
        let mut base = t_ms[k];
        for _ in 0..nb {
            if stream.uniform() < pb {
                out.push(base + stream.uniform() * tb);
            }
            base += tb;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::py_float;

    #[test]
    // the last case is a literal with more digits than f64 keeps, as Python prints a float it parsed
    #[allow(clippy::excessive_precision)]
    fn floats_print_like_python() {
        assert_eq!(py_float(0.001), "0.001");
        assert_eq!(py_float(2.0), "2.0");
        assert_eq!(py_float(-0.0), "-0.0");
        assert_eq!(py_float(1e-7), "1e-07");
        assert_eq!(py_float(1.5e-5), "1.5e-05");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123456.789), "123456.789");
        assert_eq!(py_float(1.9990000000000001), "1.999");
    }
}
