"""The page's model: the market with the classroom's levers as keyword arguments.

The page builds ``ClassroomModel(scenario=..., seed=..., n_followers=..., **levers)``; each
lever is mapped to a config key (:data:`LEVERS`) and applied with
:func:`~simulation.config.apply_overrides`, so the market itself is :class:`MarketModel`,
unchanged. A lever's unit and meaning are those of its config key (``simulation/config.py``,
the parameter table of ``docs/CONFIG.md``). :class:`NetworkSample` is the bounded view of the
graph that the page draws.

Nothing here imports solara, so the wiring is testable without the web extra.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .. import mechanisms as mech
from .. import resources
from ..config import SECTIONS, Config, ConfigError, apply_overrides, config_to_dict, load_config
from ..model import MarketModel

__all__ = [
    "DEFAULT_FOLLOWERS",
    "FOLLOWERS",
    "LEVERS",
    "MIN_FOLLOWERS",
    "SAMPLE_FOLLOWERS",
    "ClassroomModel",
    "Lever",
    "NetworkSample",
    "lever_overrides",
    "lever_values",
    "page_scenarios",
    "parameter",
    "scenario_config",
    "scenario_names",
    "settings_for",
]

#: Followers simulated on the page unless the teacher moves the slider: large enough for
#: the figures to mean something, small enough to run at classroom speed.
DEFAULT_FOLLOWERS = 10_000

#: The fewest simulated followers the page's slider offers; scenarios with fewer (a
#: 50-follower cascade, the test market) are not offered on the page.
MIN_FOLLOWERS = 1_000

#: Most followers the network view draws (all influencers are always drawn).
SAMPLE_FOLLOWERS = 300


@cache
def parameter(key: str) -> dict[str, Any]:
    """The declaration of config key ``section.name``: its ``unit``, ``doc`` (meaning),
    ``lo`` and ``hi`` (allowed range) and ``default``, as ``simulation/config.py`` declares
    them (the parameter table of ``docs/CONFIG.md``)."""
    section, name = key.split(".")
    for f in dataclasses.fields(SECTIONS[section]):
        if f.name == name:
            return {**f.metadata, "default": f.default}
    raise KeyError(key)


@dataclass(frozen=True)
class Lever:
    """One slider of the page.

    Attributes:
        name: the keyword of :class:`ClassroomModel`.
        key: the config key it sets.
        label: what the page calls it.
        kind: ``"int"`` or ``"float"``.
        lo, hi, step: the slider's range (a scenario value outside it widens it).
        what: the unit the page shows when the parameter table gives none (a count or a
            share of something); a key with a unit in the table always shows that unit.
    """

    name: str
    key: str
    label: str
    kind: str
    lo: float
    hi: float
    step: float
    what: str = ""

    @property
    def unit(self) -> str:
        """The unit of the config key in the parameter table, else :attr:`what`."""
        return parameter(self.key)["unit"] or self.what

    @property
    def meaning(self) -> str:
        """The config key's meaning, from the parameter table."""
        return parameter(self.key)["doc"]

    def clean(self, value: Any) -> int | float:
        """A slider value as the config key takes it: a whole number for an integer lever,
        a float rounded to the slider's step otherwise (no 0.30000000000000004)."""
        if self.kind == "int":
            return round(float(value))
        decimals = max(0, -int(np.floor(np.log10(self.step)))) + 2 if self.step < 1 else 2
        return round(float(value), decimals)

    def text(self, value: Any) -> str:
        """The value with its unit, as the slider shows it (``20 brands``, ``0.40 share of
        brands``, ``50 $/relationship/period``)."""
        v = self.clean(value)
        if self.kind == "int":
            number = f"{v:,}"
        elif self.step < 0.1:
            number = f"{v:.2f}"
        elif self.step < 1:
            number = f"{v:.1f}"
        else:
            number = f"{v:,.0f}"
        if self.unit == "day":
            return f"day {number}"
        return f"{number} {self.unit}".strip()


