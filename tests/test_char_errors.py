"""Per-character loss difference between the model and an n-gram, and its table by distance
to the innermost open bracket or quote, on small cases worked out by hand."""
import math

import numpy as np
import pytest
import torch

from char_model import CharModel
from core.analysis.cell_replay import replay
from core.analysis.char_errors import (NOTHING_OPEN, LossDifference, by_distance,
                                       distance_to_open, loss_difference, model_bits, summary)


class Unigram:
    """Counts of each id in a text, with add-one smoothing over a vocabulary of size V."""

    def __init__(self, ids, vocab):
        counts = np.bincount(ids, minlength=vocab) + 1.0
        self.p = counts / counts.sum()

    def log2_prob(self, ids):
        return np.log2(self.p[np.asarray(ids)])


def test_uniform_logits_cost_log2_v_bits():
    ids = [0, 3, 1, 2]
    np.testing.assert_allclose(model_bits(np.zeros((4, 4)), ids), [2.0, 2.0, 2.0])


def test_model_bits_by_hand():
    # after x_0 the scores are (ln 3, 0): P(0) = 3/4, P(1) = 1/4; x_1 = 1 costs 2 bits
    logits = np.array([[math.log(3), 0.0], [0.0, 0.0], [5.0, 5.0]])
    np.testing.assert_allclose(model_bits(logits, [0, 1, 0]), [2.0, 1.0])
    # large scores do not overflow
    np.testing.assert_allclose(model_bits(logits + 1000.0, [0, 1, 0]), [2.0, 1.0])


def test_difference_against_a_unigram_by_hand():
    ids = [0, 1, 1, 0]  # counts 2, 2 with add-one over V = 2: P = 1/2 each, 1 bit
    unigram = Unigram(ids, 2)
    logits = np.array([[math.log(3), 0.0]] * 4)  # P(0) = 3/4 always
    result = loss_difference(logits, ids, unigram)
    assert result.positions.tolist() == [1, 2, 3]
    expected_model = [2.0, 2.0, -math.log2(0.75)]
    np.testing.assert_allclose(result.model_bits, expected_model)
    np.testing.assert_allclose(result.ngram_bits, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(result.diff, np.array(expected_model) - 1.0)
    np.testing.assert_allclose(result.along_text(), [0.0, *result.diff])
    # an n-gram that scores positions 1 .. T-1 only gives the same difference
    class FromOne:
        def log2_prob(self, x):
            return unigram.log2_prob(x)[1:]
    np.testing.assert_allclose(loss_difference(logits, ids, FromOne()).diff, result.diff)
    s = summary(result)
    assert s["model_better_fraction"] == pytest.approx(1 / 3)
    assert s["mean_difference"] == pytest.approx(np.mean(expected_model) - 1.0)


def test_difference_from_a_replayed_model_matches_torch_cross_entropy():
    torch.manual_seed(0)
    model = CharModel("gru", vocab=6).eval()
    ids = [0, 5, 2, 2, 1, 4, 3, 0]
    result = loss_difference(replay(model, ids).logits, ids, Unigram(ids, 6))
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
        nats = torch.nn.functional.cross_entropy(logits[0, :-1], torch.tensor(ids[1:]),
                                                 reduction="none")
    np.testing.assert_allclose(result.model_bits, nats.numpy() / math.log(2), atol=1e-5)


def test_distance_to_open_by_hand():
    #                          a   (  b  c   )   d
    # innermost open after:   -1   1  1  1  -1  -1
    assert distance_to_open("a(bc)d").tolist() == [-1, 1, 2, 3, -1]
    # a quote inside a bracket is the innermost while open: ' opens at 2, closes at 4
    assert distance_to_open("( 'x')").tolist() == [1, 2, 1, 2, 5]


def test_table_by_distance_by_hand():
    text = "a(bc)d"
    diff = np.array([1.0, -2.0, -1.0, -3.0, 0.5])  # t = 1 .. 5
    result = LossDifference(np.arange(1, 6), diff + 2.0, np.full(5, 2.0), diff)
    rows = {row["bucket"]: row for row in by_distance(result, text)}
    assert rows[NOTHING_OPEN]["count"] == 2 and rows[NOTHING_OPEN]["sum"] == 1.5
    assert rows[NOTHING_OPEN]["mean"] == 0.75
    assert rows["1"]["count"] == 1 and rows["1"]["mean"] == -2.0
    assert rows["2–3"]["count"] == 2 and rows["2–3"]["sum"] == -4.0
    assert rows["2–3"]["model_bits"] == 0.0 and rows["2–3"]["ngram_bits"] == 2.0
    assert rows["64+"]["count"] == 0 and rows["64+"]["mean"] is None
    assert sum(row["count"] for row in rows.values()) == 5


def test_bad_input_is_named():
    unigram = Unigram([0, 1], 2)
    with pytest.raises(ValueError, match="at least two"):
        loss_difference(np.zeros((1, 2)), [0], unigram)
    with pytest.raises(ValueError, match="one row per character"):
        loss_difference(np.zeros((3, 2)), [0, 1], unigram)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        loss_difference(np.zeros((2, 2)), [0, 2], unigram)

    class Zero:
        def log2_prob(self, ids):
            return np.array([0.0, -np.inf])
    with pytest.raises(ValueError, match="probability 0"):
        loss_difference(np.zeros((2, 2)), [0, 1], Zero())

    class Short:
        def log2_prob(self, ids):
            return np.zeros(len(ids) - 2)
    with pytest.raises(ValueError, match="scored 1 positions of a 3-character"):
        loss_difference(np.zeros((3, 2)), [0, 1, 0], Short())
    result = loss_difference(np.zeros((2, 2)), [0, 1], unigram)
    with pytest.raises(ValueError, match="different lengths"):
        by_distance(result, "abc")
