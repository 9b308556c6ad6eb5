"""The market's names: influencer tiers, brand strategies and budget channels, and their indices.

Declared once, here; every other module and every test imports them. The state's arrays hold
indices into these tuples (``MarketState.tier``, ``MarketState.strategy``, the channel axis of
``MarketState.shares`` and of a brand's books); tables, files and parameters use the names
(``influencers.n_<tier>``, ``engagement_rate_<tier>``, ``sales_per_dollar_<strategy>``,
``budget_share_<channel>``).
"""

from __future__ import annotations

__all__ = [
    "CELEBRITY",
    "CHANNELS",
    "MACRO",
    "MICRO",
    "MID",
    "NANO",
    "OWN",
    "STRATEGIES",
    "STRATEGY_CELEBRITY",
    "STRATEGY_MICRO",
    "STRATEGY_MIXED",
    "STRATEGY_TIERS",
    "TIERS",
    "TIER_CHANNELS",
    "tier_channel",
]

#: Influencer tiers, smallest first. Their follower boundaries are parameters of
#: ``[influencers]`` (``<tier>_min``, and ``celebrity_max``).
TIERS: tuple[str, ...] = ("nano", "micro", "mid", "macro", "celebrity")
#: Index of each tier in ``TIERS`` (the values of ``MarketState.tier``).
NANO, MICRO, MID, MACRO, CELEBRITY = range(len(TIERS))

#: Brand strategies: the tiers a brand may buy from (``STRATEGY_TIERS``).
STRATEGIES: tuple[str, ...] = ("micro", "celebrity", "mixed")
#: Index of each strategy in ``STRATEGIES`` (the values of ``MarketState.strategy``).
STRATEGY_MICRO, STRATEGY_CELEBRITY, STRATEGY_MIXED = range(len(STRATEGIES))
#: The tiers (indices into ``TIERS``) each strategy recruits from.
STRATEGY_TIERS: dict[str, tuple[int, ...]] = {
    STRATEGIES[STRATEGY_MICRO]: (MICRO,),
    STRATEGIES[STRATEGY_CELEBRITY]: (CELEBRITY,),
    STRATEGIES[STRATEGY_MIXED]: tuple(range(len(TIERS))),
}

#: A brand's budget channels: its own posts, then one per influencer tier (``TIERS`` order).
CHANNELS: tuple[str, ...] = ("own", *TIERS)
#: Index of the own-posts channel in ``CHANNELS``.
OWN = 0
#: The tier channels of a by-channel array: ``books[TIER_CHANNELS]`` is in ``TIERS`` order.
TIER_CHANNELS = slice(OWN + 1, None)


def tier_channel(tier):
    """Channel index (into ``CHANNELS``) of a tier index, or of an array of them:
    ``channel = 1 + tier``."""
    return OWN + 1 + tier
