//! BioNet: the multi-compartment engine. `mechanisms` holds the membrane mechanisms (ion channels,
//! calcium dynamics, the passive leak) that every other part of the engine builds on; `swc`,
//! `import3d` and `morphology` turn SWC files into NEURON-equivalent cell geometry; `cell`
//! assembles a biophysical cell from BMTK's model_template/model_processing and fit json; `solver`
//! steps cells (alone or in lockstep groups) with NEURON's fixed step and the Hines solve.

pub mod artcell;
pub mod cell;
pub mod cell_description;
pub mod ecp;
pub mod extracellular_field;
pub mod gap;
pub mod import3d;
pub mod mechanisms;
pub mod morphology;
pub mod network;
pub mod nml;
pub mod np_random;
pub mod placement;
pub mod report_vars;
pub mod self_events;
pub mod solver;
pub mod swc;
pub mod synapse;
