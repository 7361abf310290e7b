"""BioNet tutorials as two stages per side: `build` (network, inputs, sim_setup) and `run` (the three
BioNet lines and the analyzer calls). Between them both sides get the same model files (the Allen
example components from bmtk-data, where build_env_bionet's include_examples puts them) and the same
Poisson input file (the oracle's: bmtk-rs draws its Poisson trains from its own streams by design,
and the PoissonSpikeGenerator blocks are compared on their own).

Interpreters: all the builds of a side run in one; bmtk-rs's runs too; each bmtk + NEURON run has its
own (NEURON keeps cells, gids and mechanisms for the life of the process)."""

import concurrent.futures
import pathlib
import shutil

from ._compare import same_json, same_records, same_tree, same_value, similar_report, similar_spikes, spikes_of
from ._harness import SIDES, Block, BlockError, Group, run_block, run_group

# bio_components folder -> components/ folder that build_env_bionet's circuit config names
_COMPONENTS = {
    "biophysical_neuron_templates/ctdb": "biophysical_neuron_models",
    "morphologies": "morphologies",
    "synaptic_models": "synaptic_models",
    "point_neuron_templates": "point_neuron_models",
}


def place_components(bmtk_data, base):
    src = bmtk_data / "examples" / "bio_components"
    for a, b in _COMPONENTS.items():
        (base / "components" / b).mkdir(parents=True, exist_ok=True)
        for f in (src / a).iterdir():
            if f.is_file():
                shutil.copy(f, base / "components" / b / f.name)


class Tutorials:
    """Runs the tutorials ({name: (build code, run code, base folder, input files, seed)}) on both
    sides on first use; `result(name)` gives ({side: folder}, {side: records of the run stage})."""

    def __init__(self, cases, root, bmtk_data, mechdir):
        self.cases, self.root, self.bmtk_data, self.mechdir = cases, pathlib.Path(root), bmtk_data, mechdir
        self._done = None

    def _run(self):
        builds = Group({n: Block(c[0], seed=c[4]) for n, c in self.cases.items()}, self.root, stage="build").run()
        errors, build_recs = {}, {}
        for name, (_, _, base, inputs, _) in self.cases.items():
            bad = [f"[{s}] build failed:\n{builds[s][name][1]}" for s in SIDES if builds[s][name][0] != "ok"]
            if bad:
                errors[name] = "\n".join(bad)
                continue
            build_recs[name] = {s: builds[s][name][1] for s in SIDES}
            for side in SIDES:
                place_components(self.bmtk_data, self.root / side / name / base)
            for rel in inputs:
                shutil.copy(self.root / "bmtk" / name / rel, self.root / "rs" / name / rel)
        todo = {n: c for n, c in self.cases.items() if n not in errors}

        def rs_runs():
            if not todo:
                return {}
            try:
                return run_group("rs", {n: Block(c[1], seed=c[4]) for n, c in todo.items()}, self.root / "rs",
                                 stage="run")
            except BlockError as err:
                return {n: ("error", str(err)) for n in todo}

        def bmtk_run(name):
            case = todo[name]
            try:
                return ("ok", run_block("bmtk", case[1], self.root / "bmtk" / name, mechdir=self.mechdir,
                                        seed=case[4], stage="run"))
            except BlockError as err:
                return ("error", str(err))

        # independent processes, two at a time (two cores)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            rs_future = pool.submit(rs_runs)
            bmtk = dict(zip(todo, pool.map(bmtk_run, todo)))
            runs = {"rs": rs_future.result(), "bmtk": bmtk}
        self._done = (errors, build_recs, runs)

    def result(self, name):
        if self._done is None:
            self._run()
        errors, build_recs, runs = self._done
        if name in errors:
            raise BlockError(errors[name])
        same_records(build_recs[name])
        recs = {}
        for side in SIDES:
            state, value = runs[side][name]
            if state != "ok":
                raise BlockError(f"[{side}] run failed:\n{value}")
            recs[side] = value
        return {s: self.root / s / name for s in SIDES}, recs


def compare_setup(dirs, base):
    """The network files and the configs sim_setup wrote (components and run scripts aside)."""
    same_tree(dirs["bmtk"] / base / "network", dirs["rs"] / base / "network")
    for cfg in sorted((dirs["bmtk"] / base).glob("*.json")):
        same_json(cfg, dirs["rs"] / base / cfg.name, roots=(dirs["bmtk"], dirs["rs"]))


def compare_outputs(dirs, base, n_cells, tstop, reports=None, need_early_spikes=True):
    """spikes.h5 by BioNet's bar; each membrane report ({file: tolerance}) has the same layout and
    the same traces up to the oracle's first spike."""
    out_a, out_b = dirs["bmtk"] / base / "output", dirs["rs"] / base / "output"
    checked = similar_spikes(out_a / "spikes.h5", out_b / "spikes.h5", n_cells, tstop)
    if need_early_spikes:
        assert checked > 0, "no spike in the first 100 ms: the timing comparison would be empty"
    times = [t for pop in spikes_of(out_a / "spikes.h5").values() for ts in pop.values() for t in ts]
    first = min(times) if times else None
    for name, atol in (reports or {}).items():
        similar_report(out_a / name, out_b / name, v_atol=atol, first_spike=first)
    return checked


def same_frame_shape(recs, name):
    """A recorded DataFrame: the same columns, dtypes and length (values depend on spike times)."""
    a, b = recs["bmtk"][name]["__frame__"], recs["rs"][name]["__frame__"]
    same_value(a["columns"], b["columns"], name + ".columns")
    same_value(a["dtypes"], b["dtypes"], name + ".dtypes")
    same_value(len(a["index"]["__array__"]["data"]), len(b["index"]["__array__"]["data"]), name + ".len")


def same_figure_shape(recs, name):
    """A recorded figure: the same axes with the same titles/labels and the same number of artists."""
    a, b = recs["bmtk"][name]["__figure__"], recs["rs"][name]["__figure__"]
    assert len(a) == len(b), f"{name}: {len(a)} axes in bmtk's figure vs {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        for k in ("title", "xlabel", "ylabel"):
            assert x[k] == y[k], f"{name} axes {i} {k}: bmtk {x[k]!r} vs bmtk-rs {y[k]!r}"
        assert len(x["lines"]) == len(y["lines"]), f"{name} axes {i}: lines {len(x['lines'])} vs {len(y['lines'])}"
        assert len(x["collections"]) == len(y["collections"]), f"{name} axes {i}: collections"
