"""Seq2seq and attention: scores, entropies and decoding checked against independent
computations (the lab end to end is in test_attention_lab.py)."""
import math

import numpy as np
import pytest
import torch

from core.analysis.alignment import (alignment_entropy, entropy_ratio, gaussian_alignment,
                                     gaussian_entropy_closed_form, peak_weight_floor,
                                     simulate_alignment, uniform_alignment)
from core.analysis.decoding import (beam_search, entropy_matching_loss, greedy,
                                    normalised_score, predictive_entropy, sample,
                                    score_by_length, until_eos)
from core.models.seq2seq import Seq2Seq
from core.tasks.transduction import EOS, TransductionTask, target_positions


def _model(attention, cell="gru", seed=0, hidden=16):
    torch.manual_seed(seed)
    return Seq2Seq(vocab_size=7, hidden=hidden, cell=cell, attention=attention).eval()


# ---- alignment entropy ---------------------------------------------------------------------

def test_uniform_alignment_entropy_is_log_T():
    for tx in (2, 5, 17):
        assert np.allclose(alignment_entropy(uniform_alignment(3, tx)), math.log(tx))
        assert entropy_ratio(uniform_alignment(3, tx)) == pytest.approx(1.0)


def test_one_hot_alignment_has_zero_entropy():
    w = np.eye(6)[::-1]  # the anti-diagonal of reversal
    assert np.allclose(alignment_entropy(w), 0.0)
    assert entropy_ratio(w) == 0.0


def test_entropy_matches_direct_sum():
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(9), size=4)
    direct = [-sum(p * math.log(p) for p in row) for row in w]
    assert np.allclose(alignment_entropy(w), direct)


def test_gaussian_alignment_entropy_matches_closed_form_away_from_edges():
    for sigma in (1.5, 3.0, 6.0):
        w = gaussian_alignment([200.0], 401, sigma)
        assert alignment_entropy(w)[0] == pytest.approx(gaussian_entropy_closed_form(sigma),
                                                        abs=1e-3)


def test_simulation_gaussian_below_uniform():
    sim = simulate_alignment([4, 8, 16], width=1.0)
    assert all(g < u for g, u in zip(sim.gaussian_simulated, sim.uniform_simulated))
    assert np.allclose(sim.uniform_simulated, np.log([4, 8, 16]))
    assert sim.ratio_simulated[-1] < sim.ratio_simulated[0]  # focus matters more as T grows


def test_peak_weight_floor_holds_and_is_met_by_uniform_rows():
    """The stop rule's reading of the entropy: rows of mean entropy H hold on average at least
    e^(-H) on their largest weight, with equality for rows uniform over k positions."""
    rng = np.random.default_rng(1)
    for concentration in (0.05, 0.5, 5.0):
        rows = rng.dirichlet(np.full(12, concentration), size=40)
        assert rows.max(-1).mean() >= peak_weight_floor(alignment_entropy(rows).mean()) - 1e-12
    for k in (1, 3, 7):
        rows = np.zeros((5, 10))
        rows[:, :k] = 1.0 / k
        assert rows.max(-1).mean() == pytest.approx(
            peak_weight_floor(alignment_entropy(rows).mean()))
    # at a ratio r of ln T_x the floor is T_x^(-r); at the lab's stop ratio, as its comment
    # says, 0.76 at T_x = 10 and 0.85 at T_x = 4
    from core.labs.attention import SHARP_RATIO
    assert peak_weight_floor(SHARP_RATIO * math.log(10)) == pytest.approx(0.76, abs=0.005)
    assert peak_weight_floor(SHARP_RATIO * math.log(4)) == pytest.approx(0.85, abs=0.005)


