"""bmtk's BioNet tutorials (docs/tutorial/01_single_cell_clamped, 02_single_cell_syn, 03_single_pop,
04_multi_pop), restated with shorter runs and smaller networks: build the network, make the inputs,
build_env_bionet, run the three BioNet lines, then the analyzer calls. bmtk 1.2.0 + NEURON 9 is the
oracle; bmtk-rs runs the same code after install_as_bmtk(). Spikes: same counts and times within
0.5 ms for the first 100 ms, rates within 10%; reports: same layout, same traces until the first
spike. The tutorials' compile_mechanisms=True is given as False: the harness loads bmtk's mechanisms
compiled once per session (the nrnmech_dir fixture), and compiling them again would load them twice."""

import pytest

from ._bionet_case import Tutorials, compare_outputs, compare_setup, same_figure_shape, same_frame_shape

_RUN = """
from bmtk.simulator import bionet
conf = bionet.Config.from_json('{base}/config.json')
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
sim = bionet.BioSimulator.from_config(conf, network=net)
sim.run()
"""

_CORTEX_CELL = """
from bmtk.builder.networks import NetworkBuilder
cortex = NetworkBuilder('mcortex')
cortex.add_nodes(cell_name='Scnn1a_473845048', potential='exc', model_type='biophysical',
                 model_template='ctdb:Biophys1.hoc', model_processing='aibs_perisomatic',
                 dynamics_params='472363762_fit.json', morphology='Scnn1a_473845048_m.swc')
cortex.build()
cortex.save_nodes(output_dir='{base}/network')
"""


_V1_SMALL = """
import numpy as np
from bmtk.builder.networks import NetworkBuilder
from bmtk.builder.auxi.node_params import positions_columinar, xiter_random
from bmtk.builder.auxi.edge_connectors import distance_connector
v1 = NetworkBuilder('V1')
v1.add_nodes(N=8, pop_name='Scnn1a',
             positions=positions_columinar(N=8, center=[0, 50.0, 0], max_radius=30.0, height=100.0),
             rotation_angle_yaxis=xiter_random(N=8, min_x=0.0, max_x=2 * np.pi), rotation_angle_zaxis=3.646878266,
             ei='e', model_type='biophysical', model_template='ctdb:Biophys1.hoc',
             model_processing='aibs_perisomatic', dynamics_params='472363762_fit.json',
             morphology='Scnn1a_473845048_m.swc')
v1.add_nodes(N=3, pop_name='PV',
             positions=positions_columinar(N=3, center=[0, 50.0, 0], max_radius=30.0, height=100.0),
             rotation_angle_yaxis=xiter_random(N=3, min_x=0.0, max_x=2 * np.pi), rotation_angle_zaxis=-2.539551891,
             ei='i', model_type='biophysical', model_template='ctdb:Biophys1.hoc',
             model_processing='aibs_perisomatic', dynamics_params='472912177_fit.json',
             morphology='Pvalb_470522102_m.swc')
wiring = [({'ei': 'e'}, {'pop_name': 'Scnn1a'}, 0.34, 2.0e-04, [30.0, 150.0], ['basal', 'apical'], 'AMPA_ExcToExc'),
          ({'ei': 'e'}, {'pop_name': 'PV'}, 0.26, 0.004, [0.0, 1e20], ['somatic', 'basal'], 'AMPA_ExcToInh'),
          ({'ei': 'i'}, {'pop_name': 'Scnn1a'}, 1.0, 0.0001, [0.0, 50.0], ['somatic', 'basal', 'apical'], 'GABA_InhToExc'),
          ({'ei': 'i'}, {'pop_name': 'PV'}, 1.0, 0.0002, [0.0, 1e20], ['somatic', 'basal'], 'GABA_InhToInh')]
for src, trg, wmax, w, dist, secs, params in wiring:
    v1.add_edges(source=src, target=trg, connection_rule=distance_connector,
                 connection_params={'d_weight_min': 0.0, 'd_weight_max': wmax, 'd_max': 160.0, 'nsyn_min': 3,
                                    'nsyn_max': 7},
                 syn_weight=w, distance_range=dist, target_sections=secs, delay=2.0,
                 dynamics_params=params + '.json', model_template='exp2syn')
"""


