"""The benchmark suite: heritage-kg's commands against the tools a user would pick instead.

`python -m bench [--quick]` (or `make bench`) generates synthetic data with `kg synth`, runs each
comparison with both sides on the same data in the same run, prints a table and writes
BENCHMARKS.md. Modules: `proc` (run a command, time it, measure its peak memory), `data` (the
synthetic datasets), one module per comparison (`load`, `validate`, `query`, `release`), `report`.
"""
