"""Experiment algorithm_change (README.md, sweep.toml, analysis.py)."""
