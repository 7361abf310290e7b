//! Internal and external populations joined by connections, stepped together in time.
//!
//! Timing follows dipde: at step n every internal population reads, through each incoming
//! connection, its source's rate at step n - 1 - d for each delay of d steps (delays are rounded
//! to steps, ties to even, as numpy does), takes one step of its density and records the flux over
//! threshold as its rate at step n. Rates before the start are the initial rates.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::grid::Grid;
use super::operators;
use super::sparse::Csr;
use super::step::{self, DiagSlots, Norm, Workspace};
use crate::error::{Error, Result};

/// A discrete distribution: (value, probability) pairs.
pub type Distribution = Vec<(f64, f64)>;

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateMethod {
    /// Implicit Euler step solved by GMRES to `tol`.
    Gmres,
    /// The matrix exponential of the step.
    Exact,
    /// Taylor series of the matrix exponential, to `tol` (None) or to a fixed order.
    Approx(Option<usize>),
}

#[derive(Debug, Clone)]
pub struct Population {
    pub tau_m: Distribution,
    pub v_min: f64,
    pub v_max: f64,
    pub dv: f64,
    pub method: UpdateMethod,
    pub tol: f64,
    pub norm: Norm,
    pub initial_rate: f64,
}

/// An external population fires at a constant rate (Hz).
#[derive(Debug, Clone)]
pub struct External {
    pub rate: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    Internal(usize),
    External(usize),
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub source: Source,
    pub target: usize,
    pub nsyn: f64,
    pub weights: Distribution,
    pub delays: Distribution,
}

/// Rates of every internal population at times t0, t0 + dt, ... (one row per population).
#[derive(Debug, Clone)]
pub struct Output {
    pub times: Vec<f64>,
    pub rates: Vec<Vec<f64>>,
    /// Krylov iterations of all implicit steps (0 for the other methods).
    pub iterations: u64,
}

fn check_distribution(d: &Distribution, what: &str) -> Result<()> {
    if d.is_empty() {
        return Err(Error::invalid(format!("{what}: empty distribution")));
    }
    if d.iter()
        .any(|(v, p)| !v.is_finite() || !p.is_finite() || *p < 0.0)
    {
        return Err(Error::invalid(format!(
            "{what}: values must be finite and probabilities >= 0 (got {d:?})"
        )));
    }
    let total: f64 = d.iter().map(|x| x.1).sum();
    if (total - 1.0).abs() > 1e-12 {
        return Err(Error::invalid(format!(
            "{what}: probabilities sum to {total}, not 1"
        )));
    }
    Ok(())
}

fn bits(d: &Distribution) -> Vec<(u64, u64)> {
    d.iter().map(|(a, b)| (a.to_bits(), b.to_bits())).collect()
}

type GridKey = (u64, u64, u64);

/// The sparsity pattern of one population's total flux matrix (leak plus every weight
/// distribution it receives), with each operator's values laid out on it. Populations with the
/// same grid, time constants and weight distributions share one.
struct Assembly {
    grid: Grid,
    pat: Csr,
    tri: DiagSlots,
    leak: Vec<f64>,
    /// Per weight distribution: (slot, value) of its jump entries, and its threshold flux.
    jumps: Vec<(Sparse, Sparse)>,
}

/// (index, value) pairs.
type Sparse = Vec<(usize, f64)>;
/// What makes two populations' assemblies identical: grid, tau_m and weight distributions.
type AssemblyKey = (GridKey, Vec<(u64, u64)>, Vec<Vec<(u64, u64)>>);

impl Assembly {
    fn build(grid: Grid, tau: &Distribution, dists: &[Distribution]) -> Assembly {
        let n = grid.n_bins();
        let leak = operators::leak(&grid, tau);
        let ops: Vec<_> = dists.iter().map(|d| operators::jumps(&grid, d)).collect();
        let positions = (0..n)
            .map(|i| (i, i))
            .chain(leak.iter().map(|&(r, c, _)| (r, c)))
            .chain(
                ops.iter()
                    .flat_map(|(e, _)| e.iter().map(|&(r, c, _)| (r, c))),
            );
        let pat = Csr::pattern(n, positions);
        let mut leak_vals = vec![0.0; pat.nnz()];
        for &(r, c, v) in &leak {
            leak_vals[pat.slot(r, c)] += v;
        }
        let jumps = ops
            .into_iter()
            .map(|(e, t)| {
                let slots = e.iter().map(|&(r, c, v)| (pat.slot(r, c), v)).collect();
                let thr = t
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(i, v)| (i, *v))
                    .collect();
                (slots, thr)
            })
            .collect();
        Assembly {
            grid,
            tri: DiagSlots::of(&pat),
            pat,
            leak: leak_vals,
            jumps,
        }
    }
}

