//! Nap: persistent sodium current with instantaneous activation mInf(v) (evaluated with the
//! current, so di/dv is a finite difference as in NEURON) and slow inactivation h, Q10 2.3 from
//! 21 degC. The name Nap_Et2 resolves here too.

use super::hh::{gbar, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, vtrap, Mechanism, ParamSpec};

pub struct NapModel;

#[inline(always)]
fn m_inf(v: f64) -> f64 {
    1.0 / (1.0 + exp((v + 52.6) / -4.6))
}

impl HhModel for NapModel {
    const SUFFIX: &'static str = "Nap";
    const ION: Ion = Ion::Na;
    const STATES: &'static [&'static str] = &["h"];
    const CURRENT: &'static str = "ina";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];
    const V_IN_OPEN: bool = true;

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 21.0)
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, qt: f64) -> Rates {
        let h_inf = 1.0 / (1.0 + exp((v + 48.8) / 10.0));
        let a = 2.88e-6 * vtrap(v + 17.0, 4.63);
        let b = 6.94e-6 * vtrap(-(v + 64.4), 2.63);
        Rates {
            inf: [h_inf, 0.0, 0.0],
            rate: [(a + b) * qt, 1.0, 1.0],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], v: f64, _p: &Globals) -> f64 {
        m_inf(v) * s[0]
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<NapModel>::boxed(node)
}
