"""Utilities mirroring ``bmtk.utils``: report files (spike trains) and helpers."""