struct Incoming {
    dist: usize,
    source: Source,
    nsyn: f64,
    /// (delay in steps, probability)
    delays: Vec<(usize, f64)>,
}

struct State {
    asm: Arc<Assembly>,
    pv: Vec<f64>,
    inputs: Vec<Incoming>,
    method: UpdateMethod,
    tol: f64,
    norm: Norm,
}

fn delay_steps(d: &Distribution, dt: f64, what: &str) -> Result<Vec<(usize, f64)>> {
    let mut merged: Vec<(usize, f64)> = Vec::new();
    for &(v, p) in d {
        if v < 0.0 {
            return Err(Error::invalid(format!("{what}: negative delay {v}")));
        }
        let k = (v / dt).round_ties_even();
        if k > 1e8 {
            return Err(Error::invalid(format!("{what}: delay {v} is too long")));
        }
        let k = k as usize;
        match merged.iter_mut().find(|x| x.0 == k) {
            Some(x) => x.1 += p,
            None => merged.push((k, p)),
        }
    }
    merged.sort_by_key(|x| x.0);
    Ok(merged)
}

/// Runs the network from t0 while t0 + n dt < tf; `Output.rates[i]` is internal population i.
pub fn simulate(
    pops: &[Population],
    externals: &[External],
    conns: &[Connection],
    dt: f64,
    t0: f64,
    tf: f64,
) -> Result<Output> {
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Error::invalid(format!("run: dt must be > 0 (got {dt})")));
    }
    if !(tf.is_finite() && t0.is_finite()) {
        return Err(Error::invalid("run: tstop must be finite"));
    }
    let mut grids: HashMap<GridKey, Grid> = HashMap::new();
    for (i, p) in pops.iter().enumerate() {
        let what = format!("population {i}");
        check_distribution(&p.tau_m, &format!("{what}: tau_m"))?;
        if p.tau_m.iter().any(|t| t.0 <= 0.0) {
            return Err(Error::invalid(format!("{what}: tau_m must be > 0")));
        }
        if p.tol.is_nan() || p.tol <= 0.0 {
            return Err(Error::invalid(format!(
                "{what}: tol must be > 0 (got {})",
                p.tol
            )));
        }
        let key = (p.v_min.to_bits(), p.v_max.to_bits(), p.dv.to_bits());
        if let std::collections::hash_map::Entry::Vacant(e) = grids.entry(key) {
            e.insert(
                Grid::new(p.v_min, p.v_max, p.dv)
                    .map_err(|e| Error::invalid(format!("{what}: {e}")))?,
            );
        }
    }
    for (i, e) in externals.iter().enumerate() {
        if !(e.rate.is_finite() && e.rate >= 0.0) {
            return Err(Error::invalid(format!(
                "external population {i}: firing rate {} must be >= 0",
                e.rate
            )));
        }
    }
    // Incoming connections per target, each pointing at one of the target's weight distributions.
    let mut dists: Vec<Vec<Distribution>> = vec![Vec::new(); pops.len()];
    let mut incoming: Vec<Vec<Incoming>> = (0..pops.len()).map(|_| Vec::new()).collect();
    for (ci, c) in conns.iter().enumerate() {
        let what = format!("connection {ci}");
        if c.target >= pops.len() {
            return Err(Error::invalid(format!(
                "{what}: target {} is not an internal population",
                c.target
            )));
        }
        match c.source {
            Source::Internal(s) if s >= pops.len() => {
                return Err(Error::invalid(format!(
                    "{what}: unknown internal source {s}"
                )))
            }
            Source::External(s) if s >= externals.len() => {
                return Err(Error::invalid(format!(
                    "{what}: unknown external source {s}"
                )))
            }
            _ => {}
        }
        if !(c.nsyn.is_finite() && c.nsyn >= 0.0) {
            return Err(Error::invalid(format!(
                "{what}: nsyns must be >= 0 (got {})",
                c.nsyn
            )));
        }
        check_distribution(&c.weights, &format!("{what}: weights"))?;
        check_distribution(&c.delays, &format!("{what}: delays"))?;
        let delays = delay_steps(&c.delays, dt, &what)?;
        // dipde drops connections without synapses.
        if c.nsyn == 0.0 {
            continue;
        }
        let ds = &mut dists[c.target];
        let k = bits(&c.weights);
        let dist = match ds.iter().position(|d| bits(d) == k) {
            Some(i) => i,
            None => {
                ds.push(c.weights.clone());
                ds.len() - 1
            }
        };
        incoming[c.target].push(Incoming {
            dist,
            source: c.source,
            nsyn: c.nsyn,
            delays,
        });
    }
    let mut shared: HashMap<AssemblyKey, Arc<Assembly>> = HashMap::new();
    let mut states = Vec::with_capacity(pops.len());
    for (i, (p, inc)) in pops.iter().zip(incoming).enumerate() {
        let gk = (p.v_min.to_bits(), p.v_max.to_bits(), p.dv.to_bits());
        let key = (
            gk,
            bits(&p.tau_m),
            dists[i].iter().map(bits).collect::<Vec<_>>(),
        );
        let asm = shared
            .entry(key)
            .or_insert_with(|| Arc::new(Assembly::build(grids[&gk].clone(), &p.tau_m, &dists[i])))
            .clone();
        let pv = asm.grid.delta_at_zero();
        states.push(State {
            asm,
            pv,
            inputs: inc,
            method: p.method.clone(),
            tol: p.tol,
            norm: p.norm,
        });
    }

    let mut history: Vec<Vec<f64>> = pops.iter().map(|p| vec![p.initial_rate]).collect();
    let mut times = vec![t0];
    let mut ti: usize = 0;
    let mut iterations = 0u64;
    while t0 + ti as f64 * dt < tf {
        ti += 1;
        let hist = &history;
        let one = |ws: &mut Workspace, (i, st): (usize, &mut State)| -> Result<(f64, u64)> {
            let rate_of = |src: Source, k: isize| -> f64 {
                match src {
                    Source::External(e) => externals[e].rate,
                    Source::Internal(s) => {
                        if k <= 0 {
                            pops[s].initial_rate
                        } else {
                            hist[s][k as usize]
                        }
                    }
                }
            };
            let mut lam = vec![0.0; st.asm.jumps.len()];
            for inc in &st.inputs {
                let mut r = 0.0;
                for &(d, p) in &inc.delays {
                    r += p * rate_of(inc.source, ti as isize - 1 - d as isize);
                }
                lam[inc.dist] += r * inc.nsyn;
            }
            advance(st, &lam, dt, ws).map_err(|e| Error::invalid(format!("population {i}: {e}")))
        };
        // Threads pay off only with several populations to share out.
        let results: Vec<Result<(f64, u64)>> = if states.len() > 2 {
            states
                .par_iter_mut()
                .enumerate()
                .map_init(Workspace::default, one)
                .collect()
        } else {
            let mut ws = Workspace::default();
            states
                .iter_mut()
                .enumerate()
                .map(|x| one(&mut ws, x))
                .collect()
        };
        for (h, r) in history.iter_mut().zip(results) {
            let (rate, it) = r?;
            h.push(rate);
            iterations += it;
        }
        times.push(t0 + ti as f64 * dt);
    }
    Ok(Output {
        times,
        rates: history,
        iterations,
    })
}

