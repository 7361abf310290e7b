//! Spike trains: in-memory trains by population (`trains`) and Poisson generation
//! (`generation`). File layouts live in `crate::sonata::spikes`.

pub mod generation;
pub mod trains;

pub use generation::{gamma_constant, poisson_constant, poisson_varying, Refractory, StreamKey};
pub use trains::SpikeTrains;
