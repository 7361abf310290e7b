"""The NMODL front end's command line: ``python -m bmtk_rs.nmodl check FILE.mod [...]``."""
