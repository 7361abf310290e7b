//! Transfer functions of the LGN models. BMTK writes them as sympy strings; the ones its cell
//! models use are all rectifications with an offset (spontaneous rate):
//! `Heaviside(s+a)*(s+a)` for one subunit, the sum of two such terms for two subunits.

#[derive(Debug, Clone, Copy)]
pub enum Transfer {
    /// `Heaviside(s+a)*(s+a)`
    Rectified(f64),
    /// `Heaviside(x+a)*(x+a) + Heaviside(y+b)*(y+b)`
    TwoRectified(f64, f64),
}

/// numpy's heaviside(u, 0.5) times u, keeping the sign of zero as numpy does.
#[inline]
fn rect(u: f64) -> f64 {
    let h = if u.is_nan() {
        f64::NAN
    } else if u < 0.0 {
        0.0
    } else if u > 0.0 {
        1.0
    } else {
        0.5
    };
    u * h
}

impl Transfer {
    pub fn n_inputs(&self) -> usize {
        match self {
            Transfer::Rectified(_) => 1,
            Transfer::TwoRectified(..) => 2,
        }
    }

    #[inline]
    pub fn apply(&self, s: &[f64]) -> f64 {
        match *self {
            Transfer::Rectified(a) => rect(s[0] + a),
            Transfer::TwoRectified(a, b) => rect(s[0] + a) + rect(s[1] + b),
        }
    }
}
