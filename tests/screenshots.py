"""Screenshots of every lab after its default demo has trained: `python3 tests/screenshots.py`
[lab ...] [--size 1440x900] [--present] [--dark] [--quick]. Each is written to
assets/screenshots/<lab>.png (another size, present mode or the dark theme add a suffix:
gradients-390x844.png, forecast-1280x720-present.png, gradients-dark.png); the README shows
Gradient Flow's. `--quick` trains the lab's smoke settings (seconds) instead of its demo, for
the views that show layout rather than results. Needs Chromium and the dev requirements;
takes a minute or two per lab.
"""
import argparse
import urllib.parse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_server import ROOT, app_server, chromium, train_button  # noqa: E402
from one_screen import HEADLINE, LIVE_CHART, boxes  # noqa: E402

OUT = ROOT / "assets" / "screenshots"
FINISHED = ("Criterion: ", "Reached the lab's success criterion", "Finished all",
            "Stopped after",
            "Training diverged", "The run failed")


def screenshot(new_page, url: str, lab_id: str, size: tuple[int, int], query: dict | None = None,
               name: str | None = None) -> Path:
    page = new_page(size)
    page.goto(f"{url}/{lab_id}" + (f"?{urllib.parse.urlencode(query)}" if query else ""))
    train = train_button(page)
    train.wait_for(timeout=120_000)
    train.click()
    # a smoke run can end before its live view is drawn: wait for the end alone
    page.wait_for_function(
        "(texts) => texts.some(t => document.body.innerText.includes(t))",
        arg=list(FINISHED), timeout=600_000, polling=500)
    page.locator(HEADLINE).first.wait_for(timeout=60_000)
    page.locator(LIVE_CHART).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the figures finish drawing
    found = boxes(page)
    path = OUT / f"{name or lab_id}.png"
    page.screenshot(path=str(path))
    page.context.close()
    print(f"{lab_id}: {path.relative_to(ROOT)} (headline figure at "
          f"{found['headline figure'] and round(found['headline figure']['top'])} px)")
    return path


def main() -> int:
    from core.labs import all_labs
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("labs", nargs="*")
    parser.add_argument("--size", default="1440x900")
    parser.add_argument("--present", action="store_true", help="present mode (?present=1)")
    parser.add_argument("--dark", action="store_true", help="the server's dark theme")
    parser.add_argument("--quick", action="store_true", help="train the lab's smoke settings")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    labs = [lab.id for lab in all_labs().values()
            if (not args.labs or lab.id in args.labs) and (ROOT / "pages" / f"{lab.id}.py").exists()]
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = ("" if args.size == "1440x900" else f"-{args.size}") + \
        ("-present" if args.present else "") + ("-dark" if args.dark else "")
    env = {"STREAMLIT_THEME_BASE": "dark"} if args.dark else None
    with app_server(env) as srv, chromium() as new_page:
        for lab_id in labs:
            query = dict(all_labs()[lab_id].smoke) if args.quick else {}
            if args.present:
                query["present"] = "1"
            screenshot(new_page, srv.url, lab_id, size, query, name=f"{lab_id}{suffix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
