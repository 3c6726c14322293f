"""The cost study's fits: lengths out of the overhead regime, the spread over repeated
timings, and which kernel's exponent reads as T^2, checked on exact synthetic costs."""
import pytest
import torch

from core.analysis.cost_scaling import (OVERHEAD_FACTOR, exponent_range, fit_power_law,
                                        measure_step, pays_quadratic)

LENGTHS = [32, 64, 128, 256, 512, 1024, 2048]


def test_fit_leaves_out_the_lengths_where_overhead_dominates():
    """c = c0 + a T^2: the fit over lengths whose cost is at least OVERHEAD_FACTOR times the
    shortest's is within 2/OVERHEAD_FACTOR of 2 (the local slope there is 2 (1 - c0/c));
    the longer half of the lengths, which still holds overhead-bent points, is not as close."""
    costs = [100 + 0.01 * t * t for t in LENGTHS]
    fit = fit_power_law(LENGTHS, costs)
    assert not fit["overhead_bound"]
    assert all(c >= OVERHEAD_FACTOR * costs[0] for t, c in zip(LENGTHS, costs)
               if t >= fit["from_T"])
    assert fit["exponent"] == pytest.approx(2.0, abs=0.05)
    assert fit_power_law(LENGTHS, [0.5 * t ** 1.3 for t in LENGTHS])["exponent"] == \
        pytest.approx(1.3, rel=1e-9)


def test_a_sweep_that_never_leaves_the_overhead_regime_says_so():
    fit = fit_power_law(LENGTHS, [5 + 0.01 * t for t in LENGTHS])
    assert fit["overhead_bound"] and fit["from_T"] == 1024
    assert fit["exponent"] < 0.9  # the overhead hides the linear growth, as the flag warns


def test_exponent_range_spans_the_repeats():
    """Repeat k times exactly a_k T^(b_k): the range is [min b_k, max b_k] over the repeats
    every fitted length has, and a single repeat gives no range."""
    exponents = [1.0, 1.2, 0.9]
    runs = [[(k + 1) * t ** b for k, b in enumerate(exponents)] for t in LENGTHS]
    fit = fit_power_law(LENGTHS, [min(r) for r in runs])
    assert exponent_range(LENGTHS, runs, fit) == pytest.approx([0.9, 1.2], rel=1e-9)
    runs[-1] = runs[-1][:2]  # the longest length timed twice only: repeat 3 is left out
    assert exponent_range(LENGTHS, runs, fit) == pytest.approx([1.0, 1.2], rel=1e-9)
    assert exponent_range(LENGTHS, [[t] for t in LENGTHS], fit) is None
    assert exponent_range(LENGTHS, runs, None) is None


def test_which_exponent_pays_t_squared():
    assert pays_quadratic(1.0) is False and pays_quadratic(1.49) is False
    assert pays_quadratic(1.7) is True and pays_quadratic(2.0) is True
    assert pays_quadratic(None) is None


def test_measure_step_keeps_every_timed_step():
    model = torch.nn.Linear(3, 1)
    x = torch.randn(4, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step():
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    cost = measure_step(model, step, torch.device("cpu"), repeats=4)
    assert len(cost["ms_runs"]) == cost["timed_steps"] == 4
    assert cost["ms"] == min(cost["ms_runs"]) and all(t > 0 for t in cost["ms_runs"])
