"""Competition among brands against influencer prices over time, by tier (force 4).

Question: as more brands compete for the same accounts, how fast and how far do the prices of
sponsored posts rise, and in which tiers?

Method: the experiments' market with 5 to 80 brands (the baseline has 20; every brand keeps
the baseline budget, strategy mix and learning), R replications each, 365 days. The mean
price per post of each tier over time (``price_<tier>`` of the time series), as an index of
its value on the first day, and the price at the end over the price at the start. Means and
95% CIs over replications. Prices move at the end of each 30-day period: with recognition
(followers), with engagement quality, and with the demand multiplier, which rises when an
account sells out and falls when some of its posts go unasked
(:func:`simulation.mechanisms.demand_multiplier_update`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import TIERS
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

NAME = "price_escalation"
QUESTION = "How do influencer prices rise with the number of competing brands, by tier?"

N_BRANDS = (5, 10, 20, 40, 80)


def _extract(res, _snaps):
    ts = res.timeseries[["step", *[f"price_{t}" for t in TIERS]]].copy()
    inf = res.influencers
    offers_bound = inf["demand_multiplier"] >= res.config.influencers.price_demand_max - 1e-9
    return {
        "ts": ts,
        "deals": int(inf["deals"].sum()),
        "share_at_max_demand": float(offers_bound.mean()),
        "demand_by_tier": inf.groupby("tier", observed=True)["demand_multiplier"].mean().to_dict(),
    }


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=4)
    levels = (2, 8) if quick else N_BRANDS
    conds = [
        Condition({"n_brands": b}, base_config(quick, overrides={"brands.n_brands": b}))
        for b in levels
    ]
    runs = run_conditions(conds, st, _extract)

    frames = []
    for lab, k, _, x in runs:
        ts = x["ts"].melt(id_vars="step", var_name="tier", value_name="price")
        ts["tier"] = ts["tier"].str.removeprefix("price_")
        first = ts[ts["step"] == ts["step"].min()].set_index("tier")["price"]
        ts["index"] = ts["price"] / ts["tier"].map(first)
        ts["n_brands"] = lab["n_brands"]
        ts["replicate"] = k
        frames.append(ts)
    long = pd.concat(frames, ignore_index=True)
    monthly = long[
        (long["step"] % 30 == 0) | (long["step"] == long["step"].max()) | (long["step"] == 1)
    ]
    bands = summarise(monthly, ["n_brands", "tier", "step"], "index")
    save_table(bands, out, "price_index_over_time")
    last = long[long["step"] == long["step"].max()]
    end = summarise(last, ["n_brands", "tier"], "index").rename(
        columns={"mean": "end_over_start", "ci_low": "ci_low", "ci_high": "ci_high"}
    )
    end_price = summarise(last, ["n_brands", "tier"], "price")[["n_brands", "tier", "mean"]]
    end = end.merge(end_price.rename(columns={"mean": "end_price"}), on=["n_brands", "tier"])
    save_table(end, out, "price_end_over_start")
    market = pd.DataFrame(
        [
            {
                "n_brands": lab["n_brands"],
                "replicate": k,
                "seed": seed,
                "deals": x["deals"],
                "share_at_max_demand": x["share_at_max_demand"],
                **{f"demand_{t}": v for t, v in x["demand_by_tier"].items()},
            }
            for lab, k, seed, x in runs
        ]
    )
    save_table(market, out, "runs")
    deals = summarise(market, ["n_brands"], "deals")

    tiers = [t for t in TIERS if t in set(bands["tier"])]
    fig, axes = plt.subplots(1, len(tiers), figsize=(3.1 * len(tiers), 3.6), sharey=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(levels)))
    for ax, tier in zip(np.atleast_1d(axes), tiers, strict=True):
        for color, b in zip(colors, levels, strict=True):
            g = bands[(bands["tier"] == tier) & (bands["n_brands"] == b)].sort_values("step")
            ax.plot(g["step"], g["mean"], color=color, label=f"{b} brands")
            ax.fill_between(g["step"], g["ci_low"], g["ci_high"], color=color, alpha=0.25, lw=0)
        ax.set_title(tier, fontsize=10)
        ax.set_xlabel("day")
        ax.axhline(1, color="0.6", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean price per post / price on day 1")
    np.atleast_1d(axes)[-1].legend(fontsize=7)
    fig.suptitle(
        f"Prices rise with competing brands (mean, 95% CI over R={st.replications})", fontsize=10
    )
    save_figure(fig, out, "price_index_by_tier")

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for color, tier in zip(plt.cm.viridis(np.linspace(0, 0.9, len(tiers))), tiers, strict=True):
        g = end[end["tier"] == tier].sort_values("n_brands")
        ax.errorbar(
            g["n_brands"],
            g["end_over_start"],
            yerr=[g["end_over_start"] - g["ci_low"], g["ci_high"] - g["end_over_start"]],
            marker="o",
            capsize=3,
            color=color,
            label=tier,
        )
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks(list(levels), [str(b) for b in levels])
    ax.axhline(1, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("competing brands")
    ax.set_ylabel("price after a year / price on day 1")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("Price escalation after one year, by tier", fontsize=10)
    save_figure(fig, out, "price_end_vs_brands")

    numbers = {
        "end_over_start": end.to_dict(orient="records"),
        "deals": deals.to_dict(orient="records"),
    }
    write_summary(out, NAME, st, numbers)
    return numbers
