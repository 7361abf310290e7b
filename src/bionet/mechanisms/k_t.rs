//! K_T: transient potassium current, gates m^4 h, GLOBAL `vshift`, `mTauF`, `hTauF`, Q10 2.3 from
//! 21 degC.

use super::hh::{gbar, global, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

pub struct KT;

const VSHIFT: usize = 1;
const MTAUF: usize = 2;
const HTAUF: usize = 3;

impl HhModel for KT {
    const SUFFIX: &'static str = "K_T";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m", "h"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[
        gbar(1e-5),
        global("vshift", 0.0),
        global("mTauF", 1.0),
        global("hTauF", 1.0),
    ];

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 21.0)
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, p: &Globals, qt: f64) -> Rates {
        let vshift = p[VSHIFT];
        let xm = (v + 71.0 - vshift) / 59.0;
        let xh = (v + 73.0 - vshift) / 23.0;
        Rates {
            inf: [
                1.0 / (1.0 + exp(-(v - (-47.0 + vshift)) / 29.0)),
                1.0 / (1.0 + exp(-(v + 66.0 - vshift) / -10.0)),
                0.0,
            ],
            rate: [
                qt / (0.34 + p[MTAUF] * 0.92 * exp(-(xm * xm))),
                qt / (8.0 + p[HTAUF] * 49.0 * exp(-(xh * xh))),
                1.0,
            ],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        let m2 = s[0] * s[0];
        m2 * m2 * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<KT>::boxed(node)
}