_BUILD_01 = _CORTEX_CELL.format(base='sim_ch01') + """
record('nodes', [dict(n) for n in cortex.nodes()])
from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim_ch01', config_file='config.json', network_dir='network', tstop=400.0, dt=0.1,
                 report_vars=['v', 'cai'], current_clamp={'amp': 0.120, 'delay': 50.0, 'duration': 300.0},
                 include_examples=True, compile_mechanisms=False)
"""
_RUN_01 = _RUN.format(base='sim_ch01') + """
from bmtk.analyzer.spike_trains import to_dataframe
record('spikes', to_dataframe(config_file='sim_ch01/config.json'))
from bmtk.analyzer.compartment import plot_traces
record('v_fig', plot_traces(config_file='sim_ch01/config.json', node_ids=[0], report_name='v_report'))
record('cai_fig', plot_traces(config_file='sim_ch01/config.json', node_ids=[0], report_name='cai_report'))
"""

_BUILD_02 = _CORTEX_CELL.format(base='sim_ch02') + """
thalamus = NetworkBuilder('mthalamus')
thalamus.add_nodes(N=10, pop_name='tON', potential='exc', model_type='virtual')
thalamus.add_edges(source={'pop_name': 'tON'}, target=cortex.nodes(), connection_rule=5, syn_weight=0.001,
                   delay=2.0, weight_function=None, target_sections=['basal', 'apical'],
                   distance_range=[0.0, 150.0], dynamics_params='AMPA_ExcToExc.json', model_template='exp2syn')
thalamus.build()
thalamus.save_nodes(output_dir='sim_ch02/network')
thalamus.save_edges(output_dir='sim_ch02/network')

from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator
gen = PoissonSpikeGenerator(population='mthalamus')
gen.add(node_ids=range(10), firing_rate=10.0, times=(0.0, 0.4))
gen.to_sonata('sim_ch02/inputs/mthalamus_spikes.h5')
record('units', gen.units())
record('columns', list(gen.to_dataframe().head().columns))

from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim_ch02', config_file='config.json', network_dir='sim_ch02/network', tstop=400.0,
                 dt=0.1, report_vars=['v', 'cai'],
                 spikes_inputs=[('mthalamus', 'sim_ch02/inputs/mthalamus_spikes.h5')],
                 include_examples=True, compile_mechanisms=False)
"""
_RUN_02 = _RUN.format(base='sim_ch02') + """
from bmtk.analyzer.spike_trains import to_dataframe
record('spikes', to_dataframe(config_file='sim_ch02/config.json'))
from bmtk.analyzer.compartment import plot_traces
record('v_fig', plot_traces(config_file='sim_ch02/config.json', node_ids=[0], report_name='v_report'))
"""

_BUILD_03 = _V1_SMALL + """
v1.build()
v1.save_nodes(output_dir='sim_ch03/network')
v1.save_edges(output_dir='sim_ch03/network')
thal = NetworkBuilder('mthalamus')
thal.add_nodes(N=20, pop_name='tON', potential='exc', model_type='virtual')
thal.add_edges(source=thal.nodes(), target=v1.nodes(), connection_rule=lambda s, t: np.random.binomial(4, 0.5),
               syn_weight=0.002, delay=2.0, target_sections=['basal', 'apical'], distance_range=[0.0, 150.0],
               dynamics_params='AMPA_ExcToExc.json', model_template='exp2syn')
thal.build()
thal.save_nodes(output_dir='sim_ch03/network')
thal.save_edges(output_dir='sim_ch03/network')
from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator
gen = PoissonSpikeGenerator(population='mthalamus')
gen.add(node_ids=range(20), firing_rate=15.0, times=(0.0, 0.3))
gen.to_sonata('sim_ch03/inputs/mthalamus_spikes.h5')
from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim_ch03', config_file='config.json', network_dir='sim_ch03/network', tstop=300.0,
                 dt=0.1, report_vars=['v'], spikes_inputs=[('mthalamus', 'sim_ch03/inputs/mthalamus_spikes.h5')],
                 include_examples=True, compile_mechanisms=False)
"""
_RUN_03 = _RUN.format(base='sim_ch03') + """
from bmtk.analyzer.spike_trains import plot_raster, plot_rates
record('raster', plot_raster(config_file='sim_ch03/config.json', population='V1', group_by='pop_name'))
record('rates', plot_rates(config_file='sim_ch03/config.json', population='V1', group_by='pop_name'))
"""

