//! Cell geometry: SWC -> sections (as NEURON's Import3d builds them) -> BMTK's model processing
//! (axon replaced by a stub) -> segments (BMTK's `dL` rule) -> per-node area and axial resistance
//! computed as NEURON computes them from 3-d points, and segment positions as BMTK computes them.
//!
//! Nodes follow NEURON: every section has `nseg` segment nodes (centres at x = (i+0.5)/nseg) and a
//! zero-area node at x = 1; the root section also has a zero-area node at x = 0. A section
//! connected at x = 1 of its parent hangs from the parent's x = 1 node, at x = 0 from the parent's
//! x = 0 node, and anywhere else from the segment that contains x (so dendrites of a one-point
//! soma attach to the soma centre). `ri` of a node is the resistance (megohm) between it and its
//! parent node: for the first segment of a section only that segment's left half (NEURON puts no
//! resistance on the parent side of a connection), between segments the right half of one plus
//! the left half of the next, and for the x = 1 node the right half of the last segment.
//!
//! For a solver that wants NEURON's exact matrix: NEURON keeps 100 (not 0) as the "area" of the
//! x = 1 nodes so that their equations are in nA/uS, and couples node i to its parent p with
//! a_i = -100 / (ri_i * area_p) and b_i = -100 / (ri_i * area_i) (areas in um2, ri in megohm).
//!
//! Nodes are numbered in Hines order (parent index < node index): the root node, then sections in
//! BMTK's `hobj.all` order (made topological if it is not), each section's segments in x order
//! followed by its x = 1 node.

use std::f64::consts::PI;
use std::path::Path;

use super::import3d::{sections_from_swc, set_arcs, Pt3d, RawSection};
use super::swc::Swc;
use crate::error::{Error, Result};

pub const SOMA: i32 = 1;
pub const AXON: i32 = 2;
pub const DEND: i32 = 3;
pub const APIC: i32 = 4;

/// Axon handling of BMTK's `model_processing` functions (bmtk 1.2.0, default_setters/cell_models.py).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxonProcessing {
    /// The morphology as Import3d built it (no model_processing).
    None,
    /// `aibs_perisomatic` (and NML cells, which bmtk builds with the same fix_axon_peri): the
    /// reconstructed axon is replaced by two 30 um, 1 um-diameter sections at soma(0.5).
    Perisomatic,
    /// `aibs_allactive`: two 30 um sections at soma(1) with the diameters of the first and last
    /// reconstructed axon sections.
    AllActive,
    /// `aibs_perisomatic_directed`: the perisomatic stub pointed along the first principal axis
    /// of the last reconstructed axon section (oriented away from the soma).
    PerisomaticDirected,
    /// `aibs_allactive_directed`: the all-active stub, pointed the same way.
    AllActiveDirected,
}

impl AxonProcessing {
    pub const SUPPORTED: &'static str = "'aibs_perisomatic', 'aibs_allactive', \
        'aibs_perisomatic_directed', 'aibs_allactive_directed', 'extracellular', 'none'";

    /// Parses a node's `model_processing` value: one name or a comma-separated list, as bmtk
    /// splits it. `extracellular`/`set_extracellular` do not change the geometry and are
    /// accepted; at most one axon processing may appear. (bmtk's aibs_perisomatic leaves the axon
    /// alone when the node has no dynamics_params: pass "none" then.)
    pub fn from_name(name: &str) -> Result<AxonProcessing> {
        let mut found: Option<AxonProcessing> = Option::None;
        for part in name.split(',').map(str::trim) {
            let p = match part {
                "aibs_perisomatic" | "fix_axon_peri" => AxonProcessing::Perisomatic,
                "aibs_allactive" | "fix_axon_allactive" => AxonProcessing::AllActive,
                "aibs_perisomatic_directed" => AxonProcessing::PerisomaticDirected,
                "aibs_allactive_directed" => AxonProcessing::AllActiveDirected,
                "" | "none" | "extracellular" | "set_extracellular" => continue,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown model_processing '{other}' for the cell geometry; supported: {}",
                        Self::SUPPORTED
                    )))
                }
            };
            if found.is_some() {
                return Err(Error::invalid(format!(
                    "model_processing '{name}' replaces the axon more than once"
                )));
            }
            found = Some(p);
        }
        Ok(found.unwrap_or(AxonProcessing::None))
    }
}

/// One section of the cell.
#[derive(Debug, Clone)]
pub struct Section {
    pub kind: i32,
    pub name_index: usize,
    pub parent: Option<usize>,
    pub parent_x: f64,
    pub pts: Vec<Pt3d>,
    pub logical: Option<[f32; 3]>,
    pub nseg: usize,
}

