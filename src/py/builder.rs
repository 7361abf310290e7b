//! Python bindings of the network builder: one `EdgeTable` per `add_edges` call, filled by an
//! integer rule, a count matrix, or a user callable that is called back in BMTK's order.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::convert::{column_from_py, column_to_py, u64_array, u64s, IntoPyResult};
use crate::builder::collate::collate;
use crate::builder::edge_table::EdgeTypeTable;
use crate::error::{Error, Result as EResult};
use crate::sonata::column::{Column, Values};
use crate::sonata::edges::{write_edges_file_indexed, EdgeIndexKind};
use crate::sonata::index::{ArgSort, StableOrder};

#[pyclass(module = "bmtk_rs._native")]
pub struct EdgeTable {
    pub inner: EdgeTypeTable,
}

fn node_id(nodes: &[Bound<'_, PyAny>], i: usize) -> String {
    nodes
        .get(i)
        .and_then(|n| n.get_item("node_id").ok())
        .map(|v| v.to_string())
        .unwrap_or_else(|| i.to_string())
}

/// A synapse count returned by a connection rule: a non-negative integer (None means 0).
fn count_of(v: &Bound<'_, PyAny>) -> std::result::Result<u32, String> {
    if v.is_none() {
        return Ok(0);
    }
    // Integers first: Python ints (and bools) and numpy integers are the common case, and every
    // failed extraction builds an exception object.
    if let Ok(n) = v.extract::<i64>() {
        return u32::try_from(n)
            .map_err(|_| format!("returned {n}; a synapse count must be between 0 and 2^32-1"));
    }
    if let Ok(b) = v.extract::<bool>() {
        return Ok(b as u32);
    }
    if let Ok(x) = v.extract::<f64>() {
        if x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x) {
            return Ok(x as u32);
        }
        return Err(format!(
            "returned {x}; a synapse count must be a non-negative integer"
        ));
    }
    let ty = v
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(format!(
        "returned {} of type {ty}; a synapse count must be a non-negative integer",
        v
    ))
}

/// Counts from a numpy integer or boolean array, pushed (non-zero ones) straight from the array
/// rather than element by element through Python (vectorised rules return these); None when `v`
/// is not such an array. An invalid entry gives its index and what is wrong with it.
fn push_int_array(
    v: &Bound<'_, PyAny>,
    push: &mut dyn FnMut(usize, u32),
) -> Option<std::result::Result<(), (usize, String)>> {
    fn each<T: Copy + TryInto<u32> + std::fmt::Display + PartialEq + Default + numpy::Element>(
        a: numpy::PyReadonlyArray1<'_, T>,
        push: &mut dyn FnMut(usize, u32),
    ) -> std::result::Result<(), (usize, String)> {
        let zero = T::default();
        for (j, &x) in a.as_array().iter().enumerate() {
            if x == zero {
                continue;
            }
            let c = x.try_into().map_err(|_| {
                (
                    j,
                    format!("returned {x}; a synapse count must be between 0 and 2^32-1"),
                )
            })?;
            push(j, c);
        }
        Ok(())
    }
    if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, i64>>() {
        return Some(each(a, push));
    }
    if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, i32>>() {
        return Some(each(a, push));
    }
    if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, u32>>() {
        return Some(each(a, push));
    }
    if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, u64>>() {
        return Some(each(a, push));
    }
    if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, u8>>() {
        return Some(each(a, push));
    }
    if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, bool>>() {
        for (j, &b) in a.as_array().iter().enumerate() {
            if b {
                push(j, 1);
            }
        }
        return Some(Ok(()));
    }
    None
}

fn rule_error(py: Python<'_>, edge_type_id: u32, what: String, cause: Option<PyErr>) -> PyErr {
    let err = PyValueError::new_err(format!(
        "connection_rule of edge type {edge_type_id}: {what}"
    ));
    if let Some(c) = cause {
        err.set_cause(py, Some(c));
    }
    err
}

fn call<'py>(
    rule: &Bound<'py, PyAny>,
    args: Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    rule.call(args, kwargs)
}

#[pymethods]
impl EdgeTable {
    #[new]
    fn new(
        edge_type_id: u32,
        source_ids: &Bound<'_, PyAny>,
        target_ids: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let s = u64s(source_ids, "source node ids")?;
        let t = u64s(target_ids, "target node ids")?;
        Ok(EdgeTable {
            inner: EdgeTypeTable::new(edge_type_id, s, t).py()?,
        })
    }

