//! Compressed sparse rows: the only matrix storage of the engine (nothing is dense in the number
//! of voltage bins squared).

#[derive(Debug, Clone, Default)]
pub struct Csr {
    pub n: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<usize>,
}

impl Csr {
    /// The pattern of a set of (row, column) positions, each row's columns sorted.
    pub fn pattern(n: usize, positions: impl IntoIterator<Item = (usize, usize)>) -> Csr {
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (r, c) in positions {
            rows[r].push(c);
        }
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::new();
        indptr.push(0);
        for mut cols in rows {
            cols.sort_unstable();
            cols.dedup();
            indices.extend(cols);
            indptr.push(indices.len());
        }
        Csr { n, indptr, indices }
    }

    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Storage slot of (row, col), which must be in the pattern.
    pub fn slot(&self, row: usize, col: usize) -> usize {
        let (a, b) = (self.indptr[row], self.indptr[row + 1]);
        a + self.indices[a..b]
            .binary_search(&col)
            .expect("position outside the sparsity pattern")
    }

    /// y = A x for the values `vals` laid out on this pattern.
    pub fn matvec(&self, vals: &[f64], x: &[f64], y: &mut [f64]) {
        for (r, yr) in y.iter_mut().enumerate() {
            let mut s = 0.0;
            for k in self.indptr[r]..self.indptr[r + 1] {
                s += vals[k] * x[self.indices[k]];
            }
            *yr = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_and_matvec() {
        let p = Csr::pattern(3, [(0, 2), (0, 0), (2, 1), (0, 2)]);
        assert_eq!(p.nnz(), 3);
        let mut vals = vec![0.0; 3];
        vals[p.slot(0, 0)] = 2.0;
        vals[p.slot(0, 2)] = 3.0;
        vals[p.slot(2, 1)] = -1.0;
        let mut y = vec![0.0; 3];
        p.matvec(&vals, &[1.0, 10.0, 100.0], &mut y);
        assert_eq!(y, vec![302.0, 0.0, -10.0]);
    }
}
