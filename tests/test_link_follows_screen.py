"""The URL equals the screen after every change: knobs and presets changed in quick
succession, then the address bar opened in a fresh browser must show every knob as it was.

Each rerun the browser asks for carries the address bar as it was at the click; a click
that beats the previous run's new URL used to bring an older URL back as if it were a link,
undoing the click (ui/links.py says how it is kept apart now). So the changes here come
faster than the page redraws, for several rounds in one session. Each round opens a fresh
browser, so the suite runs a few (RNNLAB_URL_ROUNDS=20 runs it "many times in a row" by hand)."""
from __future__ import annotations

import os
import random

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_server import app_server, chromium, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.alone]  # a race, timed by the machine

ROUNDS = int(os.environ.get("RNNLAB_URL_ROUNDS", "4"))
VIEWPORT = (1440, 900)

# Every knob in the sidebar (folded ones too: a closed expander keeps its widgets in the
# page) by its label, and the preset pill that is on.
READ_KNOBS = """() => {
  const side = document.querySelector('[data-testid="stSidebar"]');
  const knobs = {};
  for (const input of side.querySelectorAll('input[aria-label]')) {
    const name = input.getAttribute('aria-label');
    if (input.type === 'checkbox') knobs[name] = input.checked;
    else if (input.type === 'range') knobs[name] = input.getAttribute('aria-valuetext') || input.value;
    else knobs[name] = input.value;
  }
  const on = side.querySelector('[role="radio"][data-variant="pills"][aria-checked="true"]');
  knobs['preset'] = on ? on.innerText.trim() : null;
  return knobs;
}"""

# No script run in progress (no running indicator, no element left over from the last run
# waiting to be redrawn) and the address bar unchanged for a while.
SETTLED = """() => {
  const running = document.querySelector('[data-testid="stStatusWidget"]')
    || document.querySelector('[data-stale="true"]');
  const now = window.location.search;
  if (running || now !== window.__lastSearch) {
    window.__lastSearch = now; window.__quietSince = Date.now(); return false;
  }
  return Date.now() - (window.__quietSince || Date.now()) > 1500;
}"""


def _settle(page) -> None:
    page.evaluate("() => { window.__lastSearch = null; }")
    page.wait_for_function(SETTLED, timeout=240_000, polling=250)


def _open(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("combobox", name="Cell").first.wait_for(timeout=240_000)
    # the sidebar's last widget: the page's first run has drawn everything before it
    page.locator("[data-testid='stSidebar'] input[aria-label='Present mode']").wait_for(
        state="attached", timeout=240_000)
    _settle(page)


def _pick_preset(page, rng) -> None:
    pills = page.locator("[data-testid='stSidebar'] [role='radio'][data-variant='pills']")
    pills.nth(rng.randrange(pills.count())).click()


def _pick_cell(page, rng) -> None:
    choice = rng.choice(["rnn", "lstm", "gru"])
    for attempt in range(4):
        # the page may still be redrawing from the change before: the redraw closes an open
        # list, as a person would see, so open it again and pick
        page.get_by_role("combobox", name="Cell").first.click()
        try:
            page.get_by_role("option", name=choice, exact=True).click(timeout=8_000)
            return
        except PlaywrightTimeout:
            if attempt == 3:
                raise


def _nudge_sequence_length(page, rng) -> None:
    slider = page.get_by_role("slider", name="Sequence length T").first
    slider.focus()
    for _ in range(rng.randint(1, 4)):
        slider.press(rng.choice(["ArrowRight", "ArrowLeft"]))


ACTIONS = (_pick_preset, _pick_cell, _nudge_sequence_length)


def test_a_copied_link_shows_every_knob_after_quick_changes():
    require_chromium()
    rng = random.Random(23)
    with app_server() as server, chromium(VIEWPORT) as new_page:
        page = new_page()
        _open(page, f"{server.url}/gradients")
        for round_no in range(ROUNDS):
            # every kind of change each round (preset, cell, sequence length) in a shuffled
            # order, each before the page has redrawn from the last
            for action in rng.sample(ACTIONS, len(ACTIONS)):
                action(page, rng)
            _settle(page)
            on_screen, link = page.evaluate(READ_KNOBS), page.url
            fresh = new_page()
            _open(fresh, link)
            reopened = fresh.evaluate(READ_KNOBS)
            fresh.context.close()
            differing = {k: (v, reopened.get(k)) for k, v in on_screen.items()
                         if reopened.get(k) != v}
            assert not differing, (round_no, link, differing)
            assert "Cell" in on_screen and "Sequence length T" in on_screen
