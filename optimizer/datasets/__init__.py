"""Benchmark and demo data sets: Solomon VRPTW instances and the seeded demo city."""
