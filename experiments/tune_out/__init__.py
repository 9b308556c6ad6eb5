"""Experiment tune_out (README.md, sweep.toml, analysis.py)."""
