"""Pantau benchmarks: each prints JSON and compares against a baseline measured in
the same run. Not tests: timing never decides pass or fail."""
