"""Aliasing ``bmtk`` to ``bmtk_rs`` so that unchanged BMTK scripts run on bmtk-rs."""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys


def _real_name(fullname):
    """'bmtk.x' -> 'bmtk_rs.x'; a bmtk_rs name is left as it is."""
    if fullname == "bmtk" or fullname.startswith("bmtk."):
        return "bmtk_rs" + fullname[len("bmtk"):]
    return fullname


def _spec_like(real, name, loader):
    """A spec named `name`, loaded by `loader`, describing the real module's files (origin, package
    path, cached byte code): runpy's __main__ gets bmtk_rs's __file__ and `python -m bmtk.<package>`
    finds the package's __main__."""
    spec = importlib.machinery.ModuleSpec(name, loader, origin=real.origin, loader_state=real.loader_state,
                                          is_package=real.submodule_search_locations is not None)
    if real.submodule_search_locations is not None:
        spec.submodule_search_locations = list(real.submodule_search_locations)
    spec.has_location = real.has_location
    spec.cached = real.cached
    return spec


class _AliasLoader(importlib.abc.Loader):
    """Loads ``bmtk.<x>`` as the module object ``bmtk_rs.<x>`` itself (not a copy).

    Everything else a loader is asked for (``get_code`` by runpy and ``python -m``, ``get_source``,
    ``is_package``, ``get_data``, ``get_resource_reader`` by importlib.resources and pkgutil, ...)
    is answered by the real module's loader, for the real module's name, whichever of the two names
    it is asked with."""

    def __init__(self, real_spec):
        self._real = real_spec

    def create_module(self, spec):
        return importlib.import_module(self._real.name)

    def exec_module(self, module):
        # The module is already initialised under its real name, and the import system has just set
        # its __spec__ to the alias spec: give it back its real name and files, with this loader, so
        # that reload() finds it under its own name and runpy can still run it under either name.
        module.__spec__ = _spec_like(self._real, self._real.name, self)

    def get_code(self, fullname):
        return self._real.loader.get_code(_real_name(fullname))

    def get_source(self, fullname):
        return self._real.loader.get_source(_real_name(fullname))

    def is_package(self, fullname):
        return self._real.loader.is_package(_real_name(fullname))

    def get_filename(self, fullname):
        return self._real.loader.get_filename(_real_name(fullname))

    def get_resource_reader(self, fullname):
        return self._real.loader.get_resource_reader(_real_name(fullname))

    def __getattr__(self, attr):
        # get_data, path_stats, source_to_code, ...: the real loader's, unchanged
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self._real.loader, attr)


class _BmtkAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``bmtk`` and ``bmtk.<x>`` to the module ``bmtk_rs`` / ``bmtk_rs.<x>``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "bmtk" and not fullname.startswith("bmtk."):
            return None
        real = importlib.util.find_spec(_real_name(fullname))
        if real is None:
            return None
        if isinstance(real.loader, _AliasLoader):  # already imported through the alias
            real = real.loader._real
        return _spec_like(real, fullname, _AliasLoader(real))


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
