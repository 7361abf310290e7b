//! Ca_HVA: high-voltage-activated calcium current (gates m^2 h, no temperature dependence).

use super::hh::{gbar, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, vtrap, Mechanism, ParamSpec};

pub struct CaHva;

impl HhModel for CaHva {
    const SUFFIX: &'static str = "Ca_HVA";
    const ION: Ion = Ion::Ca;
    const STATES: &'static [&'static str] = &["m", "h"];
    const CURRENT: &'static str = "ica";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];

    fn qt(_celsius: f64) -> f64 {
        1.0
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, _qt: f64) -> Rates {
        let ma = 0.055 * vtrap(-27.0 - v, 3.8);
        let mb = 0.94 * exp((-75.0 - v) / 17.0);
        let ha = 0.000457 * exp((-13.0 - v) / 50.0);
        let hb = 0.0065 / (exp((-v - 15.0) / 28.0) + 1.0);
        Rates {
            inf: [ma / (ma + mb), ha / (ha + hb), 0.0],
            rate: [ma + mb, ha + hb, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0] * s[0] * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<CaHva>::boxed(node)
}
