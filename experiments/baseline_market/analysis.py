"""The baseline market at its steady state, and how its answers move with the simulated
population size (one population scale).

Question: at the calibrated defaults, where do prices settle by tier, what does an
engagement cost by tier, which strategy sells most per dollar and earns most attention per
dollar, and do these answers stay put when the same market is simulated with more followers?

Conditions (``sweep.toml``): ``configs/baseline.toml`` (two years) simulated with 20,000,
40,000 and 100,000 followers (200, 100 and 40 people each: the same people, accounts and
brands), R replications each on common seeds.

Per run (:func:`tables`): the steady-state check (``summary["steady_state"]``), the mean price
per post of each tier at the end, paid over recognition price by tier, cost per engagement by
tier (price paid per engagement with sponsored posts, and all in with fees and overhead),
sales per dollar and earned media value per dollar of influencer spend by strategy, the
adopted share and the mean fatigue over the second half of the run. Means and 95% intervals
over replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import summarise_wide
from simulation.sweep.store import read_table
from simulation.vocabulary import STRATEGIES, TIERS

FACTORS = {"population__n_followers": "n_followers"}
#: One hatch per population size, smallest first (the colour is the tier's or strategy's).
HATCHES = ("", "///", "xxx", "...", "\\\\\\")


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """One row per run: steady state, prices, costs per engagement and returns by strategy."""
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
    row = {k: (np.nan if v is None else float(v)) for k, v in row.items()}
    return {"market": pd.DataFrame([row])}


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    df = read_table(sweeps["sweep"], "market").rename(columns=FACTORS).drop(columns="point")
    save_table(df, out, "runs")
    outcomes = [c for c in df.columns if c not in ("n_followers", "replicate", "seed")]
    table = summarise_wide(df, ["n_followers"], outcomes)
    save_table(table, out, "by_population")

    sizes = sorted(int(n) for n in table["n_followers"])
    tier_colors, strategy_colors = _colors()
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    panels = (
        ("price_", TIERS, tier_colors, "Price per post on the last day", "\\$ per post", True),
        (
            "cpe_",
            TIERS,
            tier_colors,
            "Price paid per sponsored engagement (none: no posts bought)",
            "\\$ per engagement",
            False,
        ),
        (
            "sales_per_dollar_",
            STRATEGIES,
            strategy_colors,
            "Sales value per \\$ of all spend, by strategy",
            "\\$ per \\$",
            False,
        ),
        (
            "emv_per_dollar_",
            STRATEGIES,
            strategy_colors,
            "Earned media value per \\$ of influencer spend (none: no posts bought)",
            "\\$ per \\$",
            False,
        ),
    )
    width = 0.8 / len(sizes)
    for ax, (prefix, groups, colors, title, label, log) in zip(axes.flat, panels, strict=True):
        x = np.arange(len(groups))
        for i, n in enumerate(sizes):
            g = table[table["n_followers"] == n].iloc[0]
            vals = np.array([g[f"{prefix}{k}"] for k in groups], dtype=float)
            lo = np.array([g[f"{prefix}{k}_lo"] for k in groups], dtype=float)
            hi = np.array([g[f"{prefix}{k}_hi"] for k in groups], dtype=float)
            ax.bar(
                x + (i - (len(sizes) - 1) / 2) * width,
                np.nan_to_num(vals),
                width,
                yerr=[np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)],
                capsize=2,
                color=[colors[k] for k in groups],
                edgecolor="0.25",
                linewidth=0.5,
                hatch=HATCHES[i % len(HATCHES)],
            )
        ax.set_xticks(x, groups)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        if prefix.endswith("per_dollar_"):
            ax.axhline(1.0, color="0.4", ls=":", lw=1)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(
        handles=[
            Patch(facecolor="white", edgecolor="0.25", hatch=HATCHES[i % len(HATCHES)])
            for i in range(len(sizes))
        ],
        labels=[f"{n:,} followers" for n in sizes],
        fontsize=8,
    )
    r = int(df["replicate"].nunique())
    fig.suptitle(
        f"The baseline market after {_days(sweeps['sweep'])} days, at {len(sizes)} population "
        f"sizes (mean, 95% CI over R={r})",
        fontsize=10,
    )
    save_figure(fig, out, "baseline_market")
    return {"by_population": table.to_dict(orient="records")}


def _days(folder: Path) -> int:
    """The sweep's run length, from its manifest."""
    from simulation.sweep.store import read_manifest

    return int(read_manifest(folder)["sweep"]["steps"])


def _colors() -> tuple[dict[str, str], dict[str, str]]:
    """One colour per tier and per brand strategy, the page's (simulation.app.charts)."""
    from simulation.plots import STRATEGY_COLORS, TIER_COLORS

    return TIER_COLORS, STRATEGY_COLORS


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    rows = numbers["by_population"]
    lines = [
        "settled: "
        + ", ".join(f"{r['settled']:.0%} of runs at {r['n_followers']:,} followers" for r in rows)
    ]
    for r in rows:
        prices = "  ".join(f"{t} {_money(r[f'price_{t}'])}" for t in TIERS)
        lines.append(f"price per post at the end, {r['n_followers']:,} followers: {prices}")
    for r in rows:
        sales = "  ".join(f"{k} {r[f'sales_per_dollar_{k}']:.2f}" for k in STRATEGIES)
        lines.append(f"sales per $ by strategy, {r['n_followers']:,} followers: {sales}")
    return lines


def _money(x: float) -> str:
    if not np.isfinite(x):
        return "none"
    return f"${x:,.0f}" if x >= 100 else f"${x:.3g}"
