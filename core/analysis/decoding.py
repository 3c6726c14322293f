"""Decoding a trained seq2seq model: greedy, beam search, temperature sampling, and the
entropy-matching training objective.

Beam search (e.g. Sutskever et al. 2014; Wu et al. 2016 for length normalisation) keeps the B
highest-scoring prefixes by cumulative log-probability; a hypothesis ends when it emits EOS.
Finished hypotheses are ranked by log p(y) / |y|^α: α = 0 is the raw log-probability, which
favours short outputs; α = 1 is the mean per token. With B = 1 every step keeps the single
most probable token, which is greedy decoding exactly.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core.analysis.alignment import entropy_ratio
from core.models.seq2seq import Memory, Seq2Seq, select_memory, select_state
from core.tasks.transduction import EOS, SOS, TransductionBatch


@dataclass
class Decoded:
    tokens: torch.Tensor  # (B, L) emitted tokens; EOS repeated after a row has finished
    log_prob: torch.Tensor  # (B,) log p of each row up to and including its first EOS
    attention: torch.Tensor | None  # (B, L, Tx) or None without attention


@torch.no_grad()
def _free_run(model: Seq2Seq, source: torch.Tensor, max_len: int, pick) -> Decoded:
    memory = model.encode(source)
    state, n = memory.init, source.shape[0]
    tokens = torch.full((n,), SOS, dtype=torch.long, device=source.device)
    done = torch.zeros(n, dtype=torch.bool, device=source.device)
    total = torch.zeros(n, device=source.device)
    outs, maps = [], []
    for _ in range(max_len):
        log_probs, state, weights = model.step(tokens, state, memory)
        chosen = pick(log_probs)
        total += torch.where(done, torch.zeros_like(total),
                             log_probs.gather(1, chosen.unsqueeze(1)).squeeze(1))
        chosen = torch.where(done, torch.full_like(chosen, EOS), chosen)
        outs.append(chosen)
        if weights is not None:
            maps.append(weights)
        done |= chosen == EOS
        tokens = chosen
        if bool(done.all()):
            break
    return Decoded(torch.stack(outs, 1), total, torch.stack(maps, 1) if maps else None)


def greedy(model: Seq2Seq, source: torch.Tensor, max_len: int) -> Decoded:
    """The most probable token at every step, for a batch of sources (B, Tx)."""
    return _free_run(model, source, max_len, lambda lp: lp.argmax(-1))


def sample(model: Seq2Seq, source: torch.Tensor, max_len: int, temperature: float,
           gen: torch.Generator) -> Decoded:
    """Ancestral sampling from p^(1/τ) renormalised: τ → 0 is greedy, τ = 1 the model's own
    distribution, τ > 1 flatter. `log_prob` is under the model (τ = 1)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")

    def pick(log_probs):
        probs = torch.softmax(log_probs / temperature, dim=-1).cpu()
        return torch.multinomial(probs, 1, generator=gen).squeeze(1).to(log_probs.device)

    return _free_run(model, source, max_len, pick)


def until_eos(tokens) -> list:
    """A decoded row up to and including its first EOS (the whole row if it never ends)."""
    tokens = list(tokens.tolist() if hasattr(tokens, "tolist") else tokens)
    return tokens[:tokens.index(EOS) + 1] if EOS in tokens else tokens


@dataclass
class LengthScores:
    """Greedy decoding scored per input length (dicts keyed by length)."""
    accuracy: dict = field(default_factory=dict)  # exact match, EOS included
    token_accuracy: dict = field(default_factory=dict)  # fraction of the T symbols right
    entropy_ratio: dict = field(default_factory=dict)  # mean H(α_t)/ln T_x (attention only)
    peak_weight: dict = field(default_factory=dict)  # mean over rows of max_i α_ti

    def mean(self, name: str, lengths) -> float | None:
        """The mean of one score over `lengths` (those measured; None if none was)."""
        values = [getattr(self, name)[L] for L in lengths if L in getattr(self, name)]
        return float(np.mean(values)) if values else None


@torch.no_grad()
def score_by_length(model: Seq2Seq, batches: dict[int, TransductionBatch],
                    should_stop=None) -> LengthScores:
    """Greedy decoding of each length's batch: exact-match accuracy (all T symbols and the
    EOS), token accuracy, and, with attention, the alignment entropy ratio and the mean
    largest weight of the rows that emit the T symbols. `should_stop()` is read between
    lengths, so a long final measurement ends within one length's decoding of a Stop."""
    was_training = model.training
    model.eval()
    scores = LengthScores()
    try:
        for L, b in batches.items():
            if should_stop is not None and should_stop():
                break
            dec = greedy(model, b.source, max_len=L + 1)
            pred = F.pad(dec.tokens, (0, L + 1 - dec.tokens.shape[1]), value=-1)[:, :L + 1]
            scores.accuracy[L] = float((pred == b.target).all(1).float().mean())
            scores.token_accuracy[L] = float((pred[:, :L] == b.target[:, :L]).float().mean())
            if dec.attention is not None:
                maps = dec.attention[:, :L].cpu().numpy()  # the rows that emit the L symbols
                scores.entropy_ratio[L] = float(np.mean([entropy_ratio(m) for m in maps]))
                scores.peak_weight[L] = float(maps.max(-1).mean())
    finally:
        model.train(was_training)
    return scores


