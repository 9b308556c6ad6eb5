"""The page's information panel, in NetLogo's form, and its presets.

:data:`INFO` holds the sections of the panel (what it is, how it works, how to use it,
things to notice, things to try, extending the model, credits and references), as Markdown.
Each thing to try has one or more :class:`Preset`: one click sets the page's controls to it
and builds the market at day 0, and the text says what to compare it with (the previous run
stays on the charts, faded).

``python -m simulation.app.lessons`` runs every preset and its comparison for a year and
prints what each shows (the table in ``docs/APP.md``); the figures are single runs on one
seed, for the teacher, not evidence (``docs/RESULTS.md`` has the replicated experiments).
"""

from __future__ import annotations

import argparse
import html
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model import DEFAULT_FOLLOWERS, LEVERS, ClassroomModel, settings_for

__all__ = [
    "INFO",
    "LESSONS",
    "PRESETS",
    "Lesson",
    "Preset",
    "main",
    "preset_settings",
    "to_html",
]


@dataclass(frozen=True)
class Preset:
    """One click of the panel: a scenario and the levers it moves (the rest stay at the
    scenario's values), and the day the run pauses at.

    Attributes:
        key: a short name (tests and the page's element ids).
        button: the button's text.
        scenario: the scenario it starts from.
        levers: lever values that differ from the scenario's.
        stop_day: the day the run pauses at.
        compare: what to change next (lever values), for the previous-run comparison.
    """

    key: str
    button: str
    scenario: str
    levers: dict[str, Any] = field(default_factory=dict)
    stop_day: int = 365
    compare: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lesson:
    """One thing to try: a title, what to do and notice (Markdown), and its presets."""

    title: str
    text: str
    presets: tuple[Preset, ...]


def preset_settings(preset: Preset, n_followers: int | None = None) -> dict[str, Any]:
    """The page's settings for ``preset``: its scenario's, with the preset's levers."""
    names = {lever.name for lever in LEVERS}
    unknown = set(preset.levers) - names
    if unknown:
        raise KeyError(f"preset {preset.key}: no lever {sorted(unknown)}")
    settings = settings_for(preset.scenario, n_followers or DEFAULT_FOLLOWERS)
    return settings | dict(preset.levers)


