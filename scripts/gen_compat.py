"""Generates docs/compatibility.md ("Compared with BMTK") from the simulators' own support tables.

For each simulator of bmtk 1.2.0 (BioNet, FilterNet, PointNet, PopNet) the page lists every name of
bmtk's vocabulary below (config keys, input modules, report modules, cell templates, model_processing,
synapse models) and what bmtk-rs does with it, taken from `bmtk_rs.simulator.<name>.support.SUPPORT`.
A simulator package that does not exist yet is listed as missing; one that exists must have a support
module (tests/release/test_compat_table.py fails otherwise), so a new simulator shows up here as soon
as it lands with its table.

Usage: python scripts/gen_compat.py [--check]   (--check: exit 1 when docs/compatibility.md is stale)"""

import argparse
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "compatibility.md"

CATEGORIES = ("config keys", "input modules", "report modules", "cell templates", "model_processing",
              "synapse models")
STATUSES = ("supported", "differs", "refused", "ignored")

# bmtk 1.2.0's vocabulary, read from its sources (simulator/<name>/*simulator.py input and report
# dispatch, utils/simulation_reports.py avail_modules, bionet/default_setters, filternet's
# add_movie/add_audio and default_cell_loader, pointnet's model directives, the config schema).
# tests/release/test_compat_table.py checks each literal name against the installed bmtk sources.
BMTK = {
    "bionet": {
        "input modules": ["sonata", "h5", "csv", "nwb", "function", "IClamp", "SEClamp", "xstim", "comsol",
                          "syn_activity", "replay", "ecephys_probe"],
        "report modules": ["membrane_report", "multimeter", "multimeter_report", "spikes_report", "netcon_report",
                           "clamp_report", "extracellular", "save_synapses"],
        "cell templates": ["ctdb:Biophys1.hoc", "ctdb:Biophys1", "hoc:<template>", "nml:<file>.cell.nml",
                           "nrn:IntFire1", "<user function>"],
        "model_processing": ["aibs_perisomatic", "aibs_allactive", "aibs_perisomatic_directed",
                             "aibs_allactive_directed", "set_extracellular", "extracellular", "<user function>"],
        "synapse models": ["exp2syn", "exp1syn", "exp1isyn", "stp1syn", "stp2syn", "stp3syn", "stp4syn", "stp5syn",
                           "stp5isyn", "<user function>"],
        "config keys": ["run.tstop", "run.dt", "run.dL", "run.spike_threshold", "run.nsteps_block", "run.tstart",
                        "conditions.celsius", "conditions.v_init", "output.output_dir", "output.log_file",
                        "output.log_to_console", "output.overwrite_output_dir", "output.spikes_file",
                        "output.spikes_file_csv", "output.spikes_sort_order", "components.morphologies_dir",
                        "components.biophysical_neuron_models_dir", "components.synaptic_models_dir",
                        "components.point_neuron_models_dir", "components.mechanisms_dir",
                        "components.templates_dir", "networks.nodes", "networks.edges", "networks.gap_juncs",
                        "node_sets_file", "node_sets", "manifest", "inputs", "reports"],
    },
    "filternet": {
        "input modules": ["movie", "full_field", "full_field_flash", "grating", "graiting", "looming", "wav_file",
                          "mat_file"],
        "report modules": [],
        "cell templates": ["lgnmodel:tON/tOFF/sON/sOFF[_TF<n>]", "lgnmodel:sONsOFF_001", "lgnmodel:sONtOFF_001",
                           "lgnmodel:LGNOnOFFCell", "audmodel:<name>"],
        "model_processing": ["default", "<user function>"],
        "synapse models": [],
        "config keys": ["run.tstop", "run.dt", "conditions.jitter_lower", "conditions.jitter_upper",
                        "output.output_dir", "output.log_file", "output.overwrite_output_dir", "output.rates_csv",
                        "output.rates_h5", "output.spikes_csv", "output.spikes_h5", "output.spikes_nwb",
                        "components.filter_models_dir", "networks.nodes", "node_sets_file", "manifest", "inputs"],
    },
    "pointnet": {
        "input modules": ["sonata", "h5", "hdf5", "csv", "nwb", "function", "IClamp", "ecephys_probe"],
        "report modules": ["spikes_report", "membrane_report", "multimeter", "multimeter_report",
                           "weight_recorder"],
        "cell templates": ["nest:<model>", "<user function>"],
        "model_processing": ["<user function>"],
        "synapse models": ["nest:<synapse model>", "<user function>"],
        "config keys": ["run.tstop", "run.dt", "run.block_run", "run.block_size", "output.output_dir",
                        "output.log_file", "output.overwrite_output_dir", "output.spikes_file",
                        "output.spikes_file_csv", "output.quiet_simulator", "components.point_neuron_models_dir",
                        "components.synaptic_models_dir", "components.nest_modules", "networks.nodes",
                        "networks.edges", "node_sets_file", "manifest", "inputs", "reports"],
    },
    "popnet": {
        "input modules": ["sonata", "h5", "csv", "nwb", "<rates input>"],
        "report modules": [],
        "cell templates": [],
        "model_processing": [],
        "synapse models": [],
        "config keys": ["target_simulator: DiPDE", "target_simulator: SSN", "run.tstop", "run.dt",
                        "output.output_dir", "output.log_file", "output.overwrite_output_dir", "output.rates_file",
                        "components.population_models_dir", "networks.nodes", "networks.edges", "inputs"],
    },
}

