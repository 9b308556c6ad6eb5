"""Scenario configuration: typed, frozen, validated parameter objects.

A scenario is a TOML file with one table per section below. Every parameter is declared
once, here, with its default, allowed range, unit, meaning and source; the parameter table in
``docs/ODD.md`` and the config reference in ``docs/CONFIG.md`` are generated from these
declarations (``influencer-sim params``), so the code and the description cannot disagree.

Errors in a scenario raise :class:`ConfigError` with one line naming the key and what is
allowed; the command line prints that line and exits with status 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .vocabulary import TIERS

__all__ = [
    "SECTIONS",
    "Config",
    "ConfigError",
    "apply_overrides",
    "config_from_dict",
    "config_hash",
    "config_to_dict",
    "config_to_toml",
    "load_config",
    "parameter_rows",
    "parse_override",
    "read_toml",
]


class ConfigError(ValueError):
    """A scenario value that is missing, unknown, of the wrong type or out of range."""


def P(
    default: Any,
    doc: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    choices: tuple[str, ...] | None = None,
    unit: str = "",
    source: str = "assumption",
) -> Any:
    """Declare one parameter: default, allowed range or choices, unit, meaning, source."""
    meta = {
        "doc": doc,
        "lo": lo,
        "hi": hi,
        "lo_open": lo_open,
        "choices": choices,
        "unit": unit,
        "source": source,
    }
    if isinstance(default, (list, tuple)):
        return field(default=tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunConfig:
    """How long and with what engine a run goes."""

    steps: int = P(730, "Number of steps (days) to simulate.", lo=1, hi=100_000, unit="days")
    seed: int = P(1, "Root seed of the run's one numpy Generator.", lo=0, hi=2**63 - 1)
    engine: str = P(
        "vectorized",
        "Follower engine: 'vectorized' (numpy over arrays) or 'reference' "
        "(engines.step_follower for one follower at a time, the test oracle).",
        choices=("vectorized", "reference"),
    )
    period: int = P(
        30,
        "Days per market period: brands plan, deals run and prices adjust once per period.",
        lo=1,
        hi=365,
        unit="days",
    )


@dataclass(frozen=True)
class GraphConfig:
    """Follower-to-follower ties (who tells whom)."""

    kind: str = P(
        "topic_blocks",
        "Generator of follower ties, or a file format to load. The default, topic blocks, ties "
        "friends who share interests and has the same degree spread at any population size, "
        "so word of mouth means the same at any resolution (Barabasi-Albert hubs grow with the "
        "simulated population).",
        choices=(
            "barabasi_albert",
            "watts_strogatz",
            "topic_blocks",
            "complete",
            "path",
            "balanced_tree",
            "karate",
            "edgelist",
            "graphml",
        ),
        source="Barabasi & Albert 1999; Watts & Strogatz 1998; Holland et al. 1983 (SBM)",
    )
    m: int = P(3, "Barabasi-Albert: ties each new follower makes.", lo=1, hi=1000)
    k: int = P(6, "Watts-Strogatz: ring neighbours of each follower (even).", lo=2, hi=1000)
    rewire: float = P(0.1, "Watts-Strogatz: probability a tie is rewired.", lo=0, hi=1)
    mean_degree: float = P(
        6.0, "Topic blocks: expected ties per follower.", lo=0, hi=1000, lo_open=True
    )
    homophily: float = P(
        0.8, "Topic blocks: share of a follower's ties within its own topic.", lo=0, hi=1
    )
    branching: int = P(2, "Balanced tree: children per node.", lo=1, hi=1000)
    file: str = P(
        "",
        "Edge list or GraphML file (kind 'edgelist' or 'graphml'); "
        "relative paths are taken from the scenario file's folder.",
    )
    array_threshold: int = P(
        50_000,
        "Above this many followers, generators write straight into arrays instead of networkx "
        "(the same models; the array versions merge repeated picks instead of redrawing "
        "them; networkx costs about 440 bytes per tie and, fed by a numpy Generator, about "
        "0.1 ms per follower for Barabasi-Albert; topic_blocks always uses arrays).",
        lo=0,
        hi=10**9,
        unit="followers",
        source="measured: the project's own measurement on a 2-core machine (no shipped command "
        "repeats it)",
    )


@dataclass(frozen=True)
class PopulationConfig:
    """Followers: how many people the market holds, how many are simulated, what they care
    about and how they react."""

    n_followers: int = P(
        100_000,
        "Simulated followers. Each stands for people / n_followers people (one scale for every "
        "count and state); more followers, finer resolution, the same market.",
        lo=1,
        hi=50_000_000,
        unit="agents",
    )
    people: int = P(
        4_000_000,
        "People in the market (the real population the simulated followers stand for).",
        lo=1,
        hi=10**10,
        unit="people",
        source="assumption: a national market of a few million platform users; with the "
        "default accounts each person follows about 4 of them",
    )
    n_topics: int = P(8, "Number of topics (niches and product categories).", lo=1, hi=64)
    interest_concentration: float = P(
        0.3,
        "Dirichlet concentration of a follower's secondary interests; interest in the primary "
        "topic is 1 and others are scaled to it (smaller = narrower interests).",
        lo=0,
        hi=100,
        lo_open=True,
    )
    susceptibility_mean: float = P(
        0.24,
        "Mean purchase propensity: probability that a follower who engaged with a sponsored "
        "post, fully trusts the account's recommendations and is fully interested in the "
        "product's category buys it.",
        lo=0,
        hi=1,
        source="purchase figure: consumers who like influencer content buy after about five "
        "branded posts (HelloSociety 2018): one in five per engaged post for a receptive "
        "follower of a micro account, 0.24 x 0.82 = 0.2",
    )
    susceptibility_concentration: float = P(
        8.0, "Beta concentration of susceptibility across followers.", lo=0, hi=1e6, lo_open=True
    )
    sensitivity_mean: float = P(
        1.0, "Mean sensitivity to commercial content (multiplies trust erosion).", lo=0, hi=100
    )
    sensitivity_sigma: float = P(
        0.5, "Log-normal spread of sensitivity across followers.", lo=0, hi=5
    )


@dataclass(frozen=True)
class InfluencerConfig:
    """Influencers by tier, their audiences, posting, pricing and how commercial they choose
    to be."""

    n_nano: int = P(
        1891,
        "Nano influencers (nano_min to micro_min followers).",
        lo=0,
        hi=1_000_000,
        source="3,000 accounts split by the published distribution of accounts by size "
        "(docs/ODD.md 5, account sizes: Influencer Marketing Hub 2025; NinjaOutreach 2017)",
    )
    n_micro: int = P(
        842,
        "Micro influencers (micro_min to mid_min followers).",
        lo=0,
        hi=1_000_000,
        source="as n_nano",
    )
    n_mid: int = P(192, "Mid-tier influencers.", lo=0, hi=1_000_000, source="as n_nano")
    n_macro: int = P(71, "Macro influencers.", lo=0, hi=1_000_000, source="as n_nano")
    n_celebrity: int = P(4, "Celebrities.", lo=0, hi=1_000_000, source="as n_nano")
    nano_min: int = P(
        100, "Smallest audience drawn for a nano influencer.", lo=1, hi=10**9, unit="followers"
    )
    micro_min: int = P(
        500,
        "Tier boundary nano/micro.",
        lo=1,
        hi=10**9,
        unit="followers",
        source="seed article (micro = 500 to 5,000), the micro tier of Klear's price survey",
    )
    mid_min: int = P(
        5_000,
        "Tier boundary micro/mid.",
        lo=1,
        hi=10**9,
        unit="followers",
        source="seed article (micro = 500 to 5,000), the micro tier of Klear's price survey",
    )
    macro_min: int = P(50_000, "Tier boundary mid/macro.", lo=1, hi=10**9, unit="followers")
    celebrity_min: int = P(
        500_000,
        "Tier boundary macro/celebrity.",
        lo=1,
        hi=10**9,
        unit="followers",
        source="Klear (over 500k)",
    )
    celebrity_max: int = P(
        3_000_000,
        "Largest audience drawn for a celebrity (at most population.people).",
        lo=1,
        hi=10**10,
        unit="followers",
    )
    fame_size: int = P(
        3_000_000,
        "Audience at which trust and topicality reach their large-audience values "
        "(behaviour.trust_init_large, influencers.homophily_large); both fall log-linearly "
        "from micro_min to here, so through the whole celebrity tier by default.",
        lo=2,
        hi=10**10,
        unit="followers",
        source="the largest audience of the default market (celebrity_max): its celebrities "
        "are the accounts ExpertVoice 2018's 4% describes",
    )
    homophily_small: float = P(
        0.9,
        "Share of a micro_min-sized audience drawn from the influencer's own topic.",
        lo=0,
        hi=1,
        source="seed article (smaller audiences are topical); no published figure: an assumption",
    )
    homophily_large: float = P(
        0.15,
        "Share of the audience of an account with fame_size followers or more drawn from its "
        "own topic (with 8 topics, 0.125 is no topicality at all).",
        lo=0,
        hi=1,
        source="assumption: celebrity audiences are diverse (seed article)",
    )
    authenticity_mean: float = P(
        0.6,
        "Mean authenticity: how far ahead an influencer looks when it weighs today's fee "
        "against the trust and followers it expects to lose (see lookahead).",
        lo=0,
        hi=1,
    )
    authenticity_concentration: float = P(
        4.0, "Beta concentration of authenticity.", lo=0, hi=1e6, lo_open=True
    )
    lookahead: float = P(
        12.0,
        "Periods of future income an influencer of authenticity 1 weighs against today's fees "
        "(authenticity a weighs a * lookahead; 0 is myopic).",
        lo=0,
        hi=1000,
        unit="periods",
        source="Fainmesser & Galeotti 2021 (influencers trade endorsement revenue against "
        "audience engagement); the horizon is an assumption",
    )
    post_prob: float = P(0.7, "Probability an influencer posts on a given day.", lo=0, hi=1)
    engagement_memory: float = P(
        10.0,
        "Posts over which an account's public engagement rate is averaged (EMA window); "
        "brands read it and prices follow it.",
        lo=1,
        hi=1e6,
        unit="posts",
    )
    sponsored_cap: int = P(
        8,
        "Most sponsored posts any account takes per period, whatever it earns (the most an "
        "influencer considers).",
        lo=0,
        hi=365,
        unit="posts/period",
    )
    price_per_k: float = P(
        10.0,
        "Recognition price of a sponsored post at 1,000 followers, before demand and quality.",
        lo=0,
        hi=1e6,
        unit="$",
        source="set from the figures: least-squares fit of log price on log followers to the "
        "rate cards by tier (Influencer Marketing Hub 2021-2024) and the cent-per-follower "
        "rule (Mediakix 2017), exact at one cent a follower",
    )
    price_exponent: float = P(
        1.0,
        "Follower elasticity of the recognition price. Plausible range 0.5 (Klear's tier "
        "averages) to 1.0 (rate cards, one cent a follower).",
        lo=0,
        hi=2,
        source="set from the figures: fitted with price_per_k to the rate cards of Influencer "
        "Marketing Hub 2021-2024 and Mediakix 2017 (docs/CALIBRATION.md)",
    )
    price_quality_elasticity: float = P(
        0.5,
        "Elasticity of price to the account's engagement relative to the norm for its size.",
        lo=0,
        hi=5,
    )
    price_demand_rate: float = P(
        0.5,
        "Price response to excess demand per period: m *= ((offers + 1/2) / capacity)^rate.",
        lo=0,
        hi=5,
        source="assumption: tatonnement step; tier prices settle within a year (tested)",
    )
    price_demand_max: float = P(10.0, "Largest demand multiplier.", lo=1, hi=1000)
    price_demand_min: float = P(
        0.5,
        "Smallest demand multiplier: the share of its recognition price below which an "
        "influencer does not sell (its reservation price).",
        lo=0,
        hi=1,
        lo_open=True,
    )

    @property
    def tier_counts(self) -> tuple[int, ...]:
        """Accounts in each tier, in ``TIERS`` order (``n_<tier>``)."""
        return tuple(getattr(self, f"n_{t}") for t in TIERS)

    @property
    def tier_bounds(self) -> tuple[int, ...]:
        """Follower bounds of the tiers, in ``TIERS`` order: tier t holds audiences in
        ``[bounds[t], bounds[t + 1])`` (every ``<tier>_min``, then ``celebrity_max``)."""
        return (*(getattr(self, f"{t}_min") for t in TIERS), self.celebrity_max)


@dataclass(frozen=True)
class BehaviourConfig:
    """How followers see, engage, trust, tire, unfollow, discover and tell friends."""

    reach: float = P(
        0.4, "Probability a follower sees a given post of an account it follows.", lo=0, hi=1
    )
    engagement_base: float = P(
        0.16,
        "Probability of engaging with a seen post at 1,000 followers, full fit and intact trust.",
        lo=0,
        hi=1,
        source="calibration target: Markerly 2016's like rates by follower range",
    )
    engagement_size_exponent: float = P(
        0.17,
        "Engagement falls as followers^-exponent.",
        lo=0,
        hi=2,
        source="calibration target: with the fall of topicality with audience size it gives "
        "Markerly 2016's overall fall of about N^-0.18",
    )
    fit_floor: float = P(
        0.5, "Engagement multiplier at zero topic interest (1 at full interest).", lo=0, hi=1
    )
    trust_init_small: float = P(
        0.82,
        "Baseline trust in the recommendations of an account with micro_min followers or "
        "fewer: the share of its audience who act on them.",
        lo=0,
        hi=1,
        source="set from the figure: 82% are highly likely to follow a micro influencer's "
        "recommendation (Experticity / Keller Fay 2016)",
    )
    trust_init_large: float = P(
        0.04,
        "Baseline trust in the recommendations of an account with fame_size followers or more "
        "(log-linear in log N from micro_min). Sources range 0.03 to 0.07.",
        lo=0,
        hi=1,
        source="set from the figure: 4% trust celebrities for what to buy (ExpertVoice 2018); "
        "3% would consider a celebrity-endorsed product (Collective Bias 2016)",
    )
    trust_rebuild: float = P(
        0.02,
        "Share of the gap to the baseline trust closed per organic post seen.",
        lo=0,
        hi=1,
    )
    trust_erosion: float = P(
        0.12,
        "Trust lost per seen post per unit of commercial share above tolerance (times "
        "sensitivity).",
        lo=0,
        hi=100,
        source="Journal of Interactive Advertising 2022: the penalty is the accumulated share",
    )
    share_tolerance: float = P(
        0.02,
        "Commercial share followers tolerate before trust erodes.",
        lo=0,
        hi=1,
        source="Wearisma 2018 (about 2% of posts are sponsored, the share followers are used to)",
    )
    share_memory: float = P(
        30.0,
        "Posts over which the commercial share is remembered (EMA window).",
        lo=1,
        hi=1e6,
        unit="posts",
    )
    offtopic_penalty: float = P(
        0.05,
        "Share of trust lost per off-topic sponsored post seen (times sensitivity).",
        lo=0,
        hi=1,
        source="Takumi 2019 (72% would unfollow for disingenuous endorsements)",
    )
    unfollow_threshold: float = P(
        0.5,
        "Trust, as a share of the follower's baseline trust in the account, below which it "
        "may unfollow.",
        lo=0,
        hi=1,
    )
    unfollow_rate: float = P(
        0.1,
        "Unfollow probability per post seen at zero trust (linear up from the threshold).",
        lo=0,
        hi=1,
    )
    fatigue_scale: float = P(
        10.0,
        "Sponsored exposures at which tune-out reaches 1 - 1/e.",
        lo=0,
        hi=1e6,
        lo_open=True,
        unit="exposures",
        source="Schmidt & Eisend 2015 (wear-out near 10)",
    )
    fatigue_decay: float = P(
        0.9,
        "Share of remembered sponsored exposures kept from one day to the next.",
        lo=0,
        hi=1,
    )
    discovery_rate: float = P(
        0.002,
        "Probability an engagement shows the account to a random friend, who follows "
        "with probability equal to their topic interest.",
        lo=0,
        hi=1,
        source="assumption: audiences grow about 1% a year by discovery alone",
    )
    wom_p: float = P(
        0.05,
        "One-shot pass-on probability: a new adopter convinces each friend once.",
        lo=0,
        hi=1,
        source="Kempe, Kleinberg & Tardos 2003 (independent cascade)",
    )
    wom_q: float = P(
        0.0,
        "Imitation: daily adoption hazard times the adopted share of one's friends.",
        lo=0,
        hi=1,
        source="Bass 1969; Sultan, Farley & Lehmann 1990 (q about 0.38)",
    )


@dataclass(frozen=True)
class BrandConfig:
    """Brands: how many, their strategies, budgets, how they choose and how they learn."""

    n_brands: int = P(20, "Brands in the market.", lo=0, hi=100_000)
    share_micro: float = P(
        0.4, "Share of brands with the 'micro' strategy (micro tier only).", lo=0, hi=1
    )
    share_celebrity: float = P(
        0.3,
        "Share of brands with the 'celebrity' strategy (celebrity tier only; the rest are "
        "'mixed': every tier).",
        lo=0,
        hi=1,
    )
    budget: float = P(
        10_000.0,
        "Marketing budget per period: own posts, influencer deals, fees and overhead.",
        lo=0,
        hi=1e12,
        unit="$/period",
    )
    own_share: float = P(
        0.3,
        "Share of the budget first planned for the brand's own posts (the rest is split "
        "evenly over the tiers its strategy buys from).",
        lo=0,
        hi=1,
    )
    margin: float = P(
        8.0,
        "Value to a brand of a customer won (margin on the purchases a product adoption brings).",
        lo=0,
        hi=1e9,
        unit="$",
        source="calibration target: with it, micro posts sell at their rate-card price at the "
        "steady state (brands' willingness to pay sets clearing prices; rate cards of "
        "Influencer Marketing Hub 2021-2024)",
    )
    hurdle: float = P(
        1.0,
        "Expected sales value per dollar below which a brand does not buy (1 = break even).",
        lo=0,
        hi=1e6,
        unit="$/$",
    )
    relationship_cost: float = P(
        50.0,
        "Overhead per active influencer relationship per period (search, negotiation, "
        "briefing, tracking), whatever the number of posts in it.",
        lo=0,
        hi=1e9,
        unit="$/relationship/period",
        source="assumption; the less_is_more experiment maps its effect",
    )
    search_breadth: int = P(
        15,
        "New accounts of its own category a brand without the platform can evaluate per "
        "period (accounts it has worked with stay known).",
        lo=0,
        hi=1_000_000,
    )
    platform_share: float = P(0.0, "Share of brands using the matching platform.", lo=0, hi=1)
    learning_rate: float = P(
        2.0,
        "Exponential-weights sensitivity of the budget split to realized sales per dollar "
        "(0 keeps the planned split).",
        lo=0,
        hi=100,
        unit="1/($/$)",
        source="Freund & Schapire 1997 (exponential weights)",
    )
    budget_inertia: float = P(
        0.85,
        "Share of last period's budget split kept each period (the rest moves toward the "
        "exponential-weights target).",
        lo=0,
        hi=1,
        source="assumption: budgets move by about a seventh of the way a period; faster "
        "moves set prices and budgets cycling (measured: price drift up to 6% a half year "
        "at 0.7, under 4% at 0.85)",
    )
    explore_share: float = P(
        0.05,
        "Smallest budget share each channel a brand may use keeps, so its return stays observed.",
        lo=0,
        hi=0.5,
    )
    value_per_engagement: float = P(
        2.6,
        "Earned media value of one engagement (reported only; brands decide on sales).",
        lo=0,
        hi=1e6,
        unit="$",
        source="calibration target: Tomoson 2015 ($6.50 EMV per $1)",
    )
    value_per_impression: float = P(
        0.005,
        "Earned media value of one impression ($5 CPM).",
        lo=0,
        hi=1e6,
        unit="$",
    )
    own_reach: float = P(
        0.0,
        "Daily probability a person interested in the brand's category sees its own posts "
        "unpaid (before demotion).",
        lo=0,
        hi=1,
    )
    own_cpm: float = P(
        8.0,
        "Price of 1,000 people reached by the brand's own promoted posts (before demotion).",
        lo=0,
        hi=1e6,
        lo_open=True,
        unit="$",
        source="assumption: Instagram ad CPMs of $5-$10",
    )
    own_conversion: float = P(
        0.005,
        "Purchase probability of a person fully interested in the category who sees the "
        "brand's own post (the Bass external influence p when own_reach is 1).",
        lo=0,
        hi=1,
        source="assumption: promoting its own posts pays a brand a little above break even "
        "before any demotion (Bass 1969 for the role of p)",
    )
    seed_adopters: int = P(
        0,
        "Followers who have adopted each brand's product at step 0 (followers 0..n-1).",
        lo=0,
        hi=50_000_000,
    )


#: The source of our brand's settings: the user's own plan, not a published figure.
_YOURS = "assumption: the user's own brand; set it to your plan"


@dataclass(frozen=True)
class OurBrandConfig:
    """Our brand: one focal brand a strategist sets, added to the market's ``brands.n_brands``
    and reported apart from them (``our_brand`` in the outputs)."""

    strategy: str = P(
        "none",
        "Our brand's strategy: 'none' (no focal brand), 'micro' (micro tier only), "
        "'celebrity' (celebrity tier only) or 'mixed' (every tier); own posts always.",
        choices=("none", "micro", "celebrity", "mixed"),
        source=_YOURS,
    )
    category: int = P(
        0,
        "Our brand's product category (a topic, 0 to population.n_topics - 1).",
        lo=0,
        hi=10_000,
        source=_YOURS,
    )
    budget: float = P(
        10_000.0,
        "Our brand's marketing budget per period (own posts, deals, fees and overhead).",
        lo=0,
        hi=1e12,
        unit="$/period",
        source=_YOURS,
    )
    own_share: float = P(
        0.3,
        "Share of our brand's budget first planned for its own posts (the rest split evenly "
        "over the tiers of its strategy).",
        lo=0,
        hi=1,
        source=_YOURS,
    )
    platform: bool = P(False, "Our brand uses the matching platform.", source=_YOURS)
    learns: bool = P(
        True,
        "Our brand moves its budget split by the market's learning rule "
        "(brands.learning_rate); false keeps its planned split all run.",
        source=_YOURS,
    )


@dataclass(frozen=True)
class PlatformConfig:
    """The influencer-marketing platform that matches brands to influencers."""

    fee_rate: float = P(0.2, "Platform fee as a share of the post price.", lo=0, hi=10)
    overhead_cut: float = P(
        0.7, "Share of the relationship overhead the platform removes.", lo=0, hi=1
    )


@dataclass(frozen=True)
class AlgorithmConfig:
    """The feed algorithm's treatment of brands' own posts."""

    brand_demotion: float = P(
        0.0, "Share of a brand's own reach the feed removes after change_step.", lo=0, hi=1
    )
    change_step: int = P(0, "Step from which the demotion applies.", lo=0, hi=100_000)


@dataclass(frozen=True)
class Config:
    """A whole scenario. Sections mirror the TOML tables."""

    run: RunConfig = field(default_factory=RunConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    influencers: InfluencerConfig = field(default_factory=InfluencerConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    brands: BrandConfig = field(default_factory=BrandConfig)
    our_brand: OurBrandConfig = field(default_factory=OurBrandConfig)
    platform: PlatformConfig = field(default_factory=PlatformConfig)
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    #: Folder relative file paths are resolved against (not a TOML key).
    base_dir: str = field(default=".", compare=False, repr=False)

    @property
    def n_influencers(self) -> int:
        """Influencers in all tiers."""
        return sum(self.influencers.tier_counts)

    def replace(self, **sections: Any) -> Config:
        """Copy with whole sections replaced, validated like a file."""
        cfg = dataclasses.replace(self, **sections)
        return config_from_dict(config_to_dict(cfg), base_dir=self.base_dir)


SECTIONS: dict[str, type] = {
    f.name: f.type if isinstance(f.type, type) else globals()[f.type]
    for f in dataclasses.fields(Config)
    if f.name != "base_dir"
}


def _check_value(section: str, f: dataclasses.Field, value: Any) -> Any:
    key = f"{section}.{f.name}"
    want = type(f.default)
    meta = f.metadata
    if want is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if want is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ConfigError(f"{key}: expected an integer, got {value!r}")
    elif want is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    elif want is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        if meta["choices"] and value not in meta["choices"]:
            allowed = ", ".join(repr(c) for c in meta["choices"])
            raise ConfigError(f"{key}: {value!r} is not one of {allowed}")
        return value
    lo, hi = meta["lo"], meta["hi"]
    if lo is not None and (value < lo or (meta["lo_open"] and value == lo)):
        raise ConfigError(f"{key}: {value!r} is out of range; allowed {_range_text(meta)}")
    if hi is not None and value > hi:
        raise ConfigError(f"{key}: {value!r} is out of range; allowed {_range_text(meta)}")
    return value


def _range_text(meta: dict) -> str:
    if meta["choices"]:
        return " | ".join(meta["choices"])
    lo, hi = meta["lo"], meta["hi"]
    if lo is None and hi is None:
        return "text"
    left = "(" if meta["lo_open"] else "["
    return f"{left}{_num(lo)}, {_num(hi)}]"


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _check_cross(cfg: Config) -> None:
    """Checks that involve more than one key."""
    inf = cfg.influencers
    keys = [*(f"influencers.{t}_min" for t in TIERS), "influencers.celebrity_max"]
    bounds = list(zip(keys, inf.tier_bounds, strict=True))
    for (ka, a), (kb, b) in itertools.pairwise(bounds):
        if not a < b:
            raise ConfigError(f"{kb}: {b:,} must be greater than {ka} ({a:,})")
    n = cfg.population.n_followers
    people = cfg.population.people
    if people < n:
        raise ConfigError(
            f"population.people: {people:,} is less than population.n_followers ({n:,}); "
            "allowed at least one person per simulated follower"
        )
    counts = inf.tier_counts
    tops = [b for (_, b), c in zip(itertools.pairwise(bounds), counts, strict=True) if c]
    if tops and tops[-1][1] > people:
        key, value = tops[-1]
        raise ConfigError(
            f"{key}: {value:,} is more than population.people ({people:,}); an audience "
            "cannot be larger than the market"
        )
    if inf.fame_size <= inf.micro_min:
        raise ConfigError(
            f"influencers.fame_size: {inf.fame_size:,} must be greater than "
            f"influencers.micro_min ({inf.micro_min:,})"
        )
    b = cfg.brands
    if b.share_micro + b.share_celebrity > 1 + 1e-12:
        raise ConfigError(
            f"brands.share_micro + brands.share_celebrity: {b.share_micro + b.share_celebrity:g}"
            " is more than 1; allowed shares that sum to at most 1"
        )
    o = cfg.our_brand
    if o.strategy != "none" and o.category >= cfg.population.n_topics:
        raise ConfigError(
            f"our_brand.category: {o.category} is not a topic; allowed 0 to "
            f"{cfg.population.n_topics - 1} (population.n_topics - 1)"
        )
    if b.seed_adopters > n:
        raise ConfigError(
            f"brands.seed_adopters: {b.seed_adopters:,} is more than population.n_followers ({n:,})"
        )
    g = cfg.graph
    if g.kind == "watts_strogatz":
        if g.k % 2:
            raise ConfigError(f"graph.k: {g.k} must be even for watts_strogatz")
        if g.k >= n:
            raise ConfigError(f"graph.k: {g.k} must be less than population.n_followers ({n})")
    if g.kind == "barabasi_albert" and g.m >= n:
        raise ConfigError(f"graph.m: {g.m} must be less than population.n_followers ({n})")
    if g.kind in ("edgelist", "graphml") and not g.file:
        raise ConfigError(f"graph.file: required when graph.kind is {g.kind!r}")
    if g.kind == "karate" and n != 34:
        raise ConfigError(f"population.n_followers: {n} but graph.kind 'karate' has 34 members")


def config_from_dict(data: dict[str, Any], base_dir: str | Path = ".") -> Config:
    """Build a validated :class:`Config` from nested dicts (TOML tables)."""
    if not isinstance(data, dict):
        raise ConfigError("config: expected a table of sections")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: unknown section; allowed sections are {', '.join(SECTIONS)}"
        )
    sections = {}
    for name, cls in SECTIONS.items():
        values = data.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(f"{name}: expected a table, got {values!r}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        bad = sorted(set(values) - set(fields))
        if bad:
            raise ConfigError(
                f"{name}.{bad[0]}: unknown key; allowed keys in [{name}] are {', '.join(fields)}"
            )
        kwargs = {k: _check_value(name, fields[k], v) for k, v in values.items()}
        if name == "our_brand" and values and "strategy" not in values:
            raise ConfigError(
                "our_brand.strategy: not set; an [our_brand] table needs one: 'micro', "
                "'celebrity' or 'mixed' ('none' for no focal brand)"
            )
        sections[name] = cls(**kwargs)
    cfg = Config(**sections, base_dir=str(base_dir))
    _check_cross(cfg)
    return cfg


def read_toml(
    path: str | Path, what: str = "scenario file", error: type[ConfigError] = ConfigError
) -> tuple[str, dict]:
    """The text and the parsed table of a TOML file; a missing, malformed or non-UTF-8 file
    raises ``error`` with one line naming the file (``what`` says which kind it should be)."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: malformed TOML: {err}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a UTF-8 text file") from None


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Load a scenario TOML file and apply ``section.key=value`` overrides."""
    path = Path(path)
    _, data = read_toml(path)
    for text in overrides:
        section, key, value = parse_override(text)
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError(f"{section}: expected a table")
        data[section][key] = value
    return config_from_dict(data, base_dir=path.parent)


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse ``section.key=value``; the value is read as a TOML value, else as a string."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(f"--set {text!r}: expected section.key=value, e.g. brands.budget=5000")
    name, raw = text.split("=", 1)
    section, key = name.strip().split(".", 1)
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return section, key, value


def apply_overrides(cfg: Config, values: dict[str, Any]) -> Config:
    """Copy of ``cfg`` with ``{"section.key": value}`` replaced, validated."""
    data = config_to_dict(cfg)
    for name, value in values.items():
        if "." not in name:
            raise ConfigError(f"{name}: expected section.key")
        section, key = name.split(".", 1)
        if section not in data:
            raise ConfigError(
                f"{section}: unknown section; allowed sections are {', '.join(SECTIONS)}"
            )
        data[section][key] = value.item() if hasattr(value, "item") else value
    return config_from_dict(data, base_dir=cfg.base_dir)


def config_to_dict(cfg: Config) -> dict[str, dict[str, Any]]:
    """Nested plain dict of every parameter (the resolved config)."""
    return {name: dataclasses.asdict(getattr(cfg, name)) for name in SECTIONS}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(v)
    return str(v)


#: Sections left out of :func:`config_to_toml` while at their defaults: an add-on that is off
#: (no focal brand) writes nothing, so a scenario without it has the same text, hash and sweep
#: fingerprint as before the section existed, and earlier sweeps still resume.
OPTIONAL_SECTIONS = ("our_brand",)


def config_to_toml(cfg: Config) -> str:
    """The resolved config as TOML text, every key written (loads back to an equal Config),
    except :data:`OPTIONAL_SECTIONS` at their defaults."""
    lines = []
    for name, values in config_to_dict(cfg).items():
        if name in OPTIONAL_SECTIONS and getattr(cfg, name) == SECTIONS[name]():
            continue
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
        lines.append("")
    return "\n".join(lines)


def config_hash(cfg: Config) -> str:
    """SHA-256 of the resolved config's TOML text."""
    return hashlib.sha256(config_to_toml(cfg).encode()).hexdigest()


def parameter_rows() -> list[dict[str, str]]:
    """One row per parameter: key, default, range, unit, meaning, source (for the docs)."""
    rows = []
    for name, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            m = f.metadata
            rows.append(
                {
                    "key": f"{name}.{f.name}",
                    "default": _toml_value(f.default)
                    if isinstance(f.default, (str, bool))
                    else _num(f.default),
                    "range": "true | false" if isinstance(f.default, bool) else _range_text(m),
                    "unit": m["unit"],
                    "meaning": m["doc"],
                    "source": m["source"],
                }
            )
    return rows
