"""The Mouse V1 layer 4 model of Arkhipov et al. 2018 at its full size (or a fraction of it).

    python examples/l4_full/build_network.py --fraction 1 --seed 1 --tstop 1000 OUTDIR
    python -m bmtk_rs.simulator.bionet OUTDIR/config.json          (or: mpirun -np N python -m ...)

writes OUTDIR/network/ (V1 and LGN nodes, V1->V1 and LGN->V1 edges), OUTDIR/inputs/lgn_spikes.h5
(FilterNet's response of the LGN to a drifting grating) and OUTDIR/config.json.

Where the numbers come from. "[A18]" is Arkhipov et al. 2018, PLoS Comput Biol 14(11): e1006535,
"Visual physiology of the layer 4 cortical circuit in silico" (its Methods: the model's composition,
geometry and connection rules). The same rules and values are in BMTK's own scaled builders of this
model (its 450-cell example network, "1 percent of the 45,000 network"), which we read to confirm
the numbers. "[ours]" marks a value the paper does not give (or gives for the Allen cell models we do
not ship), chosen here and explained where it is set. Everything the run needs comes from the
project's components/ (cell morphologies and fits, synapse, IntFire1 and LGN filter parameters).

--fraction F keeps the model's disc (radius 845 um) and its rules and makes the layer F times
thinner, as BMTK's scaled builders of this model do: F times the cells, each with F times the
recurrent partners, recurrent weights scaled by 1/sqrt(F) (BMTK's WEIGHT_ADJ) so the scaled
network stays active. The LGN and each cell's thalamic input do not change with F.
"""

import argparse
import json
import math
import pathlib
import time

import numpy as np

import bmtk_rs
from bmtk_rs.builder.networks import NetworkBuilder

COMPONENTS = pathlib.Path(bmtk_rs.__file__).resolve().parent / "components"

# ---- composition [A18] -------------------------------------------------------------------------------
# 10,000 biophysical cells in the core (85% excitatory: Scnn1a 3,700, Rorb 3,300, Nr5a1 1,500; 15%
# fast-spiking PV interneurons: PV1 800, PV2 700) and 35,000 leaky integrate-and-fire cells around
# them (again 85% / 15%: LIF_exc 29,750, LIF_inh 5,250): 45,000 cells.
# Cell models [ours]: the paper uses Allen Cell Types models of each type; components/ has three
# generated pyramidal cells and one basket cell with our own fits, so PV1 and PV2 share basket_1.swc
# (they differ by their synaptic weights, as in the paper).
BIO_TYPES = [
    # pop_name, N, ei, morphology, fit
    ("Scnn1a", 3700, "e", "pyramidal_1.swc", "excitatory_rs_fit.json"),
    ("Rorb", 3300, "e", "pyramidal_2.swc", "excitatory_rs_fit.json"),
    ("Nr5a1", 1500, "e", "pyramidal_3.swc", "excitatory_rs_fit.json"),
    ("PV1", 800, "i", "basket_1.swc", "inhibitory_fs_fit.json"),
    ("PV2", 700, "i", "basket_1.swc", "inhibitory_fs_fit.json"),
]
POINT_TYPES = [
    ("LIF_exc", 29750, "e", "intfire1_exc.json"),
    ("LIF_inh", 5250, "i", "intfire1_inh.json"),
]

# ---- geometry [A18] ----------------------------------------------------------------------------------
# A cylinder of 845 um radius and 100 um height (0.0002 cells/um^3 for 45,000 cells), its axis along
# y (which points to the pia in our morphologies), L4 at 320-420 um below the pia; the biophysical
# core fills the inner 400 um (sqrt(10,000 / 45,000) of the radius), the point cells the annulus.
RADIUS = 845.0
CORE_RADIUS = RADIUS * math.sqrt(10000 / 45000)
HEIGHT = 100.0
DEPTH_CENTER = -370.0

