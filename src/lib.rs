//! bmtk-rs: the Brain Modeling Toolkit's engine in Rust. `sonata` owns every file layout,
//! `builder` makes networks; the Python bindings (feature `python`) live in `py`.

pub mod bionet;
pub mod builder;
pub mod error;
pub mod filternet;
pub mod nmodl;
pub mod pointnet;
pub mod popnet;
pub mod sonata;
pub mod spikes;

#[cfg(feature = "python")]
mod py;