    #[getter]
    fn edge_type_id(&self) -> u32 {
        self.inner.edge_type_id
    }

    fn fill_constant(&mut self, py: Python<'_>, nsyns: u32) {
        py.detach(|| self.inner.fill_constant(nsyns));
    }

    /// Counts for every (source, target) pair, source-major, as a uint32 array.
    fn fill_dense(&mut self, py: Python<'_>, counts: PyReadonlyArray1<'_, u32>) -> PyResult<()> {
        let c = counts
            .as_slice()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let inner = &mut self.inner;
        py.detach(|| inner.fill_dense(c)).py()
    }

    /// one_to_one: `rule(source, target, **params)` for every pair, sources outer, targets inner.
    #[pyo3(signature = (rule, params, sources, targets))]
    fn eval_pairs(
        &mut self,
        py: Python<'_>,
        rule: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
        sources: &Bound<'_, PyList>,
        targets: &Bound<'_, PyList>,
    ) -> PyResult<()> {
        let srcs: Vec<_> = sources.iter().collect();
        let trgs: Vec<_> = targets.iter().collect();
        let et = self.inner.edge_type_id;
        for (i, s) in srcs.iter().enumerate() {
            for (j, t) in trgs.iter().enumerate() {
                let args = PyTuple::new(py, [s, t])?;
                let v = call(rule, args, params).map_err(|e| {
                    rule_error(
                        py,
                        et,
                        format!(
                            "raised for source node {} and target node {}: {}",
                            node_id(&srcs, i),
                            node_id(&trgs, j),
                            e
                        ),
                        Some(e),
                    )
                })?;
                let n = count_of(&v).map_err(|m| {
                    rule_error(
                        py,
                        et,
                        format!(
                            "for source node {} and target node {} {m}",
                            node_id(&srcs, i),
                            node_id(&trgs, j)
                        ),
                        None,
                    )
                })?;
                self.inner.push(i as u32, j as u32, n);
            }
        }
        self.inner.finish_counts();
        Ok(())
    }

    /// one_to_all (`by_source`) or all_to_one: the rule gets one node of `outer` and the whole
    /// other side `inner` (a list of nodes, or for the `*_table` iterators one table of them), and
    /// returns one count per node of `inner`.
    #[pyo3(signature = (rule, params, outer, inner, by_source, iterator))]
    #[allow(clippy::too_many_arguments)]
    fn eval_lists(
        &mut self,
        py: Python<'_>,
        rule: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
        outer: &Bound<'_, PyList>,
        inner: &Bound<'_, PyAny>,
        by_source: bool,
        iterator: &str,
    ) -> PyResult<()> {
        let et = self.inner.edge_type_id;
        let inner_len = inner.len()?;
        let outer_nodes: Vec<_> = outer.iter().collect();
        let side = if by_source { "source" } else { "target" };
        for (i, node) in outer_nodes.iter().enumerate() {
            let args = if by_source {
                PyTuple::new(py, [node.clone(), inner.clone()])?
            } else {
                PyTuple::new(py, [inner.clone(), node.clone()])?
            };
            let vals = call(rule, args, params).map_err(|e| {
                rule_error(
                    py,
                    et,
                    format!("raised for {side} node {}: {e}", node_id(&outer_nodes, i)),
                    Some(e),
                )
            })?;
            let n = vals.len().map_err(|_| {
                rule_error(py, et, format!("({iterator}) must return a sequence of {inner_len} counts for {side} node {}", node_id(&outer_nodes, i)), None)
            })?;
            if n != inner_len {
                return Err(rule_error(
                    py,
                    et,
                    format!(
                        "({iterator}) returned {n} counts for {side} node {}, expected {inner_len}",
                        node_id(&outer_nodes, i)
                    ),
                    None,
                ));
            }
            let table = &mut self.inner;
            let mut push = |j: usize, c: u32| {
                let (s, t) = if by_source { (i, j) } else { (j, i) };
                table.push(s as u32, t as u32, c);
            };
            let bad = |j: usize, m: String| {
                rule_error(
                    py,
                    et,
                    format!(
                        "({iterator}) for {side} node {}, entry {j} {m}",
                        node_id(&outer_nodes, i)
                    ),
                    None,
                )
            };
            if let Some(res) = push_int_array(&vals, &mut push) {
                res.map_err(|(j, m)| bad(j, m))?;
                continue;
            }
            for (j, v) in vals.try_iter()?.enumerate() {
                let c = v
                    .map_err(|e| e.to_string())
                    .and_then(|v| count_of(&v))
                    .map_err(|m| bad(j, m))?;
                push(j, c);
            }
        }
        self.inner.finish_counts();
        Ok(())
    }

