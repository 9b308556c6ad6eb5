"""The baseline market at its steady state, and how its answers move with the simulated
population size (one population scale).

Question: at the calibrated defaults, where do prices settle by tier, what does an
engagement cost by tier, which strategy sells most per dollar and earns most attention per
dollar, and do these answers stay put when the same market is simulated with more followers?

Method: ``configs/baseline.toml`` (two years) simulated with 20,000, 40,000 and 100,000
followers (200, 100 and 40 people each: the same people, accounts and brands), R replications
each (common seeds). Per run: the steady-state check (``summary["steady_state"]``), the mean
price per post of each tier at the end, paid over recognition price by tier, cost per
engagement by tier (price paid per engagement with sponsored posts, and all in with fees and
overhead), sales per dollar and earned media value per dollar of influencer spend by
strategy, the adopted share and mean fatigue at the end. Means and 95% CIs over
replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import TIERS
from ..state import STRATEGIES
from .common import (
    Condition,
    Settings,
    base_config,
    run_conditions,
    save_figure,
    save_table,
    summarise,
    write_summary,
)

NAME = "baseline_market"
QUESTION = "Where does the baseline market settle, and does the answer hold at any resolution?"

SIZES = (20_000, 40_000, 100_000)


def _extract(res, _snaps):
    s = res.summary
    ts = res.timeseries
    row = {
        "settled": float(s["steady_state"]["settled"]),
        "adopted_share": s["adopted_share_end"],
        "mean_fatigue": float(ts["mean_fatigue"].iloc[len(ts) // 2 :].mean()),
        "sponsored_share": s["sponsored_share"],
        "unfollowed_share": s["unfollowed_share"],
    }
    for t in TIERS:
        row[f"price_{t}"] = float(ts[f"price_{t}"].iloc[-1])
        row[f"drift_{t}"] = s["steady_state"]["price_drift"].get(t)
        row[f"paid_to_list_{t}"] = s["paid_to_list_by_tier"].get(t)
        row[f"cpe_{t}"] = s["cost_per_engagement_by_tier"].get(t)
        row[f"cpe_all_in_{t}"] = s["cost_per_engagement_all_in_by_tier"].get(t)
    for k in STRATEGIES:
        row[f"sales_per_dollar_{k}"] = s["sales_per_dollar_by_strategy"].get(k)
        row[f"emv_per_dollar_{k}"] = s["return_per_dollar_by_strategy"].get(k)
    return {k: (np.nan if v is None else float(v)) for k, v in row.items()}


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=4, steps=730)
    sizes = (400, 800) if quick else SIZES
    conds = [
        Condition(
            {"n_followers": n},
            base_config(quick, "configs/baseline.toml", {"population.n_followers": n}),
        )
        for n in sizes
    ]
    runs = run_conditions(conds, st, _extract)
    df = pd.DataFrame([{**lab, "replicate": k, "seed": s, **x} for lab, k, s, x in runs])
    save_table(df, out, "runs")
    outcomes = [c for c in df.columns if c not in ("n_followers", "replicate", "seed")]
    table = None
    for o in outcomes:
        s = (
            summarise(df, ["n_followers"], o)
            .rename(columns={"mean": o, "ci_low": f"{o}_lo", "ci_high": f"{o}_hi"})
            .drop(columns="n")
        )
        table = s if table is None else table.merge(s, on=["n_followers"])
    save_table(table, out, "by_population")

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    colors = dict(zip(sizes, ("C0", "C1", "C2"), strict=False))
    x = np.arange(len(TIERS))
    width = 0.8 / len(sizes)
    for panel, (ax, prefix, label, log) in enumerate(
        zip(
            axes[:2],
            ("price_", "cpe_"),
            (
                "mean price per post at the end (\\$)",
                "price paid per sponsored engagement (\\$; none: no posts bought)",
            ),
            (True, False),
            strict=True,
        )
    ):
        for i, n in enumerate(sizes):
            g = table[table["n_followers"] == n].iloc[0]
            vals = np.array([g[f"{prefix}{t}"] for t in TIERS], dtype=float)
            lo = np.array([g[f"{prefix}{t}_lo"] for t in TIERS], dtype=float)
            hi = np.array([g[f"{prefix}{t}_hi"] for t in TIERS], dtype=float)
            ax.bar(
                x + (i - (len(sizes) - 1) / 2) * width,
                np.nan_to_num(vals),
                width,
                yerr=[np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)],
                capsize=2,
                color=colors[n],
                label=f"{n:,} followers",
            )
        ax.set_xticks(x, TIERS)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
        if panel == 0:
            ax.legend(fontsize=8)
    ax = axes[2]
    xs = np.arange(len(STRATEGIES))
    for i, n in enumerate(sizes):
        g = table[table["n_followers"] == n].iloc[0]
        for j, (prefix, marker) in enumerate(
            (("sales_per_dollar_", "o"), ("emv_per_dollar_", "s"))
        ):
            vals = np.array([g[f"{prefix}{k}"] for k in STRATEGIES], dtype=float)
            lo = np.array([g[f"{prefix}{k}_lo"] for k in STRATEGIES], dtype=float)
            hi = np.array([g[f"{prefix}{k}_hi"] for k in STRATEGIES], dtype=float)
            ax.errorbar(
                xs + (i - 1) * 0.12 + j * 0.04,
                vals,
                yerr=[vals - lo, hi - vals],
                fmt=marker,
                color=colors[n],
                capsize=2,
                label=f"{'sales' if j == 0 else 'EMV'} per $, {n:,}",
            )
    ax.set_xticks(xs, STRATEGIES)
    ax.set_ylabel("\\$ per \\$ (sales: all spend; EMV: influencer spend)")
    ax.axhline(1.0, color="0.4", ls=":", lw=1)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        f"The baseline market after two years, at three population sizes "
        f"(mean, 95% CI over R={st.replications})",
        fontsize=10,
    )
    save_figure(fig, out, "baseline_market")
    numbers = {"by_population": table.to_dict(orient="records")}
    write_summary(out, NAME, st, numbers)
    return numbers
