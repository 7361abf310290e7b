"""The Mouse L4 tutorial with bmtk-rs, headless:

1. builds the V1 (300 biophysical cells) and LGN (100 virtual cells) networks with the tutorial's
   rules and saves them as SONATA files (network/);
2. makes the tutorial's 8 Hz Poisson LGN input (inputs/lgn_spikes.poisson.h5);
3. simulates V1 for 2000 ms with BioNet driven by that input (output/: spikes.h5, spikes.csv, a soma
   voltage report of the Scnn1a cells, a raster plot output/raster.png and a rates summary);
4. runs FilterNet on the LGN cells with a full-field flash (500-1500 ms) and writes the LGN rates and
   spike trains (lgn_flash/), a raster plot (lgn_flash/raster.png) and a rates summary.

The cells use the project's own components (components/: generated morphologies, Allen-format fits,
synapse parameters), so nothing outside the repository is needed.

    python examples/l4_tutorial/run_l4.py --output l4_output [--seed 1]
"""

import argparse
import json
import pathlib
import time

import numpy as np

from bmtk_rs.builder.networks import NetworkBuilder
from l4_network import OWN_V1_TYPES, build_and_save
from bmtk_rs.simulator import bionet, filternet
from bmtk_rs.utils.reports.spike_trains import PoissonSpikeGenerator, SpikeTrains

COMPONENTS = pathlib.Path(__file__).resolve().parents[2] / "components"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default="l4_output")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=["bmtk-rs", "bmtk"], default="bmtk-rs",
                    help="bmtk: the same steps through bmtk 1.2.0 + NEURON (for bench/bench_main_job.py)")
    ap.add_argument("--mechanisms", help="with --engine bmtk: folder of compiled NEURON mechanisms")
    args = ap.parse_args()
    if args.engine == "bmtk":
        use_bmtk(args.mechanisms)
    out = pathlib.Path(args.output)
    net_dir = out / "network"
    t0 = time.perf_counter()
    np.random.seed(args.seed)
    v1, lgn = build_and_save(NetworkBuilder, str(net_dir), types=OWN_V1_TYPES)
    dt = time.perf_counter() - t0
    print("built V1: {} nodes, {} synapses; LGN: {} nodes, {} synapses onto V1 in {:.2f} s".format(
        v1.nnodes, v1.nedges, lgn.nnodes, lgn.nedges, dt))
    for f in sorted(net_dir.iterdir()):
        print("  {:28s} {:>9,d} bytes".format(f.name, f.stat().st_size))

    t0 = time.perf_counter()
    psg = PoissonSpikeGenerator(population="LGN", seed=args.seed)
    psg.add(node_ids=range(0, 100), firing_rate=8.0, times=(0.0, 2.0))
    (out / "inputs").mkdir(parents=True, exist_ok=True)
    psg.to_sonata(str(out / "inputs" / "lgn_spikes.poisson.h5"))
    psg.to_csv(str(out / "inputs" / "lgn_spikes.poisson.csv"))
    print("Poisson LGN input: {} spikes (8 Hz x 100 cells x 2 s) in {:.2f} s".format(
        psg.n_spikes(), time.perf_counter() - t0))

    t0 = time.perf_counter()
    run_bionet(out)
    print("BioNet: V1 simulated for 2000 ms in {:.2f} s".format(time.perf_counter() - t0))
    summarize_v1(out)

    t0 = time.perf_counter()
    run_flash(out, args.seed)
    print("FilterNet full-field flash on the LGN in {:.2f} s".format(time.perf_counter() - t0))
    summarize_flash(out)


def use_bmtk(mechanisms):
    """Swaps the builder, the simulators and the spike tools for bmtk 1.2.0's (NEURON runs the cells)."""
    global NetworkBuilder, bionet, filternet, PoissonSpikeGenerator, SpikeTrains
    import neuron

    if mechanisms:
        neuron.load_mechanisms(mechanisms)
    from bmtk.builder.networks import NetworkBuilder
    from bmtk.simulator import bionet, filternet
    from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator, SpikeTrains


def run_bionet(out):
    base = out.resolve()
    config = {
        "manifest": {"$BASE_DIR": str(base), "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": str(COMPONENTS)},
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": 2000.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0,
                "nsteps_block": 5000},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/LGN_nodes.h5", "node_types_file": "$NETWORK_DIR/LGN_node_types.csv"},
                      {"nodes_file": "$NETWORK_DIR/V1_nodes.h5", "node_types_file": "$NETWORK_DIR/V1_node_types.csv"}],
            "edges": [{"edges_file": "$NETWORK_DIR/LGN_V1_edges.h5",
                       "edge_types_file": "$NETWORK_DIR/LGN_V1_edge_types.csv"},
                      {"edges_file": "$NETWORK_DIR/V1_V1_edges.h5",
                       "edge_types_file": "$NETWORK_DIR/V1_V1_edge_types.csv"}]},
        "components": {"morphologies_dir": "$COMPONENTS_DIR/morphologies",
                       "biophysical_neuron_models_dir": "$COMPONENTS_DIR/biophysical_neuron_models",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models",
                       "filter_models_dir": "$COMPONENTS_DIR/filter_models"},
        "inputs": {"LGN_spikes": {"input_type": "spikes", "module": "h5",
                                  "input_file": "$BASE_DIR/inputs/lgn_spikes.poisson.h5", "node_set": "LGN"}},
        "output": {"log_file": "log.txt", "log_to_console": False, "output_dir": "$BASE_DIR/output",
                   "overwrite_output_dir": True, "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv"},
        "reports": {"membrane_potential": {"cells": {"population": "V1", "pop_name": "Scnn1a"},
                                           "variable_name": "v", "module": "membrane_report", "sections": "soma"}},
    }
    cfg_path = out / "config.bionet.json"
    cfg_path.write_text(json.dumps(config, indent=2))
    conf = bionet.Config.from_json(str(cfg_path))
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()