_BUILD_04 = _V1_SMALL + """
v1.add_nodes(N=4, pop_name='LIF_exc', positions=positions_columinar(N=4, center=[0, 50.0, 0], max_radius=30.0,
                                                                    height=100.0),
             ei='e', model_type='point_process', model_template='nrn:IntFire1', dynamics_params='IntFire1_exc_1.json')
v1.add_nodes(N=2, pop_name='LIF_inh', positions=positions_columinar(N=2, center=[0, 50.0, 0], max_radius=30.0,
                                                                    height=100.0),
             ei='i', model_type='point_process', model_template='nrn:IntFire1', dynamics_params='IntFire1_inh_1.json')
v1.add_edges(source={'ei': 'e'}, target={'pop_name': 'LIF_inh'}, connection_rule=distance_connector,
             connection_params={'d_weight_min': 0.0, 'd_weight_max': 0.26, 'd_max': 300.0, 'nsyn_min': 3,
                                'nsyn_max': 7},
             syn_weight=0.01, delay=2.0, dynamics_params='instanteneousExc.json')
v1.add_edges(source={'ei': 'i'}, target={'pop_name': 'LIF_exc'}, connection_rule=distance_connector,
             connection_params={'d_weight_min': 0.0, 'd_weight_max': 1.0, 'd_max': 160.0, 'nsyn_min': 3,
                                'nsyn_max': 7},
             syn_weight=-0.005, delay=2.0, dynamics_params='instanteneousInh.json')
v1.build()
v1.save(output_dir='sim_ch04/network')

lgn = NetworkBuilder('LGN')
lgn.add_nodes(N=15, pop_name='tON', potential='exc', model_type='virtual')

def select_sources(sources, target, nsources_min=3, nsources_max=8, nsyns_min=3, nsyns_max=12):
    picked = np.random.choice(len(sources), np.random.randint(nsources_min, nsources_max), replace=False)
    syns = np.zeros(len(sources))
    syns[picked] = np.random.randint(nsyns_min, nsyns_max, size=len(picked))
    return syns

lgn.add_edges(source=lgn.nodes(), target=v1.nodes(pop_name='Scnn1a'), iterator='all_to_one',
              connection_rule=select_sources, connection_params={'nsources_min': 5, 'nsources_max': 10},
              syn_weight=0.003, delay=2.0, target_sections=['basal', 'apical'], distance_range=[0.0, 150.0],
              dynamics_params='AMPA_ExcToExc.json', model_template='exp2syn')
lgn.add_edges(source=lgn.nodes(), target=v1.nodes(pop_name='LIF_exc'), iterator='all_to_one',
              connection_rule=select_sources, syn_weight=0.05, delay=2.0, dynamics_params='instanteneousExc.json')
lgn.build()
lgn.save(output_dir='sim_ch04/network')

from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator
gen = PoissonSpikeGenerator(population='LGN')
gen.add(node_ids=range(15), firing_rate=20.0, times=(0.0, 0.3))
gen.to_sonata('sim_ch04/inputs/lgn_spikes.h5')
from bmtk.utils.sim_setup import build_env_bionet
build_env_bionet(base_dir='sim_ch04', config_file='config.json', network_dir='sim_ch04/network', tstop=300.0,
                 dt=0.1, report_vars=['v'], report_nodes=[0, 8],
                 spikes_inputs=[('LGN', 'sim_ch04/inputs/lgn_spikes.h5')],
                 include_examples=True, compile_mechanisms=False)
"""
_RUN_04 = _RUN.format(base='sim_ch04') + """
from bmtk.analyzer.spike_trains import plot_raster, plot_rates, to_dataframe
record('raster', plot_raster(config_file='sim_ch04/config.json', population='V1', group_by='pop_name'))
record('rates', plot_rates(config_file='sim_ch04/config.json', population='V1', group_by='pop_name'))
record('frame', to_dataframe(config_file='sim_ch04/config.json'))
"""


