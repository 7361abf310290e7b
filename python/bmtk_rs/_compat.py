"""Aliasing ``bmtk`` to ``bmtk_rs`` so that unchanged BMTK scripts run on bmtk-rs."""

import importlib
import importlib.abc
import importlib.util
import sys


class _BmtkAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``bmtk`` and ``bmtk.<x>`` to the module ``bmtk_rs`` / ``bmtk_rs.<x>``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "bmtk" and not fullname.startswith("bmtk."):
            return None
        real = "bmtk_rs" + fullname[len("bmtk"):]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=real)

    def create_module(self, spec):
        return importlib.import_module(spec.origin)

    def exec_module(self, module):
        # The aliased module is already initialised under its real name.
        pass


def install_as_bmtk():
    """Make ``import bmtk`` (and ``from bmtk.builder.networks import ...``) load bmtk_rs.

    Refused when the real bmtk is already imported in this process, since two different modules
    under one name would mix silently.
    """
    loaded = sys.modules.get("bmtk")
    if loaded is not None:
        if getattr(loaded, "__name__", "") == "bmtk_rs":
            return
        raise RuntimeError(
            "install_as_bmtk(): the real bmtk package is already imported in this process; "
            "call install_as_bmtk() before any 'import bmtk'"
        )
    for finder in sys.meta_path:
        if isinstance(finder, _BmtkAliasFinder):
            return
    sys.meta_path.insert(0, _BmtkAliasFinder())
