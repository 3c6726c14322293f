"""Bits the seq2seq decoder needs, against a brute-force count of the distinct right answers
over every input of a small length and alphabet, computed with the tasks' own transduce."""
import itertools
import math

import pytest
import torch

from core.tasks.transduction import (FIRST_SYMBOL, MULTI_VALID, TASKS, TransductionTask,
                                     bits_needed, distinct_outputs, transduce)


def brute_force_answers(task: str, length: int, symbols: int) -> int:
    inputs = torch.tensor(list(itertools.product(range(symbols), repeat=length))) + FIRST_SYMBOL
    if task == MULTI_VALID:  # any permutation is right: an answer is the set of valid outputs
        tt = TransductionTask(MULTI_VALID, symbols)
        return len({tuple(sorted(row)) for row in inputs.tolist()
                    if tt.is_valid(row, transduce(task, torch.tensor([row]))[0].tolist())})
    return len({tuple(row) for row in transduce(task, inputs).tolist()})


@pytest.mark.parametrize("task", TASKS + (MULTI_VALID,))
def test_bits_needed_counts_the_distinct_answers(task):
    for length in range(1, 6):
        for symbols in (2, 3, 4):
            count = brute_force_answers(task, length, symbols)
            assert distinct_outputs(task, length, symbols) == count
            assert bits_needed(task, length, symbols) == pytest.approx(math.log2(count))


def test_sort_needs_fewer_bits_than_the_input_holds():
    # 10 symbols from 8: 10·log2 8 = 30 bits for reverse, log2 C(17, 7) ≈ 14.3 for sort
    assert bits_needed("reverse", 10, 8) == pytest.approx(30.0)
    assert bits_needed("sort", 10, 8) == pytest.approx(math.log2(19448))
    with pytest.raises(ValueError, match="unknown task"):
        bits_needed("rotate", 3, 4)
