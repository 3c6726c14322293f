"""The Seq2seq and Attention lab's studies: jobs beside the main run, each with its own button.

- capacity_sweep: the bottleneck as the context shrinks. The no-attention model is trained
  at each context size d_h (same seed and data, the full number of steps each) and scored
  per input length on the test stream.
- decoding_study: when several outputs are valid (task `shuffle`, any permutation of the
  input is right), cross-entropy alone against cross-entropy plus an entropy-matching penalty
  λ(H(p) - H*)², each decoded greedily and by sampling at several temperatures.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING
import time

import numpy as np
import torch

from core.analysis.decoding import (entropy_matching_loss, greedy, permutation_step_entropy,
                                    predictive_entropy, sample, until_eos)
from core.measure import measured_arms
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.contract import Result
from core.device import build_seeded, pick_device, stream
from core.labs.attention.training import (TEST_PER_LENGTH, length_report, measured_lengths,
                                          seq2seq_arm, train_seq2seq, training_lengths)
from core.models.seq2seq import Seq2Seq
from core.tasks.transduction import EOS, MULTI_VALID, TransductionTask
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.attention import Config

CAPACITY_HIDDEN = (4, 8, 16, 32, 64)  # the context sizes d_h the capacity study trains
STUDY_TEMPERATURES = (0.5, 1.0, 1.5)
STUDY_INPUTS = 40  # test inputs of the longest training length each model decodes
STUDY_SAMPLES = 10  # decodings of each input per temperature
REFERENCE_INPUTS = 256  # inputs the reported target entropy H* is averaged over
ENTROPY_WEIGHT = 1.0  # λ of the entropy-matching penalty


@dataclass(frozen=True)
class ShuffleArm:
    """One arm of the decoding study: the run's Config, the device, and the weight of the
    entropy-matching penalty it trains with."""
    config: "Config"
    device: object
    penalty: float

def capacity_sweep(config: "Config", on_step=None, should_stop=None,
                   hiddens: tuple = CAPACITY_HIDDEN) -> Result:
    """The no-attention model at each context size d_h in `hiddens`: its accuracy per length
    on the test stream, the same lengths and inputs for every d_h."""
    start = time.perf_counter()
    device = pick_device()
    plain = dataclasses.replace(config, attention="none", compare_none=False)
    arms = [seq2seq_arm(plain, "none", device, name=f"d_h={h}", hidden=h) for h in hiddens]
    trained = train_arms(arms, train_seq2seq, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    trained = measured_arms(trained)
    lengths = measured_lengths(config)
    reports = [length_report(t.summary["scores"], training_lengths(config)) for t in trained]
    accuracy = {L: [r["accuracy_by_length"].get(L) for r in reports] for L in lengths}
    done = list(hiddens[:len(trained)])
    return finish(config, start, trained,
                  metrics={"capacity_hidden": done, "capacity_accuracy": accuracy,
                           "test_per_length": TEST_PER_LENGTH},
                  arrays={"capacity": {"hidden": done, "accuracy_by_length": accuracy,
                                       "steps": [t.log.steps for t in trained]}},
                  success=len(trained) == len(hiddens),
                  status=run_status(trained, len(hiddens), success=False),
                  steps=sum(t.log.steps for t in trained))


def _train_shuffle(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train on shuffle with cross-entropy plus `arm.spec.penalty`·(H(p) - H*)², where H*
    is the exact entropy per step of a random order of each batch's inputs."""
    spec: ShuffleArm = arm.spec
    config, device, penalty = spec.config, spec.device, spec.penalty
    task = TransductionTask(MULTI_VALID, config.symbols)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: Seq2Seq(
            task.vocab_size, config.hidden, config.cell, config.attention))
    gen = stream(config.seed, "train")
    lengths = training_lengths(config)

    def step_fn(step: int):
        L = lengths[int(torch.randint(len(lengths), (1,), generator=gen, device="cpu"))]
        b = task.sample(config.batch, L, gen, device)
        logits, _ = model(b.source, b.decoder_input)
        h_star = float(np.mean([permutation_step_entropy(r) for r in b.source.tolist()]))
        return entropy_matching_loss(logits, b.target, h_star, penalty)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                on_step=report, should_stop=should_stop)
    return Trained(arm, model, log)


def decode_outputs(model: Seq2Seq, task: TransductionTask, sources: torch.Tensor,
                   samples: int, temperature: float | None, gen) -> dict:
    """Decode every source `samples` times (greedily when `temperature` is None): the
    fraction of valid outputs and the mean number of distinct outputs per input."""
    src = sources.repeat_interleave(samples, 0)
    max_len = sources.shape[1] + 1
    dec = (greedy(model, src, max_len) if temperature is None
           else sample(model, src, max_len, temperature, gen))
    outs = [[t for t in until_eos(row) if t != EOS] for row in dec.tokens.tolist()]
    valid = np.mean([task.is_valid(s, o) for s, o in zip(src.tolist(), outs)])
    distinct = np.mean([len({tuple(o) for o in outs[j:j + samples]})
                        for j in range(0, len(outs), samples)])
    return {"valid": float(valid), "distinct_per_input": float(distinct)}


def decoding_study(config: "Config", on_step=None, should_stop=None,
                   weight: float = ENTROPY_WEIGHT, n_inputs: int = STUDY_INPUTS,
                   n_samples: int = STUDY_SAMPLES) -> Result:
    """Both objectives on shuffle, same data and seed, each decoded greedily and by
    sampling at STUDY_TEMPERATURES: validity, distinct outputs, predictive entropy. The
    decodings (two models × four ways) read `should_stop` between them."""
    start, device = time.perf_counter(), pick_device()
    task = TransductionTask(MULTI_VALID, config.symbols)
    ref = task.sample(REFERENCE_INPUTS, config.max_len, stream(config.seed, "reference"))
    h_star = float(np.mean([permutation_step_entropy(r) for r in ref.source.tolist()]))
    arms = [Arm(name, spec=ShuffleArm(config, device, penalty))
            for name, penalty in (("cross-entropy", 0.0),
                                  (f"+ entropy matching (λ={weight:g})", weight))]
    trained = train_arms(arms, _train_shuffle, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    trained = measured_arms(trained)
    inputs = task.sample(n_inputs, config.max_len, stream(config.seed, "test"), device)
    rows, finished = [], True
    for t in trained:
        with torch.no_grad():
            logits, _ = t.model(inputs.source, inputs.decoder_input)
        entropy = float(predictive_entropy(logits).mean())
        for temp in (None,) + STUDY_TEMPERATURES:
            if should_stop is not None and should_stop():
                finished = False
                break
            scores = decode_outputs(t.model, task, inputs.source, n_samples, temp,
                                    stream(config.seed, "noise"))
            rows.append({"objective": t.name,
                         "decoding": "greedy" if temp is None else f"sample τ={temp:g}",
                         **scores, "predictive_entropy": entropy})
    status = run_status(trained, len(arms), success=False)
    return finish(config, start, trained,
                  metrics={"target_entropy": h_star, "decoding_study": rows,
                           "study_inputs": n_inputs, "samples_per_input": n_samples,
                           "reference_inputs": REFERENCE_INPUTS},
                  arrays={"decoding_study": rows}, success=bool(rows) and finished,
                  status=status if finished else "stopped",
                  steps=sum(t.log.steps for t in trained))
