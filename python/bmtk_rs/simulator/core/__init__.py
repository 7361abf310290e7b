"""``bmtk.simulator.core``: the pieces shared by the simulators that user scripts import
(``simulation_config.SimulationConfig``, ``io_tools.io``, ``node_sets``, ``simulator.Simulator``)."""
