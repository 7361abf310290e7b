//! FilterNet: LGN filter models driven by movies. A cell is one or two linear units (a spatial
//! Gaussian times a temporal cosine-bump filter) followed by a rectifying transfer function;
//! its firing rate follows BMTK 1.2.0's FilterNet sample for sample.

pub mod cells;
pub mod output;
pub mod simulate;
pub mod spatial;
pub mod stimuli;
pub mod temporal;
pub mod transfer;
