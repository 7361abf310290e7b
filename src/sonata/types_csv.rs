//! The space-separated `*_node_types.csv` / `*_edge_types.csv` tables. Cells are written with
//! minimal quoting (a cell holding a space, a quote or a line break is quoted, quotes doubled) and
//! CRLF line ends, which is what BMTK's writer produces.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypesTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn quote(cell: &str, only_cell: bool) -> String {
    let needs = cell.contains([' ', '"', '\r', '\n']) || (only_cell && cell.is_empty());
    if needs {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn line(cells: &[String]) -> String {
    let only = cells.len() == 1;
    let mut s = cells
        .iter()
        .map(|c| quote(c, only))
        .collect::<Vec<_>>()
        .join(" ");
    s.push_str("\r\n");
    s
}

pub fn write_types_csv(path: &Path, table: &TypesTable) -> Result<()> {
    for (i, r) in table.rows.iter().enumerate() {
        if r.len() != table.columns.len() {
            return Err(Error::invalid(format!(
                "{}: row {i} has {} cells for {} columns",
                path.display(),
                r.len(),
                table.columns.len()
            )));
        }
    }
    let mut text = line(&table.columns);
    for r in &table.rows {
        text.push_str(&line(r));
    }
    let tmp = super::h5::temp_path_for(path)?;
    let res = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|_| std::fs::rename(&tmp, path));
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::file(path, format!("cannot write: {e}"))
    })
}

/// Splits one line into cells: every space outside quotes ends a cell (two spaces in a row
/// make an empty cell, as BMTK's readers take it); double quotes group, `""` is a quote.
fn split_line(path: &Path, lineno: usize, text: &str) -> Result<Vec<String>> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            in_quotes = true;
        } else if c == ' ' {
            cells.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if in_quotes {
        return Err(Error::format(
            path,
            format!("line {lineno}: unterminated quote"),
        ));
    }
    cells.push(cur);
    Ok(cells)
}

pub fn read_types_csv(path: &Path) -> Result<TypesTable> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::file(path, format!("cannot read: {e}")))?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| Error::format(path, "empty types table: the header row is missing"))?;
    let columns = split_line(path, 1, header)?;
    let mut rows = Vec::new();
    for (no, l) in lines {
        let cells = split_line(path, no, l)?;
        if cells.len() != columns.len() {
            return Err(Error::format(
                path,
                format!(
                    "line {no}: {} cells but the header has {} columns",
                    cells.len(),
                    columns.len()
                ),
            ));
        }
        rows.push(cells);
    }
    Ok(TypesTable { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trip() {
        let dir = std::env::temp_dir().join(format!("bmtk_rs_csv_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.csv");
        let t = TypesTable {
            columns: vec!["edge_type_id".into(), "target_sections".into()],
            rows: vec![
                vec!["100".into(), "['somatic', 'basal']".into()],
                vec!["101".into(), "a\"b".into()],
            ],
        };
        write_types_csv(&p, &t).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("100 \"['somatic', 'basal']\"\r\n"));
        assert_eq!(read_types_csv(&p).unwrap(), t);
        std::fs::write(&p, "a b c\r\n1  3\r\n").unwrap();
        let t = read_types_csv(&p).unwrap();
        assert_eq!(
            t.rows,
            vec![vec!["1".to_string(), String::new(), "3".to_string()]]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
