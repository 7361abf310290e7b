//! One time step of a density p under dp/dt = J p, J fixed over the step: implicit Euler solved
//! by GMRES (`gmres`), the matrix exponential applied to p (`exact`), and dipde's truncated
//! Taylor series (`approx`, to a tolerance or to a fixed order).

use super::sparse::Csr;

/// Vector norms dipde accepts for the `approx` tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Norm {
    Inf,
    One,
    Two,
}

impl Norm {
    pub fn of(self, x: &[f64]) -> f64 {
        match self {
            Norm::Inf => x.iter().fold(0.0, |m, v| m.max(v.abs())),
            Norm::One => x.iter().map(|v| v.abs()).sum(),
            Norm::Two => x.iter().map(|v| v * v).sum::<f64>().sqrt(),
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The symbolic part of an incomplete LU factorisation of I - dt J: the pattern of J grown by
/// the fill of level <= `level` (ILU(k)), the diagonal slots of both patterns, and where each
/// entry of J's pattern sits in the grown one. Level 1 keeps the fill between excitatory jumps
/// (below the diagonal) and inhibitory jumps (above it), which ILU(0) drops.
#[derive(Debug, Clone)]
pub struct DiagSlots {
    a_diag: Vec<usize>,
    pat: Csr,
    diag: Vec<usize>,
    from_a: Vec<usize>,
}

impl DiagSlots {
    pub fn of(pat: &Csr) -> DiagSlots {
        DiagSlots::with_level(pat, 1)
    }

    pub fn with_level(pat: &Csr, level: usize) -> DiagSlots {
        use std::collections::BTreeMap;
        let n = pat.n;
        let mut rows: Vec<Vec<(usize, usize)>> = Vec::with_capacity(n);
        for i in 0..n {
            let mut row: BTreeMap<usize, usize> = pat.indices[pat.indptr[i]..pat.indptr[i + 1]]
                .iter()
                .map(|&c| (c, 0))
                .collect();
            row.insert(i, 0);
            let mut cursor = 0;
            while let Some((&k, &lik)) = row.range(cursor..i).next() {
                cursor = k + 1;
                for &(j, lkj) in &rows[k] {
                    let l = lik + lkj + 1;
                    if j > k && l <= level {
                        let e = row.entry(j).or_insert(usize::MAX);
                        *e = (*e).min(l);
                    }
                }
            }
            rows.push(row.into_iter().collect());
        }
        let ilu = Csr::pattern(
            n,
            rows.iter()
                .enumerate()
                .flat_map(|(i, r)| r.iter().map(move |&(c, _)| (i, c))),
        );
        let mut from_a = Vec::with_capacity(pat.nnz());
        for r in 0..n {
            for k in pat.indptr[r]..pat.indptr[r + 1] {
                from_a.push(ilu.slot(r, pat.indices[k]));
            }
        }
        DiagSlots {
            a_diag: (0..n).map(|r| pat.slot(r, r)).collect(),
            diag: (0..n).map(|r| ilu.slot(r, r)).collect(),
            pat: ilu,
            from_a,
        }
    }
}

/// Scratch vectors of the implicit step, reused from step to step (one per worker thread).
#[derive(Debug, Default)]
pub struct Workspace {
    a: Vec<f64>,
    lu: Vec<f64>,
    marker: Vec<usize>,
    b: Vec<f64>,
    x: Vec<f64>,
    r: Vec<f64>,
    w: Vec<f64>,
    z: Vec<f64>,
    v: Vec<f64>,
    h: Vec<f64>,
    /// J values of the step being taken (filled by the caller).
    pub j: Vec<f64>,
}

const RESTART: usize = 30;

fn resize(v: &mut Vec<f64>, n: usize) {
    v.clear();
    v.resize(n, 0.0);
}

impl Workspace {
    /// Incomplete LU factorisation of A on the grown pattern into `lu`. A is an M-matrix, so the
    /// factorisation exists and needs no pivoting.
    fn factor(&mut self, tri: &DiagSlots) {
        let pat = &tri.pat;
        let n = pat.n;
        self.lu.clear();
        self.lu.resize(pat.nnz(), 0.0);
        for (&to, &v) in tri.from_a.iter().zip(&self.a) {
            self.lu[to] = v;
        }
        self.marker.clear();
        self.marker.resize(n, usize::MAX);
        for i in 0..n {
            let (ra, rb) = (pat.indptr[i], pat.indptr[i + 1]);
            for k in ra..rb {
                self.marker[pat.indices[k]] = k;
            }
            for kk in ra..rb {
                let k = pat.indices[kk];
                if k >= i {
                    break;
                }
                let l = self.lu[kk] / self.lu[tri.diag[k]];
                self.lu[kk] = l;
                for jj in tri.diag[k] + 1..pat.indptr[k + 1] {
                    let m = self.marker[pat.indices[jj]];
                    if m != usize::MAX {
                        self.lu[m] -= l * self.lu[jj];
                    }
                }
            }
            for k in ra..rb {
                self.marker[pat.indices[k]] = usize::MAX;
            }
        }
    }

    fn precondition(tri: &DiagSlots, lu: &[f64], x: &mut [f64]) {
        let pat = &tri.pat;
        let n = x.len();
        for i in 0..n {
            let mut s = x[i];
            for k in pat.indptr[i]..tri.diag[i] {
                s -= lu[k] * x[pat.indices[k]];
            }
            x[i] = s;
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            for k in tri.diag[i] + 1..pat.indptr[i + 1] {
                s -= lu[k] * x[pat.indices[k]];
            }
            x[i] = s / lu[tri.diag[i]];
        }
    }
}

/// Solves (I - dt J) x = p for x, starting from x = p, until the residual is below `tol` times
/// |p| (2-norms): restarted GMRES, right-preconditioned by ILU(1) of the matrix. J's values are
/// `ws.j` on pattern `pat`. Returns the number of Krylov iterations, or None when `max_iter` was
/// not enough.
pub fn implicit_euler(
    pat: &Csr,
    tri: &DiagSlots,
    dt: f64,
    p: &mut [f64],
    tol: f64,
    max_iter: usize,
    ws: &mut Workspace,
) -> Option<usize> {
    let n = pat.n;
    const M: usize = RESTART;
    for buf in [&mut ws.b, &mut ws.x, &mut ws.r, &mut ws.w, &mut ws.z] {
        resize(buf, n);
    }
    resize(&mut ws.v, (M + 1) * n);
    resize(&mut ws.h, (M + 1) * M);
    ws.a.clear();
    ws.a.extend(ws.j.iter().map(|v| -dt * v));
    for &k in &tri.a_diag {
        ws.a[k] += 1.0;
    }
    ws.factor(tri);
    let Workspace {
        a,
        lu,
        b,
        x,
        r,
        w,
        z,
        v,
        h,
        ..
    } = ws;
    b.copy_from_slice(p);
    let bnorm = dot(b, b).sqrt();
    if bnorm == 0.0 {
        return Some(0);
    }
    let target = tol * bnorm;
    x.copy_from_slice(p);
    let (mut cs, mut sn, mut g) = ([0.0; M], [0.0; M], [0.0; M + 1]);
    let hh = |i: usize, j: usize| i * M + j;
    let mut iters = 0;
    loop {
        pat.matvec(a, x, r);
        for (ri, bi) in r.iter_mut().zip(b.iter()) {
            *ri = bi - *ri;
        }
        let beta = dot(r, r).sqrt();
        if beta <= target {
            p.copy_from_slice(x);
            return Some(iters);
        }
        if iters >= max_iter {
            return None;
        }
        for (vk, rk) in v[..n].iter_mut().zip(r.iter()) {
            *vk = rk / beta;
        }
        g.iter_mut().for_each(|x| *x = 0.0);
        g[0] = beta;
        let mut k_used = 0;
        for j in 0..M {
            z.copy_from_slice(&v[j * n..(j + 1) * n]);
            Workspace::precondition(tri, lu, z);
            pat.matvec(a, z, w);
            for i in 0..=j {
                let vi = &v[i * n..(i + 1) * n];
                let hij = dot(w, vi);
                h[hh(i, j)] = hij;
                for (wk, vk) in w.iter_mut().zip(vi) {
                    *wk -= hij * vk;
                }
            }
            let hn = dot(w, w).sqrt();
            for i in 0..j {
                let (a0, a1) = (h[hh(i, j)], h[hh(i + 1, j)]);
                h[hh(i, j)] = cs[i] * a0 + sn[i] * a1;
                h[hh(i + 1, j)] = -sn[i] * a0 + cs[i] * a1;
            }
            let d = (h[hh(j, j)] * h[hh(j, j)] + hn * hn).sqrt();
            if d == 0.0 {
                break;
            }
            cs[j] = h[hh(j, j)] / d;
            sn[j] = hn / d;
            h[hh(j, j)] = d;
            g[j + 1] = -sn[j] * g[j];
            g[j] *= cs[j];
            iters += 1;
            k_used = j + 1;
            if hn == 0.0 || g[j + 1].abs() <= target * 0.5 || iters >= max_iter || j + 1 == M {
                break;
            }
            for (vk, wk) in v[(j + 1) * n..(j + 2) * n].iter_mut().zip(w.iter()) {
                *vk = wk / hn;
            }
        }
        // x += M^-1 V y
        let mut y = [0.0; M];
        for i in (0..k_used).rev() {
            let mut s = g[i];
            for k in i + 1..k_used {
                s -= h[hh(i, k)] * y[k];
            }
            y[i] = s / h[hh(i, i)];
        }
        z.iter_mut().for_each(|x| *x = 0.0);
        for (i, yi) in y[..k_used].iter().enumerate() {
            for (zk, vk) in z.iter_mut().zip(&v[i * n..(i + 1) * n]) {
                *zk += yi * vk;
            }
        }
        Workspace::precondition(tri, lu, z);
        for (xk, zk) in x.iter_mut().zip(z.iter()) {
            *xk += zk;
        }
    }
}

/// p <- exp(dt J) p: the step is cut into pieces of 1-norm at most 1/2 and the Taylor series of
/// each piece is summed until its terms no longer change the result.
pub fn exponential(pat: &Csr, jvals: &[f64], dt: f64, p: &mut [f64]) {
    let n = pat.n;
    let mut colsum = vec![0.0; n];
    for r in 0..n {
        for k in pat.indptr[r]..pat.indptr[r + 1] {
            colsum[pat.indices[k]] += jvals[k].abs();
        }
    }
    let norm = colsum.iter().fold(0.0f64, |m, v| m.max(*v)) * dt;
    let pieces = (norm / 0.5).ceil().max(1.0) as usize;
    let h = dt / pieces as f64;
    let mut term = vec![0.0; n];
    let mut next = vec![0.0; n];
    for _ in 0..pieces {
        term.copy_from_slice(p);
        let mass: f64 = p.iter().map(|x| x.abs()).sum();
        for k in 1..200 {
            pat.matvec(jvals, &term, &mut next);
            let c = h / k as f64;
            let mut size = 0.0;
            for i in 0..n {
                term[i] = next[i] * c;
                p[i] += term[i];
                size += term[i].abs();
            }
            // terms shrink factorially once k exceeds the piece's norm
            if size <= 1e-17 * mass {
                break;
            }
        }
    }
}

/// dipde's `approx` update: Taylor terms of exp(dt J) p added until a term's norm is below `tol`.
pub fn taylor_to_tol(
    pat: &Csr,
    jvals: &[f64],
    dt: f64,
    p: &mut [f64],
    tol: f64,
    norm: Norm,
    max_terms: usize,
) -> bool {
    let n = pat.n;
    let mut term = p.to_vec();
    let mut next = vec![0.0; n];
    for k in 1..=max_terms {
        pat.matvec(jvals, &term, &mut next);
        let c = dt / k as f64;
        for i in 0..n {
            term[i] = next[i] * c;
            p[i] += term[i];
        }
        if norm.of(&term) <= tol {
            return true;
        }
    }
    false
}

/// dipde's `approx` update with `approx_order`: the Taylor series cut after that many terms.
pub fn taylor_to_order(pat: &Csr, jvals: &[f64], dt: f64, p: &mut [f64], order: usize) {
    let n = pat.n;
    let mut term = p.to_vec();
    let mut next = vec![0.0; n];
    for k in 1..=order {
        pat.matvec(jvals, &term, &mut next);
        let c = dt / k as f64;
        for i in 0..n {
            term[i] = next[i] * c;
            p[i] += term[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two-state chain a <-> b with rates 3 (a->b) and 1 (b->a).
    fn chain() -> (Csr, Vec<f64>) {
        let pat = Csr::pattern(2, [(0, 0), (0, 1), (1, 0), (1, 1)]);
        let mut v = vec![0.0; 4];
        v[pat.slot(0, 0)] = -3.0;
        v[pat.slot(1, 0)] = 3.0;
        v[pat.slot(0, 1)] = 1.0;
        v[pat.slot(1, 1)] = -1.0;
        (pat, v)
    }

    #[test]
    fn exponential_matches_closed_form() {
        let (pat, v) = chain();
        let mut p = vec![1.0, 0.0];
        exponential(&pat, &v, 0.7, &mut p);
        let a = 0.25 + 0.75 * (-4.0f64 * 0.7).exp();
        assert!((p[0] - a).abs() < 1e-14 && (p[1] - (1.0 - a)).abs() < 1e-14);
    }

    #[test]
    fn implicit_euler_matches_closed_form() {
        let (pat, v) = chain();
        let mut p = vec![1.0, 0.0];
        let mut ws = Workspace {
            j: v.clone(),
            ..Default::default()
        };
        implicit_euler(&pat, &DiagSlots::of(&pat), 0.5, &mut p, 1e-14, 100, &mut ws).unwrap();
        // (I - dt J) x = p solved by hand
        let (a, b, c, d) = (1.0 + 1.5, -0.5, -1.5, 1.0 + 0.5);
        let det = a * d - b * c;
        assert!((p[0] - d / det).abs() < 1e-14 && (p[1] + c / det).abs() < 1e-14);
    }

    #[test]
    fn taylor_order_one_is_forward_euler() {
        let (pat, v) = chain();
        let mut p = vec![1.0, 0.0];
        taylor_to_order(&pat, &v, 0.1, &mut p, 1);
        assert!((p[0] - 0.7).abs() < 1e-15 && (p[1] - 0.3).abs() < 1e-15);
        let mut q = vec![1.0, 0.0];
        assert!(taylor_to_tol(&pat, &v, 0.1, &mut q, 1e-15, Norm::Inf, 100));
        let a = 0.25 + 0.75 * (-0.4f64).exp();
        assert!((q[0] - a).abs() < 1e-14);
    }
}