    /// add_properties with a callable: `rule(source, target, **params)` once per synapse, in
    /// file-row order; `names` has one entry (one value returned) or several (a tuple returned).
    #[pyo3(signature = (names, dtypes, rule, params, sources, targets, multi))]
    #[allow(clippy::too_many_arguments)]
    fn eval_property(
        &mut self,
        py: Python<'_>,
        names: Vec<String>,
        dtypes: Vec<String>,
        rule: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
        sources: &Bound<'_, PyList>,
        targets: &Bound<'_, PyList>,
        multi: bool,
    ) -> PyResult<()> {
        let et = self.inner.edge_type_id;
        let srcs: Vec<_> = sources.iter().collect();
        let trgs: Vec<_> = targets.iter().collect();
        let n = self.inner.n_syns() as usize;
        let mut cols: Vec<PropBuilder> = dtypes
            .iter()
            .zip(&names)
            .map(|(d, name)| PropBuilder::new(d, n, name))
            .collect::<PyResult<_>>()?;
        let pairs: Vec<(u32, u32)> = self.inner.synapse_pairs().collect();
        for (row, (a, b)) in pairs.into_iter().enumerate() {
            let (s, t) = (&srcs[a as usize], &trgs[b as usize]);
            let args = PyTuple::new(py, [s, t])?;
            let v = call(rule, args, params).map_err(|e| {
                let msg = format!(
                    "add_properties({names:?}) rule of edge type {et} raised for source node {} and target node {}: {e}",
                    node_id(&srcs, a as usize),
                    node_id(&trgs, b as usize)
                );
                let err = PyValueError::new_err(msg);
                err.set_cause(py, Some(e));
                err
            })?;
            if multi {
                let items: Vec<Bound<'_, PyAny>> = v.try_iter().and_then(|it| it.collect()).map_err(|_| {
                    PyValueError::new_err(format!("add_properties({names:?}) rule of edge type {et} must return {} values, got {v}", names.len()))
                })?;
                if items.len() != cols.len() {
                    return Err(PyValueError::new_err(format!(
                        "add_properties({names:?}) rule of edge type {et} returned {} values, expected {}",
                        items.len(),
                        cols.len()
                    )));
                }
                for (c, x) in cols.iter_mut().zip(items.iter()) {
                    c.push(x, row)?;
                }
            } else {
                cols[0].push(&v, row)?;
            }
        }
        for (name, c) in names.iter().zip(cols) {
            self.inner.add_property(name, c.finish()).py()?;
        }
        Ok(())
    }

    /// add_properties with explicit values (one per synapse row), as (dtype, data, width).
    fn set_property(&mut self, name: &str, dtype: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let col = column_from_py(dtype, data, 1, &format!("edge property '{name}'"))?;
        self.inner.add_property(name, col).py()
    }

    #[getter]
    fn n_syns(&self) -> u64 {
        self.inner.n_syns()
    }

    #[getter]
    fn n_rows(&self) -> usize {
        self.inner.n_rows()
    }

    #[getter]
    fn n_connections(&self) -> usize {
        self.inner.conns().len()
    }

    /// The rows of this edge type: {'source_node_id', 'target_node_id', <attributes>}.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let (s, t) = self.inner.row_node_ids();
        d.set_item("source_node_id", u64_array(py, &s))?;
        d.set_item("target_node_id", u64_array(py, &t))?;
        for (name, col) in self.inner.columns() {
            let tup = column_to_py(py, &col)?;
            d.set_item(name, tup.get_item(1)?)?;
        }
        Ok(d)
    }
}

/// Accumulates returned values of one property into a typed column.
struct PropBuilder {
    name: String,
    values: Values,
}

