"""Run a FilterNet simulation from a SONATA config, as BMTK's run_filternet.py does:

    python run_filternet.py config.filternet.json
"""

import sys

from bmtk_rs.simulator import filternet


def run(config_file):
    config = filternet.Config.from_json(config_file)
    config.build_env()
    net = filternet.FilterNetwork.from_config(config)
    sim = filternet.FilterSimulator.from_config(config, net)
    sim.run()


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else "config.filternet.json")
