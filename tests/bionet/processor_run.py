"""Runs a config whose nodes name the user processors of cell_processors.py:
python processor_run.py bmtk CONFIG NRNMECH_DIR (bmtk 1.2.0 + NEURON) or processor_run.py rs CONFIG."""

import os
import sys

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
sys.path.insert(0, os.path.dirname(__file__))

import cell_processors  # noqa: E402


def _register(cache):
    for name in cell_processors.PROCESSORS + cell_processors.BAD:
        cache.add_cell_processor(getattr(cell_processors, name))
    cache.add_cell_model(cell_processors.user_biophys, directive="hoc:UserBiophys", model_type="biophysical")


def main(engine, config, mechdir=None):
    if engine == "bmtk":
        import neuron

        neuron.load_mechanisms(mechdir)
        from bmtk.simulator import bionet
        from bmtk.simulator.bionet import pyfunction_cache  # noqa: F401
        from bmtk.simulator.bionet.default_setters import cell_models as cm

        cell_processors.use(neuron.h, cm.aibs_perisomatic, cm.set_params_peri)
        _register(bionet.pyfunction_cache)
        conf = bionet.Config.from_json(config, validate=False)
    else:
        from bmtk_rs.simulator import bionet
        from bmtk_rs.simulator.bionet import cell_object
        from bmtk_rs.simulator.bionet.default_setters import cell_models as cm

        cell_processors.use(cell_object.h, cm.aibs_perisomatic, cm.set_params_peri)
        _register(bionet.pyfunction_cache)
        conf = bionet.Config.from_json(config)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()


if __name__ == "__main__":
    main(*sys.argv[1:])
