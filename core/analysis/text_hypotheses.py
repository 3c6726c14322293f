"""Hypotheses computed from the text itself, one value per character, to search the cells for
(Karpathy, Johnson & Fei-Fei 2015 found LSTM cells that track each of these).

Every value at position t describes the text as it stands once character t has been read,
which is what the state h_t (or c_t) has seen: an opening quote is already inside the quote
(1), its closing quote is outside again (0); an opening bracket already counts in the depth.

- inside quotes: a small scanner with one state (outside, inside "...", inside '...'). Inside
  one kind of quote the other kind is plain text, and a backslash escapes the next character.
  A ' between two letters is an apostrophe (don't), not a quote, unless the word before it is
  a string prefix of code (f, r, b, u, rb, br, fr, rf: f'...').
- bracket depth: open (, [, { minus closed ), ], }, counted everywhere (also inside quotes,
  so a stray quote mark cannot hide the brackets), never below 0 (a stray closer is ignored).
- position in line: the index of the character in its line (characters since the last
  newline); a newline ends its line and has the column after its line's last character.
- indentation: the number of leading spaces and tabs (each counts 1) of the character's line.
- span: 1 on a selected span [a, b), 0 elsewhere.
"""
from __future__ import annotations

import numpy as np

OPENERS, CLOSERS = "([{", ")]}"
STRING_PREFIXES = {"f", "r", "b", "u", "rb", "br", "fr", "rf"}


def _is_apostrophe(text: str, t: int) -> bool:
    if not (0 < t < len(text) - 1 and text[t - 1].isalpha() and text[t + 1].isalpha()):
        return False
    start = t - 1
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:t].lower() not in STRING_PREFIXES


def quote_states(text: str) -> tuple[list, list]:
    """Scan for quotes: returns (state, opened_at) per character, state "" (outside), '"' or
    "'", and opened_at the position of the quote mark that opened it (-1 outside)."""
    state, opened_at, escaped = "", -1, False
    states, starts = [], []
    for t, ch in enumerate(text):
        if state:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == state:
                state, opened_at = "", -1
        elif ch == '"' or (ch == "'" and not _is_apostrophe(text, t)):
            state, opened_at = ch, t
        states.append(state)
        starts.append(opened_at)
    return states, starts


def inside_quotes(text: str, kinds: str = "\"'") -> np.ndarray:
    """1.0 where the text is inside a quote of one of `kinds`, else 0.0 (see the module)."""
    states, _ = quote_states(text)
    return np.array([1.0 if s and s in kinds else 0.0 for s in states])


def bracket_depth(text: str) -> np.ndarray:
    """Number of brackets ((, [, {) open after each character, never below 0."""
    depth, out = 0, []
    for ch in text:
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        out.append(depth)
    return np.array(out, dtype=float)


def innermost_open(text: str) -> np.ndarray:
    """The position of the innermost bracket or quote still open after each character (the
    later-opened of the top of the bracket stack and the open quote's mark), -1 if none."""
    _, quote_starts = quote_states(text)
    stack, out = [], []
    for t, ch in enumerate(text):
        if ch in OPENERS:
            stack.append(t)
        elif ch in CLOSERS and stack:
            stack.pop()
        out.append(max(stack[-1] if stack else -1, quote_starts[t]))
    return np.array(out, dtype=int)


def position_in_line(text: str) -> np.ndarray:
    """Characters since the last newline before each character (0 at a line's start)."""
    column, out = 0, []
    for ch in text:
        out.append(column)
        column = 0 if ch == "\n" else column + 1
    return np.array(out, dtype=float)


def indentation(text: str) -> np.ndarray:
    """Leading spaces and tabs of the line each character is on (its newline included)."""
    out = []
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip(" \t"))
        out += [lead] * (len(line) + 1)  # + 1: the newline that ends the line
    return np.array(out[:len(text)], dtype=float)


def span(length: int, start: int, end: int) -> np.ndarray:
    """1.0 on the selected span [start, end), 0.0 elsewhere."""
    if not 0 <= start < end <= length:
        raise ValueError(f"the span [{start}, {end}) is not a non-empty part of a text of "
                         f"{length} characters")
    out = np.zeros(length)
    out[start:end] = 1.0
    return out


def text_hypotheses(text: str, selected: tuple | None = None) -> dict:
    """Every hypothesis by name, each a float array with one value per character; "span"
    only when a span (start, end) is selected."""
    hypotheses = {"inside quotes": inside_quotes(text),
                  "inside double quotes": inside_quotes(text, '"'),
                  "bracket depth": bracket_depth(text),
                  "position in line": position_in_line(text),
                  "indentation": indentation(text)}
    if selected is not None:
        hypotheses["span"] = span(len(text), *selected)
    return hypotheses
