//! The simulation loop: neurons, spike and step-current generators, static synapses with delays
//! held in per-neuron ring buffers, multimeter-style recorders and the spike record.

use rayon::prelude::*;

use crate::error::Error;

use super::models::{build, Model};
use super::params::Params;

/// Below this many neurons a step is cheaper serially than split over threads.
const PARALLEL_MIN: usize = 4096;

struct Cell {
    model: Box<dyn Model>,
    ports: usize,
    /// where this cell's channels (spike ports, then current) start within a ring slot
    offset: usize,
}

#[derive(Clone, Copy)]
struct Conn {
    target: u32,
    port: u16,
    delay: u32,
    weight: f64,
}

#[derive(Clone, Copy)]
enum Kind {
    Neuron(u32),
    Generator(u32),
}

struct CurrentGen {
    /// (step in which the amplitude changes, amplitude)
    changes: Vec<(u64, f64)>,
    next: usize,
    amp: f64,
    targets: Vec<(u32, u32)>,
}

pub struct Recording {
    pub variable: String,
    pub neurons: Vec<u32>,
    pub interval: u64,
    pub start: u64,
    pub stop: u64,
    /// one row per recorded time, one column per neuron
    pub data: Vec<f64>,
    pub times: Vec<u64>,
}

pub struct Engine {
    dt: f64,
    kinds: Vec<Kind>,
    cells: Vec<Cell>,
    /// per generator: (step of emission, multiplicity), sorted
    gens: Vec<Vec<(u64, u32)>>,
    out: Vec<Vec<Conn>>,
    currents: Vec<CurrentGen>,
    recordings: Vec<Recording>,
    slots: usize,
    step: u64,
    spikes: Vec<(u64, u32)>,
    /// every generator emission as (step, node id, multiplicity), in step order, with a cursor
    gen_events: Vec<(u64, u32, u32)>,
    gen_next: usize,
    node_of_cell: Vec<u32>,
    /// the ring buffers of all cells, slot-major: one step reads one contiguous slab
    ring: Vec<f64>,
    stride: usize,
    /// cell index at which each parallel block starts (last entry: number of cells)
    blocks: Vec<usize>,
    parallel_min: usize,
}

/// NEST's rounding of a spike time onto the grid: the first step boundary at or after `t`.
pub fn stamp_of(t: f64, dt: f64) -> u64 {
    let tics_per_step = (dt * 1000.0).round() as i64;
    let n = (t * 1000.0) as i64;
    let mut s = n / tics_per_step;
    if (s as f64) * dt < t {
        s += 1;
    }
    s.max(0) as u64
}

impl Engine {
    pub fn new(dt: f64) -> Result<Self, Error> {
        let tics = dt * 1000.0;
        if dt.is_nan() || dt <= 0.0 || (tics - tics.round()).abs() > 1e-9 || tics.round() < 1.0 {
            return Err(Error::Invalid(format!(
                "dt {dt} ms is not a positive multiple of NEST's 0.001 ms clock tic"
            )));
        }
        Ok(Engine {
            dt,
            kinds: Vec::new(),
            cells: Vec::new(),
            gens: Vec::new(),
            out: Vec::new(),
            currents: Vec::new(),
            recordings: Vec::new(),
            slots: 0,
            step: 0,
            spikes: Vec::new(),
            gen_events: Vec::new(),
            gen_next: 0,
            node_of_cell: Vec::new(),
            ring: Vec::new(),
            stride: 0,
            blocks: Vec::new(),
            parallel_min: PARALLEL_MIN,
        })
    }

    pub fn dt(&self) -> f64 {
        self.dt
    }

    pub fn step(&self) -> u64 {
        self.step
    }

    pub fn n_nodes(&self) -> usize {
        self.kinds.len()
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.slots > 0 {
            return Err(Error::Invalid(
                "the network cannot change once the simulation has started".into(),
            ));
        }
        Ok(())
    }

