//! K_P: persistent potassium current, gates m^2 h, GLOBAL `vshift` and `tauF`, Q10 2.3 from 21 degC.

use super::hh::{gbar, global, q10_23, Hh, HhModel, Ion, Rates};
use super::{Mechanism, ParamSpec, ParamTable};

pub struct KP;

const VSHIFT: usize = 1;
const TAUF: usize = 2;

impl HhModel for KP {
    const SUFFIX: &'static str = "K_P";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m", "h"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5), global("vshift", 0.0), global("tauF", 1.0)];

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 21.0)
    }

    #[inline]
    fn rates(v: f64, _cai: f64, p: &ParamTable, qt: f64) -> Rates {
        let vshift = p.global(VSHIFT);
        let tauf = p.global(TAUF);
        let m_inf = 1.0 / (1.0 + (-(v - (-14.3 + vshift)) / 14.6).exp());
        let m_tau = if v < -50.0 + vshift {
            tauf * (1.25 + 175.03 * (-(v - vshift) * -0.026).exp()) / qt
        } else {
            tauf * (1.25 + 13.0 * (-(v - vshift) * 0.026).exp()) / qt
        };
        let h_inf = 1.0 / (1.0 + (-(v - (-54.0 + vshift)) / -11.0).exp());
        let x = (v - (-75.0 + vshift)) / 48.0;
        let h_tau = (360.0 + (1010.0 + 24.0 * (v - (-55.0 + vshift))) * (-(x * x)).exp()) / qt;
        Rates {
            inf: [m_inf, h_inf, 0.0],
            tau: [m_tau, h_tau, 1.0],
        }
    }

    #[inline]
    fn open(s: [f64; 3], _v: f64, _p: &ParamTable) -> f64 {
        s[0] * s[0] * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<KP>::boxed(node)
}
