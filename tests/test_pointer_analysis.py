"""Pointer lab measurements against independent computations and closed forms."""
import itertools
import math

import pytest
import torch

from core.analysis.permutation import (decode_scores, hungarian_set_loss, is_valid_permutation,
                                       is_valid_selection, log_factorial, sequence_nll, t_log_t)
from core.models.pointer import PointerNet
from core.tasks.permutation import PermutationTask, parse_numbers, scale_to_unit


def _zeroed(decoder: str, T: int) -> PointerNet:
    torch.manual_seed(1)
    model = PointerNet(1, 16, decoder, vocab_size=T)
    with torch.no_grad():
        for p in model.output_layer():
            p.zero_()
    return model


@pytest.mark.parametrize("decoder", ["vocab", "pointer"])
@pytest.mark.parametrize("T", [3, 7, 12])
def test_zeroed_output_layer_scores_exactly_t_log_t(decoder, T):
    model = _zeroed(decoder, T)
    task = PermutationTask("identity", T, T)
    b = task.sample(32, torch.Generator().manual_seed(T), n=T)
    out = model(b.x, T, feed=b.target, masking=False)
    nll = sequence_nll(out.log_probs, b.target)
    # Every example, not just the mean: the output is uniform whatever the input.
    assert torch.allclose(nll, torch.full_like(nll, T * math.log(T)), rtol=1e-6, atol=1e-5)
    assert t_log_t(T) == pytest.approx(sum(math.log(T) for _ in range(T)), rel=1e-12)


def test_trained_weights_do_not_matter_once_output_is_zeroed():
    """Randomising everything but the output layer leaves the loss at T·log T."""
    T = 6
    model = _zeroed("vocab", T)
    with torch.no_grad():
        model.encoder.weight_hh_l0.normal_(0, 3.0)
        model.cell.weight_ih.normal_(0, 3.0)
    b = PermutationTask("sort", T, T).sample(16, torch.Generator().manual_seed(0), n=T)
    nll = sequence_nll(model(b.x, T, feed=b.target, masking=False).log_probs, b.target)
    assert float(nll.detach().mean()) == pytest.approx(t_log_t(T), rel=1e-6)


def test_masked_uniform_pointer_scores_log_t_factorial():
    T = 8
    model = _zeroed("pointer", T)
    b = PermutationTask("sort", T, T).sample(8, torch.Generator().manual_seed(2), n=T)
    nll = sequence_nll(model(b.x, T, feed=b.target, masking=True).log_probs, b.target)
    assert float(nll.detach().mean()) == pytest.approx(math.log(math.factorial(T)), rel=1e-6)
    assert log_factorial(T) == pytest.approx(math.log(math.factorial(T)), rel=1e-12)


@pytest.mark.parametrize("decoder", ["pointer", "vocab"])
def test_masking_always_gives_valid_permutations(decoder):
    torch.manual_seed(3)
    model = PointerNet(1, 16, decoder, vocab_size=12)
    gen = torch.Generator().manual_seed(4)
    for n in (2, 5, 9, 12):
        b = PermutationTask("sort", 2, 12).sample(64, gen, n=n)
        with torch.no_grad():
            choices = model(b.x, n, masking=True).choices
        assert all(is_valid_permutation(row, n) for row in choices.tolist())


def test_without_masking_an_untrained_pointer_repeats_positions():
    """The check above could fail: without masking, random weights do repeat themselves."""
    torch.manual_seed(3)
    model = PointerNet(1, 16, "pointer")
    b = PermutationTask("sort", 9, 9).sample(64, torch.Generator().manual_seed(4), n=9)
    with torch.no_grad():
        choices = model(b.x, 9, masking=False).choices
    assert not all(is_valid_permutation(row, 9) for row in choices.tolist())


def test_vocab_decoder_cannot_name_positions_beyond_its_vocabulary():
    torch.manual_seed(0)
    model = PointerNet(1, 16, "vocab", vocab_size=5)
    b = PermutationTask("sort", 8, 8).sample(16, torch.Generator().manual_seed(0), n=8)
    with torch.no_grad():
        out = model(b.x, 8, masking=True)
    assert int(out.choices.max()) < 5
    assert torch.isfinite(out.log_probs).any(-1).all()  # never an all-masked (NaN) row
    assert torch.isinf(sequence_nll(out.log_probs, b.target)).all()