#: The classroom's levers, in the order the page shows them.
LEVERS: tuple[Lever, ...] = (
    Lever("n_brands", "brands.n_brands", "Brands", "int", 0, 100, 1, "brands"),
    Lever(
        "share_micro",
        "brands.share_micro",
        "Brands buying micro accounts only",
        "float",
        0,
        1,
        0.05,
        "share of brands",
    ),
    Lever(
        "share_celebrity",
        "brands.share_celebrity",
        "Brands buying celebrities only",
        "float",
        0,
        1,
        0.05,
        "share of brands",
    ),
    Lever("hurdle", "brands.hurdle", "Brands' hurdle (sales per $)", "float", 0, 2, 0.1),
    Lever(
        "relationship_cost",
        "brands.relationship_cost",
        "Overhead of a relationship",
        "float",
        0,
        200,
        10,
    ),
    Lever(
        "platform_share",
        "brands.platform_share",
        "Brands on the matching platform",
        "float",
        0,
        1,
        0.1,
        "share of brands",
    ),
    Lever(
        "sponsored_cap",
        "influencers.sponsored_cap",
        "Cap on sponsored posts",
        "int",
        0,
        30,
        1,
    ),
    Lever("lookahead", "influencers.lookahead", "Influencers' foresight", "float", 0, 24, 1),
    Lever(
        "sensitivity",
        "population.sensitivity_mean",
        "Followers' sensitivity to ads",
        "float",
        0,
        4,
        0.1,
        "x trust erosion",
    ),
    Lever(
        "brand_demotion",
        "algorithm.brand_demotion",
        "Feed demotes brands' own posts by",
        "float",
        0,
        1,
        0.1,
        "share of their reach",
    ),
    Lever(
        "change_step",
        "algorithm.change_step",
        "Demotion starts on day",
        "int",
        0,
        730,
        5,
        "day",
    ),
)

#: The population slider (``population.n_followers``).
FOLLOWERS = Lever(
    "n_followers",
    "population.n_followers",
    "Simulated followers",
    "int",
    MIN_FOLLOWERS,
    50_000,
    1_000,
)


def scenario_names(folder: str | Path | None = None) -> list[str]:
    """Names of the scenario files in ``folder`` (default: the shipped scenarios, found by
    :mod:`simulation.resources`; read now: the folder grows), calibration targets files left
    out."""
    folder = Path(folder) if folder is not None else resources.configs_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if not resources.is_targets_file(p))


def scenario_config(name: str, folder: str | Path | None = None) -> Config:
    """The scenario ``NAME.toml`` of ``folder`` (default: the shipped scenarios), or the
    defaults if there is no such file."""
    folder = Path(folder) if folder is not None else resources.configs_dir()
    path = folder / f"{name}.toml"
    return load_config(path) if path.is_file() else Config()


def page_scenarios(folder: str | Path | None = None) -> list[str]:
    """The scenarios the page offers: those that simulate at least :data:`MIN_FOLLOWERS`
    followers (a 50-follower cascade or the tests' tiny market would not fit the slider)."""
    out = []
    for name in scenario_names(folder):
        try:
            cfg = scenario_config(name, folder)
        except ConfigError:
            continue
        if cfg.population.n_followers >= MIN_FOLLOWERS:
            out.append(name)
    return out


def lever_values(cfg: Config) -> dict[str, Any]:
    """The value of every lever in a config."""
    data = config_to_dict(cfg)
    out = {}
    for lever in LEVERS:
        section, key = lever.key.split(".")
        out[lever.name] = lever.clean(data[section][key])
    return out


def settings_for(scenario: str, n_followers: int = DEFAULT_FOLLOWERS) -> dict[str, Any]:
    """What the page's controls show when ``scenario`` is picked: the scenario, its seed,
    its population up to ``n_followers`` (the page keeps the population it simulates: a
    scenario's 100,000 followers would be slow in a classroom), and every lever at its
    value."""
    cfg = scenario_config(scenario)
    return {
        "scenario": scenario,
        "seed": cfg.run.seed,
        "n_followers": min(cfg.population.n_followers, int(n_followers)),
        **lever_values(cfg),
    }


