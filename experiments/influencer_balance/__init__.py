"""Experiment influencer_balance (README.md, sweep.toml, analysis.py)."""
