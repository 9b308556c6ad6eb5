"""What a run records: every output declared once, with its unit and meaning, and the code
that records it.

Declared here, in order: the time-series columns (:data:`TIMESERIES`, one row per day), the
influencer, brand and follower table columns (:data:`INFLUENCERS`, :data:`BRANDS`,
:data:`FOLLOWERS`, one row each at the end of the run) and the keys of ``summary.json``
(:data:`SUMMARY`). The column tables of ``docs/OUTPUTS.md`` are generated from these
declarations (:func:`markdown_table`; ``python scripts/update_outputs_doc.py`` rewrites
them) and a test holds them equal; the sweep file's outcome names are checked
against them without running the model (:func:`summary_keys`).

Recorded here: :func:`record` (one row of the time series, called by ``MarketModel.step``),
:func:`influencer_table`, :func:`brand_table`, :func:`follower_table` and :func:`summarize`.
Data flow one way: config -> model -> these records -> files (``writer.py``), plots
(``plots.py``) and sweep analysis. Nothing here changes the market.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import mechanisms as mech
from .vocabulary import CELEBRITY, CHANNELS, MICRO, OWN, STRATEGIES, TIER_CHANNELS, TIERS

if TYPE_CHECKING:
    from .engines import DayInputs, DayResult
    from .model import MarketModel

__all__ = [
    "BRANDS",
    "BRAND_COLUMNS",
    "FOLLOWERS",
    "FOLLOWER_COLUMNS",
    "INFLUENCERS",
    "INFLUENCER_COLUMNS",
    "OUR_BRAND_KEYS",
    "SUMMARY",
    "TABLES",
    "TIMESERIES",
    "TIMESERIES_COLUMNS",
    "Output",
    "brand_table",
    "flatten_summary",
    "follower_table",
    "influencer_table",
    "markdown_table",
    "our_brand_summary",
    "record",
    "steady_state",
    "summarize",
    "summary_keys",
    "unit_of",
]


# -- declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """One declared output: a column (or a family of columns, one per tier, strategy or
    channel) or a summary key.

    Attributes:
        names: the column names; several for a family (``price_nano``, ..., one row of the
            docs), one otherwise.
        type: ``int``, ``float``, ``bool``, ``str``, ``categorical``; for a summary key also
            ``{tier: float}`` (an object with one key per tier) or ``object``.
        unit: the unit (``people``, ``$``, ``$/$``, ``share``, ...); empty for labels.
        meaning: what it is, as the docs print it.
        keys: a summary key's sub-keys, flattened (``price_drift.nano``) with their units.
    """

    names: tuple[str, ...]
    type: str
    unit: str
    meaning: str
    keys: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.names[0]


def _one(name: str, type_: str, unit: str, meaning: str) -> Output:
    return Output((name,), type_, unit, meaning)


def _each(pattern: str, over: tuple[str, ...], type_: str, unit: str, meaning: str) -> Output:
    """A family: ``pattern`` with ``{}`` filled by each tier, strategy or channel."""
    return Output(tuple(pattern.format(x) for x in over), type_, unit, meaning)


_OVER = {"tier": TIERS, "strategy": STRATEGIES, "channel": CHANNELS}


def _by(name: str, over: str, unit: str, meaning: str) -> Output:
    """A summary key whose value is ``{tier: float}`` (or strategy, channel)."""
    return Output(
        (name,), f"{{{over}: float}}", unit, meaning, tuple((k, unit) for k in _OVER[over])
    )


_RATE = "engagements per follower per post"

#: Keys of the summary's ``our_brand`` object, with their units.
OUR_BRAND_KEYS: tuple[tuple[str, str], ...] = (
    ("budget", "$"),
    ("budget_used", "$"),
    ("budget_used_share", "share"),
    ("deals", "posts"),
    ("relationships", "relationship-periods"),
    ("customers", "people"),
    ("sales_value", "$"),
    ("sales_per_dollar", "$/$"),
    ("return_per_dollar", "$/$"),
    ("peers_sales_per_dollar", "$/$"),
    ("peers_return_per_dollar", "$/$"),
)

#: Columns of the time series, in order: one row per day.
TIMESERIES: tuple[Output, ...] = (
    _one(
        "step",
        "int",
        "days",
        "days completed: 1 for the first day, `run.steps` for the last. The row describes the "
        "day with 0-based index `step - 1`",
    ),
    _one("posts", "int", "posts", "influencers who posted today (at most one post each)"),
    _one("sponsored_posts", "int", "posts", "of these, sponsored posts"),
    _one("sponsored_share", "float", "share", "`sponsored_posts / posts`"),
    _one(
        "commercial_share",
        "float",
        "share",
        "mean over influencers (unweighted) of the commercial share `s` after today's update",
    ),
    _one(
        "engagement_rate",
        "float",
        _RATE,
        "engagements today (people) over the followers (people, at the start of the day) of "
        "the accounts that posted. Includes the chance of seeing a post, so it compares with "
        "like rates per follower",
    ),
    _one("organic_engagement_rate", "float", _RATE, "the same over organic posts"),
    _one("sponsored_engagement_rate", "float", _RATE, "the same over sponsored posts"),
    _each("engagement_rate_{}", TIERS, "float", _RATE, "the same over the accounts of one tier"),
    _one(
        "mean_trust",
        "float",
        "[0, 1]",
        "mean relative trust `r` over all active follow edges at the end of the day "
        "(simulated edges, unweighted). 1 at rest",
    ),
    _one(
        "mean_fatigue",
        "float",
        "[0, 1]",
        "mean ad fatigue over all simulated followers at the start of the day",
    ),
    _one("follows", "float", "people", "new follows today (discovery through friends)"),
    _one("unfollows", "float", "people", "unfollows today"),
    _one(
        "unfollowed_share",
        "float",
        "share",
        "share of simulated followers who have unfollowed at least one account so far",
    ),
    _one(
        "followers", "float", "people", "total followers of all influencers at the end of the day"
    ),
    _each("followers_{}", TIERS, "float", "people", "the same by tier"),
    _each(
        "price_{}",
        TIERS,
        "float",
        "$ per post",
        "mean price of a sponsored post over the tier's influencers (unweighted), after "
        "today's repricing if today ended a period. NaN for an empty tier. The steady-state "
        "check uses these",
    ),
    _one(
        "deals",
        "float",
        "posts",
        "sponsored posts posted and paid today (paid on delivery, so equal to `sponsored_posts`)",
    ),
    _one(
        "brand_spend",
        "float",
        "$",
        "brands' spend today: payments to influencers + own-post promotion + platform fees + "
        "relationship overhead",
    ),
    _one("own_spend", "float", "$", "brands' spend today on promoting their own posts"),
    _one("influencer_income", "float", "$", "payments to influencers today"),
    _one("platform_fees", "float", "$", "platform fees today"),
    _one(
        "overhead",
        "float",
        "$",
        "relationship overhead today (charged on a relationship's first post of the period)",
    ),
    _one("impressions", "float", "people", "people who saw a sponsored post today"),
    _one("engagements", "float", "people", "engagements with sponsored posts today"),
    _one(
        "earned_value",
        "float",
        "$",
        "earned media value of today's sponsored impressions and engagements: `impressions * "
        "value_per_impression + engagements * value_per_engagement`. A price of attention, not "
        "sales",
    ),
    _one(
        "return_per_dollar",
        "float",
        "$/$",
        "cumulative: all earned media value to date over all influencer spend to date "
        "(payments, fees and overhead of the tier channels; own promotion excluded). NaN "
        "before any influencer spend",
    ),
    _each(
        "return_per_dollar_{}",
        STRATEGIES,
        "float",
        "$/$",
        "the same for the brands of one strategy (our brand, if any, is not among them)",
    ),
    _one("customers", "float", "people", "customers won today through sponsored posts"),
    _one(
        "customers_own",
        "float",
        "people",
        "customers won today through brands' own posts (and imitation when `behaviour.wom_q > 0`)",
    ),
    _one("customers_wom", "float", "people", "customers won today through word of mouth"),
    _one(
        "sales_value",
        "float",
        "$",
        "`(customers + customers_own + customers_wom) * brands.margin`",
    ),
    _one(
        "sales_per_dollar",
        "float",
        "$/$",
        "cumulative: sales value of all customers won to date (all channels and word of "
        "mouth) over all brand spend to date (NaN before any spend)",
    ),
    _each(
        "sales_per_dollar_{}",
        STRATEGIES,
        "float",
        "$/$",
        "the same for the brands of one strategy (our brand, if any, is not among them)",
    ),
    _one(
        "our_brand_spend",
        "float",
        "$",
        "our brand's spend today (`[our_brand]`; NaN without one)",
    ),
    _one(
        "our_brand_customers",
        "float",
        "people",
        "customers our brand won today through every channel and word of mouth",
    ),
    _one(
        "our_brand_sales_per_dollar",
        "float",
        "$/$",
        "cumulative: our brand's sales value to date over its spend to date",
    ),
    _one(
        "our_brand_return_per_dollar",
        "float",
        "$/$",
        "cumulative: earned media value of our brand's sponsored posts to date over its "
        "influencer spend to date",
    ),
    _each(
        "budget_share_{}",
        CHANNELS,
        "float",
        "share",
        "this period's budget split by channel, the mean over all brands (a brand whose "
        "strategy cannot use a channel counts 0). The shares of a row sum to 1. They change "
        "on the first day of each period, when brands learn (`docs/ODD.md` 7.30)",
    ),
    _one(
        "adoptions", "float", "people", "new (person, brand) adoptions today through every channel"
    ),
    _one("adopters", "float", "people", "people who have adopted at least one brand's product"),
    _one(
        "adopted_share",
        "float",
        "share",
        "share of people who have adopted at least one brand's product",
    ),
    _one(
        "own_reach",
        "float",
        "probability",
        "mean over brands of today's reach of their own posts (unpaid plus promoted, after the "
        "feed's demotion; `mechanisms.own_reach`)",
    ),
    _one(
        "own_impressions",
        "float",
        "people (expected)",
        "sum over brands of `own_reach * mean interest in the brand's category * "
        "population.people`: the expected interest-weighted views of brands' own posts today. "
        "Computed, not drawn",
    ),
    _one("sponsored_impressions", "float", "people", "the same as `impressions`"),
)

#: One row per influencer, at the end of the run.
INFLUENCERS: tuple[Output, ...] = (
    _one("influencer", "int", "", "index (0-based, smallest tier first)"),
    _one(
        "tier",
        "categorical",
        "",
        "tier drawn at creation: `nano`, `micro`, `mid`, `macro`, `celebrity` (never changes; "
        "the tier the time series and the summary report it under)",
    ),
    _one(
        "tier_now",
        "categorical",
        "",
        "tier of its audience at the end of the run (`mechanisms.tier_index` of "
        "`followers_end`): differs from `tier` when an account grew or shrank across a boundary",
    ),
    _one("topic", "int", "", "niche topic, 0..`population.n_topics - 1`"),
    _one("authenticity", "float", "[0, 1]", "authenticity"),
    _one(
        "horizon",
        "float",
        "periods",
        "`D = authenticity * influencers.lookahead`: future periods of income it weighs "
        "against today's fees",
    ),
    _one(
        "capacity",
        "int",
        "posts per period",
        "its plan in the last period: on-topic sponsored posts it would take (`docs/ODD.md` 7.28)",
    ),
    _one(
        "baseline_trust",
        "float",
        "[0, 1]",
        "`B`, its audience's baseline trust in its recommendations (falls with size)",
    ),
    _one("followers_start", "float", "people", "audience at creation"),
    _one("followers_end", "float", "people", "audience at the end"),
    _one(
        "retention",
        "float",
        "share",
        "`followers_end / followers_start` (0 if it started with none)",
    ),
    _one(
        "mean_trust",
        "float",
        "[0, 1]",
        "mean relative trust `r` over its active follow edges (NaN with none). Trust in its "
        "recommendations is `mean_trust * baseline_trust`",
    ),
    _one(
        "engagement_rate",
        "float",
        _RATE,
        "pooled over the run: `engagements / follower_posts` (NaN if it never posted)",
    ),
    _one("engagements", "float", "people", "engagements with its posts, organic and sponsored"),
    _one(
        "follower_posts",
        "float",
        "people x posts",
        "sum over the days it posted of its followers at the start of the day",
    ),
    _one("sponsored_engagements", "float", "people", "engagements with its sponsored posts"),
    _one("customers", "float", "people", "customers its sponsored posts won (for any brand)"),
    _one("commercial_share", "float", "share", "commercial share `s` at the end"),
    _one("posts", "int", "posts", "posts over the run, organic and sponsored"),
    _one(
        "commercial_share_run",
        "float",
        "share",
        "`deals / posts`: the share of its posts over the run that were sponsored (0 without "
        "posts)",
    ),
    _one("price", "float", "$ per post", "price of a sponsored post at the end"),
    _one(
        "demand_multiplier",
        "float",
        "",
        "demand multiplier of the price at the end (`price` over the recognition price at the "
        "last repricing)",
    ),
    _one(
        "offers_accepted",
        "int",
        "posts",
        "sponsored posts it took, over the run (posts in bundles, not bundles)",
    ),
    _one("offers_refused", "int", "posts", "sponsored posts asked of it and refused, over the run"),
    _one(
        "deals",
        "int",
        "posts",
        "sponsored posts posted and paid. At most `offers_accepted`: posts booked for days "
        "after the end of the run are never posted",
    ),
    _one("income", "float", "$", "payments received"),
    _one(
        "income_at_list",
        "float",
        "$",
        "the same posts at their recognition (list, rate-card) price: the sum of `price / "
        "demand_multiplier` at each post. `income / income_at_list` is what its posts sold for "
        "over list",
    ),
)

#: One row per brand, at the end of the run; money and counts cumulative over the run.
BRANDS: tuple[Output, ...] = (
    _one("brand", "int", "", "index"),
    _one("strategy", "str", "", "`micro`, `celebrity` or `mixed`"),
    _one("category", "int", "", "product category (a topic)"),
    _one("uses_platform", "bool", "", "uses the matching platform"),
    _one("our_brand", "bool", "", "the focal brand of `[our_brand]` (the last row), not drawn"),
    _one(
        "budget_per_period",
        "float",
        "$ per period",
        "`brands.budget` (`our_brand.budget` for our brand)",
    ),
    _one(
        "budgeted",
        "float",
        "$",
        "budget of every period begun (`brands.budget` times the periods begun, including a "
        "last period cut short by the end of the run)",
    ),
    _one("budget_used", "float", "$", "the same as `spend`"),
    _one(
        "budget_unspent",
        "float",
        "$",
        "`budgeted - budget_used`: budget no deal or promotion used, including what a period "
        "cut short by the end of the run did not reach",
    ),
    _one("deals", "int", "posts", "sponsored posts paid"),
    _one(
        "relationships",
        "int",
        "relationship-periods",
        "relationships charged their overhead: one for each account and period with at least "
        "one of its posts",
    ),
    _one("paid", "float", "$", "payments to influencers"),
    _one("own_spend", "float", "$", "promotion of its own posts"),
    _one("platform_fees", "float", "$", "fees to the platform"),
    _one("overhead", "float", "$", "relationship overhead"),
    _one("spend", "float", "$", "`paid + own_spend + platform_fees + overhead`"),
    _one("impressions", "float", "people", "people who saw its sponsored posts"),
    _one("engagements", "float", "people", "engagements with its sponsored posts"),
    _one("customers_sponsored", "float", "people", "customers won through its sponsored posts"),
    _one(
        "customers_own",
        "float",
        "people",
        "customers won through its own posts (and imitation when `behaviour.wom_q > 0`)",
    ),
    _one("customers_wom", "float", "people", "customers won through word of mouth"),
    _one("customers", "float", "people", "`customers_sponsored + customers_own + customers_wom`"),
    _one(
        "earned_value",
        "float",
        "$",
        "earned media value of its sponsored posts, `impressions * value_per_impression + "
        "engagements * value_per_engagement` (attention priced as paid media, not sales)",
    ),
    _one("sales_value", "float", "$", "`customers * brands.margin`"),
    _one(
        "return_per_dollar",
        "float",
        "$/$",
        "`earned_value` over influencer spend (`spend` less `own_spend`; NaN with none)",
    ),
    _one("sales_per_dollar", "float", "$/$", "`sales_value / spend` (NaN with no spend)"),
    _one("spend_own", "float", "$", "spend of the own channel: own-post promotion"),
    _each(
        "spend_{}",
        TIERS,
        "float",
        "$",
        "spend on the accounts of one tier: payments, fees and overhead",
    ),
    _each(
        "customers_{}",
        TIERS,
        "float",
        "people",
        "customers won through its sponsored posts on the accounts of one tier",
    ),
    _each(
        "budget_share_{}",
        CHANNELS,
        "float",
        "share",
        "its budget split in the last period by channel: its own posts, then each tier (0 for "
        "a tier its strategy cannot use)",
    ),
)

#: One row per follower, at the end of the run (``influencer-sim run ... --followers``).
FOLLOWERS: tuple[Output, ...] = (
    _one("follower", "int", "", "follower index, 0..n-1"),
    _one(
        "node",
        "str",
        "",
        "the follower's node label in the graph file (its index when the graph is generated)",
    ),
    _one("topic", "int", "", "primary topic"),
    _one("ties", "int", "ties", "follower-to-follower ties (degree in the graph)"),
    _one("follows", "int", "accounts", "influencers followed at the end (active follow edges)"),
    _one("adopted", "bool", "", "has adopted some brand's product"),
    _one("exposures", "float", "exposures", "decayed sponsored exposures at the end"),
    _one(
        "fatigue", "float", "[0, 1]", "fatigue level from `exposures` (`behaviour.fatigue_scale`)"
    ),
)

#: Keys of ``summary.json``, in order. ``{tier: float}`` is an object with one key per tier.
SUMMARY: tuple[Output, ...] = (
    _one("steps", "int", "days", "days simulated (rows of the time series)"),
    _one("seed", "int", "", "seed of the run's Generator"),
    _one(
        "people_per_follower",
        "float",
        "people",
        "`w`, people each simulated follower stands for (`population.people / "
        "population.n_followers`)",
    ),
    _by(
        "engagement_rate_by_tier",
        "tier",
        _RATE,
        "pooled engagement rate of each tier over the run (engagements over follower-posts, "
        "people)",
    ),
    _one(
        "micro_to_celebrity_engagement",
        "float",
        "ratio",
        "`engagement_rate_by_tier.micro / engagement_rate_by_tier.celebrity`",
    ),
    _by(
        "price_by_tier_start",
        "tier",
        "$ per post",
        "mean price per post by tier in the first row of the time series (the recognition "
        "price at rest)",
    ),
    _by("price_by_tier_end", "tier", "$ per post", "the same in the last row"),
    Output(
        ("steady_state",),
        "object",
        "",
        "the steady-state check of prices (`simulation.outputs.steady_state`, `docs/ODD.md` "
        "7.35): `window_days` (int, days: the last quarter of the run, at least two periods), "
        "`tolerance` (0.05), `price_drift` ({tier: float}: the tier's mean price over the "
        "window's second half over its first half, minus one; `null` for an empty tier) and "
        "`settled` (bool: every tier with accounts drifts by less than the tolerance)",
        (
            ("window_days", "days"),
            ("tolerance", "share"),
            *((f"price_drift.{t}", "share") for t in TIERS),
            ("settled", ""),
        ),
    ),
    _by(
        "paid_to_list_by_tier",
        "tier",
        "ratio",
        "what sponsored posts sold for over their recognition (list, rate-card) price: the "
        "tier's `income` over `income_at_list`, pooled over its paid posts; `null` for a tier "
        "with no paid post. The micro value is a calibration target (`docs/CALIBRATION.md`)",
    ),
    _by(
        "customers_per_sponsored_engagement_by_tier",
        "tier",
        "people per person",
        "customers won by the tier's sponsored posts over engagements with them: the realized "
        "engagement-to-purchase conversion, an outcome",
    ),
    _by(
        "cost_per_engagement_by_tier",
        "tier",
        "$ per engagement",
        "price paid per engagement with sponsored posts: the tier's influencer `income` over "
        "its `sponsored_engagements` (the benchmarks' definition); `null` without any",
    ),
    _by(
        "cost_per_engagement_all_in_by_tier",
        "tier",
        "$ per engagement",
        "the same with platform fees and relationship overhead: brands' `spend_<tier>` over "
        "the tier's `sponsored_engagements`",
    ),
    _one(
        "return_per_dollar",
        "float",
        "$/$",
        "earned media value per dollar of influencer spend over the whole run (the last row "
        "of the time series)",
    ),
    _by("return_per_dollar_by_strategy", "strategy", "$/$", "the same by brand strategy"),
    _one(
        "sales_per_dollar",
        "float",
        "$/$",
        "sales value of all customers won (all channels and word of mouth) per dollar of all "
        "brand spend over the run (the last row of the time series)",
    ),
    _by("sales_per_dollar_by_strategy", "strategy", "$/$", "the same by brand strategy"),
    _by("budget_used_by_strategy", "strategy", "$", "the brands' `budget_used` summed by strategy"),
    _by(
        "budget_unspent_by_strategy",
        "strategy",
        "$",
        "the brands' `budget_unspent` summed by strategy",
    ),
    _by(
        "budget_share_by_channel",
        "channel",
        "share",
        "the budget split of the last period by channel (`own` and the five tiers), mean over "
        "brands (the last row's `budget_share_<channel>`)",
    ),
    Output(
        ("our_brand",),
        "object",
        "",
        "our brand's outcomes over the run, apart from the market's (`[our_brand]`; every "
        "value `null` without one): `budget` ($, budgeted), `budget_used` ($), "
        "`budget_used_share` (share), `deals` (posts), `relationships` (relationship-periods), "
        "`customers` (people, every channel and word of mouth), `sales_value` ($), "
        "`sales_per_dollar` ($/$, all spend), `return_per_dollar` ($/$, earned media value "
        "per influencer dollar), and `peers_sales_per_dollar` and `peers_return_per_dollar` "
        "($/$: the same for the market's brands of our brand's strategy; `null` without any)",
        tuple((k, u) for k, u in OUR_BRAND_KEYS),
    ),
    _one("customers", "float", "people", "customers won by all brands through every channel"),
    _one("sales_value", "float", "$", "`customers * brands.margin`, all brands"),
    _one("brand_spend", "float", "$", "all brands' spend"),
    _one("influencer_income", "float", "$", "all influencers' income"),
    _one("platform_fees", "float", "$", "all platform fees"),
    _one("overhead", "float", "$", "all relationship overhead"),
    _one(
        "follower_retention",
        "float",
        "ratio",
        "all influencers' followers at the end over at the start",
    ),
    _one("follows", "float", "people", "follows over the run"),
    _one("unfollows", "float", "people", "unfollows over the run"),
    _one(
        "unfollowed_share",
        "float",
        "share",
        "`unfollowed_share` in the last row: share of simulated followers who have unfollowed "
        "at least one account",
    ),
    _one("mean_trust_end", "float", "[0, 1]", "`mean_trust` in the last row"),
    _one("sponsored_share", "float", "share", "sponsored posts over all posts, over the run"),
    _one("adopted_share_end", "float", "share", "`adopted_share` in the last row"),
    _one(
        "mean_fatigue_end",
        "float",
        "[0, 1]",
        "`mean_fatigue` in the last row (start of the last day)",
    ),
)

#: The declared tables, by the name their section of docs/OUTPUTS.md and their file carry.
TABLES: dict[str, tuple[Output, ...]] = {
    "timeseries": TIMESERIES,
    "influencers": INFLUENCERS,
    "brands": BRANDS,
    "followers": FOLLOWERS,
    "summary": SUMMARY,
}


def _names(outputs: tuple[Output, ...]) -> list[str]:
    return [n for o in outputs for n in o.names]


TIMESERIES_COLUMNS: list[str] = _names(TIMESERIES)
INFLUENCER_COLUMNS: list[str] = _names(INFLUENCERS)
BRAND_COLUMNS: list[str] = _names(BRANDS)
FOLLOWER_COLUMNS: list[str] = _names(FOLLOWERS)


def summary_keys() -> tuple[str, ...]:
    """Every key of ``summary.json``, flattened as :func:`flatten_summary` flattens a summary
    (``{"a": {"b": 1}}`` gives ``a.b``), in order; known without running anything."""
    keys: list[str] = []
    for o in SUMMARY:
        keys += [f"{o.name}.{k}" for k, _ in o.keys] if o.keys else [o.name]
    return tuple(keys)


def flatten_summary(summary: dict) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` becomes ``{"a.b": 1}``."""
    out = {}
    for k, v in summary.items():
        if isinstance(v, dict):
            for k2, v2 in flatten_summary(v).items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def unit_of(name: str, table: str = "timeseries") -> str | None:
    """The declared unit of a column of ``table`` (or of a flattened summary key with
    ``table="summary"``); None if there is no such output."""
    for o in TABLES[table]:
        if name in o.names:
            return o.unit
        for k, unit in o.keys:
            if name == f"{o.name}.{k}":
                return unit
    return None


