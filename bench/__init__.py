"""Benchmarks that print tables (not tests): `python bench/run.py`, see README.md."""
