//! SWC points -> sections, following the rules of NEURON's Import3d (SWC reader + instantiate).
//!
//! The rules, as NEURON 9 applies them:
//! - a section is an unbranched run of points of one type; a change of type or a branch point ends
//!   a section; contiguous soma points stay in one section unless a soma point has several soma
//!   children; the neuromorpho.org 3-point soma (root plus two points one diameter apart, same
//!   diameter) is read as a sphere;
//! - every non-root section starts with a copy of its parent point; when the parent is a soma and
//!   the section is not, that copy takes the diameter of the section's own first point;
//! - a dendrite leaving a one-point soma connects to soma(0.5) "by wire": the copied soma centre is
//!   dropped (kept as a logical connection point) when the dendrite has two or more points;
//!   dendrites leaving the interior of a multi-point soma connect to soma(0.5) the same way;
//!   sections leaving the first point of the root connect at 0, all others at 1;
//! - a one-point section is dropped, so is a two-point section of zero length (children move to its
//!   parent); a one-point root becomes a 3-point cylinder along x with L = diam (the sphere's area);
//! - SWC values are read in single precision (hoc's sscanf "%f");
//! - points are handed to NEURON as text with 8 significant digits and stored in single precision;
//!   arc lengths accumulate in double from single-precision differences.

use super::swc::Swc;

/// One 3-d point as NEURON stores it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pt3d {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    pub d: f32,
    pub arc: f64,
}

/// A section after Import3d: its type, name index within the type, parent and 3-d points.
#[derive(Debug, Clone)]
pub struct RawSection {
    pub kind: i32,
    pub name_index: usize,
    /// Index of the parent in the returned list.
    pub parent: Option<usize>,
    pub parent_x: f64,
    pub pts: Vec<Pt3d>,
    /// pt3dstyle(1, x, y, z): the logical connection point of a wire-connected section.
    pub logical: Option<[f32; 3]>,
}

/// `%.8g` then single precision: what `pt3dadd` receives from Import3d and stores.
pub fn hoc_pt(v: f64) -> f32 {
    let s = format!("{:.7e}", v);
    s.parse::<f64>().unwrap_or(v) as f32
}

/// NEURON's arc lengths: single-precision coordinate differences, double accumulation.
pub fn set_arcs(pts: &mut [Pt3d]) {
    if let Some(p) = pts.first_mut() {
        p.arc = 0.0;
    }
    for i in 1..pts.len() {
        let t1 = (pts[i].x - pts[i - 1].x) as f64;
        let t2 = (pts[i].y - pts[i - 1].y) as f64;
        let t3 = (pts[i].z - pts[i - 1].z) as f64;
        pts[i].arc = pts[i - 1].arc + (t1 * t1 + t2 * t2 + t3 * t3).sqrt();
    }
}

struct I3dSec {
    /// Index of the section's first own point ("id" in Import3d).
    id: usize,
    /// Raw points (x, y, z, d) in double, the parent copy first for non-root sections.
    raw: Vec<[f64; 4]>,
    kind: i32,
    parent: Option<usize>,
    parent_x: f64,
    first: usize,
}

