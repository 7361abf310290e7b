//! The adaptive Runge-Kutta-Fehlberg 4(5) integration NEST uses for its conductance-based and
//! adaptive models: GSL's `rkf45` stepper (fifth-order solution, embedded fourth-order error
//! estimate), GSL's standard step-size control and its `evolve_apply` driver, which takes one
//! accepted step from `t` towards `t1` and suggests the next step size.
//!
//! Written from GSL's documented algorithm with the same Butcher tableau, the same order of
//! floating-point operations and the same step rules (safety factor 0.9, at most five-fold
//! shrinking or growth, shrink when the scaled error exceeds 1.1, grow below 0.5, the last step
//! clipped so that it never passes `t1`), so that a model integrated here follows the same
//! sequence of steps as in NEST and lands on the same numbers.

const AH: [f64; 5] = [1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0];
const B3: [f64; 2] = [3.0 / 32.0, 9.0 / 32.0];
const B4: [f64; 3] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0];
const B5: [f64; 4] = [
    8341.0 / 4104.0,
    -32832.0 / 4104.0,
    29440.0 / 4104.0,
    -845.0 / 4104.0,
];
const B6: [f64; 5] = [
    -6080.0 / 20520.0,
    41040.0 / 20520.0,
    -28352.0 / 20520.0,
    9295.0 / 20520.0,
    -5643.0 / 20520.0,
];
// fifth-order weights, written over GSL's common denominator (the rounding differs from 16/135 ...)
const C1: f64 = 902880.0 / 7618050.0;
const C3: f64 = 3953664.0 / 7618050.0;
const C4: f64 = 3855735.0 / 7618050.0;
const C5: f64 = -1371249.0 / 7618050.0;
const C6: f64 = 277020.0 / 7618050.0;
// fifth- minus fourth-order weights: the error estimate
const E1: f64 = 1.0 / 360.0;
const E3: f64 = -128.0 / 4275.0;
const E4: f64 = -2197.0 / 75240.0;
const E5: f64 = 1.0 / 50.0;
const E6: f64 = 2.0 / 55.0;
const ORDER: f64 = 5.0;

/// Error tolerance per component: `eps_abs + eps_rel * (a_y |y| + a_dydt |h y'|)`.
#[derive(Clone, Copy, Debug)]
pub struct Control {
    eps_abs: f64,
    eps_rel: f64,
    a_y: f64,
    a_dydt: f64,
}

#[derive(PartialEq)]
enum Adjust {
    Decrease,
    Keep,
}

impl Control {
    /// Tolerance on the values (GSL's `control_y_new`).
    pub fn on_values(eps_abs: f64, eps_rel: f64) -> Self {
        Control {
            eps_abs,
            eps_rel,
            a_y: 1.0,
            a_dydt: 0.0,
        }
    }

    /// Tolerance on the derivatives (GSL's `control_yp_new`).
    pub fn on_derivatives(eps_abs: f64, eps_rel: f64) -> Self {
        Control {
            eps_abs,
            eps_rel,
            a_y: 0.0,
            a_dydt: 1.0,
        }
    }

    /// The next step size from this step's error estimate; `Decrease` means the step is rejected.
    fn adjust(&self, y: &[f64], yerr: &[f64], dydt: &[f64], h: &mut f64) -> Adjust {
        let h_old = *h;
        let mut rmax = f64::MIN_POSITIVE;
        for i in 0..y.len() {
            let d0 = self.eps_rel * (self.a_y * y[i].abs() + self.a_dydt * (h_old * dydt[i]).abs())
                + self.eps_abs;
            let r = yerr[i].abs() / d0.abs();
            // as a C max: a NaN ratio never replaces the maximum
            if r > rmax {
                rmax = r;
            }
        }
        if rmax > 1.1 {
            let r = (0.9 / rmax.powf(1.0 / ORDER)).max(0.2);
            *h = r * h_old;
            Adjust::Decrease
        } else if rmax < 0.5 {
            let r = (0.9 / rmax.powf(1.0 / (ORDER + 1.0))).clamp(1.0, 5.0);
            *h = r * h_old;
            Adjust::Keep
        } else {
            Adjust::Keep
        }
    }
}

/// The stepper's workspace and the step size carried from one call to the next (NEST keeps it
/// per neuron across time steps: `IntegrationStep_`).
#[derive(Clone, Debug)]
pub struct Rkf45 {
    control: Control,
    /// step size to try next (ms)
    pub h: f64,
    work: Vec<f64>,
    dim: usize,
}

// the workspace holds, `dim` values each: k1..k6, ytmp, yerr, dydt_out, y at the step's start
const YERR: usize = 7;
const DYDT_OUT: usize = 8;
const Y_START: usize = 9;
const N_WORK: usize = 10;

impl Rkf45 {
    pub fn new(dim: usize, control: Control, h: f64) -> Self {
        Rkf45 {
            control,
            h,
            work: vec![0.0; dim * N_WORK],
            dim,
        }
    }

