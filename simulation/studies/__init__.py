"""Experiments: one module per question about the market, each run with seeded replications.

Each module defines ``NAME``, ``QUESTION`` and ``run(out, quick=False, replications=None)``,
which writes its figures (PNG), tables (CSV) and ``summary.json`` into ``out`` and returns the
headline numbers. ``influencer-sim experiment NAME`` runs one (``all`` runs every one).
Nothing runs at import; modules are imported on first use.
"""

from __future__ import annotations

import importlib
from pathlib import Path

__all__ = ["EXPERIMENTS", "run_experiment"]

#: Experiment name -> module of this package.
EXPERIMENTS: dict[str, str] = {
    "baseline_market": "baseline_market",
    "engagement_vs_size": "engagement_vs_size",
    "commercial_collapse": "commercial_collapse",
    "price_escalation": "price_escalation",
    "tune_out": "tune_out",
    "strategy_returns": "strategy_returns",
    "algorithm_change": "algorithm_change",
    "influencer_balance": "influencer_balance",
}


def run_experiment(
    name: str, out: Path | str | None = None, quick: bool = False, replications: int | None = None
) -> dict:
    """Run experiment ``name`` into ``out`` (default ``results/<name>``); return its numbers."""
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    module = importlib.import_module(f".{EXPERIMENTS[name]}", __name__)
    out = Path(out) if out is not None else Path("results") / name
    return module.run(out, quick=quick, replications=replications)
