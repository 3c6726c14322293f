"""Gate saturation fractions against hand-made activations."""
import numpy as np
import pytest
import torch

from char_model import CharModel
from core.analysis.cell_replay import LayerTrace, Replay, replay
from core.analysis.gate_saturation import gate_saturation, saturation_fractions


def test_fractions_by_hand():
    gate = np.array([[0.05, 0.95, 0.5],
                     [0.0, 1.0, 0.1],   # exactly 0.1 is not below 0.1
                     [0.2, 0.9, 0.95],  # exactly 0.9 is not above 0.9
                     [0.09, 0.91, 0.05]])
    left, right = saturation_fractions(gate)
    np.testing.assert_allclose(left, [3 / 4, 0, 1 / 4])
    np.testing.assert_allclose(right, [0, 3 / 4, 1 / 4])
    assert (left + right <= 1).all()


def test_bad_gate_input_is_named():
    with pytest.raises(ValueError, match="at least one position"):
        saturation_fractions(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="bounds"):
        saturation_fractions(np.zeros((2, 3)), low=0.9, high=0.1)


def test_every_gate_of_every_layer_is_reported():
    forget = np.array([[0.95, 0.5], [0.99, 0.02]])
    second = np.array([[0.01], [0.5]])
    trace = Replay("lstm", [
        LayerTrace(h=np.zeros((2, 2)), c=np.zeros((2, 2)),
                   gates={"input": np.full((2, 2), 0.5), "forget": forget,
                          "output": np.ones((2, 2))}),
        LayerTrace(h=np.zeros((2, 1)), c=np.zeros((2, 1)),
                   gates={"input": second, "forget": second, "output": second})],
        logits=np.zeros((2, 3)))
    result = gate_saturation(trace)
    assert result.layer.tolist() == [0, 0, 1] and result.unit.tolist() == [0, 1, 0]
    np.testing.assert_allclose(result.right["forget"], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(result.left["forget"], [0.0, 0.5, 0.5])
    np.testing.assert_allclose(result.right["output"], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(result.left["input"], [0.0, 0.0, 0.5])


@pytest.mark.parametrize("cell,gates", [("lstm", {"input", "forget", "output"}),
                                        ("gru", {"reset", "update"})])
def test_replayed_models_report_their_gates(cell, gates):
    torch.manual_seed(0)
    result = gate_saturation(replay(CharModel(cell, hidden=6, layers=2).eval(), [1, 2, 3, 4]))
    assert set(result.left) == gates and set(result.right) == gates
    assert all(v.shape == (12,) for v in result.left.values())


def test_tanh_rnn_has_no_gates():
    torch.manual_seed(0)
    assert gate_saturation(replay(CharModel("rnn").eval(), [1, 2, 3])) is None
