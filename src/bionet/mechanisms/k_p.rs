//! K_P: persistent potassium current, gates m^2 h, GLOBAL `vshift` and `tauF`, Q10 2.3 from 21 degC.

use super::hh::{gbar, global, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

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

    #[inline(always)]
    fn rates(v: f64, _cai: f64, p: &Globals, qt: f64) -> Rates {
        let vshift = p[VSHIFT];
        let tauf = p[TAUF];
        let m_inf = 1.0 / (1.0 + exp(-(v - (-14.3 + vshift)) / 14.6));
        let m_rate = if v < -50.0 + vshift {
            qt / (tauf * (1.25 + 175.03 * exp(-(v - vshift) * -0.026)))
        } else {
            qt / (tauf * (1.25 + 13.0 * exp(-(v - vshift) * 0.026)))
        };
        let h_inf = 1.0 / (1.0 + exp(-(v - (-54.0 + vshift)) / -11.0));
        let x = (v - (-75.0 + vshift)) / 48.0;
        let h_rate = qt / (360.0 + (1010.0 + 24.0 * (v - (-55.0 + vshift))) * exp(-(x * x)));
        Rates {
            inf: [m_inf, h_inf, 0.0],
            rate: [m_rate, h_rate, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0] * s[0] * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<KP>::boxed(node)
}
