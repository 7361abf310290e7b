"""bmtk's entry points for PopNet: an unchanged run_popnet.py under install_as_bmtk(), the
``python -m bmtk_rs.simulator.popnet`` runner, BMTK's log lines and the analyzer's rate plot."""

import subprocess
import sys

import pytest

from ._cases import compare, read_rates, ref_config, ref_dir

RUN_POPNET = """
import sys
import bmtk_rs
bmtk_rs.install_as_bmtk()
from bmtk.simulator import popnet

def main(config_file):
    configure = popnet.config.from_json(config_file)
    configure.build_env()
    network = popnet.PopNetwork.from_config(configure)
    sim = popnet.PopSimulator.from_config(configure, network)
    sim.run()

if __name__ == '__main__':
    main(sys.argv[-1])
"""

LOG_LINES = ["Building cells.", "Building recurrent connections",
             "Build virtual cell stimulations for external_pop_rates", "Network created.",
             "Running simulation.", "Finished simulation."]


def _short(conf):
    conf["run"]["tstop"] = 100.0


@pytest.fixture
def short_run(bmtk_data, tmp_path):
    cfg = ref_config(bmtk_data, "default", tmp_path / "a", edit=_short)
    script = tmp_path / "run_popnet.py"
    script.write_text(RUN_POPNET)
    subprocess.run([sys.executable, str(script), str(cfg)], check=True, cwd=tmp_path, capture_output=True)
    return tmp_path / "a" / "output"


def test_run_popnet_script_as_bmtk(bmtk_data, short_run):
    ours = read_rates(short_run / "spike_rates.csv")
    ref = read_rates(ref_dir(bmtk_data, "default") / "output" / "spike_rates.csv")
    ref = ref[ref["time"].astype(float) <= 0.1 + 1e-12]
    assert len(ours) == len(ref) == 2 * 51
    assert all(ok for _, ok, _ in compare(ours, ref).values())


def test_log_lines(short_run):
    log = (short_run / "log.txt").read_text().splitlines()
    found = [next((i for i, line in enumerate(log) if line.endswith(msg)), None) for msg in LOG_LINES]
    assert None not in found, log
    assert found == sorted(found)


def test_module_runner_writes_the_same_table(bmtk_data, tmp_path, short_run):
    cfg = ref_config(bmtk_data, "default", tmp_path / "b", edit=_short)
    subprocess.run([sys.executable, "-m", "bmtk_rs.simulator.popnet", str(cfg)], check=True, cwd=tmp_path,
                   capture_output=True)
    ours = (tmp_path / "b" / "output" / "spike_rates.csv").read_bytes()
    assert ours == (short_run / "spike_rates.csv").read_bytes()


def test_analyzer_plots_population_rates(bmtk_data, short_run, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from bmtk_rs.analyzer.firing_rates import plot_rates_popnet

    png = tmp_path / "rates.png"
    types = ref_dir(bmtk_data, "default") / "network" / "internal_node_types.csv"
    plot_rates_popnet(str(types), str(short_run / "spike_rates.csv"), model_keys="pop_name", save_as=str(png),
                      show_plot=False)
    assert png.stat().st_size > 0


def test_python_objects(bmtk_data, tmp_path):
    from bmtk_rs.simulator import popnet

    cfg = ref_config(bmtk_data, "default", tmp_path, edit=_short)
    conf = popnet.config.from_json(str(cfg))
    conf.build_env()
    net = popnet.PopNetwork.from_config(conf)
    sim = popnet.PopSimulator.from_config(conf, net)
    assert [p.pop_id for p in net.internal_populations] == [100, 101]
    assert [(p.pop_id, p.firing_rate) for p in net.external_populations] == [(100, 15.0)]
    assert len(net.connections) == 3
    assert sim.dt == 0.002 and sim.tstop == 0.1
    sim.run()
    table = sim.rates_table()
    assert table.shape == (102, 3)


def test_spike_file_input_gives_bmtk_rate(bmtk_data, tmp_path):
    """A spikes input drives an external population at 1000 * mean count / (last - first spike),
    bmtk's conversion: the run equals a pop_rates run at that rate."""
    from bmtk_rs.utils.reports.spike_trains import SpikeTrains

    times = [5.0, 40.0, 95.0, 105.0, 300.0, 405.0]     # ms, one node; 6 spikes over 400 ms -> 15 Hz
    st = SpikeTrains(default_population="external")
    st.add_spikes([0] * len(times), times, population="external")
    spikes = tmp_path / "spikes.h5"
    st.to_sonata(str(spikes))

    def spikes_input(c):
        _short(c)
        c["inputs"] = {"ext_spikes": {"input_type": "spikes", "module": "sonata", "input_file": str(spikes),
                                      "node_set": "external"}}
    a = ref_config(bmtk_data, "default", tmp_path / "spk", edit=spikes_input)
    b = ref_config(bmtk_data, "default", tmp_path / "csv", edit=_short)
    from bmtk_rs.simulator import popnet

    sim = popnet.run(str(a))
    assert [p.firing_rate for p in sim._graph.external_populations] == [1000.0 * 6 / 400.0]
    popnet.run(str(b))
    assert (tmp_path / "spk" / "output" / "spike_rates.csv").read_bytes() == \
        (tmp_path / "csv" / "output" / "spike_rates.csv").read_bytes()
