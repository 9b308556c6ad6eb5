"""The classroom page: the influencer market running in the browser.

Run it with ``influencer-sim app`` or ``solara run simulation/app/page.py`` (needs the
``app`` extra: ``pip install .[app]``). Every tab gets a market of its own at day 0
(:class:`~simulation.app.session.Session`), freed when the tab is closed.

Layout, like a NetLogo model: a bar at the top with the day and the buttons (Reset, ▶ / ❚❚,
Step: one day); the controls on the left (stop day, speed, scenario, seed, population and
the levers, each showing its value, unit and config key); the charts in the middle, each
with its monitors (today's figures) under it, and the network; the information panel on the
right (what it is, how it works, things to notice, things to try with one-click presets,
extending the model, credits). The page reads the model and never changes the market.

``INFLUENCER_SIM_SCENARIO`` names the scenario the page starts with (``baseline`` if unset),
``INFLUENCER_SIM_FOLLOWERS`` its simulated followers (10,000 if unset).
"""

from __future__ import annotations

import html
import os

import solara
import solara.server.settings
from matplotlib.colors import to_hex

from simulation.app.charts import (
    CHARTS,
    FOLLOWER_COLORS,
    RUNS,
    TIER_COLORS,
    NetworkCanvas,
    chart_rows,
    chart_spec,
)
from simulation.app.lessons import INFO, LESSONS, preset_settings, to_html
from simulation.app.model import (
    DEFAULT_FOLLOWERS,
    FOLLOWERS,
    LEVERS,
    Lever,
    page_scenarios,
    scenario_config,
    settings_for,
)
from simulation.app.monitors import Monitor, monitors, scale_note
from simulation.app.session import (
    DEFAULT_STOP_DAY,
    Session,
    describe_changes,
    open_sessions,
)
from simulation.app.vega import VegaChart, bundled_libraries, split_spec
from simulation.config import ConfigError
from simulation.resources import scenario_question
from simulation.vocabulary import TIERS

__all__ = ["Page"]

# Solara's "This website runs on Solara" badge would sit over the last chart.
solara.server.settings.theme.show_banner = False

CSS = """
.ism-top { display: flex; align-items: center; gap: 10px; padding: 0 14px; height: 60px;
  background: #263238; color: #fff; }
.ism-top .ism-title { font-size: 19px; font-weight: 500; white-space: nowrap; }
.ism-day { font-size: 28px; font-weight: 700; font-variant-numeric: tabular-nums;
  white-space: nowrap; min-width: 150px; }
.ism-day small { font-size: 15px; font-weight: 400; opacity: 0.8; }
.ism-status { font-size: 15px; color: #ffe082; overflow: hidden; line-height: 1.2;
  max-height: 2.4em; white-space: normal; flex: 1 1 auto; min-width: 0; }
.ism-body { display: grid; grid-template-columns: 290px minmax(0, 1fr) auto;
  height: calc(100vh - 60px); }
.ism-controls { overflow-y: auto; padding: 8px 12px; background: #f7f7f7;
  border-right: 1px solid #ddd; font-size: 14px; }
.ism-controls h3 { font-size: 15px; margin: 10px 0 8px; color: #263238; }
.ism-main { overflow-y: auto; padding: 8px 10px; }
.ism-info { overflow-y: auto; width: 350px; padding: 8px 14px; border-left: 1px solid #ddd;
  background: #fcfcf7; font-size: 15px; line-height: 1.4; }
.ism-info h3 { font-size: 16px; margin: 12px 0 4px; text-transform: uppercase;
  letter-spacing: 0.04em; color: #37474f; }
.ism-info p, .ism-info li { font-size: 15px; margin-bottom: 6px; }
.ism-info strong { font-weight: 700; }
.ism-info code { font-size: 14px; }
.ism-lesson { border-left: 3px solid #90a4ae; padding-left: 8px; margin: 8px 0 12px; }
.ism-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
  gap: 8px; }
.ism-card { border: 1px solid #e0e0e0; border-radius: 6px; padding: 6px 8px 4px;
  background: #fff; min-width: 0; }
.ism-monitors { display: flex; flex-wrap: wrap; gap: 2px 14px; margin-top: 2px; }
.ism-monitor { display: flex; flex-direction: column; line-height: 1.15; }
.ism-monitor .l { font-size: 14px; color: #555; }
.ism-monitor .v { font-size: 19px; font-weight: 600; font-variant-numeric: tabular-nums; }
.ism-lever { margin: 2px 0 6px; }
.ism-lever-head { display: flex; justify-content: space-between; gap: 6px; font-size: 14px; }
.ism-lever-value { font-weight: 700; white-space: nowrap; color: #0d47a1; }
.ism-lever-key { font-size: 13px; color: #666; font-family: monospace; margin-top: -6px; }
.ism-lever .v-input__slot { margin-bottom: 0 !important; }
.ism-lever .v-messages { display: none; }
.ism-note { font-size: 15px; margin: 2px 0 6px; }
.ism-question { font-size: 14px; color: #444; margin: -4px 0 14px; font-style: italic; }
.ism-card-title { font-size: 16px; font-weight: 700; margin-bottom: 2px; }
.ism-caption { font-size: 14px; color: #444; margin: 2px 0; }
.ism-network { display: block; max-width: 420px; margin: 0 auto; }
.ism-legend { font-size: 14px; margin: 2px 0; }
.ism-key { white-space: nowrap; margin-right: 10px; }
.ism-key i { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  margin: 0 4px -1px 0; }
.ism-ramp { display: inline-block; width: 90px; height: 12px; vertical-align: middle; }
"""


