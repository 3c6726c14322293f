"""The real server driven in Chromium: open pages, click Train, watch the chart update."""
import pytest

from browser_server import ROOT, app_server, chromium_page, require_chromium
from core.labs import all_labs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    require_chromium()
    with app_server() as url:
        yield url


def test_home_shows_a_card_per_lab(server):
    with chromium_page() as page:
        page.goto(server)
        page.get_by_text("Train small recurrent networks live").wait_for(timeout=60_000)
        for lab in all_labs().values():
            if not (ROOT / "pages" / f"{lab.id}.py").exists():
                continue
            assert page.get_by_text(lab.question).count() >= 1, lab.id
        assert page.get_by_text("Device:").count() >= 1


def test_gradient_flow_trains_live_and_stops(server):
    with chromium_page() as page:
        page.goto(f"{server}/gradients")
        page.get_by_role("button", name="Train", exact=True).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Train", exact=True).first.click()
        # the live loss chart appears while training runs
        page.get_by_text("Training — step").first.wait_for(timeout=30_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        first = page.get_by_text("Training — step").first.inner_text()
        page.wait_for_timeout(2500)
        later = page.get_by_text("Training — step").first.inner_text()
        assert first != later, "the progress did not move"
        page.get_by_role("button", name="Stop", exact=True).first.click()
        page.get_by_text("Stopped after").first.wait_for(timeout=60_000)
        # the finished (stopped) run's figures are drawn
        page.get_by_text("Where the gradient goes").wait_for(timeout=60_000)
        assert page.locator(".js-plotly-plot").count() >= 5
