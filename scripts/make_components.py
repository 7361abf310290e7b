"""Writes the project's own example components (components/): procedurally grown morphologies,
perisomatic fit json files, exp2syn synapse parameters and a linear probe like the tutorial's electrode.

    python scripts/make_components.py [--out components]

Deterministic: every morphology is grown from a fixed seed with numpy's PCG64 generator, so the
files are byte-identical on every run. Nothing here is copied from BMTK or the Allen Cell Types
Database; the channel densities were chosen by scripts/tune_fits.py with bmtk-rs's own engine.
"""

import argparse
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

SOMA, AXON, DEND, APIC = 1, 2, 3, 4


# -- morphologies ----------------------------------------------------------------------------------


class Tree:
    """SWC points: (id, type, x, y, z, radius, parent id)."""

    def __init__(self, soma_radius):
        self.rows = [(1, SOMA, 0.0, 0.0, 0.0, soma_radius, -1)]
        self.soma_radius = soma_radius

    def add(self, kind, xyz, diam, parent):
        pid = len(self.rows) + 1
        self.rows.append((pid, kind, *(float(c) for c in xyz), diam / 2.0, parent))
        return pid

    def text(self, header):
        lines = ["# " + h for h in header] + ["# id type x y z radius parent"]
        for pid, kind, x, y, z, r, parent in self.rows:
            lines.append(f"{pid} {kind} {x:.3f} {y:.3f} {z:.3f} {r:.4f} {parent}")
        return "\n".join(lines) + "\n"

    def length(self, kind):
        xyz = {row[0]: np.array(row[2:5]) for row in self.rows}
        return sum(float(np.linalg.norm(xyz[pid] - xyz[parent]))
                   for pid, k, *_, parent in self.rows if k == kind and parent in xyz and parent != 1)


def _unit(v):
    return v / np.linalg.norm(v)


def _turn(direction, angle, rng):
    """`direction` turned by `angle` (rad) about a random axis perpendicular to it."""
    axis = _unit(np.cross(direction, rng.normal(size=3)))
    return _unit(direction * np.cos(angle) + np.cross(axis, direction) * np.sin(angle))


def grow(tree, kind, start, direction, length, d0, d1, parent, rng, step=4.0, wiggle=0.12, bias=None,
         bias_weight=0.0):
    """One unbranched piece: points every `step` um, the heading a persistent random walk (optionally
    pulled towards `bias`), the diameter tapering linearly from d0 to d1. Returns (last id, end, heading)."""
    n = max(2, int(round(length / step)))
    pos = np.array(start, dtype=float)
    heading = _unit(np.asarray(direction, dtype=float))
    for k in range(1, n + 1):
        heading = _unit(heading + wiggle * rng.normal(size=3)
                        + (bias_weight * _unit(np.asarray(bias, dtype=float)) if bias is not None else 0.0))
        pos = pos + heading * (length / n)
        parent = tree.add(kind, pos, d0 + (d1 - d0) * k / n, parent)
    return parent, pos, heading


def branch_tree(tree, kind, start, direction, parent, rng, lengths, d_start, d_tip, split_angle=0.45,
                p_split=1.0, bias=None, bias_weight=0.0, order=0):
    """A binary tree: `lengths[order]` (min, max) um per piece, each piece splitting into two until the
    last order; the diameter falls geometrically from d_start to d_tip over the orders."""
    n_orders = len(lengths)
    lo, hi = lengths[order]
    ratio = (d_tip / d_start) ** (1.0 / n_orders)
    d0 = d_start * ratio ** order
    d1 = d0 * ratio
    last, end, heading = grow(tree, kind, start, direction, rng.uniform(lo, hi), d0, max(d1, d_tip), parent,
                              rng, bias=bias, bias_weight=bias_weight)
    if order + 1 >= n_orders:
        return
    n_children = 2 if rng.random() < p_split else 1
    for _ in range(n_children):
        child_dir = _turn(heading, split_angle * rng.uniform(0.7, 1.3), rng) if n_children == 2 else heading
        branch_tree(tree, kind, end, child_dir, last, rng, lengths, d_start, d_tip, split_angle, p_split, bias,
                    bias_weight, order + 1)


