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

/// The tridiagonal part of A = I - dt J, factored once per step; it carries the stiff leak, so
/// it is the preconditioner of the implicit solve.
struct Tridiag {
    lower: Vec<f64>,
    diag: Vec<f64>,
    upper: Vec<f64>,
}

impl Tridiag {
    fn of(pat: &Csr, a: &[f64]) -> Tridiag {
        let n = pat.n;
        let mut t = Tridiag {
            lower: vec![0.0; n],
            diag: vec![0.0; n],
            upper: vec![0.0; n],
        };
        for r in 0..n {
            let span = pat.indptr[r]..pat.indptr[r + 1];
            for (&c, &v) in pat.indices[span.clone()].iter().zip(&a[span]) {
                if c + 1 == r {
                    t.lower[r] = v;
                } else if c == r {
                    t.diag[r] = v;
                } else if c == r + 1 {
                    t.upper[r] = v;
                }
            }
        }
        // Forward elimination once (Thomas); A is a column diagonally dominant M-matrix, so no
        // pivoting is needed.
        for r in 1..n {
            let m = t.lower[r] / t.diag[r - 1];
            t.lower[r] = m;
            t.diag[r] -= m * t.upper[r - 1];
        }
        t
    }

    fn solve(&self, x: &mut [f64]) {
        let n = x.len();
        for r in 1..n {
            x[r] -= self.lower[r] * x[r - 1];
        }
        x[n - 1] /= self.diag[n - 1];
        for r in (0..n - 1).rev() {
            x[r] = (x[r] - self.upper[r] * x[r + 1]) / self.diag[r];
        }
    }
}

/// Solves (I - dt J) x = p for x, starting from x = p, until the residual is below `tol` times
/// |p| (2-norms): restarted GMRES, right-preconditioned by the tridiagonal part.
/// Returns the number of Krylov iterations, or None when `max_iter` was not enough.
pub fn implicit_euler(
    pat: &Csr,
    jvals: &[f64],
    dt: f64,
    p: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> Option<usize> {
    let n = pat.n;
    let mut a: Vec<f64> = jvals.iter().map(|v| -dt * v).collect();
    for r in 0..n {
        let k = pat.slot(r, r);
        a[k] += 1.0;
    }
    let pre = Tridiag::of(pat, &a);
    let b = p.to_vec();
    let bnorm = dot(&b, &b).sqrt();
    if bnorm == 0.0 {
        return Some(0);
    }
    let target = tol * bnorm;
    const M: usize = 40;
    let mut x = b.clone();
    let mut r = vec![0.0; n];
    let mut w = vec![0.0; n];
    let mut z = vec![0.0; n];
    let mut v: Vec<Vec<f64>> = Vec::with_capacity(M + 1);
    let mut h = vec![vec![0.0; M]; M + 1];
    let (mut cs, mut sn, mut g) = (vec![0.0; M], vec![0.0; M], vec![0.0; M + 1]);
    let mut iters = 0;
    loop {
        pat.matvec(&a, &x, &mut r);
        for i in 0..n {
            r[i] = b[i] - r[i];
        }
        let beta = dot(&r, &r).sqrt();
        if beta <= target {
            p.copy_from_slice(&x);
            return Some(iters);
        }
        if iters >= max_iter {
            return None;
        }
        v.clear();
        v.push(r.iter().map(|x| x / beta).collect());
        g.iter_mut().for_each(|x| *x = 0.0);
        g[0] = beta;
        let mut k_used = 0;
        for j in 0..M {
            z.copy_from_slice(&v[j]);
            pre.solve(&mut z);
            pat.matvec(&a, &z, &mut w);
            for i in 0..=j {
                let hij = dot(&w, &v[i]);
                h[i][j] = hij;
                for (wk, vk) in w.iter_mut().zip(&v[i]) {
                    *wk -= hij * vk;
                }
            }
            let hn = dot(&w, &w).sqrt();
            h[j + 1][j] = hn;
            for i in 0..j {
                let t = cs[i] * h[i][j] + sn[i] * h[i + 1][j];
                h[i + 1][j] = -sn[i] * h[i][j] + cs[i] * h[i + 1][j];
                h[i][j] = t;
            }
            let d = (h[j][j] * h[j][j] + hn * hn).sqrt();
            if d == 0.0 {
                break;
            }
            cs[j] = h[j][j] / d;
            sn[j] = hn / d;
            h[j][j] = d;
            h[j + 1][j] = 0.0;
            g[j + 1] = -sn[j] * g[j];
            g[j] *= cs[j];
            iters += 1;
            k_used = j + 1;
            if hn == 0.0 || g[j + 1].abs() <= target * 0.5 || iters >= max_iter {
                break;
            }
            v.push(w.iter().map(|x| x / hn).collect());
        }
        // x += M^-1 V y
        let mut y = vec![0.0; k_used];
        for i in (0..k_used).rev() {
            let mut s = g[i];
            for k in i + 1..k_used {
                s -= h[i][k] * y[k];
            }
            y[i] = s / h[i][i];
        }
        z.iter_mut().for_each(|x| *x = 0.0);
        for (yi, vi) in y.iter().zip(&v) {
            for (zk, vk) in z.iter_mut().zip(vi) {
                *zk += yi * vk;
            }
        }
        pre.solve(&mut z);
        for (xk, zk) in x.iter_mut().zip(&z) {
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
        implicit_euler(&pat, &v, 0.5, &mut p, 1e-14, 100).unwrap();
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
