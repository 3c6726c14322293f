"""The experiment on one screen: after Train, at a laptop's 1440x900 and a projector's
1280x720 (and in present mode there), the progress bar, the live loss chart and the lab's
headline figure are all inside the first screen, without scrolling."""
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_server import ROOT, app_server, chromium, require_chromium
from core.contract import knobs
from core.labs import all_labs
from one_screen import current_pieces, outside_viewport, press_train_and_find_pieces

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop 1440x900": ((1440, 900), {}),
             "projector 1280x720": ((1280, 720), {}),
             "projector, present mode": ((1280, 720), {"present": "1"})}


def _labs():
    return [lab for lab in all_labs().values() if (ROOT / "pages" / f"{lab.id}.py").exists()]


@pytest.fixture(scope="module")
def server():
    require_chromium()
    with app_server() as srv:
        yield srv.url


@pytest.fixture(scope="module")
def browser():
    with chromium() as new_page:
        yield new_page


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lab", _labs(), ids=lambda lab: lab.id)
def test_train_progress_live_chart_and_headline_fit_the_first_screen(server, browser, lab,
                                                                     viewport):
    size, params = VIEWPORTS[viewport]
    page = browser(size)
    try:
        query = urlencode({**_long_run(lab), **params})
        page.goto(f"{server}/{lab.id}?{query}")
        page.get_by_role("button", name="Train", exact=True).first.wait_for(timeout=90_000)
        found = press_train_and_find_pieces(page)
        problems = outside_viewport(found)
        for _ in range(3):
            # A loaded server redraws the live view slowly, and while the new draw arrives
            # the old one stays on the page for a moment: look again at the settled page
            if not problems:
                break
            page.wait_for_timeout(1500)
            problems = outside_viewport(current_pieces(page))
        assert not problems, f"{lab.id} at {viewport}: " + "; ".join(problems)
    finally:
        stop = page.get_by_role("button", name="Stop", exact=True)
        try:  # free the slot for the next case; the run may just have ended on its own
            if stop.count() and stop.first.is_enabled():
                stop.first.click(timeout=5_000)
        except PlaywrightTimeout:
            pass
        page.context.close()


def _long_run(lab) -> dict:
    """The most training steps the lab allows, so its run outlasts the measurement."""
    steps = next((f for f in knobs(lab.Config) if f.name == "steps"), None)
    return {"steps": steps.metadata["max"]} if steps is not None else {}
