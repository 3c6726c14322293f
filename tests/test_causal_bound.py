"""The causal bound of every task that shows one, against the best causal predictor counted
on the task's own sampler: for each visible past x_1..x_t (and position t) take the majority
label. Fitted on one half of a large sample and scored on the other, so the estimate is not
flattered by chance majorities in rare contexts."""
import numpy as np
import pytest

from core.device import seeded_generator
from core.contract import ConfigError
from core.labs.bidirectional import Config, make_task
from core.tasks.direction import IGNORE, DirectionTask, sense_zero_probability

SEQUENCES = 120_000
T, D = 4, 2  # short sequences keep the number of distinct pasts small (at most K + K²)


def _past_keys_and_labels(task: DirectionTask, seed: int):
    """(N,) integer code of (t, x_1..x_t) and (N,) label, for every labelled position."""
    b = task.sample(SEQUENCES, seeded_generator(seed))
    tokens, target = b.tokens.numpy(), b.target.numpy()
    K = task.symbols
    keys, labels = [], []
    code = np.zeros(len(tokens), dtype=np.int64)
    for t in range(tokens.shape[1]):
        code = code * K + tokens[:, t]
        keep = target[:, t] != IGNORE
        keys.append(code[keep] * T + t)  # the position is visible too
        labels.append(target[keep, t])
    return np.concatenate(keys), np.concatenate(labels)


def best_causal_accuracy(task: DirectionTask) -> tuple[float, float]:
    """(held-out, in-sample) accuracy of the majority label per visible past."""
    fit_keys, fit_labels = _past_keys_and_labels(task, 0)
    test_keys, test_labels = _past_keys_and_labels(task, 1)
    C = task.classes
    _, fit_ids = np.unique(fit_keys, return_inverse=True)
    counts = np.zeros((fit_ids.max() + 1, C))
    np.add.at(counts, (fit_ids, fit_labels), 1)
    in_sample = counts.max(1).sum() / len(fit_labels)
    rule = dict(zip(np.unique(fit_keys).tolist(), counts.argmax(1).tolist()))
    guesses = np.array([rule.get(k, 0) for k in test_keys.tolist()])
    return float((guesses == test_labels).mean()), float(in_sample)


ALLOWED_K = range(Config.__dataclass_fields__["symbols"].metadata["min"],
                  Config.__dataclass_fields__["symbols"].metadata["max"] + 1)


@pytest.mark.parametrize("K", ALLOWED_K)
@pytest.mark.parametrize("name", ["lookahead", "disambiguation"])
def test_causal_bound_equals_the_best_causal_predictor(name, K):
    config = Config(task=name, symbols=K, seq_len=T, offset=D)
    try:
        config.check()
    except ConfigError:  # disambiguation refuses K = 2: no bound to check there
        assert name == "disambiguation" and K < 3
        return
    task = make_task(config)
    held_out, in_sample = best_causal_accuracy(task)
    bound = task.causal_bound
    assert held_out == pytest.approx(bound, abs=0.01)
    assert in_sample >= bound - 0.01


def test_disambiguation_bound_by_hand():
    """p = 1/4 + 3/4·(evens in 1..K-1)/(K-1); the old constant 1/2 holds only at K = 4."""
    expected = {3: 0.625, 4: 0.5, 5: 0.625, 6: 0.55, 7: 0.625, 8: 4 / 7, 12: 0.25 + 0.75 * 5 / 11}
    for K, bound in expected.items():
        assert DirectionTask("disambiguation", K, 6, 2).causal_bound == pytest.approx(bound)
    tokens = DirectionTask("disambiguation", 6, 50, 2).sample_tokens(4000, seeded_generator(3))
    assert float((tokens % 2 == 0).float().mean()) == pytest.approx(sense_zero_probability(6),
                                                                     abs=0.01)


def test_tasks_without_an_independent_label_show_no_bound():
    for name in ("causal", "palindrome", "first_token"):
        assert DirectionTask(name, 4, 6, 2).causal_bound is None