#: The things to try, in the order the panel shows them.
LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "The unfollow effect",
        "Influencers who look no period ahead take every deal up to the cap; 40 brands "
        "buy; followers are twice as sensitive to ads as by default. **Notice** that from "
        "the first period several times more posts are sponsored than in the baseline; "
        "mean trust falls, the magenta unfollows rise and micro accounts lose most of "
        "their followers within the year while their price sinks to its floor. **Then** "
        "set *Followers' sensitivity to ads* to 0 and Reset: as many deals, no unfollows.",
        (
            Preset(
                "unfollow",
                "Set up: the unfollow effect",
                "myopic",
                {"n_brands": 40, "sponsored_cap": 16, "sensitivity": 2.0},
                compare={"sensitivity": 0.0},
            ),
        ),
    ),
    Lesson(
        "When does the cap bite?",
        "The cap on sponsored posts per 30-day period only matters when brands want more "
        "posts than influencers would take anyway. Start with **40 brands** and a cap of "
        "16, run a year, then set the cap to 2 and Reset: compare micro followers and "
        "unfollows with the faded previous run. Do the same with **5 brands**: the two runs "
        "differ much less, because few brands never ask for the posts the cap forbids.",
        (
            Preset(
                "cap_many",
                "40 brands, cap 16",
                "baseline",
                {"n_brands": 40, "sponsored_cap": 16},
                compare={"sponsored_cap": 2},
            ),
            Preset(
                "cap_few",
                "5 brands, cap 16",
                "baseline",
                {"n_brands": 5, "sponsored_cap": 16},
                compare={"sponsored_cap": 2},
            ),
        ),
    ),
    Lesson(
        "Saturation: every brand buys micro",
        "80 brands, all buying micro accounts only. **Notice** micro prices climb as brands "
        "compete for the same accounts, each dollar sells less (sales per $ of micro "
        "brands) and brands move budget back to their own posts. **Then** set *Brands* to 5 "
        "and Reset.",
        (
            Preset(
                "saturation",
                "Set up: saturation",
                "saturation",
                {"n_brands": 80},
                compare={"n_brands": 5},
            ),
        ),
    ),
    Lesson(
        "Micro against celebrity, with overhead",
        "Half the brands buy micro accounts only, half celebrities only, and all spend their "
        "whole budget on influencers whatever the return. Each relationship costs $200 a "
        "period to manage. **Notice** sales per $ of the two strategies: micro still wins, "
        "but by far less than without overhead. **Then** set *Overhead of a relationship* to "
        "0 and Reset. One micro account reaches few people, so a micro brand needs many "
        "relationships; a celebrity brand needs one.",
        (
            Preset(
                "overhead",
                "Set up: micro vs celebrity, $200 overhead",
                "celebrity_vs_micro",
                {"relationship_cost": 200.0},
                compare={"relationship_cost": 0.0},
            ),
        ),
    ),
    Lesson(
        "Our brand in the market",
        "The baseline market plus one brand of your own: $10,000 a month, buying micro "
        "accounts and its own posts (`configs/our_brand.toml`). It is the black line on "
        "*Sales value per dollar*, with its own monitors (spent, customers). **Notice** how "
        "its sales per $ compare with the other micro brands'. **Then** set *Brands buying "
        "micro accounts only* to 1 and *Brands buying celebrities only* to 0, and Reset: "
        "every brand now competes "
        "for the same micro accounts. What happens to the micro price and to our brand's "
        "sales per $? One run is one draw of luck: `influencer-sim compare` measures the "
        "difference over many.",
        (
            Preset(
                "our_brand",
                "Set up: our brand",
                "our_brand",
                {},
                compare={"share_micro": 1.0, "share_celebrity": 0.0},
            ),
        ),
    ),
    Lesson(
        "The matching platform",
        "Every brand uses a platform that shows it every account of its category and removes "
        "70% of the overhead ($200 a relationship here), for a 20% fee. **Notice** the deals "
        "(share of posts sponsored), the budget used and influencers' income. **Then** set "
        "*Brands on the matching platform* to 0 and Reset: without it brands find only 15 new "
        "accounts a period and leave budget unspent.",
        (
            Preset(
                "platform",
                "Set up: the platform",
                "baseline",
                {"relationship_cost": 200.0, "platform_share": 1.0},
                compare={"platform_share": 0.0},
            ),
        ),
    ),
    Lesson(
        "The algorithm change",
        "From day 180 the feed shows brands' own posts to 80% fewer people. **Notice** the "
        "brands' budget for their own posts (grey line) drop, the budget used fall and "
        "fewer followers buy: brands turn to influencers, but buy only posts that pay, and "
        "lose customers anyway. **Then** set the demotion to 0 and Reset.",
        (
            Preset(
                "algorithm",
                "Set up: the algorithm change",
                "baseline",
                {"brand_demotion": 0.8, "change_step": 180},
                compare={"brand_demotion": 0.0},
            ),
        ),
    ),
)

#: Every preset, by key.
PRESETS: dict[str, Preset] = {p.key: p for lesson in LESSONS for p in lesson.presets}

