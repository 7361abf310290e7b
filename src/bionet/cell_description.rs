//! A cell given section by section: what a user's `model_processing` function (run in Python on
//! bmtk-rs's cell object) leaves behind, turned into a [`CellModel`].
//!
//! The Allen processings compute their models from a table per section type ([`super::cell`]);
//! a user function may give every section, and every segment, its own values, so here each
//! section carries its geometry, nseg, Ra, and per segment cm, ena/ek and the parameters of its
//! inserted mechanisms. bmtk calls the processing functions on a cell whose sections have
//! nseg = 1 (or the nseg the function set) and applies the config's `dL` afterwards; NEURON then
//! gives every new segment the values of the old segment that contains its centre, which is
//! what [`CellDescription::build`] does when `dL` changes nseg.

use super::cell::{param_default, soma_node, CellModel, MechPlacement, DEFAULT_CM};
use super::import3d::{set_arcs, Pt3d};
use super::mechanisms::user::UserMechs;
use super::mechanisms::{create_index, lookup_index, user, ParamKind};
use super::morphology::{Morphology, Section};
use crate::error::{Error, Result};

/// A mechanism's parameters as set on one section: (name, one value per segment).
pub type ParamValues = Vec<(String, Vec<f64>)>;

/// One section as the user function left it.
#[derive(Debug, Clone)]
pub struct SectionDesc {
    pub kind: i32,
    pub name_index: usize,
    pub parent: Option<usize>,
    pub parent_x: f64,
    /// 3-d points (x, y, z, diam); empty for a section created by the function, which
    /// define_shape draws from `length` and `diam`.
    pub pts: Vec<[f32; 4]>,
    /// Import3d's logical connection point (how define_shape moves the section).
    pub logical: Option<[f32; 3]>,
    pub length: f64,
    pub diam: f64,
    pub nseg: usize,
    pub ra: f64,
    /// Per segment; `ena`/`ek` NaN where the function did not set them (NEURON's defaults).
    pub cm: Vec<f64>,
    pub ena: Vec<f64>,
    pub ek: Vec<f64>,
    /// Inserted mechanisms with the parameters set on them, one value per segment.
    pub mechs: Vec<(String, ParamValues)>,
}

impl SectionDesc {
    pub fn name(&self) -> String {
        format!(
            "{}[{}]",
            super::morphology::type_name(self.kind),
            self.name_index
        )
    }
}

/// A whole cell: its sections in `hobj.all` order.
#[derive(Debug, Clone)]
pub struct CellDescription {
    pub sections: Vec<SectionDesc>,
    /// The function called h.define_shape() (sections without points make it implicit).
    pub define_shape: bool,
}

/// The segment of an `old`-segment section that contains the centre of segment `j` of `new`.
fn old_segment(j: usize, new: usize, old: usize) -> usize {
    let x = (j as f64 + 0.5) / new as f64;
    ((x * old as f64) as usize).min(old - 1)
}

impl CellDescription {
    fn check(&self) -> Result<()> {
        let n = self.sections.len();
        for (i, s) in self.sections.iter().enumerate() {
            let bad = |what: String| Error::invalid(format!("section {}: {what}", s.name()));
            if s.nseg == 0 {
                return Err(bad("nseg must be at least 1".into()));
            }
            for (what, v) in [("cm", &s.cm), ("ena", &s.ena), ("ek", &s.ek)] {
                if v.len() != s.nseg {
                    return Err(bad(format!(
                        "{what} has {} values for {} segments",
                        v.len(),
                        s.nseg
                    )));
                }
            }
            if let Some(p) = s.parent {
                if p >= n || p == i {
                    return Err(bad(format!("parent index {p} is not another section")));
                }
            }
            if !(0.0..=1.0).contains(&s.parent_x) {
                return Err(bad(format!("connected at x = {}", s.parent_x)));
            }
            if !(s.ra > 0.0 && s.ra.is_finite()) {
                return Err(bad(format!("Ra = {}", s.ra)));
            }
            if s.pts.is_empty() && !(s.length > 0.0 && s.diam > 0.0) {
                return Err(bad(format!(
                    "a new section needs L > 0 and diam > 0 (L = {}, diam = {})",
                    s.length, s.diam
                )));
            }
            if !s.pts.is_empty() && s.pts.len() < 2 {
                return Err(bad("fewer than two 3-d points".into()));
            }
            for (m, params) in &s.mechs {
                for (p, v) in params {
                    if v.len() != s.nseg {
                        return Err(bad(format!(
                            "{p}_{m} has {} values for {} segments",
                            v.len(),
                            s.nseg
                        )));
                    }
                }
            }
        }
        // every section reaches the root without a cycle
        for (i, s) in self.sections.iter().enumerate() {
            let mut at = s.parent;
            let mut steps = 0;
            while let Some(p) = at {
                steps += 1;
                if steps > n {
                    return Err(Error::invalid(format!(
                        "section {}: its parents form a cycle",
                        self.sections[i].name()
                    )));
                }
                at = self.sections[p].parent;
            }
        }
        Ok(())
    }

