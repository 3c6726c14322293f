"""Reading a typed DNA sequence with the trained hybrid: what is accepted, what is refused
(with the problem named), and that the reading matches the model and the grammar."""
import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.labs import get_lab
from core.labs.dna.probes import MAX_TYPED_BASES, parse_bases, score_typed_dna
from core.tasks.dna_grammar import BASES, grammar_holds
from core.text_limits import DNA_SEQUENCE_MAX_CHARS

LAB = get_lab("dna")


@pytest.fixture(scope="module")
def trained():
    return LAB.run(LAB.make_config({"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8,
                                    "length": 40, "gap_min": 2, "gap_max": 10,
                                    "filters": 4}))


def test_bases_are_read_in_any_case_with_whitespace_ignored():
    assert parse_bases("acg T\nta", 4).tolist() == [0, 1, 2, 3, 3, 0]


@pytest.mark.parametrize("text, fragment", [
    ("ACGN", "base 4 is 'N'"),
    ("AC-GT", "base 3 is '-'"),
    ("ACG\u200bTT", "base 4 is 'U+200B'"),
    ("ACG", "at least 6"),
    ("", "0 bases"),
    ("A" * (MAX_TYPED_BASES + 1), f"at most {MAX_TYPED_BASES}"),
    ("A " * (2 * MAX_TYPED_BASES + 1), "characters"),
])
def test_bad_sequences_are_refused_naming_the_problem(text, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        parse_bases(text, 6)


def test_the_page_limit_admits_the_longest_sequence_with_separators():
    assert MAX_TYPED_BASES == LAB.Config.__dataclass_fields__["length"].metadata["max"]
    assert DNA_SEQUENCE_MAX_CHARS >= 2 * MAX_TYPED_BASES
    parse_bases("A " * MAX_TYPED_BASES, 6)


def test_a_typed_sequence_is_read_with_the_motifs_and_the_truth(trained):
    task = trained.artifacts["task"]
    a, b = task.motif_a, task.motif_b
    tokens = [0] * 40
    tokens[3:3 + a.width] = a.consensus
    tokens[3 + a.width + 5:3 + 2 * a.width + 5] = b.consensus
    text = "".join(BASES[t] for t in tokens).lower()
    reading = score_typed_dna(trained, text)
    assert 3 in reading["a_starts"] and 3 + a.width + 5 in reading["b_starts"]
    assert reading["grammar_holds"] == bool(grammar_holds(torch.tensor([tokens]), a, b,
                                                          task.gap_min, task.gap_max)[0])
    assert reading["grammar_holds"] is True
    model = trained.artifacts["models"]["CNN → BiLSTM"]
    x = torch.nn.functional.one_hot(torch.tensor([tokens]), 4).float()
    with torch.no_grad():
        assert reading["probability"] == pytest.approx(float(torch.sigmoid(model.eval()(x))))
    assert len(reading["saliency"]) == 40
    other = score_typed_dna(trained, text, arm="CNN")
    assert other["a_starts"] == reading["a_starts"]


def test_a_result_without_a_model_says_so(trained):
    from core.contract import Result
    stored = Result.from_dict(trained.to_dict())  # as a precomputed run is loaded
    with pytest.raises(ValueError, match="press Train"):
        score_typed_dna(stored, "ACGTACGT")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=50), st.text(alphabet="acgtACGT \n", max_size=120),
                      st.text(alphabet="ACGTN\u00a0\t", max_size=60)))
def test_any_text_is_read_or_refused_with_a_short_message(trained, text):
    try:
        reading = score_typed_dna(trained, text)
    except ValueError as err:
        assert 0 < len(str(err)) < 200
    else:
        assert 0 <= reading["probability"] <= 1
        assert len(reading["bases"]) == len(reading["saliency"])
