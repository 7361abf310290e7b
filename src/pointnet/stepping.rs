//! The simulation loop. Each step updates this rank's neurons (in parallel blocks when there are
//! many) on their ring-buffer slot, records, and feeds step currents. Spikes are delivered once per
//! epoch (the smallest connection delay, so no spike is needed before its epoch ends): this rank's
//! spikes of the epoch, the other ranks' (through `exchange`) and the generators', all in (step,
//! node) order. Every rank adds them onto its neurons in the same order whatever the number of
//! ranks or threads, so the sums, and with them every result, are bitwise the same.

use rayon::prelude::*;

use crate::error::Error;

use super::engine::{Cell, Emission, Engine};

/// Gathers this rank's spikes of an epoch (and its failure, if a model failed: the node and the
/// reason) from every rank; returns all of them.
pub type Exchange<'a> =
    dyn FnMut(&[Emission], Option<(u32, &str)>) -> Result<Vec<Emission>, Error> + 'a;

impl Engine {
    /// Advances `n` steps; a model that became numerically unstable stops the run with an error.
    pub fn run(&mut self, n: u64) -> Result<(), Error> {
        self.run_exchanging(n, None)
    }

    /// Advances `n` steps, exchanging spikes with the other ranks at every epoch's end when
    /// `exchange` is given (every rank must advance by the same steps).
    pub fn run_exchanging(
        &mut self,
        n: u64,
        mut exchange: Option<&mut Exchange<'_>>,
    ) -> Result<(), Error> {
        self.prepare();
        let parallel = self.cells.len() >= self.parallel_min;
        let mut cell_fired = vec![0u32; if parallel { self.cells.len() } else { 0 }];
        for _ in 0..n {
            self.one_step(parallel, &mut cell_fired);
            if self.step % self.epoch == 0 {
                let failure = self.failure();
                if let (None, Some(_)) = (&exchange, &failure) {
                    return Err(Error::Invalid(self.failure_text().unwrap_or_default()));
                }
                let shared = failure.as_ref().map(|(node, why)| (*node, why.as_str()));
                self.deliver_epoch(exchange.as_deref_mut(), shared)?;
                if failure.is_some() {
                    return Err(Error::Invalid(self.failure_text().unwrap_or_default()));
                }
            }
        }
        match self.failure_text() {
            Some(why) => Err(Error::Invalid(why)),
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

    fn failure_text(&self) -> Option<String> {
        self.failure()
            .map(|(node, why)| format!("node {node}: {why}"))
    }

    fn one_step(&mut self, parallel: bool, cell_fired: &mut [u32]) {
        let k = self.step;
        let slots = self.slots;
        let slot = (k % slots as u64) as usize;
        let stride = self.stride;
        let slab = &mut self.ring[slot * stride..(slot + 1) * stride];
        // `chan` is the cell's part of this step's slab: spike ports, then the current
        let update = |c: &mut Cell, chan: &mut [f64]| -> u32 {
            let (spk, cur) = chan.split_at_mut(c.ports);
            let f = c.model.update(spk, cur[0]);
            chan.iter_mut().for_each(|x| *x = 0.0);
            f
        };
        let first_new = self.pending.len();
        if parallel {
            // blocks of cells with their slab parts, split once per step
            let mut parts: Vec<(&mut [Cell], &mut [u32], &mut [f64])> =
                Vec::with_capacity(self.blocks.len());
            let (mut cells, mut flags, mut rest) = (&mut self.cells[..], &mut cell_fired[..], slab);
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
                    self.pending.push((k, self.node_of_cell[ci], f));
                }
            }
        } else {
            for (ci, c) in self.cells.iter_mut().enumerate() {
                let o = c.offset;
                let f = update(c, &mut slab[o..o + c.ports + 1]);
                if f > 0 {
                    self.pending.push((k, self.node_of_cell[ci], f));
                }
            }
        }
        // a recorder keeps one entry per spike: a multiplicity shows as repeated entries
        for &(_, node, f) in &self.pending[first_new..] {
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
        for g in &mut self.currents {
            while g.next < g.changes.len() && g.changes[g.next].0 <= k {
                g.amp = g.changes[g.next].1;
                g.next += 1;
            }
            if g.amp != 0.0 {
                for &(t, d) in &g.targets {
                    let s = ((k + d as u64) % slots as u64) as usize;
                    let c = &self.cells[t as usize];
                    self.ring[s * stride + c.offset + c.ports] += g.amp;
                }
            }
        }
        self.step += 1;
    }

    /// Every spike of the epoch that just ended onto this rank's neurons' ring slots.
    fn deliver_epoch(
        &mut self,
        exchange: Option<&mut Exchange<'_>>,
        failure: Option<(u32, &str)>,
    ) -> Result<(), Error> {
        let local = std::mem::take(&mut self.pending);
        let mut all = match exchange {
            Some(ex) => ex(&local, failure)?,
            None => local,
        };
        while self.gen_next < self.gen_events.len() && self.gen_events[self.gen_next].0 < self.step
        {
            all.push(self.gen_events[self.gen_next]);
            self.gen_next += 1;
        }
        all.sort_unstable();
        let slots = self.slots as u64;
        for &(k, node, mult) in &all {
            let Some(conns) = self.out.get(node as usize) else {
                return Err(Error::Invalid(format!(
                    "spike exchange: node {node} does not exist"
                )));
            };
            for c in conns {
                let s = ((k + c.delay as u64) % slots) as usize;
                self.ring[s * self.stride + c.channel as usize] += c.weight * mult as f64;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Barrier, Mutex};

    use super::*;
    use crate::pointnet::params::{ParamValue, Params};

    fn params(i_e: f64) -> Params {
        let mut m = BTreeMap::new();
        m.insert("I_e".to_string(), ParamValue::Num(i_e));
        m.insert("tau_syn_ex".to_string(), ParamValue::Num(1.0));
        Params::new(m)
    }

    /// A recurrent network with a generator, on `ranks` simulated ranks: neuron i lives on rank
    /// i % ranks. Returns every rank's (spikes, V_m of its neurons at each step).
    fn network(rank: usize, ranks: usize) -> Engine {
        let mut e = Engine::new(0.1).unwrap();
        let n = 60;
        for i in 0..n {
            let local = [i % ranks == rank];
            let model = if i % 2 == 0 {
                "iaf_psc_alpha"
            } else {
                "iaf_cond_alpha"
            };
            let p = if model == "iaf_psc_alpha" {
                params(370.0 + i as f64)
            } else {
                params(270.0 + i as f64)
            };
            e.add_neurons_on(model, &p, 1, Some(&local)).unwrap();
        }
        let times: Vec<f64> = (1..300).map(|k| k as f64 * 0.73).collect();
        let g = e.add_spike_generators(&[0, times.len()], &times).unwrap() as u32;
        let mut src = Vec::new();
        let mut trg = Vec::new();
        let mut w = Vec::new();
        let mut d = Vec::new();
        for i in 0..n as u32 {
            for j in [(i * 7 + 3) % n as u32, (i * 11 + 5) % n as u32] {
                src.push(i);
                trg.push(j);
                let cond = j % 2 == 1;
                w.push(match (i % 3 == 0, cond) {
                    (true, false) => -150.0,
                    (true, true) => -4.0,
                    (false, false) => 200.0,
                    (false, true) => 5.0,
                });
                d.push(1.0 + 0.3 * (i % 4) as f64);
            }
            src.push(g);
            trg.push(i);
            w.push(if i % 2 == 0 { 100.0 } else { 3.0 });
            d.push(1.5);
        }
        let r = vec![0; src.len()];
        e.connect(&src, &trg, &w, &d, &r).unwrap();
        e
    }

    fn record_all(e: &mut Engine, rank: usize, ranks: usize) -> usize {
        let ids: Vec<u32> = (0..60u32).filter(|i| *i as usize % ranks == rank).collect();
        e.add_recording("V_m", &ids, 1, 0, 5000).unwrap()
    }

    type RankResult = (Vec<(u64, u32)>, BTreeMap<u32, Vec<f64>>);

    fn collect(e: &Engine, rid: usize) -> RankResult {
        let r = e.recording(rid).unwrap();
        let mut v: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        let ncol = r.neurons.len();
        for (j, &c) in r.neurons.iter().enumerate() {
            let node = e.node_of_cell[c as usize];
            v.insert(node, r.data.iter().skip(j).step_by(ncol).copied().collect());
        }
        (e.spikes().to_vec(), v)
    }

    /// Two ranks (threads exchanging over channels) give the very spikes and potentials of one.
    #[test]
    fn ranks_equal_one_process() {
        let mut one = network(0, 1);
        let rid = record_all(&mut one, 0, 1);
        one.run(5000).unwrap();
        let (mut spikes1, v1) = collect(&one, rid);
        spikes1.sort_unstable();
        assert!(spikes1.len() > 200, "{}", spikes1.len());

        let ranks = 2;
        // an allgather between threads: every rank posts its spikes, waits for all, reads all, waits
        let posted = Arc::new(Mutex::new(vec![Vec::new(); ranks]));
        let barrier = Arc::new(Barrier::new(ranks));
        let mut handles = Vec::new();
        for rank in 0..ranks {
            let (posted, barrier) = (posted.clone(), barrier.clone());
            handles.push(std::thread::spawn(move || {
                let mut e = network(rank, ranks);
                let rid = record_all(&mut e, rank, ranks);
                let mut ex =
                    |local: &[Emission], _f: Option<(u32, &str)>| -> Result<Vec<Emission>, Error> {
                        posted.lock().unwrap()[rank] = local.to_vec();
                        barrier.wait();
                        let all = posted.lock().unwrap().concat();
                        barrier.wait();
                        Ok(all)
                    };
                // in chunks that end inside epochs, as a progress bar would run it
                for chunk in [1234, 2000, 1766] {
                    e.run_exchanging(chunk, Some(&mut ex)).unwrap();
                }
                collect(&e, rid)
            }));
        }
        let mut spikes2 = Vec::new();
        let mut v2 = BTreeMap::new();
        for h in handles {
            let (s, v) = h.join().unwrap();
            spikes2.extend(s);
            v2.extend(v);
        }
        spikes2.sort_unstable();
        let first_difference = spikes1.iter().zip(&spikes2).position(|(a, b)| a != b);
        assert!(
            spikes1.len() == spikes2.len() && first_difference.is_none(),
            "{} spikes in one process, {} on two ranks; first difference at {first_difference:?}",
            spikes1.len(),
            spikes2.len()
        );
        assert_eq!(v1.len(), v2.len());
        for (node, trace) in &v1 {
            let other = &v2[node];
            assert!(
                trace
                    .iter()
                    .zip(other)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "V_m of node {node} differs"
            );
        }
    }
}
