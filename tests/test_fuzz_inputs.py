"""Property-based fuzzing of every validator behind a free-text field or an upload.

Each validator is fed arbitrary text or bytes (unicode, empty, huge, binary, CSVs with NaN /
inf / empty cells / too many rows, broken safetensors) and must either return a value that
satisfies its invariants or raise ValueError with a short message that names the problem.
Any other exception fails the test. The uploads (forecast CSV, weights) are tested only here,
since AppTest cannot drive st.file_uploader; tests/test_bad_input_pages.py drives the text
fields on the pages themselves.
"""
import dataclasses
import json
import math
import struct

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import Result, make_config
from core.device import build_seeded
from core.export import load_weights, weights_bytes
from core.labs import all_labs, get_lab, vrae_probes
from core.labs.stack import trace_typed
from core.models.stack_rnn import StackRNN
from core.tasks import dyck, words
from core.tasks.direction import MAX_TYPED_LENGTH, parse_sequence
from core.tasks.permutation import parse_numbers, scale_to_unit
from core.tasks.series_csv import (MAX_ABS_VALUE, MAX_BYTES, MAX_ROWS, numeric_columns,
                                   read_csv_table, series_from_table)
from core.tasks.transduction import FIRST_SYMBOL, TransductionTask

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


# -- typed sequences -------------------------------------------------------------------------

@FUZZ
@given(text=fuzz_text("abcdefghijklmnopqrstuvwxyz"), symbols=st.integers(2, 26),
       longest=st.integers(1, 40))
def test_transduction_encode(text, symbols, longest):
    """pages/attention.py: the input typed for the trained seq2seq model."""
    task = TransductionTask("reverse", symbols)
    ids = outcome(lambda: task.encode(text, 1, longest))
    if ids is not None:
        assert 1 <= len(ids) <= longest
        assert all(FIRST_SYMBOL <= i < FIRST_SYMBOL + symbols for i in ids)
        assert "".join(task.decode(ids)) == "".join(
            c for c in text.strip().lower() if c not in " ,;\t")


@FUZZ
@given(text=fuzz_text("abcdefghij0123456789"), symbols=st.integers(2, 10))
def test_direction_parse_sequence(text, symbols):
    """pages/bidirectional.py: the sequence typed for the trained models to tag."""
    tokens = outcome(lambda: parse_sequence(text, symbols))
    if tokens is not None:
        assert 2 <= len(tokens) <= MAX_TYPED_LENGTH
        assert all(isinstance(t, int) and 0 <= t < symbols for t in tokens)


@FUZZ
@given(text=st.one_of(fuzz_text("0123456789.e-+ []()"),
                      st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50)
                      .map(lambda xs: ", ".join(map(repr, xs)))))
def test_permutation_parse_numbers_and_scale(text):
    """pages/pointer.py: the numbers typed for the pointer network, then scaled to [0, 1]."""
    values = outcome(lambda: parse_numbers(text))
    if values is not None:
        assert 2 <= len(values) <= 40 and all(math.isfinite(v) for v in values)
        scaled = scale_to_unit(values)
        assert len(scaled) == len(values)
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in scaled)
        # order is kept: the sort / top-k answer is the same as for the raw numbers
        for (a, b), (sa, sb) in zip(zip(values, values[1:]), zip(scaled, scaled[1:])):
            assert (a < b) <= (sa <= sb) and (a > b) <= (sa >= sb)


@pytest.fixture(scope="module")
def attention_result():
    lab = get_lab("attention")
    return lab.run(lab.make_config({"steps": 5, "eval_every": 5, "hidden": 8, "max_len": 6,
                                    "test_max_len": 8, "compare_none": False}))


@settings(FUZZ, max_examples=60)
@given(text=fuzz_text("abcdefgh"))
def test_attention_decode_typed(attention_result, text):
    """The whole path behind the attention page's text field, through the trained model:
    the length of the text is refused before any parsing, then letters and lengths."""
    from core.labs.attention_probes import decode_typed
    shown = outcome(lambda: decode_typed(attention_result, text, samples=3))
    if shown is not None:
        assert 1 <= len(shown["input"]) <= 8
        assert shown["is_probe"] == (not text.strip())
        assert np.isfinite(shown["greedy"]["log_prob"])
        assert np.isfinite(np.asarray(shown["greedy"]["attention"], dtype=float)).all()


