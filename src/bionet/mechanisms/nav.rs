//! NaV: the mouse sodium channel as a 12-state Markov scheme. Closed states C1..C5 lead to the
//! open state O; each has an inactivated partner I1..I5, I6 (the partner of O). Activation rates
//! grow as exp(v/x1), deactivation as exp(v/x2); inactivated states move with factors alfac/btfac.
//! Q10 2.3 from 37 degC. The conductance is gbar * O.
//!
//! States advance as NEURON's `sparse` method does for a linear scheme: one implicit (backward
//! Euler) step, `(I - dt A) x_new = x_old`, which conserves the total occupancy. Ordering the states
//! as pairs (C_j, I_j), j = 1..6 with C6 = O, the matrix is block tridiagonal with 2x2 blocks and
//! diagonal off-diagonal blocks, solved directly.
//!
//! Initialization reproduces the modfile's LINEAR block exactly, including its one coefficient that
//! differs from the kinetic scheme (the I4 -> I3 term of the I3 balance uses the I3 -> C3 rate), so
//! the initial occupancies are those NEURON computes, not the exact steady state.

use super::{exp, Currents, Env, Ions, Mechanism, ParamKind, ParamSpec, ParamTable};
use crate::error::Result;

const GBAR: usize = 0;
const CON: usize = 1;
const COFF: usize = 2;
const OON: usize = 3;
const OOFF: usize = 4;
const ALPHA: usize = 5;
const BETA: usize = 6;
const GAMMA: usize = 7;
const DELTA: usize = 8;
const ALFAC: usize = 9;
const BTFAC: usize = 10;
const X1: usize = 11;
const X2: usize = 12;

const fn glob(name: &'static str, default: f64) -> ParamSpec {
    ParamSpec {
        name,
        default,
        kind: ParamKind::Global,
    }
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "gbar",
        default: 0.015,
        kind: ParamKind::Range,
    },
    glob("Con", 0.01),
    glob("Coff", 40.0),
    glob("Oon", 8.0),
    glob("Ooff", 0.05),
    glob("alpha", 400.0),
    glob("beta", 12.0),
    glob("gamma", 250.0),
    glob("delta", 60.0),
    glob("alfac", 2.51),
    glob("btfac", 5.32),
    glob("x1", 24.0),
    glob("x2", -24.0),
];

/// State names in storage order: pair j is (C_j, I_j) at indices (2j, 2j+1), C6 being O.
const STATES: [&str; 12] = [
    "C1", "I1", "C2", "I2", "C3", "I3", "C4", "I4", "C5", "I5", "O", "I6",
];

/// Transition rates (1/ms) at one voltage.
#[derive(Clone, Copy, Default)]
struct Rates {
    /// C_j -> I_j (j = 0..5; last is O -> I6) and back.
    ci: [f64; 6],
    ic: [f64; 6],
    /// C_j -> C_{j+1} and back (j = 0..4; last is C5 <-> O).
    fc: [f64; 5],
    bc: [f64; 5],
    /// I_j -> I_{j+1} and back.
    fi: [f64; 5],
    bi: [f64; 5],
}

/// Voltage-independent parts of the rates, fixed per temperature and parameter set.
#[derive(Clone, Copy, Default)]
struct Fixed {
    ci: [f64; 6],
    ic: [f64; 6],
    /// Multipliers of exp(v/x1) (C and I rows), of exp(v/x2), and the C5 <-> O, I5 <-> I6 rates.
    fa: [f64; 4],
    fai: [f64; 4],
    fb: [f64; 4],
    fbi: [f64; 4],
    open: f64,
    close: f64,
    inv_x1: f64,
    inv_x2: f64,
}

