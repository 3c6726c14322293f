"""The linear cell's gradient per timestep in closed form against autograd (float64), for
both supervisions and both loss reductions, and the spectral radius of each gate block."""
import math

import numpy as np
import pytest
import torch

from core.analysis.gradient_flow import (GATE_BLOCKS, gradient_norms_through_time,
                                         linear_cell_gradient_norms,
                                         linear_cell_gradients_closed_form,
                                         linear_gradient_profile, readout_gradients,
                                         sequence_loss, spectral_radius_by_gate)
from core.device import seeded_generator
from core.models.instrumented import unroll
from core.models.recurrent import RecurrentClassifier
from core.tasks.recall import MarkedRecall


def _linear_setup(a, lag, lag_spread="fixed", T=16):
    torch.manual_seed(0)
    task = MarkedRecall(symbols=3, seq_len=T, lag=lag, lag_spread=lag_spread)
    model = RecurrentClassifier("linear", task.input_size, 5, 3, a=a).double()
    b = task.sample(12, seeded_generator(2))
    return model, b.x.double(), b


@pytest.mark.parametrize("a", [0.7, 1.0, 1.08, -0.9])
@pytest.mark.parametrize("supervision", ["many_to_one", "many_to_many"])
@pytest.mark.parametrize("lag, spread", [(16, "fixed"), (6, "fixed"), (5, "geometric")])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_linear_closed_form_equals_autograd_per_example(a, supervision, lag, spread, reduction):
    model, x, b = _linear_setup(a, lag, spread)
    run = unroll(model, x)
    sequence_loss(run.logits, b.target, b.target_seq, supervision, reduction).backward()
    autograd = torch.stack([h.grad for h in run.hidden], 1)  # (B, T, H)
    states = torch.stack(run.hidden, 1).detach()
    g = readout_gradients(model, states, b.target, b.target_seq, supervision, reduction)
    closed = linear_cell_gradients_closed_form(float(model.core.a), g)  # a as stored
    torch.testing.assert_close(closed, autograd, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("supervision", ["many_to_one", "many_to_many"])
def test_theory_curve_is_the_measured_curve_and_many_to_many_is_not_a_power_law(supervision):
    a, T = 0.9, 16
    model, x, b = _linear_setup(a, T)
    measured = gradient_norms_through_time(model, x, b.target, b.target_seq, supervision)
    theory = linear_cell_gradient_norms(model, x, b.target, b.target_seq, supervision)
    np.testing.assert_allclose(theory, measured.hidden_norms, rtol=1e-9)
    old = [abs(a) ** (T - 1 - t) * measured.hidden_norms[-1] for t in range(T)]
    agrees = np.allclose(old, measured.hidden_norms, rtol=1e-3)
    assert agrees == (supervision == "many_to_one")  # |a|^(T-t) is wrong under many-to-many


@pytest.mark.parametrize("a", [0.5, 0.9, 1.0, 1.1, -0.8])
@pytest.mark.parametrize("supervision", ["many_to_one", "many_to_many"])
@pytest.mark.parametrize("mark", [0, 4])
def test_equal_readout_profile_matches_autograd(a, supervision, mark):
    """h_t = a·h_{t-1} + 0.1, L = Σ g·h_s over the supervised steps (the last, or s ≥ mark)."""
    T, width = 12, 3
    g = torch.ones(width, dtype=torch.float64) / math.sqrt(width)
    hs = [torch.randn(width, dtype=torch.float64, requires_grad=True)]
    for _ in range(T - 1):
        hs.append(a * hs[-1] + 0.1)
    for h in hs:
        h.retain_grad()
    steps = [T - 1] if supervision == "many_to_one" else range(mark, T)
    sum((hs[s] * g).sum() for s in steps).backward()
    measured = [float(h.grad.norm() / g.norm()) for h in hs]
    profile = linear_gradient_profile(a, T, supervision, mark)
    np.testing.assert_allclose(profile, measured, rtol=1e-12)
    if supervision == "many_to_many" and a != 1.0:
        t = mark + 2
        assert profile[t] == pytest.approx(abs((1 - a ** (T - t)) / (1 - a)))


def test_closed_form_refuses_other_cells():
    model = RecurrentClassifier("rnn", 4, 5, 3)
    b = MarkedRecall(3, 6, 6).sample(2, seeded_generator(0))
    with pytest.raises(ValueError, match="linear cell only"):
        linear_cell_gradient_norms(model, b.x, b.target, b.target_seq, "many_to_one")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_spectral_radius_is_reported_for_each_gate_block(cell):
    torch.manual_seed(0)
    H = 4
    model = RecurrentClassifier(cell, 3, H, 2)
    names = GATE_BLOCKS[cell]
    rotation = torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # eigenvalues ±i: radius 1, norm 1
    with torch.no_grad():
        for i, _ in enumerate(names):
            block = torch.zeros(H, H)
            block[:2, :2] = (i + 1) * 0.5 * rotation
            block[2:, 2:] = torch.diag(torch.tensor([0.1 * (i + 1), -0.2]))
            model.core.weight_hh_l0[i * H:(i + 1) * H] = block
    radii = spectral_radius_by_gate(model)
    assert list(radii) == list(names)
    for i, name in enumerate(names):
        assert radii[name] == pytest.approx((i + 1) * 0.5, rel=1e-9)
    assert max(radii.values()) == pytest.approx(model.recurrent_spectral_radius(), rel=1e-6)
    assert spectral_radius_by_gate(RecurrentClassifier("linear", 3, H, 2, a=-0.7)) == {
        "a": pytest.approx(0.7)}


def test_lab_theory_curve_for_the_linear_cell_follows_the_measurement_under_both_supervisions():
    from core.labs import get_lab
    lab = get_lab("gradients")
    for supervision in ("many_to_one", "many_to_many"):
        r = lab.run(lab.make_config({"cell": "linear", "a": 0.9, "steps": 10, "seq_len": 20,
                                     "lag": 12, "hidden": 8, "eval_every": 10,
                                     "compare_cells": False, "supervision": supervision}))
        np.testing.assert_allclose(r.arrays["theory_grad_norms"], r.metrics["grad_norms"],
                                   rtol=1e-4)
        assert set(r.metrics["recurrent_spectral_radius_by_gate"]) == {"a"}
