use super::*;
use crate::bionet::mechanisms::{Currents, Env, Ions};

const NATS: &str = r#"
NEURON { SUFFIX NaTs USEION na READ ena WRITE ina RANGE gbar, g }
UNITS { (S) = (siemens) (mV) = (millivolt) }
PARAMETER { gbar = 0.00001 (S/cm2) mvhalf = -40 (mV) }
ASSIGNED { v (mV) ena (mV) ina (mA/cm2) g (S/cm2) celsius (degC) mInf mTau }
STATE { m }
BREAKPOINT { SOLVE states METHOD cnexp
  g = gbar*m*m*m
  ina = g*(v-ena) }
DERIVATIVE states { rates() m' = (mInf-m)/mTau }
INITIAL { rates() m = mInf }
PROCEDURE rates() { LOCAL qt, a, b
  qt = 2.3^((celsius-23)/10)
  a = 0.182 * vtrap(-(v - mvhalf), 6)
  b = 0.124 * vtrap((v - mvhalf), 6)
  mInf = a/(a + b)
  mTau = (1/(a + b))/qt }
FUNCTION vtrap(x, y) { if (fabs(x / y) < 1e-6) { vtrap = y * (1 - x / y / 2) } else { vtrap = x / (exp(x / y) - 1) } }
"#;

fn vtrap(x: f64, y: f64) -> f64 {
    if (x / y).abs() < 1e-6 {
        y * (1.0 - x / y / 2.0)
    } else {
        x / ((x / y).exp() - 1.0)
    }
}

#[test]
fn nats_matches_direct_arithmetic() {
    let m = Arc::new(compile("nats.mod", NATS).unwrap());
    assert_eq!(m.kind, Kind::Density);
    let mut mech = instantiate(&m, vec![0, 1]);
    mech.set_param("gbar", &[0.1, 0.2]).unwrap();
    let env = Env {
        celsius: 34.0,
        dt: 0.025,
    };
    let v = [-65.0, -40.0];
    let mut ions = Ions::new(2);
    mech.init(&env, &v, &mut ions);
    let qt = 2.3f64.powf((34.0 - 23.0) / 10.0);
    let rates = |v: f64| {
        let a = 0.182 * vtrap(-(v + 40.0), 6.0);
        let b = 0.124 * vtrap(v + 40.0, 6.0);
        (a / (a + b), 1.0 / (a + b) / qt)
    };
    let mut ms = [rates(-65.0).0, rates(-40.0).0];
    assert_eq!(mech.variable("m").unwrap(), &ms);
    let mut cur = Currents::new(2);
    for _ in 0..10 {
        cur.clear();
        ions.begin_step(34.0);
        mech.current(&env, &v, &mut ions, &mut cur);
        for k in 0..2 {
            let g = [0.1, 0.2][k] * ms[k].powi(3);
            let i = g * (v[k] - 50.0);
            assert!(
                (cur.i[k] - i).abs() <= 1e-14 * i.abs(),
                "{} {}",
                cur.i[k],
                i
            );
            assert!((cur.g[k] - g).abs() <= 1e-9 * g, "{} {}", cur.g[k], g);
            assert_eq!(ions.ina[k], cur.i[k]);
        }
        mech.advance_states(&env, &v, &mut ions);
        for k in 0..2 {
            let (inf, tau) = rates(v[k]);
            ms[k] += (1.0 - (-0.025 / tau).exp()) * (inf - ms[k]);
            let got = mech.variable("m").unwrap()[k];
            assert!((got - ms[k]).abs() < 1e-14, "{got} {}", ms[k]);
        }
    }
}

#[test]
fn errors_name_file_and_line() {
    let cases = [
        (
            "NEURON { SUFFIX x }\nBREAKPOINT {\n y = 1 }",
            "x.mod:3",
            "unknown variable 'y'",
        ),
        (
            "NEURON { SUFFIX x }\nASSIGNED { y }\nBREAKPOINT {\n y = 1 +* 2 }",
            "x.mod:4",
            "expected an expression",
        ),
        (
            "NEURON { SUFFIX x }\nVERBATIM\nint a;\nENDVERBATIM",
            "x.mod:2",
            "VERBATIM",
        ),
        (
            "NEURON { SUFFIX x }\nASSIGNED { y }\nBREAKPOINT { y = foo(1) }",
            "x.mod:3",
            "unknown function 'foo'",
        ),
        (
            "NEURON { SUFFIX x }\nUNITS { F = (farads) (blob) }",
            "x.mod:2",
            "undefined unit",
        ),
        ("NEURON { SUFFIX x POINTER p }\n", "x.mod:1", "POINTER"),
        (
            "NEURON { SUFFIX x }\nCOMMENT\nnever closed",
            "x.mod:2",
            "ENDCOMMENT",
        ),
        (
            "NEURON { ARTIFICIAL_CELL VecStim }\n",
            "x.mod:1",
            "spike sources",
        ),
    ];
    for (src, at, what) in cases {
        let e = compile("x.mod", src).err().unwrap().to_string();
        assert!(e.contains(at) && e.contains(what), "{e}");
    }
}

#[test]
fn tables_interpolate_as_neuron() {
    let src = r#"
NEURON { SUFFIX tb RANGE y }
ASSIGNED { v y yinf }
BREAKPOINT { f(v) y = yinf }
PROCEDURE f(x) { TABLE yinf FROM -100 TO 100 WITH 200
  yinf = exp(x/10) }
"#;
    let m = Arc::new(compile("tb.mod", src).unwrap());
    let mut mech = instantiate(&m, vec![0, 1, 2]);
    let env = Env {
        celsius: 6.3,
        dt: 0.025,
    };
    let v = [-65.3, 150.0, 2.5];
    let mut ions = Ions::new(3);
    mech.init(&env, &v, &mut ions);
    let mut cur = Currents::new(3);
    mech.current(&env, &v, &mut ions, &mut cur);
    let y = mech.variable("y").unwrap();
    let t = |x: f64| (x / 10.0).exp();
    let lo = -66.0;
    let theta: f64 = 0.7;
    let expect = t(lo) + (-65.3f64 - lo) * (t(lo + 1.0) - t(lo));
    assert!(
        (y[0] - expect).abs() < 1e-12 * expect,
        "{} {expect} {theta}",
        y[0]
    );
    assert!((y[1] - t(100.0)).abs() < 1e-9 * t(100.0));
}

/// Prints the status of every `.mod` under the directories in `NMODL_CORPUS` (colon-separated);
/// a development aid (the corpus test proper is tests/nmodl/test_corpus.py).
#[test]
fn corpus_status_listing() {
    let Ok(dirs) = std::env::var("NMODL_CORPUS") else {
        return;
    };
    for d in dirs.split(':') {
        let mut files: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for p in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "mod"))
        {
            match load_file(p) {
                Ok(m) => println!(
                    "RUN     {} {} {:#018x} {:?} slots={} ops={}/{}/{}",
                    p.display(),
                    m.name,
                    m.fingerprint,
                    m.kind,
                    m.code.nslots,
                    m.code.init.len(),
                    m.code.current.len(),
                    m.code.state.len()
                ),
                Err(e) => println!("REFUSED {e}"),
            }
        }
    }
}