impl Fixed {
    fn new(p: &ParamTable, celsius: f64) -> Self {
        let qt = 2.3f64.powf((celsius - 37.0) / 10.0);
        let g = |i| p.global(i);
        let (alfac, btfac) = (g(ALFAC), g(BTFAC));
        let mut f = Fixed {
            open: qt * g(GAMMA),
            close: qt * g(DELTA),
            inv_x1: 1.0 / g(X1),
            inv_x2: 1.0 / g(X2),
            ..Default::default()
        };
        for j in 0..5 {
            f.ci[j] = qt * g(CON) * alfac.powi(j as i32);
            f.ic[j] = qt * g(COFF) / btfac.powi(j as i32);
        }
        f.ci[5] = qt * g(OON);
        f.ic[5] = qt * g(OOFF);
        for j in 0..4 {
            let up = (4 - j) as f64;
            let down = (j + 1) as f64;
            f.fa[j] = qt * up * g(ALPHA);
            f.fai[j] = qt * up * g(ALPHA) * alfac;
            f.fb[j] = qt * down * g(BETA);
            f.fbi[j] = qt * down * g(BETA) / btfac;
        }
        f
    }

    #[inline(always)]
    fn at(&self, v: f64) -> Rates {
        let ea = exp(v * self.inv_x1);
        let eb = exp(v * self.inv_x2);
        let mut r = Rates {
            ci: self.ci,
            ic: self.ic,
            ..Default::default()
        };
        for j in 0..4 {
            r.fc[j] = self.fa[j] * ea;
            r.fi[j] = self.fai[j] * ea;
            r.bc[j] = self.fb[j] * eb;
            r.bi[j] = self.fbi[j] * eb;
        }
        r.fc[4] = self.open;
        r.fi[4] = self.open;
        r.bc[4] = self.close;
        r.bi[4] = self.close;
        r
    }
}

/// The generator matrix A (dx/dt = A x) of the scheme in storage order.
fn generator(r: &Rates) -> [[f64; 12]; 12] {
    let mut a = [[0.0; 12]; 12];
    let mut link = |from: usize, to: usize, kf: f64, kb: f64| {
        a[from][from] -= kf;
        a[to][from] += kf;
        a[to][to] -= kb;
        a[from][to] += kb;
    };
    for j in 0..6 {
        link(2 * j, 2 * j + 1, r.ci[j], r.ic[j]);
    }
    for j in 0..5 {
        link(2 * j, 2 * j + 2, r.fc[j], r.bc[j]);
        link(2 * j + 1, 2 * j + 3, r.fi[j], r.bi[j]);
    }
    a
}

/// Solves `m x = b` by Gaussian elimination with partial pivoting (initialization only).
fn dense_solve(mut m: [[f64; 12]; 12], mut b: [f64; 12]) -> [f64; 12] {
    for c in 0..12 {
        let p = (c..12)
            .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
            .unwrap_or(c);
        m.swap(c, p);
        b.swap(c, p);
        let piv = m[c][c];
        for r in c + 1..12 {
            let f = m[r][c] / piv;
            if f != 0.0 {
                for k in c..12 {
                    m[r][k] -= f * m[c][k];
                }
                b[r] -= f * b[c];
            }
        }
    }
    let mut x = [0.0; 12];
    for c in (0..12).rev() {
        let mut s = b[c];
        for k in c + 1..12 {
            s -= m[c][k] * x[k];
        }
        x[c] = s / m[c][c];
    }
    x
}

/// Initial occupancies: the modfile's LINEAR block (balance of every state but I6, with its
/// coefficient for I4 in the I3 balance, and the total equal to one).
fn initial(r: &Rates) -> [f64; 12] {
    let mut m = generator(r);
    // The I3 balance (row of I3 = index 5) takes I4 (index 7) with the I3 -> C3 rate.
    m[5][7] = r.ic[2];
    m[11] = [1.0; 12];
    let mut b = [0.0; 12];
    b[11] = 1.0;
    dense_solve(m, b)
}

