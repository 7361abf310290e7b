"""The Mouse L4 tutorial's network, as the tutorial builds it: V1 (300 biophysical cells in 4 types)
and LGN (100 virtual cells), with the tutorial's connection rules drawing from numpy's global
generator. ``NetworkBuilder`` is passed in, so the same code runs under bmtk-rs and under bmtk
(the oracle tests build it with both and compare the files)."""

import numpy as np

V1_TYPES = [
    ("Scnn1a", 80, "e", "472363762_fit.json", "Scnn1a_473845048_m.swc", -3.646878266),
    ("Rorb", 80, "e", "473863510_fit.json", "Rorb_325404214_m.swc", -4.159763785),
    ("Nr5a1", 80, "e", "473863035_fit.json", "Nr5a1_471087815_m.swc", -4.159763785),
    ("PV1", 60, "i", "472912177_fit.json", "Pvalb_470522102_m.swc", -2.539551891),
]

# The same four types with bmtk-rs's own components (components/): what the main job and the
# notebook simulate, so they need nothing from the Allen Cell Types data.
OWN_V1_TYPES = [
    ("Scnn1a", 80, "e", "excitatory_rs_fit.json", "pyramidal_1.swc", -3.646878266),
    ("Rorb", 80, "e", "excitatory_rs_fit.json", "pyramidal_2.swc", -4.159763785),
    ("Nr5a1", 80, "e", "excitatory_rs_fit.json", "pyramidal_3.swc", -4.159763785),
    ("PV1", 60, "i", "inhibitory_fs_fit.json", "basket_1.swc", -2.539551891),
]
# The generated pyramidal cells have about 1.7x the membrane area of the Allen cells, so the LGN
# synapses onto them are made 2.5x stronger (E cells then fire ~10 Hz under the 8 Hz Poisson LGN).
OWN_LGN_TO_E_WEIGHT = 0.00075

# dynamics_params of the synapses and LGN filters: the tutorial's file names (bmtk's example
# components), and the project's own files for the same roles (components/, other names, own values)
TUTORIAL_DYNAMICS = {"e2i": "ExcToInh.json", "i2e": "InhToExc.json", "i2i": "InhToInh.json", "e2e": "ExcToExc.json",
                     "lgn2e": "LGN_ExcToExc.json", "lgn2i": "LGN_ExcToInh.json",
                     "sOFF_TF8": "sOFF_TF8.json", "sON_TF8": "sON_TF8.json"}
OWN_DYNAMICS = {"e2i": "exc_to_inh_exp2syn.json", "i2e": "inh_to_exc_exp2syn.json", "i2i": "inh_to_inh_exp2syn.json",
                "e2e": "exc_to_exc_exp2syn.json", "lgn2e": "lgn_to_exc_exp2syn.json",
                "lgn2i": "lgn_to_inh_exp2syn.json", "sOFF_TF8": "sustained_off_tf8.json",
                "sON_TF8": "sustained_on_tf8.json"}


def ignore_autapses(source, target):
    if source["node_id"] == target["node_id"]:
        return 0
    return np.random.randint(1, 5)


def tuning_angle(source, target, max_syns):
    if source["node_id"] == target["node_id"]:
        return 0
    src_tuning = source["tuning_angle"]
    trg_tuning = target["tuning_angle"]
    dist = np.abs((src_tuning - trg_tuning + 180) % 360 - 180)
    p_dist = 1.0 - (np.max((dist, 10.0)) / 180.0)
    return np.random.binomial(n=max_syns, p=p_dist)


def lgn_synapses(*_):
    return np.random.randint(0, 5)


def build_v1(NetworkBuilder, types=None, dynamics=None):
    dyn_files = dynamics or TUTORIAL_DYNAMICS
    v1 = NetworkBuilder("V1")
    for pop, n, ei, dyn, morph, rz in types or V1_TYPES:
        extra = {}
        if ei == "e":
            extra["tuning_angle"] = np.linspace(start=0.0, stop=360.0, num=n, endpoint=False)
        v1.add_nodes(
            N=n, pop_name=pop, location="L4", ei=ei,
            model_type="biophysical", model_template="ctdb:Biophys1.hoc",
            dynamics_params=dyn, morphology=morph, model_processing="aibs_perisomatic",
            x=np.random.normal(0.0, 20.0, size=n), y=np.random.uniform(400.0, 500.0, size=n),
            z=np.random.normal(0.0, 20.0, size=n),
            rotation_angle_xaxis=np.random.uniform(0.0, 2 * np.pi, size=n),
            rotation_angle_yaxis=np.random.uniform(0.0, 2 * np.pi, size=n),
            rotation_angle_zaxis=rz, **extra)
    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1, syn_weight=0.0006, delay=2.0,
                 dynamics_params=dyn_files["e2i"], model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e20])
    v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1, syn_weight=0.0002, delay=2.0,
                 dynamics_params=dyn_files["i2e"], model_template="exp2syn",
                 target_sections=["somatic", "basal", "apical"], distance_range=[0.0, 50.0])
    v1.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=ignore_autapses, syn_weight=0.00015,
                 delay=2.0, dynamics_params=dyn_files["i2i"], model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e20])
    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=tuning_angle,
                 connection_params={"max_syns": 5}, syn_weight=3.0e-05, delay=2.0,
                 dynamics_params=dyn_files["e2e"], model_template="exp2syn",
                 target_sections=["basal", "apical"], distance_range=[30.0, 150.0],
                 weight_function="set_syn_weight")
    return v1


def build_lgn(NetworkBuilder, v1, lgn_to_e_weight=0.0003, dynamics=None):
    dyn_files = dynamics or TUTORIAL_DYNAMICS
    lgn = NetworkBuilder("LGN")
    for tmpl in ("sOFF_TF8", "sON_TF8"):
        lgn.add_nodes(N=50, model_type="virtual", model_template="lgnmodel:" + tmpl,
                      dynamics_params=dyn_files[tmpl], x=np.random.uniform(0.0, 240.0, 50),
                      y=np.random.uniform(0.0, 120.0, 50), spatial_size=1.0)
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e"), connection_rule=lgn_synapses,
                  syn_weight=lgn_to_e_weight, delay=2.0, dynamics_params=dyn_files["lgn2e"], model_template="exp2syn",
                  target_sections=["basal", "apical", "somatic"], distance_range=[0.0, 50.0])
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="i"), connection_rule=lgn_synapses,
                  syn_weight=0.002, delay=2.0, dynamics_params=dyn_files["lgn2i"], model_template="exp2syn",
                  target_sections=["basal", "apical"], distance_range=[0.0, 1e20])
    return lgn


def build_and_save(NetworkBuilder, output_dir="network", types=None, **save_opts):
    """Builds and saves V1 then LGN, in the tutorial's order (which fixes the random draws)."""
    own = types is OWN_V1_TYPES
    dynamics = OWN_DYNAMICS if own else TUTORIAL_DYNAMICS
    v1 = build_v1(NetworkBuilder, types, dynamics)
    v1.build()
    v1.save(output_dir=output_dir, **save_opts)
    lgn = build_lgn(NetworkBuilder, v1, OWN_LGN_TO_E_WEIGHT if own else 0.0003, dynamics)
    lgn.build()
    lgn.save(output_dir=output_dir, **save_opts)
    return v1, lgn
