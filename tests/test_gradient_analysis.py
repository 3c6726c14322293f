"""Gradient measurements against closed forms, the instrumented replay against the fused
kernel, and the mutual-information estimator against known distributions."""
import math

import numpy as np
import pytest
import torch

from core.analysis.gradient_flow import (gradient_norms_through_time,
                                         linear_gradient_at_first_step,
                                         linear_gradient_closed_form)
from core.analysis.information import dependency_horizon, plugin_mutual_information
from core.device import seeded_generator
from core.models.instrumented import unroll
from core.models.recurrent import RecurrentClassifier
from core.tasks.recall import IGNORE, MarkedRecall


@pytest.mark.parametrize("a", [0.5, 0.9, 1.0, 1.1, -0.8])
@pytest.mark.parametrize("supervision", ["many_to_one", "many_to_many"])
def test_linear_gradient_at_first_step_matches_closed_form(a, supervision):
    for T in (1, 2, 7, 30):
        measured = linear_gradient_at_first_step(a, T, supervision)
        assert measured == pytest.approx(linear_gradient_closed_form(a, T, supervision),
                                         rel=1e-9)


def test_closed_forms_regimes():
    # many-to-many converges to 1/(1-a) below 1, grows like T at 1, explodes above
    assert linear_gradient_closed_form(0.5, 200, "many_to_many") == pytest.approx(2.0)
    assert linear_gradient_closed_form(1.0, 200, "many_to_many") == 200
    assert linear_gradient_closed_form(1.1, 100, "many_to_many") > 1e4
    assert linear_gradient_closed_form(0.9, 50, "many_to_one") == pytest.approx(0.9 ** 49)


def test_linear_cell_gradient_decays_as_a_to_the_T_minus_t():
    torch.manual_seed(0)
    task = MarkedRecall(symbols=3, seq_len=25, lag=25)
    model = RecurrentClassifier("linear", task.input_size, 6, 3, a=0.8)
    b = task.sample(16, seeded_generator(1))
    profile = gradient_norms_through_time(model, b.x, b.target, b.target_seq, "many_to_one")
    norms = np.array(profile.hidden_norms)
    theory = 0.8 ** np.arange(24, -1, -1) * norms[-1]
    np.testing.assert_allclose(norms, theory, rtol=1e-4)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "linear"])
def test_instrumented_replay_reproduces_fused_kernel(cell):
    torch.manual_seed(0)
    model = RecurrentClassifier(cell, 5, 8, 3, forget_bias=1.0, a=0.9)
    x = torch.randn(4, 12, 5)
    fused = model(x)
    replay = unroll(model, x)
    torch.testing.assert_close(replay.logits, fused, rtol=1e-5, atol=1e-5)
    if cell in ("lstm", "gru"):
        assert next(iter(replay.gates.values())).shape == (4, 12, 8)


def test_last_step_gradient_matches_softmax_formula():
    """At the last step dL/dh_T = W_head^T (softmax(logits) - onehot(target))."""
    torch.manual_seed(0)
    model = RecurrentClassifier("rnn", 3, 4, 2).double()
    x = torch.randn(1, 6, 3, dtype=torch.float64)
    target = torch.tensor([1])
    seq = torch.full((1, 6), IGNORE)
    profile = gradient_norms_through_time(model, x, target, seq, "many_to_one")
    with torch.no_grad():
        logits = model(x)[0, -1]
        p = torch.softmax(logits, 0)
        p[1] -= 1
        expected = float((model.head.weight.T @ p).norm())
    assert profile.hidden_norms[-1] == pytest.approx(expected, rel=1e-9)


def test_truncation_cuts_the_gradient_at_k():
    torch.manual_seed(0)
    model = RecurrentClassifier("lstm", 3, 4, 2)
    x = torch.randn(2, 10, 3, requires_grad=True)
    model(x, tbptt_k=4)[:, -1].sum().backward()
    reach = (x.grad.abs().sum(dim=(0, 2)) > 0).tolist()
    assert reach == [False] * 6 + [True] * 4


def test_mutual_information_of_known_distributions():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, 20000)
    assert plugin_mutual_information(x, x) == pytest.approx(math.log(4), abs=0.01)
    assert plugin_mutual_information(x, rng.integers(0, 4, 20000)) < 0.002
    # y = x with probability 1/2 else uniform: I = H(Y) - H(Y|X)
    y = np.where(rng.random(20000) < 0.5, x, rng.integers(0, 4, 20000))
    p_same = 0.5 + 0.5 / 4
    h_cond = -(p_same * math.log(p_same) + 3 * (0.125 * math.log(0.125)))
    assert plugin_mutual_information(x, y) == pytest.approx(math.log(4) - h_cond, abs=0.01)


def test_dependency_horizon_recovers_an_exponential_decay():
    lags = np.arange(1, 61)
    mi = 0.8 * np.exp(-0.1 * lags)
    h = dependency_horizon(list(mi), fraction=0.05)
    assert h.decay_rate == pytest.approx(0.1, rel=1e-6)
    assert h.suggested_k == math.ceil(math.log(20) / 0.1)


def test_geometric_lags_make_information_decay():
    task = MarkedRecall(symbols=4, seq_len=40, lag=6, lag_spread="geometric")
    b = task.sample(20000, seeded_generator(0))
    lags = (task.seq_len - b.mark_pos).numpy()
    assert abs(lags.mean() - 6) < 0.3 and lags.min() >= 1 and lags.max() <= 40
    sym = (b.tokens * 2 + b.x[:, :, -1].long()).numpy()
    mi = [plugin_mutual_information(sym[:, 40 - d], b.target.numpy()) for d in (1, 5, 15)]
    assert mi[0] > mi[1] > mi[2]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recorded_gate_is_the_cell_s_own_second_gate(cell):
    """The replay's gate equals the one computed by hand from PyTorch's gate equations."""
    torch.manual_seed(1)
    model = RecurrentClassifier(cell, 3, 4, 2, forget_bias=2.0)
    x = torch.randn(2, 5, 3)
    gates = next(iter(unroll(model, x).gates.values()))
    core, H = model.core, 4
    h = torch.zeros(2, H)
    c = torch.zeros(2, H)
    for t in range(5):
        pre_x = x[:, t] @ core.weight_ih_l0.T + core.bias_ih_l0
        pre_h = h @ core.weight_hh_l0.T + core.bias_hh_l0
        if cell == "lstm":
            i, f, g, o = (pre_x + pre_h).chunk(4, 1)
            f = torch.sigmoid(f)
            c = f * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            expected = f
        else:
            xr, xz, xn = pre_x.chunk(3, 1)
            hr, hz, hn = pre_h.chunk(3, 1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            h = (1 - z) * torch.tanh(xn + r * hn) + z * h
            expected = z
        torch.testing.assert_close(gates[:, t], expected.detach(), rtol=1e-5, atol=1e-6)


def test_a_single_informative_lag_gives_no_decay_rate():
    rng = np.random.default_rng(0)
    mi = list(np.abs(rng.normal(0, 0.002, 80)))
    mi[59] = 1.3  # the fixed lag 60 carries log K, every other lag only estimator noise
    h = dependency_horizon(mi, fraction=0.05)
    assert h.decay_rate is None and h.suggested_k == 60
