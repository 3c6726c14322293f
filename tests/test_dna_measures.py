"""The DNA lab's measurements and task against hand computations and brute force: logos and
their information content, filter matching, the presence-only ceiling, saliency, the CNN's
receptive field; the grammar generator plants what it claims."""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from core.analysis.sequence_logo import (best_alignment, filter_count_matrices,
                                         information_content, match_filters)
from core.device import build_seeded, stream
from core.labs.dna.training import presence_ceiling
from core.models.dna import MotifCNN, saliency
from core.tasks.dna_grammar import (A_ONLY, B_ONLY, POSITIVE, REVERSED, TOO_FAR, grammar_holds,
                                    make_grammar, occurrences)


def test_information_content_on_known_count_matrices():
    logo = information_content([[10, 0, 0, 0], [5, 5, 0, 0], [3, 3, 3, 3], [0, 0, 0, 0],
                                [2, 1, 1, 0]])
    assert logo["ic"][:4] == pytest.approx([2.0, 1.0, 0.0, 0.0])
    # p = (1/2, 1/4, 1/4, 0): H = 1.5 bits, IC = 0.5
    assert logo["ic"][4] == pytest.approx(0.5)
    assert logo["heights"][0] == pytest.approx([2.0, 0, 0, 0])
    assert logo["heights"][1] == pytest.approx([0.5, 0.5, 0, 0])
    assert logo["heights"][4] == pytest.approx([0.25, 0.125, 0.125, 0])
    assert sum(logo["heights"][4]) == pytest.approx(logo["ic"][4])



def test_filter_counts_stack_the_windows_where_a_filter_fires():
    onehot = F.one_hot(torch.tensor([[0, 1, 2, 3, 0, 1]]), 4).float()
    acts = torch.tensor([[[0.0, 4.0, 1.0, 2.5]]])  # windows of width 3 at 0..3
    counts, stacked = filter_count_matrices(acts, onehot, 3)
    # windows 1 (CGT) and 3 (TAC) reach half the maximum 4
    assert int(stacked[0]) == 2
    assert counts[0].tolist() == [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]]



def test_best_alignment_finds_a_shifted_filter():
    motif = F.one_hot(torch.tensor([0, 1, 2, 3, 0, 2]), 4).float()
    shifted = torch.cat([motif[1:], torch.full((1, 4), 0.25)])  # learned one base late
    score, shift = best_alignment(shifted, motif)
    assert shift == 1 and score == pytest.approx(1.0)
    found = match_filters(torch.stack([torch.full((6, 4), 1.0), shifted * 10]), [motif])
    assert found[0]["filter"] == 1



def test_presence_ceiling_is_the_best_of_all_sixteen_presence_rules():
    task = make_grammar(40, 5, 0, 10, 0.2, stream(4, "reference"))
    batch = task.sample(300, stream(4, "test"))
    has_a = occurrences(batch.tokens, task.motif_a).any(1)
    has_b = occurrences(batch.tokens, task.motif_b).any(1)
    pattern = (has_a.long() * 2 + has_b.long()).tolist()
    best = max(sum(rule[p] == int(y) for p, y in zip(pattern, batch.label.tolist()))
               for rule in itertools.product((0, 1), repeat=4)) / 300
    assert presence_ceiling(batch, task) == pytest.approx(best)



def test_saliency_of_a_linear_model_is_its_weights():
    weights = torch.randn(10, 4, generator=stream(0, "init"))

    class Linear(torch.nn.Module):
        def forward(self, x):
            return (x * weights).sum((1, 2))
    x = F.one_hot(torch.randint(0, 4, (3, 10), generator=stream(0, "test")), 4).float()
    expected = (x * weights).sum(-1)
    assert torch.allclose(saliency(Linear(), x), expected)



def test_cnn_receptive_field_is_what_the_gradient_reaches():
    """Over many inputs (the max-pool picks different positions) the bases that reach one
    second-layer output span exactly width - 1 + pool·kernel2."""
    model = build_seeded(0, lambda: MotifCNN(filters=4, width=5, pool=4))
    reached = torch.zeros(60, dtype=torch.bool)
    gen = stream(0, "test")
    for _ in range(40):
        x = torch.randn(1, 60, 4, generator=gen).requires_grad_(True)
        h = model.conv2(model.scanner(x))  # (1, filters, pooled positions)
        (grad,) = torch.autograd.grad(h[0, :, 7].sum(), x)
        reached |= grad.abs().sum(-1)[0] > 0
    positions = reached.nonzero().squeeze(1)
    span = int(positions.max() - positions.min()) + 1
    assert span == model.receptive_field == 5 - 1 + 4 * 3



