//! Micro-benchmark, not a test (ignored; run it by name): per instance, the time of a channel's
//! state step and current call from its .mod file (native code) against the hand-written built-in
//! of the same name, both in this process, interleaved round by round, the best of 25 rounds.
//!
//! `cargo test --release --lib nmodl::jit_bench -- --ignored --nocapture` (needs bmtk-data's
//! modfiles: ../shared/bmtk-data or BMTK_DATA).

use std::path::PathBuf;
use std::time::Instant;

use crate::bionet::mechanisms::{create, Currents, Env, Ions, Mechanism};

struct Bench {
    v: Vec<f64>,
    ions: Ions,
    cur: Currents,
    env: Env,
}

/// Seconds of `reps` state steps and of `reps` current calls.
fn time(m: &mut dyn Mechanism, b: &mut Bench, reps: usize) -> (f64, f64) {
    let t0 = Instant::now();
    for _ in 0..reps {
        m.advance_states(&b.env, &b.v, &mut b.ions);
    }
    let s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    for _ in 0..reps {
        m.current(&b.env, &b.v, &mut b.ions, &mut b.cur);
    }
    (s, t0.elapsed().as_secs_f64())
}

#[test]
#[ignore]
fn jit_bench() {
    let data = std::env::var("BMTK_DATA").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bmtk-data"),
        PathBuf::from,
    );
    let dir = data.join("examples/bio_components/mechanisms/modfiles");
    // instances per call: a soma channel's cell group
    let n = 16;
    let reps = 2000;
    let ns = |x: f64| x * 1e9 / reps as f64 / n as f64;
    let mut total = [0.0f64; 4];
    println!("ns per instance: state step (built-in, .mod), current call (built-in, .mod)");
    for name in [
        "NaTs", "Nap", "K_P", "K_T", "Ca_HVA", "Ca_LVA", "Ih", "Kv3_1", "Im", "SK", "NaV",
    ] {
        let mut b = Bench {
            env: Env {
                celsius: 34.0,
                dt: 0.1,
            },
            v: (0..n).map(|k| -70.0 + k as f64 * 0.5).collect(),
            ions: Ions::new(n),
            cur: Currents::new(n),
        };
        let nodes: Vec<u32> = (0..n as u32).collect();
        let model = super::load_file(&dir.join(format!("{name}.mod"))).unwrap();
        let mut mechs = [
            create(name, nodes.clone()).unwrap(),
            super::instantiate(&model, nodes),
        ];
        let v = b.v.clone();
        let mut best = [(f64::MAX, f64::MAX); 2];
        for m in mechs.iter_mut() {
            m.init(&b.env, &v, &mut b.ions);
        }
        for _ in 0..25 {
            for (k, m) in mechs.iter_mut().enumerate() {
                let (s, c) = time(m.as_mut(), &mut b, reps);
                best[k] = (best[k].0.min(s), best[k].1.min(c));
            }
        }
        let [(bs, bc), (fs, fc)] = best;
        println!(
            "{name:7} state {:6.1} {:6.1} ({:.2}x)  current {:5.1} {:5.1} ({:.2}x)",
            ns(bs),
            ns(fs),
            fs / bs,
            ns(bc),
            ns(fc),
            fc / bc
        );
        for (t, x) in total.iter_mut().zip([bs, fs, bc, fc]) {
            *t += ns(x);
        }
    }
    println!(
        "all     state {:6.1} {:6.1} ({:.2}x)  current {:5.1} {:5.1} ({:.2}x)",
        total[0],
        total[1],
        total[1] / total[0],
        total[2],
        total[3],
        total[3] / total[2]
    );
}
