//! NaTa and NaTs: transient sodium currents (gates m^3 h) with alpha/beta rates of the vtrap form;
//! they differ only in the defaults of their GLOBAL half-activation voltages. Q10 2.3 from 23 degC.
//! The names NaTa_t and NaTs2_t resolve here too.

use super::hh::{gbar, global, q10_23, Globals, Hh, HhModel, Ion, Rates};
use super::{vtrap, Mechanism, ParamSpec};

const MALPHAF: usize = 1;
const MBETAF: usize = 2;
const MVHALF: usize = 3;
const MK: usize = 4;
const HALPHAF: usize = 5;
const HBETAF: usize = 6;
const HVHALF: usize = 7;
const HK: usize = 8;

const fn params(mvhalf: f64, hvhalf: f64) -> [ParamSpec; 9] {
    [
        gbar(1e-5),
        global("malphaF", 0.182),
        global("mbetaF", 0.124),
        global("mvhalf", mvhalf),
        global("mk", 6.0),
        global("halphaF", 0.015),
        global("hbetaF", 0.015),
        global("hvhalf", hvhalf),
        global("hk", 6.0),
    ]
}

const NATA_PARAMS: [ParamSpec; 9] = params(-48.0, -69.0);
const NATS_PARAMS: [ParamSpec; 9] = params(-40.0, -66.0);

#[inline(always)]
fn rates(v: f64, p: &Globals, qt: f64) -> Rates {
    let dm = v - p[MVHALF];
    let mk = p[MK];
    let ma = p[MALPHAF] * vtrap(-dm, mk);
    let mb = p[MBETAF] * vtrap(dm, mk);
    let dh = v - p[HVHALF];
    let hk = p[HK];
    let ha = p[HALPHAF] * vtrap(dh, hk);
    let hb = p[HBETAF] * vtrap(-dh, hk);
    Rates {
        inf: [ma / (ma + mb), ha / (ha + hb), 0.0],
        rate: [(ma + mb) * qt, (ha + hb) * qt, 1.0],
    }
}

pub struct NaTa;
pub struct NaTs;

macro_rules! nat_model {
    ($ty:ty, $suffix:literal, $params:ident) => {
        impl HhModel for $ty {
            const SUFFIX: &'static str = $suffix;
            const ION: Ion = Ion::Na;
            const STATES: &'static [&'static str] = &["m", "h"];
            const CURRENT: &'static str = "ina";
            const PARAMS: &'static [ParamSpec] = &$params;

            fn qt(celsius: f64) -> f64 {
                q10_23(celsius, 23.0)
            }

            #[inline(always)]
            fn rates(v: f64, _cai: f64, p: &Globals, qt: f64) -> Rates {
                rates(v, p, qt)
            }

            #[inline(always)]
            fn open(s: [f64; 3], _v: f64, _p: &Globals) -> f64 {
                s[0] * s[0] * s[0] * s[1]
            }
        }
    };
}

nat_model!(NaTa, "NaTa", NATA_PARAMS);
nat_model!(NaTs, "NaTs", NATS_PARAMS);

pub fn make_nata(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<NaTa>::boxed(node)
}

pub fn make_nats(node: Vec<u32>) -> Box<dyn Mechanism> {
    Hh::<NaTs>::boxed(node)
}
