"""The Applications lab's task generators plant what they claim: the DNA grammar, rare
events and their labels at each density, two tasks on one sequence, injected anomalies."""
import math

import pytest
import torch

from core.device import stream
from core.tasks.anomalies import KINDS, SEGMENT, normal_series, probe_series
from core.tasks.dna_grammar import (A_ONLY, B_ONLY, POSITIVE, REVERSED, TOO_FAR, grammar_holds,
                                    make_grammar, occurrences)
from core.tasks.rare_events import SIGNATURE_LENGTH, RareEvents, density_labels, signature
from core.tasks.two_tasks import TAG_LAG, TwoTasks, balanced_threshold


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


def test_event_rate_and_signatures():
    rate, T = 0.01, 300
    b = RareEvents(T, rate, amplitude=2.0).sample(400, stream(0, "train"))
    starts = b.events.shape[1] - SIGNATURE_LENGTH + 1
    # P(start kept) = rate·(1 - rate)^(m - 1): no start in the m - 1 steps before it
    expected = rate * (1 - rate) ** (SIGNATURE_LENGTH - 1) * starts / T
    assert b.rate == pytest.approx(expected, rel=0.1)
    ends = b.events.nonzero()
    gaps = [int(b2) - int(b1) for (r1, b1), (r2, b2) in zip(ends[:-1], ends[1:]) if r1 == r2]
    assert min(gaps) >= SIGNATURE_LENGTH  # signatures never overlap
    # the stream minus the signatures is the noise: its mean over each signature is ~0 only
    # if the signature was added where the label says
    shape = signature(2.0)
    windows = torch.stack([b.x[r, e - SIGNATURE_LENGTH + 1:e + 1, 0] for r, e in ends.tolist()])
    assert torch.allclose((windows - shape).mean(0), torch.zeros(SIGNATURE_LENGTH), atol=0.15)


def test_density_labels_brute_force():
    events = (torch.rand(20, 37, generator=stream(1, "test")) < 0.05).float()
    every, mask = density_labels(events, "every step", 5)
    assert torch.equal(every, events) and bool(mask.all())
    k_targets, k_mask = density_labels(events, "every k", 5)
    for r in range(20):
        ends = [t for t in range(37) if k_mask[r, t] > 0]
        assert ends == [4, 9, 14, 19, 24, 29, 34, 36]
        previous = -1
        for t in ends:
            assert float(k_targets[r, t]) == float(events[r, previous + 1:t + 1].sum() > 0)
            previous = t
    end, end_mask = density_labels(events, "end only", 5)
    assert float(end_mask.sum()) == 20 and torch.equal(end[:, -1], (events.sum(1) > 0).float())


def test_two_task_labels_brute_force():
    for relatedness in ("related", "unrelated"):
        task = TwoTasks(symbols=3, length=12, relatedness=relatedness)
        b = task.sample(50, stream(0, "train"))
        for tokens, tags, label in zip(b.tokens.tolist(), b.tags.tolist(), b.label.tolist()):
            assert tags == [int(t >= TAG_LAG and tokens[t] == tokens[t - TAG_LAG])
                            for t in range(12)]
            if relatedness == "related":
                assert label == int(sum(tags) >= task.threshold)
            else:
                assert label == int(tokens.count(0) > tokens.count(1))


def test_balanced_threshold_splits_the_exact_binomial():
    n, p = 28, 0.25
    m = balanced_threshold(n, p)
    tail = lambda k: sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k, n + 1))
    assert all(abs(tail(m) - 0.5) <= abs(tail(k) - 0.5) for k in range(n + 2))


def test_anomalies_sit_where_the_labels_say_and_nowhere_else():
    probes = probe_series(6, 320, 5, 1.0, stream(0, "test"))
    changed = probes.x != probes.clean
    assert torch.equal(changed.float(), probes.labels)
    for s, segments in enumerate(probes.segments):
        assert len(segments) == 5
        covered = torch.zeros(320, dtype=torch.bool)
        for i, (start, end, kind) in enumerate(segments):
            assert kind == KINDS[(i + s) % len(KINDS)]
            assert end - start == (1 if kind == "spike" else SEGMENT)
            assert 64 * i < start and end < 64 * (i + 1)  # one per slot, never touching
            covered[start:end] = True
            if kind == "shift":
                assert torch.allclose(probes.x[s, start:end] - probes.clean[s, start:end],
                                      torch.ones(end - start))
            if kind == "stuck":
                assert bool((probes.x[s, start:end] == probes.x[s, start]).all())
        assert not bool(changed[s][~covered].any())


def test_normal_series_are_the_two_harmonic_wave_plus_small_noise():
    x = normal_series(200, 64, stream(0, "train"))
    assert float(x.abs().max()) < 1.4 + 5 * 0.1
    assert float(x.mean().abs()) < 0.05
