"""The page's monitors: today's figures, next to the chart they belong to.

Like NetLogo's monitors, each is a label and a current value. They read the model's own
records (``model.metrics``, the DataCollector's columns, the brands' books) and never change
the market. Counts are in people, as every count of the model is (``docs/OUTPUTS.md``): a
simulated follower stands for ``population.people / population.n_followers`` people, and
:func:`scale_note` says so on the page.

Nothing here imports solara, so the figures are tested without the web extra.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..plots import EVENT_COLORS, OUR_BRAND_COLOR, STRATEGY_COLORS, TIER_COLORS
from ..vocabulary import STRATEGIES, TIERS

__all__ = ["SMOOTH_DAYS", "Monitor", "monitors", "people", "scale_note"]

#: Days over which the daily rates (engagement) are averaged, as their chart does.
SMOOTH_DAYS = 7

_DARK = "#252525"


@dataclass(frozen=True)
class Monitor:
    """One monitor: what it shows, its value as text, the colour of its line on the chart
    (a tier, a strategy or an event; dark grey for none) and a longer explanation."""

    label: str
    value: str
    color: str = _DARK
    help: str = ""


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _pct(x: float | None, decimals: int = 1) -> str:
    return f"{100 * x:.{decimals}f}%" if _finite(x) else "–"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return format(x, fmt) if _finite(x) else "–"


def _dollars(x: float | None) -> str:
    """$ with three significant digits below 1,000, whole dollars above."""
    if not _finite(x):
        return "–"
    if abs(x) >= 1000:
        return f"${x:,.0f}"
    return f"${x:.3g}"


def people(x: float | None) -> str:
    """A count of people, whole, with thousands separators (millions with two decimals)."""
    if not _finite(x):
        return "–"
    if abs(x) >= 10_000_000:
        return f"{x / 1e6:,.1f} million"
    if abs(x) >= 1_000_000:
        return f"{x / 1e6:.2f} million"
    return f"{x:,.0f}"


def _mean_last(values: Sequence[float], days: int = SMOOTH_DAYS) -> float:
    """Mean of the last ``days`` defined values (NaN when there is none)."""
    tail = np.asarray(list(values)[-days:], dtype=float)
    tail = tail[np.isfinite(tail)]
    return float(tail.mean()) if tail.size else float("nan")


def _sum_last(values: Sequence[float], days: int) -> float:
    return float(np.nansum(np.asarray(list(values)[-days:], dtype=float)))


def scale_note(model) -> str:
    """One line: how many people a simulated follower stands for."""
    pop = model.cfg.population
    w = pop.people / pop.n_followers
    return (
        f"Counts are people: the {pop.n_followers:,} simulated followers stand for "
        f"{pop.people:,} people, {w:,.0f} each (population.people / population.n_followers)."
    )


def monitors(model) -> dict[str, list[Monitor]]:
    """Today's figures, by the page chart they sit next to (the keys are chart names of
    ``simulation.plots.CHARTS``). Before the first day every value is a dash."""
    m = model.metrics or {}
    data = model.datacollector.model_vars
    st = model.state
    cfg = model.cfg

    def col(name: str) -> list[float]:
        return list(data.get(name, []))

    w = st.w
    out: dict[str, list[Monitor]] = {}

    eng = [
        Monitor(
            t,
            _pct(_mean_last(col(f"engagement_rate_{t}")), 2),
            TIER_COLORS[t],
            f"engagements per follower per post of {t} accounts, {SMOOTH_DAYS}-day mean",
        )
        for t in TIERS
    ]
    eng += [
        Monitor(
            "sponsored posts",
            _pct(_mean_last(col("sponsored_engagement_rate")), 2),
            _DARK,
            f"engagements per follower per sponsored post, all tiers, {SMOOTH_DAYS}-day mean",
        ),
        Monitor(
            "organic posts",
            _pct(_mean_last(col("organic_engagement_rate")), 2),
            _DARK,
            f"engagements per follower per organic post, all tiers, {SMOOTH_DAYS}-day mean",
        ),
    ]
    out["engagement_by_tier"] = eng

    out["prices_by_tier"] = [
        Monitor(t, _dollars(m.get(f"price_{t}")), TIER_COLORS[t], f"mean price of a {t} post today")
        for t in TIERS
    ]

    first = {t: next(iter(col(f"followers_{t}")), float("nan")) for t in TIERS}
    out["followers_by_tier"] = [
        Monitor(
            t,
            people(m.get(f"followers_{t}")),
            TIER_COLORS[t],
            f"followers of {t} accounts today (people); "
            f"{_num(m.get(f'followers_{t}', math.nan) / first[t] if first[t] else math.nan)} "
            "times day 1",
        )
        for t in TIERS
    ]

    unf = m.get("unfollows")
    out["unfollows"] = [
        Monitor(
            "unfollows today",
            people(unf),
            EVENT_COLORS["unfollow"],
            "follow links dropped today, in people "
            f"({_num(unf / w if _finite(unf) else None, ',.0f')} simulated followers)",
        ),
        Monitor(
            "new follows today",
            people(m.get("follows")),
            EVENT_COLORS["follow"],
            "follow links made today (discovery through friends), in people",
        ),
        Monitor(
            "have unfollowed",
            _pct(m.get("unfollowed_share")),
            EVENT_COLORS["unfollow"],
            "share of followers who have unfollowed at least one account so far",
        ),
    ]

    spons, posts = col("sponsored_posts"), col("posts")
    month = cfg.run.period
    recent = _sum_last(spons, month) / _sum_last(posts, month) if _sum_last(posts, month) else None
    out["sponsored_share"] = [
        Monitor(
            "posts sponsored today",
            _pct(m.get("sponsored_share")),
            _DARK,
            "sponsored posts over all posts today",
        ),
        Monitor(
            f"last {month} days",
            _pct(recent),
            _DARK,
            f"sponsored posts over all posts in the last {month} days",
        ),
        Monitor(
            "ad fatigue",
            _num(m.get("mean_fatigue")),
            EVENT_COLORS["fatigue"],
            "mean ad fatigue of followers, 0 to 1",
        ),
    ]

    out["trust"] = [
        Monitor(
            "mean trust",
            _num(m.get("mean_trust"), ".3f"),
            EVENT_COLORS["trust"],
            "mean trust on follow links relative to each follower's baseline (1 at rest)",
        )
    ]

    money = [
        Monitor(
            f"{s}: sales per $",
            _num(m.get(f"sales_per_dollar_{s}")),
            STRATEGY_COLORS[s],
            f"brands buying {s}: sales value of every customer won per $ of all spend, to date",
        )
        for s in STRATEGIES
    ]
    money += [
        Monitor(
            f"{s}: return per $",
            _num(m.get(f"return_per_dollar_{s}")),
            STRATEGY_COLORS[s],
            f"brands buying {s}: earned media value per $ spent on influencers, to date "
            "(a value of attention, not sales; – before any influencer spend)",
        )
        for s in STRATEGIES
    ]
    if st.our >= 0:
        ours = model.brand(st.our)
        spent, budgeted = ours.spend, float(ours.budgeted.sum())
        money += [
            Monitor(
                "our brand: sales per $",
                _num(m.get("our_brand_sales_per_dollar")),
                OUR_BRAND_COLOR,
                "our brand (the scenario's [our_brand]): sales value of every customer it won "
                "per $ of all its spend, to date",
            ),
            Monitor(
                "our brand: spent",
                f"{_dollars(spent)} of {_dollars(budgeted)}",
                OUR_BRAND_COLOR,
                "our brand's spend to date (payments, fees, overhead, own promotion) against "
                f"its budgets so far ({_pct(spent / budgeted if budgeted else None)})",
            ),
            Monitor(
                "our brand: customers",
                people(ours.customers_won),
                OUR_BRAND_COLOR,
                "people who bought our brand's product, through every channel and word of mouth",
            ),
        ]
    out["sales_by_strategy"] = money

    brands = [model.brand(k) for k in range(st.n_brands)]
    budget_now = sum(float(b.budget.sum()) for b in brands)
    committed = sum(float(b.committed.sum()) for b in brands)
    budgeted = sum(float(b.budgeted.sum()) for b in brands)
    spent = sum(b.spend for b in brands)
    out["budget_shares"] = [
        Monitor(
            "budget used this period",
            _pct(committed / budget_now if budget_now else None),
            _DARK,
            "share of this period's budget brands have committed (deals accepted and own "
            "promotion)",
        ),
        Monitor(
            "spent so far",
            f"{_dollars(spent)} of {_dollars(budgeted)}",
            _DARK,
            "all spend to date (payments, fees, overhead, own promotion) against all "
            f"budgets so far ({_pct(spent / budgeted if budgeted else None)})",
        ),
    ]

    out["adoption"] = [
        Monitor(
            "bought a product",
            _pct(m.get("adopted_share")),
            EVENT_COLORS["adoption"],
            f"share of followers who have bought at least one brand's product "
            f"({people(m.get('adopters'))} people)",
        )
    ]
    return out
