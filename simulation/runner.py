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
from .config import Config, apply_overrides, load_config
from .model import MarketModel
from .vocabulary import CELEBRITY, CHANNELS, MICRO, OWN, STRATEGIES, TIER_CHANNELS, TIERS

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
            "horizon": st.horizon,
            "capacity": st.capacity.astype(np.int64),
            "baseline_trust": st.trust0,
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
            "sponsored_engagements": st.spons_engaged,
            "customers": st.spons_customers,
            "commercial_share": st.share,
            "posts": st.posts.astype(np.int64),
            "commercial_share_run": np.divide(
                st.deals, st.posts, out=np.zeros(m), where=st.posts > 0
            ),
            "price": st.price,
            "demand_multiplier": st.demand,
            "offers_accepted": st.accepted_total.astype(np.int64),
            "offers_refused": st.refused_total.astype(np.int64),
            "deals": st.deals.astype(np.int64),
            "income": st.income,
            "income_at_list": st.list_income,
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


#: Columns of the brand table, in order (documented in docs/OUTPUTS.md).
BRAND_COLUMNS: list[str] = (
    [
        "brand",
        "strategy",
        "category",
        "uses_platform",
        "budget_per_period",
        "budgeted",
        "budget_used",
        "budget_unspent",
        "deals",
        "relationships",
        "paid",
        "own_spend",
        "platform_fees",
        "overhead",
        "spend",
        "impressions",
        "engagements",
        "customers_sponsored",
        "customers_own",
        "customers_wom",
        "customers",
        "earned_value",
        "sales_value",
        "return_per_dollar",
        "sales_per_dollar",
    ]
    + [f"spend_{c}" for c in CHANNELS]
    + [f"customers_{c}" for c in CHANNELS[TIER_CHANNELS]]
    + [f"budget_share_{c}" for c in CHANNELS]
)


def brand_table(model: MarketModel) -> pd.DataFrame:
    """One row per brand at the current step (columns in docs/OUTPUTS.md); money in $,
    customers in people."""
    st = model.state
    rows = []
    for k in range(st.n_brands):
        b = model.brand(k)
        by_channel = b.spend_by_channel
        row = {
            "brand": b.index,
            "strategy": b.strategy,
            "category": b.category,
            "uses_platform": b.uses_platform,
            "budget_per_period": model.cfg.brands.budget,
            "budgeted": float(b.budgeted.sum()),
            "budget_used": b.spend,
            "budget_unspent": float(b.budgeted.sum()) - b.spend,
            "deals": int(b.posts[TIER_CHANNELS].sum()),
            "relationships": b.relationships,
            "paid": float(b.paid[TIER_CHANNELS].sum()),
            "own_spend": float(b.paid[OWN]),
            "platform_fees": float(b.fees.sum()),
            "overhead": float(b.overhead.sum()),
            "spend": b.spend,
            "impressions": float(b.impressions[TIER_CHANNELS].sum()),
            "engagements": float(b.engagements[TIER_CHANNELS].sum()),
            "customers_sponsored": float(b.customers[TIER_CHANNELS].sum()),
            "customers_own": float(b.customers[OWN]),
            "customers_wom": b.wom_customers,
            "customers": float(b.customers.sum()) + b.wom_customers,
            "earned_value": b.earned_value,
            "sales_value": b.sales_value,
            "return_per_dollar": b.return_per_dollar,
            "sales_per_dollar": b.sales_per_dollar,
        }
        for c, name in enumerate(CHANNELS):
            row[f"spend_{name}"] = float(by_channel[c])
            row[f"budget_share_{name}"] = float(st.shares[b.index, c])
        for name, customers in zip(
            CHANNELS[TIER_CHANNELS], b.customers[TIER_CHANNELS], strict=True
        ):
            row[f"customers_{name}"] = float(customers)
        rows.append(row)
    df = pd.DataFrame(rows, columns=BRAND_COLUMNS)
    return df.astype(
        {
            "brand": np.int64,
            "category": np.int64,
            "deals": np.int64,
            "relationships": np.int64,
            "uses_platform": bool,
        }
    )


