//! Im_v2: muscarinic potassium current, second parameterization (one gate, 15 ms minimum time
//! constant), Q10 2.3 from 30 degC.

use super::hh::{gbar, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

pub struct ImV2;

impl HhModel for ImV2 {
    const SUFFIX: &'static str = "Im_v2";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 30.0)
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, qt: f64) -> Rates {
        let a = 0.007 * exp((6.0 * 0.4 * (v + 48.0)) / 26.12);
        let b = 0.007 * exp((-6.0 * (1.0 - 0.4) * (v + 48.0)) / 26.12);
        Rates {
            inf: [a / (a + b), 0.0, 0.0],
            rate: [qt / (15.0 + 1.0 / (a + b)), 1.0, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<ImV2>::boxed(node)
}
