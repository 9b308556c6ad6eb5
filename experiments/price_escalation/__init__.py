"""Experiment price_escalation (README.md, sweep.toml, analysis.py)."""
