//! Conversions between Python/numpy values and engine types, and engine errors to exceptions.

use numpy::{PyArrayMethods, PyReadonlyArrayDyn};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::error::Error;
use crate::sonata::column::{Column, Values};

pub fn to_py_err(e: Error) -> PyErr {
    match e {
        Error::File { .. } | Error::Hdf5 { .. } => PyOSError::new_err(e.to_string()),
        Error::Format { .. } | Error::Invalid(_) => PyValueError::new_err(e.to_string()),
    }
}

pub trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}

fn vec_of<T: numpy::Element + Copy>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<T>> {
    let arr: PyReadonlyArrayDyn<T> = obj.extract().map_err(|_| {
        PyValueError::new_err(format!(
            "{what}: expected a numpy array of {}",
            std::any::type_name::<T>()
        ))
    })?;
    Ok(arr.as_array().iter().copied().collect())
}

/// Builds a column from `(dtype name, data, width)` as prepared by the Python layer: `data` is a
/// numpy array of exactly that dtype, or a list of str for dtype "str".
pub fn column_from_py(
    dtype: &str,
    data: &Bound<'_, PyAny>,
    width: usize,
    what: &str,
) -> PyResult<Column> {
    let values = match dtype {
        "float64" => Values::F64(vec_of(data, what)?),
        "float32" => Values::F32(vec_of(data, what)?),
        "int64" => Values::I64(vec_of(data, what)?),
        "int32" => Values::I32(vec_of(data, what)?),
        "int16" => Values::I16(vec_of(data, what)?),
        "int8" => Values::I8(vec_of(data, what)?),
        "uint64" => Values::U64(vec_of(data, what)?),
        "uint32" => Values::U32(vec_of(data, what)?),
        "uint16" => Values::U16(vec_of(data, what)?),
        "uint8" => Values::U8(vec_of(data, what)?),
        "bool" => Values::Bool(vec_of(data, what)?),
        "str" => Values::Str(
            data.extract()
                .map_err(|_| PyValueError::new_err(format!("{what}: expected a list of str")))?,
        ),
        other => {
            return Err(PyValueError::new_err(format!(
                "{what}: values of type {other} cannot be stored in a SONATA file \
                 (supported: float64, float32, (u)int8..64, bool, str)"
            )))
        }
    };
    Ok(Column::with_width(values, width))
}

/// A column as `(dtype name, numpy array or list of str, width)`.
pub fn column_to_py<'py>(py: Python<'py>, col: &Column) -> PyResult<Bound<'py, PyAny>> {
    let w = col.width;
    let shape: Vec<usize> = if w > 1 {
        vec![col.rows(), w]
    } else {
        vec![col.rows()]
    };
    macro_rules! arr {
        ($v:expr) => {{
            let a = numpy::PyArray1::from_slice(py, $v);
            a.reshape(shape.clone())?.into_any()
        }};
    }
    let data = match &col.values {
        Values::F64(v) => arr!(v),
        Values::F32(v) => arr!(v),
        Values::I64(v) => arr!(v),
        Values::I32(v) => arr!(v),
        Values::I16(v) => arr!(v),
        Values::I8(v) => arr!(v),
        Values::U64(v) => arr!(v),
        Values::U32(v) => arr!(v),
        Values::U16(v) => arr!(v),
        Values::U8(v) => arr!(v),
        Values::Bool(v) => arr!(v),
        Values::Str(v) => PyList::new(py, v)?.into_any(),
    };
    let name = if matches!(col.values, Values::Str(_)) {
        "str"
    } else {
        col.values.dtype_name()
    };
    Ok((name, data, w).into_pyobject(py)?.into_any())
}

pub fn u64_array<'py>(py: Python<'py>, v: &[u64]) -> Bound<'py, PyAny> {
    numpy::PyArray1::from_slice(py, v).into_any()
}

pub fn u64s(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u64>> {
    vec_of::<u64>(obj, what)
}
