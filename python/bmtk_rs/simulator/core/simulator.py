"""``bmtk.simulator.core.simulator``: the base of the simulators (a list of simulation modules)."""


class Simulator:
    def __init__(self):
        self._sim_mods = []

    def add_mod(self, module):
        self._sim_mods.append(module)

    def run(self):
        raise NotImplementedError("{}.run".format(type(self).__name__))
