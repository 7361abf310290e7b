"""Comparisons of what the two sides produced: recorded values, file trees, SONATA HDF5 files (every
group, dataset and attribute), csv tables, json configs, BioNet spikes and membrane reports.

Deliberate differences of bmtk-rs's files that the comparison accepts, and only these:

(a) SONATA spikes files: bmtk 1.2.0 writes the `sorting` attribute of spikes/<population> as a
    string; bmtk-rs writes there the SONATA specification's enum (libsonata refuses bmtk's string)
    and the same string on the node_ids dataset, where bmtk's reader looks first. The raw `sorting`
    attributes are not compared; the sort order bmtk's own reader (SonataSTReader.sort_order)
    reports for each file must be the same.
(b) Compression filters: bmtk gzips datasets, bmtk-rs writes them uncompressed so that libsonata
    can read them. Filters and chunking are never compared; data, dtypes, shapes and attributes are.
(c) Compartment report data (report/<population>/data) may be float32 on one side and float64 on
    the other: the values must agree within float32 precision.

Any other difference fails the comparison: it is a bug to report, not to accept."""

import json
import math
import pathlib

import h5py
import numpy as np
import pandas as pd


def same_value(a, b, path="value", rtol=1e-9, atol=1e-12):
    """Recursive equality of two plain pictures (see _record.plain); floats within rtol/atol."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), f"{path}: bmtk {a!r} vs bmtk-rs {b!r}"
        if math.isnan(a) or math.isnan(b):
            assert math.isnan(a) and math.isnan(b), f"{path}: bmtk {a!r} vs bmtk-rs {b!r}"
            return
        assert abs(a - b) <= atol + rtol * abs(a), f"{path}: bmtk {a!r} vs bmtk-rs {b!r}"
        return
    if isinstance(a, dict):
        assert isinstance(b, dict), f"{path}: bmtk {type(a).__name__} vs bmtk-rs {type(b).__name__}: {b!r}"[:800]
        assert list(a) == list(b) or set(a) == set(b), f"{path}: keys bmtk {list(a)} vs bmtk-rs {list(b)}"
        for k in a:
            same_value(a[k], b[k], f"{path}[{k!r}]", rtol, atol)
        return
    if isinstance(a, list):
        assert isinstance(b, list), f"{path}: bmtk list vs bmtk-rs {b!r}"[:800]
        assert len(a) == len(b), f"{path}: length bmtk {len(a)} vs bmtk-rs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same_value(x, y, f"{path}[{i}]", rtol, atol)
        return
    assert type(a) is type(b) and a == b, f"{path}: bmtk {a!r} vs bmtk-rs {b!r}"


def same_records(recs, names=None, **tol):
    a, b = recs["bmtk"], recs["rs"]
    names = names or sorted(a)
    assert set(names) <= set(a), (names, sorted(a))
    for n in names:
        assert n in b, f"bmtk-rs did not record {n!r}"
        same_value(a[n], b[n], n, **tol)


def files(root, skip=()):
    root = pathlib.Path(root)
    out = set()
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".") and "/." not in rel and not any(
                rel == s or rel.startswith(s.rstrip("/") + "/") for s in skip):
            out.add(rel)
    return out


def _h5_items(f):
    items = {}
    f.visititems(lambda name, obj: items.__setitem__(name, obj))
    return items


def _attrs(obj):
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in obj.attrs.items()}


def _same_attr(x, y, where):
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.dtype.kind in "SUO" or ya.dtype.kind in "SUO":
        norm = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else str(v))
        np.testing.assert_array_equal(norm(ya) if ya.size else ya, norm(xa) if xa.size else xa, err_msg=where)
    else:
        np.testing.assert_array_equal(ya, xa, err_msg=where)


_F32_EPS = float(np.finfo(np.float32).eps)


def _is_spike_sorting(name, key):
    """(a): the `sorting` attribute of spikes/<pop> or spikes/<pop>/node_ids."""
    parts = name.split("/")
    return key == "sorting" and parts[0] == "spikes" and (len(parts) == 2 or parts[2:] == ["node_ids"])


def _is_report_data(name):
    """(c): report/<pop>/data."""
    parts = name.split("/")
    return len(parts) == 3 and parts[0] == "report" and parts[2] == "data"


def same_h5(a_path, b_path, rtol=0.0, atol=0.0, skip=()):
    """Every group, dataset (name, dtype kind and size, shape, values) and attribute of `a` is in `b`
    and the same, and `b` has nothing more (with the module's deviations (a)-(c))."""
    a_path, b_path = pathlib.Path(a_path), pathlib.Path(b_path)
    with h5py.File(a_path, "r") as fa, h5py.File(b_path, "r") as fb:
        ia, ib = _h5_items(fa), _h5_items(fb)
        ka = {k for k in ia if not any(k.startswith(s) for s in skip)}
        kb = {k for k in ib if not any(k.startswith(s) for s in skip)}
        assert ka == kb, f"{b_path.name}: bmtk-only {sorted(ka - kb)}, bmtk-rs-only {sorted(kb - ka)}"
        if "spikes" in ka:
            from ._oracle_reader import spike_sort_orders

            oa, ob = spike_sort_orders(a_path), spike_sort_orders(b_path)
            assert oa == ob, f"{b_path.name}: sort order read by bmtk: bmtk's file {oa} vs bmtk-rs's {ob}"
        for name in sorted(ka | {"/"}):
            oa, ob = (fa, fb) if name == "/" else (ia[name], ib[name])
            where = f"{b_path.name}:{name}"
            ata = {k: v for k, v in _attrs(oa).items() if not _is_spike_sorting(name, k)}
            atb = {k: v for k, v in _attrs(ob).items() if not _is_spike_sorting(name, k)}
            assert set(ata) == set(atb), f"{where} attributes: bmtk {sorted(ata)} vs bmtk-rs {sorted(atb)}"
            for k in ata:
                _same_attr(ata[k], atb[k], f"{where}@{k}")
            if isinstance(oa, h5py.Dataset):
                assert isinstance(ob, h5py.Dataset), where
                assert oa.shape == ob.shape, f"{where}: shape bmtk {oa.shape} vs bmtk-rs {ob.shape}"
                da, db = oa.dtype, ob.dtype
                sa = h5py.check_string_dtype(da)
                sb = h5py.check_string_dtype(db)
                assert (sa is None) == (sb is None), f"{where}: dtype bmtk {da} vs bmtk-rs {db}"
                if sa is None and da.kind == db.kind == "f" and da.itemsize != db.itemsize and _is_report_data(name):
                    np.testing.assert_allclose(ob[()], oa[()], rtol=max(rtol, 2 * _F32_EPS), atol=atol, err_msg=where)
                elif sa is None:
                    assert (da.kind, da.itemsize) == (db.kind, db.itemsize), f"{where}: dtype bmtk {da} vs bmtk-rs {db}"
                    if da.kind == "f" and (rtol or atol):
                        np.testing.assert_allclose(ob[()], oa[()], rtol=rtol, atol=atol, err_msg=where)
                    else:
                        np.testing.assert_array_equal(ob[()], oa[()], err_msg=where)
                else:
                    np.testing.assert_array_equal(ob.asstr()[()], oa.asstr()[()], err_msg=where)


def read_table(path):
    return pd.read_csv(path, sep=" ", keep_default_na=False)


def same_table(a_path, b_path, sort=False):
    ta, tb = read_table(a_path), read_table(b_path)
    name = pathlib.Path(b_path).name
    assert list(ta.columns) == list(tb.columns) or set(ta.columns) == set(tb.columns), (
        f"{name}: columns bmtk {list(ta.columns)} vs bmtk-rs {list(tb.columns)}")
    tb = tb[list(ta.columns)]
    if sort:
        ta = ta.sort_values(list(ta.columns)).reset_index(drop=True)
        tb = tb.sort_values(list(ta.columns)).reset_index(drop=True)
    assert len(ta) == len(tb), f"{name}: {len(ta)} rows in bmtk's vs {len(tb)} in bmtk-rs's"
    for c in ta.columns:
        x, y = ta[c].to_numpy(), tb[c].to_numpy()
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            np.testing.assert_allclose(y.astype(float), x.astype(float), rtol=1e-12, err_msg=f"{name}:{c}")
        else:
            assert [str(v) for v in x] == [str(v) for v in y], f"{name}:{c}: bmtk {list(x)[:8]} vs bmtk-rs {list(y)[:8]}"


def same_json(a_path, b_path, roots=None):
    """Two json files as values; `roots` (bmtk's folder, bmtk-rs's folder) stand for the same place
    in absolute paths (sim_setup writes spikes inputs as absolute paths)."""
    ta, tb = pathlib.Path(a_path).read_text(), pathlib.Path(b_path).read_text()
    if roots:
        ta = ta.replace(str(pathlib.Path(roots[0]).resolve()), "<ROOT>").replace(str(roots[0]), "<ROOT>")
        tb = tb.replace(str(pathlib.Path(roots[1]).resolve()), "<ROOT>").replace(str(roots[1]), "<ROOT>")
    ja, jb = json.loads(ta), json.loads(tb)
    # bmtk copies every folder beside its example scripts, Python's byte-code cache too: an artefact
    # of the installation, not part of the contract
    ja.get("components", {}).pop("__pycache___dir", None) if isinstance(ja, dict) else None
    same_value(ja, jb, pathlib.Path(b_path).name)


def same_tree(a_root, b_root, skip=(), h5_skip=(), custom=None, roots=None):
    """Both sides wrote the same files; each compared by kind (custom: {relpath: fn(a, b)})."""
    a_root, b_root = pathlib.Path(a_root), pathlib.Path(b_root)
    fa, fb = files(a_root, skip), files(b_root, skip)
    assert fa == fb, f"bmtk-only files {sorted(fa - fb)}, bmtk-rs-only files {sorted(fb - fa)}"
    assert fa, "nothing was written: the comparison would be empty"
    custom = custom or {}
    for rel in sorted(fa):
        a, b = a_root / rel, b_root / rel
        if rel in custom:
            custom[rel](a, b)
        elif rel.endswith(".h5"):
            same_h5(a, b, skip=h5_skip)
        elif rel.endswith(".csv"):
            same_table(a, b)
        elif rel.endswith(".json"):
            same_json(a, b, roots or (a_root, b_root))
        elif rel.endswith((".txt", ".log", ".py", ".png", ".pdf")):
            continue  # logs, run scripts and pictures are not contracts
        else:
            assert a.read_bytes() == b.read_bytes(), rel


def spike_file_layout(path):
    """Groups, datasets (dtype kind and size) and attributes of a spikes file without the values, and
    the sort order bmtk's reader gives each population (deviation (a))."""
    from ._oracle_reader import spike_sort_orders

    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, (
            (o.dtype.kind, o.dtype.itemsize) if isinstance(o, h5py.Dataset) else "group",
            {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in o.attrs.items()
             if not _is_spike_sorting(n, k)})))
    out["<sort order read by bmtk>"] = spike_sort_orders(path)
    return out


