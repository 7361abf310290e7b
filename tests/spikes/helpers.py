"""Comparisons shared by the spike-train tests: the same spikes, population by population, in
the stored order, in bmtk-rs and in a reference reader."""

import numpy as np


def stored(st, pop):
    """(node_ids as uint64, timestamps) of a population in stored order, from either package."""
    df = st.to_dataframe(populations=pop, with_population_col=False)
    return df["node_ids"].to_numpy().astype(np.uint64), df["timestamps"].to_numpy().astype(np.float64)


def assert_same_spikes(rs, ref, check_sorting=True, nodes_to_probe=5):
    """bmtk-rs SpikeTrains ``rs`` holds exactly what the bmtk reader ``ref`` holds."""
    assert [str(p) for p in rs.populations] == [str(p) for p in ref.populations]
    for p in rs.populations:
        ids_rs, ts_rs = stored(rs, p)
        ids_ref, ts_ref = stored(ref, p)
        np.testing.assert_array_equal(ids_rs, ids_ref)
        np.testing.assert_array_equal(ts_rs, ts_ref)
        assert rs.n_spikes(population=p) == ref.n_spikes(population=p) == len(ts_ref)
        np.testing.assert_array_equal(rs.node_ids(population=p), np.unique(np.asarray(ref.node_ids(population=p))))
        assert rs.units(population=p) == ref.units(population=p)
        if check_sorting:
            assert rs.sort_order(population=p).value == ref.sort_order(population=p).value
        for n in np.unique(ids_ref)[:nodes_to_probe]:
            np.testing.assert_array_equal(rs.get_times(int(n), population=p),
                                          np.asarray(ref.get_times(int(n), population=p)))


def libsonata_spikes(path):
    """{population: (sorting, sorted [(node_id, t)])} as libsonata reads a file."""
    import libsonata

    r = libsonata.SpikeReader(str(path))
    out = {}
    for p in r.get_population_names():
        pop = r[p]
        out[p] = (str(pop.sorting), sorted((int(n), float(t)) for n, t in pop.get()))
    return out


def sorted_pairs(st, pop):
    ids, ts = stored(st, pop)
    return sorted(zip(ids.tolist(), ts.tolist()))