# ---- recurrent connections [A18] ---------------------------------------------------------------------
# Probability p_max * (1 - r / d_max) for two somata r um apart, 0 beyond d_max; between excitatory
# cells also times a factor falling linearly from 1 (same preferred orientation) to 0.5 (orthogonal).
# Each connection is 3-7 synapses (uniform), delay 2 ms, no autapses. [ours]: r is measured in the
# plane of the layer (x, z); the layer is 100 um thick, so the depth would add little to it.
E_TO_E = dict(p_max=0.34, d_max=300.0, orientation=(1.0, 0.5))
E_TO_I = dict(p_max=0.26, d_max=300.0)
I_TO_ALL = dict(p_max=1.0, d_max=160.0)
NSYN = (3, 7)
DELAY = 2.0
# Weights (uS per synapse for Exp2Syn; IntFire1 state units per synapse for point targets). E->E
# weights onto biophysical cells fall with the difference of preferred orientation as a Gaussian of
# 50 degrees (bmtk's gaussianLL weight function) from these peaks.
# The paper's weights were fitted for its Allen cell models; with ours (components/: generated
# morphologies, our own fits) they left the excitatory core at 0.2-0.5 Hz and the excitatory
# surround silent under the grating while PV cells fired at 17-18 Hz. The values below are the
# paper's where they still serve and ours where they did not, tuned by hand (runs of 500 ms at
# --fraction 0.1, checked with 250 ms runs at full size; examples/l4_full/rates.py prints the rates)
# for the rates the paper reports under drifting gratings, as we read them (its per-type figures were
# not at hand: the ranges are ours to state): excitatory cells a few Hz (about 2-8 Hz
# at the preferred direction, low single digits on average), PV cells tens of Hz, the LIF surround
# like the core's types; keeping the rate at the preferred orientation above the orthogonal one.
W_E_TO_E = {"Scnn1a": 6.4e-5, "Rorb": 5.5e-5, "Nr5a1": 7.2e-5}  # [A18]: halving them changed little
# [ours] 0.57x the paper's 3.5e-4 / 2.7e-4: with them PV cells fired at 35-45 Hz once the LGN drive
# of the excitatory cells was raised (below), and their inhibition erased the excitatory cells' tuning
W_E_TO_PV = {"PV1": 2.0e-4, "PV2": 1.6e-4}
W_I_TO_E, W_I_TO_I = 1.8e-4, 2.0e-4  # [A18]
# [A18] but ("i", "LIF_exc"): [ours] 0.005 instead of 0.009, which kept the excitatory surround
# below 0.5 Hz at full size (an IntFire1 cell with its 400 inhibitory synapses at 0.009 sat far from
# threshold whatever its LGN drive)
W_TO_LIF = {("e", "LIF_exc"): 0.0019, ("e", "LIF_inh"): 0.0043, ("i", "LIF_exc"): 0.005, ("i", "LIF_inh"): 0.00225}
GAUSS_SIGMA = 50.0
# Where synapses go on the target (bmtk's target_sections / distance_range, um from the soma) [A18].
PLACE_E_TO_E = (["basal", "apical"], [30.0, 150.0])
PLACE_E_TO_I = (["somatic", "basal"], [0.0, 1e20])
PLACE_I_TO_E = (["somatic", "basal", "apical"], [0.0, 50.0])
PLACE_I_TO_I = (["somatic", "basal"], [0.0, 1e20])