/// Builds the sections of a validated SWC tree, in Import3d's section order.
pub fn sections_from_swc(swc: &Swc) -> Vec<RawSection> {
    // hoc's sscanf reads "%f" in single precision: every value NEURON sees is a float, the
    // diameter is twice the (float) radius.
    let single = |v: &[f64]| -> Vec<f64> { v.iter().map(|&a| a as f32 as f64).collect() };
    let swc = &Swc {
        x: single(&swc.x),
        y: single(&swc.y),
        z: single(&swc.z),
        d: swc
            .d
            .iter()
            .map(|&d| ((d / 2.0) as f32 as f64) * 2.0)
            .collect(),
        ..swc.clone()
    };
    let n = swc.len();
    let kind = &swc.kind;
    let mut pid: Vec<isize> = swc.parent.clone();

    // mark_branch: child counts, +.01 for non-contiguous children and type changes.
    let mut nchild = vec![0f64; n];
    let mut connect2prox = vec![false; n];
    for i in 0..n {
        let p = pid[i];
        if p < 0 {
            continue;
        }
        let p = p as usize;
        nchild[p] += 1.0;
        if p + 1 != i {
            nchild[p] += 0.01;
            if p > 1 {
                let pp = pid[p];
                if kind[p] != 1 && pp >= 0 && kind[pp as usize] == 1 {
                    connect2prox[i] = true;
                    nchild[p] = 1.0;
                }
            } else if p == 0 && kind[0] != 1 {
                connect2prox[i] = true;
                nchild[0] = 1.0;
            }
        }
        if kind[p] != kind[i] {
            nchild[p] += 0.01;
        }
    }

    let mut nchild_soma = vec![0f64; n];
    let mut nsoma_pts = usize::from(kind[0] == 1);
    for i in 1..n {
        if kind[i] == 1 {
            nsoma_pts += 1;
            let p = pid[i];
            if p >= 0 && kind[p as usize] == 1 {
                nchild_soma[p as usize] += 1.0;
            }
        }
    }

    // neuromorpho.org 3-point soma.
    let mut soma3geom = false;
    if nsoma_pts == 3
        && n >= 3
        && pid[1] == 0
        && pid[2] == 0
        && nchild[1] == 0.0
        && nchild[2] == 0.0
        && swc.d[1] == swc.d[0]
        && swc.d[2] == swc.d[0]
    {
        let mut len = 0.0;
        for i in 1..=2 {
            len += ((swc.x[i] - swc.x[0]).powi(2)
                + (swc.y[i] - swc.y[0]).powi(2)
                + (swc.z[i] - swc.z[0]).powi(2))
            .sqrt();
        }
        if (len / swc.d[0] - 1.0).abs() < 0.01 {
            soma3geom = true;
            pid[2] = 1;
        }
    }

    for i in 0..n.saturating_sub(1) {
        if kind[i] == 1 && kind[i + 1] == 1 && pid[i + 1] == i as isize {
            if i != 0 && nchild_soma[i] > 1.0 {
                // several soma children: the soma branches here
            } else {
                nchild[i] = 1.0;
            }
        }
    }

    let sec2point: Vec<usize> = (0..n).filter(|&i| nchild[i] != 1.0).collect();
    let mut point2sec = vec![0usize; n];
    let mut si = 0usize;
    for (i, p2s) in point2sec.iter_mut().enumerate().skip(1) {
        if si < sec2point.len() && i > sec2point[si] {
            si += 1;
        }
        *p2s = si;
    }

    let pt = |i: usize| [swc.x[i], swc.y[i], swc.z[i], swc.d[i]];
    let mut secs: Vec<I3dSec> = Vec::new();
    let mksection = |isec: usize, first: usize, end: usize, secs: &mut Vec<I3dSec>| {
        if isec == 0 {
            let end = if soma3geom { 1 } else { end };
            secs.push(I3dSec {
                id: first,
                raw: (first..end).map(pt).collect(),
                kind: kind[first],
                parent: None,
                parent_x: 1.0,
                first: 0,
            });
            return;
        }
        let pfirst = pid[first].max(0) as usize;
        let psec_i = point2sec[pfirst];
        let (psec_kind, psec_id, psec_npts) = {
            let ps = &secs[psec_i];
            (ps.kind, ps.id, ps.raw.len())
        };
        let mut parent_x = 1.0;
        let mut wire = 0usize;
        let den_con_soma = psec_kind == 1 && kind[first] != 1;
        let con_soma = psec_kind == 1;
        let own = end - first;
        let mut handled = false;
        if psec_i == 0 {
            handled = true;
            if den_con_soma && psec_npts == 1 {
                parent_x = 0.5;
                if own > 1 {
                    wire = 1;
                }
            } else if pfirst == psec_id {
                parent_x = 0.0;
                if kind[first] != 1 && nchild_soma[pfirst] > 1.0 {
                    wire = 1;
                }
            } else {
                handled = false;
            }
        }
        if !handled && con_soma {
            let offset: isize = if psec_id == 0 { -1 } else { -2 };
            if (pfirst as isize) < psec_id as isize + psec_npts as isize + offset {
                parent_x = 0.5;
                if den_con_soma && own > 1 {
                    wire = 1;
                }
            } else if own > 1 && nchild_soma[pfirst] > 1.0 && kind[first] != 1 {
                wire = 1;
            }
        }
        let mut raw = Vec::with_capacity(own + 1);
        raw.push(pt(pfirst));
        raw.extend((first..end).map(pt));
        let k = kind[first];
        if psec_kind == 1 && k != 1 && raw.len() > 1 {
            raw[0][3] = raw[1][3];
        }
        if connect2prox[first] {
            parent_x = 0.0;
        }
        secs.push(I3dSec {
            id: first,
            raw,
            kind: k,
            parent: Some(psec_i),
            parent_x,
            first: wire,
        });
    };
    let mut isec = 0usize;
    let mut first = 0usize;
    for (i, &p2s) in point2sec.iter().enumerate() {
        if p2s > isec {
            mksection(isec, first, i, &mut secs);
            isec += 1;
            first = i;
        }
    }
    mksection(isec, first, n, &mut secs);

    // chk_valid: drop one-point sections and zero-length two-point sections.
    let mut alive = vec![true; secs.len()];
    for i in (0..secs.len()).rev() {
        let s = &secs[i];
        if s.parent.is_none() {
            continue;
        }
        let own = s.raw.len() - s.first;
        let remove = own <= 1
            || (own <= 2 && {
                let a = s.raw[s.first];
                let b = s.raw[s.first + 1];
                a[0] == b[0] && a[1] == b[1] && a[2] == b[2]
            });
        if remove {
            alive[i] = false;
            let (pp, px) = (s.parent, s.parent_x);
            for j in i + 1..secs.len() {
                if alive[j] && secs[j].parent == Some(i) {
                    secs[j].parent = pp;
                    secs[j].parent_x = px;
                }
            }
        }
    }

    // instantiate: name indices per type, 3-d points through "%.8g" and single precision.
    let mut new_index = vec![usize::MAX; secs.len()];
    let mut counts = [0usize; 8];
    let mut out = Vec::new();
    for (i, s) in secs.iter().enumerate() {
        if !alive[i] {
            continue;
        }
        new_index[i] = out.len();
        let slot = (s.kind.clamp(0, 7)) as usize;
        let name_index = counts[slot];
        counts[slot] += 1;
        let mut raw: Vec<[f64; 4]> = s.raw[s.first..].to_vec();
        if raw.len() == 1 {
            let [x, y, z, d] = raw[0];
            raw = vec![[x - d / 2.0, y, z, d], [x, y, z, d], [x + d / 2.0, y, z, d]];
        }
        let mut pts: Vec<Pt3d> = raw
            .iter()
            .map(|p| Pt3d {
                x: hoc_pt(p[0]),
                y: hoc_pt(p[1]),
                z: hoc_pt(p[2]),
                d: hoc_pt(p[3]),
                arc: 0.0,
            })
            .collect();
        set_arcs(&mut pts);
        let logical = (s.first == 1).then(|| {
            let p = s.raw[0];
            [hoc_pt(p[0]), hoc_pt(p[1]), hoc_pt(p[2])]
        });
        out.push(RawSection {
            kind: s.kind,
            name_index,
            parent: s.parent.map(|p| new_index[p]),
            parent_x: s.parent_x,
            pts,
            logical,
        });
    }
    out
}
