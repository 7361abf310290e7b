"""The type stub of the native module matches the module (scripts/gen_native_stub.py regenerates it),
and the package says it is typed (PEP 561 py.typed)."""

import ast
import importlib.util

import bmtk_rs
from bmtk_rs import _native

from ..conftest import ROOT

_spec = importlib.util.spec_from_file_location("gen_native_stub", ROOT / "scripts" / "gen_native_stub.py")
gen_native_stub = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_native_stub)

STUB = ROOT / "python" / "bmtk_rs" / "_native.pyi"


def test_stub_is_up_to_date():
    assert STUB.read_text() == gen_native_stub.render(_native), \
        "python/bmtk_rs/_native.pyi is stale: run python scripts/gen_native_stub.py"


def test_stub_names_are_the_module_names():
    tree = ast.parse(STUB.read_text())
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    public = {n for n in dir(_native) if not n.startswith("_")}
    assert stubbed == public, (sorted(public - stubbed), sorted(stubbed - public))


def test_package_is_typed_and_versioned():
    assert (ROOT / "python" / "bmtk_rs" / "py.typed").is_file()
    assert isinstance(bmtk_rs.__version__, str) and bmtk_rs.__version__.count(".") >= 2
