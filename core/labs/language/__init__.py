"""Language: a character-level language model on your own text, and how it learns to write.

Trains a char-level tanh RNN, LSTM or GRU (fused kernels) by truncated backpropagation
through time on shipped prose, the standard library's source, or pasted text, and measures
its held-out bits per character against n-gram models counted exactly on the same training
text (core.analysis.ngram) and the uniform model's log2 V; samples at the chosen
temperature; the predictive entropy against temperature. One model's training is in
core.labs.language.training, sampling and the typed probes in core.labs.language.probes.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import time
from dataclasses import dataclass

from core.arms import ENDED_EARLY, finish, train_arms
from core.contract import ConfigError, LabSpec, Preset, knob
from core.device import pick_device, stream
from core.labs.language import probes
from core.labs.language.training import (NGRAM_ALPHA, NGRAM_ORDERS, SUCCESS_NGRAM, cell_arm,
                                         make_data, train_cell)
from core.models.char_lm import CELLS
from core.tasks.text_corpus import CORPORA

__all__ = ["Config", "LAB", "run", "lab_for_text"]
WORD_SAMPLE_LENGTH = 800  # characters sampled from the model and the n-gram to count words


@dataclass
class Config:
    corpus: str = knob("prose", "Text", "prose: Genesis 1–40 in the King James Version "
                       "(public domain). code: the Python standard library's own source. own: "
                       "text you paste or upload.", choices=CORPORA)
    cell: str = knob("lstm", "Cell", "lstm, gru or a plain tanh rnn (PyTorch's fused "
                     "kernels).", choices=CELLS)
    compare: bool = knob(False, "Compare cells", "Also train the other two cells on the same "
                         "text and seed, for the steps the first one took.")
    temperature: float = knob(0.8, "Temperature", "Samples are drawn from softmax(z / T): "
                              "T → 0 is greedy, T = 1 the model's own distribution, larger T "
                              "flatter.", min=0.0, max=2.0, step=0.05)
    hidden: int = knob(128, "Hidden units", "Size of the recurrent state (per layer).",
                       min=16, max=512, step=16)
    seq_len: int = knob(64, "Chunk length", "Characters per training chunk: the truncated "
                        "BPTT window.", min=8, max=256, step=8)
    carry_state: bool = knob(True, "Carry state between chunks", "Start each chunk from the "
                             "previous chunk's final state (detached), or from zero.")
    layers: int = knob(1, "Layers", "Stacked recurrent layers.", min=1, max=3, step=1)
    batch: int = knob(32, "Streams per batch", "The text is cut into this many contiguous "
                      "streams read side by side.", min=4, max=64, step=4)
    lr: float = knob(0.01, "Learning rate", "Adam's step size.", min=1e-4, max=0.05,
                     widget="log")
    min_count: int = knob(3, "Rare below", "Characters seen fewer times than this in the "
                          "training text map to the unknown symbol.", min=1, max=50, step=1)
    steps: int = knob(300, "Steps", "Optimiser steps (one chunk of every stream each).",
                      min=0, max=5000, step=10)
    eval_every: int = knob(25, "Measure every", "Steps between held-out measurements and "
                           "samples.", min=5, max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes the stream offsets, initial weights and samples.",
                     min=0, max=10_000, step=1)


def run(config: Config, on_step=None, should_stop=None, text: str | None = None):
    """Train the model (and, with compare, the other cells for the same steps), then measure
    held-out bits per char and how word-like its samples are beside the n-gram's."""
    if config.corpus == "own" and text is None:
        raise ConfigError("corpus own needs text: paste or upload it on the page")
    start = time.perf_counter()
    device = pick_device()
    data = make_data(config, text, device)
    cells = [config.cell] + ([c for c in CELLS if c != config.cell] if config.compare else [])
    trained = train_arms([cell_arm(config, c, data, device) for c in cells], train_cell,
                         steps=config.steps, on_step=on_step, should_stop=should_stop)
    main = trained[0]
    model_text = data.vocab.decode(probes.sample(
        main.model, data.prompt, WORD_SAMPLE_LENGTH, config.temperature,
        stream(config.seed, "reference")))
    ngram_text = data.vocab.decode(probes.ngram_sample(
        data.ngrams[SUCCESS_NGRAM], data.prompt, WORD_SAMPLE_LENGTH, config.temperature,
        config.seed))
    model_words = probes.known_word_fraction(model_text, data.train_words)
    ngram_words = probes.known_word_fraction(ngram_text, data.train_words)
    bits = main.summary["held_out_bits"]
    beats = bits < data.ngram_bits[SUCCESS_NGRAM]
    wordier = model_words is not None and (ngram_words is None or model_words > ngram_words)
    metrics = {
        "held_out_bits": bits, "uniform_bits": data.uniform_bits,
        "ngram_bits": {str(n): b for n, b in data.ngram_bits.items()},
        "success_ngram": SUCCESS_NGRAM, "ngram_alpha": NGRAM_ALPHA,
        "vocabulary_size": data.vocab.size, "train_chars": int(len(data.train_ids)),
        "scored_chars": data.scored_chars,
        "known_word_fraction": model_words, "ngram_known_word_fraction": ngram_words,
        "word_sample_length": WORD_SAMPLE_LENGTH,
        "steps_to_success": main.summary["steps_to_success"],
        "seconds_to_success": main.summary["seconds_to_success"] if beats else None,
        "by_cell": {t.name: t.summary for t in trained}}
    for t in trained:
        metrics[f"held_out_bits_{t.name}"] = t.summary["held_out_bits"]
    success = bool(beats and wordier)
    # own text is not a knob: the Result names the text it trained on by its hash
    source = ({"text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
               "text_chars": len(text)} if config.corpus == "own" else None)
    cut = [t.log.status for t in trained if t.log.status in ENDED_EARLY]
    status = cut[0] if cut else "succeeded" if success else "completed"
    return finish("language", config, start, trained, metrics=metrics, success=success,
                  status=status, artifacts={"data": data}, config_extra=source,
                  arrays={"samples": {"model": model_text, f"{SUCCESS_NGRAM}-gram": ngram_text},
                          "vocabulary": data.vocab.chars,
                          "ngram_orders": list(NGRAM_ORDERS)})