# ---- LGN and thalamic input --------------------------------------------------------------------------
# [A18] drives L4 with a FilterNet model of the LGN (linear spatio-temporal filters, Poisson spikes)
# whose units tile the visual field; L4 cells take inputs from units whose receptive fields lie near
# their own, excitatory cells from ON and OFF subfields displaced across their preferred orientation.
# [ours]: the paper's LGN has several thousand units of many filter classes; we take 9,000 units,
# half sustained-ON and half sustained-OFF (the two filter classes components/ has), in a 90 x 90
# degree window of FilterNet's 240 x 120 degree screen, receptive fields 2-6 degrees. A cortical
# position maps to the visual field at 20 um per degree (the 845 um disc sees +-42 degrees). An
# excitatory cell takes 20 LGN connections, an inhibitory one 30, each drawn (without replacement)
# with probability proportional to exp(-d^2 / 2 sigma^2), d the distance (deg) from the unit's
# receptive field to the centre of the matching subfield (sigma 3 deg; subfields either side of the
# cell's receptive field along its preferred direction, across the bars of the grating it prefers;
# inhibitory cells have one centre).
N_LGN = 9000
LGN_WINDOW = (75.0, 165.0, 15.0, 105.0)  # x0, x1, y0, y1 in degrees of the 240 x 120 screen
UM_PER_DEG = 20.0
# [ours] subfields 6 degrees either side: 12 degrees apart, half a period of the grating (0.04 cycles per
# degree), so ON and OFF input peak together at the preferred direction and cancel at the orthogonal
# one (3 degrees either side gave a preferred / orthogonal rate ratio of 1.1-1.6 at fraction 0.1)
LGN_SIGMA, LGN_SUBFIELD = 3.0, 6.0
LGN_CONNS = {"e": 20, "i": 30}
# [ours] LGN weights: our generated pyramidal cells are larger than the paper's Allen cells, so the
# weights are set for the paper's rates under the grating (see the recurrent weights above), not
# taken from the paper. Tuned: excitatory 8e-4 -> 1.1e-3 (core excitatory rates at full size
# 0.2-0.5 Hz -> about 2 Hz), LIF_exc 0.035 -> 0.06 and LIF_inh 0.08 -> 0.10 (the surround's rates
# to its core types'); inhibitory 1.5e-3 kept.
W_LGN = {"e": 1.1e-3, "i": 1.5e-3, "LIF_exc": 0.06, "LIF_inh": 0.10}
PLACE_LGN_E = (["basal", "apical", "somatic"], [0.0, 50.0])
PLACE_LGN_I = (["somatic", "basal"], [0.0, 1e20])

# The stimulus [ours, in the paper's range]: a full-screen drifting grating, 0.04 cycles/degree,
# 2 Hz, 80% contrast, moving at 90 degrees, from t = 0.
GRATING = {"cpd": 0.04, "temporal_f": 2.0, "contrast": 0.8, "theta": 90.0, "phase": 0.0}


def scaled(n, fraction):
    return max(1, int(round(n * fraction)))


# ---- nodes -------------------------------------------------------------------------------------------
def disc_positions(rng, n, r_in, r_out, height):
    """n points uniform in an annulus r_in..r_out of the x-z plane, y uniform over the layer."""
    r = np.sqrt(rng.uniform(r_in ** 2, r_out ** 2, n))
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    y = rng.uniform(DEPTH_CENTER - height / 2, DEPTH_CENTER + height / 2, n)
    return r * np.cos(phi), y, r * np.sin(phi)


def add_v1_nodes(v1, rng, fraction):
    height = HEIGHT * fraction
    for pop, n, ei, morph, fit in BIO_TYPES:
        n = scaled(n, fraction)
        x, y, z = disc_positions(rng, n, 0.0, CORE_RADIUS, height)
        extra = {"tuning_angle": rng.uniform(0.0, 360.0, n)} if ei == "e" else {}
        # [A18] rotates the cells about the layer's axis only; our morphologies already point to the pia
        v1.add_nodes(N=n, pop_name=pop, ei=ei, location="L4", model_type="biophysical",
                     model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                     morphology=morph, dynamics_params=fit, x=x, y=y, z=z,
                     rotation_angle_yaxis=rng.uniform(0.0, 2.0 * np.pi, n), rotation_angle_zaxis=0.0, **extra)
    for pop, n, ei, params in POINT_TYPES:
        n = scaled(n, fraction)
        x, y, z = disc_positions(rng, n, CORE_RADIUS, RADIUS, height)
        extra = {"tuning_angle": rng.uniform(0.0, 360.0, n)} if ei == "e" else {}
        v1.add_nodes(N=n, pop_name=pop, ei=ei, location="L4", model_type="point_process",
                     model_template="nrn:IntFire1", dynamics_params=params, x=x, y=y, z=z, **extra)


