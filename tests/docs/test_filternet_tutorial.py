"""bmtk's FilterNet tutorial (docs/tutorial/07_filter_models), restated with fewer cells and a shorter
stimulus: LGN cells with lgnmodel templates built and saved, build_env_filternet, the config's inputs
set to a full-field flash and then to a drifting grating, the FilterNet run, and plot_raster /
plot_rates. The filter parameter files are bmtk's own examples (its wheel), put in place on both
sides. Rates are deterministic and must match; spikes are Poisson draws from those rates (each
simulator's own generator), so the spike files are compared by layout and mean rate."""

import importlib.util
import pathlib

import h5py
import numpy as np
import pandas as pd

import pytest

from ._bionet_case import same_figure_shape
from ._compare import same_json, same_tree, spike_file_layout
from ._harness import Block, Group


def _bmtk_filter_models():
    spec = importlib.util.find_spec("bmtk")
    assert spec is not None and spec.origin, "bmtk 1.2.0 is not installed"
    return pathlib.Path(spec.origin).parent / "utils" / "scripts" / "filternet" / "filter_models"


_BLOCK = """
import json, shutil, glob
import numpy as np
from bmtk.builder import NetworkBuilder
lgn = NetworkBuilder('lgn')
lgn.add_nodes(N=4, model_type='virtual', model_template='lgnmodel:tON_TF8', ei='e', spatial_size=2.0,
              x=np.random.uniform(0.0, 240.0, 4), y=np.random.uniform(0.0, 120.0, 4), dynamics_params='tON_TF8.json')
lgn.add_nodes(N=4, model_type='virtual', model_template='lgnmodel:sOFF_TF8', ei='e', spatial_size=4.0,
              x=np.random.uniform(0.0, 240.0, 4), y=np.random.uniform(0.0, 120.0, 4), dynamics_params='sOFF_TF8.json')
lgn.build()
lgn.save_nodes(output_dir='sim_ch07/network')

from bmtk.utils.sim_setup import build_env_filternet
build_env_filternet(base_dir='sim_ch07', network_dir='sim_ch07/network', tstop=400.0, include_examples=True,
                    config_file='config.json')
for f in glob.glob({models!r} + '/*.json'):
    shutil.copy(f, 'sim_ch07/components/filter_models/')

# config.json only names the two halves: the inputs and run times live in simulation_config.json
with open('sim_ch07/simulation_config.json') as fh:
    cfg = json.load(fh)
cfg['inputs'] = {stimulus}
cfg['run']['tstop'] = 400.0
# build_env_filternet names the rates file 'rates_file_csv', a key FilterNet does not read; the
# tutorial's rates come from the 'rates_csv' key
cfg['output']['rates_csv'] = 'rates.csv'
with open('sim_ch07/simulation_config.json', 'w') as fh:
    json.dump(cfg, fh, indent=2)

from bmtk.simulator import filternet
config = filternet.Config.from_json('sim_ch07/config.json')
config.build_env()
net = filternet.FilterNetwork.from_config(config)
sim = filternet.FilterSimulator.from_config(config, net)
sim.run()

from bmtk.analyzer.spike_trains import plot_raster, plot_rates
record('raster', plot_raster(config_file='sim_ch07/config.json', group_by='model_template', show=False))
record('rates', plot_rates(config_file='sim_ch07/config.json', group_by='model_template', show=False))
"""

_FLASH = {"full_field_flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 120,
                               "col_size": 240, "t_on": 100.0, "t_off": 300.0, "max_intensity": 20.0}}
_GRATING = {"LGN_spikes": {"input_type": "movie", "module": "graiting", "row_size": 120, "col_size": 240,
                           "gray_screen_dur": 0.1, "cpd": 0.04, "temporal_f": 4.0, "contrast": 0.8, "theta": 45.0}}


def _compare(dirs):
    base_a, base_b = dirs["bmtk"] / "sim_ch07", dirs["rs"] / "sim_ch07"
    same_tree(base_a / "network", base_b / "network")
    for cfg in sorted(base_a.glob("*.json")):
        same_json(cfg, base_b / cfg.name, roots=(dirs["bmtk"], dirs["rs"]))
    ra = pd.read_csv(base_a / "output" / "rates.csv", sep=" ")
    rb = pd.read_csv(base_b / "output" / "rates.csv", sep=" ")
    assert list(ra.columns) == list(rb.columns) and len(ra) == len(rb)
    for c in ra.columns:
        if ra[c].dtype.kind == "f":
            np.testing.assert_allclose(rb[c].to_numpy(), ra[c].to_numpy(), rtol=1e-6, atol=1e-9, err_msg=c)
        else:
            assert ra[c].astype(str).tolist() == rb[c].astype(str).tolist(), c
    assert ra["firing_rates"].std() > 0.1, "the stimulus did not move the rates: the comparison would be vacuous"
    la, lb = spike_file_layout(base_a / "output" / "spikes.h5"), spike_file_layout(base_b / "output" / "spikes.h5")
    assert la == lb, f"spikes file layout: bmtk {la} vs bmtk-rs {lb}"
    with h5py.File(base_a / "output" / "spikes.h5", "r") as fa, h5py.File(base_b / "output" / "spikes.h5", "r") as fb:
        assert set(fa["spikes"]) == set(fb["spikes"])
        for pop in fa["spikes"]:
            ga, gb = fa["spikes"][pop], fb["spikes"][pop]
            assert set(ga) == set(gb)
            na, nb = len(ga["timestamps"]), len(gb["timestamps"])
            assert abs(na - nb) <= max(0.1 * na, 10), (pop, na, nb)


@pytest.fixture(scope="module")
def group(oracle, tmp_path_factory):
    """Both stimuli, run once per side."""
    models = str(_bmtk_filter_models())
    blocks = {"flash": _BLOCK.format(models=models, stimulus=repr(_FLASH)),
              "grating": Block(_BLOCK.format(models=models, stimulus=repr(_GRATING)), seed=5)}
    return Group(blocks, tmp_path_factory.mktemp("filternet_tutorial"))


def test_filternet_full_field_flash(group):
    """07_filter_models with a full-field flash."""
    dirs, recs = group("flash")
    _compare(dirs)
    same_figure_shape(recs, "raster")
    same_figure_shape(recs, "rates")


def test_filternet_drifting_grating(group):
    """07_filter_models with a drifting grating."""
    dirs, recs = group("grating")
    _compare(dirs)
    same_figure_shape(recs, "raster")
