"""build_env_* as bmtk's tutorials and simulation-setup pages call them (from Python): the configs written
must be the same, and with include_examples=True the component files the tutorials name must be where
the tutorials' networks expect them. NEURON-only folders (mechanisms/ with .mod files, templates/ with
hoc) and the run scripts are not compared: bmtk-rs needs neither NEURON nor hoc."""

import pytest

from ._compare import same_json, same_tree
from ._harness import Group

_NET = """
from bmtk.builder.networks import NetworkBuilder
net = NetworkBuilder('mcortex')
net.add_nodes(cell_name='Scnn1a_473845048', potential='exc', model_type='biophysical',
              model_template='ctdb:Biophys1.hoc', model_processing='aibs_perisomatic',
              dynamics_params='472363762_fit.json', morphology='Scnn1a_473845048_m.swc')
net.build()
net.save_nodes(output_dir='sim/network')
"""

_NEURON_ONLY = ("sim/components/mechanisms", "sim/components/templates", "sim/components/__pycache__",
                "sim/run_bionet.py", "sim/run_filternet.py", "sim/run_pointnet.py")


_TUTORIAL01_ENVIRONMENT = _NET + """
from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim', config_file='config.json', network_dir='network', tstop=2000.0, dt=0.1,
                 report_vars=['v', 'cai'], current_clamp={'amp': 0.120, 'delay': 500.0, 'duration': 1000.0},
                 include_examples=True, compile_mechanisms=False)
"""


_TUTORIAL_COMPONENTS_IN_PLACE = _NET + """
from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim', config_file='config.json', network_dir='sim/network', include_examples=True,
                 compile_mechanisms=False)
"""


_BIONET_ENVIRONMENT_OPTIONS = _NET + """
import os
os.makedirs('sim/inputs', exist_ok=True)
from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim', config_file='config.json', network_dir='sim/network', tstart=0.0, tstop=1500.0, dt=0.025, dL=10.0,
                 spikes_threshold=-20.0, nsteps_block=1000, v_init=-70.0, celsius=32.0,
                 report_vars=['v', 'cai'], report_nodes=[0], clamp_reports=['se'],
                 current_clamp={'gids': [0], 'amp': [0.2, 0.3], 'delay': [100.0, 600.0], 'duration': [200.0, 200.0]},
                 se_voltage_clamp={'gids': [0], 'amps': [[-70.0, -40.0, -70.0]], 'durations': [[100.0, 200.0, 100.0]],
                                   'rs': [0.01]},
                 spikes_inputs=[('mthalamus', 'sim/inputs/thalamus.h5')],
                 include_examples=False, compile_mechanisms=False)
"""


_FILTERNET_AND_POINTNET_ENVIRONMENTS = """
from bmtk.builder import NetworkBuilder
lgn = NetworkBuilder('lgn')
lgn.add_nodes(N=2, model_type='virtual', model_template='lgnmodel:tON_TF8', dynamics_params='tON_TF8.json')
lgn.build()
lgn.save_nodes(output_dir='fsim/network')
from bmtk.utils.sim_setup import build_env_filternet, build_env_pointnet
build_env_filternet(base_dir='fsim', network_dir='fsim/network', tstop=3000.0, include_examples=False,
                    config_file='config.json')
build_env_pointnet(base_dir='psim', network_dir='fsim/network', tstop=3000.0, dt=0.01,
                   spikes_inputs=[('lgn', 'psim/inputs/lgn.h5')], include_examples=False)
"""


_BLOCKS = {
    'tutorial01_environment': _TUTORIAL01_ENVIRONMENT,
    'tutorial_components_in_place': _TUTORIAL_COMPONENTS_IN_PLACE,
    'bionet_environment_options': _BIONET_ENVIRONMENT_OPTIONS,
    'filternet_and_pointnet_environments': _FILTERNET_AND_POINTNET_ENVIRONMENTS,
}


@pytest.fixture(scope="module")
def group(oracle, tmp_path_factory):
    """Every block of this file, run once per side."""
    return Group(_BLOCKS, tmp_path_factory.mktemp("sim_setup_docs"))



def _configs(dirs, base="sim"):
    found = sorted((dirs["bmtk"] / base).glob("*.json"))
    assert found, "no config written"
    for cfg in found:
        same_json(cfg, dirs["rs"] / base / cfg.name, roots=(dirs["bmtk"], dirs["rs"]))

def test_tutorial01_environment(group):
    """01_single_cell_clamped section 2: build_env_bionet with reports of v and cai and a step current."""
    dirs, _ = group('tutorial01_environment')
    _configs(dirs)


def test_tutorial_components_in_place(group):
    """include_examples=True: every file bmtk's examples put under components/ (the cell fits,
    morphologies, synapse and point-neuron models the tutorials name) is there, with the same content."""
    dirs, _ = group('tutorial_components_in_place')
    named = ["biophysical_neuron_models/472363762_fit.json", "biophysical_neuron_models/472912177_fit.json",
             "morphologies/Scnn1a_473845048_m.swc", "morphologies/Pvalb_470522102_m.swc",
             "synaptic_models/AMPA_ExcToExc.json", "synaptic_models/GABA_InhToExc.json",
             "point_neuron_models/IntFire1_exc_1.json", "point_neuron_models/IntFire1_inh_1.json"]
    missing = [n for n in named if not (dirs["rs"] / "sim" / "components" / n).is_file()]
    assert not missing, f"components the tutorials name are missing after include_examples=True: {missing}"
    same_tree(dirs["bmtk"] / "sim" / "components", dirs["rs"] / "sim" / "components",
              skip=("mechanisms", "templates", "__pycache__"))


def test_bionet_environment_options(group):
    """build_env_bionet's documented options: spikes inputs, a current clamp on some cells, clamp and
    membrane reports on chosen nodes, a voltage clamp, and the run/conditions numbers."""
    dirs, _ = group('bionet_environment_options')
    _configs(dirs)
    same_tree(dirs["bmtk"], dirs["rs"], skip=_NEURON_ONLY)


def test_filternet_and_pointnet_environments(group):
    """build_env_filternet (07_filter_models) and build_env_pointnet (05_pointnet_modeling: its
    environment only, PointNet runs are not part of bmtk-rs yet)."""
    dirs, _ = group('filternet_and_pointnet_environments')
    _configs(dirs, "fsim")
    _configs(dirs, "psim")


def test_tree_skip_excludes_named_folders(tmp_path):
    """same_tree's `skip` names folders relative to the compared roots: everything under them is left
    out, at any depth, and nothing else is."""
    from ._compare import files

    top = tmp_path / "top"
    for rel in ("mechanisms/modfiles/a.mod", "templates/B.hoc", "__pycache__/x.pyc", "morphologies/c.swc",
                "mechanisms_extra.json"):
        (top / "sim" / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / "sim" / rel).write_text("x")
    assert files(top / "sim", skip=("mechanisms", "templates", "__pycache__")) == {"morphologies/c.swc",
                                                                                  "mechanisms_extra.json"}
    assert files(top, skip=("sim/mechanisms", "sim/templates", "sim/__pycache__")) == {
        "sim/morphologies/c.swc", "sim/mechanisms_extra.json"}