def lever_overrides(
    base: Config, n_followers: int, levers: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Config overrides for the page's levers, adjusted to stay valid.

    Args:
        base: the chosen scenario.
        n_followers: simulated followers (at least one); the represented population
            (``population.people``) is raised to it if smaller.
        levers: values by lever name; ``None`` or a missing name keeps the scenario's value.

    Returns:
        ``({"section.key": value}, notes)``: the overrides and, for each adjustment made
        (celebrity share cut so the shares add up to 1, a combination the scenario cannot
        take), a note for the page.
    """
    notes: list[str] = []
    n = max(int(n_followers), 1)
    size: dict[str, Any] = {"population.n_followers": n}
    if base.population.people < n:
        size["population.people"] = n
    values = dict(size)
    for lever in LEVERS:
        value = levers.get(lever.name)
        if value is not None:
            values[lever.key] = lever.clean(value)
    micro = values.get("brands.share_micro", base.brands.share_micro)
    celeb = values.get("brands.share_celebrity", base.brands.share_celebrity)
    if micro + celeb > 1 + 1e-12:
        values["brands.share_celebrity"] = round(1.0 - micro, 10)
        notes.append(f"celebrity share cut to {1.0 - micro:.2f}: the shares of brands add up to 1")
    for candidate in (values, size, {}):
        try:
            apply_overrides(base, candidate)
        except ConfigError as err:  # e.g. a scenario whose graph fixes the population
            notes.append(f"ignored {', '.join(candidate)}: {err}")
            continue
        return candidate, notes
    return {}, notes  # pragma: no cover (the scenario itself loaded, so {} is valid)


class ClassroomModel(MarketModel):
    """The market of a scenario with the page's levers applied.

    Args:
        scenario: name of a file in ``configs/`` (without ``.toml``).
        seed: seed of the run (text from the page is accepted; blank keeps the scenario's).
        n_followers: simulated followers (``population.n_followers``).
        n_brands, share_micro, share_celebrity, hurdle, relationship_cost, platform_share,
            sponsored_cap, lookahead, sensitivity, brand_demotion, change_step: the levers
            (:data:`LEVERS` gives the config key of each); ``None`` keeps the scenario's
            value.
        sample_size: most followers in the network view.

    Attributes:
        scenario: the scenario run.
        overrides: the config keys the levers set, ``{"section.key": value}``.
        notes: adjustments made to keep the config valid (shown on the page).
        sample: the network view's bounded sample (:class:`NetworkSample`).
    """

    def __init__(
        self,
        scenario: str = "baseline",
        seed: int | str | None = None,
        n_followers: int = DEFAULT_FOLLOWERS,
        n_brands: int | None = None,
        share_micro: float | None = None,
        share_celebrity: float | None = None,
        hurdle: float | None = None,
        relationship_cost: float | None = None,
        platform_share: float | None = None,
        sponsored_cap: int | None = None,
        lookahead: float | None = None,
        sensitivity: float | None = None,
        brand_demotion: float | None = None,
        change_step: int | None = None,
        sample_size: int = SAMPLE_FOLLOWERS,
    ):
        levers = {
            "n_brands": n_brands,
            "share_micro": share_micro,
            "share_celebrity": share_celebrity,
            "hurdle": hurdle,
            "relationship_cost": relationship_cost,
            "platform_share": platform_share,
            "sponsored_cap": sponsored_cap,
            "lookahead": lookahead,
            "sensitivity": sensitivity,
            "brand_demotion": brand_demotion,
            "change_step": change_step,
        }
        base = scenario_config(scenario)
        self.scenario = scenario
        self.overrides, self.notes = lever_overrides(base, n_followers, levers)
        cfg = apply_overrides(base, self.overrides)
        seed_value = _parse_seed(seed)
        if seed is not None and seed_value is None:
            self.notes.append(f"seed {seed!r} is not a whole number; kept the scenario's")
        super().__init__(cfg, seed=seed_value)
        self.sample = NetworkSample(self, sample_size)


def _parse_seed(seed: int | str | None) -> int | None:
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return None
    try:
        value = int(str(seed).strip())
    except ValueError:
        return None
    return value if value >= 0 else None


class NetworkSample:
    """A fixed sample of followers and every influencer, laid out once, for drawing.

    The sample and layout come from a Generator derived from the run's seed but separate
    from the run's own, so that drawing the page never changes the market's trajectory (a
    page run and ``influencer-sim run`` with the same seed are the same run). The edges of
    the sampled followers are tracked by row (edge rows are never reused), so a frame costs
    the same at ten thousand followers as at a million.

    Args:
        model: the market.
        size: most followers in the sample.
    """

    def __init__(self, model: MarketModel, size: int = SAMPLE_FOLLOWERS):
        st = model.state
        e = st.edges
        rng = np.random.default_rng([model.seed_value, 0x5A])
        following = np.unique(e.src[: e.n][e.active[: e.n]])
        pool = following if following.size else np.arange(st.n_followers)
        k = min(size, pool.size)
        self.followers = np.sort(rng.choice(pool, size=k, replace=False))
        self.member = np.zeros(st.n_followers, bool)
        self.member[self.followers] = True
        self.rows = np.flatnonzero(self.member[e.src[: e.n]])
        self.seen_rows = e.n
        self.model = model
        self.positions = self._layout(rng)
        self.step = -1
        self.removed = np.zeros(0, np.int64)
        self.added = np.zeros(0, np.int64)
        self.unfollows_seen = 0
        self._was_active = e.active[self.rows].copy()

    def _layout(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Positions: influencers on a ring in one sector per topic (smallest tier first
        within a sector); each sampled follower inside the ring, in its primary topic's
        sector, so that topical audiences show as short spokes and broad ones as chords."""
        st = self.model.state
        m = st.n_influencers
        k = self.model.cfg.population.n_topics
        sector = 2 * np.pi / k
        inf_topic = st.inf_topic.astype(np.int64)
        order = np.lexsort((np.arange(m), st.tier, inf_topic))
        per_topic = np.bincount(inf_topic, minlength=k)
        first = np.concatenate([[0], np.cumsum(per_topic)[:-1]])
        rank = np.empty(m)
        rank[order] = np.arange(m) - first[inf_topic[order]]
        angle = (inf_topic + (rank + 0.5) / np.maximum(per_topic[inf_topic], 1)) * sector
        inf_xy = np.column_stack([np.cos(angle), np.sin(angle)])
        topic = st.topic[self.followers].astype(np.int64)
        theta = (topic + 0.5 + rng.uniform(-0.4, 0.4, topic.size)) * sector
        radius = 0.3 + 0.5 * np.sqrt(rng.random(topic.size))
        f_xy = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])
        index = np.zeros(st.n_followers, np.int64)
        index[self.followers] = np.arange(self.followers.size) + m
        return {"influencers": inf_xy, "followers": f_xy, "index": index}

    def update(self) -> None:
        """Bring the sample to the model's current step (once per step, however many
        times the page redraws): edges unfollowed and followed since the last step drawn."""
        model = self.model
        if model.steps == self.step:
            return
        e = model.state.edges
        if e.n > self.seen_rows:
            new = np.arange(self.seen_rows, e.n)
            new = new[self.member[e.src[new]]]
            self.rows = np.concatenate([self.rows, new])
            self._was_active = np.concatenate([self._was_active, np.ones(new.size, bool)])
            self.added = new
            self.seen_rows = e.n
        else:
            self.added = np.zeros(0, np.int64)
        now = e.active[self.rows]
        self.removed = self.rows[self._was_active & ~now]
        self.unfollows_seen += int(self.removed.size)
        self._was_active = now.copy()
        self.step = model.steps

    def frame(self, color_by: str = "trust") -> dict[str, np.ndarray]:
        """What the network view draws now.

        Returns a dict of arrays: ``inf_xy``, ``inf_followers``, ``inf_tier``;
        ``f_xy`` and ``f_value`` (each sampled follower's mean trust in the accounts it
        follows, its ad fatigue, or 1 if it has bought a brand's product, by ``color_by``);
        ``segments`` (every follow edge of the sample ever,
        in a fixed order that only grows) and ``active`` (whether each is followed now);
        ``edges`` (the active ones), ``removed`` (unfollowed since the last step drawn) and
        ``added`` (new follows since then), all as (k, 2, 2) segments.
        """
        self.update()
        model, st = self.model, self.model.state
        e = st.edges
        pos = self.positions
        index = pos["index"]
        xy = np.vstack([pos["influencers"], pos["followers"]])
        n_f = self.followers.size
        if color_by == "fatigue":
            f_value = mech.fatigue_level(
                st.exposures[self.followers], model.cfg.behaviour.fatigue_scale
            )
        elif color_by == "adopted":
            f_value = st.any_adopted[self.followers].astype(float)
        else:
            act = self.rows[e.active[self.rows]]
            slot = index[e.src[act]] - st.n_influencers
            total = np.bincount(slot, weights=e.trust[act], minlength=n_f)
            count = np.bincount(slot, minlength=n_f)
            f_value = np.divide(total, count, out=np.full(n_f, np.nan), where=count > 0)

        def segments(rows: np.ndarray) -> np.ndarray:
            a = xy[index[e.src[rows]]]
            b = xy[e.dst[rows]]
            return np.stack([a, b], axis=1).reshape(-1, 2, 2)

        active = e.active[self.rows]
        every = segments(self.rows)
        return {
            "inf_xy": pos["influencers"],
            "inf_followers": st.follower_counts(),
            "inf_tier": st.tier,
            "f_xy": pos["followers"],
            "f_value": f_value,
            "segments": every,
            "active": active,
            "edges": every[active],
            "removed": segments(self.removed),
            "added": segments(self.added),
        }
