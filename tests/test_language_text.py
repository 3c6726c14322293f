"""Hostile and ordinary text for the Language lab: every bad input gets a message that
names the problem; the vocabulary maps rare characters to one unknown symbol."""
import pytest

from core.tasks.text_corpus import (CORPORA, MAX_USER_BYTES, MAX_VOCABULARY, MIN_USER_CHARS,
                                    UNKNOWN, build_vocabulary, load_corpus, split_text,
                                    stdlib_source, user_text)

GOOD = "The quick brown fox jumps over the lazy dog. " * 20


def test_empty_text_is_refused():
    with pytest.raises(ValueError, match="at least 500 are needed"):
        user_text("")
    with pytest.raises(ValueError, match="at least"):
        user_text(b"   \n\n  ")


def test_one_character_is_refused():
    with pytest.raises(ValueError, match="has 1 characters"):
        user_text("a")
    with pytest.raises(ValueError, match="repeats one character"):
        user_text("a" * (MIN_USER_CHARS + 10))


def test_ten_megabytes_are_refused_before_decoding():
    with pytest.raises(ValueError, match=f"at most {MAX_USER_BYTES:,}"):
        user_text(b"a" * 10_000_000)
    with pytest.raises(ValueError, match="bytes as UTF-8"):
        user_text("é" * 600_000)  # 1.2 MB as UTF-8


def test_binary_and_non_utf8_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="binary"):
        user_text(b"PK\x03\x04\x00\x00" + GOOD.encode())
    with pytest.raises(ValueError, match=r"not UTF-8 text: byte 3 \(0xff\)"):
        user_text(b"abc\xff" + GOOD.encode())
    with pytest.raises(ValueError, match="NUL"):
        user_text("abc\x00" + GOOD)
    with pytest.raises(ValueError, match="expected text or bytes"):
        user_text(12345)


def test_control_characters_are_named_with_their_position():
    with pytest.raises(ValueError, match="U\\+0007 at position 5"):
        user_text("hello\x07" + GOOD)
    with pytest.raises(ValueError, match="U\\+001B"):
        user_text(GOOD + "\x1b[31m red")
    with pytest.raises(ValueError, match="U\\+D800"):
        user_text(GOOD + "\ud800")


def test_line_ends_tabs_and_a_byte_order_mark_are_kept_as_text():
    text = user_text(("\ufeff" + "line one\r\nline\ttwo\r" + GOOD).encode("utf-8"))
    assert text.startswith("line one\nline\ttwo\n")


def test_mixed_scripts_are_accepted_and_the_vocabulary_is_bounded():
    mixed = (GOOD + "Съешь же ещё этих мягких французских булок. 天地玄黄宇宙洪荒 "
             + "".join(chr(0x4E00 + i) for i in range(600)))
    text = user_text(mixed)
    vocab = build_vocabulary(text, min_count=1)
    assert vocab.size == MAX_VOCABULARY
    assert vocab.chars[0] == UNKNOWN
    ids = vocab.encode(text)
    assert 0 in ids  # the rarest characters map to the unknown symbol
    kept = set(vocab.chars[1:])
    assert vocab.decode(ids) == "".join(c if c in kept else UNKNOWN for c in text)


def test_rare_characters_map_to_unknown():
    vocab = build_vocabulary("aaabbbccd", min_count=2)
    assert vocab.chars == [UNKNOWN, "a", "b", "c"]
    assert vocab.encode("abcdz") == [1, 2, 3, 0, 0]
    assert vocab.decode([1, 0, 3]) == f"a{UNKNOWN}c"


def test_shipped_corpora_load_and_split():
    assert CORPORA == ("prose", "code", "own")
    prose = load_corpus("prose")
    assert 100_000 < len(prose) < 200_000 and prose.startswith("In the beginning God")
    code = load_corpus("code")
    assert code == stdlib_source() and "def " in code and code.count("(") > 1000
    train, held = split_text(prose)
    assert train + held == prose and len(held) == pytest.approx(len(prose) / 10, abs=1)
    with pytest.raises(ValueError, match="unknown corpus"):
        load_corpus("own")
