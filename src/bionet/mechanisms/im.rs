//! Im: muscarinic potassium current (one gate), Q10 2.3 from 21 degC.

use super::hh::{gbar, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

pub struct ImModel;

impl HhModel for ImModel {
    const SUFFIX: &'static str = "Im";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 21.0)
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, qt: f64) -> Rates {
        let x = 2.5 * 0.04 * (v + 35.0);
        let a = 3.3e-3 * exp(x);
        let b = 3.3e-3 * exp(-x);
        Rates {
            inf: [a / (a + b), 0.0, 0.0],
            rate: [(a + b) * qt, 1.0, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<ImModel>::boxed(node)
}
