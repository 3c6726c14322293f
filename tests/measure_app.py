"""Measure the app as a person meets it: `python tests/measure_app.py`.

Cold start (seconds from `streamlit run` to the home page rendered in Chromium, then from a
click on a lab's card to its page rendered) and one class of 12 sessions training at once
(the load test's round). Prints a Markdown table; needs Chromium and the dev requirements.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_server import app_server, chromium  # noqa: E402
from test_load import MAX_RUNS, SESSIONS, class_round  # noqa: E402


def cold_start() -> dict:
    started = time.monotonic()
    with app_server() as srv, chromium() as new_page:
        page = new_page()
        page.goto(srv.url, timeout=120_000)
        page.get_by_text("Train small recurrent networks live").wait_for(timeout=120_000)
        home = time.monotonic() - started
        t0 = time.monotonic()
        page.get_by_text("Open Gradient Flow").click()
        page.get_by_role("button", name="Train", exact=True).locator("visible=true").first.wait_for(timeout=120_000)
        lab = time.monotonic() - t0
        t0 = time.monotonic()
        page.get_by_role("button", name="Train", exact=True).locator("visible=true").first.click()
        # the empty charts are on the page before Train: wait for the first trained step,
        # which the live chart draws in the same redraw as the progress bar
        page.wait_for_function(
            """() => /Training — step [1-9]/.test(document.body.innerText)""",
            timeout=60_000, polling=20)
        first_chart = time.monotonic() - t0
    return {"home": home, "lab": lab, "first_chart": first_chart}


def rerender_times() -> dict:
    """Server time to rerun each lab page that shows a finished (smoke) run: what a widget
    change that needs no retraining costs before the browser redraws."""
    from streamlit.testing.v1 import AppTest
    from core.labs import all_labs
    root = Path(__file__).resolve().parents[1]
    times = {}
    for lab in all_labs().values():
        at = AppTest.from_file(str(root / "pages" / f"{lab.id}.py"), default_timeout=120)
        at.session_state[f"result:{lab.id}"] = lab.run(lab.make_config(lab.smoke))
        for name, value in lab.smoke.items():
            at.session_state[f"{lab.id}.{name}"] = value
        at.run()
        t0 = time.monotonic()
        for _ in range(3):
            at.run()
        times[lab.id] = (time.monotonic() - t0) / 3
    return times


def main() -> None:
    cold = cold_start()
    rerender = rerender_times()
    with app_server({"RNNLAB_MAX_RUNS": str(MAX_RUNS)}) as srv, chromium((1200, 900)) as new_page:
        load = class_round(srv, new_page)
    rows = [
        ("Cold start: `streamlit run` to the home page rendered", f"{cold['home']:.1f} s"),
        ("Click on a lab card to its page rendered (first visit)", f"{cold['lab']:.1f} s"),
        ("Click on Train to the first trained step in the live chart (Gradient Flow, first run)",
         f"{cold['first_chart']:.2f} s"),
        ("Rerun of a page showing a finished run (slowest lab, server side)",
         f"{max(rerender.values()):.2f} s ({max(rerender, key=rerender.get)})"),
        (f"{SESSIONS} sessions press Train at once ({MAX_RUNS} slots): runs completed",
         f"{load['runs_completed']} of {SESSIONS}"),
        ("Sessions seen waiting in the queue with their position",
         str(load["sessions_that_queued"])),
        ("Longest wait plus run, from the click to the finished figures",
         f"{load['longest_wait_and_run_s']:.1f} s"),
        ("Home page for a 13th visitor while the class trains",
         f"{load['home_render_under_load_s']:.1f} s"),
        ("Server memory at peak", f"{load['rss_peak_mb']:.0f} MB"),
        ("Errors in any session", str(len(load["errors"]))),
    ]
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