def add_lgn_nodes(lgn, rng, n_lgn):
    x0, x1, y0, y1 = LGN_WINDOW
    for pop, tmpl, params in (("sON", "sON_TF8", "sustained_on_tf8.json"),
                              ("sOFF", "sOFF_TF8", "sustained_off_tf8.json")):
        n = n_lgn // 2
        lgn.add_nodes(N=n, pop_name=pop, model_type="virtual", model_template="lgnmodel:" + tmpl,
                      dynamics_params=params, x=rng.uniform(x0, x1, n), y=rng.uniform(y0, y1, n),
                      spatial_size=rng.uniform(2.0, 6.0, n))


# ---- connection rules (iterator='all_to_one_table': one call per target, sources as one table) -------
class GridIndex:
    """Sources binned on a square grid of the plane, so a rule looks only at the sources of the bins
    around its target (the table is the same object for every call of one edge type)."""

    def __init__(self, px, py, cell):
        self.cell = cell
        self.px, self.py = px, py
        ix = np.floor(px / cell).astype(np.int64)
        iy = np.floor(py / cell).astype(np.int64)
        self.x0, self.y0 = ix.min(initial=0), iy.min(initial=0)
        self.nx = int(ix.max(initial=0) - self.x0 + 1)
        self.ny = int(iy.max(initial=0) - self.y0 + 1)
        key = (ix - self.x0) * self.ny + (iy - self.y0)
        self.order = np.argsort(key, kind="stable")
        self.starts = np.searchsorted(key[self.order], np.arange(self.nx * self.ny + 1))

    def near(self, x, y, reach):
        """Indices of the sources within `reach` bins of the bin of (x, y) (bin by bin)."""
        cx = int(math.floor(x / self.cell)) - self.x0
        cy = int(math.floor(y / self.cell)) - self.y0
        parts = []
        for i in range(max(cx - reach, 0), min(cx + reach, self.nx - 1) + 1):
            a = i * self.ny + max(cy - reach, 0)
            b = i * self.ny + min(cy + reach, self.ny - 1) + 1
            if b > a:
                parts.append(self.order[self.starts[a]:self.starts[b]])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(parts)


def _index(cache, sources, make):
    key = id(sources)
    if cache.get("key") != key:
        cache["key"], cache["index"], cache["table"] = key, make(sources), sources
    return cache["index"]


def orientation_difference(a, b):
    """Difference of preferred orientations (degrees, 0-90): direction does not count."""
    d = np.abs(a - b)  # angles are in [0, 360): d in [0, 360), folded without a float modulo
    d = np.where(d >= 180.0, d - 180.0, d)
    return np.minimum(d, 180.0 - d)


class DistanceRule:
    """p_max * (1 - r / d_max) in the horizontal plane [A18], times a linear orientation factor
    (aligned -> orthogonal) when `orientation` is given; 3-7 synapses per connection; no autapses."""

    def __init__(self, rng, p_max, d_max, orientation=None):
        self.rng, self.p_max, self.d_max, self.orientation = rng, p_max, d_max, orientation
        self._cache = {}

    def _make(self, sources):
        idx = GridIndex(sources["x"].to_numpy(float), sources["z"].to_numpy(float), self.d_max)
        idx.node_id = sources["node_id"].to_numpy()
        idx.tuning = sources["tuning_angle"].to_numpy(float) if "tuning_angle" in sources else None
        return idx

    def __call__(self, sources, target):
        idx = _index(self._cache, sources, self._make)
        tx, tz = float(target["x"]), float(target["z"])
        cand = idx.near(tx, tz, 1)
        r = np.hypot(idx.px[cand] - tx, idx.py[cand] - tz)
        p = self.p_max * (1.0 - r / self.d_max)
        if self.orientation is not None:
            top, bottom = self.orientation
            dth = orientation_difference(idx.tuning[cand], float(target["tuning_angle"]))
            p *= top + (bottom - top) * dth / 90.0
        p[idx.node_id[cand] == target["node_id"]] = 0.0
        hit = cand[self.rng.random(len(cand)) < p]
        counts = np.zeros(len(sources), dtype=np.uint32)
        counts[hit] = self.rng.integers(NSYN[0], NSYN[1] + 1, len(hit))
        return counts