impl PropBuilder {
    fn new(dtype: &str, n: usize, name: &str) -> PyResult<Self> {
        let values = match dtype {
            "float64" => Values::F64(Vec::with_capacity(n)),
            "float32" => Values::F32(Vec::with_capacity(n)),
            "int64" => Values::I64(Vec::with_capacity(n)),
            "int32" => Values::I32(Vec::with_capacity(n)),
            "int16" => Values::I16(Vec::with_capacity(n)),
            "int8" => Values::I8(Vec::with_capacity(n)),
            "uint64" => Values::U64(Vec::with_capacity(n)),
            "uint32" => Values::U32(Vec::with_capacity(n)),
            "uint16" => Values::U16(Vec::with_capacity(n)),
            "uint8" => Values::U8(Vec::with_capacity(n)),
            "bool" => Values::Bool(Vec::with_capacity(n)),
            "str" => Values::Str(Vec::with_capacity(n)),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "edge property '{name}': dtype {other} is not supported (use a float, int, uint, bool or str dtype)"
                )))
            }
        };
        Ok(PropBuilder {
            name: name.to_string(),
            values,
        })
    }

    fn push(&mut self, v: &Bound<'_, PyAny>, row: usize) -> PyResult<()> {
        let (pname, dname) = (self.name.clone(), self.values.dtype_name());
        let bad = |e: PyErr| {
            PyValueError::new_err(format!(
                "edge property '{pname}': value {v} for synapse row {row} does not convert to {dname}: {e}"
            ))
        };
        macro_rules! int {
            ($vec:expr, $t:ty) => {{
                let x: i128 = v.extract::<i128>().or_else(|_| {
                    let f: f64 = v.extract()?;
                    Ok::<i128, PyErr>(f as i128)
                }).map_err(bad)?;
                let y = <$t>::try_from(x).map_err(|_| {
                    PyValueError::new_err(format!("edge property '{pname}': value {x} for synapse row {row} is out of range for {}", stringify!($t)))
                })?;
                $vec.push(y)
            }};
        }
        match &mut self.values {
            Values::F64(x) => x.push(v.extract::<f64>().map_err(bad)?),
            Values::F32(x) => x.push(v.extract::<f64>().map_err(bad)? as f32),
            Values::I64(x) => int!(x, i64),
            Values::I32(x) => int!(x, i32),
            Values::I16(x) => int!(x, i16),
            Values::I8(x) => int!(x, i8),
            Values::U64(x) => int!(x, u64),
            Values::U32(x) => int!(x, u32),
            Values::U16(x) => int!(x, u16),
            Values::U8(x) => int!(x, u8),
            Values::Bool(x) => x.push(v.is_truthy().map_err(bad)?),
            Values::Str(x) => x.push(v.str().map_err(bad)?.to_string()),
        }
        Ok(())
    }

    fn finish(self) -> Column {
        Column::new(self.values)
    }
}

/// Orders keys with a Python callable (numpy's argsort), so files match BMTK's row order.
struct PyArgSort<'py> {
    py: Python<'py>,
    func: Bound<'py, PyAny>,
}

impl ArgSort for PyArgSort<'_> {
    fn argsort(&self, keys: &[u64]) -> EResult<Vec<usize>> {
        let arr = PyArray1::from_slice(self.py, keys);
        let res = self
            .func
            .call1((arr,))
            .and_then(|r| {
                r.extract::<PyReadonlyArray1<'_, i64>>()
                    .map(|a| a.as_array().to_vec())
            })
            .map_err(|e| Error::invalid(format!("ordering edges failed: {e}")))?;
        if res.len() != keys.len() {
            return Err(Error::invalid(
                "ordering edges failed: the permutation has the wrong length",
            ));
        }
        Ok(res.into_iter().map(|i| i as usize).collect())
    }
}

/// Merges `tables` (edge types from one source to one target network) and writes the edges file.
#[pyfunction]
#[pyo3(signature = (path, population, source_population, target_population, tables, argsort, index_by=None))]
#[allow(clippy::too_many_arguments)]
pub fn write_edges(
    py: Python<'_>,
    path: std::path::PathBuf,
    population: &str,
    source_population: &str,
    target_population: &str,
    tables: Vec<PyRef<'_, EdgeTable>>,
    argsort: &Bound<'_, PyAny>,
    index_by: Option<Vec<String>>,
) -> PyResult<usize> {
    let kinds = match index_by {
        None => vec![EdgeIndexKind::Target, EdgeIndexKind::Source],
        Some(names) => names
            .iter()
            .map(|n| EdgeIndexKind::parse(n))
            .collect::<crate::error::Result<Vec<_>>>()
            .py()?,
    };
    let refs: Vec<&EdgeTypeTable> = tables.iter().map(|t| &t.inner).collect();
    let py_order;
    let order: &dyn ArgSort = if argsort.is_none() {
        &StableOrder
    } else {
        py_order = PyArgSort {
            py,
            func: argsort.clone(),
        };
        &py_order
    };
    let pop = collate(
        population,
        source_population,
        target_population,
        &refs,
        order,
    )
    .py()?;
    let n = pop.len();
    write_edges_file_indexed(&path, pop, order, &kinds).py()?;
    Ok(n)
}