/// Prints the lowered programs of `NMODL_DUMP` (a .mod path); a development aid.
#[test]
fn dump_programs() {
    let Ok(path) = std::env::var("NMODL_DUMP") else {
        return;
    };
    let m = load_file(std::path::Path::new(&path)).unwrap();
    let c = &m.code;
    for (name, ops) in [
        ("init", &c.init),
        ("current_pre", &c.current_pre),
        ("current_v", &c.current_v),
        ("state", &c.state),
    ] {
        println!("== {name} ({} ops)", ops.len());
        for (k, op) in ops.iter().enumerate() {
            println!("{k:4} {op:?}");
        }
    }
    println!(
        "preludes: {} {} {}",
        c.init_prelude.len(),
        c.current_prelude.len(),
        c.state_prelude.len()
    );
}

/// A draw under an `if` advances only the streams of the instances that take the branch (as
/// NEURON runs instance by instance); NET_RECEIVE draws from its instance's own stream.
#[test]
fn random_draws_only_where_the_branch_is_taken() {
    use super::random::{RandFn, Stream};
    use crate::bionet::mechanisms::Mechanism;
    let src = "NEURON { ARTIFICIAL_CELL rr RANGE on, x RANDOM s }\nPARAMETER { on = 1 }\n\
               ASSIGNED { x }\nINITIAL {\n random_setids(s, 5, 6, 7)\n random_setseq(s, 0)\n\
               x = -1\n if (on) { x = random_uniform(s) }\n}\nNET_RECEIVE(w) { x = random_uniform(s) }\n";
    let m = Arc::new(compile("rr.mod", src).unwrap());
    let mut mech = mech::NmodlMech::new(m.clone(), vec![0, 0, 0]);
    mech.set_param("on", &[1.0, 0.0, 1.0]).unwrap();
    let env = Env {
        celsius: 6.3,
        dt: 0.025,
    };
    mech.point_init(&env, &[-65.0], &Ions::new(1));
    let mut reference = Stream::with_ids(5, 6, 7);
    let u: Vec<f64> = (0..2)
        .map(|_| reference.call(RandFn::Uniform, &[]))
        .collect();
    assert_eq!(mech.values("x").unwrap(), &[u[0], -1.0, u[0]]);
    let mut w = [0.0];
    mech.net_receive(1, 1.0, -65.0, &mut w, 0.0);
    mech.net_receive(0, 1.0, -65.0, &mut w, 0.0);
    assert_eq!(mech.values("x").unwrap(), &[u[1], u[0], u[0]]);
}
