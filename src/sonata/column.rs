//! Typed property columns: the per-node and per-edge attributes that SONATA stores as one HDF5
//! dataset each. The element type is kept exactly as given so that files round-trip dtypes.

/// Values of one attribute. Numeric columns may have a second dimension (`width` > 1): SONATA
/// stores a tuple-valued property such as a position as an N x width dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    I16(Vec<i16>),
    I8(Vec<i8>),
    U64(Vec<u64>),
    U32(Vec<u32>),
    U16(Vec<u16>),
    U8(Vec<u8>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub values: Values,
    /// Number of values per row; 1 for a plain vector.
    pub width: usize,
}

#[allow(unused_macros)]
macro_rules! each_values {
    ($v:expr, $x:ident => $body:expr) => {
        match $v {
            Values::F64($x) => $body,
            Values::F32($x) => $body,
            Values::I64($x) => $body,
            Values::I32($x) => $body,
            Values::I16($x) => $body,
            Values::I8($x) => $body,
            Values::U64($x) => $body,
            Values::U32($x) => $body,
            Values::U16($x) => $body,
            Values::U8($x) => $body,
            Values::Bool($x) => $body,
            Values::Str($x) => $body,
        }
    };
}

macro_rules! map_values {
    ($v:expr, $x:ident => $body:expr) => {
        match $v {
            Values::F64($x) => Values::F64($body),
            Values::F32($x) => Values::F32($body),
            Values::I64($x) => Values::I64($body),
            Values::I32($x) => Values::I32($body),
            Values::I16($x) => Values::I16($body),
            Values::I8($x) => Values::I8($body),
            Values::U64($x) => Values::U64($body),
            Values::U32($x) => Values::U32($body),
            Values::U16($x) => Values::U16($body),
            Values::U8($x) => Values::U8($body),
            Values::Bool($x) => Values::Bool($body),
            Values::Str($x) => Values::Str($body),
        }
    };
}

impl Values {
    /// Number of scalar elements (rows x width).
    pub fn len(&self) -> usize {
        each_values!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numpy-style type name, used in messages and in edge-group keys.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Values::F64(_) => "float64",
            Values::F32(_) => "float32",
            Values::I64(_) => "int64",
            Values::I32(_) => "int32",
            Values::I16(_) => "int16",
            Values::I8(_) => "int8",
            Values::U64(_) => "uint64",
            Values::U32(_) => "uint32",
            Values::U16(_) => "uint16",
            Values::U8(_) => "uint8",
            Values::Bool(_) => "bool",
            Values::Str(_) => "object",
        }
    }

    /// An empty vector of the same element type.
    pub fn empty_like(&self) -> Values {
        map_values!(self, _v => Vec::new())
    }

    /// A vector of `n` default elements of this type.
    pub fn zeros_like(&self, n: usize) -> Values {
        map_values!(self, _v => vec![Default::default(); n])
    }
}

impl Column {
    pub fn new(values: Values) -> Self {
        Column { values, width: 1 }
    }

    pub fn with_width(values: Values, width: usize) -> Self {
        Column {
            values,
            width: width.max(1),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.width
    }

    /// Rows picked by `order` (a permutation or a selection of row indices).
    pub fn take(&self, order: &[usize]) -> Column {
        let w = self.width;
        let values = map_values!(&self.values, v => {
            let mut out = Vec::with_capacity(order.len() * w);
            for &r in order {
                out.extend_from_slice(&v[r * w..(r + 1) * w]);
            }
            out
        });
        Column { values, width: w }
    }

    /// `rows` zero rows of the same type and width.
    pub fn zeros_like(&self, rows: usize) -> Column {
        Column {
            values: self.values.zeros_like(rows * self.width),
            width: self.width,
        }
    }

    /// Copies row `i` of `self` to row `dest[i]` of `out` (same type and width).
    pub fn scatter_into(&self, dest: &[u32], out: &mut Column) -> Result<(), String> {
        let w = self.width;
        if out.width != w {
            return Err(format!(
                "width {} cannot be joined with width {}",
                w, out.width
            ));
        }
        let (a, b) = (self.values.dtype_name(), out.values.dtype_name());
        macro_rules! scatter {
            ($($var:ident),*) => {
                match (&self.values, &mut out.values) {
                    $((Values::$var(x), Values::$var(y)) => {
                        for (i, &d) in dest.iter().enumerate() {
                            let d = d as usize;
                            y[d * w..(d + 1) * w].clone_from_slice(&x[i * w..(i + 1) * w]);
                        }
                        Ok(())
                    })*
                    _ => Err(format!("type {} cannot be joined with type {}", a, b)),
                }
            };
        }
        scatter!(F64, F32, I64, I32, I16, I8, U64, U32, U16, U8, Bool, Str)
    }

    /// Appends the rows of `other`; fails when the element types or widths differ.
    pub fn extend(&mut self, other: &Column) -> Result<(), String> {
        if self.width != other.width {
            return Err(format!(
                "width {} cannot be joined with width {}",
                self.width, other.width
            ));
        }
        let (a, b) = (self.values.dtype_name(), other.values.dtype_name());
        macro_rules! join {
            ($($var:ident),*) => {
                match (&mut self.values, &other.values) {
                    $((Values::$var(x), Values::$var(y)) => { x.extend_from_slice(y); Ok(()) })*
                    _ => Err(format!("type {} cannot be joined with type {}", a, b)),
                }
            };
        }
        join!(F64, F32, I64, I32, I16, I8, U64, U32, U16, U8, Bool, Str)
    }
}
