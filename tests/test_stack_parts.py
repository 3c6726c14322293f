"""The stack lab's parts against hand computations and independent algorithms: the exact
pushdown automaton, the string generators and their hard negatives, the soft stack's
arithmetic, and the depth correlation."""
import numpy as np
import pytest
import torch

from core.analysis.stack_trace import (action_agreement, correct_strings, depth_correlation,
                                       exact_actions, fraction_by_length, live_trace, pearson,
                                       score_strings, trace_string)
from core.models.stack_rnn import StackRNN, stack_update
from core.tasks.dyck import (LANGUAGES, PAIRS, alphabet, batch_slice, encode, make_negative,
                             negative_kinds, random_balanced, run_stack, sample_strings,
                             state_names, validate)


def balanced_by_reduction(text: str, language: str) -> bool:
    """Independent check: delete adjacent matched pairs until nothing changes."""
    if language == "anbn":
        n = len(text) // 2
        return len(text) % 2 == 0 and text == "a" * n + "b" * n and n > 0
    pairs = [o + c for o, c in PAIRS[language].items()]
    while True:
        shorter = text
        for p in pairs:
            shorter = shorter.replace(p, "")
        if shorter == text:
            return text == ""
        text = shorter


def test_exact_algorithm_on_hand_worked_strings():
    ref = run_stack("(()())", "dyck1")
    assert ref.depth == [1, 2, 1, 2, 1, 0] and ref.balanced
    assert ref.state == [1, 1, 1, 1, 1, 0]
    ref = run_stack(")(", "dyck1")
    assert ref.state == [2, 2] and not ref.balanced  # broken from the first character
    ref = run_stack("([)]", "dyck2")
    assert ref.state == [1, 2, 3, 3] and ref.depth == [1, 2, 2, 2] and not ref.balanced
    ref = run_stack("([])[", "dyck2")
    assert ref.state == [1, 2, 1, 0, 2] and not ref.balanced  # unmatched opener, not broken
    assert run_stack("aabb", "anbn").balanced
    assert run_stack("abab", "anbn").state == [1, 0, 2, 2]  # an `a` after a `b` breaks
    assert not run_stack("aab", "anbn").balanced


@pytest.mark.parametrize("language", LANGUAGES)
def test_positives_are_balanced_and_negatives_really_unbalanced(language):
    gen = torch.Generator().manual_seed(3)
    for length in range(2, 31, 2):
        for _ in range(20):
            pos = random_balanced(length, language, gen)
            assert len(pos) == length
            assert run_stack(pos, language).balanced and balanced_by_reduction(pos, language)
            for kind in negative_kinds(language):
                neg = make_negative(pos, kind, language, gen)
                assert len(neg) == length
                assert not run_stack(neg, language).balanced
                assert not balanced_by_reduction(neg, language)


def test_negatives_are_hard():
    gen = torch.Generator().manual_seed(4)
    for _ in range(50):
        pos = random_balanced(12, "dyck2", gen)
        swapped = make_negative(pos, "prefix_violation", "dyck2", gen)
        # Same multiset of characters: counting alone cannot reject it; it breaks on a prefix.
        assert sorted(swapped) == sorted(pos)
        assert "broken" in [state_names("dyck2")[s] for s in run_stack(swapped, "dyck2").state]
        wrong = make_negative(pos, "wrong_closer", "dyck2", gen)
        assert sum(c in "([" for c in wrong) == sum(c in ")]" for c in wrong)
        open_end = run_stack(make_negative(pos, "unmatched_opener", "dyck2", gen), "dyck2")
        assert open_end.depth[-1] == 2 and open_end.state[-1] != 3  # never broken, left open


def test_sample_mix_and_encoding():
    strings = sample_strings(400, [4, 8], "dyck2", torch.Generator().manual_seed(0))
    batch = encode(strings, "dyck2")
    frac = float(batch.label.float().mean())
    assert 0.4 < frac < 0.6
    assert batch.x.shape == (400, 8, 4)
    short = batch.lengths == 4
    assert bool((batch.state[short, 4:] == -100).all()) and bool((batch.x[short, 4:] == 0).all())


