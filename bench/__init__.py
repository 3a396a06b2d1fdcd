"""Benchmarks of fraudbrain: `python -m bench.run` (see bench/run.py); goals are ratios, never timed asserts."""
