"""The Applications lab's measurements against hand computations and brute force: logos,
the presence-only ceiling, saliency, receptive fields, gradient cosines, uncertainty weights,
losses for rare positives, precision-recall and ROC areas, reconstruction scores."""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from core.analysis.imbalance import (average_precision, balanced_pos_weight, event_loss,
                                     focal_loss, precision_recall, roc_auc)
from core.analysis.reconstruction_scores import fold_mean, quantile_threshold, step_scores
from core.analysis.sequence_logo import (best_alignment, filter_count_matrices,
                                         information_content, match_filters)
from core.analysis.task_balance import (UncertaintyWeights, cosine, equilibrium_weight,
                                        flat_gradient, task_gradient_cosine)
from core.device import build_seeded, stream
from core.labs.applications.dna import presence_ceiling
from core.models.dna import MotifCNN, saliency
from core.models.multitask import MultiTaskLSTM, matched_hidden, parameter_count
from core.models.seq_autoencoder import SequenceAutoencoder
from core.tasks.dna_grammar import make_grammar, occurrences


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


def test_cosine_by_hand():
    assert cosine(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])) == pytest.approx(
        1 / math.sqrt(2))
    assert cosine(torch.tensor([1.0, 2.0]), torch.tensor([-2.0, 1.0])) == pytest.approx(0.0)
    assert cosine(torch.tensor([3.0, -1.0]), torch.tensor([-6.0, 2.0])) == pytest.approx(-1.0)
    assert cosine(torch.zeros(2), torch.tensor([1.0, 0.0])) == 0.0


def test_task_gradients_of_a_linear_encoder_by_hand():
    """h = W x, L_a = u·h, L_b = v·h: dL_a/dW = u xᵀ, dL_b/dW = v xᵀ, so the cosine is
    (u·v)(x·x) / (|u||x| |v||x|) = cos(u, v)."""
    W = torch.randn(3, 4, generator=stream(1, "init")).requires_grad_(True)
    x = torch.tensor([1.0, -2.0, 0.5, 3.0])
    u, v = torch.tensor([1.0, 2.0, -1.0]), torch.tensor([0.5, -1.0, 2.0])
    h = W @ x
    grad_a = flat_gradient(u @ h, [W])
    assert torch.allclose(grad_a, torch.outer(u, x).reshape(-1))
    expected = float(u @ v) / float(u.norm() * v.norm())
    assert task_gradient_cosine(u @ h, v @ h, [W]) == pytest.approx(expected, abs=1e-6)


def test_uncertainty_weights_settle_at_one_over_twice_the_loss():
    losses = [torch.tensor(0.05), torch.tensor(0.8)]
    weights = UncertaintyWeights(2)
    opt = torch.optim.Adam(weights.parameters(), lr=0.05)
    for _ in range(3000):
        opt.zero_grad()
        weights(losses).backward()
        opt.step()
    assert weights.weights() == pytest.approx([equilibrium_weight(0.05), equilibrium_weight(0.8)],
                                              rel=1e-3)
    assert equilibrium_weight(0.05) == pytest.approx(10.0)
    # the combined loss by hand at s = (0.3, -0.2)
    with torch.no_grad():
        weights.log_variance.copy_(torch.tensor([0.3, -0.2]))
    hand = math.exp(-0.3) * 0.05 + 0.15 + math.exp(0.2) * 0.8 - 0.1
    assert float(weights(losses).detach()) == pytest.approx(hand, rel=1e-6)


def test_parameter_count_matches_the_modules():
    for symbols, hidden in ((4, 32), (3, 7)):
        for heads in (("tag", "seq"), ("seq",)):
            model = MultiTaskLSTM(symbols, hidden, heads)
            assert sum(p.numel() for p in model.parameters()) == parameter_count(
                symbols, hidden, len(heads))
    h = matched_hidden(4, 32)
    total = parameter_count(4, 32, 2)
    assert abs(2 * parameter_count(4, h, 1) - total) <= min(
        abs(2 * parameter_count(4, k, 1) - total) for k in (h - 1, h + 1))


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


def test_fold_mean_matches_brute_force():
    err = torch.rand(2, 5, 4, generator=stream(0, "test"))  # 5 windows of 4 over 8 steps
    folded = fold_mean(err, 8)
    for s in range(2):
        for t in range(8):
            values = [float(err[s, i, t - i]) for i in range(5) if 0 <= t - i < 4]
            assert float(folded[s, t]) == pytest.approx(sum(values) / len(values))


def test_step_scores_are_the_window_average_of_squared_error():
    model = build_seeded(0, lambda: SequenceAutoencoder("repeat", 4))
    series = torch.randn(2, 20, generator=stream(0, "test"))
    scores = step_scores(model, series, 6)
    with torch.no_grad():
        windows = series.unfold(1, 6, 1).reshape(-1, 6, 1)
        err = (model(windows) - windows).pow(2).reshape(2, 15, 6)
    assert torch.allclose(scores, fold_mean(err, 20), atol=1e-6)


def test_quantile_threshold_false_alarm_rate():
    clean = torch.randn(4, 500, generator=stream(3, "test"))
    threshold = quantile_threshold(clean, 0.99)
    assert float((clean > threshold).float().mean()) == pytest.approx(0.01, abs=0.001)


@pytest.mark.parametrize("form", ["repeat", "sequence", "autoregressive"])
def test_sequence_autoencoder_forms_run_on_an_lstm_cell(form):
    """The LSTM option (the anomaly section's) keeps each form's shapes, free running
    included; the GRU default is unchanged (its own tests are the VRAE lab's)."""
    model = build_seeded(0, lambda: SequenceAutoencoder(form, 6, cell="lstm"))
    assert isinstance(model.encoder, torch.nn.LSTM)
    x = torch.randn(3, 9, 1, generator=stream(0, "test"))
    assert model(x).shape == (3, 9, 1)
    assert model(x, teacher_forcing=False).shape == (3, 9, 1)
    with pytest.raises(ValueError, match="unknown cell"):
        SequenceAutoencoder(form, 6, cell="tcn")
