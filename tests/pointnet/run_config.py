"""Runs PointNet configs in a fresh process: ``python run_config.py {bmtk|bmtk_rs} config.json [...]``.

bmtk 1.2.0 + NEST 3.10 (the oracle) and bmtk-rs cannot share a process (both would be ``bmtk``),
so each run gets its own. Prints the wall time, CPU time (user + system) and peak memory as a last json line."""

import json
import resource
import sys
import time


def scaled_weight(edges, source_nodes, target_nodes):
    """A vectorised weight function for the tests: 1.7 * nsyns * syn_weight, per edge row."""
    return 1.7 * edges["syn_weight"].to_numpy(dtype=float) * edges["nsyns"].to_numpy(dtype=float)


def main(which, configs):
    t0 = time.time()
    if which == "bmtk":
        from bmtk.simulator import pointnet
        from bmtk.simulator.pointnet.pyfunction_cache import add_weight_function
    else:
        from bmtk_rs.simulator import pointnet
        from bmtk_rs.simulator.pointnet import add_weight_function
    add_weight_function(scaled_weight, "scaled_weight")
    for config in configs:
        conf = pointnet.Config.from_json(config)
        conf.build_env()
        net = pointnet.PointNetwork.from_config(conf)
        sim = pointnet.PointSimulator.from_config(conf, net)
        sim.run()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": time.time() - t0, "cpu_s": usage.ru_utime + usage.ru_stime,
                      "peak_mb": usage.ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
