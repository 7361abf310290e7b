"""Runs PointNet configs in a fresh process: ``python run_config.py {bmtk|bmtk_rs} config.json [...]``.

bmtk 1.2.0 + NEST 3.10 (the oracle) and bmtk-rs cannot share a process (both would be ``bmtk``),
so each run gets its own. Prints the wall time and peak memory as a last json line."""

import json
import resource
import sys
import time


def main(which, configs):
    t0 = time.time()
    if which == "bmtk":
        from bmtk.simulator import pointnet
    else:
        from bmtk_rs.simulator import pointnet
    for config in configs:
        conf = pointnet.Config.from_json(config)
        conf.build_env()
        net = pointnet.PointNetwork.from_config(conf)
        sim = pointnet.PointSimulator.from_config(conf, net)
        sim.run()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"wall_s": time.time() - t0, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
