"""Hardening and stress suite (`make stress`): fuzzing, protocol abuse, load, soak, data faults.

Every test here is marked `stress` and records its figures in the results file that
`tests/stress/summary.py` turns into one table.
"""
