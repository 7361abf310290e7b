//! Network building: connection tables per edge type and their merge into SONATA populations.
//! Node tables are small and live with the Python API; edges, which can number in the
//! hundreds of millions, live here.

pub mod collate;
pub mod edge_table;
