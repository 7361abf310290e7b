"""The Allen model processings of bmtk 1.2.0 written against bmtk-rs's cell object
(:mod:`bmtk_rs.simulator.bionet.cell_object`), importable from bmtk's module path so a user's
processor can start from one and then edit the cell::

    from bmtk_rs.simulator.bionet.default_setters.cell_models import aibs_perisomatic

    @model_processing
    def my_cells(hobj, cell, dynamics_params):
        hobj = aibs_perisomatic(hobj, cell, dynamics_params)
        for sec in hobj.dend:
            sec.cm = 2.0
        return hobj

A node whose model_processing names only these functions never comes here: the engine builds it
natively. These run only when a user function is in the same model_processing list (or calls
them), and give the same cell as the native path.
"""

from ..cell_object import h


def _type_of(sec):
    return sec.name().split(".")[1][:4]


def _stub(hobj, x, diams):
    """The reconstructed axon replaced by two 30 um sections hanging from soma[0](x)."""
    for sec in hobj.axon:
        h.delete_section(sec=sec)
    h.execute("create axon[2]", hobj)
    for sec, d in zip(hobj.axon, diams):
        sec.L = 30
        sec.diam = d
        hobj.axonal.append(sec=sec)
        hobj.all.append(sec=sec)
    hobj.axon[0].connect(hobj.soma[0], x, 0)
    hobj.axon[1].connect(hobj.axon[0], 1, 0)
    h.define_shape()


def fix_axon_peri(hobj):
    _stub(hobj, 0.5, (1.0, 1.0))


def fix_axon_allactive(hobj):
    first = hobj.axon[0].diam
    last = first
    for sec in hobj.all:
        if _type_of(sec) == "axon":
            last = sec.diam
    _stub(hobj, 1.0, (first, last))


def set_params_peri(hobj, biophys_params):
    passive = biophys_params["passive"][0]
    conditions = biophys_params["conditions"][0]
    cm_of = {c["section"]: c["cm"] for c in passive["cm"]}
    for sec in hobj.all:
        sec.Ra = passive["ra"]
        sec.cm = cm_of[_type_of(sec)]
        sec.insert("pas")
        for seg in sec:
            seg.pas.e = passive["e_pas"]
    for p in biophys_params["genome"]:
        for sec in [s for s in hobj.all if _type_of(s) == p["section"]]:
            if p["mechanism"] != "":
                sec.insert(p["mechanism"])
            setattr(sec, p["name"], p["value"])
    for erev in conditions["erev"]:
        for sec in [s for s in hobj.all if _type_of(s) == erev["section"]]:
            sec.ena = erev["ena"]
            sec.ek = erev["ek"]


def set_params_allactive(hobj, params):
    passive = params["passive"][0]
    conditions = params["conditions"][0]
    by_type = {}
    for sec in hobj.all:
        by_type.setdefault(_type_of(sec), []).append(sec)
    for sec in hobj.all:
        sec.insert("pas")
    if "e_pas" in passive:
        for sec in hobj.all:
            for seg in sec:
                seg.pas.e = passive["e_pas"]
    if "ra" in passive:
        for sec in hobj.all:
            sec.Ra = passive["ra"]
    for c in passive.get("cm", []):
        for sec in by_type.get(c["section"], []):
            sec.cm = c["cm"]
    for g in params["genome"]:
        if g["section"] == "glob":
            continue
        mech = g.get("mechanism", "")
        for sec in by_type.get(g["section"], []):
            if mech != "":
                sec.insert(mech)
            setattr(sec, g["name"], float(g["value"]))
    for erev in conditions["erev"]:
        for sec in by_type.get(erev["section"], []):
            if h.ismembrane("k_ion", sec=sec):
                sec.ek = erev["ek"]
            if h.ismembrane("na_ion", sec=sec):
                sec.ena = erev["ena"]


def aibs_perisomatic(hobj, cell, dynamics_params):
    if dynamics_params is not None:
        fix_axon_peri(hobj)
        set_params_peri(hobj, dynamics_params)
    return hobj


def aibs_allactive(hobj, cell, dynamics_params):
    fix_axon_allactive(hobj)
    set_params_allactive(hobj, dynamics_params)
    return hobj


def aibs_perisomatic_fullaxon(hobj, cell, dynamics_params):
    set_params_peri(hobj, dynamics_params)
    return hobj


def aibs_allactive_fullaxon(hobj, cell, dynamics_params):
    set_params_allactive(hobj, dynamics_params)
    return hobj


def set_extracellular(hobj, cell, dynamics_params):
    for sec in hobj.all:
        sec.insert("extracellular")
    return hobj


#: model_processing names whose Python version runs when a user function shares the list
PROCESSORS = {
    "aibs_perisomatic": aibs_perisomatic,
    "aibs_allactive": aibs_allactive,
    "aibs_perisomatic_fullaxon": aibs_perisomatic_fullaxon,
    "aibs_allactive_fullaxon": aibs_allactive_fullaxon,
    "extracellular": set_extracellular,
    "set_extracellular": set_extracellular,
}