def _radial(rng, y_bias):
    """A random unit vector, pushed along y by y_bias (negative: down, away from the pia)."""
    v = _unit(rng.normal(size=3))
    v[1] += y_bias
    return _unit(v)


def _on_soma(tree, direction):
    return direction * tree.soma_radius


def pyramidal(seed):
    """L4 pyramidal cell (mouse V1): 13 um soma, 6 basal dendrites (about 3 mm), an apical dendrite
    rising 340-400 um towards the pia (+y) with obliques and a tuft, a descending axon with collaterals."""
    rng = np.random.default_rng(seed)
    tree = Tree(soma_radius=6.5)
    for k in range(6):
        angle = 2 * np.pi * (k + rng.uniform(-0.25, 0.25)) / 6
        direction = _unit(np.array([np.cos(angle), rng.uniform(-0.9, -0.1), np.sin(angle)]))
        branch_tree(tree, DEND, _on_soma(tree, direction), direction, 1, rng,
                    lengths=[(12, 25), (40, 70), (90, 140)], d_start=1.8, d_tip=0.5, p_split=0.85,
                    bias=direction, bias_weight=0.05)
    # apical trunk with oblique branches, then a tuft
    top = rng.uniform(340.0, 400.0)
    parent, pos, heading = 1, _on_soma(tree, np.array([0.0, 1.0, 0.0])), np.array([0.0, 1.0, 0.0])
    n_obliques = 4
    stops = np.sort(rng.uniform(40.0, top - 60.0, n_obliques))
    trunk_d = lambda y: 2.4 - 1.2 * min(y / top, 1.0)  # noqa: E731
    for y_stop in list(stops) + [top]:
        d_here = trunk_d(pos[1])
        parent, pos, heading = grow(tree, APIC, pos, heading, y_stop - pos[1], d_here, trunk_d(y_stop), parent,
                                    rng, wiggle=0.06, bias=[0, 1, 0], bias_weight=0.3)
        if y_stop < top:
            direction = _unit(np.array([rng.normal(), 0.35, rng.normal()]))
            branch_tree(tree, APIC, pos, direction, parent, rng, lengths=[(40, 70), (40, 70)], d_start=0.9,
                        d_tip=0.5, p_split=0.5)
    for _ in range(3):  # tuft: three branches spreading under the pia
        direction = _unit(np.array([rng.normal(), 0.8, rng.normal()]))
        branch_tree(tree, APIC, pos, direction, parent, rng, lengths=[(30, 50), (50, 80)], d_start=1.0,
                    d_tip=0.5, split_angle=0.6, bias=[0, 1, 0], bias_weight=0.05)
    _axon(tree, rng, main=(150, 200), collaterals=3, d0=1.0)
    return tree


def basket(seed):
    """Fast-spiking basket cell (PV, aspiny): 12 um soma, 7 smooth multipolar dendrites (about 2.5 mm),
    a local axon arbor."""
    rng = np.random.default_rng(seed)
    tree = Tree(soma_radius=6.0)
    for _ in range(7):
        direction = _radial(rng, 0.0)
        branch_tree(tree, DEND, _on_soma(tree, direction), direction, 1, rng,
                    lengths=[(8, 20), (40, 70), (70, 120)], d_start=1.5, d_tip=0.45, p_split=0.8,
                    bias=direction, bias_weight=0.05)
    _axon(tree, rng, main=(40, 60), collaterals=5, d0=0.8)
    return tree


def _axon(tree, rng, main, collaterals, d0):
    """An axon leaving the soma downwards (-y), with collaterals branching off it."""
    down = np.array([0.0, -1.0, 0.0])
    length = rng.uniform(*main)
    parent, pos, heading = 1, _on_soma(tree, down), down
    for k in range(collaterals):
        parent, pos, heading = grow(tree, AXON, pos, heading, length / collaterals, d0 * (1 - 0.3 * k / collaterals),
                                    d0 * (1 - 0.3 * (k + 1) / collaterals), parent, rng, wiggle=0.08,
                                    bias=down, bias_weight=0.2)
        side = _unit(np.array([rng.normal(), -0.3, rng.normal()]))
        branch_tree(tree, AXON, pos, side, parent, rng, lengths=[(40, 80), (30, 60), (30, 60)], d_start=0.5,
                    d_tip=0.3, p_split=0.7)


