"""Where the run's pieces are on the screen, read from the real page in Chromium.

Shared by the one-screen browser test and the screenshot command: both open a lab page,
press Train and look at the progress bar, the live loss chart and the headline figure.
"""
from __future__ import annotations

import json

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_server import train_button

PROGRESS = "[data-testid='stProgress']"
LIVE_CHART = "[class*='st-key-live-loss-'] [data-testid='stVegaLiteChart']"
HEADLINE = "[class*='st-key-headline-'] .js-plotly-plot"
PIECES = {"progress bar": PROGRESS, "live loss chart": LIVE_CHART, "headline figure": HEADLINE}

_BOXES_JS = """(selectors) => {
  const out = {};
  for (const [name, sel] of Object.entries(selectors)) {
    const el = document.querySelector(sel);
    if (!el) { out[name] = null; continue; }
    const r = el.getBoundingClientRect();
    out[name] = {top: r.top, left: r.left, bottom: r.bottom, right: r.right,
                 width: r.width, height: r.height};
  }
  out.scrollY = window.scrollY;
  out.viewport = {width: window.innerWidth, height: window.innerHeight};
  return out;
}"""


def boxes(page, pieces: dict = PIECES) -> dict:
    """Bounding boxes (viewport coordinates) of the named pieces; None where absent."""
    return page.evaluate(_BOXES_JS, pieces)


def outside_viewport(found: dict) -> list[str]:
    """Names of pieces missing, empty, or not wholly inside the first screen."""
    vw, vh = found["viewport"]["width"], found["viewport"]["height"]
    bad = []
    for name in PIECES:
        if name == "progress bar" and found.get("finished"):
            continue  # the run ended before it was measured (press_train_and_find_pieces)
        box = found.get(name)
        if box is None or box["width"] <= 0 or box["height"] <= 0:
            bad.append(f"{name}: not drawn")
        elif found["scrollY"] != 0 or box["top"] < 0 or box["left"] < 0 \
                or box["bottom"] > vh + 0.5 or box["right"] > vw + 0.5:
            bad.append(f"{name}: at {json.dumps({k: round(v) for k, v in box.items()})} "
                       f"in a {vw}x{vh} viewport, scrolled {found['scrollY']}")
    return bad


FINISHED_TEXT = r"Criterion: |Reached the lab's success criterion|Finished all|Stopped after"


def press_train_and_find_pieces(page, timeout_ms: int = 90_000) -> dict:
    """Press the lab's Train and wait until the progress bar, the live chart and the
    headline figure are all drawn at once (while the run trains); return their boxes.

    A run that reaches its criterion within seconds (Bidirectional's takes 4 s) can end
    before a loaded machine has drawn its live view: then the finished page's live chart and
    headline are measured, and `finished` is set (the progress bar has gone with the run).
    A click that lands while the page redraws can be dropped, as a person would see nothing
    happen and press again: so press again if nothing has started within 15 s."""
    train = train_button(page)
    train.click()
    moved = ("(pattern) => new RegExp(pattern).test(document.querySelector("
             "\"[data-testid='stMain']\").innerText)")
    try:
        page.wait_for_function(moved, arg=r"Training — step|Queued: position|" + FINISHED_TEXT,
                               timeout=15_000, polling=250)
    except PlaywrightTimeout:
        if train.is_enabled():
            train.click()
    page.wait_for_function(
        """([sel, finished]) => {
             const drawn = s => { const el = document.querySelector(s);
                                  return el && el.getBoundingClientRect().height > 0; };
             if (Object.values(sel).every(drawn)) return true;
             const main = document.querySelector("[data-testid='stMain']");
             return new RegExp(finished).test(main ? main.innerText : "")
                    && drawn(sel["live loss chart"]) && drawn(sel["headline figure"]); }""",
        arg=[PIECES, FINISHED_TEXT], timeout=timeout_ms, polling=100)
    return current_pieces(page)


def current_pieces(page) -> dict:
    """The pieces' boxes now, `finished` set once the run's progress bar has gone."""
    found = boxes(page)
    found["finished"] = found.get("progress bar") is None
    return found


_FIGURE_PARTS_JS = """(sel) => {
  const fig = document.querySelector(sel);
  if (!fig) return null;
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
    return {top: r.top, left: r.left, bottom: r.bottom, right: r.right}; };
  return {figure: box(fig), plot: box(fig.querySelector('.nsewdrag')),
          legend: box(fig.querySelector('.legend .bg') || fig.querySelector('.legend')),
          xtitle: box(fig.querySelector('.g-xtitle text'))};
}"""


def figure_parts(page, selector: str = HEADLINE) -> dict | None:
    """Boxes of one figure's whole, plot area, legend and x-axis title (None where absent)."""
    return page.evaluate(_FIGURE_PARTS_JS, selector)


def overlap(a: dict | None, b: dict | None, slack: float = 1.0) -> bool:
    """Whether two boxes share more than a pixel's edge."""
    if a is None or b is None:
        return False
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack)
