"""Each text hypothesis on a small string whose values are enumerated by hand."""
import numpy as np
import pytest

from core.analysis.text_hypotheses import (bracket_depth, indentation, innermost_open,
                                           inside_quotes, position_in_line, span,
                                           text_hypotheses)


def _ints(values):
    return [int(v) for v in values]


def test_inside_quotes_by_hand():
    text = 'a "b c" d'
    #        a _ " b _ c " _ d : the opening mark is inside, the closing one outside
    assert _ints(inside_quotes(text)) == [0, 0, 1, 1, 1, 1, 0, 0, 0]


def test_other_quote_kind_is_text_inside_a_quote_and_escapes():
    text = "\"it's\" 'say \"hi\"' \"a\\\"b\""
    # "it's" : the ' is inside a double quote, so plain text
    expected = [1, 1, 1, 1, 1, 0, 0]
    # 'say "hi"' : the double quotes inside a single quote are text
    expected += [1] * 9 + [0, 0]
    # "a\"b" : the escaped quote does not close
    expected += [1, 1, 1, 1, 1, 0]
    assert _ints(inside_quotes(text)) == expected
    double_only = inside_quotes(text, '"')
    assert _ints(double_only[7:18]) == [0] * 11


def test_apostrophes_are_not_quotes_but_string_prefixes_are():
    assert _ints(inside_quotes("don't")) == [0, 0, 0, 0, 0]
    # f'x' is a string: the prefix f makes the ' an opening quote
    assert _ints(inside_quotes("f'x'")) == [0, 1, 1, 0]
    # a quote after a space opens even between words
    assert _ints(inside_quotes("a 'b'")) == [0, 0, 1, 1, 0]


def test_bracket_depth_by_hand():
    text = "f(a[1], {b})) x"
    #        f ( a [ 1 ] , _ { b } ) ) _ x
    assert _ints(bracket_depth(text)) == [0, 1, 1, 2, 2, 1, 1, 1, 2, 2, 1, 0, 0, 0, 0]


def test_innermost_open_by_hand():
    text = 'f(a "b" c)'
    #        f   (  a  _  "  b  "  _  c  )
    assert _ints(innermost_open(text)) == [-1, 1, 1, 1, 4, 4, 1, 1, 1, -1]


def test_position_in_line_by_hand():
    assert _ints(position_in_line("ab\ncd\n\ne")) == [0, 1, 2, 0, 1, 2, 0, 0]


def test_indentation_by_hand():
    text = "if x:\n    y\n\tz\n"
    #        i f _ x : \n  _ _ _ _ y \n  \t z \n
    assert _ints(indentation(text)) == [0] * 6 + [4] * 6 + [1] * 3


def test_span_and_its_bad_input():
    assert _ints(span(5, 1, 3)) == [0, 1, 1, 0, 0]
    for start, end in ((3, 3), (-1, 2), (2, 6)):
        with pytest.raises(ValueError, match="span"):
            span(5, start, end)


def test_all_hypotheses_have_one_value_per_character():
    for text in ("", "x", 'a "b" (c)\n  d', "é漢字\x00\x07"):
        hypotheses = text_hypotheses(text, selected=(0, 1) if text else None)
        for name, values in hypotheses.items():
            assert values.shape == (len(text),), name
            assert np.isfinite(values).all()
    assert "span" in text_hypotheses("abc", selected=(1, 2))
