"""Competition among brands against influencer prices over time, by tier (force 4).

Question: as more brands compete for the same accounts, how fast and how far do the prices of
sponsored posts rise, and in which tiers?

Conditions (``sweep.toml``): the experiments' market with 5 to 80 brands (the baseline has
20; every brand keeps the baseline budget, strategy mix and learning), R replications each on
common seeds, 365 days.

Per run (:func:`tables`): the mean price per post of each tier over time (``price_<tier>`` of
the time series), the deals of the year, and the mean demand multiplier by tier at the end.
In :func:`analyze`: each tier's price as an index of its value on the first day, and the price
at the end over the price at the start. Means and 95% intervals over replications. Prices move
at the end of each 30-day period: with recognition (followers), with engagement quality, and
with the demand multiplier, which rises when an account sells out and falls when some of its
posts go unasked (:func:`simulation.mechanisms.demand_multiplier_update`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiment import save_figure, save_table
from simulation.sweep.analysis import summarise
from simulation.sweep.store import read_manifest, read_table
from simulation.vocabulary import TIERS

FACTORS = {"brands__n_brands": "n_brands"}


def tables(res, _snapshots) -> dict[str, pd.DataFrame]:
    """A run's tier prices over time, and one row of deals and demand multipliers."""
    prices = res.timeseries[["step", *[f"price_{t}" for t in TIERS]]].reset_index(drop=True)
    inf = res.influencers
    at_max = inf["demand_multiplier"] >= res.config.influencers.price_demand_max - 1e-9
    demand = inf.groupby("tier", observed=True)["demand_multiplier"].mean()
    row = {
        "deals": int(inf["deals"].sum()),
        "share_at_max_demand": float(at_max.mean()),
        **{f"demand_{t}": float(demand[t]) for t in TIERS if t in demand.index},
    }
    return {"prices": prices, "market": pd.DataFrame([row])}


def analyze(sweeps: dict[str, Path], out: Path) -> dict:
    """Figures and tables of the finished sweep; returns the headline numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = sweeps["sweep"]
    prices = read_table(folder, "prices").rename(columns=FACTORS)
    long = prices.melt(
        id_vars=["n_brands", "replicate", "step"],
        value_vars=[c for c in prices.columns if c.startswith("price_")],
        var_name="tier",
        value_name="price",
    )
    long["tier"] = long["tier"].str.removeprefix("price_")
    first = long[long["step"] == long["step"].min()].set_index(["n_brands", "replicate", "tier"])
    keys = pd.MultiIndex.from_frame(long[["n_brands", "replicate", "tier"]])
    long["index"] = long["price"].to_numpy() / first["price"].reindex(keys).to_numpy()
    monthly = long[
        (long["step"] % 30 == 0) | (long["step"] == long["step"].max()) | (long["step"] == 1)
    ]
    bands = summarise(monthly, ["n_brands", "tier", "step"], "index")
    save_table(bands, out, "price_index_over_time")
    last = long[long["step"] == long["step"].max()]
    end = summarise(last, ["n_brands", "tier"], "index").rename(columns={"mean": "end_over_start"})
    end_price = summarise(last, ["n_brands", "tier"], "price")[["n_brands", "tier", "mean"]]
    end = end.merge(end_price.rename(columns={"mean": "end_price"}), on=["n_brands", "tier"])
    save_table(end, out, "price_end_over_start")
    market = read_table(folder, "market").rename(columns=FACTORS).drop(columns="point")
    save_table(market, out, "runs")
    deals = summarise(market, ["n_brands"], "deals")

    levels = sorted(int(b) for b in market["n_brands"].unique())
    r = int(market["replicate"].nunique())
    tiers = [t for t in TIERS if t in set(bands["tier"])]
    fig, axes = plt.subplots(1, len(tiers), figsize=(3.1 * len(tiers), 3.6), sharey=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(levels)))  # brands, not tiers
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
    fig.suptitle(f"Prices rise with competing brands (mean, 95% CI over R={r})", fontsize=10)
    save_figure(fig, out, "price_index_by_tier")

    tier_colors = _tier_colors()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for tier in tiers:
        g = end[end["tier"] == tier].sort_values("n_brands")
        ax.errorbar(
            g["n_brands"],
            g["end_over_start"],
            yerr=[g["end_over_start"] - g["ci_low"], g["ci_high"] - g["end_over_start"]],
            marker="o",
            capsize=3,
            color=tier_colors[tier],
            label=tier,
        )
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks(levels, [str(b) for b in levels])
    ax.axhline(1, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("competing brands")
    ax.set_ylabel(f"price after {int(long['step'].max())} days / price on day 1")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("Price escalation by the end of the run, by tier", fontsize=10)
    save_figure(fig, out, "price_end_vs_brands")

    # the first repricing (the end of the first period) and the demand ceiling
    period = int(tomllib.loads(read_manifest(folder)["base_config"])["run"]["period"])
    first_period = bands[bands["step"] == period][["n_brands", "tier", "mean"]]
    ceiling = market.groupby("n_brands")["share_at_max_demand"].max().reset_index()
    return {
        "end_over_start": end.to_dict(orient="records"),
        "deals": deals.to_dict(orient="records"),
        "period": period,
        "first_period": first_period.to_dict(orient="records"),
        "largest_share_at_max_demand": ceiling.to_dict(orient="records"),
    }


def _tier_colors() -> dict[str, str]:
    """One colour per tier, the page's (simulation.app.charts)."""
    from simulation.plots import TIER_COLORS

    return TIER_COLORS