def _start_settings() -> dict:
    """The controls a new tab starts with: the scenario ``INFLUENCER_SIM_SCENARIO``
    (``baseline`` if unset) at ``INFLUENCER_SIM_FOLLOWERS`` simulated followers (10,000 if
    unset)."""
    names = page_scenarios()
    wanted = os.environ.get("INFLUENCER_SIM_SCENARIO", "baseline")
    scenario = wanted if wanted in names or not names else names[0]
    try:
        n = int(os.environ.get("INFLUENCER_SIM_FOLLOWERS", DEFAULT_FOLLOWERS))
    except ValueError:
        n = DEFAULT_FOLLOWERS
    return settings_for(scenario, max(n, FOLLOWERS.lo))


def _monitor_html(items: list[Monitor]) -> str:
    cells = "".join(
        f'<div class="ism-monitor" title="{html.escape(m.help)}">'
        f'<span class="l">{html.escape(m.label)}</span>'
        f'<span class="v" style="color:{m.color}">{html.escape(m.value)}</span></div>'
        for m in items
    )
    return f'<div class="ism-monitors">{cells}</div>'


# -- the top bar ----------------------------------------------------------------------------


@solara.component
def TopBar(
    session: Session,
    frame: solara.Reactive[int],
    settings: solara.Reactive[dict],
    info_open: solara.Reactive[bool],
):
    """The day, the buttons and what the run is doing."""
    frame.value  # noqa: B018 (redraw with every frame)

    def bump():
        frame.value += 1

    def play():
        session.play()
        bump()

    def pause():
        session.pause()
        bump()

    def step():
        session.step()
        bump()

    def reset():
        session.reset(settings.value)
        bump()

    day = session.day
    stop = session.stop_day
    pending = describe_changes(session.settings, settings.value)
    with solara.Div(classes=["ism-top"]):
        solara.HTML(tag="div", unsafe_innerHTML="Influencer market", classes=["ism-title"])
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"Day {day}"
            + (f" <small>/ stop at {stop}</small>" if stop is not None else ""),
            classes=["ism-day"],
            attributes={"data-day": str(day), "data-playing": str(session.playing).lower()},
        )
        solara.Button("Reset", on_click=reset, color="warning" if pending else "primary")
        if session.playing:
            solara.Button("❚❚ Pause", on_click=pause, color="primary")
        else:
            solara.Button("▶ Play", on_click=play, color="primary", disabled=session.model is None)
        solara.Button(
            "Step",
            on_click=step,
            color="primary",
            disabled=session.playing or session.model is None,
        )
        status = session.error or session.note or ""
        if pending:
            status = f"Changed, press Reset to apply: {pending}"
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(status), classes=["ism-status"])
        solara.Button(
            "Hide information" if info_open.value else "Information",
            on_click=lambda: info_open.set(not info_open.value),
            text=True,
            style={"color": "white"},
        )


