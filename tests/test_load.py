"""A class on one server: 12 browser sessions press Train on different labs at once.

Bounded by construction: loopback only, a fixed number of sessions, the labs' smoke settings
(set through links), and deadlines on every wait. The figures are printed, and written as
JSON to $RNNLAB_LOAD_REPORT when it is set.
"""
import json
import os
import time
import urllib.parse

import pytest

from browser_server import (ROOT, app_server, chromium, require_chromium, rss_mb)
from core.labs import all_labs

pytestmark = pytest.mark.browser

SESSIONS = 12
MAX_RUNS = 2
FINISHED = ("Reached the lab's success criterion", "Finished all", "Stopped after",
            "Training diverged")


def lab_links(base: str) -> list[tuple[str, str]]:
    labs = [lab for lab in all_labs().values() if (ROOT / "pages" / f"{lab.id}.py").exists()]
    links = []
    for i in range(SESSIONS):
        lab = labs[i % len(labs)]
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in lab.smoke.items()}
        params["seed"] = i  # different seeds: no two sessions share a run
        links.append((lab.id, f"{base}/{lab.id}?{urllib.parse.urlencode(params)}"))
    return links


def status_of(page) -> str:
    text = page.locator("[data-testid='stMain']").inner_text()
    if any(marker in text for marker in FINISHED):
        return "finished"
    if "Queued: position" in text:
        return "queued"
    if "Training — step" in text:
        return "running"
    return "starting"


def class_round(srv, new_page) -> dict:
    """12 sessions open a lab link each, press Train together, and wait for their runs."""
    pages = []
    for lab_id, link in lab_links(srv.url):
        page = new_page()
        page.goto(link)
        pages.append((lab_id, page))
    for lab_id, page in pages:
        page.get_by_role("button", name="Train", exact=True).wait_for(timeout=90_000)
    started = time.monotonic()
    for lab_id, page in pages:
        page.get_by_role("button", name="Train", exact=True).click()
    seen_queued, finished_at, peak = set(), {}, rss_mb(srv.pid)
    sweep(pages, seen_queued, finished_at, started)  # before the queue drains
    probe = new_page()  # a 13th visitor, timing the home page while the class trains
    probe.goto(srv.url, timeout=120_000)
    probe.get_by_text("Train small recurrent networks live").wait_for(timeout=120_000)
    home_s = time.monotonic() - started
    deadline = started + 300
    while len(finished_at) < SESSIONS and time.monotonic() < deadline:
        sweep(pages, seen_queued, finished_at, started)
        peak = max(peak, rss_mb(srv.pid))
        time.sleep(0.5)
    errors = [lab_id for lab_id, page in pages
              if page.locator("[data-testid='stException']").count()
              or page.get_by_text("The run failed").count()]
    for _, page in pages:
        page.context.close()
    probe.context.close()
    return {"runs_completed": len(finished_at), "sessions_that_queued": len(seen_queued),
            "longest_wait_and_run_s": max(finished_at.values(), default=None),
            "home_render_under_load_s": home_s, "rss_peak_mb": peak, "errors": errors}


def sweep(pages, seen_queued: set, finished_at: dict, started: float) -> None:
    for i, (lab_id, page) in enumerate(pages):
        if i in finished_at:
            continue
        state = status_of(page)
        if state == "queued":
            seen_queued.add(i)
        elif state == "finished":
            finished_at[i] = time.monotonic() - started


def slots_caption(srv, new_page, timeout_s: float = 30.0) -> str:
    """The sidebar's slot count, read until every slot is free or the time is up."""
    page = new_page()
    deadline = time.monotonic() + timeout_s
    while True:
        page.goto(srv.url)
        caption = page.get_by_text("Training now:").first
        caption.wait_for(timeout=60_000)
        text = caption.inner_text()
        if text.startswith("Training now: 0 of") or time.monotonic() > deadline:
            break
        time.sleep(1)
    page.context.close()
    return text


def test_twelve_sessions_train_at_once_and_the_server_stays_up():
    require_chromium()
    report = {"sessions": SESSIONS, "max_concurrent_runs": MAX_RUNS}
    with app_server({"RNNLAB_MAX_RUNS": str(MAX_RUNS), "RNNLAB_ABANDON_S": "10"}) as srv, \
            chromium(viewport=(1200, 900)) as new_page:
        report["rss_idle_mb"] = rss_mb(srv.pid)
        report["first_class"] = class_round(srv, new_page)
        time.sleep(5)
        report["rss_after_first_class_mb"] = rss_mb(srv.pid)
        report["second_class"] = class_round(srv, new_page)
        time.sleep(5)
        report["rss_after_second_class_mb"] = rss_mb(srv.pid)
        report["slots_after"] = slots_caption(srv, new_page)
    print("\nload test:", json.dumps(report, indent=1))
    if os.environ.get("RNNLAB_LOAD_REPORT"):
        with open(os.environ["RNNLAB_LOAD_REPORT"], "w") as f:
            json.dump(report, f, indent=1)
    for name in ("first_class", "second_class"):
        r = report[name]
        assert not r["errors"], f"sessions with errors: {r['errors']}"
        assert r["runs_completed"] == SESSIONS, report
        assert r["sessions_that_queued"] >= 1, "with 12 runs and 2 slots some must queue"
        assert r["home_render_under_load_s"] < 60, report
        assert r["rss_peak_mb"] < 4000, report
    # memory is bounded: a second class of the same size reuses what the first freed
    growth = report["rss_after_second_class_mb"] - report["rss_after_first_class_mb"]
    assert growth < 0.25 * report["rss_after_first_class_mb"], report
    assert report["slots_after"].startswith("Training now: 0 of 2"), report


def test_closing_a_tab_mid_run_releases_its_slot():
    require_chromium()
    with app_server({"RNNLAB_ABANDON_S": "3"}) as srv, chromium() as new_page:
        page = new_page()
        page.goto(f"{srv.url}/gradients?steps=5000&compare_cells=true")
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Training — step").first.wait_for(timeout=60_000)
        page.context.close()  # the student closes the tab mid-run
        caption = slots_caption(srv, new_page, timeout_s=60)
        assert caption.startswith("Training now: 0 of"), caption
