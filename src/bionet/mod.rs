//! BioNet: the multi-compartment engine. `mechanisms` holds the membrane mechanisms (ion channels,
//! calcium dynamics, the passive leak) that every other part of the engine builds on.

pub mod mechanisms;