class LGNRule:
    """A fixed number of LGN connections per target, drawn near the target's receptive field (for a
    tuned cell ON units near its ON subfield and OFF units near its OFF subfield) [A18, ours]."""

    def __init__(self, rng, n_conns):
        self.rng, self.n_conns = rng, n_conns
        self._cache = {}

    def _make(self, sources):
        idx = GridIndex(sources["x"].to_numpy(float), sources["y"].to_numpy(float), 3.0 * LGN_SIGMA)
        idx.on = (sources["pop_name"] == "sON").to_numpy()
        return idx

    def __call__(self, sources, target):
        idx = _index(self._cache, sources, self._make)
        cx = 0.5 * (LGN_WINDOW[0] + LGN_WINDOW[1]) + float(target["x"]) / UM_PER_DEG
        cy = 0.5 * (LGN_WINDOW[2] + LGN_WINDOW[3]) + float(target["z"]) / UM_PER_DEG
        theta = target.get("tuning_angle")
        shift = np.zeros(2)
        if theta is not None and not (isinstance(theta, float) and math.isnan(theta)):
            a = math.radians(float(theta))
            # along the preferred direction, across the bars of a grating moving that way (FilterNet's
            # grating varies along x cos(theta) + y sin(theta)): ON and OFF then alternate on the cell
            shift = LGN_SUBFIELD * np.array([math.cos(a), math.sin(a)])
        cand = idx.near(cx, cy, 1)
        sign = np.where(idx.on[cand], 1.0, -1.0)
        dx = idx.px[cand] - (cx + sign * shift[0])
        dy = idx.py[cand] - (cy + sign * shift[1])
        w = np.exp(-(dx * dx + dy * dy) / (2.0 * LGN_SIGMA ** 2))
        counts = np.zeros(len(sources), dtype=np.uint32)
        if len(cand) == 0 or w.sum() <= 0:
            return counts
        # k draws without replacement, each unit's chance proportional to w: the k first arrivals of
        # exponential clocks of rates w (Efraimidis and Spirakis), linear in the candidates
        k = min(self.n_conns, int(np.count_nonzero(w)))
        with np.errstate(divide="ignore"):
            arrival = self.rng.exponential(size=len(cand)) / w
        chosen = cand[np.argpartition(arrival, k - 1)[:k]] if k < len(cand) else cand
        counts[chosen] = self.rng.integers(NSYN[0], NSYN[1] + 1, len(chosen))
        return counts


