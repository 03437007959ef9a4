"""Benchmarks: run on demand (`make bench`), never in the test suite. Results go to results/."""