MORPHOLOGIES = {
    # file name: (builder, seed, description)
    "pyramidal_1.swc": (pyramidal, 4101, "L4 pyramidal cell, variant 1"),
    "pyramidal_2.swc": (pyramidal, 4102, "L4 pyramidal cell, variant 2"),
    "pyramidal_3.swc": (pyramidal, 4103, "L4 pyramidal cell, variant 3"),
    "basket_1.swc": (basket, 4201, "L4 fast-spiking basket cell (aspiny)"),
}


def write_morphologies(out):
    folder = out / "morphologies"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (build, seed, what) in MORPHOLOGIES.items():
        tree = build(seed)
        header = [f"{what}: grown by bmtk-rs scripts/make_components.py ({build.__name__}, seed {seed})",
                  "procedural, not a reconstruction; y points to the pia; units um",
                  "total length (um): basal {:.0f}, apical {:.0f}, axon {:.0f}".format(
                      tree.length(DEND), tree.length(APIC), tree.length(AXON))]
        (folder / name).write_text(tree.text(header))


# -- fits ------------------------------------------------------------------------------------------


def fit_json(passive, soma_channels, g_pas, ena, ek, celsius=34.0, v_init=None):
    """The Allen perisomatic fit layout bmtk's aibs_perisomatic reads: passive (ra, cm per section,
    e_pas), conditions (celsius, erev at the soma, v_init), genome (section, name, value, mechanism)."""
    genome = [{"section": "soma", "name": f"{name}_{mech}", "value": value, "mechanism": mech}
              for mech, name, value in soma_channels]
    genome += [{"section": sec, "name": "g_pas", "value": g, "mechanism": ""} for sec, g in g_pas.items()]
    return {
        "passive": [{"ra": passive["ra"], "e_pas": passive["e_pas"],
                     "cm": [{"section": s, "cm": c} for s, c in passive["cm"].items()]}],
        "conditions": [{"celsius": celsius, "erev": [{"section": "soma", "ena": ena, "ek": ek}],
                        "v_init": passive["e_pas"] if v_init is None else v_init}],
        "genome": genome,
    }


# Chosen with scripts/tune_fits.py (bmtk-rs's engine only; the runs and the rounding are listed in
# its docstring). The leak of the dendrites and of bmtk's axon stub keeps the base fit's proportions
# to the soma's.
FITS = {
    "excitatory_rs_fit.json": fit_json(
        passive={"ra": 120.0, "e_pas": -82.0, "cm": {"soma": 1.0, "axon": 1.0, "dend": 1.6, "apic": 1.6}},
        soma_channels=[
            ("NaTs", "gbar", 2.3), ("Nap", "gbar", 1.8e-4), ("K_P", "gbar", 0.17), ("K_T", "gbar", 5.5e-4),
            ("Kv3_1", "gbar", 0.065), ("Im", "gbar", 0.009), ("Ih", "gbar", 6e-5), ("SK", "gbar", 1.9e-3),
            ("Ca_HVA", "gbar", 2.7e-4), ("Ca_LVA", "gbar", 2.4e-4), ("CaDynamics", "gamma", 2.7e-3),
            ("CaDynamics", "decay", 390.0),
        ],
        g_pas={"soma": 7.4e-5, "axon": 3e-4, "dend": 4.4e-5, "apic": 4.4e-5},
        ena=53.0, ek=-104.0),
    "inhibitory_fs_fit.json": fit_json(
        passive={"ra": 110.0, "e_pas": -74.0, "cm": {"soma": 1.0, "axon": 1.0, "dend": 1.0}},
        soma_channels=[
            ("NaV", "gbar", 0.4), ("Kv3_1", "gbar", 9.0), ("K_T", "gbar", 0.003), ("K_P", "gbar", 0.05),
            ("SK", "gbar", 1.4e-3), ("Ca_HVA", "gbar", 2e-5), ("CaDynamics", "gamma", 5e-4),
            ("CaDynamics", "decay", 40.0), ("Ih", "gbar", 4e-5),
        ],
        g_pas={"soma": 2.6e-4, "axon": 5.2e-4, "dend": 1.3e-4},
        ena=53.0, ek=-104.0),
}