@pytest.fixture(scope="module")
def dna():
    task = make_grammar(80, 6, 5, 20, 0.3, stream(1, "reference"))
    return task, task.sample(600, stream(1, "train"))



def _matches(seq: list, start: int, motif) -> bool:
    return all(seq[start + j] == motif.consensus[j] for j in motif.core)



def _holds_by_loops(seq: list, task) -> bool:
    w, n = task.width, len(seq) - task.width + 1
    return any(_matches(seq, i, task.motif_a) and _matches(seq, k, task.motif_b)
               for i in range(n) for k in range(n)
               if task.gap_min <= k - i - w <= task.gap_max)



def test_positives_hold_a_then_b_within_the_window_and_negatives_do_not(dna):
    task, b = dna
    for i in range(0, 600, 7):
        assert bool(b.label[i]) == _holds_by_loops(b.tokens[i].tolist(), task)
    positive = b.kind == POSITIVE
    assert torch.equal(b.label.bool(), positive)  # every decoy was redrawn until false
    gap = b.b_start[positive] - b.a_start[positive] - task.width
    assert int(gap.min()) >= task.gap_min and int(gap.max()) <= task.gap_max
    assert 0.4 < float(b.label.mean()) < 0.6



def test_grammar_scanner_matches_brute_force_on_random_bases(dna):
    task, _ = dna
    tokens = torch.randint(0, 4, (200, 80), generator=stream(5, "test"))
    fast = grammar_holds(tokens, task.motif_a, task.motif_b, task.gap_min, task.gap_max)
    assert [bool(v) for v in fast] == [_holds_by_loops(t.tolist(), task) for t in tokens]



def test_decoys_are_planted_where_they_say(dna):
    task, b = dna
    w = task.width
    for i in range(600):
        kind, a, bs = int(b.kind[i]), int(b.a_start[i]), int(b.b_start[i])
        seq = b.tokens[i].tolist()
        if a >= 0:
            assert _matches(seq, a, task.motif_a)
        if bs >= 0:
            assert _matches(seq, bs, task.motif_b)
        if kind == REVERSED:
            assert task.gap_min <= a - bs - w <= task.gap_max
        elif kind == TOO_FAR:
            assert bs - a - w > task.gap_max
        elif kind == A_ONLY:
            assert bs == -1 and a >= 0
        elif kind == B_ONLY:
            assert a == -1 and bs >= 0
    kinds = torch.bincount(b.kind, minlength=5).float() / 600
    assert abs(float(kinds[REVERSED]) - 0.25) < 0.06 and float(kinds[TOO_FAR]) > 0.05



def test_planted_motif_frequencies_and_their_information():
    """Tolerant positions of planted copies keep the consensus with probability 1 - r; the
    logo of the planted frequencies has IC = 2 + (1-r)log2(1-r) + r log2(r/3) there."""
    from core.analysis.sequence_logo import information_content
    r = 0.3
    task = make_grammar(60, 9, 0, 10, r, stream(2, "reference"))
    b = task.sample(4000, stream(2, "train"))
    starts = b.a_start[b.a_start >= 0]
    rows = (b.a_start >= 0).nonzero().squeeze(1)
    copies = b.tokens[rows.unsqueeze(1), starts.unsqueeze(1) + torch.arange(9)]
    motif = task.motif_a
    for j in motif.tolerant:
        kept = float((copies[:, j] == motif.consensus[j]).float().mean())
        assert kept == pytest.approx(1 - r, abs=0.03)
    for j in motif.core:
        assert bool((copies[:, j] == motif.consensus[j]).all())
    ic = information_content(motif.frequencies(r))["ic"]
    expected = 2 + (1 - r) * math.log2(1 - r) + r * math.log2(r / 3)
    for j in range(9):
        assert ic[j] == pytest.approx(expected if j in motif.tolerant else 2.0, abs=1e-6)



def test_occurrences_ignore_tolerant_positions():
    task = make_grammar(30, 6, 0, 5, 0.0, stream(3, "reference"))
    motif = task.motif_a
    seq = torch.zeros(1, 30, dtype=torch.long)
    seq[0, 4:10] = torch.tensor(motif.consensus)
    j = motif.tolerant[0]
    seq[0, 4 + j] = (motif.consensus[j] + 1) % 4
    assert bool(occurrences(seq, motif)[0, 4])
    k = motif.core[0]
    seq[0, 4 + k] = (motif.consensus[k] + 1) % 4
    assert not bool(occurrences(seq, motif)[0, 4])
