//! Kv2like: potassium current with activation m^2 and two inactivation gates h1, h2 (fast and slow,
//! averaged), Q10 2.3 from 21 degC.

use super::hh::{gbar, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{exp, vtrap, Mechanism, ParamSpec};

pub struct Kv2;

impl HhModel for Kv2 {
    const SUFFIX: &'static str = "Kv2like";
    const ION: Ion = Ion::K;
    const STATES: &'static [&'static str] = &["m", "h1", "h2"];
    const CURRENT: &'static str = "ik";
    const PARAMS: &'static [ParamSpec] = &[gbar(1e-5)];

    fn qt(celsius: f64) -> f64 {
        q10_23(celsius, 21.0)
    }

    #[inline(always)]
    fn rates(v: f64, _cai: f64, _p: &Globals, qt: f64) -> Rates {
        let a = 0.12 * vtrap(-(v - 43.0), 11.0);
        let b = 0.02 * exp(-(v + 1.27) / 120.0);
        let h_inf = 1.0 / (1.0 + exp((v + 58.0) / 11.0));
        let x = (v + 75.0) / 48.0;
        let h1_rate = qt / (360.0 + (1010.0 + 23.7 * (v + 54.0)) * exp(-(x * x)));
        let h2_rate = qt / (2350.0 + 1380.0 * exp(-0.011 * v) - 210.0 * exp(-0.03 * v));
        Rates {
            inf: [a / (a + b), h_inf, h_inf],
            rate: [qt * (a + b) / 2.5, h1_rate, h2_rate],
        }
    }

    #[inline(always)]
    fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
        s[0] * s[0] * (0.5 * s[1] + 0.5 * s[2])
    }
}

pub fn make(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<Kv2>::boxed(node)
}
