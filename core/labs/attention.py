"""Seq2seq, the bottleneck and attention: why does a fixed context vector fail on long inputs,
and what does attention look at?

Trains an encoder–decoder (core.models.seq2seq) on a transduction task (core.tasks.transduction)
and, on the same data stream and seed, the same network without attention. Every
`eval_every` steps it saves the attention map of one probe input, so the page can scrub
through training and watch the alignment form. At the end it measures exact-match and token
accuracy per input length for both models, the alignment entropy, and a beam search.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.analysis.alignment import alignment_entropy, entropy_ratio, simulate_alignment
from core.analysis.decoding import (beam_search, entropy_matching_loss, greedy,
                                    permutation_step_entropy, predictive_entropy, sample)
from core.contract import LabSpec, Preset, Result, knob
from core.device import pick_device, seed_everything, seeded_generator
from core.models.seq2seq import ATTENTIONS, CELLS, Seq2Seq
from core.tasks.transduction import (EOS, MULTI_VALID, TASKS, TransductionTask,
                                    target_positions)
from core.train import phase_reporter, train

SUCCESS_ACCURACY = 0.9
STOP_ACCURACY = 0.95  # early stop with a margin, so the final test set clears SUCCESS_ACCURACY
EVAL_PER_LENGTH = 32  # held-out inputs per length while training
TEST_PER_LENGTH = 200  # inputs per length for the final accuracy-by-length curves


@dataclass
class Config:
    task: str = knob("reverse", "Task", "reverse, copy, sort, or interleave (even positions, "
                     "then odd ones).", choices=TASKS)
    attention: str = knob("dot", "Attention", "none: the decoder sees only the encoder's "
                          "final state. additive (Bahdanau), dot (Luong), general (Luong, dot "
                          "through a learned matrix).", choices=ATTENTIONS)
    cell: str = knob("gru", "Cell", "Recurrent cell of encoder and decoder.", choices=CELLS)
    hidden: int = knob(64, "Hidden units d_h", "Size of the decoder state and of the context "
                       "vector (the encoder's two directions have d_h/2 each).",
                       min=4, max=256, step=4)
    symbols: int = knob(8, "Vocabulary size V", "Letters a, b, ... in the inputs.", min=2,
                        max=26)
    min_len: int = knob(4, "Shortest training input", "Training lengths are drawn uniformly "
                        "from this to the longest.", min=1, max=30)
    max_len: int = knob(10, "Longest training input", "", min=1, max=30)
    test_max_len: int = knob(16, "Longest test input", "Accuracy is measured for every length "
                             "from the shortest training length up to this; beyond the "
                             "training range the model extrapolates.", min=1, max=40)
    compare_none: bool = knob(True, "Train the no-attention model too", "Same data, seed and "
                              "number of steps, without attention, for the bottleneck "
                              "comparison.", visible_if={"attention": ("additive", "dot",
                                                                      "general")})
    lr: float = knob(0.003, "Learning rate", "Adam step size.", min=1e-5, max=1.0,
                     widget="log")
    batch: int = knob(64, "Batch size", "Sequences per step (all of one length).", min=8,
                      max=512, step=8)
    steps: int = knob(800, "Training steps", "Most optimiser steps; training stops early "
                      "once held-out accuracy reaches 95%.", min=0, max=10000, step=50)
    eval_every: int = knob(50, "Checkpoint every", "Steps between accuracy measurements and "
                           "saved attention maps.", min=5, max=1000, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


def make_task(config: Config) -> TransductionTask:
    return TransductionTask(config.task, config.symbols)


def _check(config: Config) -> None:
    if config.min_len > config.max_len:
        raise ValueError(f"shortest training input ({config.min_len}) is longer than the "
                         f"longest ({config.max_len})")


def test_lengths(config: Config) -> list[int]:
    return list(range(config.min_len, max(config.max_len, config.test_max_len) + 1))


@torch.no_grad()
def evaluate_lengths(model: Seq2Seq, task: TransductionTask, lengths, per_length: int,
                     seed: int, device) -> dict:
    """Greedy decoding on fresh inputs of each length: exact-match and token accuracy, and
    the mean alignment entropy ratio (None without attention)."""
    model.eval()
    out = {"accuracy": {}, "token_accuracy": {}, "entropy_ratio": {}}
    for L in lengths:
        b = task.sample(per_length, L, seeded_generator(seed * 1000 + L), device)
        dec = greedy(model, b.source, max_len=L + 1)
        pred = F.pad(dec.tokens, (0, L + 1 - dec.tokens.shape[1]), value=-1)[:, :L + 1]
        out["accuracy"][L] = float((pred == b.target).all(1).float().mean())
        out["token_accuracy"][L] = float((pred[:, :L] == b.target[:, :L]).float().mean())
        if dec.attention is not None:
            maps = dec.attention[:, :L].cpu().numpy()  # rows that emit the L output symbols
            out["entropy_ratio"][L] = float(np.mean([entropy_ratio(m) for m in maps]))
    model.train()
    return out


def _summary(by_length: dict, lengths) -> float:
    return float(np.mean([by_length[L] for L in lengths]))


def train_model(config: Config, attention: str, steps: int, device, on_step=None,
                should_stop=None, probe=None, series: str = "", progress=(0.0, 1.0),
                hidden: int | None = None) -> dict:
    """Train one seq2seq on the seed's data stream; checkpoint the probe's attention map."""
    task = make_task(config)
    seed_everything(config.seed)
    model = Seq2Seq(task.vocab_size, hidden or config.hidden, config.cell, attention).to(device)
    data_gen = seeded_generator(config.seed)
    train_lengths = list(range(config.min_len, config.max_len + 1))
    checkpoints = {"steps": [], "attention": [], "output": []}
    latest = {}

    def step_fn(step: int):
        L = train_lengths[int(torch.randint(len(train_lengths), (1,), generator=data_gen))]
        b = task.sample(config.batch, L, data_gen, device)
        logits, _ = model(b.source, b.decoder_input)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b.target.reshape(-1))

    def evaluate(step: int) -> dict:
        ev = evaluate_lengths(model, task, train_lengths, EVAL_PER_LENGTH, config.seed + 1,
                              device)
        metrics = {"accuracy": _summary(ev["accuracy"], train_lengths),
                   "token_accuracy": _summary(ev["token_accuracy"], train_lengths)}
        if ev["entropy_ratio"]:
            metrics["alignment_entropy_ratio"] = _summary(ev["entropy_ratio"], train_lengths)
        if probe is not None:
            dec = greedy(model, probe.unsqueeze(0), max_len=len(probe) + 1)
            checkpoints["steps"].append(step)
            checkpoints["output"].append(dec.tokens[0].tolist())
            if dec.attention is not None:
                checkpoints["attention"].append(np.round(dec.attention[0].cpu().numpy(),
                                                         4).tolist())
        latest.update(metrics)
        return metrics

    report = phase_reporter(on_step, series, steps, *progress)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every,
                is_success=lambda m: m["accuracy"] >= STOP_ACCURACY,
                on_step=report, should_stop=should_stop)
    if not checkpoints["steps"] or checkpoints["steps"][-1] != log.steps:
        evaluate(log.steps)  # measure the final parameters even after a stop
    return {"model": model, "log": log, "checkpoints": checkpoints, "latest": latest}


def _probe(config: Config, device) -> torch.Tensor:
    """One fixed input of the longest training length, for the attention scrubber."""
    b = make_task(config).sample(1, config.max_len, seeded_generator(config.seed + 7), device)
    return b.source[0]


def run(config: Config, on_step=None, should_stop=None) -> Result:
    _check(config)
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    probe = _probe(config, device)
    has_rival = config.attention != "none" and config.compare_none
    span = 0.5 if has_rival else 1.0
    main = train_model(config, config.attention, config.steps, device, on_step, should_stop,
                       probe, series=config.attention, progress=(0.0, span))
    log = main["log"]
    rival = None
    if has_rival and log.status not in ("stopped", "diverged") and not (
            should_stop and should_stop()):
        # Same data stream, seed and number of steps as the attention model actually took.
        rival = train_model(config, "none", log.steps, device, on_step, should_stop, probe,
                            series="none", progress=(span, span))
    lengths = test_lengths(config)
    train_lengths = list(range(config.min_len, config.max_len + 1))
    ev = evaluate_lengths(main["model"], task, lengths, TEST_PER_LENGTH, config.seed + 2,
                          device)
    metrics = {
        "accuracy": _summary(ev["accuracy"], train_lengths),
        "token_accuracy": _summary(ev["token_accuracy"], train_lengths),
        "accuracy_by_length": ev["accuracy"],
        "token_accuracy_by_length": ev["token_accuracy"],
        "seconds_to_success": log.seconds_to_success,
        "final_loss": next((h["loss"] for h in reversed(log.history) if "loss" in h), None),
    }
    if ev["entropy_ratio"]:
        metrics["alignment_entropy_ratio"] = _summary(ev["entropy_ratio"], train_lengths)
        metrics["alignment_entropy_ratio_by_length"] = ev["entropy_ratio"]
    arrays = {"probe": probe.tolist(), "checkpoints": main["checkpoints"],
              "lengths": lengths, "train_lengths": train_lengths,
              "ideal_positions": target_positions(config.task, len(probe))
              if config.task != "sort" else None}
    if main["checkpoints"]["attention"]:
        final_map = np.asarray(main["checkpoints"]["attention"][-1])
        arrays["probe_entropy"] = alignment_entropy(final_map).tolist()
    sim = simulate_alignment(lengths, width=1.0)
    arrays["alignment_simulation"] = vars(sim)
    beam = beam_search(main["model"], probe, width=3, max_len=len(probe) + 2, length_alpha=0.6)
    greedy_probe = greedy(main["model"], probe.unsqueeze(0), max_len=len(probe) + 2)
    arrays["beam"] = {"width": 3, "length_alpha": 0.6, "tree": beam.tree,
                      "hypotheses": beam.hypotheses, "greedy": greedy_probe.tokens[0].tolist(),
                      "greedy_log_prob": float(greedy_probe.log_prob[0])}
    artifacts = {"model": main["model"], "task": task}
    if rival is not None:
        rev = evaluate_lengths(rival["model"], task, lengths, TEST_PER_LENGTH, config.seed + 2,
                               device)
        metrics["comparison"] = {"none": {
            "accuracy": _summary(rev["accuracy"], train_lengths),
            "token_accuracy": _summary(rev["token_accuracy"], train_lengths),
            "accuracy_by_length": rev["accuracy"],
            "token_accuracy_by_length": rev["token_accuracy"]}}
        arrays["rival_history"] = rival["log"].history
        artifacts["rival"] = rival["model"]
    success = metrics["accuracy"] >= SUCCESS_ACCURACY
    return Result(lab="attention", config=vars(config).copy(), metrics=metrics,
                  success=success, status=log.status, steps=log.steps,
                  wall_s=time.perf_counter() - start, history=log.history, arrays=arrays,
                  message=log.message, artifacts=artifacts)


CAPACITY_HIDDEN = (4, 8, 16, 32, 64)


def capacity_sweep(config: Config, on_step=None, should_stop=None,
                   hiddens=CAPACITY_HIDDEN) -> Result:
    """The bottleneck as d_h shrinks: the no-attention model trained at each context size
    (same data and seed, `config.steps` steps each), its accuracy measured per length."""
    _check(config)
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    lengths = test_lengths(config)
    sweep = {"hidden": [], "accuracy_by_length": {L: [] for L in lengths}, "steps": []}
    status = "completed"
    for i, d_h in enumerate(hiddens):
        if should_stop and should_stop():
            status = "stopped"
            break
        out = train_model(config, "none", config.steps, device, on_step, should_stop,
                          series=f"d_h={d_h}", progress=(i / len(hiddens), 1 / len(hiddens)),
                          hidden=d_h)
        ev = evaluate_lengths(out["model"], task, lengths, TEST_PER_LENGTH, config.seed + 2,
                              device)
        sweep["hidden"].append(d_h)
        sweep["steps"].append(out["log"].steps)
        for L in lengths:
            sweep["accuracy_by_length"][L].append(ev["accuracy"][L])
    return Result(lab="attention", config=vars(config).copy(),
                  metrics={"capacity_accuracy": sweep["accuracy_by_length"],
                           "capacity_hidden": sweep["hidden"]},
                  success=bool(sweep["hidden"]), status=status,
                  steps=sum(sweep["steps"]), wall_s=time.perf_counter() - start,
                  arrays={"capacity": sweep})


STUDY_TEMPERATURES = (0.5, 1.0, 1.5)


def decoding_study(config: Config, on_step=None, should_stop=None, weight: float = 1.0,
                   n_inputs: int = 40, n_samples: int = 10) -> Result:
    """On `shuffle` (every permutation of the input is right), train with cross-entropy and
    with cross-entropy + weight·(H(p) - H*)², same data and seed, then decode greedily and
    by sampling at several temperatures: validity, distinct outputs, predictive entropy."""
    _check(config)
    start, device = time.perf_counter(), pick_device()
    task = TransductionTask(MULTI_VALID, config.symbols)
    lengths = list(range(config.min_len, config.max_len + 1))
    ref = task.sample(256, config.max_len, seeded_generator(config.seed + 5))
    h_star = float(np.mean([permutation_step_entropy(r) for r in ref.source.tolist()]))
    rows, status, total = [], "completed", 0
    for i, penalty in enumerate((0.0, weight)):
        name = "cross-entropy" if penalty == 0 else f"+ entropy matching (λ={penalty:g})"
        seed_everything(config.seed)
        model = Seq2Seq(task.vocab_size, config.hidden, config.cell, config.attention).to(device)
        gen = seeded_generator(config.seed)

        def step_fn(step, model=model, gen=gen, penalty=penalty):
            L = lengths[int(torch.randint(len(lengths), (1,), generator=gen))]
            b = task.sample(config.batch, L, gen, device)
            logits, _ = model(b.source, b.decoder_input)
            # H* for this batch's length: the entropy per step that the data itself has
            h_b = float(np.mean([permutation_step_entropy(r) for r in b.source.tolist()]))
            return entropy_matching_loss(logits, b.target, h_b, penalty)

        log = train(list(model.parameters()), step_fn, steps=config.steps, lr=config.lr,
                    on_step=(lambda s, m, i=i, name=name: on_step(s, {
                        **m, "series": name, "progress": (i + s / max(config.steps, 1)) / 2}))
                    if on_step else None, should_stop=should_stop)
        total += log.steps
        if log.status == "stopped":
            status = "stopped"
            break
        b = task.sample(n_inputs, config.max_len, seeded_generator(config.seed + 6), device)
        with torch.no_grad():
            ent = float(predictive_entropy(model(b.source, b.decoder_input)[0]).mean())
        for temp in (None,) + STUDY_TEMPERATURES:
            src = b.source.repeat_interleave(n_samples, 0)
            dec = (greedy(model, src, config.max_len + 1) if temp is None else
                   sample(model, src, config.max_len + 1, temp,
                          seeded_generator(config.seed + 8)))
            outs = [r[:r.index(EOS)] if EOS in r else r for r in dec.tokens.tolist()]
            srcs = src.tolist()
            valid = np.mean([task.is_valid(s, o) for s, o in zip(srcs, outs)])
            distinct = np.mean([len({tuple(o) for o in outs[j:j + n_samples]})
                                for j in range(0, len(outs), n_samples)])
            rows.append({"objective": name, "decoding": "greedy" if temp is None
                         else f"sample τ={temp:g}", "valid": float(valid),
                         "distinct_per_input": float(distinct), "predictive_entropy": ent})
    return Result(lab="attention", config=vars(config).copy(),
                  metrics={"target_entropy": h_star, "decoding_study": rows},
                  success=bool(rows), status=status, steps=total,
                  wall_s=time.perf_counter() - start, arrays={"decoding_study": rows})


LAB = LabSpec(
    id="attention", title="Seq2seq and Attention", order=20, icon=":material/visibility:",
    question="Why does a fixed context vector fail on long inputs, and what does attention "
             "look at?",
    what_you_see="The attention map forming during training, its entropy against the "
                 "uniform alignment, accuracy against input length with and without "
                 "attention, and greedy vs beam search decoding.",
    Config=Config, run=run,
    smoke={"steps": 20, "hidden": 16, "eval_every": 10, "max_len": 6, "test_max_len": 8},
    presets=(
        Preset("attention aligns", "Reverse with dot attention: the heatmap forms the "
               "anti-diagonal and the alignment entropy falls well below the uniform log T. The "
               "no-attention model trains beside it on the same data.",
               {}, show=("task", "attention")),
        Preset("the bottleneck", "No attention: the decoder sees only the final encoder "
               "state. Accuracy falls with length as the input outgrows what one vector holds.",
               {"attention": "none", "compare_none": False}, show=("attention", "hidden")),
        Preset("additive attention", "Bahdanau's additive scores learn the same task; compare "
               "how sharp its alignment gets against dot attention's.",
               {"attention": "additive"}, show=("attention", "task")),
        Preset("a non-monotonic alignment", "Interleave: even positions, then odd. The "
               "alignment jumps rather than following a diagonal.",
               {"task": "interleave"}, show=("task", "attention")),
    ),
)
