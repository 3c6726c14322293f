"""The "tanh forgets" preset's note says what its own run shows (slow: the full 1500 steps)."""
import math

import pytest

from core.labs.gradients import LAB


@pytest.mark.slow
def test_tanh_forgets_keeps_about_two_decades_of_gradient_and_stays_near_chance():
    preset = LAB.preset("tanh forgets")
    result = LAB.run(LAB.make_config(preset.overrides))
    m = result.metrics
    decades = -math.log10(m["grad_ratio_first_last"])
    assert 1.0 <= decades <= 3.0  # "about two decades", not a vanishing fraction
    assert m["recurrent_spectral_radius"] > 1.0  # the note says the recurrence grew past 1
    assert m["accuracy"] < 2 * m["chance_accuracy"]  # "accuracy stays near chance"
    assert result.steps == LAB.make_config(preset.overrides).steps  # never reached 0.9
    assert "two decades" in preset.note and "vanishing" not in preset.note
