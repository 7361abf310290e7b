//! Space-separated spike tables as BMTK writes them: a header `timestamps population node_ids`
//! and one spike per line. Readers also take files without a header (`timestamps node_ids`, or
//! the three columns in BMTK's order) and headers naming the columns in any order.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{SortOrder, SpikePopulation};
use crate::error::{Error, Result};

/// A text file written under a temporary name and moved into place by `commit`; dropped without
/// `commit`, it is removed.
struct PendingText {
    tmp: PathBuf,
    dest: PathBuf,
    out: Option<BufWriter<std::fs::File>>,
}

impl PendingText {
    fn create(dest: &Path) -> Result<Self> {
        let tmp = super::super::h5::temp_path_for(dest)?;
        let f = std::fs::File::create(&tmp)
            .map_err(|e| Error::file(dest, format!("cannot create: {e}")))?;
        Ok(PendingText {
            tmp,
            dest: dest.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 20, f)),
        })
    }

    fn commit(mut self) -> Result<()> {
        // Whatever fails from here on, the temporary file is removed.
        let flushed = match self.out.take() {
            Some(mut w) => w.flush().map_err(|e| format!("cannot write: {e}")),
            None => Ok(()),
        };
        let done = flushed.and_then(|_| {
            std::fs::rename(&self.tmp, &self.dest)
                .map_err(|e| format!("cannot move the finished file into place: {e}"))
        });
        done.map_err(|m| {
            let _ = std::fs::remove_file(&self.tmp);
            Error::file(&self.dest, m)
        })
    }
}

impl Drop for PendingText {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Formats a float so that it reads back to the same value, with a decimal point as Python's
/// `repr` has it for integral values ("100.0", not "100").
fn push_f64(buf: &mut String, x: f64) {
    use std::fmt::Write as _;
    let start = buf.len();
    let _ = write!(buf, "{x}");
    let s = &buf[start..];
    if x.is_finite() && !s.contains('.') && !s.contains('e') {
        buf.push_str(".0");
    }
}

/// One spike row to write: `(timestamp, population index, node id)`.
pub type Row = (f64, usize, u64);

/// Writes rows (already ordered) as a space-separated table.
pub fn write_spikes_csv(
    path: &Path,
    pop_names: &[&str],
    rows: &[Row],
    header: bool,
    with_population: bool,
) -> Result<()> {
    for n in pop_names {
        if n.is_empty() || n.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!(
                "{}: population name {n:?} cannot be written to a space-separated file",
                path.display()
            )));
        }
    }
    let mut pending = PendingText::create(path)?;
    let out = pending.out.as_mut().expect("open until commit");
    let err = |e: std::io::Error| Error::file(path, format!("cannot write: {e}"));
    if header {
        let h = if with_population {
            "timestamps population node_ids\n"
        } else {
            "timestamps node_ids\n"
        };
        out.write_all(h.as_bytes()).map_err(err)?;
    }
    let mut buf = String::with_capacity(1 << 16);
    for &(t, p, n) in rows {
        push_f64(&mut buf, t);
        buf.push(' ');
        if with_population {
            buf.push_str(pop_names[p]);
            buf.push(' ');
        }
        {
            use std::fmt::Write as _;
            let _ = write!(buf, "{n}");
        }
        buf.push('\n');
        if buf.len() > (1 << 16) - 128 {
            out.write_all(buf.as_bytes()).map_err(err)?;
            buf.clear();
        }
    }
    out.write_all(buf.as_bytes()).map_err(err)?;
    pending.commit()
}

#[derive(Clone, Copy)]
struct Layout {
    ts: usize,
    ids: usize,
    pop: Option<usize>,
    ncols: usize,
}

fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

/// Splits a row on `sep`, or on runs of whitespace when `sep` is `None`.
fn fields(line: &str, sep: Option<char>) -> Vec<&str> {
    match sep {
        None => line.split_whitespace().collect(),
        Some(c) => line.split(c).map(str::trim).collect(),
    }
}