# -- the controls ---------------------------------------------------------------------------


@solara.component
def LeverControl(lever: Lever, value, on_value):
    """A slider showing its name, value and unit, and its config key below it."""
    lo = min(lever.lo, value)
    hi = max(lever.hi, value)
    with solara.v.Html(tag="div", class_="ism-lever", attributes={"data-lever": lever.name}):
        with solara.v.Html(tag="div", class_="ism-lever-head"):
            solara.v.Html(tag="span", children=[lever.label])
            solara.v.Html(tag="span", class_="ism-lever-value", children=[lever.text(value)])
        if lever.kind == "int":
            solara.SliderInt(
                "",
                value=int(value),
                min=int(lo),
                max=int(hi),
                step=int(lever.step),
                on_value=lambda v: on_value(lever.clean(v)),
                thumb_label=False,
            )
        else:
            solara.SliderFloat(
                "",
                value=float(value),
                min=float(lo),
                max=float(hi),
                step=float(lever.step),
                on_value=lambda v: on_value(lever.clean(v)),
                thumb_label=False,
            )
        solara.v.Html(
            tag="div",
            class_="ism-lever-key",
            children=[lever.key],
            attributes={"title": lever.meaning},
        )


@solara.component
def Controls(
    session: Session,
    settings: solara.Reactive[dict],
    stop: solara.Reactive[tuple[bool, int]],
):
    """Run settings (stop day, speed), the scenario, the seed, the population, the levers."""
    s = settings.value
    stop_on, stop_day = stop.value
    delay, set_delay = solara.use_state(0)

    def apply_stop(on: bool, day: int | None):
        stop.set((bool(on), max(1, int(day or DEFAULT_STOP_DAY))))

    def apply_delay(ms: int):
        set_delay(ms)
        session.delay = ms / 1000

    def put(name: str, value):
        settings.value = {**settings.value, name: value}

    with solara.Div(classes=["ism-controls"]):
        solara.HTML(tag="h3", unsafe_innerHTML="Run")
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.Checkbox(
                label="Pause at day", value=stop_on, on_value=lambda v: apply_stop(v, stop_day)
            )
            solara.InputInt(
                "stop day",
                value=stop_day,
                on_value=lambda v: apply_stop(stop_on, v),
                disabled=not stop_on,
                dense=True,
                style={"max-width": "90px"},
                classes=["ism-stop-day"],
            )
        with solara.v.Html(tag="div", class_="ism-lever", attributes={"data-lever": "delay"}):
            with solara.v.Html(tag="div", class_="ism-lever-head"):
                solara.v.Html(tag="span", children=["Slow down: pause between days"])
                solara.v.Html(tag="span", class_="ism-lever-value", children=[f"{delay} ms"])
            solara.SliderInt(
                "", value=delay, min=0, max=500, step=10, on_value=apply_delay, thumb_label=False
            )

        solara.HTML(tag="h3", unsafe_innerHTML="Market")
        solara.Select(
            "Scenario (configs/*.toml)",
            value=s["scenario"],
            values=page_scenarios() or [s["scenario"]],
            on_value=lambda name: settings.set(settings_for(name, settings.value["n_followers"])),
            dense=True,
            style={"margin-top": "10px"},
        )
        try:
            question = scenario_question(s["scenario"])
        except (ConfigError, OSError):  # the scenario file is gone since the page opened
            question = ""
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(question), classes=["ism-question"])
        solara.InputInt(
            "Seed (run.seed)", value=int(s["seed"]), on_value=lambda v: put("seed", v), dense=True
        )
        LeverControl(FOLLOWERS, s["n_followers"], lambda v: put("n_followers", v))
        # the page raises the scenario's people to the simulated followers if fewer
        people = max(scenario_config(s["scenario"]).population.people, s["n_followers"])
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"each stands for {people / s['n_followers']:,.0f} of "
            f"{people:,} people (population.people)",
            classes=["ism-lever-key"],
        )
        groups = (
            (
                "Brands",
                (
                    "n_brands",
                    "share_micro",
                    "share_celebrity",
                    "hurdle",
                    "relationship_cost",
                    "platform_share",
                ),
            ),
            ("Influencers", ("sponsored_cap", "lookahead")),
            ("Followers", ("sensitivity",)),
            ("Feed algorithm", ("brand_demotion", "change_step")),
        )
        by_name = {lever.name: lever for lever in LEVERS}
        for title, names in groups:
            solara.HTML(tag="h3", unsafe_innerHTML=title)
            for name in names:
                lever = by_name[name]
                LeverControl(lever, s[name], lambda v, name=name: put(name, v))