def markdown_table(table: str) -> str:
    """The docs table of one declared table (``timeseries``, ..., ``summary``)."""
    first = "key" if table == "summary" else "column"
    lines = [f"| {first} | type | unit | meaning |", "| --- | --- | --- | --- |"]
    for o in TABLES[table]:
        names = ", ".join(f"`{n}`" for n in o.names)
        lines.append(f"| {names} | {o.type} | {o.unit} | {o.meaning} |".replace("|  |", "| |"))
    return "\n".join(lines)


def _markers(table: str) -> tuple[str, str]:
    return f"<!-- outputs:{table}:start -->", f"<!-- outputs:{table}:end -->"


def update_docs(text: str) -> str:
    """``text`` (docs/OUTPUTS.md) with every generated table rewritten from the declarations
    (and the plot table of ``plots.CHARTS``)."""
    from .plots import charts_markdown

    tables = {name: markdown_table(name) for name in TABLES}
    tables["plots"] = charts_markdown()
    for name, body in tables.items():
        start, end = _markers(name)
        pattern = re.escape(start) + r".*?" + re.escape(end)
        text, n = re.subn(
            pattern, lambda _m, b=body, s=start, e=end: f"{s}\n{b}\n{e}", text, flags=re.S
        )
        if n != 1:
            raise ValueError(f"expected one {start} ... {end} pair, found {n}")
    return text


