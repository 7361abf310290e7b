"""BioNet helpers: whole-cell NEURON runs (the nrnmech_dir fixture is in tests/conftest.py, shared by
every folder so bmtk's .mod files are compiled once per session)."""

import json
import os
import pathlib
import subprocess
import sys




def run_neuron_cells(nrnmech_dir, cases, stem):
    """Runs the whole-cell cases in NEURON (nrn_single_cell.py, one subprocess) and returns
    ({case id: case}, {result key: array})."""
    import numpy as np

    cases_path = nrnmech_dir / (stem + "_cases.json")
    out = nrnmech_dir / (stem + ".npz")
    cases_path.write_text(json.dumps(cases))
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    script = pathlib.Path(__file__).parent / "nrn_single_cell.py"
    run = subprocess.run([sys.executable, str(script), str(nrnmech_dir), str(cases_path), str(out)],
                         check=False, capture_output=True, text=True, env=env, timeout=1800)
    assert run.returncode == 0, "NEURON run failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    data = np.load(out)
    return {c["id"]: c for c in cases}, {k: data[k] for k in data.files}