def spikes_of(path):
    """{population: {node_id: sorted times}} from a SONATA spikes file."""
    out = {}
    with h5py.File(path, "r") as f:
        for pop, g in f["spikes"].items():
            ids, ts = g["node_ids"][()], g["timestamps"][()]
            out[pop] = {int(n): np.sort(ts[ids == n]) for n in np.unique(ids)}
    return out


def similar_spikes(a_path, b_path, n_cells, tstop, window=100.0, dt_tol=0.5, rate_tol=0.10):
    """BioNet's bar: every cell's spikes of the first `window` ms are the same in number and within
    `dt_tol` ms; each population's mean rate within `rate_tol` (or 1 Hz).
    `n_cells`: {population: number of simulated cells}."""
    sa, sb = spikes_of(a_path), spikes_of(b_path)
    assert set(sa) == set(sb), (sorted(sa), sorted(sb))
    la, lb = spike_file_layout(a_path), spike_file_layout(b_path)
    assert la == lb, f"spikes file layout: bmtk {la} vs bmtk-rs {lb}"
    checked = 0
    for pop, cells in sa.items():
        other = sb[pop]
        for n in sorted(set(cells) | set(other)):
            x = cells.get(n, np.zeros(0))
            y = other.get(n, np.zeros(0))
            x, y = x[x < window], y[y < window]
            assert len(x) == len(y), f"{pop}/{n}: first {window} ms bmtk {x.tolist()} vs bmtk-rs {y.tolist()}"
            if len(x):
                assert np.max(np.abs(x - y)) <= dt_tol, f"{pop}/{n}: bmtk {x.tolist()} vs bmtk-rs {y.tolist()}"
                checked += len(x)
        ra = sum(len(t) for t in cells.values()) / n_cells[pop] / (tstop / 1000.0)
        rb = sum(len(t) for t in other.values()) / n_cells[pop] / (tstop / 1000.0)
        assert abs(ra - rb) <= max(rate_tol * ra, 1.0), f"{pop}: rate bmtk {ra:.2f} Hz vs bmtk-rs {rb:.2f} Hz"
    return checked


