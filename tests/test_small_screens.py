"""The screens a class uses, in Chromium: a phone (390×844), a tablet (820×1180), a desktop
(1440×900); and the menu that lets a dark room switch theme."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from browser_server import ROOT, app_server, chromium, require_chromium
from core.labs import all_labs
from core.labs.catalog import lab_cards

pytestmark = pytest.mark.browser

PHONE, TABLET, DESKTOP = (390, 844), (820, 1180), (1440, 900)
LOAD_MS = 240_000  # a class's load on a 2-core server


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with app_server() as server, chromium() as new_page:
        yield server.url, new_page


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_on_a_phone_train_is_in_the_main_area_with_the_headline_under_it(browser):
    url, new_page = browser
    page = new_page(PHONE)
    page.goto(f"{url}/gradients")
    train = page.locator(".st-key-phone-run-buttons").get_by_role("button", name="Train", exact=True)
    train.wait_for(state="visible", timeout=LOAD_MS)
    buttons = _box(page, ".st-key-phone-run-buttons")
    assert buttons["y"] + buttons["height"] <= PHONE[1], "Train is below the first screen"
    # the idle page already holds the headline's and the live loss's places
    page.locator("[class*='st-key-headline-'] .js-plotly-plot").first.wait_for(timeout=LOAD_MS)
    headline = _box(page, "[class*='st-key-headline-']")
    loss = _box(page, "[class*='st-key-live-loss-']")
    assert buttons["y"] < headline["y"] < loss["y"], (buttons, headline, loss)
    # touch screens would show Plotly's toolbar over the title: it is hidden
    shown = page.evaluate("""() => [...document.querySelectorAll('.modebar-container')]
        .filter(m => getComputedStyle(m).display !== 'none').length""")
    assert shown == 0
    page.context.close()


def test_on_a_phone_a_finished_run_shows_its_headline_before_its_verdict(browser):
    """The verdict names the criterion in three or four lines of a phone's width: under the
    figure it describes, not between Train and the figure (it pushed the headline to 729 px)."""
    url, new_page = browser
    page = new_page(PHONE)
    page.goto(f"{url}/gradients?{urlencode(all_labs()['gradients'].smoke)}")
    train = page.locator(".st-key-phone-run-buttons").get_by_role("button", name="Train", exact=True)
    train.wait_for(state="visible", timeout=LOAD_MS)
    train.click()
    verdict = page.get_by_text("Criterion: ").first
    verdict.wait_for(timeout=LOAD_MS)
    headline = _box(page, "[class*='st-key-headline-']")
    assert headline["y"] < PHONE[1] - 200, f"the headline starts at {headline['y']:.0f} px"
    assert headline["y"] + headline["height"] <= verdict.bounding_box()["y"] + 1
    page.context.close()


def test_on_a_desktop_train_is_drawn_once_beside_the_knobs(browser):
    url, new_page = browser
    page = new_page(DESKTOP)
    page.goto(f"{url}/gradients")
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Train", exact=True).wait_for(
        state="visible", timeout=LOAD_MS)
    assert not page.locator(".st-key-phone-run-buttons").first.is_visible()
    page.context.close()


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["phone", "tablet"])
def test_home_cards_come_in_the_desktop_order(browser, size):
    url, new_page = browser
    page = new_page(size)
    page.goto(url)
    titles = [card.title for card in lab_cards() if (ROOT / "pages" / f"{card.id}.py").exists()]
    page.get_by_role("heading", name=titles[-1]).first.wait_for(timeout=LOAD_MS)
    tops = [page.get_by_role("heading", name=t, exact=True).first.bounding_box()
            for t in titles]
    order = sorted(range(len(titles)), key=lambda i: (round(tops[i]["y"]), tops[i]["x"]))
    assert [titles[i] for i in order] == titles
    page.context.close()


def test_the_menu_switches_to_the_dark_theme(browser):
    url, new_page = browser
    page = new_page(DESKTOP)
    page.goto(f"{url}/gradients")
    page.locator("[class*='st-key-headline-'] .js-plotly-plot").first.wait_for(timeout=LOAD_MS)
    page.locator("[data-testid='stMainMenu']").click()
    page.locator("[data-testid='stMainMenuItem-theme-Dark']").click()
    page.wait_for_function("""() => {
        const [r, g, b] = getComputedStyle(document.querySelector('.stApp'))
            .backgroundColor.match(/\\d+/g).map(Number);
        return r + g + b < 150; }""", timeout=30_000)
    # the figure's reference line is the palette's mid grey, not black on the dark page
    strokes = page.evaluate("""() => [...document.querySelectorAll(
        "[class*='st-key-headline-'] .shapelayer path")].map(p => p.style.stroke)""")
    assert strokes and all(s == "rgb(140, 140, 140)" for s in strokes), strokes
    page.context.close()
