"""The Seq2seq and Attention lab's interactive probes: what the page shows when someone types
an input, scrubs through training, widens a simulated alignment or asks for the capacity
table. Each takes a finished Result and returns plain data; the page only renders it.

A Result loaded from the precomputed cache has no trained model (`artifacts` are not
stored): the probes that need one raise ValueError saying so; the others read its arrays.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from core.analysis.alignment import alignment_entropy, entropy_ratio, simulate_alignment
from core.analysis.decoding import beam_search, greedy, sample, until_eos
from core.contract import Result
from core.device import stream
from core.labs.attention import Config, make_task
from core.tasks.transduction import EOS, TransductionTask, bits_needed, target_positions
from core.text_limits import ATTENTION_INPUT_MAX_CHARS

MAX_BEAM_WIDTH = 8
MAX_SAMPLES = 100


def by_length(values: dict) -> dict[int, float]:
    """A by-length mapping with int keys (a Result read back from JSON has string keys)."""
    return {int(k): v for k, v in (values or {}).items()}


def _config(result: Result) -> Config:
    return Config(**result.config)


def _model(result: Result, arm: str | None):
    models = result.artifacts.get("models") or {}
    if not models:
        raise ValueError("this result has no trained model (it was loaded, not trained "
                         "here); press Train to decode your own input")
    arm = arm or next(iter(models))
    if arm not in models:
        raise ValueError(f"no model {arm!r} in this result; trained: {', '.join(models)}")
    return arm, models[arm]


def parse_input(result: Result, text: str) -> list[int]:
    """The token ids of a typed input, or the probe input when `text` is blank. The length
    of the text is checked before anything else is done with it."""
    if len(text) > ATTENTION_INPUT_MAX_CHARS:
        raise ValueError(f"the input has {len(text)} characters; type at most "
                         f"{ATTENTION_INPUT_MAX_CHARS}")
    if not text.strip():
        return list(result.arrays["probe"])
    config = _config(result)
    return make_task(config).encode(text, 1, max(config.max_len, config.test_max_len))


def _named_tree(tree: list, task: TransductionTask) -> list:
    return [{**node, "name": task.decode([node["token"]])[0]} for node in tree]


def decode_typed(result: Result, text: str = "", beam_width: int = 3,
                 length_alpha: float = 0.6, temperature: float = 1.0, samples: int = 20,
                 arm: str | None = None) -> dict:
    """Decode a typed input (blank: the probe input) with a trained model of `result`
    (default: its headline model): greedy decoding with its attention map and each step's
    alignment entropy, beam search of `beam_width` with length normalisation
    log p/|y|^α, and `samples` draws at `temperature`. Raises ValueError naming the
    problem (a bad letter, a length out of range, a setting out of range, no model)."""
    if not 1 <= beam_width <= MAX_BEAM_WIDTH:
        raise ValueError(f"beam width must be 1 to {MAX_BEAM_WIDTH}, got {beam_width}")
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be 1 to {MAX_SAMPLES}, got {samples}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be positive, got {temperature}")
    if not (math.isfinite(length_alpha) and length_alpha >= 0):
        raise ValueError(f"length normalisation α must be 0 or more, got {length_alpha}")
    source = parse_input(result, text)
    arm, model = _model(result, arm)
    task = make_task(_config(result))
    device = next(model.parameters()).device
    src = torch.tensor(source, device=device)
    target = task.target_for(source)
    out_len = len(source) + 2
    g = greedy(model, src.unsqueeze(0), max_len=out_len)
    tokens = until_eos(g.tokens[0])
    greedy_view = {"output": task.decode(tokens), "log_prob": float(g.log_prob[0]),
                   "correct": tokens == target + [EOS], "attention": None,
                   "step_entropy": None, "entropy_ratio": None}
    if g.attention is not None:
        weights = g.attention[0, :len(tokens)].cpu().numpy()
        rows = weights[:len(source)]  # the rows that emit symbols, as in the lab's metric
        greedy_view.update(attention=np.round(weights, 4).tolist(),
                           step_entropy=alignment_entropy(rows).tolist(),
                           entropy_ratio=entropy_ratio(rows))
    beam = beam_search(model, src, beam_width, out_len, length_alpha)
    drawn = sample(model, src.unsqueeze(0).repeat(samples, 1), out_len, temperature,
                   stream(result.config["seed"], "noise"))
    outs = [until_eos(row) for row in drawn.tokens.tolist()]
    return {
        "arm": arm, "is_probe": not text.strip(), "source": source,
        "input": task.decode(source), "target": task.decode(target), "greedy": greedy_view,
        "beam": {"width": beam_width, "length_alpha": length_alpha,
                 "output": task.decode(beam.tokens), "log_prob": beam.log_prob,
                 "score": beam.score, "tree": _named_tree(beam.tree, task),
                 "hypotheses": [{"output": task.decode(h["tokens"]), "log_prob": h["log_prob"],
                                 "score": h["score"], "finished": h["finished"]}
                                for h in beam.hypotheses]},
        "samples": {"count": samples, "temperature": temperature,
                    "correct": sum(o == target + [EOS] for o in outs),
                    "distinct": len({tuple(o) for o in outs})},
    }


def checkpoint_view(result: Result, step: int | None = None) -> dict:
    """The probe's attention map and greedy output saved at training step `step` (default:
    the last), with each output step's alignment entropy over the input's symbols."""
    cps = result.arrays["checkpoints"]
    if not cps["steps"]:
        raise ValueError("no checkpoint was saved in this run")
    step = cps["steps"][-1] if step is None else step
    if step not in cps["steps"]:
        raise ValueError(f"no checkpoint at step {step}; saved at {cps['steps'][:3]}…")
    k = cps["steps"].index(step)
    task = make_task(_config(result))
    probe = result.arrays["probe"]
    view = {"step": step, "input": task.decode(probe), "output": cps["output"][k],
            "attention": None, "step_entropy": None, "entropy_ratio": None}
    if cps["attention"]:
        weights = np.asarray(cps["attention"][k], dtype=float)
        rows = weights[:len(probe)]
        view.update(attention=weights.tolist(), step_entropy=alignment_entropy(rows).tolist(),
                    entropy_ratio=entropy_ratio(rows))
    return view


def alignment_theory(result: Result, width: float) -> dict:
    """Mean alignment entropy against T_x: Gaussian alignments of width σ = `width` centred on
    the task's ideal positions and uniform ones, computed from the matrices and in closed form
    (core.analysis.alignment), beside the trained model's measured entropy in nats."""
    if not (math.isfinite(width) and width > 0):
        raise ValueError(f"width σ must be positive, got {width}")
    config = _config(result)
    ideal = None
    if target_positions(config.task, 1) is not None:  # sort's depends on the content
        ideal = lambda tx: target_positions(config.task, tx)  # noqa: E731
    sim = vars(simulate_alignment(result.arrays["lengths"], width, ideal))
    measured = by_length(result.metrics.get("alignment_entropy_ratio_by_length"))
    sim["measured_lengths"] = sorted(measured)
    sim["measured"] = [measured[L] * math.log(L) for L in sorted(measured)]
    sim["centres"] = "the task's ideal positions" if ideal else "the anti-diagonal"
    return sim


def capacity_table(result: Result, q: int) -> list[dict]:
    """For each measured length T: the bits the decoder must receive to be right on every
    input (log2 of the distinct right answers, core.tasks.transduction.bits_needed) against
    what a context of d_h units with q usable bits each can take, d_h·q."""
    if not 1 <= q <= 64:
        raise ValueError(f"usable bits per unit must be 1 to 64, got {q}")
    config = _config(result)
    capacity = config.hidden * q
    rows = []
    for L in result.arrays["lengths"]:
        need = bits_needed(config.task, L, config.symbols)
        rows.append({"length": L, "bits_needed": need, "capacity": capacity,
                     "fits": need <= capacity})
    return rows
