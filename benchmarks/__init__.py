"""Benchmarks on generated programs (see README.md): `python -m benchmarks.run` (requirements,
time, memory), `python -m benchmarks.stability` (week to week), `python -m benchmarks.quality`
(objective terms against a release)."""