def write_fits(out, fits=None):
    folder = out / "biophysical_neuron_models"
    folder.mkdir(parents=True, exist_ok=True)
    for name, fit in (fits or FITS).items():
        (folder / name).write_text(json.dumps(fit, indent=2) + "\n")


# -- synapses --------------------------------------------------------------------------------------

# Exp2Syn (tau1 rise, tau2 decay in ms; erev mV). AMPA onto pyramidal cells rises in about 0.3 ms and
# decays in 2-3 ms; onto fast-spiking interneurons it is faster (decay about 1 ms). GABA_A from basket
# cells decays in 6-10 ms onto pyramidal cells and a little faster onto interneurons; E_GABA near
# -72 mV. Values are round numbers in those ranges, not fitted to any recording.
E2E = {"level_of_detail": "exp2syn", "tau1": 0.3, "tau2": 2.5, "erev": 0.0}
E2I = {"level_of_detail": "exp2syn", "tau1": 0.2, "tau2": 1.2, "erev": 0.0}
I2E = {"level_of_detail": "exp2syn", "tau1": 0.5, "tau2": 8.0, "erev": -72.0}
I2I = {"level_of_detail": "exp2syn", "tau1": 0.4, "tau2": 5.0, "erev": -72.0}

# Named for their role (source -> target, mechanism), never with a file name of bmtk's examples: a
# file under one of bmtk's names must hold bmtk's values, and these are our own.
SYNAPSES = {
    "exc_to_exc_exp2syn.json": E2E, "exc_to_inh_exp2syn.json": E2I, "inh_to_exc_exp2syn.json": I2E,
    "inh_to_inh_exp2syn.json": I2I, "lgn_to_exc_exp2syn.json": E2E, "lgn_to_inh_exp2syn.json": E2I,
}


# Connections onto NEURON IntFire1 point cells (the L4 model's surround, examples/l4_full): an event
# adds syn_weight * sign * nsyns to the cell's state at once, so the file only gives the sign.
POINT_SYNAPSES = {
    "exc_to_point_instant.json": {"level_of_detail": "instantaneous", "sign": 1},
    "inh_to_point_instant.json": {"level_of_detail": "instantaneous", "sign": -1},
}

# IntFire1 cells (tau, refrac in seconds, as bmtk's point_neuron_models files give them): a slower
# membrane for the excitatory surround than for the inhibitory one, 3 ms refractory period; round
# values of the order used for the L4 model's leaky integrate-and-fire surround (Arkhipov et al. 2018).
POINT_NEURONS = {
    "intfire1_exc.json": {"type": "NEURON_IntFire1", "tau": 0.024, "refrac": 0.003},
    "intfire1_inh.json": {"type": "NEURON_IntFire1", "tau": 0.007, "refrac": 0.003},
}


def write_synapses(out):
    folder = out / "synaptic_models"
    folder.mkdir(parents=True, exist_ok=True)
    for name, params in {**SYNAPSES, **POINT_SYNAPSES}.items():
        (folder / name).write_text(json.dumps(params, indent=2) + "\n")


def write_point_neurons(out):
    folder = out / "point_neuron_models"
    folder.mkdir(parents=True, exist_ok=True)
    for name, params in POINT_NEURONS.items():
        (folder / name).write_text(json.dumps(params, indent=2) + "\n")


ELECTRODE = "linear_probe_10ch_100um.csv"


def write_devices(out):
    """A linear probe like the tutorial's electrode: ten channels 100 um apart along the column axis (y)."""
    folder = out / "devices"
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["channel x_pos y_pos z_pos"] + [f"{k} 0.0 {100.0 * k} 0.0" for k in range(10)]
    (folder / ELECTRODE).write_text("\n".join(rows) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "components"), help="components folder to write into")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    write_morphologies(out)
    write_fits(out)
    write_synapses(out)
    write_point_neurons(out)
    write_devices(out)
    print(f"wrote {len(MORPHOLOGIES)} morphologies, {len(FITS)} fits, {len(SYNAPSES) + len(POINT_SYNAPSES)} synapse files, "
          f"{len(POINT_NEURONS)} point-neuron files and "
          f"devices/{ELECTRODE} under {out}")


if __name__ == "__main__":
    main()
