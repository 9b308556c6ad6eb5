"""Experiment engagement_vs_size (README.md, sweep.toml, analysis.py)."""