def normalised_score(log_prob: float, length: int, alpha: float) -> float:
    """log p(y) / |y|^α (length normalisation)."""
    return log_prob / (max(length, 1) ** alpha)


@dataclass
class BeamResult:
    tokens: list  # best hypothesis, ending with EOS when it finished
    log_prob: float
    score: float  # length-normalised
    attention: list | None  # (L, Tx) rows of the best hypothesis
    hypotheses: list  # finished (or, if none finished, surviving) ones: dicts, best first
    tree: list = field(default_factory=list)  # every kept node: id, parent, token, step, ...


@torch.no_grad()
def beam_search(model: Seq2Seq, source: torch.Tensor, width: int, max_len: int,
                length_alpha: float = 0.0) -> BeamResult:
    """Beam search for one source (Tx,). At every step all expansions of the live prefixes
    compete and the top `width` are kept; those ending in EOS are set aside as finished."""
    if width < 1:
        raise ValueError(f"beam width must be at least 1, got {width}")
    memory: Memory = model.encode(source.unsqueeze(0))
    state = memory.init
    tree = [{"id": 0, "parent": None, "token": SOS, "step": 0, "log_prob": 0.0,
             "finished": False, "attention": None}]
    live = [0]
    live_lp = torch.zeros(1, device=source.device)
    finished = []
    for step in range(1, max_len + 1):
        k = len(live)
        mem_k = select_memory(memory, torch.zeros(k, dtype=torch.long, device=source.device))
        tokens = torch.tensor([tree[i]["token"] for i in live], device=source.device)
        log_probs, state, weights = model.step(tokens, state, mem_k)
        vocab = log_probs.shape[1]
        total = (live_lp.unsqueeze(1) + log_probs).reshape(-1)
        best_lp, best_idx = total.topk(min(width, total.numel()))
        survivors, survivor_lp = [], []
        for lp, idx in zip(best_lp.tolist(), best_idx.tolist()):
            row, token = divmod(idx, vocab)
            node = {"id": len(tree), "parent": live[row], "token": token, "step": step,
                    "log_prob": lp, "finished": token == EOS,
                    "attention": weights[row].tolist() if weights is not None else None}
            tree.append(node)
            if token == EOS:
                finished.append(node["id"])
            else:
                survivors.append((row, node["id"]))
                survivor_lp.append(lp)
        if not survivors:
            break
        rows = torch.tensor([r for r, _ in survivors], device=source.device)
        state = select_state(state, rows)
        live = [i for _, i in survivors]
        live_lp = torch.tensor(survivor_lp, device=source.device)
    candidates = finished or live

    def path(node_id):
        nodes = []
        while tree[node_id]["parent"] is not None:
            nodes.append(tree[node_id])
            node_id = tree[node_id]["parent"]
        return nodes[::-1]

    hyps = []
    for nid in candidates:
        nodes = path(nid)
        lp = tree[nid]["log_prob"]
        hyps.append({"node": nid, "tokens": [n["token"] for n in nodes], "log_prob": lp,
                     "score": normalised_score(lp, len(nodes), length_alpha),
                     "finished": tree[nid]["finished"],
                     "attention": [n["attention"] for n in nodes]
                     if nodes and nodes[0]["attention"] is not None else None})
    hyps.sort(key=lambda h: h["score"], reverse=True)
    best = hyps[0]
    on_best = {n["id"] for n in path(best["node"])}
    for node in tree:
        node["best"] = node["id"] in on_best or node["id"] == 0
        node.pop("attention")
    return BeamResult(best["tokens"], best["log_prob"], best["score"], best["attention"],
                      [{k: v for k, v in h.items() if k != "attention"} for h in hyps], tree)


def predictive_entropy(logits: torch.Tensor) -> torch.Tensor:
    """H(p) = -Σ p ln p of softmax(logits) over the last dimension (nats)."""
    log_p = torch.log_softmax(logits, dim=-1)
    return -(log_p.exp() * log_p).sum(-1)


def entropy_matching_loss(logits: torch.Tensor, targets: torch.Tensor, target_entropy: float,
                          weight: float) -> torch.Tensor:
    """Cross-entropy plus weight·(mean H(p) - H*)²: fit the data while keeping the predictive
    distribution as spread as the target's own diversity H* (in nats)."""
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    gap = predictive_entropy(logits).mean() - target_entropy
    return ce + weight * gap ** 2


def permutation_step_entropy(source: list[int]) -> float:
    """Expected entropy (nats) per output step, EOS included, of a uniformly random
    permutation of `source`.

    With m symbols left, n_k of them k, the next output is k with probability n_k/m. By the
    chain rule of entropy, the expected sum of these step entropies over the whole order is
    the joint entropy of the permutation, which is uniform over the m!/Π n_k! distinct
    orders: ln(m!/Π n_k!), computed with lgamma in O(m). The EOS step is forced (zero
    entropy) and only adds one to the number of steps the sum is spread over.
    """
    m = len(source)
    joint = math.lgamma(m + 1) - sum(math.lgamma(n + 1) for n in Counter(source).values())
    return max(joint, 0.0) / (m + 1)  # lgamma rounding can leave -1e-16 for a constant input
