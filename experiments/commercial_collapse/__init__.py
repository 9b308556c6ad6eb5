"""Experiment commercial_collapse (README.md, sweep.toml, analysis.py)."""
