"""Experiment baseline_market (README.md, sweep.toml, analysis.py)."""
