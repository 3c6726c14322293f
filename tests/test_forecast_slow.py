"""The forecasting lab's presets at full size: each shows what its note says.

These are the tests the preset notes' claims rest on: the default (L = 1.1) grows at ln L,
L = 1 about doubles its error when the horizon doubles, L = 0.8 stays within a few times its
one-step error, and the chaotic systems' fitted rates land within RATE_TOLERANCE (20%) of
their known exponents.
"""
import math

import pytest

from core.analysis.error_growth import expected_regime
from core.labs import get_lab
from core.contract import config_dict
from core.labs.forecast import RATE_TOLERANCE

LAB = get_lab("forecast")


def run_preset(name: str):
    preset = LAB.preset(name)
    return LAB.run(LAB.make_config(preset.overrides))


@pytest.mark.slow
def test_default_demo_shows_exponential_growth_and_a_direct_curve_that_does_not_compound():
    r = run_preset("expansive: L = 1.1")
    m = r.metrics
    assert r.config == config_dict(LAB.make_config({}))  # the preset is the default demo
    assert r.success, r.message
    assert r.arrays["regime"] == "exponential" == expected_regime(r.config["lipschitz"])
    assert m["growth_factor_direct"] < m["growth_factor_iterative"]
    assert m["final_error_direct"] < m["final_error_iterative"]
    # the rate of the error's differences is ln L (exactly so on the theory curve)
    assert m["growth_rate_iterative"] == pytest.approx(math.log(1.1), rel=RATE_TOLERANCE)
    assert m["growth_rate_ratio"] == pytest.approx(1.0, abs=RATE_TOLERANCE)


@pytest.mark.slow
def test_critical_preset_grows_linearly():
    r = run_preset("critical: L = 1")
    assert r.success and r.arrays["regime"] == "linear", r.message
    e = r.metrics["error_by_horizon_iterative"]
    assert 1.5 < e[-1] / e[len(e) // 2 - 1] < 2.6  # doubling the horizon about doubles it


@pytest.mark.slow
def test_contractive_preset_stays_bounded():
    r = run_preset("contractive: L = 0.8")
    assert r.success and r.arrays["regime"] == "bounded", r.message
    e = r.metrics["error_by_horizon_iterative"]
    assert max(e) < 5 * e[0]  # "within a few times its one-step error"


@pytest.mark.slow
@pytest.mark.parametrize("name, reference", [("chaos: logistic r = 4", math.log(2)),
                                             ("chaos: Lorenz-63", 0.9056 * 0.15)])
def test_chaotic_growth_rates_land_near_the_known_exponents(name, reference):
    r = run_preset(name)
    m = r.metrics
    assert m["reference_growth_rate"] == pytest.approx(reference, rel=1e-3)
    assert m["growth_fit_points"] >= 4
    assert m["growth_rate_iterative"] == pytest.approx(reference, rel=RATE_TOLERANCE)
    assert m["growth_factor_direct"] < m["growth_factor_iterative"]
    assert r.success, r.message
