"""Benchmarks: how fast, how big, against the framework's own ceiling. `python -m bench`."""
