//! LGN cell models (`lgnmodel:<name>`) as BMTK 1.2.0 assembles them: single-subunit ON/OFF
//! units with a rectifying transfer function, the two-subunit sONsOFF / sONtOFF cells, and the
//! LGNOnOFFCell example model.

use super::spatial::Gaussian;
use super::temporal::{two_subunit_filter, CosineBump};
use super::transfer::Transfer;
use crate::error::{Error, Result};

/// Per-cell parameters as read from the nodes, node types and dynamics_params json.
/// Missing values are NaN.
#[derive(Debug, Clone)]
pub struct CellParams {
    pub node_id: u64,
    pub population: String,
    /// The model name after `lgnmodel:` (or the pop_name).
    pub model: String,
    pub x: f64,
    pub y: f64,
    /// Gaussian sigma (degrees), already spatial_size / 3.
    pub sigma: (f64, f64),
    pub rotation: f64,
    pub weights: [f64; 2],
    pub kpeaks: [f64; 2],
    pub delays: [f64; 2],
    pub weights_nd: [f64; 2],
    pub kpeaks_nd: [f64; 2],
    pub delays_nd: [f64; 2],
    pub spont: f64,
    pub tuning_angle: f64,
    pub sf_sep: f64,
    pub sigma_on: (f64, f64),
    pub sigma_off: (f64, f64),
}

/// One linear unit: spatial Gaussian x temporal filter x amplitude.
#[derive(Debug, Clone)]
pub struct Unit {
    pub gauss: Gaussian,
    pub temporal: CosineBump,
    pub amplitude: f64,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub units: Vec<Unit>,
    pub transfer: Transfer,
}

fn what(p: &CellParams) -> String {
    format!(
        "node {} of population '{}' (model '{}')",
        p.node_id, p.population, p.model
    )
}

pub fn build_model(p: &CellParams) -> Result<Model> {
    let w = what(p);
    let name = p.model.as_str();
    let translate = (p.x, p.y);
    let gauss = |sigma: (f64, f64), t: (f64, f64)| Gaussian {
        sigma,
        translate: t,
        rotation_deg: p.rotation,
    };
    match name {
        "sONsOFF_001" | "sONsOFF" | "sONtOFF_001" | "sONtOFF" => {
            let s_on_s_off = name.starts_with("sONsOFF");
            let (ttp_nd, ttp_d, spont, max_roff, max_ron) = if s_on_s_off {
                (121.0, 115.0, 4.0, 35.0, 21.0)
            } else {
                (93.5, 64.8, 5.5, 46.0, 31.0)
            };
            let nd_what = format!("{w}, non-dominant subunit");
            let (on_f, on_sum) =
                two_subunit_filter(p.weights_nd, p.kpeaks_nd, p.delays_nd, ttp_nd, &nd_what)?;
            let (off_f, off_sum) = two_subunit_filter(p.weights, p.kpeaks, p.delays, ttp_d, &w)?;
            let amp_on = 1.0;
            let amp_off = if s_on_s_off {
                -(max_roff / max_ron) * (on_sum / off_sum) * amp_on
                    - (spont * (max_roff - max_ron)) / (max_ron * off_sum)
            } else {
                -0.7 * (max_roff / max_ron) * (on_sum / off_sum) * amp_on
                    - (spont * (max_roff - max_ron)) / (max_ron * off_sum)
            };
            if !p.sf_sep.is_finite() || !p.tuning_angle.is_finite() {
                return Err(Error::invalid(format!(
                    "{w}: two-subunit cells need finite 'sf_sep' and 'tuning_angle'"
                )));
            }
            let ang = p.tuning_angle * std::f64::consts::PI / 180.0;
            let nd_pos = (ang.cos() * p.sf_sep + p.x, ang.sin() * p.sf_sep + p.y);
            Ok(Model {
                units: vec![
                    Unit {
                        gauss: gauss(p.sigma, translate),
                        temporal: off_f,
                        amplitude: amp_off,
                    },
                    Unit {
                        gauss: gauss(p.sigma, nd_pos),
                        temporal: on_f,
                        amplitude: amp_on,
                    },
                ],
                transfer: Transfer::TwoRectified(0.5 * spont, 0.5 * spont),
            })
        }
        "LGNOnOFFCell" => {
            let t = CosineBump::new(p.weights, p.kpeaks, p.delays, &w)?;
            let g = |s: (f64, f64)| Gaussian {
                sigma: s,
                translate,
                rotation_deg: 0.0,
            };
            Ok(Model {
                units: vec![
                    Unit {
                        gauss: g(p.sigma_on),
                        temporal: t.clone(),
                        amplitude: 20.0,
                    },
                    Unit {
                        gauss: g(p.sigma_off),
                        temporal: t,
                        amplitude: -20.0,
                    },
                ],
                transfer: Transfer::TwoRectified(0.0, 0.0),
            })
        }
        _ => {
            let cell_type = name.split('_').next().unwrap_or(name);
            let amplitude = if cell_type.contains("ON") {
                1.0
            } else if cell_type.contains("OFF") {
                -1.0
            } else {
                return Err(Error::invalid(format!(
                    "{w}: unknown lgnmodel cell model '{name}' (expected tON, tOFF, sON, sOFF (with optional _TF<n>), \
                     sONsOFF_001, sONtOFF_001 or LGNOnOFFCell)"
                )));
            };
            if !p.spont.is_finite() {
                return Err(Error::invalid(format!(
                    "{w}: no spontaneous firing rate (spont_fr) for model '{name}'"
                )));
            }
            Ok(Model {
                units: vec![Unit {
                    gauss: gauss(p.sigma, translate),
                    temporal: CosineBump::new(p.weights, p.kpeaks, p.delays, &w)?,
                    amplitude,
                }],
                transfer: Transfer::Rectified(p.spont),
            })
        }
    }
}
