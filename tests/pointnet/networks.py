"""Small point networks made with bmtk-rs's builder for one NEST model each: a virtual input
population with seeded Poisson spike trains (off-grid times) driving the cells, and recurrent
edges among the cells. Written as a runnable SONATA folder for bmtk+NEST and bmtk-rs alike."""

import json
import os

import numpy as np

GLIF_BASE = {"V_m": -70.46, "V_th": -44.23, "g": 9.195, "E_L": -70.46, "C_m": 81.21, "t_ref": 1.5,
             "V_reset": -70.46, "tau_syn": [5.5, 8.5, 2.8, 5.8]}
GLIF_R = {"th_spike_add": 2.5, "th_spike_decay": 0.05, "voltage_reset_fraction": 0.6, "voltage_reset_add": 3.0}
GLIF_ASC = {"asc_init": [0.0, 0.0], "asc_decay": [0.003, 0.3], "asc_amps": [-4.1, -150.0], "asc_r": [1.0, 1.0]}
GLIF_A = {"th_voltage_index": 0.02, "th_voltage_decay": 0.3}


def _glif(r, asc, a, cond=False):
    p = dict(GLIF_BASE)
    if cond:
        # glif_cond names the leak conductance g_m; its ports are conductances with reversal potentials
        p["g_m"] = p.pop("g")
        p.update(tau_syn=[1.0, 3.0, 2.0], E_rev=[0.0, -85.0, -20.0])
    if r:
        p.update(GLIF_R)
        p.pop("V_reset")
    if asc:
        p.update(GLIF_ASC)
    if a:
        p.update(GLIF_A)
    p.update(spike_dependent_threshold=r, after_spike_currents=asc, adapting_threshold=a)
    return p


# case -> (model, dynamics params, input weight, recurrent weight, receptor ports (input, recurrent))
CASES = {
    "iaf_psc_alpha": ("iaf_psc_alpha", {"C_m": 200.0, "tau_m": 15.0, "E_L": -68.0, "V_th": -52.0, "t_ref": 2.5,
                                        "tau_syn_ex": 1.5, "tau_syn_in": 3.0}, 260.0, -120.0, (0, 0)),
    "iaf_psc_exp": ("iaf_psc_exp", {"tau_syn_ex": 2.0, "tau_syn_in": 4.0, "V_reset": -65.0}, 420.0, -200.0, (0, 0)),
    "iaf_psc_delta": ("iaf_psc_delta", {"tau_m": 12.0, "V_th": -56.0}, 4.5, -1.5, (0, 0)),
    "glif_lif": ("glif_psc", _glif(False, False, False), 90.0, -40.0, (1, 2)),
    "glif_lif_r": ("glif_psc", _glif(True, False, False), 90.0, -40.0, (3, 2)),
    "glif_lif_asc": ("glif_psc", _glif(False, True, False), 110.0, -40.0, (1, 4)),
    "glif_lif_r_asc": ("glif_psc", _glif(True, True, False), 110.0, -40.0, (1, 2)),
    "glif_lif_r_asc_a": ("glif_psc", _glif(True, True, True), 110.0, -40.0, (1, 2)),
    "parrot_neuron": ("parrot_neuron", {}, 1.0, None, (0, 0)),
    # conductance models: weights in nS; a negative weight is inhibition (NEST's iaf_cond_*/aeif_*)
    "iaf_cond_exp": ("iaf_cond_exp", {"tau_syn_ex": 1.0, "tau_syn_in": 4.0, "I_e": 150.0, "t_ref": 2.05},
                     12.0, -10.0, (0, 0)),
    "iaf_cond_alpha": ("iaf_cond_alpha", {"tau_syn_ex": 0.8, "tau_syn_in": 3.0, "I_e": 150.0, "E_L": -68.0,
                                          "t_ref": 2.3}, 8.0, -6.0, (0, 0)),
    "aeif_cond_exp": ("aeif_cond_exp", {"tau_syn_ex": 1.0, "tau_syn_in": 4.0, "a": 2.0, "b": 40.0, "I_e": 400.0,
                                        "t_ref": 1.0}, 10.0, -8.0, (0, 0)),
    "aeif_cond_alpha": ("aeif_cond_alpha", {"tau_syn_ex": 0.8, "tau_syn_in": 3.0, "b": 40.0, "I_e": 400.0,
                                            "t_ref": 1.5}, 6.0, -5.0, (0, 0)),
    # glif_cond: port 1 excitatory (E_rev 0), port 2 inhibitory (E_rev -85 mV), positive weights
    "glif_cond_lif": ("glif_cond", _glif(False, False, False, cond=True), 4.0, 3.0, (1, 2)),
    "glif_cond_lif_r": ("glif_cond", _glif(True, False, False, cond=True), 4.0, 3.0, (1, 3)),
    "glif_cond_lif_asc": ("glif_cond", _glif(False, True, False, cond=True), 5.0, 3.0, (1, 2)),
    "glif_cond_lif_r_asc": ("glif_cond", _glif(True, True, False, cond=True), 5.0, 3.0, (3, 2)),
    "glif_cond_lif_r_asc_a": ("glif_cond", _glif(True, True, True, cond=True), 5.0, 3.0, (1, 2)),
    "izhikevich": ("izhikevich", {"I_e": 4.0}, 6.0, -3.0, (0, 0)),
    "izhikevich_published": ("izhikevich", {"I_e": 4.0, "consistent_integration": False, "a": 0.1, "d": 2.0},
                             6.0, -3.0, (0, 0)),
}


