"""One run per experiment: identical Trains join one run, each viewer with its own Stop and
last-seen time; the fair queue shares slots per browser before per tab; a page's heartbeat
keeps a run in a hidden tab watched. Jobs wait on gates; nothing asserts on wall time."""
import functools
import threading
import time

import numpy as np
import pytest

from core.contract import Result
from core.runs import SLOTS, Run
from core.shared_runs import SharedRuns, lab_data, run_identity
from test_run_limits import Jobs, wait_until


@pytest.fixture
def jobs():
    assert wait_until(lambda: SLOTS.active == 0 and SLOTS.waiting == 0), "slots left busy"
    jobs = Jobs()
    yield jobs
    jobs.open_all()
    assert wait_until(lambda: SLOTS.active == 0 and SLOTS.waiting == 0)


def counting_job(jobs, name, calls):
    inner = jobs.job(name)

    def job(on_step, should_stop):
        calls.append(name)
        return inner(on_step, should_stop)
    return job


def test_twenty_identical_trains_train_one_run_and_every_viewer_sees_it(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS_PER_SESSION", "1")
    shared, calls = SharedRuns(), []
    make = lambda i: (lambda: Run(counting_job(jobs, "preset", calls), 1, owner=f"tab{i}",
                                  abandon_after_s=60))
    viewers = [shared.join_or_start("same", make(i)) for i in range(20)]
    assert [joined for _, _, joined in viewers] == [False] + [True] * 19
    run = viewers[0][0].run
    assert all(v.run is run for v, _, _ in viewers)
    assert SLOTS.in_progress() == 1  # one ticket: the limits count it once
    assert wait_until(lambda: viewers[0][0].snapshot().history)
    late = shared.join_or_start("same", make(99))[0]
    assert late.snapshot().history == [{"loss": 1.0}]  # the history so far, at once
    assert run.watchers() == 21
    jobs.open_all()
    run.join(10)
    assert calls == ["preset"]
    viewer, result, joined = shared.join_or_start("same", make(100))
    assert viewer is None and joined and result is run.snapshot().result  # shown at once
    other = shared.join_or_start("other", make(101))
    assert other[2] is False and other[0].run is not run


def test_stop_from_one_viewer_ends_its_watching_the_last_stops_the_run(jobs):
    shared = SharedRuns()
    make = lambda: Run(jobs.job("long"), 1, abandon_after_s=60)
    first, _, _ = shared.join_or_start("id", make)
    second, _, _ = shared.join_or_start("id", make)
    assert wait_until(lambda: first.snapshot().state == "running")
    first.stop()  # the starter stops, someone else still watches: it goes on
    left = first.snapshot()
    assert left.state == "stopped" and left.stop_reason == "left" and "1 other" in left.stop_message
    time.sleep(0.05)
    assert second.snapshot().state == "running" and second.watchers() == 1
    second.stop()
    assert wait_until(lambda: second.snapshot().finished)
    assert second.snapshot().stop_reason == "stop"
    third, result, joined = shared.join_or_start("id", make)
    assert not joined and result is None  # a stopped run is not shown as the experiment's
    third.stop()


def test_a_run_is_abandoned_only_when_every_viewer_is_quiet(jobs):
    shared = SharedRuns()
    make = lambda: Run(jobs.job("quiet"), 1, abandon_after_s=0.4)
    first, _, _ = shared.join_or_start("id", make)
    second, _, _ = shared.join_or_start("id", make)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        second.snapshot()  # only one viewer keeps asking
        time.sleep(0.05)
    assert not second.snapshot().finished
    assert wait_until(lambda: second.run.finished)  # both quiet now
    assert second.run.snapshot().stop_reason == "abandoned"


def test_a_run_identity_includes_its_data_and_seed():
    from core.labs import get_lab
    lab = get_lab("forecast")
    config = lab.make_config({"system": "csv"})
    a = np.arange(50.0)
    bound = lambda series: type("Lab", (), {"run": functools.partial(lab.run, series=series)})
    assert lab_data(bound(a))["series"] is a
    same = run_identity("forecast", config, lab_data(bound(a.copy())))
    assert same == run_identity("forecast", config, lab_data(bound(a)))
    assert same != run_identity("forecast", config, lab_data(bound(a[::-1].copy())))
    assert same != run_identity("forecast", lab.make_config({"system": "csv", "seed": 1}),
                                lab_data(bound(a)))
    assert same != run_identity("forecast", config, lab_data(bound(a)), part="sweep_l")


def test_five_tabs_of_one_browser_do_not_push_another_browser_behind_them(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "1")
    hogs = [Run(jobs.job(f"hog{i}"), 1, owner=f"tab{i}", browser="A").start() for i in range(5)]
    assert wait_until(lambda: jobs.starts() == ["hog0"])
    student = Run(jobs.job("student"), 1, owner="tabB", browser="B").start()
    assert SLOTS.position(student._ticket) == 1  # next, not behind four of A's tabs
    jobs.gates["hog0"].set()
    assert wait_until(lambda: len(jobs.starts()) > 1), jobs.starts()
    assert jobs.starts() == ["hog0", "student"], jobs.starts()
    for run in hogs:
        run.stop()


def test_the_page_heartbeat_keeps_a_hidden_tab_s_sweep_watched(jobs):
    from ui.heartbeat import keep_watching
    sweep = Run(jobs.job("sweep"), 1, abandon_after_s=0.4).watch()
    sweep.run.start()
    other_page = Run(jobs.job("elsewhere"), 1, abandon_after_s=0.4).watch()
    other_page.run.start()
    state = {"run:gradients-sweep": sweep, "run:paths": other_page, "seed": 3}
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # the Theory tab is showing: only the heartbeat runs
        assert keep_watching(state, "gradients") == 1
        time.sleep(0.05)
    assert not sweep.snapshot().finished
    assert other_page.run.finished and other_page.run.snapshot().stop_reason == "abandoned"
    sweep.stop()


def test_two_tabs_pressing_train_share_a_run_and_a_fresh_seed_is_one_click_away():
    """Under AppTest: a second tab's Train on the same settings joins the first tab's run;
    "Train again with a fresh seed" gives it a run of its own, with another seed."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest
    root = Path(__file__).resolve().parents[1]
    tabs = []
    for _ in range(2):
        at = AppTest.from_file(str(root / "pages" / "gradients.py"), default_timeout=120)
        at.query_params.update({"steps": "2000", "seq_len": "12", "lag": "12", "hidden": "8",
                                "compare_cells": "false"})
        at.session_state["seed"] = 7
        at.run()
        tabs.append(at)
    first, second = tabs
    first.button(key="train:gradients").click().run()
    second.button(key="train:gradients").click().run()
    assert not first.exception and not second.exception
    mine, theirs = (t.session_state["run:gradients"] for t in tabs)
    assert mine.run is theirs.run and mine.watchers() == 2
    assert any("already training exactly this run" in i.value for i in second.info)
    second.button(key="stop:gradients").click().run()  # leaves; the first tab keeps it
    assert not mine.snapshot().finished
    second.button(key="fresh:gradients").click().run()
    assert not second.exception, second.exception
    own = second.session_state["run:gradients"]
    assert own.run is not mine.run and second.session_state["seed"] != 7
    for viewer in (mine, own):
        viewer.stop()
    assert wait_until(lambda: mine.run.finished and own.run.finished, timeout=60)


def test_a_browser_is_named_by_its_xsrf_token_under_every_mask():
    """Streamlit re-masks its XSRF cookie on every response; the tabs of one browser still
    name one browser, another browser another."""
    import os

    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from ui.client import forwarded_address, xsrf_token
    token, other = os.urandom(16), os.urandom(16)
    masks = {generate_xsrf_token_string(token, 1) for _ in range(5)}
    assert len(masks) > 1 and {xsrf_token(m) for m in masks} == {token}
    assert xsrf_token(generate_xsrf_token_string(other, 1)) == other
    # behind a trusted proxy: the address it added (last), not what the client wrote
    assert forwarded_address("6.6.6.6, 10.0.0.7") == "10.0.0.7"
    assert forwarded_address("10.0.0.7, not-an-address") is None
    assert forwarded_address(None) is None
