//! The network the simulation loop runs: neurons, spike and step-current generators, static
//! synapses with delays held in per-neuron ring buffers, multimeter-style recorders and the spike
//! record. Under MPI every rank holds every node, but only its own neurons are simulated: the
//! others are stand-ins whose spikes arrive through the exchange, and only connections onto its
//! own neurons are kept. The loop itself is in `stepping.rs`.

use crate::error::Error;

use super::models::{build, Model};
use super::params::Params;

/// Below this many neurons a step is cheaper serially than split over threads.
const PARALLEL_MIN: usize = 4096;

pub(super) struct Cell {
    pub(super) model: Box<dyn Model>,
    pub(super) ports: usize,
    /// where this cell's channels (spike ports, then current) start within a ring slot
    pub(super) offset: usize,
}

/// 16 bytes per connection (tens of millions at the Allen V1 model's size): the target's ring
/// channel (its cell's offset plus the port) is resolved when the connection is made.
#[derive(Clone, Copy)]
pub(super) struct Conn {
    pub(super) channel: u32,
    pub(super) delay: u32,
    pub(super) weight: f64,
}

#[derive(Clone, Copy)]
enum Kind {
    Neuron(u32),
    /// a neuron simulated on another rank (its model's prototype, for checking connections)
    Remote(u32),
    Generator(u32),
}

/// Where a connection or an input ends: one of this rank's neurons, or one simulated elsewhere.
enum Target {
    Local(usize),
    Remote(usize),
}

pub(super) struct CurrentGen {
    /// (step in which the amplitude changes, amplitude)
    pub(super) changes: Vec<(u64, f64)>,
    pub(super) next: usize,
    pub(super) amp: f64,
    pub(super) targets: Vec<(u32, u32)>,
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

/// A spike as the loop delivers and exchanges it: (step of emission, node id, multiplicity).
pub type Emission = (u64, u32, u32);

pub struct Engine {
    pub(super) dt: f64,
    kinds: Vec<Kind>,
    pub(super) cells: Vec<Cell>,
    /// one model per add_neurons call, standing in for that call's neurons of other ranks
    protos: Vec<Box<dyn Model>>,
    /// per generator: (step of emission, multiplicity), sorted
    gens: Vec<Vec<(u64, u32)>>,
    /// per source node: its connections onto this rank's neurons
    pub(super) out: Vec<Vec<Conn>>,
    pub(super) currents: Vec<CurrentGen>,
    pub(super) recordings: Vec<Recording>,
    pub(super) slots: usize,
    pub(super) step: u64,
    pub(super) spikes: Vec<(u64, u32)>,
    /// every generator emission, in (step, node) order, with a cursor
    pub(super) gen_events: Vec<Emission>,
    pub(super) gen_next: usize,
    /// this epoch's spikes of this rank's neurons, in (step, node) order
    pub(super) pending: Vec<Emission>,
    /// the smallest delay (steps) of any connection, whichever rank keeps it: spikes are delivered
    /// (and exchanged between ranks) once per this many steps
    pub(super) epoch: u64,
    pub(super) node_of_cell: Vec<u32>,
    /// the ring buffers of all cells, slot-major: one step reads one contiguous slab
    pub(super) ring: Vec<f64>,
    pub(super) stride: usize,
    /// cell index at which each parallel block starts (last entry: number of cells)
    pub(super) blocks: Vec<usize>,
    pub(super) parallel_min: usize,
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
            protos: Vec::new(),
            gens: Vec::new(),
            out: Vec::new(),
            currents: Vec::new(),
            recordings: Vec::new(),
            slots: 0,
            step: 0,
            spikes: Vec::new(),
            gen_events: Vec::new(),
            gen_next: 0,
            pending: Vec::new(),
            epoch: u64::MAX,
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
        self.add_neurons_on(model, params, n, None)
    }

    /// Adds `n` neurons of `model`, of which this rank simulates those `local` marks (all when
    /// None); returns the id of the first. The parameters are checked on every rank.
    pub fn add_neurons_on(
        &mut self,
        model: &str,
        params: &Params,
        n: usize,
        local: Option<&[bool]>,
    ) -> Result<usize, Error> {
        self.check_open()?;
        if let Some(l) = local {
            if l.len() != n {
                return Err(Error::Invalid(format!(
                    "add_neurons: {} local flags for {n} neurons",
                    l.len()
                )));
            }
        }
        let proto = build(model, params, self.dt)?;
        let proto_id = self.protos.len() as u32;
        let first = self.kinds.len();
        for i in 0..n {
            if local.is_none_or(|l| l[i]) {
                // a copy of the prototype where the model shares its constants between copies
                let m = match proto.copy() {
                    Some(m) => m,
                    None => build(model, params, self.dt)?,
                };
                let ports = m.n_ports();
                let offset = self.stride;
                if offset + ports + 1 > u32::MAX as usize {
                    return Err(Error::Invalid(
                        "add_neurons: more ring channels than 2^32 on this rank".into(),
                    ));
                }
                self.stride += ports + 1;
                self.kinds.push(Kind::Neuron(self.cells.len() as u32));
                self.cells.push(Cell {
                    model: m,
                    ports,
                    offset,
                });
            } else {
                self.kinds.push(Kind::Remote(proto_id));
            }
            self.out.push(Vec::new());
        }
        self.protos.push(proto);
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

    fn target_of(&self, id: u32, what: &str) -> Result<Target, Error> {
        match self.kinds.get(id as usize) {
            Some(Kind::Neuron(i)) => Ok(Target::Local(*i as usize)),
            Some(Kind::Remote(p)) => Ok(Target::Remote(*p as usize)),
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
            let target = self.target_of(targets[i], "connect: target")?;
            let w = weights[i];
            if !w.is_finite() {
                return Err(Error::Invalid(format!("connect: weight {w} is not finite")));
            }
            let model = match target {
                Target::Local(t) => &self.cells[t].model,
                Target::Remote(p) => &self.protos[p],
            };
            let (port, weight) = model.route(receptors[i], w).map_err(|e| {
                Error::Invalid(format!("connect {} -> {}: {e}", sources[i], targets[i]))
            })?;
            let delay = self.delay_steps(delays[i])?;
            self.epoch = self.epoch.min(delay as u64);
            if let Target::Local(t) = target {
                self.out[sources[i] as usize].push(Conn {
                    channel: (self.cells[t].offset + port) as u32,
                    delay,
                    weight,
                });
            }
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
            // a neuron of another rank gets the current there
            if let Target::Local(c) = self.target_of(t, "step current: target")? {
                tg.push((c as u32, d));
            }
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
            let Target::Local(c) = self.target_of(n, "recording: node")? else {
                return Err(Error::Invalid(format!(
                    "recording: node {n} is simulated on another rank"
                )));
            };
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

    pub(super) fn prepare(&mut self) {
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
        // cell offsets and the stride were set as the cells were added
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
                Kind::Remote(_) => {}
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
