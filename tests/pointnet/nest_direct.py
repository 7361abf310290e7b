"""One neuron driven through NEST 3.10 directly (``python nest_direct.py '<json spec>'``): a
precise spike generator over several connections and a step current; prints the multimeter's
recordings (from memory, full precision; V_m unless the spec's "vars" names others) and the
spike times as json."""

import json
import sys


def main(spec):
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = spec["dt"]
    n = nest.Create(spec["model"], 1, spec["params"])
    sg = nest.Create("spike_generator", params={"spike_times": spec["times"], "precise_times": True})
    for w, r in spec["conns"]:
        nest.Connect(sg, n, syn_spec={"weight": w, "delay": spec["delay"], "receptor_type": r})
    scg = nest.Create("step_current_generator", params={"amplitude_times": spec["amp_times"],
                                                          "amplitude_values": spec["amp_values"]})
    nest.Connect(scg, n, syn_spec={"delay": spec["dt"]})
    variables = spec.get("vars", ["V_m"])
    mm = nest.Create("multimeter", params={"interval": spec["dt"], "record_from": variables})
    nest.Connect(mm, n)
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    nest.Simulate(spec["tstop"])
    ev = mm.events
    out = {"t": [float(x) for x in ev["times"]], "spikes": [float(x) for x in sr.events["times"]]}
    out.update({v: [float(x) for x in ev[v]] for v in variables})
    print(json.dumps(out))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
