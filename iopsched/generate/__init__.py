"""Generated programs of every kind, for benchmarks and tests."""
