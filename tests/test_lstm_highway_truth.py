"""What the LSTM highway view may claim: the full dL/dc_t of the model as trained, checked
against autograd on the fused nn.LSTM, and the cell-path-alone product, which is an identity
of the gates (the same for any other weights), never a measurement of the trained model."""
import pytest
import torch

from core.analysis.lstm_highway import (fused_cell_gradients, lstm_highway, replay_agrees_with_fused,
                                        replay_lstm)
from core.device import build_seeded
from core.models.fixed_gates import pin_forget_gate
from core.tasks.long_range import LongRangeTask


def _pair(seed: int, hidden: int = 6):
    lstm = build_seeded(seed, lambda: torch.nn.LSTM(5, hidden, batch_first=True)).double()
    head = build_seeded(seed + 100, lambda: torch.nn.Linear(hidden, 4)).double()
    return lstm, head


def _batch(T=20, lag=15, n=6):
    b = LongRangeTask("recall", 4, T, lag).sample(n, torch.Generator().manual_seed(0))
    return b.x.double(), b.target


def test_full_cell_gradient_equals_autograd_on_the_fused_lstm():
    """The replay's dL/dc_t (all paths) against the fused kernel stepped by autograd, in
    float64, at every step and element."""
    lstm, head = _pair(1)
    x, target = _batch()
    hs, cs, _ = replay_lstm(lstm, x)
    torch.nn.functional.cross_entropy(head(hs[-1]), target[:, -1], reduction="sum").backward()
    fused = fused_cell_gradients(lstm, head, x, target)
    for c, f in zip(cs, fused):
        torch.testing.assert_close(c.grad, f, rtol=1e-10, atol=1e-14)
    assert replay_agrees_with_fused(lstm, head, x, target) < 1e-12
    hw = lstm_highway(lstm, head, x, target)
    norms = [float(f.norm(dim=1).mean()) for f in reversed(fused)]
    assert hw.cell_norms == pytest.approx(norms, rel=1e-10)


def test_the_fused_check_catches_a_replay_that_differs():
    """A model whose step is not the replay's (its recurrent weights changed after the
    replay's gradient was taken) is caught: the check could fail."""
    lstm, head = _pair(2)
    x, target = _batch()
    hs, cs, _ = replay_lstm(lstm, x)
    torch.nn.functional.cross_entropy(head(hs[-1]), target[:, -1], reduction="sum").backward()
    with torch.no_grad():
        lstm.weight_hh_l0.mul_(1.5)
    fused = fused_cell_gradients(lstm, head, x, target)
    assert max(float((c.grad - f).abs().max()) for c, f in zip(cs, fused)) > 1e-3


@pytest.mark.parametrize("p", [0.9, 0.99])
def test_the_cell_path_alone_is_an_identity_and_the_full_gradient_is_not(p):
    """With the forget gate pinned at p, ||(prod f) dL/dc_T|| / ||dL/dc_T|| is p^d for any
    two LSTMs (an identity of the gate), while the full ratio, which adds the paths through
    h and the other gates, depends on the weights and is not p^d."""
    x, target = _batch(T=30, lag=25)
    full = []
    for seed in (3, 4):
        lstm, head = _pair(seed)
        with torch.no_grad():
            lstm.weight_hh_l0.mul_(3.0)  # strong recurrent paths, as training can make them
        pin_forget_gate(lstm, p)
        hw = lstm_highway(lstm, head, x, target)
        assert hw.cell_path_ratio == pytest.approx([p ** d for d in range(30)], rel=1e-9)
        assert hw.cell_ratio[0] == pytest.approx(1.0)
        full.append(hw.cell_ratio)
        assert max(abs(r - p ** d) for d, r in enumerate(hw.cell_ratio)) > 0.05
    assert full[0] != pytest.approx(full[1], rel=1e-3)
