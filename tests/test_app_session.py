"""One tab's market (``simulation/app/session.py``): its own model, the loop that plays it,
the stop day, the previous run, closing. No browser: the loop runs in a thread here as it
does on the server."""

from __future__ import annotations

import threading
import time

import pytest

from simulation.app import session as session_module
from simulation.app.model import settings_for
from simulation.app.session import Session, describe_changes, open_sessions

N = 1_200


def make(**kw) -> Session:
    return Session(settings_for("baseline", N), sample_size=20, **kw)


def wait_for(check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_sessions_are_markets_of_their_own():
    a, b = make(), make()
    assert a.model is not b.model
    assert a.day == b.day == 0
    assert a.step() == 1 and a.step() == 2
    assert b.day == 0
    assert a.model.metrics and not b.model.metrics
    a.close()
    b.close()


def test_the_loop_pauses_at_the_stop_day_and_plays_on_past_it():
    s = make(stop_day=7)
    frames = []
    s.on_frame = lambda: frames.append(s.day)
    s.play()
    assert s.wait(60)
    assert s.day == 7 and not s.playing
    assert "stop day" in s.note
    assert frames and frames[-1] == 7  # the page is redrawn at the stop
    assert s.step() == 8  # Step still works
    s.play()  # and play runs on past the stop day
    wait_for(lambda: s.day >= 12)
    s.pause()
    assert s.wait(60)
    stopped = s.day
    time.sleep(0.2)
    assert s.day == stopped
    s.close()


def test_without_a_stop_day_the_loop_runs_until_paused():
    s = make(stop_day=None)
    s.play()
    wait_for(lambda: s.day >= 10)
    assert s.playing
    s.pause()
    assert s.wait(60)
    s.close()


def test_reset_builds_a_new_market_and_keeps_the_previous_run():
    s = make()
    for _ in range(5):
        s.step()
    first, generation = s.model, s.generation
    new = dict(s.settings, n_brands=3)
    s.reset(new)
    assert s.model is not first and s.generation != generation
    assert s.day == 0 and s.model.state.n_brands == 3
    assert s.previous["days"] == 5
    assert len(s.previous["series"]["step"]) == 5
    assert s.previous["settings"]["n_brands"] == 20
    assert describe_changes(s.previous["settings"], s.settings) == "Brands: 20 brands -> 3 brands"
    s.reset()  # a market that has not run leaves the previous run alone
    assert s.previous["days"] == 5
    s.close()


def test_reset_while_playing_stops_the_old_loop():
    s = make(stop_day=None)
    s.play()
    wait_for(lambda: s.day >= 3)
    s.reset()
    time.sleep(0.3)
    assert not s.playing and s.day == 0
    s.close()


def test_closing_stops_the_loop_and_frees_the_market():
    before = open_sessions()
    s = make(stop_day=None)
    assert open_sessions() == before + 1
    s.play()
    wait_for(lambda: s.day >= 2)
    s.close()
    assert s.wait(60)
    assert s.model is None and s.closed
    assert open_sessions() == before
    s.play()  # a closed tab's market never restarts
    assert not s.playing


def test_a_tab_nobody_watches_pauses(monkeypatch):
    monkeypatch.setattr(session_module, "UNWATCHED_SECONDS", 0.0)
    s = make(stop_day=None)
    s.watched = lambda: False
    s.play()
    assert s.wait(60)
    assert not s.playing and "connection" in s.note
    s.close()


def test_an_error_in_a_day_stops_the_loop_with_a_message():
    s = make(stop_day=None)

    def broken():
        raise ValueError("boom")

    s.model.step = broken
    s.play()
    assert s.wait(60)
    assert not s.playing
    assert s.error == "error on day 1: boom"
    s.close()


def test_frames_are_spaced_while_playing(monkeypatch):
    """The page is redrawn while the loop plays, not after every day."""
    monkeypatch.setattr(session_module, "FRAME_SECONDS", 0.05)
    s = make(stop_day=60)
    lock = threading.Lock()
    frames = []

    def on_frame():
        with lock:
            frames.append(s.day)

    s.on_frame = on_frame
    s.play()
    assert s.wait(120)
    assert frames[-1] == 60
    assert len(frames) < 60


def test_a_market_that_cannot_be_built_is_an_error_not_a_crash(monkeypatch):
    def refuse(**kw):
        raise ValueError("no such market")

    monkeypatch.setattr(session_module, "ClassroomModel", refuse)
    s = Session(settings_for("baseline", N), sample_size=20)
    assert s.model is None
    assert s.error == "could not build the market: no such market"
    s.play()
    assert not s.playing
    assert s.step() == 0
    s.close()


def test_frames_are_spaced_by_the_tabs_playing():
    """All tabs' drawing together takes at most 1 / FRAME_LOAD of the cores."""
    cores = session_module.CORES
    one = session_module.frame_spacing(0.05, 1)
    many = session_module.frame_spacing(0.05, 10)
    assert one >= session_module.FRAME_SECONDS
    assert many == pytest.approx(max(one, session_module.FRAME_LOAD * 0.05 * 10 / cores))
    assert 10 * 0.05 / many <= cores / session_module.FRAME_LOAD + 1e-12