@pytest.fixture(scope="module")
def bidirectional_result():
    lab = get_lab("bidirectional")
    return lab.run(lab.make_config({"steps": 5, "eval_every": 5, "hidden": 8, "seq_len": 6,
                                    "batch": 8}))


@settings(FUZZ, max_examples=60)
@given(text=fuzz_text("abcd0123"), arm=st.sampled_from(("bi", "uni")))
def test_bidirectional_tag_typed(bidirectional_result, text, arm):
    """The whole path behind the bidirectional page's text field, through a trained model."""
    from core.labs.bidirectional import tag_typed
    view = outcome(lambda: tag_typed(bidirectional_result, text, arm))
    if view is not None:
        assert 2 <= len(view["symbols"]) <= MAX_TYPED_LENGTH
        assert len(view["tags"]) == len(view["correct"]) == len(view["symbols"])
        assert np.isfinite(np.asarray(view["forward_states"], dtype=float)).all()


@pytest.fixture(scope="module")
def pointer_result():
    lab = get_lab("pointer")
    return lab.run(lab.make_config({"steps": 5, "eval_every": 5, "hidden": 8,
                                    "compare_decoders": False, "compare_set_loss": False}))


@settings(FUZZ, max_examples=60)
@given(text=st.one_of(fuzz_text("0123456789.e-+ "),
                      st.lists(st.floats(allow_nan=False, width=64), min_size=2, max_size=40)
                      .map(lambda xs: " ".join(map(repr, xs)))))
def test_pointer_decode_typed(pointer_result, text):
    """The whole path behind the pointer page's text field, through the trained model."""
    from core.labs.pointer import decode_typed
    example = outcome(lambda: decode_typed(pointer_result, text))
    if example is not None:
        assert all(math.isfinite(v) for v in example["raw_values"])
        assert np.isfinite(np.asarray(example["probs"], dtype=float)).all()


@FUZZ
@given(text=fuzz_text("()[]ab"), language=st.sampled_from(dyck.LANGUAGES))
def test_dyck_validate(text, language):
    """pages/stack.py: the bracket string typed to trace."""
    cleaned = outcome(lambda: dyck.validate(text, language))
    if cleaned is not None:
        assert cleaned == "".join(text.split()) and cleaned
        assert set(cleaned) <= set(dyck.alphabet(language))


@pytest.fixture(scope="module")
def stack_models():
    return {lang: build_seeded(0, lambda: StackRNN(len(dyck.alphabet(lang)), 8,
                                                   len(dyck.state_names(lang)), capacity=16))
            for lang in dyck.LANGUAGES}


@settings(FUZZ, max_examples=80)
@given(text=fuzz_text("()[]ab"), language=st.sampled_from(dyck.LANGUAGES),
       form=st.sampled_from(("per_step", "recognition")))
def test_stack_trace_typed(stack_models, text, language, form):
    """The whole path behind the stack page's text field (core.labs.stack.trace_typed),
    through a stack model."""
    model = stack_models[language]
    result = Result(lab="stack", config={"task": language, "form": form}, metrics={},
                    success=False, status="completed", steps=0, wall_s=0.0,
                    artifacts={"models": {"stack": model}})
    trace = outcome(lambda: trace_typed(result, text))
    if trace is not None:
        n = len(trace["text"])
        assert 1 <= n <= model.capacity
        assert len(trace["actions"]) == len(trace["true_depth"]) == n


@FUZZ
@given(text=fuzz_text("lantern"))
def test_words_validate_and_encode(text):
    """pages/vrae.py: the word typed to encode and decode (core.tasks.words.encode)."""
    batch = outcome(lambda: words.encode([text]))
    if batch is not None:
        word = batch.words[0]
        assert word == text.strip().lower() and 1 <= len(word) <= words.MAX_LETTERS
        assert int(batch.lengths[0]) == len(word)
        ids = batch.letters[0, :len(word)].tolist()
        assert [words.VOCAB[i] for i in ids] == list(word)


