//! Exact propagators of the linear subthreshold dynamics: how a synaptic current (exponential,
//! or alpha-shaped through its derivative) moves the membrane over one step `h`. The regular
//! formulas lose precision when tau_m is close to tau_syn; there the limit tau_m == tau_syn is used,
//! with the same switch-over criterion as NEST so that both give the same numbers.

const STABILITY: f64 = 1e-7;

struct Prop {
    tau_syn: f64,
    tau_m: f64,
    c_m: f64,
    beta: f64,
    gamma: f64,
    inv_beta: f64,
    h_min_regular: f64,
}

impl Prop {
    fn new(tau_syn: f64, tau_m: f64, c_m: f64) -> Self {
        let beta = tau_syn * tau_m / (tau_m - tau_syn);
        Prop {
            tau_syn,
            tau_m,
            c_m,
            beta,
            gamma: beta / c_m,
            inv_beta: (tau_m - tau_syn) / (tau_syn * tau_m),
            h_min_regular: STABILITY * tau_m * tau_m / (tau_m - tau_syn).abs(),
        }
    }

    /// Current -> voltage over `h` (and the two exponentials it used).
    fn p32(&self, h: f64) -> (f64, f64, f64) {
        let e_syn = (-h / self.tau_syn).exp();
        let em1 = (h * self.inv_beta).exp_m1();
        let p32 = self.gamma * e_syn * em1;
        if p32.is_normal() && p32 > 0.0 {
            (p32, e_syn, em1)
        } else {
            (h / self.c_m * (-h / self.tau_m).exp(), e_syn, em1)
        }
    }
}

/// P21 of an exponential synaptic current: its effect on V over one step.
pub fn exp_current(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> f64 {
    Prop::new(tau_syn, tau_m, c_m).p32(h).0
}

/// (P31, P32) of an alpha-shaped current: the effect on V of its derivative and of its value.
pub fn alpha_current(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> (f64, f64) {
    let p = Prop::new(tau_syn, tau_m, c_m);
    let (p32, e_syn, em1) = p.p32(h);
    if h > p.h_min_regular {
        (p.gamma * e_syn * (p.beta * em1 - h), p32)
    } else {
        (0.5 * h * h / c_m * (-h / tau_m).exp(), p32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Propagators against direct quadrature of the convolution integrals.
    #[test]
    fn match_quadrature() {
        let (ts, tm, c, h) = (2.0, 10.0, 250.0, 0.1);
        let n = 20000;
        let (mut i_exp, mut i_alpha, mut i_dalpha) = (0.0, 0.0, 0.0);
        for k in 0..n {
            let s = (k as f64 + 0.5) * h / n as f64;
            let w = (-(h - s) / tm).exp() / c * h / n as f64;
            i_exp += w * (-s / ts).exp();
            i_alpha += w * (-s / ts).exp();
            i_dalpha += w * s * (-s / ts).exp();
        }
        assert!((exp_current(ts, tm, c, h) - i_exp).abs() < 1e-12);
        let (p31, p32) = alpha_current(ts, tm, c, h);
        assert!((p32 - i_alpha).abs() < 1e-12);
        assert!((p31 - i_dalpha).abs() < 1e-12);
        // the singular case is the limit of the regular one
        let (a, b) = alpha_current(10.0, 10.0, c, h);
        let (a2, b2) = alpha_current(10.0 + 1e-6, 10.0, c, h);
        assert!((a - a2).abs() < 1e-12 && (b - b2).abs() < 1e-12);
    }
}