/// Reads a spike table whose columns are separated by `sep` (`None`: spaces/tabs, as BMTK
/// writes). Spikes without a population column go to `default_population`. Populations come
/// out in order of first appearance, each in file order.
pub fn read_spikes_csv(
    path: &Path,
    default_population: &str,
    sep: Option<char>,
) -> Result<Vec<SpikePopulation>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::file(path, "no such file")
        } else {
            Error::file(path, format!("cannot read as text: {e}"))
        }
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, first)) = lines.clone().next() else {
        return Ok(Vec::new());
    };
    let head: Vec<&str> = fields(first, sep);
    let layout = if !is_number(head[0]) {
        // A header row: find the columns by name.
        lines.next();
        let find = |names: &[&str]| head.iter().position(|h| names.contains(h));
        let ts = find(&["timestamps", "timestamp", "time", "times"]).ok_or_else(|| {
            Error::format(path, format!("header {head:?} has no 'timestamps' column"))
        })?;
        let ids = find(&["node_ids", "node_id", "gids", "gid"]).ok_or_else(|| {
            Error::format(path, format!("header {head:?} has no 'node_ids' column"))
        })?;
        Layout {
            ts,
            ids,
            pop: find(&["population"]),
            ncols: head.len(),
        }
    } else {
        match head.len() {
            2 => Layout { ts: 0, ids: 1, pop: None, ncols: 2 },
            3 => Layout { ts: 0, ids: 2, pop: Some(1), ncols: 3 },
            n => {
                return Err(Error::format(
                    path,
                    format!("line 1 has {n} columns; a spike table without a header has 2 (timestamps node_ids) or 3"),
                ))
            }
        }
    };
    let mut pops: Vec<SpikePopulation> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, line) in lines {
        let cols: Vec<&str> = fields(line, sep);
        let lineno = i + 1;
        if cols.len() != layout.ncols {
            return Err(Error::format(
                path,
                format!(
                    "line {lineno} has {} columns, expected {}",
                    cols.len(),
                    layout.ncols
                ),
            ));
        }
        let t: f64 = cols[layout.ts].parse().map_err(|_| {
            Error::format(
                path,
                format!(
                    "line {lineno}: timestamp {:?} is not a number",
                    cols[layout.ts]
                ),
            )
        })?;
        let id_s = cols[layout.ids];
        let n: u64 = id_s
            .parse::<u64>()
            .ok()
            .or_else(|| {
                // pandas may have written ids as floats ("3.0").
                id_s.parse::<f64>()
                    .ok()
                    .filter(|x| *x >= 0.0 && x.fract() == 0.0)
                    .map(|x| x as u64)
            })
            .ok_or_else(|| {
                Error::format(
                    path,
                    format!("line {lineno}: node id {id_s:?} is not a non-negative integer"),
                )
            })?;
        let pname = layout.pop.map(|c| cols[c]).unwrap_or(default_population);
        let k = match last {
            Some(k) if pops[k].name == pname => k,
            _ => match pops.iter().position(|p| p.name == pname) {
                Some(k) => k,
                None => {
                    pops.push(SpikePopulation {
                        name: pname.to_string(),
                        node_ids: Vec::new(),
                        timestamps: Vec::new(),
                        units: "ms".to_string(),
                        sorting: SortOrder::Unknown,
                    });
                    pops.len() - 1
                }
            },
        };
        last = Some(k);
        pops[k].timestamps.push(t);
        pops[k].node_ids.push(n);
    }
    Ok(pops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_format_reads_back() {
        for x in [100.0, 0.1, 1e-7, 53.96058372591854, 1e22] {
            let mut s = String::new();
            push_f64(&mut s, x);
            assert!(s.contains('.') || s.contains('e'), "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn header_and_no_header() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_spikes_csv_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.csv");
        std::fs::write(&a, "node_ids timestamps\n4 1.5\n2 0.5\n").unwrap();
        let p = read_spikes_csv(&a, "x", None).unwrap();
        assert_eq!(p[0].name, "x");
        assert_eq!(p[0].node_ids, vec![4, 2]);
        assert_eq!(p[0].timestamps, vec![1.5, 0.5]);
        std::fs::write(&a, "1.5 4\n0.5 2\n").unwrap();
        assert_eq!(read_spikes_csv(&a, "x", None).unwrap(), p);
        std::fs::write(&a, "1.5 4\n0.5\n").unwrap();
        assert!(read_spikes_csv(&a, "x", None)
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        std::fs::write(&a, "timestamps,population,node_ids\n1.5,x,4\n0.5,x,2\n").unwrap();
        assert_eq!(read_spikes_csv(&a, "y", Some(',')).unwrap(), p);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
