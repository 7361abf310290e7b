//! Kv3_1: fast delayed-rectifier potassium current (one gate, GLOBAL `vshift`), no temperature
//! dependence.

use super::hh::{gbar, global, Hh, HhModel, Ion, Rates};
use super::{Mechanism, ParamSpec, ParamTable};

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

    #[inline]
    fn rates(v: f64, _cai: f64, p: &ParamTable, _qt: f64) -> Rates {
        let vshift = p.global(VSHIFT);
        Rates {
            inf: [1.0 / (1.0 + ((v - (18.7 + vshift)) / -9.7).exp()), 0.0, 0.0],
            tau: [
                0.2 * 20.0 / (1.0 + ((v - (-46.56 + vshift)) / -44.14).exp()),
                1.0,
                1.0,
            ],
        }
    }

    #[inline]
    fn open(s: [f64; 3], _v: f64, _p: &ParamTable) -> f64 {
        s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<Kv31>::boxed(node)
}