    /// Adds `n` neurons of `model`; returns the id of the first.
    pub fn add_neurons(&mut self, model: &str, params: &Params, n: usize) -> Result<usize, Error> {
        self.check_open()?;
        let first = self.kinds.len();
        for _ in 0..n {
            let m = build(model, params, self.dt)?;
            let ports = m.n_ports();
            self.kinds.push(Kind::Neuron(self.cells.len() as u32));
            self.cells.push(Cell {
                model: m,
                ports,
                offset: 0,
            });
            self.out.push(Vec::new());
        }
        Ok(first)
    }

    /// Adds one spike generator per train (`offsets` into `times`, ms); returns the first id.
    /// Times fall onto the grid as NEST's precise spike generators put them for grid-based neurons.
    pub fn add_spike_generators(
        &mut self,
        offsets: &[usize],
        times: &[f64],
    ) -> Result<usize, Error> {
        self.check_open()?;
        let first = self.kinds.len();
        for w in offsets.windows(2) {
            let mut steps: Vec<u64> = Vec::with_capacity(w[1] - w[0]);
            for &t in &times[w[0]..w[1]] {
                if t.is_nan() || t <= 0.0 || !t.is_finite() {
                    return Err(Error::Invalid(format!(
                        "spike generator {}: spike time {t} ms is not > 0",
                        self.kinds.len()
                    )));
                }
                steps.push(stamp_of(t, self.dt) - 1);
            }
            steps.sort_unstable();
            let mut emits: Vec<(u64, u32)> = Vec::new();
            for s in steps {
                match emits.last_mut() {
                    Some((last, m)) if *last == s => *m += 1,
                    _ => emits.push((s, 1)),
                }
            }
            self.kinds.push(Kind::Generator(self.gens.len() as u32));
            self.gens.push(emits);
            self.out.push(Vec::new());
        }
        Ok(first)
    }

    fn delay_steps(&self, delay: f64) -> Result<u32, Error> {
        // NEST rounds a delay to the nearest step and refuses one below the resolution
        let d = (delay / self.dt).round();
        if !delay.is_finite() || d < 1.0 || delay < self.dt * (1.0 - 1e-9) {
            return Err(Error::Invalid(format!(
                "delay {delay} ms is below the resolution dt = {} ms",
                self.dt
            )));
        }
        Ok(d as u32)
    }

    fn neuron_of(&self, id: u32, what: &str) -> Result<usize, Error> {
        match self.kinds.get(id as usize) {
            Some(Kind::Neuron(i)) => Ok(*i as usize),
            Some(Kind::Generator(_)) => Err(Error::Invalid(format!(
                "{what} {id} is a spike generator, not a neuron"
            ))),
            None => Err(Error::Invalid(format!("{what} {id} does not exist"))),
        }
    }

    /// One static synapse per (source, target) pair.
    pub fn connect(
        &mut self,
        sources: &[u32],
        targets: &[u32],
        weights: &[f64],
        delays: &[f64],
        receptors: &[u32],
    ) -> Result<(), Error> {
        self.check_open()?;
        let n = sources.len();
        if targets.len() != n || weights.len() != n || delays.len() != n || receptors.len() != n {
            return Err(Error::Invalid(
                "connect: sources, targets, weights, delays and receptors differ in length".into(),
            ));
        }
        for i in 0..n {
            if sources[i] as usize >= self.kinds.len() {
                return Err(Error::Invalid(format!(
                    "connect: source {} does not exist",
                    sources[i]
                )));
            }
            let t = self.neuron_of(targets[i], "connect: target")?;
            let w = weights[i];
            if !w.is_finite() {
                return Err(Error::Invalid(format!("connect: weight {w} is not finite")));
            }
            let model = &self.cells[t].model;
            let (port, weight) = model.route(receptors[i], w).map_err(|e| {
                Error::Invalid(format!("connect {} -> {}: {e}", sources[i], targets[i]))
            })?;
            let delay = self.delay_steps(delays[i])?;
            self.out[sources[i] as usize].push(Conn {
                target: t as u32,
                port: port as u16,
                delay,
                weight,
            });
        }
        Ok(())
    }

