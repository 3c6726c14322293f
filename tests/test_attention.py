"""Seq2seq and attention: scores, entropies and decoding checked against independent
computations, then the lab end to end."""
import json
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

from core.analysis.alignment import (alignment_entropy, entropy_ratio, gaussian_alignment,
                                     gaussian_entropy_closed_form, simulate_alignment,
                                     uniform_alignment)
from core.analysis.decoding import (beam_search, entropy_matching_loss, greedy,
                                    normalised_score, predictive_entropy, sample)
from core.labs.attention import LAB
from core.models.seq2seq import Seq2Seq
from core.tasks.transduction import EOS, TransductionTask, target_positions

REPO = pathlib.Path(__file__).resolve().parents[1]


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


# ---- the lab -------------------------------------------------------------------------------

def test_tiny_run_end_to_end():
    config = LAB.make_config({"steps": 20, "eval_every": 10, "hidden": 16, "max_len": 6,
                              "test_max_len": 8})
    seen = []
    result = LAB.run(config, on_step=lambda s, m: seen.append(m))
    m = result.metrics
    assert result.steps == 20 and {"dot", "none"} <= {e["series"] for e in seen}
    assert set(m["accuracy_by_length"]) == set(range(4, 9))
    assert 0.0 < m["alignment_entropy_ratio"] <= 1.0 + 1e-9
    assert set(m["comparison"]["none"]["accuracy_by_length"]) == set(range(4, 9))
    cps = result.arrays["checkpoints"]
    assert cps["steps"] == [10, 20] and len(cps["attention"]) == 2
    assert np.allclose(np.asarray(cps["attention"][-1]).sum(-1), 1.0, atol=1e-3)
    json.loads(result.to_json())


def test_no_attention_run_has_no_entropy_metric():
    result = LAB.run(LAB.make_config({"steps": 5, "attention": "none", "hidden": 8}))
    assert "alignment_entropy_ratio" not in result.metrics
    assert "comparison" not in result.metrics


def test_stop_request_is_honoured():
    result = LAB.run(LAB.make_config({"steps": 500, "hidden": 8}), should_stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0


@pytest.mark.skipif(not (REPO / "core" / "__main__.py").exists(), reason="no command line yet")
def test_command_line_metrics():
    out = subprocess.run([sys.executable, "-m", "core", "run", "attention", "--set", "steps=5",
                          "--json"], capture_output=True, text=True, cwd=REPO, check=True)
    metrics = json.loads(out.stdout)["metrics"]
    for key in ("accuracy", "token_accuracy", "accuracy_by_length", "alignment_entropy_ratio"):
        assert key in metrics


@pytest.mark.slow
def test_default_demo_aligns_and_beats_the_bottleneck():
    torch.set_num_threads(1)
    result = LAB.run(LAB.make_config())
    m = result.metrics
    assert result.success and m["accuracy"] >= 0.9
    assert m["alignment_entropy_ratio"] < 0.5
    # the final attention map of the probe has its mass on the anti-diagonal
    final = np.asarray(result.arrays["checkpoints"]["attention"][-1])
    L = len(result.arrays["probe"])
    on_anti = final[np.arange(L), np.arange(L)[::-1]]
    assert on_anti.mean() > 0.5
    # at the longest training length attention holds up where the bottleneck has collapsed
    longest = result.config["max_len"]
    none = m["comparison"]["none"]["accuracy_by_length"]
    assert m["accuracy_by_length"][longest] >= 0.7 and none[longest] <= 0.2


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


def test_decoding_study_tiny():
    from core.labs.attention import decoding_study
    r = decoding_study(LAB.make_config({"steps": 5, "hidden": 8, "max_len": 5}), n_inputs=4,
                       n_samples=3)
    rows = r.metrics["decoding_study"]
    assert len(rows) == 8 and all(0 <= row["valid"] <= 1 for row in rows)
    assert all(row["distinct_per_input"] == 1 for row in rows if row["decoding"] == "greedy")
