"""The README's main job (examples/l4_tutorial/run_l4.py) runs end to end and its outputs make sense:
SONATA network files that bmtk reads, the Poisson input, and an LGN flash response with ON cells
driven by the flash and OFF cells silenced by it."""

import subprocess
import sys

from bmtk_rs import sonata
from bmtk_rs.utils.reports.spike_trains import SpikeTrains
from .conftest import ROOT


def test_main_job(tmp_path):
    out = tmp_path / "l4"
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "l4_tutorial" / "run_l4.py"), "--output", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "built V1: 300 nodes" in res.stdout
    v1 = sonata.read_nodes(out / "network" / "V1_nodes.h5")["V1"]
    assert len(v1["node_id"]) == 300
    assert len(SpikeTrains.load(str(out / "inputs" / "lgn_spikes.poisson.h5")).to_dataframe()) > 1000
    df = SpikeTrains.load(str(out / "lgn_flash" / "spikes.flash.h5")).to_dataframe()
    on = df["node_ids"] >= 50

    def rate(mask, a, b):
        sel = df[mask & (df["timestamps"] >= a) & (df["timestamps"] < b)]
        return len(sel) / 50 / ((b - a) / 1000.0)

    assert rate(on, 500, 1500) > 1.5 * rate(on, 0, 500)
    assert rate(~on, 500, 1500) < 0.5 * rate(~on, 0, 500)
    assert (out / "lgn_flash" / "raster.png").stat().st_size > 10000
    # BioNet: every V1 population fires, at rates of a cortical network driven at 8 Hz (not silent, not
    # saturated), and the raster and voltage report are written
    v1_spikes = SpikeTrains.load(str(out / "output" / "spikes.h5")).to_dataframe()
    assert "V1 mean firing rates" in res.stdout
    rate_hz = len(v1_spikes) / 300 / 2.0
    assert 0.5 < rate_hz < 100.0, rate_hz
    assert v1_spikes["node_ids"].nunique() > 150
    assert (out / "output" / "raster.png").stat().st_size > 10000
    assert (out / "output" / "membrane_potential.h5").is_file()