def summarize_v1(out):
    from bmtk_rs import sonata

    spikes = SpikeTrains.load(str(out / "output" / "spikes.h5")).to_dataframe()
    nodes = sonata.read_nodes(out / "network" / "V1_nodes.h5")["V1"]
    types = sonata.read_types(out / "network" / "V1_node_types.csv").set_index("node_type_id")
    pop_of = dict(zip(nodes["node_id"].tolist(), types.loc[nodes["node_type_id"], "pop_name"].tolist()))
    print("V1 mean firing rates over 2 s (Hz):")
    counts = {}
    for p in pop_of.values():
        counts[p] = counts.get(p, 0) + 1
    for pop, n in counts.items():
        k = int(spikes["node_ids"].map(pop_of).eq(pop).sum())
        print("  {:8s} {:3d} cells {:8.2f}".format(pop, n, k / n / 2.0))
    try:
        import matplotlib
        matplotlib.use("Agg")
    except ImportError:
        print("(matplotlib not installed: no raster plot)")
        return
    from bmtk_rs.analyzer.spike_trains import plot_raster

    png = out / "output" / "raster.png"
    plot_raster(config_file=str(out / "config.bionet.json"), group_by="pop_name", show=False, save_as=str(png))
    print("raster plot: {}".format(png))


def run_flash(out, seed):
    config = {
        "manifest": {"$BASE_DIR": str(out.resolve())},
        "target_simulator": "LGNModel",
        "networks": {"nodes": [{"nodes_file": "$BASE_DIR/network/LGN_nodes.h5",
                                "node_types_file": "$BASE_DIR/network/LGN_node_types.csv"}]},
        "components": {"filter_models_dir": str(COMPONENTS / "filter_models")},
        "run": {"tstop": 2000.0, "dt": 1.0, "random_seed": seed},
        "conditions": {"jitter_lower": 0.75, "jitter_upper": 1.25},
        "inputs": {"full_field_flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 120,
                                        "col_size": 240, "t_on": 500.0, "t_off": 1500.0,
                                        "max_intensity": 1.0, "frame_rate": 1000.0}},
        "output": {"log_file": "log.txt", "log_to_console": False, "output_dir": "$BASE_DIR/lgn_flash",
                   "overwrite_output_dir": True, "rates_csv": "rates.csv",
                   "spikes_file": "spikes.flash.h5", "spikes_file_csv": "spikes.flash.csv"},
    }
    cfg_path = out / "config.filternet.json"
    cfg_path.write_text(json.dumps(config, indent=2))
    conf = filternet.Config.from_json(str(cfg_path))
    conf.build_env()
    net = filternet.FilterNetwork.from_config(conf)
    sim = filternet.FilterSimulator.from_config(conf, net)
    sim.run()


def summarize_flash(out):
    spikes = SpikeTrains.load(str(out / "lgn_flash" / "spikes.flash.h5"))
    df = spikes.to_dataframe()
    on = set(range(50, 100))  # the tutorial adds 50 sOFF then 50 sON cells
    windows = {"before (0-500 ms)": (0, 500), "flash (500-1500 ms)": (500, 1500), "after (1500-2000 ms)": (1500, 2000)}
    print("LGN mean firing rates (Hz):")
    print("  {:22s} {:>8s} {:>8s}".format("", "sOFF", "sON"))
    for label, (a, b) in windows.items():
        sel = df[(df["timestamps"] >= a) & (df["timestamps"] < b)]
        n_on = sel["node_ids"].isin(on).sum()
        n_off = len(sel) - n_on
        dur = (b - a) / 1000.0
        print("  {:22s} {:8.2f} {:8.2f}".format(label, n_off / 50 / dur, n_on / 50 / dur))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no raster plot)")
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    is_on = df["node_ids"].isin(on).to_numpy()
    ax.scatter(df["timestamps"][~is_on], df["node_ids"][~is_on], s=2, label="sOFF_TF8")
    ax.scatter(df["timestamps"][is_on], df["node_ids"][is_on], s=2, label="sON_TF8")
    ax.axvspan(500, 1500, color="0.9", zorder=0)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("LGN node id")
    ax.set_title("LGN response to a full-field flash (500-1500 ms)")
    ax.legend(loc="upper right", markerscale=4)
    fig.tight_layout()
    png = out / "lgn_flash" / "raster.png"
    fig.savefig(png, dpi=100)
    print("raster plot: {}".format(png))


if __name__ == "__main__":
    main()