# -- recording -------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def record(model: MarketModel, r: DayResult, audience: np.ndarray, inputs: DayInputs) -> dict:
    """The day's figures, one row of the time series (columns :data:`TIMESERIES_COLUMNS`);
    counts in people. Updates the model's running totals (``model.totals``)."""
    st, cfg = model.state, model.cfg
    w = st.w
    m = {"step": model.day + 1}  # steps count from 1; day is the 0-based index
    posted = st.posted
    m["posts"] = int(posted.sum())
    m["sponsored_posts"] = int(st.sponsored.sum())
    m["sponsored_share"] = _ratio(m["sponsored_posts"], m["posts"])
    m["commercial_share"] = float(st.share.mean()) if st.n_influencers else 0.0
    eng_w = r.engaged * w
    base = audience * posted
    m["engagement_rate"] = _ratio(eng_w.sum(), base.sum())
    org = posted & ~st.sponsored
    m["organic_engagement_rate"] = _ratio(eng_w[org].sum(), base[org].sum())
    m["sponsored_engagement_rate"] = _ratio(eng_w[st.sponsored].sum(), base[st.sponsored].sum())
    # unfollowed edges hold trust 0, so the mean over active edges is a plain sum
    e = st.edges
    active = int(st.counts.sum())
    m["mean_trust"] = (
        float(e.trust[: e.n].sum(dtype=np.float64)) / active if active else float("nan")
    )
    m["mean_fatigue"] = float(inputs.fatigue.mean())
    m["follows"] = float(r.follows.sum() * w)
    m["unfollows"] = float(r.unfollows.sum() * w)
    m["unfollowed_share"] = float(st.unfollowed.mean()) if st.n_followers else 0.0
    now = st.follower_counts()
    m["followers"] = float(now.sum())
    for t, name in enumerate(TIERS):
        sel = st.tier == t
        m[f"engagement_rate_{name}"] = _ratio(eng_w[sel].sum(), base[sel].sum())
        model.totals[f"engaged_{name}"] += float(eng_w[sel].sum())
        model.totals[f"exposed_{name}"] += float(base[sel].sum())
        m[f"followers_{name}"] = float(now[sel].sum())
        m[f"price_{name}"] = float(st.price[sel].mean()) if sel.any() else float("nan")
    tot = model.totals
    brands = [model.brand(k) for k in range(model.state.n_brands)]
    paid = sum(float(b.paid[TIER_CHANNELS].sum()) for b in brands)
    own = sum(float(b.paid[OWN]) for b in brands)
    fees = sum(float(b.fees.sum()) for b in brands)
    over = sum(float(b.overhead.sum()) for b in brands)
    spend = paid + own + fees + over
    deals = sum(int(b.posts[TIER_CHANNELS].sum()) for b in brands)
    imp = sum(float(b.impressions[TIER_CHANNELS].sum()) for b in brands)
    eng = sum(float(b.engagements[TIER_CHANNELS].sum()) for b in brands)
    cus = sum(float(b.customers[TIER_CHANNELS].sum()) for b in brands)
    cus_own = sum(float(b.customers[OWN]) for b in brands)
    infl = sum(b.influencer_spend for b in brands)
    emv = mech.earned_media_value(
        imp, eng, cfg.brands.value_per_impression, cfg.brands.value_per_engagement
    )
    m["deals"] = deals - tot["deals"]
    m["brand_spend"] = spend - tot["spend"]
    m["own_spend"] = own - tot["own"]
    m["influencer_income"] = paid - tot["paid"]
    m["platform_fees"] = fees - tot["fees"]
    m["overhead"] = over - tot["overhead"]
    m["impressions"] = imp - tot["impressions"]
    m["engagements"] = eng - tot["engagements"]
    m["earned_value"] = emv - tot["emv"]
    m["return_per_dollar"] = _ratio(emv, infl)
    margin = cfg.brands.margin
    for s in STRATEGIES:
        mine = [b for b in brands if b.strategy == s and b.index != st.our]
        m[f"return_per_dollar_{s}"] = _ratio(
            sum(b.earned_value for b in mine), sum(b.influencer_spend for b in mine)
        )
        m[f"sales_per_dollar_{s}"] = _ratio(
            sum(b.sales_value for b in mine), sum(b.spend for b in mine)
        )
    if st.our >= 0:
        ours = brands[st.our]
        won = ours.customers_won
        m["our_brand_spend"] = ours.spend - tot["our_spend"]
        m["our_brand_customers"] = won - tot["our_customers"]
        m["our_brand_sales_per_dollar"] = _ratio(ours.sales_value, ours.spend)
        m["our_brand_return_per_dollar"] = _ratio(ours.earned_value, ours.influencer_spend)
        tot.update(our_spend=ours.spend, our_customers=won)
    else:
        for k in ("spend", "customers", "sales_per_dollar", "return_per_dollar"):
            m[f"our_brand_{k}"] = float("nan")
    wom = sum(b.wom_customers for b in brands)
    m["customers"] = cus - tot["customers"]
    m["customers_own"] = cus_own - tot["customers_own"]
    m["customers_wom"] = wom - tot["customers_wom"]
    m["sales_value"] = (m["customers"] + m["customers_own"] + m["customers_wom"]) * margin
    m["sales_per_dollar"] = _ratio((cus + cus_own + wom) * margin, spend)
    shares = st.shares.mean(axis=0) if st.n_brands else np.zeros(len(CHANNELS))
    for c, name in enumerate(CHANNELS):
        m[f"budget_share_{name}"] = float(shares[c]) if st.n_brands else float("nan")
    m["adoptions"] = float(st.new_f.size * w)
    adopters = int(st.any_adopted.sum())
    m["adopters"] = float(adopters * w)
    m["adopted_share"] = _ratio(adopters, st.n_followers)
    reach = model.own_reach()
    m["own_reach"] = float(np.mean(reach)) if st.n_brands else 0.0
    m["own_impressions"] = float(
        (np.asarray(reach) * model.mean_interest[st.category]).sum() * cfg.population.people
    )
    m["sponsored_impressions"] = m["impressions"]
    tot.update(
        deals=deals,
        spend=spend,
        own=own,
        paid=paid,
        fees=fees,
        overhead=over,
        impressions=imp,
        engagements=eng,
        emv=emv,
        customers=cus,
        customers_own=cus_own,
        customers_wom=wom,
    )
    tot["exposures"] += r.exposures
    tot["follows"] += m["follows"]
    tot["unfollows"] += m["unfollows"]
    # simulated (unweighted) counts, for comparing engines and checking invariants
    tot["seen_edges"] += int(r.seen.sum())
    tot["engaged_edges"] += int(r.engaged.sum())
    tot["follow_edges"] += int(r.follows.sum())
    tot["unfollow_edges"] += int(r.unfollows.sum())
    tot["adoptions_via_posts"] += int(r.adopt_via.sum())
    tot["adoptions_own"] += int(r.adopt_own.sum())
    tot["adoptions_wom"] += int(r.adopt_wom.sum())
    return m