def _f(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def _by(df: pd.DataFrame, key: str, num: str, den: str) -> dict[str, float | None]:
    out = {}
    for name, g in df.groupby(key, observed=False):
        d = float(g[den].sum())
        out[str(name)] = float(g[num].sum()) / d if d > 0 else None
    return out


def steady_state(ts: pd.DataFrame, period: int, tolerance: float = 0.05) -> dict:
    """Whether prices have settled over the last quarter of the run (at least two periods).

    For each tier, the drift of its mean price over the window: the mean over the window's
    second half over the mean over its first half, minus one. Halves average out the step up
    or down an account's price takes each period within a flat band, so only a trend counts.
    A tier is settled when ``|drift| < tolerance``; the run is at a steady state when every
    tier with accounts is.
    """
    n = len(ts)
    span = min(max(2 * period, n // 4), n)
    out: dict = {"window_days": int(span), "tolerance": tolerance}
    drift = {}
    half = span // 2
    for t in TIERS:
        y = ts[f"price_{t}"].to_numpy(dtype=np.float64)[-span:]
        a, b = y[:half], y[half:]
        if half and np.isfinite(y).all() and a.mean() > 0:
            drift[t] = float(b.mean() / a.mean() - 1.0)
        else:
            drift[t] = None
    out["price_drift"] = drift
    moved = [abs(v) for v in drift.values() if v is not None]
    out["settled"] = bool(moved) and max(moved) < tolerance
    return out


def summarize(model: MarketModel, ts: pd.DataFrame, inf: pd.DataFrame, br: pd.DataFrame) -> dict:
    """Headline outcomes of a run (keys documented in docs/OUTPUTS.md).

    Rates by tier are engagement-weighted means over the whole run (all engagements over
    all follower-posts), not means of daily ratios. Money is in $, counts in people.
    """
    tot = model.totals
    st = model.state
    out: dict[str, float | dict | None] = {"steps": len(ts), "seed": model.seed_value}
    out["people_per_follower"] = float(st.w)
    rates = {
        t: (tot[f"engaged_{t}"] / tot[f"exposed_{t}"] if tot[f"exposed_{t}"] else None)
        for t in TIERS
    }
    out["engagement_rate_by_tier"] = rates
    micro, celeb = rates.get(TIERS[MICRO]), rates.get(TIERS[CELEBRITY])
    out["micro_to_celebrity_engagement"] = micro / celeb if micro and celeb else None
    out["price_by_tier_start"] = {t: _f(ts[f"price_{t}"].iloc[0]) for t in TIERS}
    out["price_by_tier_end"] = {t: _f(ts[f"price_{t}"].iloc[-1]) for t in TIERS}
    out["steady_state"] = steady_state(ts, model.cfg.run.period)
    out["paid_to_list_by_tier"] = _by(inf, "tier", "income", "income_at_list")
    out["customers_per_sponsored_engagement_by_tier"] = _by(
        inf, "tier", "customers", "sponsored_engagements"
    )
    # cost per engagement by tier: the price paid per engagement with sponsored posts (the
    # benchmarks' definition), and all in (with platform fees and relationship overhead)
    eng_tier = (
        inf.groupby("tier", observed=False)["sponsored_engagements"].sum().to_dict()
        if len(inf)
        else {}
    )
    paid_tier = inf.groupby("tier", observed=False)["income"].sum().to_dict() if len(inf) else {}
    spend_tier = {t: float(br[f"spend_{t}"].sum()) for t in TIERS} if len(br) else {}
    out["cost_per_engagement_by_tier"] = {
        t: (float(paid_tier[t]) / eng_tier[t] if eng_tier.get(t) else None) for t in paid_tier
    }
    out["cost_per_engagement_all_in_by_tier"] = {
        t: (spend_tier[t] / eng_tier[t] if eng_tier.get(t) else None) for t in spend_tier
    }
    out["return_per_dollar"] = _f(ts["return_per_dollar"].iloc[-1])
    out["return_per_dollar_by_strategy"] = {
        s: _f(ts[f"return_per_dollar_{s}"].iloc[-1]) for s in STRATEGIES
    }
    out["sales_per_dollar"] = _f(ts["sales_per_dollar"].iloc[-1])
    out["sales_per_dollar_by_strategy"] = {
        s: _f(ts[f"sales_per_dollar_{s}"].iloc[-1]) for s in STRATEGIES
    }
    out["budget_used_by_strategy"] = {
        s: float(br.loc[br["strategy"] == s, "budget_used"].sum()) for s in STRATEGIES
    }
    out["budget_unspent_by_strategy"] = {
        s: float(br.loc[br["strategy"] == s, "budget_unspent"].sum()) for s in STRATEGIES
    }
    out["budget_share_by_channel"] = {c: _f(ts[f"budget_share_{c}"].iloc[-1]) for c in CHANNELS}
    out["customers"] = float(br["customers"].sum()) if len(br) else 0.0
    out["sales_value"] = float(br["sales_value"].sum()) if len(br) else 0.0
    out["brand_spend"] = float(br["spend"].sum()) if len(br) else 0.0
    out["influencer_income"] = float(inf["income"].sum()) if len(inf) else 0.0
    out["platform_fees"] = float(br["platform_fees"].sum()) if len(br) else 0.0
    out["overhead"] = float(br["overhead"].sum()) if len(br) else 0.0
    out["follower_retention"] = (
        float(inf["followers_end"].sum() / inf["followers_start"].sum()) if len(inf) else None
    )
    out["follows"] = float(tot["follows"])
    out["unfollows"] = float(tot["unfollows"])
    out["unfollowed_share"] = _f(ts["unfollowed_share"].iloc[-1])
    out["mean_trust_end"] = _f(ts["mean_trust"].iloc[-1])
    out["sponsored_share"] = _f(ts["sponsored_posts"].sum() / max(ts["posts"].sum(), 1))
    out["adopted_share_end"] = _f(ts["adopted_share"].iloc[-1])
    out["mean_fatigue_end"] = _f(ts["mean_fatigue"].iloc[-1])
    return out