def _random_log_probs(B, K, n, seed):
    return torch.randn(B, K, n, generator=torch.Generator().manual_seed(seed)).log_softmax(-1)


def test_hungarian_loss_is_invariant_to_target_order():
    lp = _random_log_probs(6, 4, 9, 0)
    target = torch.stack([torch.randperm(9, generator=torch.Generator().manual_seed(i))[:4]
                          for i in range(6)])
    base, _ = hungarian_set_loss(lp, target)
    for perm in itertools.permutations(range(4)):
        shuffled, matched = hungarian_set_loss(lp, target[:, list(perm)])
        assert torch.allclose(shuffled, base, atol=1e-6)
    # whereas the fixed-order loss does depend on the order
    fixed = sequence_nll(lp, target)
    assert not torch.allclose(fixed, sequence_nll(lp, target[:, [1, 0, 2, 3]]))


def test_hungarian_loss_equals_brute_force_minimum_over_orders():
    lp = _random_log_probs(5, 4, 7, 1)
    target = torch.tensor([[0, 3, 5, 6], [1, 2, 3, 4], [6, 5, 4, 0], [2, 0, 1, 3], [3, 6, 1, 5]])
    loss, matched = hungarian_set_loss(lp, target)
    for b in range(5):
        best = min(float(sequence_nll(lp[b:b + 1], target[b:b + 1, list(p)]))
                   for p in itertools.permutations(range(4)))
        assert float(loss[b]) == pytest.approx(best, rel=1e-6)
        assert sorted(matched[b].tolist()) == sorted(target[b].tolist())
        assert float(sequence_nll(lp[b:b + 1], matched[b:b + 1])) == pytest.approx(best, rel=1e-6)


def test_hungarian_loss_is_differentiable():
    logits = torch.randn(2, 3, 5, requires_grad=True)
    loss, _ = hungarian_set_loss(logits.log_softmax(-1), torch.tensor([[0, 1, 2], [4, 3, 2]]))
    loss.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_decode_scores_by_hand():
    target = torch.tensor([[0, 1, 2], [2, 1, 0]])
    choices = torch.tensor([[0, 1, 2], [2, 2, 0]])
    s = decode_scores(choices, target, 3, is_set=False)
    assert s["accuracy"] == 0.5
    assert s["token_accuracy"] == pytest.approx((1 + 2 / 3) / 2)
    assert s["valid_rate"] == 0.5
    # as sets, order does not matter but repeats do
    s = decode_scores(torch.tensor([[2, 0, 1], [2, 2, 1]]), target, 5, is_set=True)
    assert s["accuracy"] == 0.5 and s["valid_rate"] == 0.5 and s["token_accuracy"] == 1.0
    assert is_valid_selection([4, 0], 5) and not is_valid_selection([5], 5)


def test_tasks_produce_the_right_targets():
    gen = torch.Generator().manual_seed(0)
    b = PermutationTask("sort", 4, 9).sample(32, gen)
    values = b.x[..., 0]
    assert (values.gather(1, b.target).diff(dim=1) > 0).all()
    assert 4 <= b.length <= 9
    b = PermutationTask("identity", 6, 6).sample(4, gen)
    assert b.target.tolist() == [list(range(6))] * 4
    task = PermutationTask("select", 5, 8, set_size=3)
    b = task.sample(32, gen, n=7)
    top = b.x[..., 0].topk(3, dim=1).indices
    assert all(set(r) == set(t) for r, t in zip(b.target.tolist(), top.tolist()))
    assert any(r != t for r, t in zip(b.target.tolist(), top.tolist()))  # order is shuffled
    with pytest.raises(ValueError, match="set size"):
        PermutationTask("select", 3, 8, set_size=3)


def test_parse_numbers_names_the_problem():
    assert parse_numbers("[0.5, 2 ,-1]") == [0.5, 2.0, -1.0]
    with pytest.raises(ValueError, match=r"entry 2 \('abc'\)"):
        parse_numbers("1, abc, 3")
    with pytest.raises(ValueError, match="finite"):
        parse_numbers("1, inf")
    with pytest.raises(ValueError, match="at least 2"):
        parse_numbers("4")
    with pytest.raises(ValueError, match="type some numbers"):
        parse_numbers("  ")
    with pytest.raises(ValueError, match="at most"):
        parse_numbers(",".join(["1"] * 50))
    assert scale_to_unit([3, 1, 5]) == [0.5, 0.0, 1.0]
    assert scale_to_unit([2, 2]) == [0.5, 0.5]