# ---- edges -------------------------------------------------------------------------------------------
def add_v1_edges(v1, rng, fraction):
    adj = 1.0 / math.sqrt(fraction)  # BMTK's WEIGHT_ADJ for scaled versions of this model
    table = "all_to_one_table"
    for pop in ("Scnn1a", "Rorb", "Nr5a1"):
        v1.add_edges(source={"ei": "e"}, target={"pop_name": pop}, iterator=table,
                     connection_rule=DistanceRule(rng, **E_TO_E), syn_weight=W_E_TO_E[pop] * adj,
                     weight_function="gaussianLL", weight_sigma=GAUSS_SIGMA, delay=DELAY,
                     dynamics_params="exc_to_exc_exp2syn.json", model_template="exp2syn",
                     target_sections=PLACE_E_TO_E[0], distance_range=PLACE_E_TO_E[1])
    for pop in ("PV1", "PV2"):
        v1.add_edges(source={"ei": "e"}, target={"pop_name": pop}, iterator=table,
                     connection_rule=DistanceRule(rng, **E_TO_I), syn_weight=W_E_TO_PV[pop] * adj, delay=DELAY,
                     dynamics_params="exc_to_inh_exp2syn.json", model_template="exp2syn",
                     target_sections=PLACE_E_TO_I[0], distance_range=PLACE_E_TO_I[1])
    v1.add_edges(source={"ei": "i"}, target={"ei": "e", "model_type": "biophysical"}, iterator=table,
                 connection_rule=DistanceRule(rng, **I_TO_ALL), syn_weight=W_I_TO_E * adj, delay=DELAY,
                 dynamics_params="inh_to_exc_exp2syn.json", model_template="exp2syn",
                 target_sections=PLACE_I_TO_E[0], distance_range=PLACE_I_TO_E[1])
    v1.add_edges(source={"ei": "i"}, target={"ei": "i", "model_type": "biophysical"}, iterator=table,
                 connection_rule=DistanceRule(rng, **I_TO_ALL), syn_weight=W_I_TO_I * adj, delay=DELAY,
                 dynamics_params="inh_to_inh_exp2syn.json", model_template="exp2syn",
                 target_sections=PLACE_I_TO_I[0], distance_range=PLACE_I_TO_I[1])
    for (src_ei, pop), w in W_TO_LIF.items():
        rule = E_TO_E if (src_ei, pop) == ("e", "LIF_exc") else E_TO_I if src_ei == "e" else I_TO_ALL
        v1.add_edges(source={"ei": src_ei}, target={"pop_name": pop}, iterator=table,
                     connection_rule=DistanceRule(rng, **rule), syn_weight=w * adj, delay=DELAY,
                     dynamics_params="{}_to_point_instant.json".format("exc" if src_ei == "e" else "inh"))


def add_lgn_edges(lgn, v1, rng):
    table = "all_to_one_table"
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e", model_type="biophysical"), iterator=table,
                  connection_rule=LGNRule(rng, LGN_CONNS["e"]), syn_weight=W_LGN["e"], delay=DELAY,
                  dynamics_params="lgn_to_exc_exp2syn.json", model_template="exp2syn",
                  target_sections=PLACE_LGN_E[0], distance_range=PLACE_LGN_E[1])
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="i", model_type="biophysical"), iterator=table,
                  connection_rule=LGNRule(rng, LGN_CONNS["i"]), syn_weight=W_LGN["i"], delay=DELAY,
                  dynamics_params="lgn_to_inh_exp2syn.json", model_template="exp2syn",
                  target_sections=PLACE_LGN_I[0], distance_range=PLACE_LGN_I[1])
    for pop, ei in (("LIF_exc", "e"), ("LIF_inh", "i")):
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(pop_name=pop), iterator=table,
                      connection_rule=LGNRule(rng, LGN_CONNS[ei]), syn_weight=W_LGN[pop], delay=DELAY,
                      dynamics_params="exc_to_point_instant.json")


def build(out, fraction, seed, n_lgn=N_LGN, log=print):
    """Builds and saves V1 and LGN under out/network; returns (v1, lgn)."""
    rng = np.random.default_rng(seed)
    net_dir = out / "network"
    t0 = time.perf_counter()
    v1 = NetworkBuilder("V1")
    add_v1_nodes(v1, rng, fraction)
    add_v1_edges(v1, rng, fraction)
    v1.build()
    log("V1: {} nodes, {} connections, {} synapses built in {:.1f} s".format(
        v1.nnodes, sum(t.n_connections for _, t in v1._edge_tables), v1.nedges, time.perf_counter() - t0))
    t1 = time.perf_counter()
    v1.save(output_dir=str(net_dir), edge_order="stable")
    log("V1 saved in {:.1f} s".format(time.perf_counter() - t1))
    t1 = time.perf_counter()
    lgn = NetworkBuilder("LGN")
    add_lgn_nodes(lgn, rng, n_lgn)
    add_lgn_edges(lgn, v1, rng)
    lgn.build()
    lgn.save(output_dir=str(net_dir), edge_order="stable")
    log("LGN: {} nodes, {} synapses onto V1, built and saved in {:.1f} s".format(
        lgn.nnodes, lgn.nedges, time.perf_counter() - t1))
    return v1, lgn