# ---- attention scores ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["dot", "general", "additive"])
def test_attention_weights_match_loop_computation(kind):
    model = _model(kind)
    source = torch.tensor([[2, 3, 4, 5, 6]])
    dec_in = torch.tensor([[0, 6, 5]])
    with torch.no_grad():
        _, weights = model(source, dec_in)
        memory = model.encode(source)
        s, _ = model.decoder(model.tgt_embed(dec_in), memory.init)
    h = memory.states[0].numpy().astype(np.float64)
    s = s[0].numpy().astype(np.float64)
    att = model.attention
    expected = np.zeros((s.shape[0], h.shape[0]))
    for t in range(s.shape[0]):
        for i in range(h.shape[0]):
            if kind == "dot":
                e = sum(s[t, k] * h[i, k] for k in range(len(h[i])))
            elif kind == "general":
                W = att.key.weight.detach().numpy().astype(np.float64)
                e = s[t] @ (W @ h[i])
            else:
                Wq = att.query.weight.detach().numpy().astype(np.float64)
                Wk = att.key.weight.detach().numpy().astype(np.float64)
                bk = att.key.bias.detach().numpy().astype(np.float64)
                v = att.v.weight.detach().numpy().astype(np.float64)[0]
                e = v @ np.tanh(Wq @ s[t] + Wk @ h[i] + bk)
            expected[t, i] = e
        expected[t] = np.exp(expected[t] - expected[t].max())
        expected[t] /= expected[t].sum()
    assert np.allclose(weights[0].numpy(), expected, atol=1e-5)


def test_no_attention_decoder_ignores_all_but_final_state():
    """Without attention, two inputs whose encoder final states agree decode identically;
    changing only the encoder states (not the final) must not change the output."""
    model = _model("none")
    source = torch.tensor([[2, 3, 4, 5]])
    with torch.no_grad():
        memory = model.encode(source)
        memory.states.mul_(0.0)  # wipe the per-position states
        lp, _, weights = model.step(torch.tensor([0]), memory.init, memory)
        ref, _, _ = model.step(torch.tensor([0]), model.encode(source).init, model.encode(source))
    assert weights is None
    assert torch.allclose(lp, ref)


# ---- decoding ------------------------------------------------------------------------------

@pytest.mark.parametrize("attention,cell", [("dot", "gru"), ("additive", "lstm"),
                                            ("none", "gru")])
def test_beam_width_one_is_greedy(attention, cell):
    gen = torch.Generator().manual_seed(1)
    for seed in range(3):
        model = _model(attention, cell, seed)
        for _ in range(4):
            source = torch.randint(2, 7, (6,), generator=gen)
            g = greedy(model, source.unsqueeze(0), max_len=9)
            b = beam_search(model, source, width=1, max_len=9, length_alpha=0.7)
            tokens = g.tokens[0].tolist()
            if EOS in tokens:
                tokens = tokens[:tokens.index(EOS) + 1]
            assert b.tokens == tokens
            assert b.log_prob == pytest.approx(float(g.log_prob[0]), abs=1e-5)


def test_beam_log_probs_match_teacher_forced_scoring():
    """Every finished hypothesis's log-probability equals the model's teacher-forced score."""
    model = _model("additive")
    source = torch.tensor([2, 5, 3, 6])
    result = beam_search(model, source, width=4, max_len=8)
    assert result.hypotheses
    for hyp in result.hypotheses:
        y = torch.tensor([hyp["tokens"]])
        dec_in = torch.cat([torch.zeros(1, 1, dtype=torch.long), y[:, :-1]], 1)
        with torch.no_grad():
            logits, _ = model(source.unsqueeze(0), dec_in)
        lp = torch.log_softmax(logits, -1).gather(2, y.unsqueeze(-1)).sum()
        assert hyp["log_prob"] == pytest.approx(float(lp), abs=1e-4)
    # a wider beam never finds a worse best raw log-probability than width 1 with α = 0
    narrow = beam_search(model, source, width=1, max_len=8)
    wide = beam_search(model, source, width=4, max_len=8)
    assert wide.log_prob >= narrow.log_prob - 1e-6
    assert {n["id"] for n in result.tree if n["best"]} >= {0}


def test_length_normalisation():
    assert normalised_score(-4.0, 4, 1.0) == pytest.approx(-1.0)
    assert normalised_score(-4.0, 4, 0.0) == pytest.approx(-4.0)


def test_low_temperature_sampling_is_greedy():
    model = _model("dot")
    source = torch.tensor([[2, 3, 4, 5, 6], [6, 5, 4, 3, 2]])
    g = greedy(model, source, max_len=7)
    s = sample(model, source, max_len=7, temperature=1e-4, gen=torch.Generator().manual_seed(0))
    assert torch.equal(g.tokens, s.tokens)


