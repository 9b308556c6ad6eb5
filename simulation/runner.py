"""Run a scenario and collect its tables: ``run(config, seed=..., steps=...)``.

This is the one way a scenario becomes results, used by the command line, the sweeps and
the tests: config -> :class:`~simulation.model.MarketModel` -> :class:`RunResult` (time
series, influencers, brands, summary). Writing files is ``outputs.py``'s business.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import mechanisms as mech
from .config import TIERS, Config, apply_overrides, load_config
from .model import MarketModel
from .state import STRATEGIES

__all__ = ["RunResult", "brand_table", "follower_table", "influencer_table", "run", "summarize"]


@dataclass
class RunResult:
    """Everything a run produced.

    Attributes:
        config: the resolved scenario (with the seed and steps actually used).
        seed: the seed of the run's Generator.
        timeseries: one row per step (columns in ``model.TIMESERIES_COLUMNS``).
        influencers: one row per influencer, at the end of the run.
        brands: one row per brand, at the end of the run.
        summary: headline outcomes (JSON-ready floats).
        wall_time: seconds from building the model to the last step.
    """

    config: Config
    seed: int
    timeseries: pd.DataFrame
    influencers: pd.DataFrame
    brands: pd.DataFrame
    summary: dict
    wall_time: float
    model: MarketModel | None = field(default=None, repr=False)


def run(
    config: Config | str | Path,
    seed: int | None = None,
    steps: int | None = None,
    progress: bool = False,
    on_step: Callable[[MarketModel], None] | None = None,
    keep_model: bool = False,
) -> RunResult:
    """Run one scenario.

    Args:
        config: a :class:`Config` or the path of a scenario TOML file.
        seed: overrides ``run.seed``.
        steps: overrides ``run.steps``.
        progress: show a progress bar on stderr.
        on_step: called with the model after every step.
        keep_model: keep the model object on the result (memory!).
    """
    cfg = load_config(config) if isinstance(config, (str, Path)) else config
    changes = {k: v for k, v in (("run.seed", seed), ("run.steps", steps)) if v is not None}
    if changes:
        cfg = apply_overrides(cfg, changes)
    t0 = time.perf_counter()
    model = MarketModel(cfg)
    days = range(cfg.run.steps)
    if progress:
        from tqdm import tqdm

        days = tqdm(days, desc="simulating", unit="day", leave=False)
    for _ in days:
        model.step()
        if on_step is not None:
            on_step(model)
    wall = time.perf_counter() - t0
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    ts["step"] = ts["step"].astype(np.int64)
    inf = influencer_table(model)
    br = brand_table(model)
    summary = summarize(model, ts, inf, br)
    return RunResult(
        config=cfg,
        seed=cfg.run.seed,
        timeseries=ts,
        influencers=inf,
        brands=br,
        summary=summary,
        wall_time=wall,
        model=model if keep_model else None,
    )


def influencer_table(model: MarketModel) -> pd.DataFrame:
    """One row per influencer at the current step (columns in docs/OUTPUTS.md)."""
    st = model.state
    e = st.edges
    act = e.active[: e.n]
    dst = e.dst[: e.n]
    m = st.n_influencers
    trust_sum = np.bincount(dst[act], weights=e.trust[: e.n][act], minlength=m)
    now = st.follower_counts()
    return pd.DataFrame(
        {
            "influencer": np.arange(m, dtype=np.int64),
            "tier": pd.Categorical([TIERS[t] for t in st.tier], categories=list(TIERS)),
            "tier_now": pd.Categorical(
                [TIERS[t] for t in mech.tier_index(now, model.tier_bounds)], categories=list(TIERS)
            ),
            "topic": st.inf_topic.astype(np.int64),
            "authenticity": st.authenticity,
            "capacity": st.capacity.astype(np.int64),
            "audience_weight": st.weight,
            "followers_start": st.followers0,
            "followers_end": now,
            "retention": np.divide(now, st.followers0, out=np.zeros(m), where=st.followers0 > 0),
            "mean_trust": np.divide(
                trust_sum, st.counts, out=np.full(m, np.nan), where=st.counts > 0
            ),
            "engagement_rate": np.divide(
                st.engaged_total,
                st.exposed_total,
                out=np.full(m, np.nan),
                where=st.exposed_total > 0,
            ),
            "engagements": st.engaged_total,
            "follower_posts": st.exposed_total,
            "commercial_share": st.share,
            "price": st.price,
            "demand_multiplier": st.demand,
            "deals": st.deals.astype(np.int64),
            "income": st.income,
        }
    )


def follower_table(model: MarketModel) -> pd.DataFrame:
    """One row per follower at the current step (``--followers``; columns in docs/OUTPUTS.md).

    With a graph file, ``node`` is the follower's node label in that file, so outcomes can be
    tied back to the graph; otherwise it is the follower's index.
    """
    from .network import graph_file_nodes

    st = model.state
    n = st.n_followers
    e = st.edges
    act = e.active[: e.n]
    cfg = model.cfg
    if cfg.graph.kind in ("edgelist", "graphml"):
        node = [str(x) for x in graph_file_nodes(cfg)]
    else:
        node = [str(i) for i in range(n)]
    return pd.DataFrame(
        {
            "follower": np.arange(n, dtype=np.int64),
            "node": node,
            "topic": st.topic.astype(np.int64),
            "ties": model.ties.degree.astype(np.int64),
            "follows": np.bincount(e.src[: e.n][act], minlength=n).astype(np.int64),
            "adopted": st.any_adopted.astype(bool),
            "exposures": st.exposures.astype(np.float64),
            "fatigue": mech.fatigue_level(st.exposures, cfg.behaviour.fatigue_scale).astype(
                np.float64
            ),
        }
    )


def brand_table(model: MarketModel) -> pd.DataFrame:
    """One row per brand at the current step (columns in docs/OUTPUTS.md)."""
    rows = []
    for b in model._brand_list:
        rows.append(
            {
                "brand": b.index,
                "strategy": b.strategy,
                "category": b.category,
                "uses_platform": b.uses_platform,
                "budget_per_period": model.cfg.brands.budget,
                "deals": b.deals,
                "paid": b.paid,
                "platform_fees": b.fees,
                "overhead": b.overhead,
                "spend": b.spend,
                "impressions": b.impressions,
                "engagements": b.engagements,
                "conversions": b.conversions,
                "earned_value": b.earned_value,
                "sales_value": b.sales_value,
                "return_per_dollar": b.return_per_dollar,
                "sales_per_dollar": b.sales_value / b.spend if b.spend > 0 else float("nan"),
                "own_adoptions": b.own_adoptions,
                "wom_adoptions": b.wom_adoptions,
            }
        )
    cols = [
        "brand",
        "strategy",
        "category",
        "uses_platform",
        "budget_per_period",
        "deals",
        "paid",
        "platform_fees",
        "overhead",
        "spend",
        "impressions",
        "engagements",
        "conversions",
        "earned_value",
        "sales_value",
        "return_per_dollar",
        "sales_per_dollar",
        "own_adoptions",
        "wom_adoptions",
    ]
    df = pd.DataFrame(rows, columns=cols)
    return df.astype(
        {
            "brand": np.int64,
            "category": np.int64,
            "deals": np.int64,
            "uses_platform": bool,
            "own_adoptions": np.int64,
            "wom_adoptions": np.int64,
        }
    )


def _f(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def summarize(model: MarketModel, ts: pd.DataFrame, inf: pd.DataFrame, br: pd.DataFrame) -> dict:
    """Headline outcomes of a run (keys documented in docs/OUTPUTS.md).

    Rates by tier are engagement-weighted means over the whole run (all engagements over
    all follower-posts), not means of daily ratios.
    """
    tot = model.totals
    out: dict[str, float | dict | None] = {"steps": len(ts), "seed": model.seed_value}
    rates = {
        t: (tot[f"engaged_{t}"] / tot[f"exposed_{t}"] if tot[f"exposed_{t}"] else None)
        for t in TIERS
    }
    out["engagement_rate_by_tier"] = rates
    micro, celeb = rates.get("micro"), rates.get("celebrity")
    out["micro_to_celebrity_engagement"] = micro / celeb if micro and celeb else None
    out["price_by_tier_start"] = {t: _f(ts[f"price_{t}"].iloc[0]) for t in TIERS}
    out["price_by_tier_end"] = {t: _f(ts[f"price_{t}"].iloc[-1]) for t in TIERS}
    # uptake: mean adoption probability of engaged followers of trusted micro accounts
    # (the expected share; the realized share of those draws is reported beside it)
    n_up = tot["uptake_engaged"]
    out["uptake_trusted_micro"] = tot["uptake_expected"] / n_up if n_up else None
    out["uptake_trusted_micro_realized"] = tot["uptake_adopted"] / n_up if n_up else None
    out["uptake_sample"] = int(tot["uptake_engaged"])
    out["return_per_dollar"] = _f(ts["return_per_dollar"].iloc[-1])
    out["return_per_dollar_by_strategy"] = {
        s: _f(ts[f"return_per_dollar_{s}"].iloc[-1]) for s in STRATEGIES
    }
    out["sales_per_dollar"] = (
        float(br["sales_value"].sum() / br["spend"].sum())
        if len(br) and br["spend"].sum() > 0
        else None
    )
    out["brand_spend"] = float(br["spend"].sum()) if len(br) else 0.0
    out["influencer_income"] = float(inf["income"].sum()) if len(inf) else 0.0
    out["platform_fees"] = float(br["platform_fees"].sum()) if len(br) else 0.0
    out["follower_retention"] = (
        float(inf["followers_end"].sum() / inf["followers_start"].sum()) if len(inf) else None
    )
    out["follows"] = float(tot["follows"])
    out["unfollows"] = float(tot["unfollows"])
    out["mean_trust_end"] = _f(ts["mean_trust"].iloc[-1])
    out["sponsored_share"] = _f(ts["sponsored_posts"].sum() / max(ts["posts"].sum(), 1))
    out["adopted_share_end"] = _f(ts["adopted_share"].iloc[-1])
    out["mean_fatigue_end"] = _f(ts["mean_fatigue"].iloc[-1])
    return out
