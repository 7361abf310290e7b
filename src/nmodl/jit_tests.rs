//! The native code against the interpreter, bit for bit, on every file of the corpus the tests
//! can reach: bmtk's 25 mechanism files (../shared/bmtk-data, required under CI=true) and the
//! project's own test files (tests/bionet/mod, tests/nmodl/mod).

use std::path::{Path, PathBuf};

use super::model::{IonVar, Model};
use super::vm::{self, Frame};
use super::{hoist, instance_programs, load_file};

/// The corpus folders, and whether bmtk's is among them.
fn corpus_dirs() -> (Vec<PathBuf>, bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var("BMTK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/bmtk-data"));
    let bmtk = data.join("examples/bio_components/mechanisms/modfiles");
    if !bmtk.is_dir() {
        assert!(
            std::env::var("CI").is_err(),
            "{} is missing (CI=true: bmtk-data is required)",
            bmtk.display()
        );
    }
    let have = bmtk.is_dir();
    let ours = ["tests/bionet/mod", "tests/nmodl/mod"].map(|d| root.join(d));
    (std::iter::once(bmtk).chain(ours).collect(), have)
}

/// Deterministic values in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn start_frame(m: &Model, n: usize, rng: &mut Lcg) -> Frame {
    let c = &m.code;
    let mut f = Frame::new(c.nslots, n);
    for s in 0..c.slot_names.len() {
        for x in f.slots[s].iter_mut() {
            *x = rng.next();
        }
    }
    for (spec, slot) in m.params.iter().zip(&m.param_slot) {
        if let Some(s) = slot {
            f.slots[*s as usize]
                .iter_mut()
                .for_each(|x| *x = spec.default);
        }
    }
    for s in &m.ion_slots {
        let x = match s.var {
            IonVar::Ena => 53.0,
            IonVar::Ek => -107.0,
            IonVar::Eca => 132.0,
            IonVar::Cai => 1e-4,
            IonVar::Cao => 2.0,
            _ => 0.0,
        };
        f.slots[s.slot as usize].iter_mut().for_each(|v| *v = x);
    }
    f
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Init, then 40 steps of BREAKPOINT (v-free part, v part at v + 0.001 and at v) and SOLVE, with
/// v moving through -90..+30 mV: every persistent slot equal after every program.
fn compare(path: &Path) -> (usize, usize) {
    let m = load_file(path).unwrap();
    let Some(native) = m.native.as_ref() else {
        panic!("{}: no native code", path.display());
    };
    let c = &m.code;
    let progs = instance_programs(c);
    let compiled = (0..progs.len())
        .filter(|&i| native.program(i).is_some())
        .count();
    #[cfg(target_arch = "x86_64")]
    if super::x86::available() {
        for i in 0..progs.len() {
            if let Some(p) = native.program(i) {
                assert!(
                    p.has_avx2(),
                    "{}: program {i} has no AVX2 code",
                    path.display()
                );
            }
        }
    }
    for (i, ops) in progs.iter().enumerate() {
        assert_eq!(
            native.program(i).is_some(),
            super::jit::compilable(ops),
            "{}: program {i}",
            path.display()
        );
    }
    let first_tmp = c.slot_names.len();
    // 39 = 36 + 2 + 1: the four-lane (AVX2) or interleaved loop, the pair loop and the one-lane
    // copy all run
    let n = 39;
    let mut rng = Lcg(0x5eed ^ m.fingerprint);
    let mut a = start_frame(&m, n, &mut rng);
    let mut b = a.clone();
    // the cranelift code alone (where AVX2 code runs the four-lane loop in `b`)
    let mut b2 = a.clone();
    // NEURON's order: the whole v part twice (the probe program's first run replaces one)
    let mut r = a.clone();
    // the fused BREAKPOINT program in place of 3, 4 and 1: interpreted, and native
    let fused = c.fused.as_ref();
    let mut fz = a.clone();
    let mut fzn = a.clone();
    let mut i1 = vec![0.0; n];
    let mut g = c.scalars.clone();
    g[c.g_dt as usize] = 0.025;
    g[c.g_celsius as usize] = 34.0;
    let mut checked = 0;
    // (program index as mech.rs numbers them, prelude)
    let init = [(0usize, &c.init_prelude)];
    let step = [
        (3usize, &c.current_prelude),
        (4, &Vec::new()),
        (1, &Vec::new()),
        (2, &c.state_prelude),
    ];
    for k in 0..41 {
        let seq: &[(usize, &Vec<_>)] = if k == 0 { &init } else { &step };
        g[c.g_t as usize] = k as f64 * 0.025;
        for (j, &(i, prelude)) in seq.iter().enumerate() {
            for vs in [&mut a, &mut b, &mut b2, &mut r] {
                let v = &mut vs.slots[c.v_slot as usize];
                for (q, x) in v.iter_mut().enumerate() {
                    let phase = (q as f64 * 0.37 + k as f64 * 0.11).sin();
                    *x = -30.0 + 60.0 * phase + if j == 1 { 0.001 } else { 0.0 };
                }
            }
            hoist::run_prelude(prelude, &mut g);
            vm::run(progs[i], &mut a, &g, &[]);
            if i == 4 {
                i1.copy_from_slice(&a.slots[c.itot_slot as usize]);
            }
            let fused_turn = i == 1 || i == 2 || i == 0;
            if let (Some(f), true) = (fused, fused_turn) {
                let prog = if i == 1 { super::FUSED } else { i };
                for vs in [&mut fz, &mut fzn] {
                    let v = &mut vs.slots[c.v_slot as usize];
                    v.copy_from_slice(&a.slots[c.v_slot as usize]);
                }
                vm::run(progs[prog], &mut fz, &g, &[]);
                match native.program(prog) {
                    Some(p) => assert!(p.run(&mut fzn, &g)),
                    None => vm::run(progs[prog], &mut fzn, &g, &[]),
                }
                for (what, x) in [("interpreted", &fz), ("native", &fzn)] {
                    let fused_i1 = (i == 1).then_some((f.i1_slot as usize, &i1));
                    let slots = (0..first_tmp).map(|s| (s, &a.slots[s]));
                    for (s, want) in slots.chain(fused_i1) {
                        for (q, (&w, &got)) in want.iter().zip(&x.slots[s]).enumerate() {
                            assert!(
                                same(w, got),
                                "{}: fused BREAKPOINT ({what}), program {i}, step {k}, slot {s}, \
                                 instance {q}: three programs {w} fused {got}",
                                path.display(),
                            );
                        }
                    }
                }
            }
            vm::run(progs[if i == 4 { 1 } else { i }], &mut r, &g, &[]);
            let itot = c.itot_slot as usize;
            for s in (0..first_tmp).filter(|&s| i != 4 || s == itot) {
                for q in 0..n {
                    assert!(
                        same(a.slots[s][q], r.slots[s][q]),
                        "{}: program {i}, step {k}, slot {}: with the probe program {}, \
                         with the v part twice {}",
                        path.display(),
                        c.slot_names[s],
                        a.slots[s][q],
                        r.slots[s][q]
                    );
                }
            }
            match native.program(i) {
                Some(p) => {
                    assert!(p.run(&mut b, &g));
                    assert!(p.run_with(&mut b2, &g, false));
                }
                None => {
                    vm::run(progs[i], &mut b, &g, &[]);
                    vm::run(progs[i], &mut b2, &g, &[]);
                }
            }
            for (what, nat) in [("native", &b), ("cranelift", &b2)] {
                for s in 0..first_tmp {
                    for q in 0..n {
                        assert!(
                            same(a.slots[s][q], nat.slots[s][q]),
                            "{}: program {i}, step {k}, slot {} ({}), instance {q}: \
                             interpreter {} {what} {}",
                            path.display(),
                            s,
                            c.slot_names[s],
                            a.slots[s][q],
                            nat.slots[s][q]
                        );
                    }
                }
            }
            checked += 1;
        }
    }
    (compiled, checked)
}

#[test]
fn native_code_equals_interpreter_on_corpus() {
    let mut files = Vec::new();
    let (dirs, have_bmtk) = corpus_dirs();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        files.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "mod")),
        );
    }
    files.sort();
    let mut total = 0;
    let mut ran = 0;
    for p in &files {
        // files the front end refuses are not this test's subject (tests/nmodl/test_corpus.py)
        if load_file(p).is_err() {
            continue;
        }
        let (compiled, checked) = compare(p);
        eprintln!(
            "{}: {compiled} of 4 programs native, {checked} runs compared",
            p.display()
        );
        total += compiled;
        ran += 1;
    }
    assert!(files.len() >= 3, "corpus not found: {files:?}");
    // bmtk's files: 25 with init, current and state programs native at least
    if have_bmtk {
        assert!(
            ran >= 27 && total >= 3 * 24,
            "{ran} files, {total} native programs"
        );
    }
}
