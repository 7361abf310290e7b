"""User model_processing functions written once and run by both simulators: bmtk 1.2.0 calls them
with NEURON's hoc cell and neuron.h, bmtk-rs with its cell object and its h stand-in. `use()` binds
the simulator's h and its Allen functions before they are registered."""

h = None
aibs_perisomatic = None
set_params_peri = None


def use(h_, aibs_perisomatic_, set_params_peri_):
    global h, aibs_perisomatic, set_params_peri
    h, aibs_perisomatic, set_params_peri = h_, aibs_perisomatic_, set_params_peri_


def peri_scaled(hobj, cell, dynamics_params):
    """(a) the Allen perisomatic model, then Ra, cm and conductances edited by section type."""
    hobj = aibs_perisomatic(hobj, cell, dynamics_params)
    for sec in hobj.all:
        sec.Ra = sec.Ra * 1.25
    for sec in hobj.dend:
        sec.cm = 1.6
        sec.g_pas = sec.g_pas * 3.0
    for sec in hobj.soma:
        na = "NaTs" if sec.has_membrane("NaTs") else "NaV"
        setattr(sec, f"gbar_{na}", getattr(sec, f"gbar_{na}") * 0.8)
        sec.gbar_Kv3_1 = sec.gbar_Kv3_1 * 1.5
        sec.e_pas = -85.0
    return hobj


def peri_distance(hobj, cell, dynamics_params):
    """(b) per-segment values from the path distance to the soma (nseg set as dL = 20 would, and
    as a third of that on the apical tree, which the dL rule then refines)."""
    hobj = aibs_perisomatic(hobj, cell, dynamics_params)
    origin = hobj.soma[0](0.5)
    for sec in hobj.dend:
        sec.nseg = 1 + 2 * int(sec.L / 40.0)
    for sec in hobj.apic:
        sec.nseg = 1 + 2 * int(sec.L / 120.0)
    for sec in list(hobj.dend) + list(hobj.apic):
        for seg in sec:
            d = h.distance(origin, seg)
            seg.g_pas = seg.g_pas * (1.0 + d / 100.0)
            seg.cm = 1.0 + d / 400.0
    return hobj


def long_stub(hobj, cell, dynamics_params):
    """(c) the reconstructed axon replaced by a longer, thicker stub, then the Allen parameters."""
    for sec in hobj.axon:
        h.delete_section(sec=sec)
    h.execute("create axon[2]", hobj)
    for sec, (length, diam) in zip(hobj.axon, [(60.0, 1.5), (45.0, 0.8)]):
        sec.L = length
        sec.diam = diam
        hobj.axonal.append(sec=sec)
        hobj.all.append(sec=sec)
    hobj.axon[0].connect(hobj.soma[0], 0.5, 0)
    hobj.axon[1].connect(hobj.axon[0], 1, 0)
    h.define_shape()
    set_params_peri(hobj, dynamics_params)
    return hobj


def own_channels(hobj, cell, dynamics_params):
    """(d) the fit json ignored: pas everywhere, a sodium and a potassium channel on the soma and
    the axon stub, set through sections, segments and seg.<mechanism>.<parameter>."""
    hobj = aibs_perisomatic(hobj, cell, None)  # bmtk's: no dynamics_params, no change
    for sec in hobj.all:
        sec.Ra = 120.0
        sec.cm = 1.0
        sec.insert("pas")
        sec.g_pas = 5e-5
        sec.e_pas = -70.0
        if sec.name().split(".")[1][:4] in ("soma", "axon"):
            sec.insert("NaTs")
            sec.insert("Kv3_1")
            sec.gbar_Kv3_1 = 0.4
            for seg in sec:
                seg.NaTs.gbar = 1.5
            sec.ena = 53.0
            sec.ek = -107.0
    return hobj


def user_biophys(cell, template_name, dynamics_params):
    """A cell-model function (add_cell_model): the SWC through Biophys1, as bmtk's own does."""
    return h.Biophys1(str(cell.morphology_file))


def uses_iclamp(hobj, cell, dynamics_params):
    """NEURON-only: a point process made inside the processor."""
    hobj = aibs_perisomatic(hobj, cell, dynamics_params)
    h.IClamp(hobj.soma[0](0.5))
    return hobj


def unknown_mechanism(hobj, cell, dynamics_params):
    hobj = aibs_perisomatic(hobj, cell, dynamics_params)
    for sec in hobj.dend:
        sec.insert("NoSuchChannel")
    return hobj


def unknown_parameter(hobj, cell, dynamics_params):
    hobj = aibs_perisomatic(hobj, cell, dynamics_params)
    hobj.soma[0].gmax_NaTs = 1.0
    return hobj


PROCESSORS = ["peri_scaled", "peri_distance", "long_stub", "own_channels"]
BAD = ["uses_iclamp", "unknown_mechanism", "unknown_parameter"]