TITLES = {"bionet": "BioNet", "filternet": "FilterNet", "pointnet": "PointNet", "popnet": "PopNet"}

INTRO = """# Compared with BMTK

bmtk-rs keeps bmtk 1.2.0's configuration vocabulary. This page lists, simulator by simulator, every
config key, input module, report module, cell template, model_processing and synapse model of bmtk
1.2.0 and what bmtk-rs does with it:

- **supported**: runs as in bmtk 1.2.0 (the test suite compares the outputs with bmtk's);
- **differs**: runs, with the difference stated;
- **refused**: a clear error before anything runs, naming the input or node (the note gives its gist);
- **ignored**: accepted and skipped (a warning is logged where the note says so);
- **missing**: the simulator itself is not part of bmtk-rs yet.

Names marked *bmtk-rs only* are accepted by bmtk-rs but not by bmtk 1.2.0.

<!-- Generated by scripts/gen_compat.py from bmtk_rs.simulator.<name>.support; do not edit by hand.
     tests/release/test_compat_table.py fails when this page and the tables disagree. -->

## Differences that apply everywhere

- **Random streams.** bmtk-rs draws Poisson spike trains from one stream per (seed, `add()` call,
  node id), so results do not depend on threads or MPI ranks; bmtk draws from numpy's global
  generator. The same seed therefore gives different (equally distributed) trains. Synapse placement
  reproduces bmtk's per-gid numpy streams exactly.
- **Compartment reports** store `data` as float32, the type the SONATA specification gives it
  (bmtk writes float64); values agree within float32 precision.
- **Compression.** SONATA files are written uncompressed by default so that libsonata can read them;
  `compression='gzip'` is available where bmtk offers it.
- **No NEURON.** Cells and synapses are built by the Rust engine. User cell processors and cell
  models (`add_cell_processor` / `@model_processing`, `add_cell_model` / `@cell_model`) run on
  bmtk-rs's Python cell object, which mirrors the part of NEURON's API that model processing uses
  (see "User cell functions" in simulators/bionet.md); a function using anything else of NEURON is
  refused before the run, naming it and the node. User synapse models (`add_synapse_model`) are
  refused; `add_weight_function` works as in bmtk. `--compile-mechanisms` and `nrnivmodl` are not
  needed.
"""


def simulator_packages():
    """Folders of python/bmtk_rs/simulator that are simulators (have an __init__.py), by name."""
    base = ROOT / "python" / "bmtk_rs" / "simulator"
    return {p.name: p for p in sorted(base.iterdir())
            if p.is_dir() and (p / "__init__.py").is_file() and p.name not in ("core", "__pycache__")}


def load_support(package_dir):
    """The SUPPORT table of a simulator folder, or None when it has no support.py. The module is
    loaded from its file so that building the page does not start the simulator."""
    path = package_dir / "support.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_support_{package_dir.name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.SUPPORT


def tables():
    """{simulator: {category: [(name, in_bmtk, status, note)]}} and the simulators lacking a table."""
    packages = simulator_packages()
    out, untabled = {}, []
    for sim in sorted(set(BMTK) | set(packages)):
        support = load_support(packages[sim]) if sim in packages else None
        if sim in packages and support is None:
            untabled.append(sim)
        rows = {}
        for cat in CATEGORIES:
            ours = (support or {}).get(cat, {})
            theirs = BMTK.get(sim, {}).get(cat, [])
            names = list(theirs) + [n for n in ours if n not in theirs]
            lst = []
            for n in names:
                if support is None:
                    status, note = "missing", f"bmtk-rs has no {TITLES.get(sim, sim)} simulator yet"
                elif n in ours:
                    status, note = ours[n]
                else:
                    status, note = "unlisted", "not in bmtk-rs's support table"
                lst.append((n, n in theirs, status, note))
            rows[cat] = lst
        out[sim] = rows
    return out, untabled


def _cell(text):
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render():
    data, _ = tables()
    parts = [INTRO]
    for sim, rows in data.items():
        parts.append(f"\n## {TITLES.get(sim, sim)}\n")
        for cat in CATEGORIES:
            lst = rows[cat]
            if not lst:
                continue
            parts.append(f"\n### {TITLES.get(sim, sim)}: {cat}\n\n| name | bmtk-rs | note |\n| --- | --- | --- |\n")
            for name, in_bmtk, status, note in lst:
                label = f"`{name}`" + ("" if in_bmtk else " *(bmtk-rs only)*")
                label = label.replace("|", "\\|")
                parts.append(f"| {label} | {status} | {_cell(note)} |\n")
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail when docs/compatibility.md is out of date")
    args = ap.parse_args()
    text = render()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text() != text:
            print(f"{PAGE} is out of date: run python scripts/gen_compat.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
