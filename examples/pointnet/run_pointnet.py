"""BMTK's run_pointnet.py on bmtk-rs: ``python run_pointnet.py config.json``, or with the cells
split over ranks: ``mpirun -np 4 python run_pointnet.py config.json`` (needs mpi4py)."""

import sys

from bmtk_rs.simulator import pointnet


def main(config_file):
    configure = pointnet.Config.from_json(config_file)
    configure.build_env()
    network = pointnet.PointNetwork.from_config(configure)
    sim = pointnet.PointSimulator.from_config(configure, network)
    sim.run()


if __name__ == "__main__":
    main(sys.argv[-1] if len(sys.argv) > 1 else "config.json")
