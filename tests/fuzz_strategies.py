"""What the fuzz tests share: hypothesis settings, text that has broken parsers elsewhere,
and the rule an outcome must keep (a valid value, or a short message naming the problem)."""
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MAX_MESSAGE = 400  # a message longer than this is a wall of text, not a clear message
# Python's own wording leaking through means an error escaped unexplained
INTERNAL = ("invalid literal", "could not convert", "has no attribute", "out of range",
            "Traceback", "NoneType")
HUGE = 100_000

# Characters that have broken parsers elsewhere: separators the validators strip, unicode
# digits and letters that lower() or int() treat specially, controls and invisible marks.
TRICKY = ("", " ", "\t", "\n", "\r\n", "\x00", "\u200b", "\u00a0", "\ufeff", "é", "ß", "İ",
          "K", "ﬃ", "²", "٣", "１", "🙂", "nan", "NaN", "inf", "-inf", "1e309", "None",
          "[]", "()", ",,,", ";", "'", '"', "\\", "%s", "{}", "<script>")


def huge(piece: st.SearchStrategy) -> st.SearchStrategy:
    """Long strings made by repeating a short one, so examples stay cheap to draw."""
    return st.builds(lambda s, n: (s * n)[:HUGE], piece, st.integers(1, HUGE))


def fuzz_text(alphabet: str) -> st.SearchStrategy:
    """Arbitrary unicode, text near the valid alphabet (so some inputs parse), tricky
    fragments, and huge strings of either."""
    near = st.text(alphabet=alphabet + alphabet.upper() + " ,;\t\n", max_size=80)
    piece = st.one_of(st.text(min_size=1, max_size=6),
                      st.text(alphabet=alphabet + " ", min_size=1, max_size=6))
    tricky = st.lists(st.sampled_from(TRICKY), max_size=6).map("".join)
    mixed = st.builds(lambda a, b, c: a + b + c, near, tricky, near)
    return st.one_of(st.text(), near, tricky, mixed, huge(piece))


def outcome(call):
    """The value `call()` returns, or None when it raised ValueError with a usable message;
    any other exception propagates and fails the test."""
    try:
        return call()
    except ValueError as err:
        message = str(err)
        assert message.strip(), f"{type(err).__name__} without a message"
        assert len(message) <= MAX_MESSAGE, f"message of {len(message)} characters"
        assert not any(phrase in message for phrase in INTERNAL), message
        return None
