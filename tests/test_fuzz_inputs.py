"""Property-based fuzzing of every validator behind a free-text field or a link's knob value.

Each validator is fed arbitrary text (unicode, empty, huge) and must either return a value
that satisfies its invariants or raise ValueError with a short message that names the
problem. Any other exception fails the test. tests/test_bad_input_pages.py drives the text
fields on the pages themselves; the uploads are fuzzed in tests/test_fuzz_uploads.py.
"""
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.contract import Result, make_config
from core.device import build_seeded
from core.labs import all_labs, get_lab, vrae_probes
from core.labs.stack import trace_typed
from core.models.stack_rnn import StackRNN
from core.tasks import dyck, words
from core.tasks.direction import MAX_TYPED_LENGTH, parse_sequence
from core.tasks.permutation import parse_numbers, scale_to_unit
from core.tasks.transduction import FIRST_SYMBOL, TransductionTask
from fuzz_strategies import FUZZ, TRICKY, fuzz_text, outcome

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
    from core.labs.attention.probes import decode_typed
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
    """The whole path behind the VRAE page's text field (core.labs.vrae.probes.typed_word)."""
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
