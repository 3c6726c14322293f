"""Reading an accuracy-against-lag curve: chance everywhere is not decay with distance."""
import math

from core.analysis.lag_reading import at_chance, read_accuracy_by_lag

CHANCE = 1 / 8


def _curve(accuracies, count=400):
    return {"lag": [1.5 + 3 * i for i in range(len(accuracies))], "accuracy": accuracies,
            "count": [count] * len(accuracies)}


def test_at_chance_is_the_binomial_spread_of_a_guesser():
    spread = 3 * math.sqrt(CHANCE * (1 - CHANCE) / 400)  # 0.0496
    assert at_chance(CHANCE + spread - 1e-6, 400, CHANCE)
    assert not at_chance(CHANCE + spread + 1e-6, 400, CHANCE)
    assert at_chance(0.2, 30, CHANCE)  # a small group scatters more


def test_a_model_at_chance_at_the_short_lags_has_not_learned_the_task():
    """The default tanh RNN's curve: 0.17 and 0.09 at lags near 2.5 and 6.4, near chance on."""
    reading = read_accuracy_by_lag(_curve([0.15, 0.11, 0.13, 0.12, 0.14, 0.12, 0.10, 0.13]),
                                   CHANCE)
    assert reading["kind"] == "chance everywhere"


def test_decay_with_lag_is_read_only_when_short_lags_are_above_chance():
    reading = read_accuracy_by_lag(_curve([0.96, 0.9, 0.7, 0.5, 0.3, 0.2, 0.13, 0.12]),
                                   CHANCE)
    assert reading["kind"] == "falls with lag"
    assert reading["short"] == (0.96 + 0.9) / 2 and reading["long"] == (0.13 + 0.12) / 2
    assert read_accuracy_by_lag(_curve([0.99] * 8), CHANCE)["kind"] == "above chance everywhere"
    assert read_accuracy_by_lag(_curve([0.9, 0.12, 0.5, 0.12, 0.6, 0.4, 0.5, 0.5]),
                                CHANCE)["kind"] == "mixed"
