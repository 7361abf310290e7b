//! Every SONATA file layout lives here: nodes, edges, their type tables, and (later) spikes,
//! compartment reports and configs. Other modules read and write files only through this one.

pub mod allen_sweep;
pub mod clamp_report;
pub mod column;
pub mod compartment_report;
pub mod ecp;
pub mod edges;
pub mod gap_junctions;
pub mod h5;
pub mod index;
pub mod nodes;
pub mod saved_synapses;
pub mod spikes;
pub mod types_csv;