@pytest.fixture(scope="module")
def words_result():
    lab = get_lab("vrae")
    return lab.run(lab.make_config({"dataset": "words", "steps": 5, "eval_every": 5,
                                    "hidden": 8}))


@settings(FUZZ, max_examples=60)
@given(text=fuzz_text("lantern"))
def test_vrae_typed_word(words_result, text):
    """The whole path behind the VRAE page's text field (core.labs.vrae_probes.typed_word)."""
    out = outcome(lambda: vrae_probes.typed_word(words_result, text))
    if out is not None:
        assert out["input"] == text.strip().lower() and isinstance(out["decoded"], str)


# -- knob values from a link or the command line -----------------------------------------------

def knob_overrides(lab):
    names = [f.name for f in dataclasses.fields(lab.Config)]
    values = st.one_of(fuzz_text("0123456789.e-truefalsgm"), st.sampled_from(TRICKY),
                       st.integers(-2**40, 2**40).map(str), st.floats().map(repr))
    return st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=10)), values,
                           max_size=4)


@settings(FUZZ, max_examples=40)
@given(data=st.data())
@pytest.mark.parametrize("lab", list(all_labs().values()), ids=lambda lab: lab.id)
def test_make_config_from_text(lab, data):
    """ui/links.py and the command line read every knob from text (URL, --set k=v)."""
    overrides = data.draw(knob_overrides(lab))
    config = outcome(lambda: make_config(lab.Config, overrides))
    if config is not None:
        for f in dataclasses.fields(lab.Config):
            value, meta = getattr(config, f.name), f.metadata
            assert type(value) is type(f.default)
            if meta.get("choices") is not None:
                assert value in meta["choices"]
            if meta.get("min") is not None:
                assert meta["min"] <= value <= meta["max"]


# -- uploaded CSV (pages/forecast.py) --------------------------------------------------------

CELLS = ("1", "2.5", "-3", "0", "1e3", "nan", "NaN", "inf", "-inf", "Infinity", "", " ", "abc",
         "1e309", "1e39", "-1e300", "1e-320", "１", "٣", "\x00", '"', '""', "1,5", "0x10",
         "1_000", " 7 ", "🙂", "None", "NULL", "#N/A", "True")


