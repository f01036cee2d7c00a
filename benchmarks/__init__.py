"""Measurements of what users pay in time and money, each against a baseline from the same run.

Run ``python -m benchmarks`` (or ``make bench``) for every benchmark, ``python -m benchmarks NAME``
for one. Results are plain-text tables; docs/performance.md explains them. These are not tests:
nothing here fails because a machine is slow.
"""
