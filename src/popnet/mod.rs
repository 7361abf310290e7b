//! PopNet's population-density engine (the DiPDE method of Iyer et al. 2013 and Cain et al. 2016).
//!
//! Each internal population is a leaky integrate-and-fire membrane-potential density on a voltage
//! grid (`grid`). The density moves under the leak and under synaptic jumps (`operators`, sparse
//! matrices in `sparse`); the probability flux over threshold is the population's firing rate.
//! Populations exchange rates through connections whose delays read the sources' rate history
//! (`network`); one time step of a density is taken by one of the update methods of `step`.
//! `output` writes the rates table as BMTK's PopNet does.

pub mod grid;
pub mod network;
pub mod operators;
pub mod output;
pub mod sparse;
pub mod step;

pub use network::{
    simulate, Connection, Distribution, External, Output, Population, Source, UpdateMethod,
};
pub use step::Norm;
