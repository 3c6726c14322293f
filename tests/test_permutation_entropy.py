"""The target entropy of the shuffle task: the closed form ln(m!/Π n_k!)/(m+1) against the
exact recursion over remaining multisets (small inputs) and against exact integer
arithmetic (inputs far too large for the recursion)."""
import math
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis.decoding import permutation_step_entropy


def step_entropy_by_recursion(source: list[int]) -> float:
    """The oracle: with m symbols left, n_k of them k, the next output is k with probability
    n_k/m; sum the step entropy and recurse into every remaining multiset, weighted by its
    probability. Exponential in the number of distinct symbols: small inputs only."""

    @lru_cache(maxsize=None)
    def future(counts: tuple) -> float:
        m = sum(counts)
        if m == 0:
            return 0.0
        h = -sum(n / m * math.log(n / m) for n in counts if n)
        return h + sum(n / m * future(counts[:k] + (n - 1,) + counts[k + 1:])
                       for k, n in enumerate(counts) if n)

    counts = tuple(sorted(source.count(s) for s in set(source)))
    return future(counts) / (len(source) + 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=2, max_value=7), max_size=10))
def test_closed_form_matches_the_recursion_on_small_multisets(source):
    assert permutation_step_entropy(source) == pytest.approx(
        step_entropy_by_recursion(source), rel=1e-12, abs=1e-12)


def test_edge_cases():
    assert permutation_step_entropy([]) == 0.0  # only the forced EOS step
    assert permutation_step_entropy([3] * 9) == 0.0  # one order: nothing to choose
    # two distinct symbols: the first step is a fair coin, the second and EOS are forced
    assert permutation_step_entropy([2, 3]) == pytest.approx(math.log(2) / 3)


@pytest.mark.timeout(60)  # the recursion needs ~2^22·3^4 states here; the closed form, none
def test_the_largest_input_the_attention_lab_allows_is_exact():
    """V = 26 letters, length 30 (the lab's maxima), the counts of a real draw: exact against
    the logarithm of the multinomial coefficient computed in integers."""
    source = [2 + (7 * i) % 26 for i in range(30)]  # 22 letters once, 4 letters twice
    counts = [source.count(s) for s in set(source)]
    assert sorted(counts)[-4:] == [2, 2, 2, 2]
    orders = math.factorial(30)
    for n in counts:
        orders //= math.factorial(n)
    assert permutation_step_entropy(source) == pytest.approx(math.log(orders) / 31, rel=1e-12)