def influencer_table(model: MarketModel) -> pd.DataFrame:
    """One row per influencer at the current step (columns :data:`INFLUENCER_COLUMNS`)."""
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
    """One row per follower at the current step (``--followers``; columns
    :data:`FOLLOWER_COLUMNS`).

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
    """One row per brand at the current step (columns :data:`BRAND_COLUMNS`); money in $,
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
            "our_brand": b.index == st.our,
            "budget_per_period": float(st.budget[b.index]),
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
            "customers": b.customers_won,
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
            "our_brand": bool,
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


def our_brand_summary(br: pd.DataFrame) -> dict[str, float | None]:
    """Our brand's outcomes over the run (keys :data:`OUR_BRAND_KEYS`) beside its peers':
    the market's brands of its strategy. Every value None without our brand."""
    ours = br[br["our_brand"].astype(bool)]
    if ours.empty:
        return {k: None for k, _ in OUR_BRAND_KEYS}
    row = ours.iloc[0]
    peers = br[(br["strategy"] == row["strategy"]) & ~br["our_brand"].astype(bool)]
    peer_infl = float(sum(peers[f"spend_{t}"].sum() for t in TIERS)) if len(peers) else 0.0
    return {
        "budget": float(row["budgeted"]),
        "budget_used": float(row["budget_used"]),
        "budget_used_share": _f(_ratio(row["budget_used"], row["budgeted"])),
        "deals": float(row["deals"]),
        "relationships": float(row["relationships"]),
        "customers": float(row["customers"]),
        "sales_value": float(row["sales_value"]),
        "sales_per_dollar": _f(row["sales_per_dollar"]),
        "return_per_dollar": _f(row["return_per_dollar"]),
        "peers_sales_per_dollar": _f(_ratio(peers["sales_value"].sum(), peers["spend"].sum()))
        if len(peers)
        else None,
        "peers_return_per_dollar": _f(_ratio(peers["earned_value"].sum(), peer_infl))
        if len(peers)
        else None,
    }


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
    """Headline outcomes of a run (keys :data:`SUMMARY`, every one always present).

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
    paid_to_list = _by(inf, "tier", "income", "income_at_list")
    out["paid_to_list_by_tier"] = {t: paid_to_list.get(t) for t in TIERS}
    conversion = _by(inf, "tier", "customers", "sponsored_engagements")
    out["customers_per_sponsored_engagement_by_tier"] = {t: conversion.get(t) for t in TIERS}
    # cost per engagement by tier: the price paid per engagement with sponsored posts (the
    # benchmarks' definition), and all in (with platform fees and relationship overhead)
    # (every tier keyed, None where there is nothing to divide: a market without influencers)
    eng_tier = (
        inf.groupby("tier", observed=False)["sponsored_engagements"].sum().to_dict()
        if len(inf)
        else {}
    )
    paid_tier = inf.groupby("tier", observed=False)["income"].sum().to_dict() if len(inf) else {}
    spend_tier = {t: float(br[f"spend_{t}"].sum()) for t in TIERS} if len(br) else {}
    out["cost_per_engagement_by_tier"] = {
        t: (float(paid_tier[t]) / eng_tier[t] if eng_tier.get(t) else None) for t in TIERS
    }
    out["cost_per_engagement_all_in_by_tier"] = {
        t: (spend_tier[t] / eng_tier[t] if eng_tier.get(t) else None) for t in TIERS
    }
    out["return_per_dollar"] = _f(ts["return_per_dollar"].iloc[-1])
    out["return_per_dollar_by_strategy"] = {
        s: _f(ts[f"return_per_dollar_{s}"].iloc[-1]) for s in STRATEGIES
    }
    out["sales_per_dollar"] = _f(ts["sales_per_dollar"].iloc[-1])
    out["sales_per_dollar_by_strategy"] = {
        s: _f(ts[f"sales_per_dollar_{s}"].iloc[-1]) for s in STRATEGIES
    }
    market = ~br["our_brand"].astype(bool)  # the market's brands: our brand is apart
    out["budget_used_by_strategy"] = {
        s: float(br.loc[market & (br["strategy"] == s), "budget_used"].sum()) for s in STRATEGIES
    }
    out["budget_unspent_by_strategy"] = {
        s: float(br.loc[market & (br["strategy"] == s), "budget_unspent"].sum()) for s in STRATEGIES
    }
    out["budget_share_by_channel"] = {c: _f(ts[f"budget_share_{c}"].iloc[-1]) for c in CHANNELS}
    out["our_brand"] = our_brand_summary(br)
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
