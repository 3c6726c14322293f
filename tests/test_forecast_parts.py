"""The forecasting lab's parts: integrators, exponents, error-growth regimes, CSV validation.
(The lab's runs: tests/test_forecast_lab.py; its presets at full size: test_forecast_slow.py.)"""
import math
import re

import numpy as np
import pytest
import torch

from core.analysis.error_growth import (classify_growth, difference_span, growth_rate,
                                        growth_verdict, iterative_bound, per_window_errors,
                                        saturation_level)
from core.models.forecaster import DirectForecaster, OneStepForecaster
from core.tasks.dynamics import (LORENZ_LYAPUNOV, load_sunspots, logistic_lyapunov,
                                 logistic_trajectory, longest_window, lorenz_pool,
                                 lorenz_trajectory, make_system, minimum_series_length,
                                 rk4_step)
from core.tasks.series_csv import MAX_BYTES, read_csv_table, series_from_table
from core.device import seeded_generator


def oscillator(state):
    return np.stack([state[..., 1], -state[..., 0]], axis=-1)


def rk4_error(h):
    state, n = np.array([1.0, 0.0]), int(round(2 * math.pi / h))
    for _ in range(n):
        state = rk4_step(oscillator, state, h)
    t = n * h
    return float(np.linalg.norm(state - np.array([math.cos(t), -math.sin(t)])))


def test_rk4_matches_the_harmonic_oscillator_with_fourth_order_convergence():
    coarse, fine = rk4_error(0.1), rk4_error(0.05)
    assert fine < 1e-5
    assert 12 < coarse / fine < 20  # halving h divides a 4th-order global error by 16


def test_lorenz_samples_agree_with_a_finer_integration_and_stay_on_the_attractor():
    start = np.array([[1.0, 1.0, 20.0]])
    coarse = lorenz_trajectory(start, 11, 0.1)[0]
    fine = lorenz_trajectory(start, 21, 0.05)[0, ::2]
    assert np.abs(coarse - fine).max() < 1e-3
    long = lorenz_trajectory(start, 400, 0.05)[0]
    assert 0 < long[:, 2].min() and long[:, 2].max() < 50 and np.abs(long[:, 0]).max() < 25


def test_logistic_r4_divergence_grows_at_ln2_per_step():
    """Two orbits of the true map 1e-10 apart: the fitted slope of ln(separation) is ln 2."""
    rng = np.random.default_rng(0)
    x0 = rng.uniform(0.05, 0.95, size=2000)
    a = logistic_trajectory(x0, 40, 4.0)
    b = logistic_trajectory(x0 + 1e-10, 40, 4.0)
    median = np.median(np.abs(a - b), axis=0)
    rate, points = growth_rate(median.tolist(), saturation_level(a.reshape(-1, 1)))
    assert points >= 20
    assert rate == pytest.approx(math.log(2), abs=0.05)
    assert logistic_lyapunov(4.0) == pytest.approx(math.log(2), abs=0.02)
    assert logistic_lyapunov(3.5) < 0  # a stable 4-cycle: errors shrink


def test_lorenz_orbits_separate_at_the_known_exponent():
    """Two true Lorenz-63 orbits 1e-8 apart, from 200 states on the attractor: the lab's
    estimator applied to their median separation reads the largest Lyapunov exponent
    0.906 per unit time (Sprott), times the sample step."""
    dt, pairs = 0.05, 200
    pool = lorenz_pool(0.15, "test")
    rng = np.random.default_rng(0)
    starts = pool[rng.integers(0, pool.shape[0], pairs), rng.integers(0, pool.shape[1], pairs)]
    nearby = starts + 1e-8 * rng.normal(size=starts.shape)
    orbits = lorenz_trajectory(np.concatenate([starts, nearby]), 200, dt)
    separation = np.median(np.linalg.norm(orbits[:pairs] - orbits[pairs:], axis=-1), axis=0)
    rate, points = growth_rate(separation.tolist(), saturation_level(pool))
    assert points > 100
    assert rate == pytest.approx(LORENZ_LYAPUNOV * dt, rel=0.1)


def test_lorenz_train_and_test_pools_are_different_orbits():
    train, test = lorenz_pool(0.15, "train"), lorenz_pool(0.15, "test")
    assert train.shape == test.shape == (24, 800, 3)
    assert np.linalg.norm(train[:, None, 0] - test[None, :, 0], axis=-1).min() > 1e-3


