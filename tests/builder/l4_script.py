"""The Mouse L4 tutorial's network-building code (examples/l4_tutorial/l4_network.py), as a script that
the oracle harness runs under bmtk 1.2.0 and under bmtk-rs with the same seed."""

from ..conftest import ROOT

EXAMPLE_DIR = ROOT / "examples" / "l4_tutorial"

L4_BUILD = """
import sys
sys.path.insert(0, {!r})
import l4_network
l4_network.build_and_save(NetworkBuilder, 'network')
""".format(str(EXAMPLE_DIR))
