"""Truncated BPTT: the replay detaches where training detaches, the gradient behind the cut
is exactly zero, and the share of marks a window reaches matches the task's sampler."""
import numpy as np
import pytest
import torch

from core.analysis.gradient_flow import gradient_norms_through_time, sequence_loss
from core.analysis.truncation import in_window_accuracy, window_fraction
from core.device import seeded_generator
from core.models.instrumented import unroll
from core.models.recurrent import RecurrentClassifier
from core.tasks.recall import MarkedRecall

PRESET = MarkedRecall(symbols=4, seq_len=40, lag=8, lag_spread="geometric")  # the lab's preset


def _param_grads(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward()
    return [p.grad.clone() for p in model.parameters() if p.grad is not None]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "linear"])
@pytest.mark.parametrize("supervision", ["many_to_one", "many_to_many"])
def test_truncated_replay_gives_training_its_own_parameter_gradients(cell, supervision):
    torch.manual_seed(0)
    task = MarkedRecall(symbols=3, seq_len=11, lag=6, lag_spread="geometric")
    model = RecurrentClassifier(cell, task.input_size, 5, 3, a=0.9).double()
    b = task.sample(6, seeded_generator(0))
    x = b.x.double()
    for k in (1, 3, 4, 0):
        trained = _param_grads(model, sequence_loss(model(x, tbptt_k=k), b.target,
                                                    b.target_seq, supervision))
        replayed = _param_grads(model, sequence_loss(unroll(model, x, k).logits, b.target,
                                                     b.target_seq, supervision))
        assert len(trained) == len(replayed)
        for g_train, g_replay in zip(trained, replayed):
            torch.testing.assert_close(g_replay, g_train, rtol=1e-10, atol=1e-12)
    # and the truncation changes them: a test of the detach, not of two full graphs
    full = _param_grads(model, sequence_loss(model(x), b.target, b.target_seq, supervision))
    cut = _param_grads(model, sequence_loss(model(x, tbptt_k=3), b.target, b.target_seq,
                                            supervision))
    assert any(not torch.allclose(f, c) for f, c in zip(full, cut))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "linear"])
def test_gradient_behind_the_cut_is_exactly_zero(cell):
    torch.manual_seed(0)
    T, K = 12, 5
    task = MarkedRecall(symbols=3, seq_len=T, lag=4, lag_spread="geometric")
    model = RecurrentClassifier(cell, task.input_size, 6, 3, a=0.9)
    b = task.sample(8, seeded_generator(1))
    truncated = gradient_norms_through_time(model, b.x, b.target, b.target_seq, "many_to_one",
                                            tbptt_k=K)
    full = gradient_norms_through_time(model, b.x, b.target, b.target_seq, "many_to_one")
    assert truncated.hidden_norms[:T - K] == [0.0] * (T - K)
    assert truncated.input_norms[:T - K] == [0.0] * (T - K)
    assert all(v > 0 for v in truncated.hidden_norms[T - K:])
    assert all(v > 0 for v in truncated.input_norms[T - K:])
    # inside the window nothing is cut: the same numbers as full backpropagation
    np.testing.assert_allclose(truncated.hidden_norms[T - K:], full.hidden_norms[T - K:],
                               rtol=1e-5)
    assert all(v > 0 for v in full.hidden_norms)


def test_a_window_of_k_reaches_the_mark_exactly_when_lag_is_at_most_k():
    torch.manual_seed(0)
    T = 10
    model = RecurrentClassifier("gru", 4, 6, 3)
    for K in (1, 3, 5):
        for lag in range(1, T + 1):
            task = MarkedRecall(symbols=3, seq_len=T, lag=lag)
            b = task.sample(2, seeded_generator(lag))
            x = b.x.clone().requires_grad_(True)
            sequence_loss(model(x, tbptt_k=K), b.target, b.target_seq, "many_to_one").backward()
            reaches_mark = bool(x.grad[:, T - lag].abs().sum() > 0)
            assert reaches_mark == (lag <= K) == (window_fraction(task, K) == 1.0)


