"""Hostile input from links, uploads and text fields: shown as literal text, bounded before
it costs anything, refused with a message that names the problem."""
import re
import string
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from conftest import shown_text
from core import text_limits
from core.contract import knobs
from core.export import MAX_CHECKPOINT_BYTES, weights_bytes
from core.tasks import direction, permutation, words
from core.tasks.series_csv import MAX_BYTES, MAX_COLUMNS, read_csv_table
from ui.escape import escape_markdown

ROOT = Path(__file__).resolve().parents[1]
# short enough that notices quote them whole (they shorten long values with reprlib)
LINK_NAME = "[Expired](https://ex.org)"
IMAGE_VALUE = "![p](http://10.0.0.1/t.png)"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                      blacklist_characters="\r\n\u2028\u2029\u2060")))
def test_escaped_text_reads_back_exactly_and_leaves_no_markup(text):
    escaped = escape_markdown(text)
    assert shown_text(escaped) == text
    # every ASCII punctuation character is escaped, so none can open a Markdown construct
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)
    assert not set(bare) & set(string.punctuation)


def test_bare_urls_and_addresses_are_broken_invisibly():
    escaped = escape_markdown("see https://ex.org, www.ex.org or me@ex.org")
    assert shown_text(escaped) == "see https://ex.org, www.ex.org or me@ex.org"
    assert escaped.count("\u2060") == 3


def test_line_breaks_become_spaces():
    assert escape_markdown("a\n# heading\r\n- item") == r"a \# heading \- item"


def test_a_link_shaped_parameter_and_an_image_link_value_show_as_literal_text():
    at = AppTest.from_file(str(ROOT / "pages" / "gradients.py"), default_timeout=120)
    at.query_params[LINK_NAME] = "1"
    at.query_params["cell"] = IMAGE_VALUE
    at.run()
    assert not at.exception, at.exception
    [notice] = [w.value for w in at.warning if "ignored" in w.value]
    for literal in (LINK_NAME, IMAGE_VALUE):
        assert literal in shown_text(notice)  # the reader sees the characters as typed
        assert literal not in notice  # and the Markdown holds no link or image syntax
    assert "](" not in notice and "![" not in notice


def test_a_csv_with_a_huge_header_is_refused_before_it_is_parsed():
    n = 200_000  # a 1.7 MB file: under the byte limit
    wide = ",".join(map(str, range(n))) + "\n" + ",".join("1" * n) + "\n"
    assert len(wide) < MAX_BYTES
    with pytest.raises(ValueError, match=f"{n:,} columns; the limit is {MAX_COLUMNS}"):
        read_csv_table(wide)


def test_a_csv_at_the_column_limit_is_read():
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS))
    table = read_csv_table(header + "\n" + ",".join("1" * MAX_COLUMNS) + "\n")
    assert table.shape == (1, MAX_COLUMNS)


def test_the_server_upload_limit_covers_both_uploads_and_nothing_more():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == text_limits.UPLOAD_MAX_MB
    mb = 2**20  # Streamlit's megabyte
    assert text_limits.UPLOAD_MAX_MB * mb >= max(MAX_BYTES, MAX_CHECKPOINT_BYTES)
    assert (text_limits.UPLOAD_MAX_MB - 1) * mb < max(MAX_BYTES, MAX_CHECKPOINT_BYTES)


def test_the_largest_model_any_lab_trains_fits_the_checkpoint_limit():
    """Attention at its largest knobs (d_h = 256, LSTM, general attention, V = 26) with its
    no-attention rival: the biggest weights file the app writes."""
    from core.models.seq2seq import Seq2Seq
    from core.tasks.transduction import TransductionTask
    vocab = TransductionTask("reverse", 26).vocab_size
    size = len(weights_bytes({"model": Seq2Seq(vocab, 256, "lstm", "general"),
                              "rival": Seq2Seq(vocab, 256, "lstm", "none")}))
    assert size <= MAX_CHECKPOINT_BYTES


def test_each_text_limit_admits_the_longest_valid_input():
    letters = direction.symbol_names(26)
    longest = ", ".join(letters[i % 4] for i in range(direction.MAX_TYPED_LENGTH))
    assert len(longest) <= text_limits.BIDIRECTIONAL_INPUT_MAX_CHARS
    assert len(direction.parse_sequence(longest, 4)) == direction.MAX_TYPED_LENGTH
    numbers = ", ".join(["-1.2345678901234567e-123"] * permutation.MAX_TYPED_LENGTH)
    assert len(numbers) <= text_limits.POINTER_NUMBERS_MAX_CHARS
    assert len(permutation.parse_numbers(numbers)) == permutation.MAX_TYPED_LENGTH
    word = " " + "w" * words.MAX_LETTERS + " "
    assert len(word) <= text_limits.VRAE_WORD_MAX_CHARS and words.validate_word(word)
    from core.tasks.transduction import TransductionTask
    typed = ", ".join("a" * 40)
    assert len(typed) <= text_limits.ATTENTION_INPUT_MAX_CHARS
    assert len(TransductionTask("reverse", 8).encode(typed, 1, 40)) == 40
    assert text_limits.STACK_STRING_MAX_CHARS >= 2 * 100  # test_len's maximum, with spaces
    assert all(isinstance(v, int) and v > 0 for k, v in vars(text_limits).items()
               if k.endswith("_MAX_CHARS"))


def test_the_text_limits_follow_the_longest_inputs_the_knobs_allow():
    from core.labs import get_lab
    fields = {lab: {f.name: f for f in knobs(get_lab(lab).Config)} for lab in ("attention",
                                                                           "stack")}
    assert fields["attention"]["test_max_len"].metadata["max"] == \
        text_limits.ATTENTION_LONGEST_INPUT
    assert fields["stack"]["test_len"].metadata["max"] == text_limits.STACK_LONGEST_STRING
