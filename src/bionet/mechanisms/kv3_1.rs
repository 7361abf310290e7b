//! Kv3_1: fast delayed-rectifier potassium current (one gate, GLOBAL `vshift`), no temperature
//! dependence.

use super::hh::{gbar, global, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

pub struct Kv31;

const VSHIFT: usize = 1;

impl HhModel for Kv31 {
    const SUFFIX: &'static str = "Kv3_1";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5), global("vshift", 0.0)];

    fn qt(_celsius: f64) -> f64 {
        1.0
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, p: &Globals, _qt: f64) -> Rates {
        let vshift = p[VSHIFT];
        Rates {
            inf: [1.0 / (1.0 + exp((v - (18.7 + vshift)) / -9.7)), 0.0, 0.0],
            rate: [
                (1.0 + exp((v - (-46.56 + vshift)) / -44.14)) / (0.2 * 20.0),
                1.0,
                1.0,
            ],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<Kv31>::boxed(node)
}