@pytest.mark.parametrize("task", [
    PRESET,
    MarkedRecall(symbols=4, seq_len=20, lag=12, lag_spread="geometric"),  # many overshoots
    MarkedRecall(symbols=4, seq_len=30, lag=1, lag_spread="geometric"),
    MarkedRecall(symbols=4, seq_len=30, lag=7, lag_spread="fixed"),
])
def test_exact_lag_distribution_matches_the_sampler(task):
    n = 200_000
    lags = task.sample_lags(n, seeded_generator(0)).numpy()
    pmf = np.asarray(task.lag_probabilities())
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    empirical = np.bincount(lags, minlength=task.seq_len + 1)[1:] / n
    assert np.abs(empirical - pmf).max() < 4 * np.sqrt(pmf.max() / n) + 1e-12
    for K in (1, 3, 5, 10, task.seq_len - 1):
        assert window_fraction(task, K) == pytest.approx(float((lags <= K).mean()), abs=0.004)


def test_preset_window_of_five_reaches_about_half_the_marks():
    q = 7 / 8
    exact = 1 - q ** 5 + q ** 40 * 5 / 40  # geometric mass up to 5, plus the folded overshoots
    assert window_fraction(PRESET, 5) == pytest.approx(exact, abs=1e-9)
    assert 0.48 < window_fraction(PRESET, 5) < 0.49
    reference = in_window_accuracy(PRESET, 5)
    assert reference == pytest.approx(exact + (1 - exact) / 4, abs=1e-9)
    assert reference > 0.6 > 0.25  # far above chance: "sits at chance" is not what K = 5 gives
    assert window_fraction(PRESET, 0) == 1.0 == in_window_accuracy(PRESET, 40)


def test_in_window_accuracy_is_what_a_reader_of_the_window_alone_achieves():
    """Answer the marked symbol when the mark is in the last K inputs, else a fixed guess."""
    b = PRESET.sample(100_000, seeded_generator(4))
    K, T = 5, PRESET.seq_len
    in_window = b.mark_pos >= T - K
    guess = torch.where(in_window, b.target, torch.zeros_like(b.target))
    accuracy = float((guess == b.target).float().mean())
    assert accuracy == pytest.approx(in_window_accuracy(PRESET, K), abs=0.005)


def test_lab_reports_the_truncated_gradient_and_the_in_window_accuracy():
    from core.labs import get_lab
    lab = get_lab("gradients")
    r = lab.run(lab.make_config({"cell": "gru", "steps": 10, "seq_len": 20, "lag": 6,
                                 "lag_spread": "geometric", "tbptt_k": 5, "hidden": 8,
                                 "eval_every": 5, "compare_cells": False}))
    rows = r.arrays["grad_heatmap_truncated"]
    assert len(rows) == len(r.arrays["grad_heatmap"]) >= 2
    for row in rows:
        assert row[:15] == [0.0] * 15 and all(v > 0 for v in row[15:])
    assert all(v > 0 for v in r.arrays["grad_heatmap"][-1])  # the full gradient, beside it
    task = MarkedRecall(symbols=4, seq_len=20, lag=6, lag_spread="geometric")
    assert r.metrics["tbptt_window_fraction"] == pytest.approx(window_fraction(task, 5))
    assert r.metrics["tbptt_in_window_accuracy"] == pytest.approx(
        in_window_accuracy(task, 5))


def test_information_by_lag_is_what_the_plugin_estimator_measures():
    from core.analysis.information import plugin_mutual_information
    from core.analysis.truncation import information_by_lag
    b = PRESET.sample(40_000, seeded_generator(5))
    symbol_and_mark = (b.tokens * 2 + b.x[:, :, -1].long()).numpy()
    T = PRESET.seq_len
    exact = information_by_lag(PRESET)
    for d in (1, 2, 4, 8, 16):
        measured = plugin_mutual_information(symbol_and_mark[:, T - d], b.target.numpy())
        assert measured == pytest.approx(exact[d - 1], abs=0.01)
    assert exact[1] / exact[2] == pytest.approx(8 / 7, rel=0.01)  # decays like q^d, q = 7/8


@pytest.mark.slow
def test_geometric_preset_with_a_short_window_learns_the_marks_it_reaches():
    """The preset (mean lag 8, T = 40) with K = 5: about half the marks are in reach, and the
    trained LSTM is far above chance rather than sitting at it."""
    from core.labs import get_lab
    lab = get_lab("gradients")
    preset = {"lag": 8, "lag_spread": "geometric", "seq_len": 40, "steps": 600,
              "compare_cells": False, "tbptt_k": 5}
    r = lab.run(lab.make_config(preset))
    m = r.metrics
    assert 0.48 < m["tbptt_window_fraction"] < 0.49
    assert m["accuracy"] > m["chance_accuracy"] + 0.2
    assert m["accuracy"] < m["tbptt_in_window_accuracy"] + 0.05