    /// A step current generator: amplitude `amps[i]` (pA) from time `times[i]` (ms, on the grid,
    /// > 0), sent to `targets` over connections of `delay` ms.
    pub fn add_step_current(
        &mut self,
        times: &[f64],
        amps: &[f64],
        targets: &[u32],
        delay: f64,
    ) -> Result<(), Error> {
        self.check_open()?;
        if times.len() != amps.len() {
            return Err(Error::Invalid(
                "step current: amplitude times and values differ in length".into(),
            ));
        }
        let mut changes = Vec::with_capacity(times.len());
        let mut last = 0u64;
        for (&t, &a) in times.iter().zip(amps) {
            let s = (t / self.dt).round();
            if !t.is_finite() || (s * self.dt - t).abs() > 1e-9 * t.abs().max(1.0) {
                return Err(Error::Invalid(format!(
                    "step current: amplitude time {t} ms is not on the dt = {} ms grid",
                    self.dt
                )));
            }
            let s = s as u64;
            if s == 0 || (s <= last && !changes.is_empty()) {
                return Err(Error::Invalid(format!(
                    "step current: amplitude times must be > 0 and increasing (at {t} ms)"
                )));
            }
            if !a.is_finite() {
                return Err(Error::Invalid(format!(
                    "step current: amplitude {a} is not finite"
                )));
            }
            last = s;
            // the generator takes a new amplitude one step ahead of its time
            changes.push((s - 1, a));
        }
        let d = self.delay_steps(delay)?;
        let mut tg = Vec::with_capacity(targets.len());
        for &t in targets {
            tg.push((self.neuron_of(t, "step current: target")? as u32, d));
        }
        self.currents.push(CurrentGen {
            changes,
            next: 0,
            amp: 0.0,
            targets: tg,
        });
        Ok(())
    }

    /// Records `variable` of `neurons` at times k*dt with k a multiple of `interval` steps and
    /// start < k <= stop; returns the recording's index.
    pub fn add_recording(
        &mut self,
        variable: &str,
        neurons: &[u32],
        interval: u64,
        start: u64,
        stop: u64,
    ) -> Result<usize, Error> {
        self.check_open()?;
        if interval == 0 {
            return Err(Error::Invalid(
                "recording interval must be at least one step".into(),
            ));
        }
        let mut cells = Vec::with_capacity(neurons.len());
        for &n in neurons {
            let c = self.neuron_of(n, "recording: node")?;
            let m = &self.cells[c].model;
            let recordables = m.recordables();
            if !recordables.iter().any(|r| r == variable) {
                return Err(Error::Invalid(format!(
                    "node {n} cannot record '{variable}'; its recordables are {recordables:?}"
                )));
            }
            cells.push(c as u32);
        }
        self.recordings.push(Recording {
            variable: variable.to_string(),
            neurons: cells,
            interval,
            start,
            stop,
            data: Vec::new(),
            times: Vec::new(),
        });
        Ok(self.recordings.len() - 1)
    }

    pub fn recording(&self, i: usize) -> Option<&Recording> {
        self.recordings.get(i)
    }

    fn prepare(&mut self) {
        if self.slots > 0 {
            return;
        }
        let mut max_d = 1u32;
        for c in self.out.iter().flatten() {
            max_d = max_d.max(c.delay);
        }
        for g in &self.currents {
            for t in &g.targets {
                max_d = max_d.max(t.1);
            }
        }
        self.slots = max_d as usize + 1;
        let mut off = 0;
        for c in &mut self.cells {
            c.offset = off;
            off += c.ports + 1;
        }
        self.stride = off;
        self.ring = vec![0.0; self.slots * self.stride];
        let per_block = self
            .cells
            .len()
            .div_ceil(rayon::current_num_threads().max(1) * 8)
            .max(1);
        self.blocks = (0..self.cells.len()).step_by(per_block).collect();
        self.blocks.push(self.cells.len());
        self.node_of_cell = vec![0; self.cells.len()];
        for (id, k) in self.kinds.iter().enumerate() {
            match k {
                Kind::Neuron(i) => self.node_of_cell[*i as usize] = id as u32,
                Kind::Generator(g) => {
                    for &(step, mult) in &self.gens[*g as usize] {
                        self.gen_events.push((step, id as u32, mult));
                    }
                }
            }
        }
        self.gen_events.sort_unstable();
        self.gen_next = 0;
    }

