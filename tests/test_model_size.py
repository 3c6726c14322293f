"""Parameter counts that comparisons show, against numel and against closed forms."""
import pytest
import torch

from core.analysis.model_size import matched_width, parameter_count, size_label


def test_parameter_count_is_the_sum_of_numel_and_the_lstm_closed_form():
    """An LSTM with K inputs and h units has 4(hK + h^2 + 2h) weights; a linear head h*C + C."""
    K, h, C = 5, 7, 3
    model = torch.nn.Sequential(torch.nn.LSTM(K, h), torch.nn.Linear(h, C))
    assert parameter_count(model) == sum(p.numel() for p in model.parameters())
    assert parameter_count(model) == 4 * (h * K + h * h + 2 * h) + h * C + C


def test_shared_parameters_are_counted_once():
    layer = torch.nn.Linear(4, 4)
    model = torch.nn.Sequential(layer, layer)
    assert parameter_count(model) == 20


def test_matched_width_picks_the_nearest_count():
    def build(w):
        return torch.nn.Linear(10, w)  # 11 w parameters
    assert matched_width(build, 60, range(1, 20)) == (5, 55)  # 55 and 66: 55 is nearer
    assert matched_width(build, 61, [4, 6]) == (6, 66)
    with pytest.raises(ValueError):
        matched_width(build, 10, [])


def test_size_label():
    assert size_label("LSTM", 19720, 450) == "LSTM (19,720 params, 450 steps)"
    assert size_label("CNN", 1201) == "CNN (1,201 params)"
    assert size_label("x", None) == "x"
