"""Figures on a projector (1280×720 in present mode) and a laptop (1440×900), in Chromium,
after a run: Forecast's Lorenz preset headline fits the first screen, its legend covers
neither its curves nor its x-axis title."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from browser_server import app_server, chromium, require_chromium
from core.labs import all_labs
from one_screen import HEADLINE, figure_parts, overlap

pytestmark = pytest.mark.browser

LOAD_MS = 240_000  # a class's load on a 2-core server
FINISHED = ("Criterion: ", "Reached the lab's success criterion", "Finished all", "Stopped after")
SCREENS = {"projector, present mode": ((1280, 720), {"present": "1"}),
           "laptop 1440x900": ((1440, 900), {})}


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with app_server() as server, chromium() as new_page:
        yield server.url, new_page


def _trained(new_page, url: str, lab_id: str, size, query: dict):
    page = new_page(size)
    page.goto(f"{url}/{lab_id}?{urlencode(query)}")
    train = page.get_by_role("button", name="Train", exact=True).locator("visible=true").first
    train.wait_for(timeout=LOAD_MS)
    train.click()
    page.wait_for_function("(texts) => texts.some(t => document.body.innerText.includes(t))",
                           arg=list(FINISHED), timeout=LOAD_MS, polling=500)
    page.locator(HEADLINE).first.wait_for(timeout=LOAD_MS)
    page.wait_for_timeout(1000)  # plotly lays the legend out after the figure appears
    return page


@pytest.mark.parametrize("screen", list(SCREENS))
def test_forecast_lorenz_headline_fits_and_its_legend_covers_nothing(browser, screen):
    url, new_page = browser
    size, params = SCREENS[screen]
    query = {**all_labs()["forecast"].smoke, "preset": "chaos: Lorenz-63", **params}
    page = _trained(new_page, url, "forecast", size, query)
    try:
        parts = figure_parts(page)
        assert parts and parts["legend"] and parts["xtitle"], parts
        assert parts["figure"]["bottom"] <= size[1] + 0.5, (screen, parts["figure"])
        assert parts["xtitle"]["bottom"] <= parts["figure"]["bottom"] + 0.5, parts
        assert not overlap(parts["legend"], parts["plot"]), ("legend over the curves", parts)
        assert not overlap(parts["legend"], parts["xtitle"]), ("legend over the axis title",
                                                               parts)
    finally:
        page.context.close()


TITLES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(fig => {
  const title = fig.querySelector('.gtitle');
  if (!title) return null;
  return {text: title.textContent, top: title.getBoundingClientRect().top,
          figure_top: fig.getBoundingClientRect().top};
}).filter(t => t)"""


def test_a_two_line_title_stays_inside_its_figure(browser):
    """DNA's headline title is long enough to wrap onto two lines: both lie inside the figure
    (plotly's default anchor grew such a title upward, and the page cut its first line off)."""
    url, new_page = browser
    page = _trained(new_page, url, "dna", (1440, 900), dict(all_labs()["dna"].smoke))
    try:
        titles = page.evaluate(TITLES_JS)
        assert any(t["text"].startswith("Accuracy on held-out DNA") for t in titles), titles
        cut = [t for t in titles if t["top"] < t["figure_top"] - 0.5]
        assert not cut, cut
    finally:
        page.context.close()
