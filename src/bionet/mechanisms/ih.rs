//! Ih: hyperpolarization-activated cation current (one gate, nonspecific current `ihcn` reversing
//! at the GLOBAL `ehcn`), no temperature dependence.

use super::hh::{gbar, global, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, vtrap, Mechanism, ParamSpec};

pub struct IhModel;

impl HhModel for IhModel {
    const SUFFIX: &'static str = "Ih";
    const ION: Ion = Ion::NonSpecific(1);
    const STATES: &'static [&'static str] = &["m"];
    const CURRENT: &'static str = "ihcn";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5), global("ehcn", -45.0)];

    fn qt(_celsius: f64) -> f64 {
        1.0
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, _qt: f64) -> Rates {
        let a = 0.001 * 6.43 * vtrap(v + 154.9, 11.9);
        let b = 0.001 * 193.0 * exp(v / 33.1);
        Rates {
            inf: [a / (a + b), 0.0, 0.0],
            rate: [a + b, 1.0, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<IhModel>::boxed(node)
}
