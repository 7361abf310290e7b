"""Which of several setups NEST 3.10 refuses (``python nest_raises.py '<json list>'``): each item
creates one neuron of `model` with `params`, connects a spike generator to it with `weight` and
`receptor_type`, and simulates 20 ms. Prints, per item, NEST's exception name or null."""

import json
import sys


def main(items):
    import nest

    nest.set_verbosity("M_ERROR")
    out = []
    for it in items:
        nest.ResetKernel()
        try:
            n = nest.Create(it["model"], 1, it.get("params", {}))
            sg = nest.Create("spike_generator", params={"spike_times": [1.0, 2.0, 3.0]})
            nest.Connect(sg, n, syn_spec={"weight": it.get("weight", 1.0), "receptor_type": it.get("receptor", 0)})
            nest.Simulate(20.0)
            out.append(None)
        except Exception as e:  # NEST's errors are its own classes; the name is what the test reads
            out.append(type(e).__name__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
