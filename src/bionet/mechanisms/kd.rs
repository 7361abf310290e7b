//! Kd: delayed-rectifier-like potassium current, gates m h with fixed time constants (1 ms and
//! 1500 ms; the modfile computes a Q10 factor but never applies it).

use super::hh::{gbar, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, Mechanism, ParamSpec};

pub struct KdModel;

impl HhModel for KdModel {
    const SUFFIX: &'static str = "Kd";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m", "h"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];

    fn qt(_celsius: f64) -> f64 {
        1.0
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, _qt: f64) -> Rates {
        Rates {
            inf: [
                1.0 - 1.0 / (1.0 + exp((v + 43.0) / 8.0)),
                1.0 / (1.0 + exp((v + 67.0) / 7.3)),
                0.0,
            ],
            rate: [1.0, 1.0 / 1500.0, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0] * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<KdModel>::boxed(node)
}
