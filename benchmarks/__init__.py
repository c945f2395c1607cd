"""Benchmarks of the solver on generated programs: `python -m benchmarks.run` (see README.md)."""
