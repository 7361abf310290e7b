"""The components tests reuse the BioNet oracle fixtures (bmtk's .mod files compiled by nrnivmodl)."""

from ..bionet.conftest import nrnmech_dir  # noqa: F401