def test_fixed_order_floor_is_log_k_factorial():
    """A set of k targets listed in a uniformly random order: averaged over the k! orders,
    the teacher-forced fixed-order loss of any model is at least log k! (Gibbs), and a model
    uniform over the members not yet fed sits on it exactly."""
    k, n = 3, 6
    members = [4, 1, 2]
    orders = [list(p) for p in itertools.permutations(members)]
    # the optimal model: at step t, uniform over the k - t members not fed yet
    best = []
    for order in orders:
        lp = torch.full((1, k, n), float("-inf"))
        for t in range(k):
            remaining = [j for j in members if j not in order[:t]]
            lp[0, t, remaining] = -math.log(len(remaining))
        best.append(float(sequence_nll(lp, torch.tensor([order]))))
    assert best == pytest.approx([log_factorial(k)] * len(orders), rel=1e-6)
    # a real network (random weights, masking on), teacher-forced on each order in turn
    torch.manual_seed(5)
    model = PointerNet(1, 16, "pointer")
    x = torch.rand(1, n, 1, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        losses = [float(sequence_nll(model(x, k, feed=torch.tensor([o]), masking=True)
                                     .log_probs, torch.tensor([o]))) for o in orders]
    assert sum(losses) / len(losses) >= log_factorial(k)
    # whereas the matched loss of a model that emits the set (in any order) is 0
    emit = torch.full((1, k, n), float("-inf"))
    for t, j in enumerate(sorted(members)):
        emit[0, t, j] = 0.0
    for order in orders:
        matched, _ = hungarian_set_loss(emit, torch.tensor([order]))
        assert float(matched) == 0.0


def test_evaluation_stops_between_lengths():
    from core.analysis.pointer_eval import evaluate_lengths, sample_by_length, score_batches
    torch.manual_seed(0)
    model = PointerNet(1, 8, "pointer")
    task = PermutationTask("sort", 3, 6)
    calls = []

    def stop_after(n):
        return lambda: calls.append(1) or len(calls) > n
    scores = evaluate_lengths(model, task, range(3, 9), 4, torch.Generator().manual_seed(0),
                              True, "cpu", should_stop=stop_after(2))
    assert sorted(scores) == [3, 4]
    calls.clear()
    batches = sample_by_length(task, range(3, 9), 4, torch.Generator().manual_seed(0), "cpu")
    assert sorted(score_batches(model, task, batches, True, stop_after(3))) == [3, 4, 5]
    assert sorted(score_batches(model, task, batches, True)) == list(range(3, 9))


@pytest.mark.parametrize("decoder", ["pointer", "vocab"])
@pytest.mark.parametrize("task", ["sort", "identity", "select"])
@pytest.mark.parametrize("masking", [True, False])
def test_teacher_forcing_all_steps_at_once_matches_step_by_step(decoder, task, masking):
    """Teacher-forced decoding (training) computes every step's scores, masks and softmax at
    once and runs the decoder LSTM fused; the step-by-step loop is the reference: the same
    distributions, masks and choices on a fixed input, and the same gradients, to float
    rounding."""
    torch.manual_seed(4)
    model = PointerNet(1, 16, decoder, vocab_size=10)
    t = PermutationTask(task, 3, 13, 2)
    for n in (3, 7, 10, 13):  # 13: longer than the vocabulary
        b = t.sample(8, torch.Generator().manual_seed(n), n=n)
        steps = t.out_len(n)
        fast = model(b.x, steps, feed=b.target, masking=masking)
        ref = model.step_by_step(b.x, steps, feed=b.target, masking=masking)
        assert torch.equal(fast.choices, ref.choices)
        for got, want in ((fast.log_probs, ref.log_probs), (fast.attention, ref.attention)):
            assert torch.equal(torch.isfinite(got), torch.isfinite(want))  # the same masks
            finite = torch.isfinite(want)
            assert torch.allclose(got[finite], want[finite], rtol=1e-5, atol=1e-5)
        params = list(model.parameters())
        grads = [torch.autograd.grad(out.log_probs[torch.isfinite(out.log_probs)].sum(), params,
                                     allow_unused=True) for out in (fast, ref)]
        for got, want in zip(*grads):
            assert (got is None) == (want is None)
            if got is not None:
                assert torch.allclose(got, want, rtol=1e-4, atol=1e-5)