/// One backward-Euler step `(I - dt A) x_new = x` for the block-tridiagonal scheme, in place.
#[inline(always)]
fn implicit_step(r: &Rates, dt: f64, x: &mut [f64; 12]) {
    // Diagonal blocks [[a, b], [c, d]] of I - dt A for each pair, and the diagonal coupling blocks.
    let mut da = [0.0; 6];
    let mut db = [0.0; 6];
    let mut dc = [0.0; 6];
    let mut dd = [0.0; 6];
    for j in 0..6 {
        let mut out_c = r.ci[j];
        let mut out_i = r.ic[j];
        if j < 5 {
            out_c += r.fc[j];
            out_i += r.fi[j];
        }
        if j > 0 {
            out_c += r.bc[j - 1];
            out_i += r.bi[j - 1];
        }
        da[j] = 1.0 + dt * out_c;
        dd[j] = 1.0 + dt * out_i;
        db[j] = -dt * r.ic[j];
        dc[j] = -dt * r.ci[j];
    }
    // Lower block of row j (coupling to j-1): diag(-dt fc[j-1], -dt fi[j-1]);
    // upper block of row j (coupling to j+1): diag(-dt bc[j], -dt bi[j]).
    let mut rc = [0.0; 6];
    let mut ri = [0.0; 6];
    for j in 0..6 {
        rc[j] = x[2 * j];
        ri[j] = x[2 * j + 1];
    }
    for j in 1..6 {
        let (l1, l2) = (-dt * r.fc[j - 1], -dt * r.fi[j - 1]);
        let (u1, u2) = (-dt * r.bc[j - 1], -dt * r.bi[j - 1]);
        // W = L_j inv(D'_{j-1})
        let det = da[j - 1] * dd[j - 1] - db[j - 1] * dc[j - 1];
        let (ia, ib, ic, id) = (
            dd[j - 1] / det,
            -db[j - 1] / det,
            -dc[j - 1] / det,
            da[j - 1] / det,
        );
        let (w11, w12, w21, w22) = (l1 * ia, l1 * ib, l2 * ic, l2 * id);
        // D'_j = D_j - W U_{j-1}
        da[j] -= w11 * u1;
        db[j] -= w12 * u2;
        dc[j] -= w21 * u1;
        dd[j] -= w22 * u2;
        rc[j] -= w11 * rc[j - 1] + w12 * ri[j - 1];
        ri[j] -= w21 * rc[j - 1] + w22 * ri[j - 1];
    }
    let mut next = (0.0, 0.0);
    for j in (0..6).rev() {
        let (mut bc_, mut bi_) = (rc[j], ri[j]);
        if j < 5 {
            bc_ -= -dt * r.bc[j] * next.0;
            bi_ -= -dt * r.bi[j] * next.1;
        }
        let det = da[j] * dd[j] - db[j] * dc[j];
        let xc = (dd[j] * bc_ - db[j] * bi_) / det;
        let xi = (da[j] * bi_ - dc[j] * bc_) / det;
        x[2 * j] = xc;
        x[2 * j + 1] = xi;
        next = (xc, xi);
    }
}

pub struct NaV {
    node: Vec<u32>,
    p: ParamTable,
    s: [Vec<f64>; 12],
    g: Vec<f64>,
    i: Vec<f64>,
    fixed: Fixed,
    celsius: f64,
    /// Scratch: v at each instance's node.
    vloc: Vec<f64>,
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    let n = node.len();
    let p = ParamTable::new(PARAMS, n);
    Box::new(NaV {
        fixed: Fixed::new(&p, 6.3),
        p,
        s: std::array::from_fn(|_| vec![0.0; n]),
        g: vec![0.0; n],
        i: vec![0.0; n],
        vloc: vec![0.0; n],
        node,
        celsius: f64::NAN,
    })
}

