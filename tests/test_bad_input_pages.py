"""Bad text typed into every page that has a free-text field: the page shows an error naming
the problem, raises nothing, and the model trained in this session stays, untouched.

The pages with uploads (the forecast CSV, the weights in every run panel's export) are not
here: AppTest cannot drive st.file_uploader, so their validators (core.tasks.series_csv,
core.export.load_weights) are fuzzed directly in tests/test_fuzz_inputs.py.
"""
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import shown_text, wait_for_result
from test_pages import set_knob
from core.export import trained_modules
from core.labs import get_lab

ROOT = Path(__file__).resolve().parents[1]
HUGE = 100_000

# On top of each lab's smoke settings: one model instead of a comparison (the trained model is
# all these tests need), and the VRAE on words, the data set that has a text field.
EXTRA = {
    "attention": {"compare_none": False},
    "bidirectional": {"compare": False},
    "pointer": {"compare_decoders": False},
    "stack": {"compare": False},
    "vrae": {"dataset": "words"},
}

# (lab, how to find its text field, [(typed text, words the error must contain)]); None means
# the text is valid, or (attention, empty) deliberately falls back to the probe input.
# The attention field's max_chars (core.text_limits) cuts a huge paste, as the browser does,
# to more letters than the smoke model's longest input: refused by length.
CASES = [
    ("attention", {"key": "attention-typed"}, [
        ("abz", "'z'"), ("ab🙂", "'🙂'"), ("1 2 3", "'1'"), ("\x00", "'\\x00'"),
        ("ab" * (HUGE // 2), "accepts lengths 1 to"), ("", None), ("abcd", None)]),
    ("bidirectional", {"key": "bidirectional-typed"}, [
        ("", "empty"), ("a b z", "'z'"), ("a ²", "'²'"), ("a 🙂", "'🙂'"),
        ("a", "at least 2"), ("ab" * (HUGE // 2), "at most 64"), ("a b c d", None)]),
    ("pointer", {"key": "pointer-typed"}, [
        ("", "type some numbers"), ("0.1, abc", "'abc'"), ("0.1 nan", "not a finite number"),
        ("0.5, 🙂", "'🙂'"), ("1e999 2", "not a finite number"),
        ("0.5 " * (HUGE // 4), "at most 40 numbers"), ("x" * HUGE, "not a number"),
        ("5 1 4 2", None)]),
    # The stack page's field has max_chars = STACK_STRING_MAX_CHARS, which cuts a huge paste
    # (the browser does the same); what is left is still longer than this model's stack.
    ("stack", {"label": "Your string"}, [
        ("", "empty"), ("(a)", "'a'"), ("(🙂)", "'🙂'"), ("\x00", "'\\x00'"),
        ("()" * (HUGE // 2), "type at most 18"), ("( [ ) ]", None), ("([)]", None)]),
    ("vrae", {"label": "Type a word to encode and decode"}, [
        ("", "empty"), ("café", "'é'"), ("lan tern", "a-z"), ("🙂", "a-z"),
        ("a" * HUGE, "at most 8"), (" Lantern ", None)]),
]


def train(lab_id: str) -> AppTest:
    lab = get_lab(lab_id)
    at = AppTest.from_file(str(ROOT / "pages" / f"{lab_id}.py"), default_timeout=120)
    at.session_state["seed"] = 1
    at.run()
    assert not at.exception, at.exception
    for name, value in {**lab.smoke, **EXTRA[lab_id]}.items():
        set_knob(at, f"{lab_id}.{name}", value)
        at.run()  # a knob can reveal another (visible_if)
    at.button(key=f"train:{lab_id}").click()
    wait_for_result(at, lab_id)
    at.run()
    assert not at.exception, at.exception
    return at


def text_field(at: AppTest, find: dict):
    if "key" in find:
        return at.text_input(key=find["key"])
    fields = [w for w in at.text_input if w.label == find["label"]]
    assert fields, f"no text field labelled {find['label']!r}"
    return fields[0]


PROBE_TABS = {"vrae": "Explore the latent space", "bidirectional": "Look inside",
              "stack": "Inside the stack", "pointer": "Your numbers",
              "attention": "Your input"}


def open_text_field(at: AppTest, lab_id: str) -> None:
    """The page's probe sits in a tab; the stack page shows its text field once "type my
    own" is chosen."""
    tab = PROBE_TABS.get(lab_id)
    if tab is not None:
        at.session_state[f"tabs:{lab_id}"] = tab
        at.run()
        assert not at.exception, at.exception
    if lab_id == "stack":
        [choice] = [s for s in at.selectbox if s.label == "String to trace"]
        choice.set_value("type my own").run()
        assert not at.exception, at.exception


def weights(result) -> dict:
    return {f"{n}/{k}": v.clone() for n, m in trained_modules(result).items()
            for k, v in m.state_dict().items()}


@pytest.mark.parametrize("lab_id, find, typed", CASES, ids=[c[0] for c in CASES])
def test_bad_text_is_named_and_the_trained_model_stays(lab_id, find, typed):
    at = train(lab_id)
    result = at.session_state[f"result:{lab_id}"]
    artifacts = dict(result.artifacts)
    before = weights(result)
    assert before, "the run left no trained model to protect"
    open_text_field(at, lab_id)
    for text, problem in typed:
        text_field(at, find).set_value(text).run()
        shown = [shown_text(e.value) for e in at.error]
        assert not at.exception, (text[:40], at.exception)
        if problem is None:
            assert not shown, (text[:40], shown)
        else:
            assert any(problem in e for e in shown), (text[:40], problem, shown)
            assert all(len(e) < 500 for e in shown), "an error message echoed the whole input"
        kept = at.session_state[f"result:{lab_id}"]
        assert kept is result, "the trained result was replaced"
        assert all(kept.artifacts[k] is v for k, v in artifacts.items())
        after = weights(kept)
        assert before.keys() == after.keys()
        assert all(torch.equal(before[k], after[k]) for k in before), "the model changed"
