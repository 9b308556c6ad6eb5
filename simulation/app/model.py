"""The page's model: the market with the classroom's levers as keyword arguments.

Mesa's SolaraViz re-creates the model on reset as ``ClassroomModel(**slider_values)``, so the
levers are keyword arguments here, mapped to config keys (:data:`LEVERS`) and applied with
:func:`~simulation.config.apply_overrides`; the market itself is :class:`MarketModel`,
unchanged. :class:`NetworkSample` is the bounded view of the graph that the page draws.

Nothing here imports solara, so the wiring is testable without the web extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import mechanisms as mech
from .. import resources
from ..config import Config, ConfigError, apply_overrides, config_to_dict, load_config
from ..model import MarketModel

__all__ = [
    "DEFAULT_FOLLOWERS",
    "LEVERS",
    "RENDER_INTERVAL",
    "SAMPLE_FOLLOWERS",
    "ClassroomModel",
    "Lever",
    "NetworkSample",
    "lever_overrides",
    "lever_values",
    "scenario_config",
    "scenario_names",
]

#: Followers simulated on the page unless the teacher moves the slider: large enough for
#: the figures to mean something, small enough to run at classroom speed.
DEFAULT_FOLLOWERS = 10_000

#: Days simulated between two redraws while the page plays (Mesa's "Render Interval"
#: slider starts here). A frame costs about as much as ten days of the market at 10,000
#: followers, so redrawing every few days keeps the market moving at classroom speed.
RENDER_INTERVAL = 3

#: Most followers the network view draws (all influencers are always drawn).
SAMPLE_FOLLOWERS = 300


@dataclass(frozen=True)
class Lever:
    """One slider of the page: its keyword, the config key it sets, its label and range."""

    name: str
    key: str
    label: str
    kind: str  # "int", "float" or "switch" (0 or 1)
    lo: float = 0
    hi: float = 1
    step: float = 1


#: The classroom's levers, in the order the page shows them.
LEVERS: tuple[Lever, ...] = (
    Lever("n_brands", "brands.n_brands", "Brands", "int", 0, 40, 1),
    Lever("share_micro", "brands.share_micro", "Micro buyers", "float", 0, 1, 0.05),
    Lever("share_celebrity", "brands.share_celebrity", "Celebrity buyers", "float", 0, 1, 0.05),
    Lever("sponsored_cap", "influencers.sponsored_cap", "Ads per week cap", "int", 0, 7, 1),
    Lever("sensitivity", "population.sensitivity_mean", "Ad sensitivity", "float", 0, 3, 0.1),
    Lever(
        "relationship_cost",
        "brands.relationship_cost",
        "Overhead $/deal",
        "float",
        0,
        200,
        10,
    ),
    Lever("platform", "brands.platform_share", "Matching platform on", "switch"),
)


def scenario_names(folder: str | Path | None = None) -> list[str]:
    """Names of the scenario files in ``folder`` (default: the shipped scenarios, found by
    :mod:`simulation.resources`; read now: the folder grows)."""
    folder = Path(folder) if folder is not None else resources.configs_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def scenario_config(name: str, folder: str | Path | None = None) -> Config:
    """The scenario ``NAME.toml`` of ``folder`` (default: the shipped scenarios), or the
    defaults if there is no such file."""
    folder = Path(folder) if folder is not None else resources.configs_dir()
    path = folder / f"{name}.toml"
    return load_config(path) if path.is_file() else Config()


def lever_values(cfg: Config) -> dict[str, Any]:
    """The value of every lever in a config (what an untouched slider stands for)."""
    data = config_to_dict(cfg)
    out = {}
    for lever in LEVERS:
        section, key = lever.key.split(".")
        value = data[section][key]
        out[lever.name] = bool(value >= 0.5) if lever.kind == "switch" else value
    return out


def lever_overrides(
    base: Config,
    n_followers: int,
    levers: dict[str, Any],
    start: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Config overrides for the page's levers, adjusted to stay valid.

    Args:
        base: the chosen scenario.
        n_followers: simulated followers (at least one). While the
            slider is at its start position, the scenario's own population is used if it is
            smaller (a 50-follower cascade stays 50 followers).
        levers: values by lever name; ``None`` keeps the scenario's value.
        start: lever values the page started with; a lever still there keeps the scenario's
            value (see :class:`ClassroomModel`).

    Returns:
        ``({"section.key": value}, notes)``: the overrides and, for each adjustment made
        (celebrity share cut so the shares add up to 1, a combination
        the scenario cannot take), a note for the page.
    """
    start = start or {}
    notes: list[str] = []
    size: dict[str, Any] = {}
    if start.get("n_followers") == n_followers:
        # untouched: the scenario's own population, but no more than the page's default
        n_followers = min(base.population.n_followers, int(n_followers))
    n = max(int(n_followers), 1)
    size["population.n_followers"] = n
    if base.population.people < n:
        size["population.people"] = n
    values = dict(size)
    for lever in LEVERS:
        value = levers.get(lever.name)
        if value is None or (lever.name in start and value == start[lever.name]):
            continue
        if lever.kind == "switch":
            value = 1.0 if value else 0.0
        elif lever.kind == "int":
            value = int(value)
        else:
            value = float(value)
        values[lever.key] = value
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
        n_brands, share_micro, share_celebrity, sponsored_cap, sensitivity,
            relationship_cost, platform: the levers (:data:`LEVERS` gives the config key of
            each); ``None`` keeps the scenario's value.
        start: the slider positions the page started with. A lever still at its start
            position keeps the chosen scenario's own value, so choosing a scenario on the
            page runs that scenario; a moved lever overrides it. Without ``start`` every
            lever given is applied.
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
        sponsored_cap: int | None = None,
        sensitivity: float | None = None,
        relationship_cost: float | None = None,
        platform: bool | None = None,
        start: dict[str, Any] | None = None,
        sample_size: int = SAMPLE_FOLLOWERS,
    ):
        levers = {
            "n_brands": n_brands,
            "share_micro": share_micro,
            "share_celebrity": share_celebrity,
            "sponsored_cap": sponsored_cap,
            "sensitivity": sensitivity,
            "relationship_cost": relationship_cost,
            "platform": platform,
        }
        base = scenario_config(scenario)
        self.scenario = scenario
        self.overrides, self.notes = lever_overrides(base, n_followers, levers, start)
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