def test_linear_system_obeys_its_map_and_a_biased_model_follows_the_geometric_sum():
    for L, regime in ((0.8, "bounded"), (1.0, "linear"), (1.2, "exponential")):
        w = make_system("linear", 4, 30, lipschitz=L).sample(16, seeded_generator(0))
        assert torch.allclose(w[:, 1:], L * w[:, :-1], atol=1e-5)
        # A model f̂(x) = L·x + ε rolled out from the truth's origin: e_k = ε·Σ L^j exactly.
        eps, x, errors = 1e-3, w[:, 3, 0].double(), []
        xt = x.clone()
        for k in range(30):
            x, xt = L * x + eps, L * xt
            errors.append(float((x - xt).abs().median()))
        assert np.allclose(errors, iterative_bound(eps, L, 30), rtol=1e-6)
        assert classify_growth(errors) == regime
        rate, _ = growth_rate(errors[15:])
        if L > 1:
            assert rate == pytest.approx(math.log(L), abs=0.02)


def test_growth_rate_stops_fitting_at_saturation():
    errors = [1e-3 * 2 ** k for k in range(8)] + [0.3] * 10
    rate, points = growth_rate(errors, saturation=0.5)
    assert rate == pytest.approx(math.log(2), rel=1e-6) and points == 6  # 7 errors, 6 steps
    assert math.isnan(growth_rate([1e-3, 1.0, 1.0], saturation=0.5)[0])


@pytest.mark.parametrize("L", [0.8, 0.9, 1.0, 1.1, 1.2, 2.0])
def test_growth_rate_of_the_exact_theory_curve_is_ln_L(L):
    """ε·Σ_{j<k} L^j has increments ε·L^k: the estimator returns ln L, for L < 1 too, where
    the slope of ln e_k itself is positive (the old estimator read +0.05 at L = 0.9)."""
    curve = iterative_bound(1e-3, L, 30)
    rate, points = growth_rate(curve)
    assert rate == pytest.approx(math.log(L), abs=1e-9)
    assert points == 30 - difference_span(30) == 27  # differences over 3 steps
    assert growth_rate(curve[:10])[0] == pytest.approx(math.log(L), abs=1e-9)  # span 1
    if L < 1:
        assert rate < 0
        slope_of_log = np.polyfit(np.arange(30), np.log(curve), 1)[0]
        assert slope_of_log > 0  # why ln e_k is the wrong thing to fit


def test_growth_rate_reads_chaotic_growth_under_an_offset_and_a_falling_curve():
    k = np.arange(12)
    assert growth_rate((0.01 + 1e-4 * np.exp(0.3 * k)).tolist())[0] == pytest.approx(0.3)
    falling = (0.5 + 0.2 * 0.7 ** k).tolist()  # a model whose error relaxes to a floor
    assert growth_rate(falling)[0] == pytest.approx(math.log(0.7))
    noisy = (1e-3 * np.exp(0.69 * k)) * (1 + 0.02 * np.cos(2.1 * k))
    assert growth_rate(noisy.tolist())[0] == pytest.approx(0.69, rel=0.05)


def test_per_window_error_is_euclidean_over_channels():
    pred = np.zeros((2, 3, 2))
    truth = np.ones((2, 3, 2)) * np.array([3.0, 4.0])
    assert np.allclose(per_window_errors(pred, truth), 5.0)


def test_rollout_feeds_its_own_predictions_back():
    torch.manual_seed(0)
    model = OneStepForecaster(2, 8, "gru", mean=[1.0, -1.0], scale=[2.0, 3.0])
    ctx = torch.randn(3, 5, 2)
    preds = model.rollout(ctx, 4)
    replay = model(torch.cat([ctx, preds[:, :3]], 1))[:, 4:]
    assert torch.allclose(preds, replay, atol=1e-5)
    direct = DirectForecaster(2, 8, 6, "lstm")
    assert direct(ctx).shape == (3, 6, 2) and direct.rollout(ctx, 4).shape == (3, 4, 2)


def test_fixed_series_test_windows_forecast_only_the_held_out_future():
    s = load_sunspots()
    assert s.shape == (309,) and s.min() >= 0
    series = np.arange(100.0)
    system = make_system("csv", 5, 10, series=series)
    cut = int(100 * 0.8)
    train = system.sample(500, seeded_generator(0), "train")
    test = system.sample(500, seeded_generator(1), "test")
    assert train.max() < cut  # training windows end before the held-out tail
    assert test[:, 5:].min() >= cut  # every scored horizon lies in the held-out tail
    with pytest.raises(ValueError, match="needs at least"):
        make_system("csv", 5, 10, series=np.arange(minimum_series_length(5, 10) - 1.0))
    with pytest.raises(ValueError, match="uploaded series"):
        make_system("csv", 5, 10)
    assert longest_window(309) == 61  # 309 sunspot years: 61 ≤ 0.2 · 308 < 62
    assert minimum_series_length(61, 0) <= 309 < minimum_series_length(62, 0)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"a,b\n", "no rows"),
    (b"name,city\nann,oslo\nbob,rome\n", "no column holds numbers"),
    (b"\xff\xfe\x00\x01", "not UTF-8"),
    (b"a,b\n1,2\n\"3,4\n", "not readable as CSV"),
    (b"x\n" + b"1\n" * (MAX_BYTES // 2 + 1), "limit"),
])
def test_bad_files_are_refused_with_a_message(data, message):
    with pytest.raises(ValueError, match=message):
        read_csv_table(data)


