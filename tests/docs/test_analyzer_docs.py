"""The analyzer calls of bmtk's tutorials and 'Analyzing the Results' page (docs/autodocs/source/analyzer.rst),
on the same stored outputs for both sides, so every return value must be the same: to_dataframe,
plot_raster / plot_rates / plot_rates_boxplot (figure contents), spike_statistics, plot_traces, and the
CompartmentReport reader."""

import pytest

from ._compare import same_records
from ._harness import Group

# A config naming the Mouse L4 tutorial's stored LGN spikes (its flash input) as a run's output, written by the block.
_L4_CONFIG = """
import json, os
data = {data!r}
conf = {{
    'manifest': {{'$BASE_DIR': data}},
    'networks': {{'nodes': [{{'nodes_file': '$BASE_DIR/network/LGN_nodes.h5',
                             'node_types_file': '$BASE_DIR/network/LGN_node_types.csv'}}]}},
    'output': {{'output_dir': os.path.abspath('output'), 'spikes_file': os.path.join(data, 'inputs', 'spikes.h5')}},
    'run': {{'tstop': 3000.0, 'dt': 0.1}},
}}
os.makedirs('output', exist_ok=True)
with open('config.json', 'w') as fh:
    json.dump(conf, fh)
"""


def _l4(bmtk_data):
    return _L4_CONFIG.format(data=str(bmtk_data / "tutorial_l4"))


_TO_DATAFRAME_OF_A_RUN = """
from bmtk.analyzer.spike_trains import to_dataframe
record('frame', to_dataframe(config_file='config.json'))
record('frame_pop', to_dataframe(config_file='config.json', population='LGN'))
"""


_RASTER_AND_RATES_GROUPED = """
from bmtk.analyzer.spike_trains import plot_raster, plot_rates
record('raster', plot_raster(config_file='config.json', group_by='model_template', show=False))
record('raster_window', plot_raster(config_file='config.json', population='LGN', times=(500.0, 1500.0),
                                    title='window', with_histogram=False, show=False))
record('rates', plot_rates(config_file='config.json', group_by='model_template', show=False))
record('rates_smooth', plot_rates(config_file='config.json', group_by='model_template', smoothing=True, show=False))
"""


_RATES_BOXPLOT_AND_STATISTICS = """
from bmtk.analyzer.spike_trains import plot_rates_boxplot, spike_statistics
record('box', plot_rates_boxplot(config_file='config.json', group_by='model_template', show=False))
record('stats', spike_statistics('{}/inputs/spikes.h5'.format(data), simulation=None, population='LGN',
                                 group_by=None))
"""


_PLOT_TRACES_STORED_REPORT = """
import shutil, os
shutil.copytree(@EXAMPLE@, 'bio_1cell', ignore=shutil.ignore_patterns('output_syns'))
os.chdir('bio_1cell')
from bmtk.analyzer.compartment import plot_traces
record('traces', plot_traces(config_file='config.simulation_iclamp.json', node_ids=[0],
                             report_name='membrane_potential', show=False))
record('traces_times', plot_traces(config_file='config.simulation_iclamp.json', report_name='membrane_potential',
                                   times=(400.0, 900.0), show=False))
"""


_COMPARTMENT_REPORT_READER = """
from bmtk.utils.reports.compartment import CompartmentReport
rep = CompartmentReport(@REPORT@, population='biocell', mode='r')
record('variable', rep.variable())
record('times', [rep.tstart(), rep.tstop(), rep.dt()])
record('element_ids', rep.element_ids(node_id=0))
record('element_pos', rep.element_pos(node_id=0))
record('data', rep.data(node_id=0))
record('populations', rep.populations)
"""


@pytest.fixture(scope="module")
def group(oracle, bmtk_data, tmp_path_factory):
    """Every block of this file, run once per side."""
    l4 = _l4(bmtk_data)
    example = bmtk_data / "examples" / "bio_1cell"
    report = example / "output_iclamp" / "membrane_potential.h5"
    blocks = {
        'to_dataframe_of_a_run': l4 + _TO_DATAFRAME_OF_A_RUN,
        'raster_and_rates_grouped': l4 + _RASTER_AND_RATES_GROUPED,
        'rates_boxplot_and_statistics': l4 + _RATES_BOXPLOT_AND_STATISTICS,
        'plot_traces_stored_report': _PLOT_TRACES_STORED_REPORT.replace("@EXAMPLE@", repr(str(example))),
        'compartment_report_reader': _COMPARTMENT_REPORT_READER.replace("@REPORT@", repr(str(report))),
    }
    return Group(blocks, tmp_path_factory.mktemp("analyzer_docs"))


def test_to_dataframe_of_a_run(group):
    """01_single_cell_clamped section 4: to_dataframe(config_file=...) of the run's spikes."""
    _, recs = group('to_dataframe_of_a_run')
    same_records(recs)


def test_raster_and_rates_grouped(group):
    """04_multi_pop section 4: plot_raster and plot_rates grouped by pop_name, with a time window and
    smoothing as the tutorial shows them."""
    _, recs = group('raster_and_rates_grouped')
    same_records(recs, rtol=1e-9, atol=1e-9)


def test_rates_boxplot_and_statistics(group):
    """The analyzer's other spike summaries: plot_rates_boxplot and spike_statistics per pop_name."""
    _, recs = group('rates_boxplot_and_statistics')
    same_records(recs, rtol=1e-9, atol=1e-9)


def test_plot_traces_stored_report(group):
    """01_single_cell_clamped: plot_traces(config_file=..., node_ids=[0], report_name=...) of a stored
    soma voltage report (bio_1cell's NEURON output)."""
    _, recs = group('plot_traces_stored_report')
    same_records(recs, rtol=1e-9, atol=1e-9)


def test_compartment_report_reader(group):
    """analyzer.rst 'Reading Cell Variables': CompartmentReport(path, population=..., mode='r') and its
    variable, tstart/tstop/dt, element_ids, element_pos and data."""
    _, recs = group('compartment_report_reader')
    same_records(recs)