@pytest.mark.parametrize("language", LANGUAGES)
def test_encoding_equals_one_character_at_a_time(language):
    """The batch tensors, filled whole-batch, against filling them character by character
    from the exact algorithm."""
    strings = sample_strings(50, [2, 6, 12], language, torch.Generator().manual_seed(4))
    batch = encode(strings, language)
    chars, T = alphabet(language), max(map(len, strings))
    x = torch.zeros(len(strings), T, len(chars))
    state = torch.full((len(strings), T), -100, dtype=torch.long)
    depth = torch.zeros(len(strings), T)
    for b, s in enumerate(strings):
        ref = run_stack(s, language)
        for t, c in enumerate(s):
            x[b, t, chars.index(c)] = 1.0
            state[b, t], depth[b, t] = ref.state[t], ref.depth[t]
    label = torch.tensor([int(run_stack(s, language).balanced) for s in strings])
    lengths = torch.tensor([len(s) for s in strings])
    for got, want in ((batch.x, x), (batch.state, state), (batch.depth, depth),
                      (batch.label, label), (batch.lengths, lengths)):
        assert got.dtype == want.dtype and torch.equal(got, want)


def test_validate_names_the_bad_characters():
    with pytest.raises(ValueError, match="'x'"):
        validate("(x)", "dyck1")
    with pytest.raises(ValueError, match="empty"):
        validate("   ", "dyck2")
    assert validate("( [ ] )", "dyck2") == "([])"


def test_soft_stack_update_matches_hand_computation():
    stack = torch.zeros(1, 3, 2)  # 3 cells, one value channel + occupancy
    stack = stack_update(stack, torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[0.7, 1.0]]))
    assert torch.allclose(stack[0], torch.tensor([[0.7, 1.0], [0, 0], [0, 0]]))
    stack = stack_update(stack, torch.tensor([[0.5, 0.3, 0.2]]), torch.tensor([[0.4, 1.0]]))
    # top: 0.5·0.4 + 0.3·0 + 0.2·0.7 = 0.34; below: 0.5·0.7 = 0.35; occupancy 0.7 and 0.5.
    expected = torch.tensor([[0.34, 0.7], [0.35, 0.5], [0.0, 0.0]])
    assert torch.allclose(stack[0], expected, atol=1e-6)
    assert abs(float(stack[0, :, 1].sum()) - (1 + 0.5 - 0.3)) < 1e-6  # height: +push -pop
    stack = stack_update(stack, torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.9, 1.0]]))
    assert torch.allclose(stack[0], torch.tensor([[0.35, 0.5], [0, 0], [0, 0]]), atol=1e-6)


def reference_forward(model: StackRNN, x: torch.Tensor):
    """The model's equations as the module docstring writes them, one character and one
    operation at a time, on a stack of the model's full capacity: (logits, actions, stacks)."""
    B, T, _ = x.shape
    h = torch.zeros(B, model.hidden)
    stack = torch.zeros(B, model.capacity, model.width + 1)
    top = lambda s: s[:, :model.read_depth].reshape(B, -1)  # noqa: E731
    outs, acts, stacks = [], [], []
    for t in range(T):
        h = torch.tanh(model.input(x[:, t]) + model.recur(h) + model.read(top(stack)))
        actions = torch.softmax(model.action(h), dim=-1)
        value = torch.cat([torch.sigmoid(model.push_value(h)), torch.ones(B, 1)], dim=-1)
        push = torch.cat([value.unsqueeze(1), stack[:, :-1]], dim=1)
        pop = torch.cat([stack[:, 1:], torch.zeros_like(stack[:, :1])], dim=1)
        stack = (actions[:, 0, None, None] * push + actions[:, 1, None, None] * pop
                 + actions[:, 2, None, None] * stack)
        outs.append(torch.cat([h, top(stack)], dim=-1))
        acts.append(actions)
        stacks.append(stack)
    return model.head(torch.stack(outs, 1)), torch.stack(acts, 1), torch.stack(stacks, 1)