/// One step of one population under input rates `lam` (one per weight distribution); returns
/// its new firing rate.
fn advance(st: &mut State, lam: &[f64], dt: f64, ws: &mut Workspace) -> Result<(f64, u64)> {
    let asm = &*st.asm;
    let mut j = std::mem::take(&mut ws.j);
    j.clear();
    j.extend_from_slice(&asm.leak);
    for ((slots, _), &l) in asm.jumps.iter().zip(lam) {
        if l != 0.0 {
            for &(s, v) in slots {
                j[s] += l * v;
            }
        }
    }
    let mut iters = 0u64;
    let outcome = match st.method {
        UpdateMethod::Gmres => {
            ws.j = j;
            let done = step::implicit_euler(&asm.pat, &asm.tri, dt, &mut st.pv, st.tol, 5000, ws);
            match done {
                Some(n) => {
                    iters = n as u64;
                    Ok(())
                }
                None => Err(Error::invalid(format!(
                    "GMRES did not reach tol={} in 5000 iterations",
                    st.tol
                ))),
            }
        }
        UpdateMethod::Exact => {
            step::exponential(&asm.pat, &j, dt, &mut st.pv);
            ws.j = j;
            Ok(())
        }
        UpdateMethod::Approx(None) => {
            let ok = step::taylor_to_tol(&asm.pat, &j, dt, &mut st.pv, st.tol, st.norm, 1000);
            ws.j = j;
            if ok {
                Ok(())
            } else {
                Err(Error::invalid(format!(
                    "approx update: the Taylor series did not reach tol={} in 1000 terms; decrease dt or increase dv",
                    st.tol
                )))
            }
        }
        UpdateMethod::Approx(Some(k)) => {
            step::taylor_to_order(&asm.pat, &j, dt, &mut st.pv, k);
            ws.j = j;
            Ok(())
        }
    };
    outcome?;
    // As dipde: negative mass is cut and the density renormalised when it drifts from 1.
    let total: f64 = st.pv.iter().map(|x| x.abs()).sum();
    if st.pv.iter().any(|&x| x < 0.0) || (total - 1.0).abs() > 1e-15 {
        st.pv.iter_mut().for_each(|x| *x = x.max(0.0));
        let s: f64 = st.pv.iter().sum();
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::invalid(
                "the density lost all its mass (numerical instability)",
            ));
        }
        st.pv.iter_mut().for_each(|x| *x /= s);
    }
    let mut rate = 0.0;
    for ((_, thr), &l) in asm.jumps.iter().zip(lam) {
        if l != 0.0 {
            for &(i, t) in thr {
                rate += l * t * st.pv[i];
            }
        }
    }
    Ok((rate, iters))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(method: UpdateMethod) -> Population {
        Population {
            tau_m: vec![(0.02, 1.0)],
            v_min: -0.05,
            v_max: 0.02,
            dv: 0.0005,
            method,
            tol: 1e-12,
            norm: Norm::Inf,
            initial_rate: 0.0,
        }
    }

    fn chain(delay: f64) -> Output {
        let pops = vec![pop(UpdateMethod::Gmres), pop(UpdateMethod::Gmres)];
        let conns = vec![
            Connection {
                source: Source::External(0),
                target: 0,
                nsyn: 10.0,
                weights: vec![(0.005, 1.0)],
                delays: vec![(0.0, 1.0)],
            },
            Connection {
                source: Source::Internal(0),
                target: 1,
                nsyn: 10.0,
                weights: vec![(0.005, 1.0)],
                delays: vec![(delay, 1.0)],
            },
        ];
        simulate(&pops, &[External { rate: 50.0 }], &conns, 0.001, 0.0, 0.02).unwrap()
    }

    #[test]
    fn delays_read_the_rate_history() {
        // a delay of d steps feeds step n with the source's rate at step n - 1 - d
        let o = chain(0.002);
        assert_eq!(o.times.len(), 21);
        assert!(o.rates[0][1] > 0.0);
        assert!(o.rates[1][..4].iter().all(|&r| r == 0.0));
        assert!(o.rates[1][4] > 0.0);
        let o0 = chain(0.0);
        assert!(o0.rates[1][1] == 0.0 && o0.rates[1][2] > 0.0);
    }

    #[test]
    fn methods_agree_on_the_steady_state() {
        let run = |m: UpdateMethod| {
            let conns = vec![Connection {
                source: Source::External(0),
                target: 0,
                nsyn: 10.0,
                weights: vec![(0.004, 1.0)],
                delays: vec![(0.0, 1.0)],
            }];
            let o = simulate(
                &[pop(m)],
                &[External { rate: 40.0 }],
                &conns,
                0.0002,
                0.0,
                0.5,
            )
            .unwrap();
            *o.rates[0].last().unwrap()
        };
        let exact = run(UpdateMethod::Exact);
        let implicit = run(UpdateMethod::Gmres);
        let taylor = run(UpdateMethod::Approx(None));
        assert!(exact > 1.0);
        assert!(
            (implicit - exact).abs() < 1e-9 * exact,
            "{implicit} {exact}"
        );
        assert!((taylor - exact).abs() < 1e-9 * exact, "{taylor} {exact}");
    }

    #[test]
    fn bad_inputs_are_errors() {
        let conns = vec![Connection {
            source: Source::External(3),
            target: 0,
            nsyn: 1.0,
            weights: vec![(0.004, 1.0)],
            delays: vec![(0.0, 1.0)],
        }];
        let e = simulate(&[pop(UpdateMethod::Gmres)], &[], &conns, 0.001, 0.0, 0.01).unwrap_err();
        assert!(e.to_string().contains("connection 0"));
        let mut p = pop(UpdateMethod::Gmres);
        p.dv = -1.0;
        assert!(simulate(&[p], &[], &[], 0.001, 0.0, 0.01).is_err());
    }
}