def similar_report(a_path, b_path, v_atol=1.0, first_spike=None):
    """A membrane report: the same mapping and layout; traces equal (within v_atol) before
    `first_spike` ms (after it, spike timing tolerances take over)."""
    same_h5(a_path, b_path, skip=("report/",))
    with h5py.File(a_path, "r") as fa, h5py.File(b_path, "r") as fb:
        for pop in fa["report"]:
            ga, gb = fa["report"][pop], fb["report"][pop]
            assert pop in fb["report"], pop
            for key in ga["mapping"]:
                np.testing.assert_array_equal(gb["mapping"][key][()], ga["mapping"][key][()], err_msg=key)
            x, y = ga["data"][()], gb["data"][()]
            assert x.shape == y.shape, (x.shape, y.shape)
            t0, t1, dt = ga["mapping/time"][()][:3]
            n = x.shape[0] if first_spike is None else max(1, int((first_spike - 2.0 - t0) / dt))
            np.testing.assert_allclose(y[:n], x[:n], atol=v_atol, rtol=0, err_msg=f"{pop} data")
            xa, xb = _attrs(ga["data"]), _attrs(gb["data"])
            assert set(xa) == set(xb), f"{pop}/data attributes: bmtk {xa} vs bmtk-rs {xb}"
            for k in xa:
                _same_attr(xa[k], xb[k], f"{pop}/data@{k}")
