"""Benchmarks of ``file_storage`` against the design note's pattern, the aws CLI and s5cmd.

Run ``python -m bench.run_bench`` from the repository root; see ``bench/README.md``.
"""