@pytest.mark.parametrize("capacity", [52, 12])  # deeper than the strings, and shallower
def test_forward_equals_the_equations_step_by_step(capacity):
    """The forward pass (fused products, one padded tensor per stack update) gives the same
    logits, trace and gradients as the equations computed naively."""
    torch.manual_seed(0)
    model = StackRNN(4, 16, 4, width=2, capacity=capacity, noop_bias=-1.0)
    with torch.no_grad():
        model.recur.weight.normal_(0, 0.3)  # not the zero start: exercise every product
    batch = encode(sample_strings(32, [2, 8, 20], "dyck2", torch.Generator().manual_seed(2)),
                   "dyck2")
    logits_ref, actions_ref, stacks_ref = reference_forward(model, batch.x)
    grads_ref = torch.autograd.grad(logits_ref.square().mean(), list(model.parameters()))
    logits = model(batch.x)
    grads = torch.autograd.grad(logits.square().mean(), list(model.parameters()))
    traced, trace = model(batch.x, trace=True)
    assert torch.allclose(logits, logits_ref, atol=1e-6)
    assert torch.equal(logits, traced)
    assert torch.allclose(trace.actions, actions_ref, atol=1e-6)
    assert trace.occupancy.shape == stacks_ref[..., -1].shape
    assert torch.allclose(trace.occupancy, stacks_ref[..., -1], atol=1e-6)
    assert torch.allclose(trace.values, stacks_ref[..., :-1], atol=1e-6)
    for g, g_ref in zip(grads, grads_ref):
        assert torch.allclose(g, g_ref, atol=1e-6, rtol=1e-5)


def hand_wired_stack(push_on_openers: bool = True) -> StackRNN:
    """A Dyck-2 stack model with weights set by hand: push on openers, pop on closers."""
    model = StackRNN(4, 4, 4, width=2, capacity=24, noop_bias=0.0)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.input.weight.copy_(torch.eye(4) * 10)  # h ~ the one-hot character
        sign = 1.0 if push_on_openers else -1.0
        model.action.weight[0] = torch.tensor([20.0, 20, -20, -20]) * sign
        model.action.weight[1] = torch.tensor([-20.0, -20, 20, 20]) * sign
        model.action.bias[2] = -20.0
        model.push_value.weight[0, 0] = 20.0  # channel 0 says `(`
        model.push_value.weight[1, 1] = 20.0  # channel 1 says `[`
        model.push_value.bias.fill_(-10.0)
    return model


def test_hand_wired_stack_tracks_depth_exactly():
    strings = sample_strings(64, [6, 10, 14], "dyck2", torch.Generator().manual_seed(1),
                             negative_fraction=0.0)
    batch = encode(strings, "dyck2")
    model = hand_wired_stack()
    _, trace = model(batch.x, trace=True)
    height = trace.occupancy.sum(-1)
    valid = batch.state != -100
    assert torch.allclose(height[valid], batch.depth[valid], atol=1e-3)
    assert depth_correlation(model, batch, broken_class=3) > 0.999
    # The trace of a typed string: the top cell holds the opener's type.
    t = trace_string(model, "([", "dyck2")
    assert t["values"][0][1][1] > 0.99 and t["values"][0][1][0] < 0.01
    assert t["true_depth"] == [1, 2] and t["actions"][0][0] > 0.99


def test_depth_correlation_is_low_for_a_backwards_stack():
    batch = encode(sample_strings(64, [10], "dyck1", torch.Generator().manual_seed(2),
                                  negative_fraction=0.0), "dyck1")
    x = torch.cat([batch.x[..., :1], torch.zeros_like(batch.x[..., :1]), batch.x[..., 1:],
                   torch.zeros_like(batch.x[..., :1])], dim=-1)  # dyck1 chars into dyck2 slots
    batch.x = x
    assert depth_correlation(hand_wired_stack(push_on_openers=False), batch, 2) < 0.5