def build(case, out_dir, n_cells=8, n_inputs=12, tstop=300.0, dt=0.1, seed=7, report=True):
    """Writes network/, components/, inputs/ and config.json for `case`; returns the config path."""
    from bmtk_rs.builder import NetworkBuilder
    from bmtk_rs.utils.reports.spike_trains import SpikeTrains

    model, params, w_in, w_rec, (rec_in, rec_rec) = CASES[case]
    rng = np.random.default_rng(seed)
    comp = os.path.join(out_dir, "components")
    os.makedirs(os.path.join(comp, "cell_models"), exist_ok=True)
    os.makedirs(os.path.join(comp, "synaptic_models"), exist_ok=True)
    with open(os.path.join(comp, "cell_models", "cell.json"), "w") as fh:
        json.dump(params, fh)
    for name, port in (("in.json", rec_in), ("rec.json", rec_rec)):
        with open(os.path.join(comp, "synaptic_models", name), "w") as fh:
            json.dump({"receptor_type": port} if port else {}, fh)

    cells = NetworkBuilder("cells")
    cells.add_nodes(N=n_cells, model_type="point_neuron", model_template=f"nest:{model}",
                    dynamics_params="cell.json", ei="e")
    inputs = NetworkBuilder("inputs")
    inputs.add_nodes(N=n_inputs, model_type="virtual", ei="e")
    conn_in = rng.integers(0, 3, size=(n_inputs, n_cells))
    inputs.add_edges(source=inputs.nodes(), target=cells.nodes(),
                     connection_rule=lambda s, t: int(conn_in[s.node_id, t.node_id]),
                     syn_weight=w_in, delay=1.5, dynamics_params="in.json", model_template="static_synapse")
    if w_rec is not None:
        conn_rec = rng.integers(0, 2, size=(n_cells, n_cells))
        cells.add_edges(source=cells.nodes(), target=cells.nodes(),
                        connection_rule=lambda s, t: int(conn_rec[s.node_id, t.node_id]) if s.node_id != t.node_id
                        else 0,
                        syn_weight=w_rec, delay=2.0, dynamics_params="rec.json", model_template="static_synapse")
    net_dir = os.path.join(out_dir, "network")
    cells.build()
    cells.save(output_dir=net_dir)
    inputs.build()
    inputs.save(output_dir=net_dir)

    trains = SpikeTrains(default_population="inputs")
    for n in range(n_inputs):
        k = rng.poisson(25.0 * tstop / 1000.0)
        ts = np.sort(rng.uniform(0.5, tstop, size=k))
        trains.add_spikes(np.full(k, n), ts, population="inputs")
    os.makedirs(os.path.join(out_dir, "inputs"), exist_ok=True)
    spikes = os.path.join(out_dir, "inputs", "spikes.h5")
    trains.to_sonata(spikes)

    out = os.path.join(out_dir, "output")
    conf = {
        "target_simulator": "NEST",
        "run": {"tstop": tstop, "dt": dt},
        "components": {"point_neuron_models_dir": os.path.join(comp, "cell_models"),
                       "synaptic_models_dir": os.path.join(comp, "synaptic_models")},
        "networks": {
            "nodes": [{"nodes_file": os.path.join(net_dir, f"{p}_nodes.h5"),
                       "node_types_file": os.path.join(net_dir, f"{p}_node_types.csv")} for p in ("cells", "inputs")],
            "edges": [{"edges_file": os.path.join(net_dir, f"{s}_cells_edges.h5"),
                       "edge_types_file": os.path.join(net_dir, f"{s}_cells_edge_types.csv")}
                      for s in (("inputs", "cells") if w_rec is not None else ("inputs",))],
        },
        "inputs": {"LGN": {"input_type": "spikes", "module": "sonata", "input_file": spikes, "node_set": "inputs"}},
        "output": {"output_dir": out, "log_file": "log.txt", "spikes_file": "spikes.h5",
                   "spikes_file_csv": "spikes.csv", "overwrite_output_dir": True, "quiet_simulator": True},
        "reports": {},
    }
    if report and model != "parrot_neuron":
        conf["reports"]["membrane_potential"] = {"cells": "cells", "variable_name": "V_m",
                                                 "module": "multimeter_report"}
    path = os.path.join(out_dir, "config.json")
    with open(path, "w") as fh:
        json.dump(conf, fh, indent=2)
    return path