@st.composite
def csv_files(draw) -> bytes:
    """CSV text with a header, odd cells, a delimiter, sometimes many rows, in some encoding."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    cols = draw(st.integers(1, 4))
    long_text = huge(st.text(min_size=1, max_size=4)).map(lambda s: s[:5000])
    header = draw(st.lists(st.one_of(st.sampled_from(["value", "x", "", "value", "1"]),
                                     st.text(max_size=5), long_text),
                           min_size=cols, max_size=cols))
    numbers = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    cell = st.one_of(numbers, st.integers(-10**6, 10**6).map(str), st.sampled_from(CELLS),
                     long_text)
    rows = draw(st.lists(st.lists(cell, min_size=1, max_size=cols + 1), max_size=60))
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    repeat = draw(st.sampled_from([1, 1, 1, 2, MAX_ROWS // 40, MAX_ROWS // 10]))
    if repeat > 1 and rows:
        lines = lines[:1] + lines[1:] * repeat
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


def check_upload(data: bytes) -> None:
    """What the forecast page does with an upload: read, list numeric columns, take one."""
    table = outcome(lambda: read_csv_table(data))
    if table is None:
        return
    assert 1 <= len(table) <= MAX_ROWS
    columns = numeric_columns(table)
    assert columns
    for column in columns:
        series = outcome(lambda: series_from_table(table, column))
        if series is not None:
            assert series.dtype == np.float64 and series.ndim == 1
            assert len(series) == len(table)
            assert np.isfinite(series).all() and np.ptp(series) > 0
            # the forecasters work in float32: the values' variance must fit it
            assert np.abs(series).max() <= MAX_ABS_VALUE
            assert np.isfinite(np.var(series.astype(np.float32)))


@FUZZ
@given(data=st.one_of(st.binary(max_size=2000), csv_files()))
def test_series_csv_upload(data):
    check_upload(data)


@settings(FUZZ, max_examples=20)
@given(piece=st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from([b"1\n", b"1,2\n"])),
       size=st.sampled_from([MAX_BYTES - 1, MAX_BYTES + 1]))
def test_series_csv_huge_upload(piece, size):
    check_upload(b"value\n" + (piece * (size // len(piece) + 1))[:size])


def test_series_csv_names_the_bad_cell():
    table = read_csv_table(b"t,value\n1,1.5\n2,nan\n3,inf\n4,2\n")
    with pytest.raises(ValueError, match="'nan' in data row 2"):
        series_from_table(table, "value")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_csv_table("value\n1\n\u00e9\n2\n".encode("latin-1"))
    with pytest.raises(ValueError, match="more than"):
        read_csv_table(b"value\n" + b"1\n" * (MAX_ROWS + 1))


# -- uploaded weights (ui/export.py) ---------------------------------------------------------

def fresh_modules() -> dict:
    torch.manual_seed(0)
    return {"model": torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4)),
            "other": torch.nn.GRU(2, 3)}


def snapshot(modules) -> dict:
    return {f"{n}/{k}": v.clone() for n, m in modules.items() for k, v in m.state_dict().items()}


DTYPES = ("F32", "F64", "F16", "BF16", "I64", "I32", "I8", "U8", "BOOL", "C64", "F8_E4M3",
          "XX", "")


@st.composite
def safetensors_files(draw, names: list[str]) -> bytes:
    """A length-prefixed JSON header (sometimes lying about sizes, dtypes or offsets) and a
    payload of random bytes."""
    entries = {}
    name_text = st.one_of(st.sampled_from(names), st.text(max_size=8),
                          huge(st.text(min_size=1, max_size=3)).map(lambda s: s[:3000]))
    for name in draw(st.lists(name_text, max_size=4, unique=True)):
        shape = draw(st.lists(st.integers(0, 5), max_size=3))
        start = draw(st.integers(0, 64))
        entries[name] = {"dtype": draw(st.sampled_from(DTYPES)), "shape": shape,
                         "data_offsets": [start, start + draw(st.integers(-4, 256))]}
    if draw(st.booleans()):
        entries["__metadata__"] = {"format": "pt"}
    header = json.dumps(entries).encode()
    if draw(st.booleans()):
        header = header[:draw(st.integers(0, len(header)))]
    size = draw(st.sampled_from([len(header), len(header) + 1, 0, 2**63, 2**32]))
    payload = draw(st.binary(max_size=300))
    return struct.pack("<Q", size % 2**64) + header + payload


@st.composite
def altered_checkpoints(draw, modules) -> bytes:
    """The right names and shapes, with non-finite values or another dtype."""
    fill = draw(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1e30, 1e300]))
    dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16,
                                  torch.int64, torch.bool, torch.complex64]))
    tensors = {}
    for n, m in modules.items():
        for k, v in m.state_dict().items():
            t = v.detach().clone().to(dtype)  # 1e300 as float64 is inf once in float32
            if t.is_floating_point() and draw(st.booleans()):
                t.view(-1)[0] = torch.tensor(fill, dtype=torch.float64).to(t.dtype)
            tensors[f"{n}/{k}"] = t
    from safetensors.torch import save
    return save(tensors)


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_load_weights_keeps_the_model_on_bad_files(data):
    modules = fresh_modules()
    names = list(snapshot(modules))
    upload = data.draw(st.one_of(st.binary(max_size=600), safetensors_files(names),
                                 altered_checkpoints(modules),
                                 st.just(weights_bytes(modules))))
    before = snapshot(modules)
    count = outcome(lambda: load_weights(modules, upload))
    after = snapshot(modules)
    if count is None:
        assert all(torch.equal(before[k], after[k]) for k in before), "a refused file changed it"
    else:
        assert count == len(before)
        assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())


def test_load_weights_refuses_an_oversized_file():
    from core.export import MAX_CHECKPOINT_BYTES
    modules = fresh_modules()
    before = snapshot(modules)
    with pytest.raises(ValueError, match="MB"):
        load_weights(modules, b"\0" * (MAX_CHECKPOINT_BYTES + 1))
    assert all(torch.equal(before[k], v) for k, v in snapshot(modules).items())
