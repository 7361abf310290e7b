//! Ca_LVA: low-voltage-activated (T-type) calcium current, gates m^2 h, rates shifted by +10 mV,
//! Q10 2.3 from 21 degC.

use super::hh::{gbar, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

pub struct CaLva;

impl HhModel for CaLva {
    const SUFFIX: &'static str = "Ca_LVA";
    const ION: Ion = Ion::Ca;
    const STATES: &'static [&'static str] = &["m", "h"];
    const CURRENT: &'static str = "ica";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 21.0)
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, qt: f64) -> Rates {
        let vs = v + 10.0;
        Rates {
            inf: [
                1.0 / (1.0 + exp((vs + 30.0) / -6.0)),
                1.0 / (1.0 + exp((vs + 80.0) / 6.4)),
                0.0,
            ],
            rate: [
                qt / (5.0 + 20.0 / (1.0 + exp((vs + 25.0) / 5.0))),
                qt / (20.0 + 50.0 / (1.0 + exp((vs + 40.0) / 7.0))),
                1.0,
            ],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0] * s[0] * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<CaLva>::boxed(node)
}
