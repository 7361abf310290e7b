//! SWC reader: one point per line (`id type x y z radius parent_id`), `#` comments, blank lines.
//!
//! Parsing follows NEURON's Import3d_SWC_read where it is well defined (the first seven numbers of
//! a line are used, radius becomes diameter, points are taken in id order); everything that NEURON
//! only flags and then builds into a broken cell (an orphan parent, a cycle, several roots,
//! duplicate ids, a negative radius, no soma) is an error that names the file and line here.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

/// The points of one SWC file, sorted by id, with parents resolved to point indices.
#[derive(Debug, Clone)]
pub struct Swc {
    pub id: Vec<i64>,
    pub kind: Vec<i32>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub z: Vec<f64>,
    /// Diameter (twice the file's radius), um.
    pub d: Vec<f64>,
    /// Index of the parent point, -1 for the root.
    pub parent: Vec<isize>,
    /// 1-based line of the point in the file, for messages.
    pub line: Vec<usize>,
}

impl Swc {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Reads and validates an SWC file.
    pub fn read(path: &Path) -> Result<Swc> {
        let bytes = std::fs::read(path).map_err(|e| Error::file(path, e))?;
        let text = String::from_utf8_lossy(&bytes);
        Swc::parse(path, &text)
    }

    /// Parses SWC text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Swc> {
        struct Row {
            id: i64,
            kind: i32,
            xyz: [f64; 3],
            d: f64,
            pid: i64,
            line: usize,
        }
        let mut rows: Vec<Row> = Vec::new();
        for (k, raw) in text.lines().enumerate() {
            let line = k + 1;
            let s = raw.trim();
            if s.is_empty() || s.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = s.split_whitespace().collect();
            if fields.len() < 7 {
                return Err(Error::format(
                    path,
                    format!(
                        "line {line}: expected 7 fields 'id type x y z radius parent', found {}: '{s}'",
                        fields.len()
                    ),
                ));
            }
            let mut v = [0f64; 7];
            for (i, f) in fields.iter().take(7).enumerate() {
                v[i] = f
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        Error::format(
                            path,
                            format!(
                                "line {line}: field {} ({}) is not a number: '{f}'",
                                i + 1,
                                ["id", "type", "x", "y", "z", "radius", "parent"][i]
                            ),
                        )
                    })?;
            }
            for (i, what) in [(0usize, "id"), (1, "type"), (6, "parent")] {
                if v[i].fract() != 0.0 || v[i].abs() > 1e15 {
                    return Err(Error::format(
                        path,
                        format!(
                            "line {line}: {what} must be an integer, found '{}'",
                            fields[i]
                        ),
                    ));
                }
            }
            if v[5] < 0.0 {
                return Err(Error::format(
                    path,
                    format!("line {line}: radius {} is negative", fields[5]),
                ));
            }
            let kind = v[1] as i64;
            if !(1..=4).contains(&kind) {
                return Err(Error::format(
                    path,
                    format!(
                        "line {line}: point type {kind} is not supported (BioNet builds soma=1, \
                         axon=2, basal dendrite=3, apical dendrite=4)"
                    ),
                ));
            }
            rows.push(Row {
                id: v[0] as i64,
                kind: kind as i32,
                xyz: [v[2], v[3], v[4]],
                d: v[5] * 2.0,
                pid: v[6] as i64,
                line,
            });
        }
        if rows.is_empty() {
            return Err(Error::format(
                path,
                "no points (an SWC file needs at least a soma)",
            ));
        }
        // NEURON sorts by id when the file is not in order.
        rows.sort_by_key(|r| r.id);
        let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            if let Some(&j) = index.get(&r.id) {
                return Err(Error::format(
                    path,
                    format!(
                        "line {}: duplicate id {} (first defined at line {})",
                        r.line, r.id, rows[j].line
                    ),
                ));
            }
            index.insert(r.id, i);
        }
        let mut parent = vec![-1isize; rows.len()];
        let mut roots = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            if r.pid < 0 {
                roots.push(i);
                continue;
            }
            match index.get(&r.pid) {
                Some(&p) => parent[i] = p as isize,
                None => {
                    return Err(Error::format(
                        path,
                        format!(
                        "line {}: point {} has parent {} which is not in the file (orphan point)",
                        r.line, r.id, r.pid
                    ),
                    ))
                }
            }
        }
        // Cycles: follow parents from every point; a walk longer than the number of points loops.
        let mut state = vec![0u8; rows.len()]; // 0 unvisited, 1 on current walk, 2 reaches a root
        for start in 0..rows.len() {
            let mut walk = Vec::new();
            let mut i = start as isize;
            while i >= 0 && state[i as usize] == 0 {
                state[i as usize] = 1;
                walk.push(i as usize);
                i = parent[i as usize];
            }
            if i >= 0 && state[i as usize] == 1 {
                let pos = walk.iter().position(|&w| w == i as usize).unwrap_or(0);
                let ids: Vec<String> = walk[pos..]
                    .iter()
                    .map(|&w| rows[w].id.to_string())
                    .collect();
                let r = &rows[i as usize];
                return Err(Error::format(
                    path,
                    format!(
                        "line {}: the parents of point {} form a cycle ({} -> {}); an SWC file must be a tree",
                        r.line,
                        r.id,
                        ids.join(" -> "),
                        r.id
                    ),
                ));
            }
            for w in walk {
                state[w] = 2;
            }
        }
        for (i, r) in rows.iter().enumerate() {
            if r.pid >= r.id && parent[i] >= 0 {
                return Err(Error::format(
                    path,
                    format!(
                        "line {}: point {} has parent {}; parents must come before their children \
                         (parent id < id)",
                        r.line, r.id, r.pid
                    ),
                ));
            }
        }
        if roots.len() > 1 {
            let lines: Vec<String> = roots.iter().map(|&i| rows[i].line.to_string()).collect();
            return Err(Error::format(
                path,
                format!(
                    "more than one tree: root points (parent -1) at lines {}; a cell must be one tree",
                    lines.join(", ")
                ),
            ));
        }
        if !rows.iter().any(|r| r.kind == 1) {
            return Err(Error::format(
                path,
                "no soma: no point has type 1 (BioNet needs soma[0])",
            ));
        }
        if rows[0].kind != 1 {
            return Err(Error::format(
                path,
                format!(
                    "line {}: the root point has type {}; the root of the tree must be a soma point (type 1)",
                    rows[0].line, rows[0].kind
                ),
            ));
        }
        Ok(Swc {
            id: rows.iter().map(|r| r.id).collect(),
            kind: rows.iter().map(|r| r.kind).collect(),
            x: rows.iter().map(|r| r.xyz[0]).collect(),
            y: rows.iter().map(|r| r.xyz[1]).collect(),
            z: rows.iter().map(|r| r.xyz[2]).collect(),
            d: rows.iter().map(|r| r.d).collect(),
            parent,
            line: rows.iter().map(|r| r.line).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Swc> {
        Swc::parse(Path::new("t.swc"), s)
    }

    #[test]
    fn reads_points() {
        let s = parse("# c\n1 1 0 0 0 5 -1\n2 3 0 10 0 1 1\n\n3 3 0 20 0 1 2 extra\n").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.d[0], 10.0);
        assert_eq!(s.parent, vec![-1, 0, 1]);
        assert_eq!(s.line, vec![2, 3, 5]);
    }

    #[test]
    fn errors_name_line() {
        let e = parse("1 1 0 0 0 5 -1\n2 3 0 x 0 1 1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.swc") && e.contains("line 2") && e.contains("not a number"),
            "{e}"
        );
        let e = parse("1 1 0 0 0 5 -1\n2 3 0 1 0 1 7\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("orphan"), "{e}");
        let e = parse("1 1 0 0 0 5 -1\n2 3 0 1 0 1 3\n3 3 0 1 0 1 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cycle"), "{e}");
        let e = parse("1 3 0 0 0 5 -1\n2 3 0 1 0 1 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no soma"), "{e}");
    }
}
