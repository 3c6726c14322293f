"""The forecasting lab's default demo and the issue's "done when" claims, at full size."""
import math

import pytest

from core.analysis.error_growth import expected_regime
from core.labs import get_lab

LAB = get_lab("forecast")


@pytest.mark.slow
def test_default_demo_shows_exponential_growth_and_a_direct_curve_that_does_not_compound():
    r = LAB.run(LAB.make_config())
    m = r.metrics
    assert r.success, r.message
    assert r.arrays["regime"] == "exponential" == expected_regime(r.config["lipschitz"])
    assert m["growth_factor_direct"] < m["growth_factor_iterative"]
    assert m["final_error_direct"] < m["final_error_iterative"]
    # the rate of the error's differences is comparable to ln L (exactly so on the theory curve)
    assert m["growth_rate_iterative"] == pytest.approx(m["reference_growth_rate"], rel=0.2)


@pytest.mark.slow
@pytest.mark.parametrize("lipschitz, regime", [(0.8, "bounded"), (1.0, "linear")])
def test_the_other_two_regimes_of_l(lipschitz, regime):
    r = LAB.run(LAB.make_config({"lipschitz": lipschitz}))
    assert r.success and r.arrays["regime"] == regime, r.message
    e = r.metrics["error_by_horizon_iterative"]
    if regime == "bounded":
        assert max(e) < 5 * e[0]
    else:  # linear: doubling the horizon roughly doubles the error
        assert 1.5 < e[-1] / e[len(e) // 2 - 1] < 2.6


@pytest.mark.slow
@pytest.mark.parametrize("system, reference", [("logistic", math.log(2)),
                                               ("lorenz", 0.9056 * 0.15)])
def test_chaotic_growth_rates_land_near_the_known_exponents(system, reference):
    r = LAB.run(LAB.make_config({"system": system}))
    m = r.metrics
    assert m["reference_growth_rate"] == pytest.approx(reference, rel=1e-3)
    assert m["growth_fit_points"] >= 4
    assert m["growth_rate_iterative"] == pytest.approx(reference, rel=0.2)
    assert m["growth_factor_direct"] < m["growth_factor_iterative"]
    assert r.success, r.message
