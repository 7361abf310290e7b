"""The components tests use the session-wide nrnmech_dir fixture of tests/conftest.py."""