    /// Advances `n` steps; a model that became numerically unstable stops the run with an error.
    pub fn run(&mut self, n: u64) -> Result<(), Error> {
        self.advance(n);
        match self.failure() {
            Some((node, why)) => Err(Error::Invalid(format!("node {node}: {why}"))),
            None => Ok(()),
        }
    }

    /// The first neuron (by id) whose model failed, with the reason.
    pub fn failure(&self) -> Option<(u32, String)> {
        self.cells.iter().enumerate().find_map(|(ci, c)| {
            c.model
                .failure()
                .map(|why| (self.node_of_cell.get(ci).copied().unwrap_or(0), why))
        })
    }

    fn advance(&mut self, n: u64) {
        self.prepare();
        let slots = self.slots;
        let parallel = self.cells.len() >= self.parallel_min;
        let mut cell_fired = if parallel {
            vec![0u32; self.cells.len()]
        } else {
            Vec::new()
        };
        // (node id, multiplicity) of every source that fired in the current step
        let mut fired: Vec<(u32, u32)> = Vec::new();
        for _ in 0..n {
            let k = self.step;
            let slot = (k % slots as u64) as usize;
            fired.clear();
            let stride = self.stride;
            let slab = &mut self.ring[slot * stride..(slot + 1) * stride];
            // `chan` is the cell's part of this step's slab: spike ports, then the current
            let update = |c: &mut Cell, chan: &mut [f64]| -> u32 {
                let (spk, cur) = chan.split_at_mut(c.ports);
                let f = c.model.update(spk, cur[0]);
                chan.iter_mut().for_each(|x| *x = 0.0);
                f
            };
            if parallel {
                // blocks of cells with their slab parts, split once per step
                let mut parts: Vec<(&mut [Cell], &mut [u32], &mut [f64])> =
                    Vec::with_capacity(self.blocks.len());
                let (mut cells, mut flags, mut rest) =
                    (&mut self.cells[..], &mut cell_fired[..], slab);
                for w in self.blocks.windows(2) {
                    let n = w[1] - w[0];
                    let (c, c_rest) = cells.split_at_mut(n);
                    let (f, f_rest) = flags.split_at_mut(n);
                    let width = c.iter().map(|x| x.ports + 1).sum();
                    let (r, r_rest) = rest.split_at_mut(width);
                    parts.push((c, f, r));
                    cells = c_rest;
                    flags = f_rest;
                    rest = r_rest;
                }
                parts.into_par_iter().for_each(|(cs, fs, r)| {
                    let mut o = 0;
                    for (c, f) in cs.iter_mut().zip(fs.iter_mut()) {
                        let w = c.ports + 1;
                        *f = update(c, &mut r[o..o + w]);
                        o += w;
                    }
                });
                for (ci, &f) in cell_fired.iter().enumerate() {
                    if f > 0 {
                        fired.push((self.node_of_cell[ci], f));
                    }
                }
            } else {
                for (ci, c) in self.cells.iter_mut().enumerate() {
                    let o = c.offset;
                    let f = update(c, &mut slab[o..o + c.ports + 1]);
                    if f > 0 {
                        fired.push((self.node_of_cell[ci], f));
                    }
                }
            }
            // a recorder keeps one entry per spike: a multiplicity shows as repeated entries
            for &(node, f) in &fired {
                for _ in 0..f {
                    self.spikes.push((k + 1, node));
                }
            }
            for r in &mut self.recordings {
                let t = k + 1;
                if t % r.interval == 0 && t > r.start && t <= r.stop {
                    r.times.push(t);
                    for &c in &r.neurons {
                        r.data.push(self.cells[c as usize].model.get(&r.variable));
                    }
                }
            }
            while self.gen_next < self.gen_events.len() && self.gen_events[self.gen_next].0 == k {
                let (_, node, mult) = self.gen_events[self.gen_next];
                fired.push((node, mult));
                self.gen_next += 1;
            }
            for &(node, f) in &fired {
                for c in &self.out[node as usize] {
                    let s = ((k + c.delay as u64) % slots as u64) as usize;
                    let o = self.cells[c.target as usize].offset;
                    self.ring[s * self.stride + o + c.port as usize] += c.weight * f as f64;
                }
            }
            for g in &mut self.currents {
                while g.next < g.changes.len() && g.changes[g.next].0 <= k {
                    g.amp = g.changes[g.next].1;
                    g.next += 1;
                }
                if g.amp != 0.0 {
                    for &(t, d) in &g.targets {
                        let s = ((k + d as u64) % slots as u64) as usize;
                        let c = &self.cells[t as usize];
                        self.ring[s * self.stride + c.offset + c.ports] += g.amp;
                    }
                }
            }
            self.step += 1;
        }
    }

