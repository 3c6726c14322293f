"""Show user text as literal text inside Markdown.

Streamlit renders the body of st.markdown, st.warning, st.error, st.info, st.caption and
st.write(str) as Markdown, so a value from a link, a file name or a typed string could
otherwise become a link, an image the browser fetches, a heading, LaTeX ($...$), an icon or
colour directive (:red[...], :material/...:). CommonMark lets a backslash escape any ASCII
punctuation character, so escaping all of them leaves every character as typed; line breaks
become spaces so the text stays inside the sentence that quotes it.
"""
from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def escape_markdown(text: object) -> str:
    """`text` as Markdown that renders to exactly its characters (line breaks as spaces)."""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))