def test_entropy_matching_loss_against_direct_formula():
    logits = torch.tensor([[[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]])
    targets = torch.tensor([[0, 2]])
    p = torch.softmax(logits, -1)
    ce = -(torch.log(p[0, 0, 0]) + torch.log(p[0, 1, 2])) / 2
    h = -(p * p.log()).sum(-1).mean()
    assert predictive_entropy(logits)[0, 1] == pytest.approx(math.log(3))
    assert float(entropy_matching_loss(logits, targets, 0.5, 2.0)) == pytest.approx(
        float(ce + 2.0 * (h - 0.5) ** 2), abs=1e-6)


def test_scores_by_length_against_a_loop_and_stop_between_lengths():
    """Exact match counts a row right only when all T symbols and the EOS are; a stop
    request between lengths leaves the lengths not yet decoded out."""
    model = _model("dot", hidden=8)
    task = TransductionTask("reverse", 5)
    gen = torch.Generator().manual_seed(2)
    batches = {L: task.sample(6, L, gen) for L in (2, 3, 4)}
    scores = score_by_length(model, batches)
    for L, b in batches.items():
        dec = greedy(model, b.source, max_len=L + 1)
        right = [until_eos(row) == t for row, t in zip(dec.tokens, b.target.tolist())]
        assert scores.accuracy[L] == pytest.approx(np.mean(right))
        assert 0 < scores.entropy_ratio[L] <= 1 + 1e-9
        assert 1 / L - 1e-6 <= scores.peak_weight[L] <= 1
    assert scores.mean("accuracy", [2, 3, 99]) == pytest.approx(
        (scores.accuracy[2] + scores.accuracy[3]) / 2)
    calls = []
    stopped = score_by_length(model, batches, should_stop=lambda: calls.append(1) or
                              len(calls) > 1)
    assert list(stopped.accuracy) == [2]
    assert until_eos([3, 4, EOS, 5]) == [3, 4, EOS] and until_eos([3, 4]) == [3, 4]


# ---- tasks and typed input -----------------------------------------------------------------

def test_task_targets():
    src = torch.tensor([[2, 3, 4, 5, 6]])
    assert TransductionTask("reverse", 5).target_for([2, 3, 4, 5, 6]) == [6, 5, 4, 3, 2]
    assert TransductionTask("interleave", 5).target_for([2, 3, 4, 5, 6]) == [2, 4, 6, 3, 5]
    assert TransductionTask("sort", 5).target_for([5, 2, 6, 2]) == [2, 2, 5, 6]
    assert target_positions("interleave", 4) == [0, 2, 1, 3]
    b = TransductionTask("copy", 5).sample(3, 4, torch.Generator().manual_seed(0))
    assert torch.equal(b.target[:, :4], b.source) and (b.target[:, 4] == EOS).all()
    assert src.shape == (1, 5)


def test_typed_input_validation():
    task = TransductionTask("reverse", 4)
    assert task.encode("a b, d") == [2, 3, 5]
    with pytest.raises(ValueError, match="'z'.*not in the vocabulary"):
        task.encode("abz")
    with pytest.raises(ValueError, match="lengths 4 to 10"):
        task.encode("abc", min_len=4, max_len=10)
    with pytest.raises(ValueError, match="empty"):
        task.encode("  ")


def test_permutation_entropy_chain_rule():
    """Summed over the steps, the per-step entropies of a random permutation are the entropy
    of the permutation itself: ln(T! / Π n_k!) by the chain rule."""
    from core.analysis.decoding import permutation_step_entropy
    for src in ([2, 3, 4, 5], [2, 2, 3, 3, 3], [4, 4, 4]):
        T = len(src)
        multinomial = math.factorial(T)
        for s in set(src):
            multinomial //= math.factorial(src.count(s))
        assert permutation_step_entropy(src) * (T + 1) == pytest.approx(math.log(multinomial))


def test_shuffle_targets_are_valid_permutations():
    task = TransductionTask("shuffle", 5)
    b = task.sample(20, 6, torch.Generator().manual_seed(3))
    for s, t in zip(b.source.tolist(), b.target.tolist()):
        assert task.is_valid(s, t[:-1]) and t[-1] == EOS
    assert not task.is_valid([2, 3], [2, 2])
