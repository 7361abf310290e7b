"""The bmtk 1.2.0 + NEURON oracle run (bmtk_network_run.py) with the full-axon Allen processings
registered the way bmtk's example run scripts define them: the fit's parameters set on the cell
without replacing the reconstructed axon by a stub."""

import sys

import bmtk_network_run


def _register():
    from bmtk.simulator.bionet import model_processing
    from bmtk.simulator.bionet.default_setters.cell_models import set_params_allactive, set_params_peri

    @model_processing
    def aibs_perisomatic_fullaxon(hobj, cell, dynamics_params):
        set_params_peri(hobj, dynamics_params)
        return hobj

    @model_processing
    def aibs_allactive_fullaxon(hobj, cell, dynamics_params):
        set_params_allactive(hobj, dynamics_params)
        return hobj


if __name__ == "__main__":
    import neuron

    neuron.load_mechanisms(sys.argv[2])
    _register()
    bmtk_network_run.main(sys.argv[1], sys.argv[2])
