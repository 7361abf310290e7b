//! PLACEHOLDER until the placement branch lands (replaced by BMTK's exact draw).
use super::morphology::CellGeometry;
use crate::error::{Error, Result};

pub struct SynapseSite {
    pub sec_id: usize,
    pub sec_x: f64,
    pub node: usize,
}

pub struct SynapsePlacer {
    cand: Vec<(usize, i32, f64, f64)>,
    state: u64,
}

fn kind_of(name: &str) -> Option<i32> {
    match name {
        "soma" | "somatic" => Some(1),
        "axon" | "axonal" => Some(2),
        "dend" | "basal" => Some(3),
        "apic" | "apical" => Some(4),
        _ => None,
    }
}

impl SynapsePlacer {
    pub fn new(g: &CellGeometry, seed: u64) -> Self {
        let cand = g
            .seg_node
            .iter()
            .map(|&n| (n, g.node_kind[n], g.node_dist[n], g.node_area[n]))
            .collect();
        SynapsePlacer {
            cand,
            state: seed.wrapping_mul(6364136223846793005).wrapping_add(1),
        }
    }
    fn next(&mut self) -> f64 {
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn place(
        &mut self,
        secs: &[String],
        range: [f64; 2],
        nsyns: usize,
    ) -> Result<Vec<SynapseSite>> {
        let kinds: Vec<i32> = secs
            .iter()
            .map(|s| {
                kind_of(s).ok_or_else(|| Error::invalid(format!("unknown section name '{s}'")))
            })
            .collect::<Result<_>>()?;
        let c: Vec<(usize, f64)> = self
            .cand
            .iter()
            .filter(|c| kinds.contains(&c.1) && c.2 >= range[0] && c.2 <= range[1])
            .map(|c| (c.0, c.3))
            .collect();
        if c.is_empty() {
            return Err(Error::invalid(format!(
                "no segment in {secs:?} within {range:?}"
            )));
        }
        let total: f64 = c.iter().map(|x| x.1).sum();
        let mut out = Vec::new();
        for _ in 0..nsyns {
            let mut u = self.next() * total;
            let mut pick = c[c.len() - 1].0;
            for &(n, w) in &c {
                if u < w {
                    pick = n;
                    break;
                }
                u -= w;
            }
            out.push(SynapseSite {
                sec_id: 0,
                sec_x: 0.5,
                node: pick,
            });
        }
        Ok(out)
    }
}

pub fn node_at(g: &CellGeometry, sec_id: usize, x: f64) -> Result<usize> {
    let nodes: Vec<usize> = (0..g.node_sec.len())
        .filter(|&n| g.node_sec[n] == sec_id && g.node_area[n] > 0.0)
        .collect();
    if nodes.is_empty() {
        return Err(Error::invalid(format!("no section {sec_id}")));
    }
    let i = ((x * nodes.len() as f64) as usize).min(nodes.len() - 1);
    Ok(nodes[i])
}
