"""Membrane reports of any variable a cell has, as bmtk 1.2.0 + NEURON 9.0.2 record them: ion variables
(ik, cai), a mechanism's states and currents by NEURON's `<name>_<SUFFIX>` names (m_NaTs, ik_SK), section
type lists (["dend", "apic"]), and a report's own dt / start_time / end_time. Same config through both;
the files must hold the same cells, elements and times, and values within the tolerance below."""

import h5py
import numpy as np
import pytest

from ..conftest import require_module
from .network_configs import localize, run_config

TSTOP = 60.0
# bmtk 1.2.0 resolves a node set by attributes ({"population": "v1", "pop_name": "Scnn1a"}) to no
# cell (bmtk-rs resolves it), so the reports name node ids: 0 and 1 are the Scnn1a cells
SCNN1A = [0, 1]
BIO = list(range(10))

REPORTS = {
    "m_nats": {"module": "membrane_report", "variable_name": "m_NaTs", "sections": "soma", "cells": SCNN1A},
    "ik_sk": {"module": "membrane_report", "variable_name": "ik_SK", "sections": "soma", "cells": SCNN1A},
    "ik_soma": {"module": "membrane_report", "variable_name": "ik", "sections": "soma", "cells": BIO},
    "ina_soma": {"module": "membrane_report", "variable_name": "ina", "sections": "soma", "cells": BIO},
    "cai_soma_list": {"module": "membrane_report", "variable_name": "cai", "sections": ["soma"], "cells": [0, 3]},
    "v_dend": {"module": "membrane_report", "variable_name": "v", "sections": ["dend", "apic"],
               "cells": [1, 4], "dt": 0.5, "start_time": 10.0, "end_time": 50.0},
    "v_axon": {"module": "membrane_report", "variable_name": "v", "sections": "axon", "cells": [2]},
}


def _edit(conf):
    conf["reports"] = {k: dict(v, file_name=f"{k}.h5") for k, v in REPORTS.items()}


@pytest.fixture(scope="module")
def both(bmtk_data, nrnmech_dir, tmp_path_factory):
    require_module("bmtk")
    base = tmp_path_factory.mktemp("report_vars")
    ex = bmtk_data / "examples" / "bio_14cells"
    ours = localize(ex, "config.simulation.json", base / "rs", tstop=TSTOP, edit=_edit)
    ref = localize(ex, "config.simulation.json", base / "nrn", tstop=TSTOP, edit=_edit)
    run_config(ours)
    run_config(ref, nrnmech_dir)
    return base / "rs" / "output", base / "nrn" / "output"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_matches_neuron(both, name):
    ours, ref = (h5py.File(d / f"{name}.h5", "r") for d in both)
    with ours, ref:
        assert sorted(ours["report"]) == sorted(ref["report"])
        for pop in ref["report"]:
            a, b = ours[f"report/{pop}"], ref[f"report/{pop}"]
            for key in ("node_ids", "element_ids", "index_pointer"):
                np.testing.assert_array_equal(a[f"mapping/{key}"][()], b[f"mapping/{key}"][()], err_msg=key)
            np.testing.assert_allclose(a["mapping/element_pos"][()], b["mapping/element_pos"][()], atol=1e-9)
            np.testing.assert_allclose(a["mapping/time"][()], b["mapping/time"][()], rtol=1e-12)
            x, y = a["data"][()], b["data"][()]
            assert x.shape == y.shape, (x.shape, y.shape)
            # float32 storage on both sides (measured: within 6e-8 of each trace's scale)
            scale = max(float(np.ptp(y)), float(np.max(np.abs(y))), 1e-30)
            err = float(np.max(np.abs(x.astype(float) - y.astype(float)))) / scale
            assert err < 1e-6, f"{name}/{pop}: max |difference| {err:.3g} of the trace's scale"


def test_report_of_missing_mechanism_is_an_error_before_the_run(bmtk_data, tmp_path):
    """m_NaTs on every section: NaTs sits on the soma only, so the config is refused, naming the
    report, the variable and where the mechanism is missing; no output is written."""
    ex = bmtk_data / "examples" / "bio_14cells"

    def edit(conf):
        conf["reports"] = {"bad": {"module": "membrane_report", "variable_name": "m_NaTs", "sections": "all",
                                   "cells": SCNN1A, "file_name": "bad.h5"}}

    cfg = localize(ex, "config.simulation.json", tmp_path, tstop=5.0, edit=edit)
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=r"report 'bad'.*m_NaTs.*not inserted in section"):
        bionet.BioSimulator.from_config(conf, network=net)
    assert not (tmp_path / "output" / "bad.h5").exists()
    assert not (tmp_path / "output" / "spikes.h5").exists()


@pytest.mark.parametrize("report, message", [
    ({"variable_name": "v", "dt": 0.15}, r"dt 0.15 is not a whole multiple"),
    ({"variable_name": "v", "dt": 0.05}, r"dt 0.05 is less than"),
    ({"variable_name": "v", "end_time": 100.0}, r"end_time 100.0 is after tstop"),
    ({"variable_name": "v", "sections": ["dendrite"]}, r"unknown sections \['dendrite'\]"),
    ({"variable_name": "nai"}, r"cannot record 'nai'"),
    ({"variable_name": "cai", "sections": "all"}, r"cannot record 'cai'.*no mechanism using the ca ion"),
    ({"variable_name": "q_NaTs"}, r"NaTs has no variable 'q'"),
    ({"variable_name": "v", "transform": {"v": "mean"}}, r"unknown transform 'mean'"),
])
def test_bad_report_options_are_errors(bmtk_data, tmp_path, report, message):
    ex = bmtk_data / "examples" / "bio_14cells"

    def edit(conf):
        conf["reports"] = {"bad": dict({"module": "membrane_report", "sections": "soma", "cells": SCNN1A,
                                        "file_name": "bad.h5"}, **report)}

    cfg = localize(ex, "config.simulation.json", tmp_path, tstop=5.0, edit=edit)
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=message):
        bionet.BioSimulator.from_config(conf, network=net)