# -- the charts and monitors ----------------------------------------------------------------


def _network_legend(color_by: str) -> str:
    """The network view's legend, as HTML: the tiers' colours and the followers' scale."""
    tiers = "".join(
        f'<span class="ism-key"><i style="background:{TIER_COLORS[t]}"></i>{t}</span>'
        for t in TIERS
    )
    cmap, label = FOLLOWER_COLORS[color_by]
    if color_by == "adopted":
        scale = "".join(
            f'<span class="ism-key"><i style="background:{to_hex(cmap(x))}"></i>{text}</span>'
            for x, text in ((0.0, "has not bought"), (1.0, "bought a product"))
        )
    else:
        stops = ", ".join(to_hex(cmap(x / 4)) for x in range(5))
        scale = (
            f'<span class="ism-key">{html.escape(label)}: 0 '
            f'<b class="ism-ramp" style="background: linear-gradient(to right, {stops})"></b>'
            " 1</span>"
        )
    return (
        f'<div class="ism-legend">influencers by tier (size: followers): {tiers}</div>'
        f'<div class="ism-legend">followers: {scale}</div>'
    )


@solara.component
def NetworkView(session: Session, frame: solara.Reactive[int]):
    """The network sample, with a choice of what colours the followers."""
    frame.value  # noqa: B018
    color_by, set_color_by = solara.use_state("trust")
    canvas = solara.use_memo(
        lambda: session.read(lambda m: NetworkCanvas(m, color_by)),
        [session.generation, color_by],
    )
    png = session.read(lambda m: canvas.render()) if canvas is not None else None
    with solara.Div(classes=["ism-card"], attributes={"data-chart": "network"}):
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Who follows whom (a sample)",
            classes=["ism-card-title"],
        )
        solara.ToggleButtonsSingle(
            value=color_by, values=list(FOLLOWER_COLORS), on_value=set_color_by, dense=True
        )
        if png is not None:
            solara.HTML(
                tag="div", unsafe_innerHTML=html.escape(canvas.caption()), classes=["ism-caption"]
            )
            solara.Image(png, width="100%", classes=["ism-network"])
        solara.HTML(tag="div", unsafe_innerHTML=_network_legend(color_by))