    /// One accepted step from `*t` towards `t1` (never past it), retrying with smaller steps
    /// while the error is too large; advances `*t` and leaves the next step size in `self.h`.
    /// `f(y, dydt)` is the (autonomous) right-hand side.
    pub fn evolve<F: FnMut(&[f64], &mut [f64])>(
        &mut self,
        f: &mut F,
        t: &mut f64,
        t1: f64,
        y: &mut [f64],
    ) {
        let n = self.dim;
        let t0 = *t;
        let dt = t1 - t0;
        let mut h0 = self.h;
        let (k1, rest) = self.work.split_at_mut(n);
        let y_start = &mut rest[(Y_START - 1) * n..Y_START * n];
        y_start.copy_from_slice(y);
        // the derivative at the start serves every retry
        f(y, k1);
        loop {
            let final_step = h0 >= dt;
            if final_step {
                h0 = dt;
                // t0 + (t1 - t0) may round past t1: back off until it cannot
                while t0 + h0 > t1 {
                    h0 = f64::from_bits(h0.to_bits() - 1);
                }
            }
            self.step(f, h0, y);
            *t = if final_step { t1 } else { t0 + h0 };
            let h_old = h0;
            let (y_err, dydt_out) = {
                let w = &self.work;
                (
                    &w[YERR * n..(YERR + 1) * n],
                    &w[DYDT_OUT * n..(DYDT_OUT + 1) * n],
                )
            };
            if self.control.adjust(y, y_err, dydt_out, &mut h0) == Adjust::Decrease {
                // retry only if the step really shrank and still moves time
                if h0.abs() < h_old.abs() && *t + h0 != *t {
                    y.copy_from_slice(&self.work[Y_START * n..(Y_START + 1) * n]);
                    continue;
                }
                h0 = h_old;
            }
            break;
        }
        self.h = h0;
    }

    /// One RKF45 step of size `h` from `y` (k1 already holds y'); fills the error estimate and
    /// the derivative at the end.
    fn step<F: FnMut(&[f64], &mut [f64])>(&mut self, f: &mut F, h: f64, y: &mut [f64]) {
        let n = self.dim;
        let mut parts = self.work.chunks_exact_mut(n);
        let mut next = || parts.next().expect("workspace holds every stage");
        let (k1, k2, k3, k4, k5, k6) = (next(), next(), next(), next(), next(), next());
        let (ytmp, yerr, dydt_out) = (next(), next(), next());

        for i in 0..n {
            ytmp[i] = y[i] + AH[0] * h * k1[i];
        }
        f(ytmp, k2);
        for i in 0..n {
            ytmp[i] = y[i] + h * (B3[0] * k1[i] + B3[1] * k2[i]);
        }
        f(ytmp, k3);
        for i in 0..n {
            ytmp[i] = y[i] + h * (B4[0] * k1[i] + B4[1] * k2[i] + B4[2] * k3[i]);
        }
        f(ytmp, k4);
        for i in 0..n {
            ytmp[i] = y[i] + h * (B5[0] * k1[i] + B5[1] * k2[i] + B5[2] * k3[i] + B5[3] * k4[i]);
        }
        f(ytmp, k5);
        for i in 0..n {
            ytmp[i] = y[i]
                + h * (B6[0] * k1[i]
                    + B6[1] * k2[i]
                    + B6[2] * k3[i]
                    + B6[3] * k4[i]
                    + B6[4] * k5[i]);
        }
        f(ytmp, k6);
        for i in 0..n {
            let d = C1 * k1[i] + C3 * k3[i] + C4 * k4[i] + C5 * k5[i] + C6 * k6[i];
            y[i] += h * d;
        }
        f(y, dydt_out);
        for i in 0..n {
            yerr[i] = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exponential decay integrated over many grid steps, as NEST drives it: close to the exact
    /// solution, and the step size grows from its start value.
    #[test]
    fn decay_is_accurate_and_steps_grow() {
        let mut s = Rkf45::new(1, Control::on_values(1e-3, 0.0), 0.1);
        let mut y = [1.0];
        let mut f = |y: &[f64], d: &mut [f64]| d[0] = -y[0] / 5.0;
        for _ in 0..100 {
            let mut t = 0.0;
            while t < 0.1 {
                s.evolve(&mut f, &mut t, 0.1, &mut y);
            }
        }
        assert!((y[0] - (-10.0f64 / 5.0).exp()).abs() < 1e-6, "{}", y[0]);
        assert!(s.h >= 0.1);
    }

    /// A stiff start forces rejected steps: the step shrinks and the result stays accurate.
    #[test]
    fn rejects_and_shrinks() {
        let mut s = Rkf45::new(2, Control::on_derivatives(1e-6, 1e-6), 0.5);
        let mut y = [1.0, 0.0];
        let mut f = |y: &[f64], d: &mut [f64]| {
            d[0] = -50.0 * y[0];
            d[1] = y[0];
        };
        let mut t = 0.0;
        s.evolve(&mut f, &mut t, 0.5, &mut y);
        assert!(t < 0.5 && s.h < 0.5);
        while t < 0.5 {
            s.evolve(&mut f, &mut t, 0.5, &mut y);
        }
        assert!((y[0] - (-25.0f64).exp()).abs() < 1e-6);
        assert!((y[1] - (1.0 - (-25.0f64).exp()) / 50.0).abs() < 1e-6);
    }
}
