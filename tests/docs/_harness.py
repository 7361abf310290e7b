"""Runs documentation blocks with the real bmtk 1.2.0 (the oracle) and after
bmtk_rs.install_as_bmtk(), with the blocks' `import bmtk` lines unchanged. A block calls
`record(name, value)` for the return values to compare.

A test file puts its blocks in one Group: each side runs all of them in ONE interpreter (imports,
the biggest cost, are paid once per side and file), each block in its own folder with the random
generators reseeded, and each block's records or traceback kept apart so that every test still
judges its own block."""

import concurrent.futures
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]

SIDES = ("bmtk", "rs")

_COMMON = """\
import os, sys, importlib.util
os.environ.setdefault('NEURON_MODULE_OPTIONS', '-nogui')
os.environ.setdefault('MPLBACKEND', 'Agg')
_spec = importlib.util.spec_from_file_location('_doc_record', {record!r})
_doc_record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_doc_record)
record = _doc_record.record
import random as _random
import numpy as _np
_random.seed(_SEED)
_np.random.seed(_SEED)
"""

_PRELUDE = {
    # NEURON mechanisms are compiled once per session (nrnmech_dir) and loaded before bmtk, as
    # tests/bionet/bmtk_network_run.py does; blocks therefore say compile_mechanisms=False.
    "bmtk": "if {mech!r}:\n    import neuron\n    neuron.load_mechanisms({mech!r})\n",
    "rs": "import bmtk_rs\nbmtk_rs.install_as_bmtk()\n",
}

_CHECK = {
    "bmtk": "import bmtk\nassert 'bmtk_rs' not in sys.modules\n",
    "rs": "import bmtk\nassert bmtk.__name__ == 'bmtk_rs', bmtk.__name__\nassert 'neuron' not in sys.modules\n",
}


class BlockError(AssertionError):
    pass


def run_block(side, code, cwd, mechdir=None, seed=0, timeout=900, stage="block", env=None):
    """Runs `code` (a documentation block restated) in a fresh interpreter for `side` with `cwd` as
    working directory; returns the values it recorded."""
    cwd = pathlib.Path(cwd)
    cwd.mkdir(parents=True, exist_ok=True)
    results = cwd / f".{stage}.records.pkl"
    script = "\n".join([
        "_SEED = {}".format(int(seed)),
        _COMMON.format(record=str(HERE / "_record.py")),
        _PRELUDE[side].format(mech=str(mechdir) if mechdir else ""),
        textwrap.dedent(code),
        _CHECK[side],
        "_doc_record.dump({!r})".format(str(results)),
    ])
    path = cwd.parent / f"{cwd.name}.{stage}.py"
    path.write_text(script)
    run_env = dict(os.environ, MPLBACKEND="Agg", NEURON_MODULE_OPTIONS="-nogui", PYTHONHASHSEED="0")
    run_env.update(env or {})
    proc = subprocess.run([sys.executable, str(path)], cwd=str(cwd), capture_output=True, text=True,
                          timeout=timeout, env=run_env, check=False)
    if proc.returncode != 0:
        raise BlockError(f"[{side}] {stage} failed (exit {proc.returncode}):\n"
                         + proc.stdout[-2000:] + "\n--- stderr ---\n" + proc.stderr[-4000:])
    with open(results, "rb") as fh:
        out = pickle.load(fh)
    results.unlink()
    return out


_GROUP_RUNNER = """
import traceback as _tb
_BLOCKS = {blocks!r}
_STATUS = {{}}
_top = os.getcwd()
for _name, (_code, _seed) in _BLOCKS.items():
    os.makedirs(os.path.join(_top, _name), exist_ok=True)
    os.chdir(os.path.join(_top, _name))
    _random.seed(_seed)
    _np.random.seed(_seed)
    _doc_record._RECORDS.clear()
    try:
        exec(compile(_code, _name, 'exec'), {{'record': record, '__name__': '__doc_block__'}})
        _STATUS[_name] = ('ok', dict(_doc_record._RECORDS))
    except BaseException:
        _STATUS[_name] = ('error', _tb.format_exc()[-4000:])
    finally:
        try:
            import matplotlib.pyplot as _plt
            _plt.close('all')
        except ImportError:
            pass
os.chdir(_top)
_doc_record._RECORDS.clear()
_doc_record._RECORDS['__status__'] = _STATUS
"""


class Block:
    """A documentation block for a Group: its code, the seed of `random` and numpy's global
    generator when it starts, and the sides that run it (("rs",) for what bmtk 1.2.0 cannot do)."""

    def __init__(self, code, seed=None, sides=SIDES):
        self.code, self.seed, self.sides = textwrap.dedent(code), seed, tuple(sides)


def rs_block(code, seed=None):
    return Block(code, seed, sides=("rs",))


def run_group(side, blocks, cwd, seed=0, timeout=900, mechdir=None, stage="group"):
    """Runs several independent blocks ({name: code or Block}) in one interpreter (imports are paid
    once): each in its own folder cwd/<name>, with the generators reseeded; returns
    {name: ('ok', records) | ('error', traceback)}."""
    todo = {}
    for name, b in blocks.items():
        b = b if isinstance(b, Block) else Block(b)
        if side in b.sides:
            todo[name] = (b.code, seed if b.seed is None else b.seed)
    if not todo:
        return {}
    code = _GROUP_RUNNER.format(blocks=todo)
    return run_block(side, code, cwd, mechdir=mechdir, seed=seed, timeout=timeout, stage=stage)["__status__"]


class Group:
    """Both sides' results of a group of blocks, each side run once (one interpreter per side for
    all the blocks) on first use. Blocks of several Groups sharing a root and a name share a folder
    (a later stage sees what an earlier one wrote)."""

    def __init__(self, blocks, root, seed=0, mechdir=None, stage="group"):
        self.blocks, self.root, self.seed = blocks, pathlib.Path(root), seed
        self.mechdir, self.stage = mechdir, stage
        self._status = None

    def run(self):
        if self._status is None:
            def side(s):
                try:
                    return run_group(s, self.blocks, self.root / s, seed=self.seed,
                                     mechdir=self.mechdir if s == "bmtk" else None, stage=self.stage)
                except BlockError as err:  # the whole interpreter failed: every block reports it
                    return {n: ("error", str(err)) for n in self.blocks}

            # the two sides are independent processes: on two cores they run side by side
            with concurrent.futures.ThreadPoolExecutor(len(SIDES)) as pool:
                self._status = dict(zip(SIDES, pool.map(side, SIDES)))
        return self._status

    def __call__(self, name):
        """({side: folder of the block}, {side: records}); fails with the side's traceback."""
        status = self.run()
        block = self.blocks[name]
        sides = block.sides if isinstance(block, Block) else SIDES
        recs = {}
        for s in sides:
            state, value = status[s][name]
            if state != "ok":
                raise BlockError(f"[{s}] {name} failed:\n{value}")
            recs[s] = value
        return {s: self.root / s / name for s in sides}, recs


def run_both(tmp_path, code, **kw):
    """Runs the block for bmtk (tmp/bmtk) and bmtk_rs (tmp/rs); returns (folders, records) dicts.
    The oracle runs first: if bmtk itself fails, the test fails there."""
    dirs = {s: pathlib.Path(tmp_path) / s for s in SIDES}
    recs = {s: run_block(s, code, dirs[s], **kw) for s in SIDES}
    return dirs, recs


def rs_only(tmp_path, code, **kw):
    d = pathlib.Path(tmp_path) / "rs"
    return d, run_block("rs", code, d, **kw)
