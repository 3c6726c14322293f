"""The real server driven in Chromium: open pages, click Train, watch the chart update."""
import pytest

from browser_server import ROOT, app_server, chromium_page, require_chromium
from core.labs import all_labs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    require_chromium()
    with app_server() as srv:
        yield srv.url


def test_home_shows_a_card_per_lab(server):
    with chromium_page() as page:
        page.goto(server)
        page.get_by_text("Train small recurrent networks live").wait_for(timeout=60_000)
        for lab in all_labs().values():
            if not (ROOT / "pages" / f"{lab.id}.py").exists():
                continue
            page.get_by_text(lab.question).first.wait_for(timeout=30_000)
        page.get_by_text("Device:").first.wait_for(timeout=30_000)


def test_gradient_flow_trains_live_and_stops(server):
    with chromium_page() as page:
        page.goto(f"{server}/gradients")
        page.get_by_role("button", name="Train", exact=True).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Train", exact=True).first.click()
        # the live loss chart appears while training runs
        page.get_by_text("Training — step").first.wait_for(timeout=30_000)
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
        first = page.get_by_text("Training — step").first.inner_text()
        # the progress moves on its own (a loaded machine may take a while between redraws)
        page.wait_for_function(
            """(first) => [...document.querySelectorAll('p')].some(
                   p => p.textContent.startsWith('Training — step') && p.textContent !== first)""",
            arg=first, timeout=30_000)
        page.get_by_role("button", name="Stop", exact=True).first.click()
        page.get_by_text("Stopped after").first.wait_for(timeout=60_000)
        # the finished (stopped) run's figures are drawn: the headline, and the open tab's
        page.get_by_text("Gradient reaching each timestep, per cell").wait_for(timeout=60_000)
        page.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)
        page.get_by_role("tab", name="Cells compared").click()
        page.get_by_text("The run ended before the other cells trained").first.wait_for(
            timeout=60_000)


def _lab_pages():
    return [lab for lab in all_labs().values() if (ROOT / "pages" / f"{lab.id}.py").exists()]


def test_a_copied_link_reproduces_the_page_in_a_new_session(server):
    with chromium_page() as page:
        page.goto(f"{server}/gradients")
        page.get_by_role("combobox", name="Cell").first.wait_for(timeout=60_000)
        page.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name="gru", exact=True).click()
        page.wait_for_function("() => window.location.search.includes('cell=gru')",
                               timeout=30_000)
        link = page.url
    with chromium_page() as fresh:  # a new browser: a new Streamlit session
        fresh.goto(link)
        fresh.locator("[data-testid='stSelectbox']").first.wait_for(timeout=60_000)
        fresh.get_by_text("Sequence length T").first.wait_for(timeout=60_000)
        fresh.wait_for_timeout(1000)
        assert fresh.get_by_role("combobox", name="Cell").first.input_value() == "gru"
        assert fresh.get_by_text("were ignored").count() == 0


@pytest.mark.parametrize("lab", _lab_pages(), ids=lambda lab: lab.id)
def test_present_mode_on_every_page(server, lab):
    with chromium_page() as page:
        page.goto(f"{server}/{lab.id}?present=1")
        page.get_by_role("heading", name=lab.title).first.wait_for(timeout=60_000)
        # present mode's style enlarges the page's text (the default is 16px)
        page.wait_for_function(
            """() => [...document.querySelectorAll('p')]
                 .filter(p => p.textContent.startsWith('The question:'))
                 .some(p => parseFloat(getComputedStyle(p).fontSize) > 18)""",
            timeout=30_000)
        # no preset chosen: present mode hides the knobs and says how to get them back
        page.get_by_text("Present mode shows only the knobs").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Train", exact=True).first.wait_for(timeout=30_000)
        if lab.presets:
            page.locator("[data-testid='stButtonGroup']").get_by_text(
                lab.presets[0].name, exact=True).first.click()
            page.get_by_text(lab.presets[0].note[:40]).first.wait_for(timeout=30_000)


def test_a_small_sweep_runs_from_its_tab_and_draws_its_curve(server):
    """The Sweep tab end to end: the server starts its embedded Ray, trains the grid and
    the curve appears with the table and the reproducing command."""
    tiny = "steps=10&seq_len=12&lag=12&hidden=8&eval_every=5&compare_cells=false"
    with chromium_page() as page:
        page.goto(f"{server}/gradients?{tiny}")
        page.get_by_role("tab", name="Sweep", exact=True).wait_for(timeout=60_000)
        page.get_by_role("tab", name="Sweep", exact=True).click()
        values = page.get_by_label("Values (comma-separated)").first
        values.wait_for(timeout=60_000)
        values.fill("rnn,gru")
        values.press("Enter")
        page.get_by_text("6 points: 2 combinations × 3 seeds").wait_for(timeout=30_000)
        page.get_by_role("button", name="Run sweep").click()
        page.get_by_text("Sweep completed: 6 of 6 points").wait_for(timeout=240_000)
        page.get_by_text("mean ± spread over seeds (measured)").first.wait_for(timeout=30_000)
        page.get_by_text("python3 -m core sweep gradients --vary cell=rnn,gru").wait_for(
            timeout=30_000)
