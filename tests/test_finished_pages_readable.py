"""Every lab's finished page is readable at a laptop's 1440x900, in Chromium: no text cut with
an ellipsis, every tab in sight, and in every figure of every tab no label under another
label, the legend or a curve (tests/finished_layout.py says how each is found). Smoke
settings: the layout, not the result, is the point."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from browser_server import ROOT, app_server, chromium, require_chromium, train_button
from core.labs import all_labs
from finished_layout import problems

pytestmark = pytest.mark.browser

LOAD_MS = 240_000  # a class's load on a 2-core server
FINISHED = ("Criterion: ", "Reached the lab's success criterion", "Finished all", "Stopped after")


def _labs():
    return [lab for lab in all_labs().values() if (ROOT / "pages" / f"{lab.id}.py").exists()]


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with app_server() as server, chromium() as new_page:
        yield server.url, new_page


@pytest.mark.parametrize("lab", _labs(), ids=lambda lab: lab.id)
def test_a_finished_page_hides_no_text(browser, lab):
    url, new_page = browser
    page = new_page((1440, 900))
    try:
        page.goto(f"{url}/{lab.id}?{urlencode(lab.smoke)}")
        train = train_button(page)
        train.wait_for(timeout=LOAD_MS)
        train.click()
        page.wait_for_function("(texts) => texts.some(t => document.body.innerText.includes(t))",
                               arg=list(FINISHED), timeout=LOAD_MS, polling=500)
        page.wait_for_timeout(1500)  # plotly lays legends and annotations out after drawing
        found = set(problems(page))
        tabs = page.locator("[data-testid='stMain'] [role='tab']")
        for i in range(tabs.count()):
            tabs.nth(i).click()
            page.wait_for_timeout(1000)  # a tab's figures are drawn when it opens
            found |= set(problems(page))
        assert not found, f"{lab.id}: " + "; ".join(sorted(found))
    finally:
        page.context.close()