def test_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=200), rng.normal(size=200)
    b = 0.6 * a + b
    assert abs(pearson(torch.tensor(a), torch.tensor(b)) - np.corrcoef(a, b)[0, 1]) < 1e-9


def test_trace_rejects_bad_text_and_traces_unbalanced():
    model = hand_wired_stack()
    with pytest.raises(ValueError, match="not in the dyck2 alphabet"):
        trace_string(model, "(a)", "dyck2")
    t = trace_string(model, ")(]", "dyck2")
    assert t["true_state"] == ["broken"] * 3 and not t["balanced"]
    assert len(t["actions"]) == 3 and len(t["predicted_state"]) == 3


def test_exact_actions_on_hand_worked_strings():
    assert exact_actions("(()())", "dyck1") == ["push", "push", "pop", "push", "pop", "pop"]
    assert exact_actions("([)]", "dyck2") == ["push", "push", "halt", "halt"]
    assert exact_actions("aabb", "anbn") == ["push", "push", "pop", "pop"]
    assert exact_actions("abab", "anbn") == ["push", "pop", "halt", "halt"]


def test_action_agreement_is_one_for_the_exact_actions_and_a_third_for_uniform():
    exact = exact_actions("([])(", "dyck2")
    one_hot = [[1.0, 0.0, 0.0] if e == "push" else [0.0, 1.0, 0.0] for e in exact]
    assert action_agreement(one_hot, exact) == 1.0
    assert action_agreement([[1 / 3] * 3] * len(exact), exact) == pytest.approx(1 / 3)
    # characters after a break do not count
    assert action_agreement([[1.0, 0, 0], [0, 0, 1.0]], ["push", "halt"]) == 1.0
    assert action_agreement([[0.2, 0.7, 0.1]], ["halt"]) is None


def test_the_hand_wired_stack_agrees_with_the_exact_actions():
    live = live_trace(hand_wired_stack(), "([()])[]", "dyck2")
    assert live["exact"] == exact_actions("([()])[]", "dyck2")
    assert live["agreement"] > 0.999


def test_chunked_scores_equal_one_pass_and_stop_between_chunks():
    strings = sample_strings(40, [4, 8, 12], "dyck2", torch.Generator().manual_seed(5))
    batch = encode(strings, "dyck2")
    model = hand_wired_stack()
    scores = score_strings(model, batch, "per_step", "dyck2", chunk=7)
    assert torch.equal(scores.correct, correct_strings(model, batch, "per_step"))
    assert scores.depth_correlation == pytest.approx(depth_correlation(model, batch, 3))
    assert scores.action_means["opener"]["push"] > 0.999
    assert scores.action_means["closer"]["pop"] > 0.999
    asked = []

    def stop_after_two():
        asked.append(1)
        return len(asked) > 2
    assert score_strings(model, batch, "per_step", "dyck2", stop_after_two, chunk=7) is None
    assert len(asked) == 3  # asked before each chunk, stopped at the third
    part = batch_slice(batch, 7, 14)
    assert torch.equal(part.lengths, batch.lengths[7:14])


def test_fraction_by_length():
    right = torch.tensor([True, False, True, True])
    lengths = torch.tensor([2, 2, 4, 4])
    assert fraction_by_length(right, lengths, [2, 4, 6]) == [0.5, 1.0, None]


def test_strings_and_batches_never_touch_the_default_device():
    torch.set_default_device("meta")
    try:
        gen = torch.Generator().manual_seed(0)
        batch = encode(sample_strings(8, [4, 6], "dyck2", gen), "dyck2")
    finally:
        torch.set_default_device(None)
    assert batch.x.device.type == "cpu" and batch.state.device.type == "cpu"
