pub mod import3d;
pub mod morphology;
pub mod swc;
