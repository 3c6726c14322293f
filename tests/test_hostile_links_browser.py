"""A hostile link in the real browser: the notice shows its text literally, with no link to
follow and no image fetched."""
import urllib.parse

import pytest

from browser_server import app_server, chromium, require_chromium

pytestmark = pytest.mark.browser

# short: notices quote parameters whole up to about 30 characters, then shorten them
NAME = "[Expired](https://ex.org)"
VALUE = "![p](http://1.2.3.4/t.png)"
MARKUP = (":red[loud]", "$x^2$", ":material/home:", "*stars*", "www.ex.org", "me@ex.org")


def test_link_notices_render_as_literal_text():
    require_chromium()
    query = urllib.parse.urlencode({NAME: "1", "cell": VALUE, **{m: "1" for m in MARKUP}})
    with app_server() as srv, chromium() as new_page:
        page = new_page()
        page.goto(f"{srv.url}/gradients?{query}")
        notice = page.locator("[data-testid='stAlert']").filter(has_text="were ignored")
        notice.wait_for(timeout=120_000)
        text = notice.inner_text().replace("\u2060", "")  # an invisible word joiner
        for literal in (NAME, VALUE) + MARKUP:
            assert literal in text, (literal, text)
        assert notice.locator("a, img, .katex, strong, em").count() == 0, notice.inner_html()
        page.context.close()