impl Mechanism for NaV {
    fn suffix(&self) -> &'static str {
        "NaV"
    }

    fn nodes(&self) -> &[u32] {
        &self.node
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, values: &[f64]) -> Result<()> {
        self.p.set("NaV", name, values)?;
        self.celsius = f64::NAN;
        Ok(())
    }

    fn ions(&self) -> Vec<&'static str> {
        vec!["na"]
    }

    fn variable_names(&self) -> Vec<&'static str> {
        let mut out = STATES.to_vec();
        out.extend(["g", "ina", "gbar"]);
        out
    }

    fn variable(&self, name: &str) -> Option<&[f64]> {
        if let Some(j) = STATES.iter().position(|s| *s == name) {
            return Some(&self.s[j]);
        }
        match name {
            "g" => Some(&self.g),
            "ina" => Some(&self.i),
            "gbar" => Some(&self.p.values[GBAR]),
            _ => None,
        }
    }

    fn init(&mut self, env: &Env, v: &[f64], _ions: &mut Ions) {
        self.fixed = Fixed::new(&self.p, env.celsius);
        self.celsius = env.celsius;
        for k in 0..self.node.len() {
            let x = initial(&self.fixed.at(v[self.node[k] as usize]));
            for (j, xj) in x.iter().enumerate() {
                self.s[j][k] = *xj;
            }
        }
    }

    fn current(&mut self, _env: &Env, v: &[f64], ions: &mut Ions, out: &mut Currents) {
        let gbar = &self.p.values[GBAR];
        let open = &self.s[10];
        for k in 0..self.node.len() {
            let n = self.node[k] as usize;
            let g = gbar[k] * open[k];
            let i = g * (v[n] - ions.ena[n]);
            self.g[k] = g;
            self.i[k] = i;
            out.i[n] += i;
            out.g[n] += g;
            ions.ina[n] += i;
        }
    }

    fn advance_states(&mut self, env: &Env, v: &[f64], _ions: &mut Ions) {
        if env.celsius != self.celsius {
            self.fixed = Fixed::new(&self.p, env.celsius);
            self.celsius = env.celsius;
        }
        let n = self.node.len();
        for k in 0..n {
            self.vloc[k] = v[self.node[k] as usize];
        }
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.step_avx2(env.dt) };
            return;
        }
        self.step_body(env.dt);
    }
}

impl NaV {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn step_avx2(&mut self, dt: f64) {
        self.step_body(dt)
    }

    /// One implicit step of every instance at vloc, branch-free so it vectorizes over instances.
    #[inline(always)]
    fn step_body(&mut self, dt: f64) {
        let n = self.node.len();
        let fixed = self.fixed;
        let vloc = &self.vloc[..n];
        let s = self.s.each_mut().map(|x| &mut x[..n]);
        for k in 0..n {
            let r = fixed.at(vloc[k]);
            let mut x: [f64; 12] = std::array::from_fn(|j| s[j][k]);
            implicit_step(&r, dt, &mut x);
            for (j, xj) in x.iter().enumerate() {
                s[j][k] = *xj;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_solve_matches_dense_and_conserves() {
        let p = ParamTable::new(PARAMS, 1);
        let f = Fixed::new(&p, 34.0);
        for v in [-80.0, -40.0, 0.0, 30.0] {
            let r = f.at(v);
            let x0: [f64; 12] = std::array::from_fn(|j| (j as f64 + 1.0) / 78.0);
            let mut x = x0;
            implicit_step(&r, 0.025, &mut x);
            let a = generator(&r);
            let mut m = [[0.0; 12]; 12];
            for i in 0..12 {
                for j in 0..12 {
                    m[i][j] = if i == j { 1.0 } else { 0.0 } - 0.025 * a[i][j];
                }
            }
            let y = dense_solve(m, x0);
            for j in 0..12 {
                assert!(
                    (x[j] - y[j]).abs() < 1e-12,
                    "v {v} state {j}: {} vs {}",
                    x[j],
                    y[j]
                );
            }
            assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let s = initial(&r);
            assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