impl Section {
    pub fn type_name(&self) -> &'static str {
        type_name(self.kind)
    }

    pub fn name(&self) -> String {
        format!("{}[{}]", self.type_name(), self.name_index)
    }

    /// L (um): the arc length of the last 3-d point.
    pub fn length(&self) -> f64 {
        self.pts.last().map(|p| p.arc).unwrap_or(0.0)
    }
}

pub fn type_name(kind: i32) -> &'static str {
    match kind {
        SOMA => "soma",
        AXON => "axon",
        DEND => "dend",
        APIC => "apic",
        _ => "unknown",
    }
}

/// A cell's sections in BMTK's `hobj.all` order.
#[derive(Debug, Clone)]
pub struct Morphology {
    pub sections: Vec<Section>,
}

/// Per-node arrays in Hines order plus per-section tables; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct CellGeometry {
    pub node_parent: Vec<i64>,
    pub node_sec: Vec<usize>,
    pub node_x: Vec<f64>,
    pub node_kind: Vec<i32>,
    /// Membrane area (um2); 0 for the x = 0 and x = 1 nodes.
    pub node_area: Vec<f64>,
    /// Axial resistance to the parent node (megohm); infinite for the root node.
    pub node_ri: Vec<f64>,
    /// Average diameter of the segment (um); for end nodes the diameter of the neighbouring one.
    pub node_diam: Vec<f64>,
    /// Path distance (um) from soma[0](0), as `h.distance` measures it in BMTK's seg_props.
    pub node_dist: Vec<f64>,
    /// Position at the node's x, and the segment's start and end (for end nodes all the same).
    pub node_pos: Vec<[f64; 3]>,
    pub node_p0: Vec<[f64; 3]>,
    pub node_p1: Vec<[f64; 3]>,
    /// For BMTK's segment index (sections in hobj.all order, segments in x order): the node.
    pub seg_node: Vec<usize>,
    /// Soma centre after placement (BMTK's `soma_position`).
    pub soma_pos: [f64; 3],
}

impl Morphology {
    /// Reads an SWC file and builds the sections as `Biophys1.hoc` (Import3d) does.
    pub fn from_swc_file(path: &Path) -> Result<Morphology> {
        let swc = Swc::read(path)?;
        Ok(Morphology::from_swc(&swc))
    }

    pub fn from_swc(swc: &Swc) -> Morphology {
        let raw = sections_from_swc(swc);
        // hobj.all: sections created per type (soma, axon, dend, apic), each in name order.
        let mut order: Vec<usize> = (0..raw.len()).collect();
        order.sort_by_key(|&i| (raw[i].kind, raw[i].name_index));
        let mut pos = vec![0usize; raw.len()];
        for (k, &i) in order.iter().enumerate() {
            pos[i] = k;
        }
        let sections = order
            .iter()
            .map(|&i| {
                let RawSection {
                    kind,
                    name_index,
                    parent,
                    parent_x,
                    pts,
                    logical,
                } = raw[i].clone();
                Section {
                    kind,
                    name_index,
                    parent: parent.map(|p| pos[p]),
                    parent_x,
                    pts,
                    logical,
                    nseg: 1,
                }
            })
            .collect();
        Morphology { sections }
    }

    fn soma0(&self) -> Result<usize> {
        self.sections
            .iter()
            .position(|s| s.kind == SOMA && s.name_index == 0)
            .ok_or_else(|| Error::invalid("the morphology has no soma[0]"))
    }

