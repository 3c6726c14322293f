"""Show user text as literal text inside Markdown.

Streamlit renders the body of st.markdown, st.warning, st.error, st.info, st.caption and
st.write(str) as Markdown, so a value from a link, a file name or a typed string could
otherwise become a link, an image the browser fetches, a heading, LaTeX ($...$), an icon or
colour directive (:red[...], :material/...:). CommonMark lets a backslash escape any ASCII
punctuation character, so escaping all of them leaves every character as typed; line breaks
become spaces so the text stays inside the sentence that quotes it.

Escapes do not stop GitHub-style bare-URL linking, which Streamlit's renderer applies to the
text after escapes are read (measured in Chromium: "https\\:\\/\\/ex\\.org" still became a
link). An invisible word joiner (U+2060) inside "://", after "www" and before "@" leaves
nothing that pattern matches; the reader sees the same characters.
"""
from __future__ import annotations

import re
import string

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# in escaped text: "://", "www." and "@" as they appear after _PUNCTUATION
_BARE_LINKS = re.compile(r"(\\:)(\\/\\/)|(?i:(www))(\\\.)|()(\\@)")


def escape_markdown(text: object) -> str:
    """`text` as Markdown that renders to exactly its characters (line breaks as spaces), with
    no part of it turned into a link."""
    escaped = _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))
    return _BARE_LINKS.sub(_join, escaped)


def _join(match: re.Match) -> str:
    head, tail = [g for g in match.groups() if g is not None]
    return head + WORD_JOINER + tail
