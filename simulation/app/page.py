"""The classroom page: the influencer market running in the browser.

Run it with ``influencer-sim app`` or ``solara run simulation/app/page.py`` (needs the
``app`` extra: ``pip install .[app]``). It is Mesa's SolaraViz around
:class:`~simulation.app.model.ClassroomModel`: the sidebar holds Mesa's play, pause, step
and reset buttons, the scenario, the seed and the levers; the main area holds a short text,
the network view and the charts. The page reads the model and never changes the market; it
only marks a model finished when its page is closed (:func:`_stop_when_closed`).

``INFLUENCER_SIM_SCENARIO`` names the scenario the page starts with (``baseline`` if unset).
"""

from __future__ import annotations

import math
import os
import weakref

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from simulation.app.charts import CHARTS, FOLLOWER_COLORS, ChartCanvas, NetworkCanvas
from simulation.app.model import (
    DEFAULT_FOLLOWERS,
    LEVERS,
    RENDER_INTERVAL,
    ClassroomModel,
    lever_values,
    scenario_config,
    scenario_names,
)

__all__ = ["model_params", "page"]


ABOUT = """
**What you see.** A market for influencer marketing, one day per step. Brands pay influencers
for sponsored posts; followers engage, lose **trust** when too many posts are ads, and
**unfollow**. Brands buy **micro** influencers, **celebrities** or a **mix**.
**Network** (a sample): ring dots are influencers (size: followers, colour: tier), inner dots
followers (colour: trust, ad fatigue or purchase); magenta lines are unfollows since the last
frame, cyan new follows. **Charts**: engagement, prices and followers by tier, unfollows,
sales per dollar by brand strategy, budgets, purchases; each tier and strategy keeps its
colour everywhere (micro green, celebrity red, mixed blue). Move a slider in the sidebar,
press **Reset**, and compare.
"""


def _start_scenario() -> str:
    names = scenario_names()
    wanted = os.environ.get("INFLUENCER_SIM_SCENARIO", "baseline")
    if wanted in names or not names:
        return wanted
    return names[0]


def make_model_params(scenario: str) -> dict:
    """SolaraViz's model parameters: the scenario, the seed, the population and the levers
    (starting at the scenario's own values), and the start positions (fixed)."""
    cfg = scenario_config(scenario)
    start = lever_values(cfg) | {"n_followers": DEFAULT_FOLLOWERS}
    params: dict = {
        "scenario": {
            "type": "Select",
            "value": scenario,
            "values": scenario_names() or [scenario],
            "label": "Scenario",
        },
        "seed": {"type": "InputText", "value": str(cfg.run.seed), "label": "Seed"},
        "n_followers": {
            "type": "SliderInt",
            "value": DEFAULT_FOLLOWERS,
            "min": 1_000,
            "max": 50_000,
            "step": 1_000,
            "label": "Followers (simulated)",
        },
    }
    for lever in LEVERS:
        value = start[lever.name]
        if lever.kind == "switch":
            params[lever.name] = {"type": "Checkbox", "value": bool(value), "label": lever.label}
        else:
            kind = "SliderInt" if lever.kind == "int" else "SliderFloat"
            lo, hi = lever.lo, max(lever.hi, value)
            params[lever.name] = {
                "type": kind,
                "value": value,
                "min": lo,
                "max": hi,
                "step": lever.step,
                "label": lever.label,
            }
    params["start"] = start
    return params


def _stop_when_closed(model: ClassroomModel) -> None:
    """Effect: when the page's kernel closes, mark the model finished (``running = False``),
    which ends Mesa's play loop.

    The loop runs in a thread of its own and would otherwise go on stepping a market nobody
    sees. Solara closes the kernel when the tab is closed, or when its connection has been
    gone for ``SOLARA_KERNEL_CULL_TIMEOUT`` (``influencer-sim app`` sets two minutes; solara's
    default is a day). The model is held weakly, so the models a Reset replaces are freed.
    """
    from solara.server import kernel_context

    if not kernel_context.has_current_context():
        return
    ref = weakref.ref(model)

    def stop() -> None:
        m = ref()
        if m is not None:
            m.running = False

    kernel_context.get_current_context().on_close(stop)


def _num(x: float, fmt: str) -> str:
    """A figure for the text; a dash where it is undefined (no posts, no follows)."""
    return "–" if x is None or math.isnan(x) else format(x, fmt)


@solara.component
def About(model: ClassroomModel):
    """The short text of the page, with the day's figures and the levers in effect."""
    update_counter.get()

    solara.use_effect(lambda: _stop_when_closed(model), [id(model)])
    m = model.metrics
    cfg = model.cfg
    solara.Markdown(ABOUT)
    today = (
        f"**Day {model.steps}**: {m['unfollows']:,.0f} unfollows today, "
        f"{model.totals['unfollows']:,.0f} in all; mean trust {_num(m['mean_trust'], '.2f')}; "
        f"{_num(m['sponsored_share'], '.0%')} of posts sponsored; "
        f"{_num(m['adopted_share'], '.1%')} of followers bought a product."
        if m
        else "**Day 0**: press Step or ▶."
    )
    solara.Markdown(
        f"Scenario `{model.scenario}`, seed {model.seed_value}, "
        f"{cfg.population.n_followers:,} followers, {cfg.brands.n_brands} brands "
        f"({cfg.brands.share_micro:.0%} micro, {cfg.brands.share_celebrity:.0%} celebrity), "
        f"cap {cfg.influencers.sponsored_cap} ads/week, sensitivity "
        f"{cfg.population.sensitivity_mean:g}, overhead ${cfg.brands.relationship_cost:g}, "
        f"platform {'on' if cfg.brands.platform_share else 'off'}. {today}"
    )
    for note in model.notes:
        solara.Warning(note, dense=True)


@solara.component
def NetworkView(model: ClassroomModel):
    """The network sample, with a choice of what colours the followers."""
    update_counter.get()
    color_by, set_color_by = solara.use_state("trust")
    canvas = solara.use_memo(lambda: NetworkCanvas(model, color_by), [id(model), color_by])
    png = solara.use_memo(canvas.render, [canvas, model.steps])
    with solara.Column(gap="0px"):
        solara.ToggleButtonsSingle(
            value=color_by, values=list(FOLLOWER_COLORS), on_value=set_color_by, dense=True
        )
        solara.Image(png, width="100%")


@solara.component
def Chart(model: ClassroomModel, name: str):
    """One chart of :data:`~simulation.app.charts.CHARTS`, redrawn when the day changes."""
    update_counter.get()
    canvas = solara.use_memo(lambda: ChartCanvas(model, name), [id(model), name])
    png = solara.use_memo(canvas.render, [canvas, model.steps])
    solara.Image(png, width="100%")


def _chart(name: str):
    def make(model):
        return Chart(model, name)

    make.__name__ = f"chart_{name}"
    return make


SCENARIO = _start_scenario()
model_params = make_model_params(SCENARIO)
components = [
    (lambda model: About(model), 0),
    (lambda model: NetworkView(model), 0),
    *[(_chart(name), 0) for name in CHARTS],
]

page = SolaraViz(
    ClassroomModel(
        **{
            k: (v["value"] if isinstance(v, dict) and "type" in v else v)
            for k, v in model_params.items()
        }
    ),
    components=components,
    model_params=model_params,
    name="Influencer market",
    play_interval=1,
    render_interval=RENDER_INTERVAL,
)
