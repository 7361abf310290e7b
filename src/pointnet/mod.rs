//! PointNet: networks of point neurons on a fixed time grid, updated the way NEST updates them so
//! that spike times and membrane traces agree with NEST 3.10 for the exactly integrated models.
//!
//! Time is counted in steps of `dt`. Step `k` advances every neuron from `k*dt` to `(k+1)*dt`; a
//! spike emitted in step `k` carries the time stamp `(k+1)*dt` and, over a connection of `d` steps,
//! lands in the receiver's ring buffer slot that is read in step `k + d`. Spike input read in a step
//! acts on the synaptic state at the end of that step; current input read in a step is applied
//! during the next one (NEST's `y0`).

pub mod aeif;
pub mod engine;
pub mod glif;
pub mod glif_cond;
pub mod glif_psc;
pub mod iaf_cond;
pub mod iaf_psc;
pub mod izhikevich;
pub mod models;
pub mod params;
pub mod propagators;
pub mod rkf45;
pub mod stepping;

pub use engine::{Emission, Engine, Recording};
pub use models::SUPPORTED_MODELS;
pub use params::{ParamValue, Params};
pub use stepping::Exchange;
