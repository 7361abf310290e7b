"""Spike trains as bmtk's 'Analyzing the Results' page (analyzer.rst: Spike-Trains, Reading, Creating
Spike Trains) and tutorial 02 use them: SpikeTrains built by hand, written, loaded and queried, and
PoissonSpikeGenerator with constant and time-varying rates. Hand-made trains must give identical files
and values; Poisson trains come from bmtk-rs's own random streams by design, so they are compared
by file layout and rates."""

import h5py
import numpy as np
import pytest

from ._compare import same_records, same_tree, spike_file_layout
from ._harness import Group


_BY_HAND = """
from bmtk.utils.reports.spike_trains import SpikeTrains
made = SpikeTrains(population='my_inputs')
made.add_spikes(node_ids=0, timestamps=[1.0, 2.0, 3.0, 7.5])
made.add_spikes(node_ids=[1, 1, 2, 3], timestamps=[0.5, 0.9, 1.0, 1.0])
made.add_spike(node_id=4, timestamp=2.25)
made.to_sonata('out/spikes.h5')
made.to_csv('out/spikes.csv')

spikes = SpikeTrains.load('out/spikes.h5', population='my_inputs')
record('populations', spikes.populations)
record('n_spikes', spikes.n_spikes())
record('node_ids', sorted(spikes.node_ids()))
record('node0', spikes.get_times(node_id=0))
record('iterated', sorted((float(ts), pop, int(nid)) for ts, pop, nid in spikes.spikes()))
record('frame', spikes.to_dataframe())
from_csv = SpikeTrains.load('out/spikes.csv')
record('csv_frame', from_csv.to_dataframe())
"""

_STORED = """
from bmtk.utils.reports.spike_trains import SpikeTrains
for kind in ('h5', 'csv'):
    st = SpikeTrains.load(@INPUTS@ + '/lgn_spikes.poisson.' + kind)
    record(kind + '_pops', st.populations)
    pop = st.populations[0]
    record(kind + '_n', st.n_spikes(population=pop))
    record(kind + '_node7', st.get_times(node_id=7, population=pop))
    record(kind + '_frame', st.to_dataframe(population=pop, sort_order='by_id'))
"""

_POISSON = """
import numpy as np
from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator
gen = PoissonSpikeGenerator(population='thalamus', seed=11)
grid = np.linspace(0.0, 3.0, 100000)
rates = 10 * np.sin(grid) + 5.0
gen.add(node_ids=range(100), firing_rate=rates, times=grid)
gen.add(node_ids=range(100, 200), firing_rate=15.0, times=(0.0, 3.0))
gen.to_sonata('./inputs/thalamus_inputs.h5')
record('units', gen.units())
record('populations', gen.populations)
record('columns', list(gen.to_dataframe().columns))
record('nodes', sorted(int(n) for n in gen.node_ids()))
"""


@pytest.fixture(scope="module")
def group(oracle, bmtk_data, tmp_path_factory):
    """Every block of this file, run once per side."""
    inputs = bmtk_data / "tutorial_l4" / "inputs"
    blocks = {"by_hand": _BY_HAND, "stored": _STORED.replace("@INPUTS@", repr(str(inputs))), "poisson": _POISSON}
    return Group(blocks, tmp_path_factory.mktemp("spike_trains_docs"))


def test_spike_trains_by_hand(group):
    """'Creating Spike Trains' with add_spikes/add_spike, written to SONATA and csv, then
    'Reading': SpikeTrains.load, populations, n_spikes, node_ids, get_times, spikes(), to_dataframe."""
    dirs, recs = group("by_hand")
    same_records(recs)
    same_tree(dirs["bmtk"], dirs["rs"])


def test_load_stored_spikes(group):
    """'Reading' on a file bmtk wrote before: the Mouse L4 tutorial's Poisson LGN input, h5 and csv."""
    _, recs = group("stored")
    same_records(recs)


def _rates(path, pop, ids, duration):
    with h5py.File(path, "r") as f:
        nid = f["spikes"][pop]["node_ids"][()]
    return np.isin(nid, list(ids)).sum() / len(ids) / duration


def test_poisson_generator_constant_and_varying_rates(group):
    """'Creating Spike Trains' with PoissonSpikeGenerator: a sinusoidal rate array over a time grid and
    a constant 15 Hz (tutorial 02's call), to_sonata; the same layout and node ids, rates within 10%."""
    dirs, recs = group("poisson")
    same_records(recs)
    a, b = dirs["bmtk"] / "inputs/thalamus_inputs.h5", dirs["rs"] / "inputs/thalamus_inputs.h5"
    assert spike_file_layout(a) == spike_file_layout(b)
    for ids in (range(100), range(100, 200)):
        ra, rb = _rates(a, "thalamus", ids, 3.0), _rates(b, "thalamus", ids, 3.0)
        assert ra > 5.0 and abs(ra - rb) <= 0.1 * ra, (ids, ra, rb)