    /// The cell ready to simulate; `dl` is the config's dL (None keeps the described nseg).
    pub fn build(&self, dl: Option<f64>, user: &UserMechs) -> Result<CellModel> {
        self.check()?;
        let mut fresh = Vec::new();
        let sections: Vec<Section> = self
            .sections
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut pts: Vec<Pt3d> = d
                    .pts
                    .iter()
                    .map(|p| Pt3d {
                        x: p[0],
                        y: p[1],
                        z: p[2],
                        d: p[3],
                        arc: 0.0,
                    })
                    .collect();
                set_arcs(&mut pts);
                if pts.is_empty() {
                    fresh.push((i, d.length, d.diam));
                }
                Section {
                    kind: d.kind,
                    name_index: d.name_index,
                    parent: d.parent,
                    parent_x: d.parent_x,
                    pts,
                    logical: d.logical,
                    nseg: d.nseg,
                }
            })
            .collect();
        let mut morphology = Morphology { sections };
        if self.define_shape || !fresh.is_empty() {
            morphology.define_shape(&fresh);
        }
        if let Some(dl) = dl {
            morphology.set_segment_dl(dl)?;
        }
        let descs = &self.sections;
        let geometry = morphology.geometry_per_section(&|i| descs[i].ra, None, None)?;
        let n = geometry.n_nodes();
        let seg_nodes = geometry.seg_node.clone();

        // per BMTK segment: (section, segment of the description whose values it takes)
        let mut seg_src = Vec::with_capacity(seg_nodes.len());
        for (si, s) in morphology.sections.iter().enumerate() {
            for j in 0..s.nseg {
                seg_src.push((si, old_segment(j, s.nseg, descs[si].nseg)));
            }
        }
        let mut cm = vec![DEFAULT_CM; n];
        let mut ena = vec![None; n];
        let mut ek = vec![None; n];
        let finite = |v: f64| Some(v).filter(|v| !v.is_nan());
        for (&node, &(si, k)) in seg_nodes.iter().zip(&seg_src) {
            cm[node] = descs[si].cm[k];
            ena[node] = finite(descs[si].ena[k]);
            ek[node] = finite(descs[si].ek[k]);
        }

        // mechanisms by registry index, each with its sections' parameter tables
        let mut regs: Vec<usize> = Vec::new();
        let mut per_sec: Vec<Vec<(usize, &ParamValues)>> = vec![Vec::new(); descs.len()];
        for (si, d) in descs.iter().enumerate() {
            for (name, params) in &d.mechs {
                let reg = lookup_index(name, user)
                    .map_err(|e| Error::invalid(format!("section {}: {e}", d.name())))?;
                let specs = create_index(reg, Vec::new())?.params();
                for (p, _) in params {
                    match specs.iter().find(|s| s.name == p) {
                        Some(s) if s.kind == ParamKind::Range => {}
                        Some(_) => {
                            return Err(Error::invalid(format!(
                                "section {}: '{p}_{name}' is a GLOBAL parameter of '{name}' in \
                                 NEURON and cannot be set per section",
                                d.name()
                            )))
                        }
                        None => {
                            return Err(Error::invalid(format!(
                                "section {}: mechanism '{name}' has no parameter '{p}'",
                                d.name()
                            )))
                        }
                    }
                }
                if !regs.contains(&reg) {
                    regs.push(reg);
                }
                per_sec[si].push((reg, params));
            }
        }
        regs.sort_unstable();
        regs.sort_by_key(|&r| user::run_rank(r));
        let mut mechs = Vec::new();
        for reg in regs {
            let specs = create_index(reg, Vec::new())?.params();
            let mut nodes = Vec::new();
            let mut at: Vec<(usize, usize)> = Vec::new();
            let mut names: Vec<&str> = Vec::new();
            for (&node, &(si, k)) in seg_nodes.iter().zip(&seg_src) {
                if let Some((_, params)) = per_sec[si].iter().find(|(r, _)| *r == reg) {
                    nodes.push(node as u32);
                    at.push((si, k));
                    for (p, _) in params.iter() {
                        if !names.contains(&p.as_str()) {
                            names.push(p);
                        }
                    }
                }
            }
            if nodes.is_empty() {
                continue;
            }
            let params = names
                .into_iter()
                .map(|name| {
                    let default = param_default(specs, name);
                    let values = at
                        .iter()
                        .map(|&(si, k)| {
                            per_sec[si]
                                .iter()
                                .find(|(r, _)| *r == reg)
                                .and_then(|(_, ps)| ps.iter().find(|(p, _)| p == name))
                                .map_or(default, |(_, v)| v[k])
                        })
                        .collect();
                    (name.to_string(), values)
                })
                .collect();
            mechs.push(MechPlacement { reg, nodes, params });
        }
        let soma_node = soma_node(&morphology, &seg_nodes)?;
        Ok(CellModel {
            morphology,
            geometry,
            cm,
            mechs,
            ena,
            ek,
            soma_node,
            celsius: None,
            v_init: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(kind: i32, parent: Option<usize>, nseg: usize) -> SectionDesc {
        SectionDesc {
            kind,
            name_index: 0,
            parent,
            parent_x: if parent.is_some() { 1.0 } else { 0.0 },
            pts: if parent.is_none() {
                vec![[0.0, 0.0, 0.0, 10.0], [10.0, 0.0, 0.0, 10.0]]
            } else {
                Vec::new()
            },
            logical: None,
            length: 100.0,
            diam: 2.0,
            nseg,
            ra: 100.0,
            cm: vec![1.0; nseg],
            ena: vec![f64::NAN; nseg],
            ek: vec![f64::NAN; nseg],
            mechs: vec![("pas".into(), vec![("g".into(), vec![1e-4; nseg])])],
        }
    }

    #[test]
    fn segments_take_the_values_of_the_old_segment_at_their_centre() {
        assert_eq!(
            (0..5).map(|j| old_segment(j, 5, 3)).collect::<Vec<_>>(),
            [0, 0, 1, 2, 2]
        );
        let mut dend = section(3, Some(0), 2);
        dend.cm = vec![1.0, 2.0];
        dend.mechs[0].1[0].1 = vec![1e-4, 3e-4];
        let d = CellDescription {
            sections: vec![section(1, None, 1), dend],
            define_shape: false,
        };
        let m = d.build(Some(20.0), &UserMechs::default()).unwrap();
        // dend: L = 100 -> nseg 5; centres 0.1, 0.3 in the first old segment, 0.5.. in the second
        let dend_nodes: Vec<usize> = m.geometry.seg_node[1..].to_vec();
        let cms: Vec<f64> = dend_nodes.iter().map(|&i| m.cm[i]).collect();
        assert_eq!(cms, [1.0, 1.0, 2.0, 2.0, 2.0]);
        let g = &m.mechs[0].params[0].1;
        assert_eq!(&g[1..], &[1e-4, 1e-4, 3e-4, 3e-4, 3e-4]);
        let area = m.geometry.node_area[dend_nodes[0]];
        assert!(
            (area - std::f64::consts::PI * 2.0 * 20.0).abs() < 1e-3,
            "{area}"
        );
    }

    #[test]
    fn bad_descriptions_name_the_section() {
        let mut dend = section(3, Some(0), 1);
        dend.mechs = vec![("pas".into(), vec![("gbar".into(), vec![1.0])])];
        let d = CellDescription {
            sections: vec![section(1, None, 1), dend],
            define_shape: false,
        };
        let e = d
            .build(None, &UserMechs::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("dend[0]") && e.contains("gbar"), "{e}");
        let mut d2 = d.clone();
        d2.sections[1].mechs = vec![("NoSuch".into(), vec![])];
        let e = d2
            .build(None, &UserMechs::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("dend[0]") && e.contains("NoSuch"), "{e}");
        let mut d3 = d.clone();
        d3.sections[0].parent = Some(1);
        d3.sections[1].mechs.clear();
        assert!(d3.build(None, &UserMechs::default()).is_err());
    }
}