def lab_for_text(text: str) -> LabSpec:
    """This lab with its run bound to validated own text, for the page's run panel."""
    return dataclasses.replace(LAB, run=functools.partial(run, text=text))


LAB = LabSpec(
    id="language", title="Language Model", order=85, icon=":material/edit_note:",
    question="Can a recurrent network learn to write from raw characters, and what does it "
             "know that counting n-grams does not?",
    what_you_see="Held-out bits per character falling live through the lines of n-gram "
                 "models counted on the same text, samples drawn as it learns at the "
                 "temperature you set, and the entropy of its predictions from greedy to "
                 "chaos.",
    Config=Config, run=run,
    smoke={"steps": 10, "hidden": 32, "eval_every": 5, "seq_len": 16, "batch": 8},
    primary=("corpus", "cell", "compare", "temperature", "hidden", "seq_len"),
    picture=("held_out_bits", "held-out bits per character of the headline model"),
    presets=(
        Preset("learning to spell", "Watch held-out bits per character fall through the "
               "unigram, bigram and trigram lines while the samples turn from noise into "
               "words.", {}, show=("cell", "temperature")),
        Preset("a cell that tracks quotes", "Code is full of quoted strings: train an LSTM on "
               "it and look for a cell that switches on inside a quote (the Cells tab ranks "
               "the cells by how well they follow one).",
               {"corpus": "code"}, show=("corpus", "cell")),
        Preset("brackets and indentation in code", "The standard library's source: the "
               "samples open and close brackets and indent blocks; a longer chunk lets the "
               "state carry the depth further.", {"corpus": "code", "seq_len": 128},
               show=("corpus", "seq_len", "carry_state")),
        Preset("your own text", "Paste or upload text (UTF-8, up to 1 MB): the vocabulary "
               "is built from it, rare characters become one unknown symbol.",
               {"corpus": "own"}, show=("corpus", "min_count")),
        Preset("temperature from dull to chaos", "Sampled cold (T = 0.3) the model repeats "
               "its safest words; raise T towards 2 and train again for chaos. The entropy "
               "curve beside the bits shows the whole range, greedy at T → 0.",
               {"temperature": 0.3}, show=("temperature",)),
        Preset("tanh RNN against LSTM", "The three cells on the same text and seed, each for "
               "the steps the first one took; the legend gives parameters and steps.",
               {"compare": True, "cell": "lstm"}, show=("cell", "compare")),
    ),
)
