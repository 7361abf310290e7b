//! SK: small-conductance calcium-activated potassium current. One gate z relaxing (GLOBAL `zTau`)
//! to a Hill function of the internal calcium concentration; no voltage or temperature dependence.

use super::hh::{gbar, global, Globals, Hh, HhModel, Ion, Rates};
use super::{Mechanism, ParamSpec};

pub struct SkModel;

const ZTAU: usize = 1;

impl HhModel for SkModel {
    const SUFFIX: &'static str = "SK";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["z"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-6), global("zTau", 1.0)];
    const READS_CAI: bool = true;

    fn qt(_celsius: f64) -> f64 {
        1.0
    }

    #[inline(always)]
    fn rates(_v: f64, cai: f64, p: &Globals, _qt: f64) -> Rates {
        let ca = if cai < 1e-7 { cai + 1e-7 } else { cai };
        let z_inf = 1.0 / (1.0 + (0.00043 / ca).powf(4.8));
        Rates {
            inf: [z_inf, 0.0, 0.0],
            rate: [1.0 / p[ZTAU], 1.0, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<SkModel>::boxed(node)
}