@pytest.fixture(scope="module")
def tutorials(oracle, bmtk_data, nrnmech_dir, tmp_path_factory):
    """The four tutorials, built and run once per side."""
    cases = {
        'tutorial01': (_BUILD_01, _RUN_01, 'sim_ch01', [], 0),
        'tutorial02': (_BUILD_02, _RUN_02, 'sim_ch02', ["sim_ch02/inputs/mthalamus_spikes.h5"], 0),
        'tutorial03': (_BUILD_03, _RUN_03, 'sim_ch03', ["sim_ch03/inputs/mthalamus_spikes.h5"], 1),
        'tutorial04': (_BUILD_04, _RUN_04, 'sim_ch04', ["sim_ch04/inputs/lgn_spikes.h5"], 2),
    }
    return Tutorials(cases, tmp_path_factory.mktemp("bionet_tutorials"), bmtk_data, nrnmech_dir)


def test_tutorial01_single_cell_current_clamp(tutorials):
    """01_single_cell_clamped: one Scnn1a cell, a step current, v and cai at the soma, to_dataframe
    and plot_traces of both reports."""
    base = 'sim_ch01'
    dirs, recs = tutorials.result('tutorial01')
    compare_setup(dirs, base)
    compare_outputs(dirs, base, {"mcortex": 1}, 400.0, reports={"v_report.h5": 1.0, "cai_report.h5": 1e-6})
    same_frame_shape(recs, "spikes")
    same_figure_shape(recs, "v_fig")
    same_figure_shape(recs, "cai_fig")


def test_tutorial02_single_cell_synaptic_input(tutorials):
    """02_single_cell_syn: the same cell driven by 10 virtual thalamic cells (5 synapses each on basal
    and apical dendrites within 150 um) firing Poisson trains from PoissonSpikeGenerator."""
    base = 'sim_ch02'
    dirs, recs = tutorials.result('tutorial02')
    compare_setup(dirs, base)
    compare_outputs(dirs, base, {"mcortex": 1}, 400.0, reports={"v_report.h5": 1.0, "cai_report.h5": 1e-6},
                    need_early_spikes=False)
    same_frame_shape(recs, "spikes")
    same_figure_shape(recs, "v_fig")


def test_tutorial03_single_population(tutorials):
    """03_single_pop: a recurrent V1 column of Scnn1a and PV cells (positions_columinar, xiter_random,
    distance_connector) driven by a virtual thalamus; plot_raster and plot_rates of V1."""
    base = 'sim_ch03'
    dirs, recs = tutorials.result('tutorial03')
    compare_setup(dirs, base)
    compare_outputs(dirs, base, {"V1": 11}, 300.0, reports={"v_report.h5": 1.0})
    same_figure_shape(recs, "raster")
    same_figure_shape(recs, "rates")


def test_tutorial04_multi_population_with_point_cells(tutorials):
    """04_multi_pop: biophysical Scnn1a/PV plus IntFire1 point cells (LIF_exc, LIF_inh) in V1, an LGN
    of virtual cells wired with an all_to_one select-sources rule, Poisson LGN input; raster and
    rates grouped by pop_name."""
    base = 'sim_ch04'
    dirs, recs = tutorials.result('tutorial04')
    compare_setup(dirs, base)
    compare_outputs(dirs, base, {"V1": 17}, 300.0, reports={"v_report.h5": 1.0})
    same_figure_shape(recs, "raster")
    same_figure_shape(recs, "rates")
    same_frame_shape(recs, "frame")