    /// Applies the axon handling of a BMTK model_processing function, then `define_shape()`.
    pub fn process(&mut self, processing: AxonProcessing, path: &Path) -> Result<()> {
        use AxonProcessing::*;
        if processing == None {
            return Ok(());
        }
        let axons: Vec<usize> = (0..self.sections.len())
            .filter(|&i| self.sections[i].kind == AXON)
            .collect();
        let directed = matches!(processing, PerisomaticDirected | AllActiveDirected);
        let allactive = matches!(processing, AllActive | AllActiveDirected);
        let stub_x = if allactive { 1.0 } else { 0.5 };
        let (Some(&a0), Some(&alast)) = (axons.first(), axons.last()) else {
            return Err(Error::format(
                path,
                "the model_processing replaces the reconstructed axon by a stub, but the \
                 morphology has no axon (type 2) points (bmtk 1.2.0 fails on such cells too); \
                 use model_processing 'none' to keep the morphology as it is",
            ));
        };
        let diams = if allactive {
            [
                section_mean_diam(&self.sections[a0]),
                section_mean_diam(&self.sections[alast]),
            ]
        } else {
            [1.0, 1.0]
        };
        let direction = if directed {
            Some(self.axon_direction(alast)?)
        } else {
            Option::None
        };
        // Delete the reconstructed axon.
        for (i, s) in self.sections.iter().enumerate() {
            if s.kind != AXON {
                if let Some(p) = s.parent {
                    if self.sections[p].kind == AXON {
                        return Err(Error::format(
                            path,
                            format!(
                                "{} grows from the axon; replacing the axon by a stub would cut it off",
                                self.sections[i].name()
                            ),
                        ));
                    }
                }
            }
        }
        let keep: Vec<usize> = (0..self.sections.len())
            .filter(|&i| self.sections[i].kind != AXON)
            .collect();
        let mut newpos = vec![usize::MAX; self.sections.len()];
        for (k, &i) in keep.iter().enumerate() {
            newpos[i] = k;
        }
        let mut secs: Vec<Section> = keep.iter().map(|&i| self.sections[i].clone()).collect();
        for s in secs.iter_mut() {
            s.parent = s.parent.map(|p| newpos[p]);
        }
        self.sections = secs;
        let soma = self.soma0()?;
        let n = self.sections.len();
        for k in 0..2 {
            self.sections.push(Section {
                kind: AXON,
                name_index: k,
                parent: Some(if k == 0 { soma } else { n }),
                parent_x: if k == 0 { stub_x } else { 1.0 },
                pts: Vec::new(),
                logical: Option::None,
                nseg: 1,
            });
        }
        match direction {
            Option::None => {
                self.define_shape(&[(n, 30.0, diams[0]), (n + 1, 30.0, diams[1])]);
            }
            Some(c) => {
                // pt3dadd of the two ends, then L = 30 (NEURON rescales the points about the
                // first one), then define_shape
                for k in 0..2 {
                    let d = diams[k] as f32;
                    let mut pts: Vec<Pt3d> = [c[2 * k], c[2 * k + 1]]
                        .iter()
                        .map(|p| Pt3d {
                            x: p[0] as f32,
                            y: p[1] as f32,
                            z: p[2] as f32,
                            d,
                            arc: 0.0,
                        })
                        .collect();
                    set_arcs(&mut pts);
                    change_length(&mut pts, 30.0);
                    self.sections[n + k].pts = pts;
                }
                self.define_shape(&[]);
                for k in 0..2 {
                    let l = self.sections[n + k].length();
                    if (30.0 - l).abs() > 0.0001 {
                        return Err(Error::format(
                            path,
                            format!("Axon stub L is less than 30 (axon[{k}].L = {l})"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// bmtk's get_axon_direction: the stub ends (start, end of axon[0], start, end of axon[1])
    /// from the first principal axis of the middle point of the last soma section and the points
    /// of the last axon section, starting at the last point of the last soma section.
    fn axon_direction(&self, alast: usize) -> Result<[[f64; 3]; 4]> {
        let Some(soma) = self.sections.iter().rev().find(|s| s.kind == SOMA) else {
            return Err(Error::invalid("the morphology has no soma"));
        };
        let p = |q: &Pt3d| [q.x as f64, q.y as f64, q.z as f64];
        let soma_end = p(&soma.pts[soma.pts.len() - 1]);
        let soma_mid = p(&soma.pts[soma.pts.len() / 2]);
        let axon: Vec<[f64; 3]> = self.sections[alast].pts.iter().map(p).collect();
        let mut all = vec![soma_mid];
        all.extend(axon.iter().copied());
        let mut u = principal_axis(&all);
        let norm = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt();
        for v in u.iter_mut() {
            *v /= norm;
        }
        let last = axon[axon.len() - 1];
        let axon_end = [
            last[0] - soma_mid[0],
            last[1] - soma_mid[1],
            last[2] - soma_mid[2],
        ];
        if u[0] * axon_end[0] + u[1] * axon_end[1] + u[2] * axon_end[2] < 0.0 {
            for v in u.iter_mut() {
                *v = -*v;
            }
        }
        let at = |len: f64| {
            [
                soma_end[0] + u[0] * len,
                soma_end[1] + u[1] * len,
                soma_end[2] + u[2] * len,
            ]
        };
        Ok([soma_end, at(30.0), at(30.0), at(60.0)])
    }

    /// NEURON's define_shape(): sections with points are translated so they start at their
    /// connection point on the parent (interpolated between the parent's first and last points);
    /// sections without points (`fresh`: index, L, diam) get a straight line, as NEURON draws them.
    pub(crate) fn define_shape(&mut self, fresh: &[(usize, f64, f64)]) {
        for &(i, _, _) in fresh {
            self.sections[i].pts.clear();
        }
        for i in topological_order(&self.sections) {
            let Some(p) = self.sections[i].parent else {
                continue;
            };
            let arc = self.sections[i].parent_x;
            let (pf, pl) = {
                let ps = &self.sections[p].pts;
                (ps[0], ps[ps.len() - 1])
            };
            let interp = |a: f32, b: f32| (b as f64 * arc + a as f64 * (1.0 - arc)) as f32;
            let (x, y, z) = (interp(pf.x, pl.x), interp(pf.y, pl.y), interp(pf.z, pl.z));
            if let Some(&(_, len, diam)) = fresh.iter().find(|f| f.0 == i) {
                let mut x1: f32 = pl.x - pf.x;
                let mut y1: f32 = pl.y - pf.y;
                if arc < 0.5 {
                    x1 = -x1;
                    y1 = -y1;
                }
                let mut angle: f32 = if y1.abs() < 1e-6 && x1.abs() < 1e-6 {
                    0.0
                } else {
                    y1.atan2(x1)
                };
                if arc > 0.0 && arc < 1.0 {
                    angle = (angle as f64 + PI / 2.0) as f32;
                }
                // siblings at the same position fan out; the newest child (this one) comes first
                let nch = self
                    .sections
                    .iter()
                    .filter(|s| s.parent == Some(p) && s.parent_x == arc)
                    .count();
                if nch > 1 {
                    angle = (angle as f64 - 0.4) as f32;
                }
                let ex: f32 = (x as f64 + len * (angle.cos() as f64)) as f32;
                let ey: f32 = (y as f64 + len * (angle.sin() as f64)) as f32;
                let d = diam as f32;
                let nseg = self.sections[i].nseg;
                let mut pts = vec![Pt3d {
                    x,
                    y,
                    z,
                    d,
                    arc: 0.0,
                }];
                for j in 0..nseg {
                    let frac = (j as f64 + 0.5) / nseg as f64;
                    pts.push(Pt3d {
                        x: (x as f64 * (1.0 - frac) + ex as f64 * frac) as f32,
                        y: (y as f64 * (1.0 - frac) + ey as f64 * frac) as f32,
                        z,
                        d,
                        arc: 0.0,
                    });
                }
                pts.push(Pt3d {
                    x: ex,
                    y: ey,
                    z,
                    d,
                    arc: 0.0,
                });
                set_arcs(&mut pts);
                if let Some(last) = pts.last_mut() {
                    last.arc = len;
                }
                self.sections[i].pts = pts;
                continue;
            }
            let sec = &mut self.sections[i];
            let (dx, dy, dz) = match sec.logical.as_mut() {
                Some(l) => {
                    let d = (x - l[0], y - l[1], z - l[2]);
                    *l = [x, y, z];
                    d
                }
                None => (x - sec.pts[0].x, y - sec.pts[0].y, z - sec.pts[0].z),
            };
            for q in sec.pts.iter_mut() {
                q.x += dx;
                q.y += dy;
                q.z += dz;
            }
        }
    }

    /// BMTK's `set_segment_dl`: nseg = 1 + 2 * int(L / (2 dL)) for every section.
    pub fn set_segment_dl(&mut self, dl: f64) -> Result<()> {
        if !(dl > 0.0 && dl.is_finite()) {
            return Err(Error::invalid(format!(
                "dL must be a positive number of um, got {dl}"
            )));
        }
        for s in self.sections.iter_mut() {
            s.nseg = 1 + 2 * (s.length() / (2.0 * dl)).floor() as usize;
        }
        Ok(())
    }

    /// Areas, axial resistances and positions of every node. `ra(kind)` gives Ra (ohm cm) of a
    /// section type; `position` (x, y, z) and `rotation` (angles about x, y, z in radians) place
    /// the cell as BMTK does (rotation about the soma centre, then the soma moved to `position`).
    pub fn geometry(
        &self,
        ra: &dyn Fn(i32) -> f64,
        position: Option<[f64; 3]>,
        rotation: Option<[f64; 3]>,
    ) -> Result<CellGeometry> {
        self.geometry_per_section(&|i| ra(self.sections[i].kind), position, rotation)
    }

    /// [`Morphology::geometry`] with `ra(section index)`: Ra set section by section (a user's
    /// model processing may give sections of one type different values).
    pub fn geometry_per_section(
        &self,
        ra: &dyn Fn(usize) -> f64,
        position: Option<[f64; 3]>,
        rotation: Option<[f64; 3]>,
    ) -> Result<CellGeometry> {
        let nsec = self.sections.len();
        if nsec == 0 || self.sections[0].parent.is_some() {
            return Err(Error::invalid("the first section must be the root soma"));
        }
        for s in &self.sections {
            if s.pts.len() < 2 {
                return Err(Error::invalid(format!(
                    "section {} has fewer than two 3-d points",
                    s.name()
                )));
            }
        }
        let place = placement(self, position, rotation);

        let mut g = CellGeometry {
            soma_pos: place.soma_pos,
            ..Default::default()
        };
        let order = topological_order(&self.sections);
        // node indices per section: first segment node and x = 1 node
        let mut seg0 = vec![0usize; nsec];
        let mut end = vec![0usize; nsec];
        let mut conn = vec![0usize; nsec];
        // path distance of x = 0 of each section from soma[0](0)
        let mut base = vec![0.0f64; nsec];
        // root node (x = 0 of the root section)
        let root = &self.sections[order[0]];
        let root_xyz = place.at(&place.points(root), 0.0);
        g.push(
            -1,
            order[0],
            0.0,
            root.kind,
            0.0,
            f64::INFINITY,
            0.0,
            0.0,
            [root_xyz; 3],
        );
        for &si in &order {
            let s = &self.sections[si];
            let parent_node: usize = match s.parent {
                None => 0,
                Some(p) => {
                    let px = s.parent_x;
                    if px >= 1.0 {
                        end[p]
                    } else if px <= 0.0 {
                        conn[p]
                    } else {
                        let ps = &self.sections[p];
                        let k = ((ps.nseg as f64 * px) as usize).min(ps.nseg - 1);
                        seg0[p] + k
                    }
                }
            };
            conn[si] = parent_node;
            if let Some(p) = s.parent {
                base[si] = base[p] + s.parent_x * self.sections[p].length();
            }
            let l = s.length();
            let segs = segment_geometry(s, ra(si));
            let sp = place.points(s);
            seg0[si] = g.node_x.len();
            let nseg = s.nseg;
            for (j, sg) in segs.iter().enumerate() {
                let x = (j as f64 + 0.5) / nseg as f64;
                let h = 0.5 / nseg as f64;
                let parent = if j == 0 {
                    parent_node
                } else {
                    seg0[si] + j - 1
                };
                let ri = if j == 0 {
                    sg.rleft
                } else {
                    segs[j - 1].rright + sg.rleft
                };
                let pos = [place.at(&sp, x - h), place.at(&sp, x), place.at(&sp, x + h)];
                g.push(
                    parent as i64,
                    si,
                    x,
                    s.kind,
                    sg.area,
                    ri,
                    sg.diam,
                    base[si] + x * l,
                    pos,
                );
            }
            end[si] = g.node_x.len();
            let last = segs[nseg - 1];
            let p1 = place.at(&sp, 1.0);
            g.push(
                (seg0[si] + nseg - 1) as i64,
                si,
                1.0,
                s.kind,
                0.0,
                last.rright,
                last.diam,
                base[si] + l,
                [p1; 3],
            );
        }
        // BMTK segment order: sections in hobj.all order
        for (s, &first) in self.sections.iter().zip(&seg0) {
            g.seg_node.extend(first..first + s.nseg);
        }
        Ok(g)
    }
}

impl CellGeometry {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        parent: i64,
        sec: usize,
        x: f64,
        kind: i32,
        area: f64,
        ri: f64,
        diam: f64,
        dist: f64,
        pos: [[f64; 3]; 3],
    ) {
        self.node_dist.push(dist);
        self.node_parent.push(parent);
        self.node_sec.push(sec);
        self.node_x.push(x);
        self.node_kind.push(kind);
        self.node_area.push(area);
        self.node_ri.push(ri);
        self.node_diam.push(diam);
        self.node_p0.push(pos[0]);
        self.node_pos.push(pos[1]);
        self.node_p1.push(pos[2]);
    }

    pub fn n_nodes(&self) -> usize {
        self.node_x.len()
    }
}

/// Sections ordered so every parent precedes its children, keeping the given order where it
/// already does.
fn topological_order(secs: &[Section]) -> Vec<usize> {
    let n = secs.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut heap = std::collections::BinaryHeap::new();
    for (i, s) in secs.iter().enumerate() {
        match s.parent {
            Some(p) if p < n => children[p].push(i),
            _ => heap.push(std::cmp::Reverse(i)),
        }
    }
    let mut out = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(i)) = heap.pop() {
        out.push(i);
        for &c in &children[i] {
            heap.push(std::cmp::Reverse(c));
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct SegGeom {
    area: f64,
    rleft: f64,
    rright: f64,
    diam: f64,
}

/// NEURON's integration over the 3-d points of a section, segment by segment and half by half:
/// trapezoidal diameter, frustum (with taper) area, and resistance of each half (megohm).
fn segment_geometry(s: &Section, ra: f64) -> Vec<SegGeom> {
    let pts = &s.pts;
    let npt = pts.len();
    let nseg = s.nseg.max(1);
    let mut out = Vec::with_capacity(nseg);
    let mut j = 0usize;
    let mut x1 = pts[0].arc;
    let mut y1 = (pts[0].d as f64).abs();
    let ds = pts[npt - 1].arc / nseg as f64;
    for inode in 0..nseg {
        let mut si = inode as f64 * ds;
        let mut diam = 0.0;
        let mut area = 0.0;
        let mut rleft = 0.0;
        let mut rright = 0.0;
        for ihalf in 0..2 {
            let mut ri = 0.0;
            let sip = si + ds / 2.0;
            loop {
                let jp = j + 1;
                let xj = pts[j].arc;
                let xjp = pts[jp].arc;
                let (x2, y2, jnext);
                if xjp > sip || jp == npt - 1 {
                    let frac = if (xjp - xj).abs() < 1e-10 {
                        1.0
                    } else {
                        (sip - xj) / (xjp - xj)
                    };
                    x2 = sip;
                    y2 = (1.0 - frac) * (pts[j].d as f64).abs() + frac * (pts[jp].d as f64).abs();
                    jnext = j;
                } else {
                    x2 = xjp;
                    y2 = (pts[jp].d as f64).abs();
                    jnext = jp;
                }
                let mut delta = x2 - x1;
                diam += (y2 + y1) * delta;
                if delta < 1e-15 {
                    delta = 1e-15;
                }
                let mut temp = y2 * y1 / delta;
                if temp == 0.0 {
                    temp = 1e-15;
                }
                ri += 1.0 / temp;
                let t = 0.5 * (y2 - y1);
                let slant = (delta * delta + t * t).sqrt();
                area += (y2 + y1) * slant;
                x1 = x2;
                y1 = y2;
                if j == jnext {
                    break;
                }
                j = jnext;
            }
            if ihalf == 0 {
                rleft = ri * ra / PI * (4.0 * 0.01);
            } else {
                rright = ri * ra / PI * (4.0 * 0.01);
            }
            si = sip;
        }
        out.push(SegGeom {
            area: area * 0.5 * PI,
            rleft,
            rright,
            diam: diam * 0.5 / ds,
        });
    }
    out
}

/// `sec.diam` as NEURON reports it for a one-segment section: the segment's mean diameter over
/// its 3-d points.
pub fn one_segment_diam(s: &Section) -> f64 {
    let one = Section {
        nseg: 1,
        ..s.clone()
    };
    segment_geometry(&one, 1.0)[0].diam
}

/// NEURON's change of L for a section with 3-d points: points scaled about the first one.
fn change_length(pts: &mut [Pt3d], len: f64) {
    let (x0, y0, z0) = (pts[0].x, pts[0].y, pts[0].z);
    let l = pts[pts.len() - 1].arc;
    let fac = len / l;
    for q in pts.iter_mut() {
        q.arc *= fac;
        q.x = (x0 as f64 + (q.x - x0) as f64 * fac) as f32;
        q.y = (y0 as f64 + (q.y - y0) as f64 * fac) as f32;
        q.z = (z0 as f64 + (q.z - z0) as f64 * fac) as f32;
    }
}

/// Direction of largest variance of a point set (the first principal component), by Jacobi
/// rotations of the 3x3 scatter matrix of the centred points.
fn principal_axis(pts: &[[f64; 3]]) -> [f64; 3] {
    let n = pts.len().max(1) as f64;
    let mut mean = [0.0; 3];
    for p in pts {
        for k in 0..3 {
            mean[k] += p[k] / n;
        }
    }
    let mut a = [[0.0; 3]; 3];
    for p in pts {
        let c = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] += c[i] * c[j];
            }
        }
    }
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _ in 0..64 {
        let off = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        if off <= 1e-300 {
            break;
        }
        for (p, q) in [(0usize, 1usize), (0, 2), (1, 2)] {
            if a[p][q].abs() <= 1e-300 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A <- J^T A J with J the rotation in the (p, q) plane
            for row in a.iter_mut() {
                let akp = row[p];
                let akq = row[q];
                row[p] = c * akp - s * akq;
                row[q] = s * akp + c * akq;
            }
            let (rp, rq) = (a[p], a[q]);
            for k in 0..3 {
                a[p][k] = c * rp[k] - s * rq[k];
                a[q][k] = s * rp[k] + c * rq[k];
            }
            for row in v.iter_mut() {
                let vkp = row[p];
                let vkq = row[q];
                row[p] = c * vkp - s * vkq;
                row[q] = s * vkp + c * vkq;
            }
        }
    }
    let imax = (0..3)
        .max_by(|&i, &j| a[i][i].total_cmp(&a[j][j]))
        .unwrap_or(0);
    [v[0][imax], v[1][imax], v[2][imax]]
}

/// `sec.diam` of a section with 3-d points and nseg = 1 (what fix_axon_allactive reads).
fn section_mean_diam(s: &Section) -> f64 {
    let mut one = s.clone();
    one.nseg = 1;
    segment_geometry(&one, 1.0)[0].diam
}

/// BMTK's placement: 3-d points shifted so the mean soma point is the origin, interpolated along
/// the normalised arc length (numpy.interp), rotated about the soma centre by
/// Rx(ax) . Ry(ay) . Rz(az), then moved so the soma centre is at the node position.
struct Placement {
    shift: [f64; 3],
    centre: [f64; 3],
    rot: Option<[[f64; 3]; 3]>,
    disp: Option<[f64; 3]>,
    soma_pos: [f64; 3],
}

fn placement(m: &Morphology, position: Option<[f64; 3]>, rotation: Option<[f64; 3]>) -> Placement {
    let mut shift = [0.0; 3];
    let mut n = 0usize;
    for s in m.sections.iter().filter(|s| s.kind == SOMA) {
        for p in &s.pts {
            shift[0] += p.x as f64;
            shift[1] += p.y as f64;
            shift[2] += p.z as f64;
            n += 1;
        }
    }
    for v in shift.iter_mut() {
        *v /= n.max(1) as f64;
    }
    let mut centre = [0.0; 3];
    for s in m.sections.iter().filter(|s| s.kind == SOMA) {
        for p in &s.pts {
            centre[0] += p.x as f64 - shift[0];
            centre[1] += p.y as f64 - shift[1];
            centre[2] += p.z as f64 - shift[2];
        }
    }
    for v in centre.iter_mut() {
        *v /= n.max(1) as f64;
    }
    let rot = rotation.map(|a| {
        let rx = rotation_matrix([1.0, 0.0, 0.0], a[0]);
        let ry = rotation_matrix([0.0, 1.0, 0.0], a[1]);
        let rz = rotation_matrix([0.0, 0.0, 1.0], a[2]);
        matmul(&rx, &matmul(&ry, &rz))
    });
    let disp = position.map(|p| [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]]);
    Placement {
        shift,
        centre,
        rot,
        disp,
        soma_pos: position.unwrap_or(centre),
    }
}

/// A section's normalised arc positions and shifted coordinates, for interpolation.
struct SecPoints {
    xp: Vec<f64>,
    c: [Vec<f64>; 3],
}

impl Placement {
    fn points(&self, s: &Section) -> SecPoints {
        let l = s.length();
        let pts = &s.pts;
        let coord = |k: usize| -> Vec<f64> {
            pts.iter()
                .map(|p| [p.x, p.y, p.z][k] as f64 - self.shift[k])
                .collect()
        };
        SecPoints {
            xp: pts.iter().map(|p| p.arc / l).collect(),
            c: [coord(0), coord(1), coord(2)],
        }
    }

    fn at(&self, sp: &SecPoints, x: f64) -> [f64; 3] {
        let mut v = [
            np_interp(x, &sp.xp, &sp.c[0]),
            np_interp(x, &sp.xp, &sp.c[1]),
            np_interp(x, &sp.xp, &sp.c[2]),
        ];
        if let Some(r) = &self.rot {
            let c = self.centre;
            let d = [v[0] - c[0], v[1] - c[1], v[2] - c[2]];
            for (k, vk) in v.iter_mut().enumerate() {
                *vk = r[k][0] * d[0] + r[k][1] * d[1] + r[k][2] * d[2] + c[k];
            }
        }
        if let Some(d) = self.disp {
            for k in 0..3 {
                v[k] += d[k];
            }
        }
        v
    }
}

/// numpy.interp for a non-decreasing `xp`.
fn np_interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let n = xp.len();
    if x.is_nan() || n == 0 {
        return f64::NAN;
    }
    if x <= xp[0] {
        return fp[0];
    }
    if x >= xp[n - 1] {
        return fp[n - 1];
    }
    // last j with xp[j] <= x (xp may hold NaN for a zero-length section: then the first value)
    let j = match xp.partition_point(|&v| v <= x) {
        0 => return fp[0],
        k if k >= n => return fp[n - 1],
        k => k - 1,
    };
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let mut r = slope * (x - xp[j]) + fp[j];
    if r.is_nan() {
        r = slope * (x - xp[j + 1]) + fp[j + 1];
        if r.is_nan() && fp[j] == fp[j + 1] {
            r = fp[j];
        }
    }
    r
}

fn rotation_matrix(axis: [f64; 3], theta: f64) -> [[f64; 3]; 3] {
    let norm = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
    let u = [axis[0] / norm, axis[1] / norm, axis[2] / norm];
    let a = (theta / 2.0).cos();
    let s = (theta / 2.0).sin();
    let (b, c, d) = (-u[0] * s, -u[1] * s, -u[2] * s);
    let (aa, bb, cc, dd) = (a * a, b * b, c * c, d * d);
    let (bc, ad, ac, ab, bd, cd) = (b * c, a * d, a * c, a * b, b * d, c * d);
    [
        [aa + bb - cc - dd, 2.0 * (bc + ad), 2.0 * (bd - ac)],
        [2.0 * (bc - ad), aa + cc - bb - dd, 2.0 * (cd + ab)],
        [2.0 * (bd + ac), 2.0 * (cd - ab), aa + dd - bb - cc],
    ]
}

fn matmul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut r = [[0.0; 3]; 3];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
        }
    }
    r
}

/// Builds a cell: read the SWC, apply the processing, set nseg from dL (None keeps nseg = 1).
pub fn build_cell(path: &Path, processing: AxonProcessing, dl: Option<f64>) -> Result<Morphology> {
    let mut m = Morphology::from_swc_file(path)?;
    m.process(processing, path)?;
    if let Some(dl) = dl {
        m.set_segment_dl(dl)?;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> Morphology {
        let swc = Swc::parse(Path::new("t.swc"), text).unwrap();
        Morphology::from_swc(&swc)
    }

    #[test]
    fn one_point_soma_is_a_sphere() {
        let m = cell("1 1 0 0 0 5 -1\n2 3 0 6 0 1 1\n3 3 0 20 0 1 2\n");
        assert_eq!(m.sections.len(), 2);
        let soma = &m.sections[0];
        assert_eq!(soma.pts.len(), 3);
        assert!((soma.length() - 10.0).abs() < 1e-6);
        let d = &m.sections[1];
        assert_eq!(d.parent, Some(0));
        assert_eq!(d.parent_x, 0.5);
        assert!(d.logical.is_some());
        assert_eq!(d.pts.len(), 2);
        let g = m.geometry(&|_| 100.0, None, None).unwrap();
        // root, soma, soma(1), dend, dend(1)
        assert_eq!(g.n_nodes(), 5);
        assert!((g.node_area[1] - PI * 100.0).abs() < 1e-3);
        assert_eq!(g.node_parent[3], 1);
        for (i, &p) in g.node_parent.iter().enumerate() {
            assert!(p < i as i64);
        }
    }

    #[test]
    fn principal_axis_of_a_line() {
        let dir = [0.6, -0.48, 0.64];
        let pts: Vec<[f64; 3]> = (0..20)
            .map(|i| {
                let t = i as f64 - 7.0;
                let wobble = if i % 2 == 0 { 0.01 } else { -0.01 };
                [dir[0] * t + wobble, dir[1] * t, dir[2] * t - wobble]
            })
            .collect();
        let u = principal_axis(&pts);
        let dot: f64 = (0..3).map(|k| u[k] * dir[k]).sum();
        assert!((dot.abs() - 1.0).abs() < 1e-5, "{u:?}");
    }

    #[test]
    fn zero_length_sections_do_not_panic() {
        let m =
            cell("1 1 0 0 0 5 -1\n2 1 0 0 0 5 1\n3 3 0 0 0 1 2\n4 3 0 0 0 1 3\n5 3 0 0 0 1 4\n");
        let g = m.geometry(&|_| 100.0, Some([1.0, 2.0, 3.0]), Some([0.1, 0.2, 0.3]));
        assert!(g.is_ok());
        assert_eq!(np_interp(0.5, &[f64::NAN, f64::NAN], &[1.0, 2.0]), 1.0);
    }

    #[test]
    fn perisomatic_stub() {
        let mut m =
            cell("1 1 0 0 0 5 -1\n2 2 0 -6 0 1 1\n3 2 0 -20 0 1 2\n4 3 0 6 0 1 1\n5 3 0 9 0 1 4\n");
        m.process(AxonProcessing::Perisomatic, Path::new("t.swc"))
            .unwrap();
        let names: Vec<String> = m.sections.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["soma[0]", "dend[0]", "axon[0]", "axon[1]"]);
        assert!((m.sections[2].length() - 30.0).abs() < 1e-12);
        m.set_segment_dl(20.0).unwrap();
        let g = m.geometry(&|_| 100.0, None, None).unwrap();
        let i = g.seg_node[2];
        assert!((g.node_area[i] - PI * 30.0).abs() < 1e-4);
    }
}
