"""SEClamp inputs bmtk-rs cannot run are clear errors before the run (naming the input), and nothing is
written: a missing key, a value that is not a number, a resistance that is not positive."""

import pytest

from .network_configs import localize


@pytest.mark.parametrize("clamp, message", [
    ({"amp": -60.0, "duration": 50.0}, r"input 'vclamp': SEClamp needs 'delay'"),
    ({"delay": 10.0, "amp": "high", "duration": 50.0}, r"input 'vclamp': SEClamp delay, amp, duration and "
                                                        r"resistance must be numbers"),
    ({"delay": 10.0, "amp": -60.0, "duration": 50.0, "resistance": 0.0},
     r"input 'vclamp': SEClamp resistance must be positive"),
])
def test_bad_seclamp_is_an_error_before_the_run(bmtk_data, tmp_path, clamp, message):
    def edit(conf):
        conf["inputs"]["vclamp"] = dict({"input_type": "voltage_clamp", "module": "SEClamp", "node_set": [0]},
                                        **clamp)
        conf.pop("reports", None)

    cfg = localize(bmtk_data / "examples" / "bio_14cells", "config.simulation.json", tmp_path, tstop=20.0,
                   edit=edit)
    from bmtk_rs.simulator import bionet

    conf = bionet.Config.from_json(cfg)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    with pytest.raises(Exception, match=message):
        sim = bionet.BioSimulator.from_config(conf, network=net)
        sim.run()
    assert not (tmp_path / "output" / "spikes.h5").exists()
