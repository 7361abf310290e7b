//! Native AVX2 code for the NMODL programs (x86-64 hosts with AVX2): four instances per
//! instruction where cranelift's x86 back end offers two. Bit for bit the interpreter's results
//! (tested in jit_tests.rs against the interpreter on the whole corpus).

mod enc;
mod exec;
mod gen;

pub use exec::ExecMemory;
pub use gen::{generate, LANES};

/// Whether the host runs AVX2 code and it is not switched off (`BMTK_RS_NMODL_AVX2=0` leaves the
/// cranelift code to run every instance, for measurements against it).
pub fn available() -> bool {
    std::env::var("BMTK_RS_NMODL_AVX2").map_or(true, |v| v != "0")
        && std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(test)]
mod enc_tests;