# ---- LGN spikes (FilterNet) and the BioNet config ----------------------------------------------------
def run_filternet(out, tstop, seed):
    from bmtk_rs.simulator import filternet

    config = {
        "manifest": {"$BASE_DIR": str(out.resolve())},
        "target_simulator": "LGNModel",
        "networks": {"nodes": [{"nodes_file": "$BASE_DIR/network/LGN_nodes.h5",
                                "node_types_file": "$BASE_DIR/network/LGN_node_types.csv"}]},
        "components": {"filter_models_dir": str(COMPONENTS / "filter_models")},
        "run": {"tstop": float(tstop), "dt": 1.0, "random_seed": int(seed)},
        "inputs": {"drifting_grating": dict(input_type="movie", module="graiting", row_size=120, col_size=240,
                                            gray_screen_dur=0.0, frame_rate=1000.0, **GRATING)},
        "output": {"log_file": "log.txt", "log_to_console": False, "output_dir": "$BASE_DIR/inputs",
                   "overwrite_output_dir": False, "spikes_file": "lgn_spikes.h5"},
    }
    path = out / "config.filternet.json"
    path.write_text(json.dumps(config, indent=2))
    conf = filternet.Config.from_json(str(path))
    conf.build_env()
    net = filternet.FilterNetwork.from_config(conf)
    filternet.FilterSimulator.from_config(conf, net).run()


def write_bionet_config(out, tstop):
    config = {
        "manifest": {"$BASE_DIR": str(out.resolve()), "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": str(COMPONENTS)},
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": float(tstop), "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0,
                "nsteps_block": 5000},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/V1_nodes.h5", "node_types_file": "$NETWORK_DIR/V1_node_types.csv"},
                      {"nodes_file": "$NETWORK_DIR/LGN_nodes.h5",
                       "node_types_file": "$NETWORK_DIR/LGN_node_types.csv"}],
            "edges": [{"edges_file": "$NETWORK_DIR/V1_V1_edges.h5",
                       "edge_types_file": "$NETWORK_DIR/V1_V1_edge_types.csv"},
                      {"edges_file": "$NETWORK_DIR/LGN_V1_edges.h5",
                       "edge_types_file": "$NETWORK_DIR/LGN_V1_edge_types.csv"}]},
        "components": {"morphologies_dir": "$COMPONENTS_DIR/morphologies",
                       "biophysical_neuron_models_dir": "$COMPONENTS_DIR/biophysical_neuron_models",
                       "point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models",
                       # the LGN nodes' dynamics_params (bmtk reads them even when it only replays spikes)
                       "filter_models_dir": "$COMPONENTS_DIR/filter_models"},
        "inputs": {"LGN_spikes": {"input_type": "spikes", "module": "sonata",
                                  "input_file": "$BASE_DIR/inputs/lgn_spikes.h5", "node_set": "LGN"}},
        "output": {"log_file": "log.txt", "log_to_console": True, "output_dir": "$BASE_DIR/output",
                   "overwrite_output_dir": True, "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv"},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--fraction", type=float, default=1.0, help="fraction of the 45,000 cells (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tstop", type=float, default=1000.0, help="ms of LGN input and of simulation")
    ap.add_argument("--lgn-cells", type=int, default=N_LGN)
    args = ap.parse_args(argv)
    if not 0.0 < args.fraction <= 1.0:
        ap.error("--fraction must be in (0, 1]")
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    build(out, args.fraction, args.seed, args.lgn_cells)
    t1 = time.perf_counter()
    run_filternet(out, args.tstop, args.seed)
    print("LGN spikes (FilterNet, drifting grating, {:.0f} ms) in {:.1f} s".format(
        args.tstop, time.perf_counter() - t1))
    write_bionet_config(out, args.tstop)
    print("wrote {} in {:.1f} s; run: python -m bmtk_rs.simulator.bionet {}".format(
        out / "config.json", time.perf_counter() - t0, out / "config.json"))


if __name__ == "__main__":
    main()
