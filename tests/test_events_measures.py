"""The Rare Events lab's measurements and task against hand computations and brute force:
plain, weighted and focal losses, the balancing weight, precision-recall and ROC areas, the
all-negative baselines, the prior's loss; events and their labels at each density."""
import math

import pytest
import torch

from core.analysis.imbalance import (average_precision, balanced_pos_weight, event_loss,
                                     focal_loss, precision_recall, roc_auc)
from core.device import stream
from core.tasks.rare_events import SIGNATURE_LENGTH, RareEvents, density_labels, signature


def test_losses_match_hand_computation():
    z = torch.tensor([2.0, -1.0, 0.5])
    y = torch.tensor([1.0, 0.0, 0.0])
    p = torch.sigmoid(z)
    pt = torch.where(y > 0, p, 1 - p)
    alpha_t = torch.where(y > 0, torch.tensor(0.25), torch.tensor(0.75))
    hand_focal = -(alpha_t * (1 - pt) ** 2 * torch.log(pt))
    assert torch.allclose(focal_loss(z, y, gamma=2.0, alpha=0.25), hand_focal, atol=1e-6)
    plain = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    assert torch.allclose(focal_loss(z, y, gamma=0.0, alpha=0.5), plain / 2, atol=1e-6)
    mask = torch.tensor([1.0, 1.0, 0.0])
    assert float(event_loss(z, y, mask, "plain")) == pytest.approx(float(plain[:2].mean()),
                                                                   rel=1e-5)
    weighted = -(5 * y * torch.log(p) + (1 - y) * torch.log(1 - p))
    assert float(event_loss(z, y, mask, "weighted", pos_weight=5.0)) == pytest.approx(
        float(weighted[:2].mean()), rel=1e-5)



def test_balanced_weight_equalises_the_classes():
    labels = (torch.rand(10000, generator=stream(0, "test")) < 0.02).float()
    rate = float(labels.mean())
    w = balanced_pos_weight(rate)
    assert w * float(labels.sum()) == pytest.approx(float((1 - labels).sum()))



def _brute_ap(scores, labels):
    """Precision at each distinct threshold, weighted by the recall it adds."""
    pos = sum(labels)
    ap, prev = 0.0, 0.0
    for t in sorted(set(scores), reverse=True):
        called = [y for s, y in zip(scores, labels) if s >= t]
        recall = sum(called) / pos
        ap += (recall - prev) * sum(called) / len(called)
        prev = recall
    return ap



def test_average_precision_and_roc_auc_against_brute_force():
    gen = stream(1, "test")
    labels = (torch.rand(200, generator=gen) < 0.2).float()
    scores = torch.round(torch.rand(200, generator=gen) * 20 + 3 * labels)  # ties on purpose
    s, y = scores.tolist(), labels.tolist()
    assert average_precision(scores, labels) == pytest.approx(_brute_ap(s, y))
    pos = [a for a, b in zip(s, y) if b]
    neg = [a for a, b in zip(s, y) if not b]
    mw = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))
    assert roc_auc(scores, labels) == pytest.approx(mw)
    perfect = labels.clone()
    assert average_precision(perfect, labels) == pytest.approx(1.0)
    assert roc_auc(perfect, labels) == pytest.approx(1.0)



def test_all_negative_classifier_baselines():
    labels = (torch.rand(5000, generator=stream(2, "test")) < 0.005).float()
    rate = float(labels.mean())
    constant = torch.zeros(5000)
    assert average_precision(constant, labels) == pytest.approx(rate)
    assert roc_auc(constant, labels) == pytest.approx(0.5)
    precision, recall = precision_recall(constant, labels, 0.5)
    assert recall == 0.0 and precision is None  # nothing called: precision undefined
    accuracy = float(((constant >= 0.5).float() == labels).float().mean())
    assert accuracy == pytest.approx(1 - rate)



def test_predicting_the_prior_costs_the_binary_entropy():
    labels = (torch.rand(20000, generator=stream(4, "test")) < 0.005).float()
    rate = float(labels.mean())
    logits = torch.full((20000,), math.log(rate / (1 - rate)))
    entropy = -rate * math.log(rate) - (1 - rate) * math.log(1 - rate)
    loss = event_loss(logits, labels, torch.ones(20000), "plain")
    assert float(loss) == pytest.approx(entropy, rel=1e-4)
    assert -0.005 * math.log(0.005) - 0.995 * math.log(0.995) == pytest.approx(0.031, abs=5e-4)



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