def headline(numbers: dict) -> list[str]:
    """What the experiment says, in lines for the terminal."""
    by: dict[int, dict[str, float]] = {}
    for row in numbers["end_over_start"]:
        by.setdefault(int(row["n_brands"]), {})[row["tier"]] = row["end_over_start"]
    deals = {int(d["n_brands"]): d["mean"] for d in numbers["deals"]}
    lines = []
    for b, v in sorted(by.items()):
        cells = "  ".join(f"{t} {v[t]:.2f}" for t in TIERS if t in v)
        lines.append(f"price at the end / day 1, {b} brands: {cells}  ({deals[b]:,.0f} deals)")
    return lines


# -- docs/RESULTS.md -----------------------------------------------------------------------

#: The figures docs/RESULTS.md shows: file in results/price_escalation/ -> name in docs/figures.
RESULTS_FIGURES = {"price_index_by_tier.png": "price_escalation.png"}


def results_section(summary: dict, scenario: dict) -> str:
    """The section of docs/RESULTS.md, from the numbers of ``summary.json``."""
    from simulation.results_doc import est, figure, num, table

    n = summary["results"]
    end = {(int(r["n_brands"]), r["tier"]): r for r in n["end_over_start"]}
    levels = sorted({b for b, _ in end})
    tiers = [t for t in TIERS if any((b, t) in end for b in levels)]
    deals = {int(d["n_brands"]): d["mean"] for d in n["deals"]}
    rows = [
        [
            str(b),
            *[
                est(end[b, t]["end_over_start"], end[b, t]["ci_low"], end[b, t]["ci_high"])
                for t in tiers
            ],
            f"{deals[b]:,.0f}",
        ]
        for b in levels
    ]
    fewest, most = levels[0], levels[-1]

    def moves(t: str) -> str:
        a, z = end[fewest, t], end[most, t]
        if z["ci_low"] > a["ci_high"]:
            return "rise"
        if z["ci_high"] < a["ci_low"]:
            return "fall"
        return "do not move distinguishably"

    rising = [t for t in tiers if moves(t) == "rise"]
    flat = [t for t in tiers if moves(t) != "rise"]
    rise = max(rising, key=lambda t: end[most, t]["end_over_start"]) if rising else None
    floor = scenario["influencers"]["price_demand_min"]
    at_floor = [
        t for t in tiers if all(abs(end[b, t]["end_over_start"] - floor) < 0.02 for b in levels)
    ]
    fallen, values = _fallen(n)
    ceiling = max(r["share_at_max_demand"] for r in n["largest_share_at_max_demand"])
    lines = [
        f"- Between {fewest} and {most} brands, "
        + (
            f"prices **rise** in the {', '.join(rising)} tier{'s' if len(rising) > 1 else ''}"
            if rising
            else "prices rise in no tier"
        )
        + (f"; {', '.join(flat)} prices do not rise distinguishably" if flat else "")
        + "."
    ]
    if rise:
        lines.append(
            f"- The {rise} index ends at "
            + ", ".join(f"{num(end[b, rise]['end_over_start'])} with {b}" for b in levels)
            + " brands."
        )
    if at_floor:
        lines.append(
            f"- **{', '.join(at_floor).capitalize()} prices stay at the floor** "
            f"(`influencers.price_demand_min` {floor:g} of the recognition price) with any "
            "number of brands."
        )
    if fallen:
        lines.append(
            f"- At the first repricing (day {n['period']}) the {', '.join(fallen)} indexes are "
            f"{num(min(values))} to {num(max(values))} with any number of brands: accounts "
            "asked for fewer posts than they would take fall towards the floor in one step; "
            "where demand exceeds what accounts take, prices then climb back."
        )
    lines.append(
        f"- The demand ceiling (`influencers.price_demand_max` "
        f"{scenario['influencers']['price_demand_max']:g}) "
        + ("does not bind" if ceiling < 0.01 else "binds")
        + f": at most {ceiling:.2%} of the accounts of a run reach it."
    )
    head = figure(
        "price_escalation", "price_escalation.png", "price_index_by_tier.png", "price index by tier"
    )
    return f"""## 4. Prices rise with competing brands

{head}
Mean price per post of each tier over {summary["steps"]} days, as an index of day 1, with
{", ".join(str(b) for b in levels)} brands ({summary["replications"]} replications,
{scenario["population"]["n_followers"]:,} followers; every brand keeps the baseline's budget,
strategy mix, hurdle and learning). Price at the end over price on day 1:

{table(["brands", *tiers, "deals"], rows)}

""" + "\n".join(lines)


def _fallen(n: dict) -> tuple[list[str], list[float]]:
    """The tiers whose index is at most 0.6 at the first repricing with every number of
    brands, and the range of their indexes there."""
    first: dict[str, list[float]] = {}
    for r in n["first_period"]:
        first.setdefault(r["tier"], []).append(r["mean"])
    fallen = [t for t in TIERS if t in first and max(first[t]) <= 0.6]
    values = [v for t in fallen for v in first[t]]
    return fallen, values


def results_notes(summary: dict, scenario: dict) -> list[str]:
    """What looks wrong in this experiment's outputs, for the list of docs/RESULTS.md."""
    from simulation.results_doc import num

    n = summary["results"]
    fallen, values = _fallen(n)
    if not fallen:
        return []
    return [
        "**Prices start at the rate card and most fall to the floor in one step** "
        f"(`price_escalation`: at the first repricing, day {n['period']}, the {', '.join(fallen)} "
        f"indexes are {num(min(values))}-{num(max(values))} of their start with any number of "
        "brands). An account asked for fewer posts than it plans drops from its rate card "
        "towards its floor at one repricing: the tatonnement step of "
        "`demand_multiplier_update` as specified, not a bug, but a large one."
    ]
