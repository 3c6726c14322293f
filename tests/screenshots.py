"""Screenshots of every lab after its default demo has trained: `python tests/screenshots.py`
[lab ...] [--size 1440x900]. Each is written to assets/screenshots/<lab>.png; the README shows
Gradient Flow's. Needs Chromium and the dev requirements; takes a minute or two per lab.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_server import ROOT, app_server, chromium  # noqa: E402
from one_screen import HEADLINE, LIVE_CHART, boxes  # noqa: E402

OUT = ROOT / "assets" / "screenshots"
FINISHED = ("Criterion: ", "Reached the lab's success criterion", "Finished all",
            "Stopped after",
            "Training diverged", "The run failed")


def screenshot(new_page, url: str, lab_id: str, size: tuple[int, int]) -> Path:
    page = new_page(size)
    page.goto(f"{url}/{lab_id}")
    page.get_by_role("button", name="Train", exact=True).first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Train", exact=True).first.click()
    page.get_by_text("Training — step").first.wait_for(timeout=120_000)
    page.wait_for_function(
        "(texts) => texts.some(t => document.body.innerText.includes(t))",
        arg=list(FINISHED), timeout=600_000, polling=500)
    page.locator(HEADLINE).first.wait_for(timeout=60_000)
    page.locator(LIVE_CHART).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the figures finish drawing
    found = boxes(page)
    path = OUT / f"{lab_id}.png"
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
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    labs = [lab.id for lab in all_labs().values()
            if (not args.labs or lab.id in args.labs) and (ROOT / "pages" / f"{lab.id}.py").exists()]
    OUT.mkdir(parents=True, exist_ok=True)
    with app_server() as srv, chromium() as new_page:
        for lab_id in labs:
            screenshot(new_page, srv.url, lab_id, size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