@pytest.mark.parametrize("data, column, message", [
    (b"t,v\n1,2\n2,nan\n3,4\n", "v", "'nan' in data row 2"),
    (b"t,v\n1,2\n2,inf\n3,4\n", "v", "'inf' in data row 2"),
    (b"t,v\n1,2\n2,\n3,4\n", "v", "data row 2"),
    (b"t,v\n1,2\n2,oops\n3,4\n", "v", "'oops' in data row 2"),
    (b"t,v\n1,5\n2,5\n3,5\n", "v", "constant"),
    (b"t,v\n1,2\n2,3\n", "w", "no column named 'w'"),
])
def test_bad_columns_are_refused_with_a_message(data, column, message):
    with pytest.raises(ValueError, match=message):
        series_from_table(read_csv_table(data), column)


def test_good_csv_with_semicolons_gives_the_chosen_column():
    table = read_csv_table("day;temp\n1;2.5\n2;3.5\n3;-1\n")
    assert series_from_table(table, "temp").tolist() == [2.5, 3.5, -1.0]




def test_the_theory_stretch_is_L_for_the_linear_map_and_e_to_lambda_for_chaos():
    assert make_system("linear", 4, 8, lipschitz=1.1).stretch_per_step == 1.1
    assert make_system("logistic", 4, 8, r=4.0).stretch_per_step == pytest.approx(2.0)
    assert make_system("lorenz", 4, 8, dt=0.1).stretch_per_step == \
        pytest.approx(math.exp(LORENZ_LYAPUNOV * 0.1))
    assert make_system("sunspots", 4, 8).stretch_per_step is None


def _curves(rate, ref, it_factor=50.0, di_factor=3.0, errors=(0.1, 0.2)):
    return {"growth_rate_iterative": rate, "reference_growth_rate": ref,
            "growth_factor_iterative": it_factor, "growth_factor_direct": di_factor,
            "error_by_horizon_iterative": list(errors), "one_step_error_iterative": errors[0],
            "growth_fit_points": 10, "error_by_horizon_persistence": [0.5, 0.6],
            "final_error_iterative": errors[-1], "final_error_direct": 0.3}


def test_growth_verdict_judges_each_system_by_what_its_theory_claims():
    ln = math.log(1.1)
    assert growth_verdict("linear", 1.1, _curves(1.15 * ln, ln), "exponential", 0.2)[0]
    assert not growth_verdict("linear", 1.1, _curves(1.25 * ln, ln), "exponential", 0.2)[0]
    assert not growth_verdict("linear", 1.1, _curves(ln, ln), "linear", 0.2)[0]
    assert not growth_verdict("linear", 1.1, _curves(ln, ln, di_factor=60), "exponential",
                              0.2)[0]  # a direct curve that compounds as much fails
    # below L = 1 only boundedness counts, whatever the rate reads
    ok, text = growth_verdict("linear", 0.8, _curves(-0.02, math.log(0.8)), "bounded", 0.2)
    assert ok and "2.00 times its one-step error" in text
    assert growth_verdict("linear", 1.0, _curves(0.01, 0.0), "linear", 0.2)[0]
    assert growth_verdict("lorenz", None, _curves(0.12, 0.136), "exponential", 0.2)[0]
    assert not growth_verdict("lorenz", None, _curves(0.10, 0.136), "exponential", 0.2)[0]
    assert not growth_verdict("logistic", None, _curves(float("nan"), 0.69), "bounded", 0.2)[0]
    assert growth_verdict("sunspots", None, _curves(float("nan"), float("nan")), "bounded",
                          0.2)[0]  # 0.1 one step ahead beats repeating the last value (0.5)


def test_every_test_the_theory_tab_cites_exists():
    """The page's "Where the theory comes from" names the tests that check each line."""
    from pathlib import Path
    root = Path(__file__).resolve().parent
    page = (root.parent / "pages" / "forecast.py").read_text()
    cited = set(re.findall(r"`(test_\w+)`", page))
    assert len(cited) >= 5
    defined = set(re.findall(r"^def (test_\w+)", (root / "test_forecast_parts.py").read_text(),
                             re.M))
    assert cited <= defined, cited - defined