#: The information panel: (heading, Markdown), in NetLogo's order. "Things to try" is
#: :data:`LESSONS` (the page adds its preset buttons).
INFO: tuple[tuple[str, str], ...] = (
    (
        "What is it?",
        "A market for influencer marketing, one day per step. Brands pay influencers, from "
        "nano accounts with a few hundred followers to celebrities, for sponsored posts. "
        "Followers see posts, engage, buy, lose trust when an account they follow turns too "
        "commercial, tire of ads and unfollow. Which influencers pay for a brand, and what "
        "happens to a market when everyone advertises?",
    ),
    (
        "How it works",
        "Every 30 days (a *period*) influencers decide how many sponsored posts to take, "
        "weighing fees against the followers they expect to lose over their *foresight*; "
        "brands split their budget between their own posts and the tiers their strategy "
        "buys (micro only, celebrities only, or every tier), estimate what a post would sell "
        "and offer deals that clear their *hurdle*. Each day influencers post and followers "
        "who see a post may engage and buy. An account whose posts are too commercial loses "
        "its followers' trust (faster for *sensitive* followers); followers with little "
        "trust unfollow, and ads seen build fatigue. At the end of a period prices move "
        "with demand and brands move budget toward what sold.\n\n"
        "A simulated follower stands for many people (the line above the charts says how "
        "many); every count on the page is in people. Full description: `docs/ODD.md`.",
    ),
    (
        "How to use it",
        "▶ runs the market, ❚❚ pauses it, *Step* adds one day. The run pauses at the stop "
        "day (365 unless you change it); ▶ then runs on. Move a slider and press **Reset**: "
        "the market is rebuilt at day 0 with the new values, and the previous run stays on "
        "the charts, faded and dashed, so the two compare. The *Scenario* menu moves every "
        "slider to a scenario's values. Each slider shows its value and unit and, below it, "
        "its name in the parameter table (`docs/CONFIG.md`). Each tab has its own market.",
    ),
    (
        "Things to notice",
        "- Engagement falls with account size: the nano and micro lines sit above macro and "
        "celebrity (calibrated to Markerly's 2016 figures, so this is by construction).\n"
        "- At the defaults no brand buys a celebrity post: celebrity prices sink to their "
        "floor, half the list price, and brands buying celebrities spend only on their own "
        "posts (`docs/RESULTS.md`).\n"
        "- Most prices fall at the first repricing (day 30), then settle.\n"
        "- Only a few percent of posts are sponsored and trust hardly moves: influencers who "
        "look ahead take about 3 sponsored posts a period, fewer than the cap of 8.",
    ),
    ("Things to try", ""),
    (
        "Extending the model",
        "- Let followers learn to recognise paid posts (persuasion knowledge, Eisend et al. "
        "2020) instead of reacting to an account's share of them.\n"
        "- Let the platform choose its fee, or let several platforms compete.\n"
        "- Negotiate each deal's price instead of clearing prices once a period.\n"
        "- Let the feed demote sponsored posts too, not only brands' own.\n\n"
        "Each rule is one function of `simulation/mechanisms.py`, with its formula and "
        "source; the sliders are `LEVERS` in `simulation/app/model.py`.",
    ),
    (
        "Credits and references",
        "influencer-sim (MIT licence; cite with `CITATION.cff`), built on Mesa 3 and Solara. "
        "Figures and models it draws on: Markerly 2016 (engagement by "
        "size); Experticity / Keller Fay 2016 and ExpertVoice 2018 (trust in "
        "recommendations); Mediakix 2017 and Influencer Marketing Hub 2021-2024 (prices); "
        "Tomoson 2015 (earned media value); Rakuten 2019 and Takumi 2019 (unfollowing); "
        "Wearisma 2018 (sponsored share); Fainmesser & Galeotti 2021 (endorsement "
        "economics); Bakshy et al. 2011 (cost-effective seeding); Bass 1969 and Kempe, "
        "Kleinberg & Tardos 2003 (the diffusion models it contains). Every source in full: "
        "`docs/REFERENCES.md`; what was fitted to what: `docs/CALIBRATION.md`.",
    ),
)


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def to_html(text: str) -> str:
    """The panel's Markdown as HTML: paragraphs (blank lines), lists (``- `` lines),
    ``**bold**``, ``*italic*`` and ```code```, all the panel uses; everything else is
    escaped. (Solara's Markdown reads "$200 ... $50" as mathematics and fetches a renderer
    for it from the internet.)"""
    out = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        elif lines:
            out.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "".join(out)


# -- what each preset shows (python -m simulation.app.lessons) ----------------------------


