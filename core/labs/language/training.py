"""Training one character model of the Language lab, and the text every model of a run shares.

Truncated backpropagation through time over chunks: the training text is cut into `batch`
contiguous streams, each step reads the next `seq_len` characters of every stream, and the
hidden state is carried from one chunk to the next (detached, so gradients reach back at most
`seq_len` steps) unless `carry_state` is off, when every chunk starts from zero. Held-out bits
per character are measured on the last tenth of the text, cut into rows each read from a zero
state; the n-gram baselines are scored on exactly those positions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from core.analysis.ngram import NGramModel
from core.measure import stop_point, stoppable
from core.arms import Arm, Trained
from core.device import build_seeded, stream
import core.labs.language.probes as probes
from core.models.char_lm import CharLM, detach_state
from core.tasks.text_corpus import build_vocabulary, load_corpus, split_text
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.language import Config

NGRAM_ORDERS = (1, 2, 3, 4, 5)
NGRAM_ALPHA = 0.05  # add-alpha smoothing for every order (core.analysis.ngram)
SUCCESS_NGRAM = 3  # the run succeeds when held-out bits per char fall below this n-gram's
EVAL_ROW = 200  # held-out characters per row; each row is read from a zero state
MAX_EVAL_ROWS = 64  # at most this many rows (12,800 characters) are scored
SAMPLE_LENGTH = 200
SAMPLE_PROMPT_CHARS = 40
CLIP = 5.0  # gradient-norm clip, as char-rnn does


@dataclass
class LanguageData:
    """The text of a run, its vocabulary, and the baselines every model is measured against."""
    corpus: str
    vocab: object
    train_ids: torch.Tensor  # (N,) long
    held_rows: torch.Tensor  # (R, EVAL_ROW) long
    ngram_bits: dict  # n -> held-out bits per char on the scored positions
    uniform_bits: float  # log2 V
    train_words: set = field(repr=False, default_factory=set)
    prompt: list = field(default_factory=list)
    ngrams: dict = field(repr=False, default_factory=dict)

    @property
    def scored_chars(self) -> int:
        return int(self.held_rows.shape[0] * (self.held_rows.shape[1] - 1))


def make_data(config, text: str | None = None, device=None) -> LanguageData:
    """The run's text (shipped corpus or `text`), vocabulary and exact n-gram baselines."""
    text = text if config.corpus == "own" else load_corpus(config.corpus)
    train_text, held_text = split_text(text)
    vocab = build_vocabulary(train_text, config.min_count)
    train_ids = np.asarray(vocab.encode(train_text), dtype=np.int64)
    held = np.asarray(vocab.encode(held_text), dtype=np.int64)
    row = min(EVAL_ROW, max(len(held) // 2, 2))
    rows_n = max(1, min(MAX_EVAL_ROWS, len(held) // row))
    held = held[:rows_n * row]
    scored = np.arange(len(held)) % row != 0  # the positions a model reading rows predicts
    ngram_bits, ngrams = {}, {}
    for n in NGRAM_ORDERS:
        model = NGramModel(n, vocab.size, NGRAM_ALPHA).fit(train_ids)
        ngram_bits[n] = float(-model.log2_prob(held)[scored[1:]].mean())
        ngrams[n] = model
    prompt = train_ids[:SAMPLE_PROMPT_CHARS].tolist()
    return LanguageData(config.corpus, vocab, torch.as_tensor(train_ids, device=device),
                        torch.as_tensor(held.reshape(rows_n, row), device=device), ngram_bits,
                        math.log2(vocab.size), probes.word_set(train_text), prompt, ngrams)


def chunk_batches(ids: torch.Tensor, batch: int, seq_len: int, offset: int):
    """(inputs, targets, starts_stream) for step k = 1, 2, ...: the text rotated by `offset`
    is cut into `batch` streams; each step takes the next seq_len characters of each, and
    starts_stream says when the streams begin again (the carried state is reset there)."""
    ids = torch.roll(ids, -offset)
    per = len(ids) // batch
    streams = ids[:per * batch].view(batch, per)
    chunks = max((per - 1) // seq_len, 1)

    def at(step: int):
        j = (step - 1) % chunks
        x = streams[:, j * seq_len:(j + 1) * seq_len]
        y = streams[:, j * seq_len + 1:(j + 1) * seq_len + 1]
        width = min(x.shape[1], y.shape[1])
        return x[:, :width], y[:, :width], j == 0
    return at


@dataclass(frozen=True)
class CellArm:
    """What one arm of the language lab trains: the run's Config, the cell, the run's text
    and baselines, and the device."""
    config: "Config"
    cell: str
    data: LanguageData
    device: object


def cell_arm(config: "Config", cell: str, data: LanguageData, device) -> Arm:
    return Arm(cell, spec=CellArm(config, cell, data, device))


@stoppable
def train_cell(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train one character model, measuring held-out bits per char, a sample and the
    entropy against temperature at every evaluation (the live headline). The target clock
    times the first evaluation below the SUCCESS_NGRAM line; training goes on to `steps`."""
    spec: CellArm = arm.spec
    config, data, device = spec.config, spec.data, spec.device
    with torch.device(device):
        model = build_seeded(config.seed, lambda: CharLM(data.vocab.size, config.hidden,
                                                         config.layers, spec.cell))
    offset_gen = stream(config.seed, "train")
    n_train = len(data.train_ids)
    offset = int(torch.randint(0, max(n_train, 1), (1,), generator=offset_gen, device="cpu"))
    batches = chunk_batches(data.train_ids, config.batch, config.seq_len, offset)
    sample_gen = stream(config.seed, "examples")
    carried = {"state": None}
    curve = {"step": [], "bits": []}
    latest: dict = {}
    loss_fn = torch.nn.CrossEntropyLoss()

    def step_fn(step: int):
        x, y, fresh = batches(step)
        state = None if (fresh or not config.carry_state) else carried["state"]
        logits, state = model(x, state)
        carried["state"] = detach_state(state)
        nats = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        return nats, {"bits": probes.nats_to_bits(float(nats.detach()))}

    def evaluate(step: int) -> dict:
        logits = probes.held_out_logits(model, data.held_rows)
        bits = probes.bits_per_char(logits, data.held_rows)
        curve["step"].append(step)
        curve["bits"].append(bits)
        text = data.vocab.decode(probes.sample(model, data.prompt, SAMPLE_LENGTH,
                                               config.temperature, sample_gen))
        latest.update(sample=text, sample_step=step, entropy=probes.entropy_curve(logits))
        return {"held_out_bits": bits, "live": live_view()}

    def live_view() -> dict:
        return {"step": list(curve["step"]), "bits": list(curve["bits"]),
                "ngram_bits": {str(n): b for n, b in data.ngram_bits.items()},
                "uniform_bits": data.uniform_bits, "success_ngram": SUCCESS_NGRAM,
                "parameters": model.parameter_count(),
                "temperature": config.temperature, **latest}

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=CLIP,
                evaluate=evaluate, eval_every=config.eval_every, on_step=report,
                should_stop=should_stop,
                target=lambda m: m["held_out_bits"] < data.ngram_bits[SUCCESS_NGRAM])
    stop_point(should_stop, "held-out bits and the sample's words", log, model)
    final_bits = curve["bits"][-1] if curve["bits"] else float("nan")
    words = probes.known_word_fraction(latest.get("sample", ""), data.train_words)
    return Trained(arm, model, log, live=live_view(), summary={
        "held_out_bits": final_bits, "parameters": model.parameter_count(),
        "steps": log.steps, "sample": latest.get("sample", ""), "known_word_fraction": words,
        "steps_to_success": log.steps_to_success,
        "seconds_to_success": log.seconds_to_success})