@solara.component
def Live(session: Session, frame: solara.Reactive[int]):
    """Everything that moves: the notes, the charts with their monitors, the network."""
    frame.value  # noqa: B018
    series = session.series()
    figures = session.read(monitors) or {}
    note = session.read(scale_note) or ""
    model_notes = session.read(lambda m: list(m.notes)) or []
    previous = session.previous
    # the previous run does not change while this one runs: its points are made once
    previous_rows = solara.use_memo(
        lambda: (
            {name: chart_rows(CHARTS[name], previous["series"], RUNS[1]) for name in CHARTS}
            if previous
            else {}
        ),
        [session.generation],
    )
    last_day = max(session.stop_day or 0, session.day, (previous or {}).get("days", 0), 30)
    with solara.Div(classes=["ism-main"]):
        n_open = open_sessions()
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(
                f"{note} {n_open} market{'' if n_open == 1 else 's'} open on this server "
                "(one per tab)."
            ),
            classes=["ism-note"],
            attributes={"data-open": str(n_open)},
        )
        if previous:
            changed = (
                describe_changes(previous["settings"], session.settings) or "the same settings"
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML="Dashed, faded lines: the previous run ("
                + html.escape(f"{previous['days']} days; since then {changed}")
                + ").",
                classes=["ism-note"],
            )
        for text in model_notes:
            solara.Warning(text, dense=True)
        if session.error:
            solara.Error(session.error)
        with solara.Div(classes=["ism-grid"]):
            for name in CHARTS:
                with solara.Div(classes=["ism-card"], attributes={"data-chart": name}):
                    old = previous_rows.get(name, [])
                    spec, rows = split_spec(chart_spec(name, series, old, last_day))
                    # the previous run's rows are sent once, not with every frame
                    VegaChart.element(
                        spec=spec, rows=rows[len(old) :], previous=old, libs=bundled_libraries()
                    )
                    solara.HTML(tag="div", unsafe_innerHTML=_monitor_html(figures.get(name, [])))
            NetworkView(session, frame)


# -- the information panel ------------------------------------------------------------------


def _markdown(text: str):
    """The panel's own Markdown, as HTML (:func:`~simulation.app.lessons.to_html`)."""
    return solara.HTML(tag="div", unsafe_innerHTML=to_html(text))


@solara.component
def InfoPanel(on_preset):
    """What it is, how it works, ... in NetLogo's order; presets under "Things to try"."""
    with solara.Div(classes=["ism-info"]):
        for heading, text in INFO:
            solara.HTML(tag="h3", unsafe_innerHTML=html.escape(heading))
            if heading == "Things to try":
                for lesson in LESSONS:
                    with solara.Div(classes=["ism-lesson"]):
                        end = "" if lesson.title.endswith(("?", "!", ".")) else "."
                        _markdown(f"**{lesson.title}{end}** {lesson.text}")
                        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
                            for preset in lesson.presets:
                                solara.Button(
                                    preset.button,
                                    on_click=lambda p=preset: on_preset(p),
                                    color="secondary",
                                    small=True,
                                    attributes={"data-preset": preset.key},
                                )
            else:
                _markdown(text)


# -- the page -------------------------------------------------------------------------------


def _close_with_the_tab(session: Session):
    """Effect: close the session when the tab's kernel closes (the tab is closed, or its
    connection has been gone for ``SOLARA_KERNEL_CULL_TIMEOUT``), and let its loop see
    whether the tab is still connected (it pauses a few seconds after it is not)."""
    from solara.server import kernel_context

    if kernel_context.has_current_context():
        context = kernel_context.get_current_context()
        context.on_close(session.close)
        connected = kernel_context.PageStatus.CONNECTED
        session.watched = lambda: connected in list(context.page_status.values())
    return session.close


@solara.component
def Page():
    """One tab: a market of its own."""
    solara.Title("Influencer market")
    session = solara.use_memo(lambda: Session(_start_settings()), [])
    settings = solara.use_reactive(dict(session.settings))
    frame = solara.use_reactive(0)
    info_open = solara.use_reactive(True)
    stop = solara.use_reactive((True, DEFAULT_STOP_DAY))

    def sync_stop():
        on, day = stop.value
        session.stop_day = day if on else None
        frame.value += 1

    solara.use_effect(sync_stop, [stop.value])

    def connect():
        def on_frame():
            frame.value += 1

        session.on_frame = on_frame
        return _close_with_the_tab(session)

    solara.use_effect(connect, [])

    def on_preset(preset):
        new = preset_settings(preset, settings.value.get("n_followers"))
        settings.set(new)
        stop.set((True, preset.stop_day))
        session.stop_day = preset.stop_day
        session.reset(new)
        frame.value += 1

    solara.Style(CSS)
    TopBar(session, frame, settings, info_open)
    with solara.Div(classes=["ism-body"]):
        Controls(session, settings, stop)
        Live(session, frame)
        if info_open.value:
            InfoPanel(on_preset)
        else:
            solara.Div()