def _outcome(model: ClassroomModel) -> dict[str, float]:
    """The figures the lessons point at, from one run."""
    mv = model.datacollector.model_vars

    def col(name: str) -> np.ndarray:
        return np.asarray(mv[name], dtype=float)

    def tail(name: str, days: int = 30) -> float:
        return float(np.nanmean(col(name)[-days:]))

    spons, posts = col("sponsored_posts"), col("posts")
    brands = [model.brand(k) for k in range(model.state.n_brands)]
    budgeted = sum(float(b.budgeted.sum()) for b in brands)
    return {
        "micro followers, day end / day 1": float(
            col("followers_micro")[-1] / col("followers_micro")[0]
        ),
        "mean trust, last 30 days": tail("mean_trust"),
        "unfollows per day, last 30 days (people)": tail("unfollows"),
        "sponsored share of posts, last 30 days": float(
            spons[-30:].sum() / max(posts[-30:].sum(), 1)
        ),
        "micro price, day end / day 1": float(col("price_micro")[-1] / col("price_micro")[0]),
        "sales per $, micro brands": float(col("sales_per_dollar_micro")[-1]),
        "sales per $, mixed brands": float(col("sales_per_dollar_mixed")[-1]),
        "sales per $, celebrity brands": float(col("sales_per_dollar_celebrity")[-1]),
        "own posts' budget share, day end": float(col("budget_share_own")[-1]),
        "budget spent / budget": sum(b.spend for b in brands) / budgeted if budgeted else np.nan,
        "customers per day, last 90 days (people)": float(
            np.nanmean((col("customers") + col("customers_own") + col("customers_wom"))[-90:])
        ),
    }


#: For each preset, the figures of :func:`_outcome` its lesson points at.
SHOWN: dict[str, tuple[str, ...]] = {
    "unfollow": (
        "micro followers, day end / day 1",
        "mean trust, last 30 days",
        "unfollows per day, last 30 days (people)",
    ),
    "cap_many": ("micro followers, day end / day 1", "unfollows per day, last 30 days (people)"),
    "cap_few": ("micro followers, day end / day 1", "unfollows per day, last 30 days (people)"),
    "saturation": (
        "micro price, day end / day 1",
        "sales per $, micro brands",
        "own posts' budget share, day end",
    ),
    "overhead": ("sales per $, micro brands", "sales per $, celebrity brands"),
    "platform": (
        "sponsored share of posts, last 30 days",
        "budget spent / budget",
        "sales per $, micro brands",
    ),
    "algorithm": (
        "own posts' budget share, day end",
        "budget spent / budget",
        "customers per day, last 90 days (people)",
    ),
}


def run_preset(
    preset: Preset, compare: bool = False, n_followers: int = 10_000, seed: int | None = None
) -> dict[str, float]:
    """Run ``preset`` (with its comparison's levers if ``compare``) to its stop day."""
    settings = preset_settings(preset, n_followers) | (preset.compare if compare else {})
    if seed is not None:
        settings["seed"] = seed
    model = ClassroomModel(**settings)
    for _ in range(preset.stop_day):
        model.step()
    return _outcome(model)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def main(argv: list[str] | None = None) -> int:
    """Print, for every preset, the figures its lesson points at, and the same after the
    change its text suggests (Markdown table)."""
    ap = argparse.ArgumentParser(prog="python -m simulation.app.lessons", description=main.__doc__)
    ap.add_argument("--followers", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=None, help="default: each scenario's own")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    print("| preset | then | figure | preset | after the change |")
    print("| --- | --- | --- | --- | --- |")
    for key, preset in PRESETS.items():
        a = run_preset(preset, False, args.followers, args.seed)
        b = run_preset(preset, True, args.followers, args.seed)
        change = ", ".join(
            next(lv for lv in LEVERS if lv.name == k).label + f" {v:g}"
            for k, v in preset.compare.items()
        )
        for i, name in enumerate(SHOWN[key]):
            print(
                f"| {key if i == 0 else ''} | {change if i == 0 else ''} | {name} "
                f"| {_fmt(a[name])} | {_fmt(b[name])} |"
            )
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
