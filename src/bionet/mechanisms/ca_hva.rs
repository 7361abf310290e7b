//! Ca_HVA: high-voltage-activated calcium current (gates m^2 h, no temperature dependence).

use super::hh::{gbar, Hh, HhModel, Ion, Rates};
use super::{vtrap, Mechanism, ParamSpec, ParamTable};

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

    #[inline]
    fn rates(v: f64, _cai: f64, _p: &ParamTable, _qt: f64) -> Rates {
        let ma = 0.055 * vtrap(-27.0 - v, 3.8);
        let mb = 0.94 * ((-75.0 - v) / 17.0).exp();
        let ha = 0.000457 * ((-13.0 - v) / 50.0).exp();
        let hb = 0.0065 / (((-v - 15.0) / 28.0).exp() + 1.0);
        Rates {
            inf: [ma / (ma + mb), ha / (ha + hb), 0.0],
            tau: [1.0 / (ma + mb), 1.0 / (ha + hb), 1.0],
        }
    }

    #[inline]
    fn open(s: [f64; 3], _v: f64, _p: &ParamTable) -> f64 {
        s[0] * s[0] * s[1]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<CaHva>::boxed(node)
}