    /// Spikes of the neurons so far: (time stamp in steps, node id), in emission order.
    pub fn spikes(&self) -> &[(u64, u32)] {
        &self.spikes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pointnet::params::ParamValue;
    use std::collections::BTreeMap;

    fn params(kv: &[(&str, f64)]) -> Params {
        Params::new(
            kv.iter()
                .map(|(k, v)| (k.to_string(), ParamValue::Num(*v)))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    /// A constant current above rheobase: the interspike interval of a LIF is known in closed form.
    #[test]
    fn lif_rate_matches_closed_form() {
        let dt = 0.01;
        let mut e = Engine::new(dt).unwrap();
        let p = params(&[("I_e", 500.0)]);
        e.add_neurons("iaf_psc_delta", &p, 1).unwrap();
        e.run(20000).unwrap();
        let s = e.spikes();
        assert!(s.len() > 5);
        // V(t) = R I (1 - exp(-t/tau)); R = tau/C = 0.04 GOhm, RI = 20 mV, threshold 15 mV
        let t_fire = -10.0 * (1.0f64 - 15.0 / 20.0).ln();
        let isi = (s[2].0 - s[1].0) as f64 * dt;
        assert!((isi - (t_fire + 2.0)).abs() <= 2.0 * dt, "isi {isi}");
    }

    #[test]
    fn errors_are_clear() {
        let mut e = Engine::new(0.1).unwrap();
        let err = e
            .add_neurons("hh_psc_alpha", &params(&[]), 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("iaf_psc_alpha"), "{err}");
        let err = e
            .add_neurons("iaf_psc_alpha", &params(&[("tau_foo", 1.0)]), 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tau_foo"), "{err}");
        e.add_neurons("iaf_psc_alpha", &params(&[]), 2).unwrap();
        let err = e
            .connect(&[0], &[1], &[1.0], &[0.05], &[0])
            .unwrap_err()
            .to_string();
        assert!(err.contains("below the resolution"), "{err}");
        assert!(e.connect(&[0], &[1], &[1.0], &[0.1], &[2]).is_err());
    }

    /// Threads change nothing: the same network updated serially and in parallel blocks.
    #[test]
    fn parallel_equals_serial() {
        let run = |parallel_min: usize| {
            let mut e = Engine::new(0.1).unwrap();
            e.parallel_min = parallel_min;
            let n = 300u32;
            for i in 0..n {
                let p = params(&[
                    ("I_e", 300.0 + i as f64),
                    ("tau_syn_ex", 1.0 + (i % 7) as f64),
                ]);
                e.add_neurons("iaf_psc_alpha", &p, 1).unwrap();
            }
            let times: Vec<f64> = (1..200).map(|k| k as f64 * 0.37).collect();
            let g = e.add_spike_generators(&[0, times.len()], &times).unwrap() as u32;
            let src: Vec<u32> = (0..n)
                .map(|i| if i % 3 == 0 { g } else { (i * 7) % n })
                .collect();
            let trg: Vec<u32> = (0..n).map(|i| (i * 13 + 5) % n).collect();
            let w: Vec<f64> = (0..n)
                .map(|i| if i % 2 == 0 { 80.0 } else { -60.0 })
                .collect();
            e.connect(&src, &trg, &w, &vec![1.5; n as usize], &vec![0; n as usize])
                .unwrap();
            e.run(2000).unwrap();
            e.spikes().to_vec()
        };
        let serial = run(usize::MAX);
        assert!(serial.len() > 100);
        assert_eq!(serial, run(1));
    }

    #[test]
    fn grid_stamps() {
        assert_eq!(stamp_of(1.0, 0.1), 10);
        assert_eq!(stamp_of(1.05, 0.1), 11);
        assert_eq!(stamp_of(0.001, 0.001), 1);
    }
}
