"""Language Model: a character-level RNN learns to write, against exact n-gram baselines."""
import dataclasses

import streamlit as st

from core.labs import get_lab
from core.labs.language import lab_for_text
from core.labs.language.probes import ENTROPY_TEMPERATURES
from core.tasks.text_corpus import MAX_USER_BYTES, MIN_USER_CHARS, user_text
from core.viz import language as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel

LAB = get_lab("language")

THEORY = r"""
**A character-level language model.** The text is a sequence of characters $x_1 \dots x_N$
from a vocabulary of $V$ symbols (the characters of the training text seen at least *Rare
below* times; every other one maps to one unknown symbol). The model reads one character at a
time, updates its state $h_t = f(h_{t-1}, x_t)$ (tanh RNN, LSTM or GRU) and predicts the next
one, $p(x_{t+1} \mid x_{\le t}) = \mathrm{softmax}(W h_t + b)$. It is trained to minimise the
cross-entropy, the mean of $-\ln p(x_{t+1} \mid x_{\le t})$ in nats, by truncated
backpropagation through time: the training text is cut into parallel streams, each step reads
the next chunk of every stream, and the state is carried from one chunk to the next with its
history cut, so gradients reach back at most one chunk (Karpathy, Johnson & Fei-Fei, 2015).

**Bits per character.** The page reports the cross-entropy in bits, $\text{bits} =
\text{nats} / \ln 2$, on the held-out last tenth of the text: the number of bits an ideal
coder driven by the model would spend per character.

**The uniform model.** Predicting every symbol with probability $1/V$ costs exactly
$\log_2 V$ bits per character whatever the text: the top line. An untrained model starts near
it, because its read-out starts with small weights, so its logits are nearly equal.

**n-gram baselines.** An n-gram model predicts from the previous $n-1$ characters by
counting, on the same training text, with add-$\alpha$ smoothing:
$P(c \mid u) = (\#(u c) + \alpha)/(\#u + \alpha V)$. The first $n-1$ characters of a text use
the shorter context they have; an unseen context gives $1/V$. A recurrent model that beats the
$n$-gram line has learnt something about the text beyond the last $n-1$ characters, or
generalises better from the same counts.

**Temperature.** Samples are drawn from $p_T(c) \propto \exp(z_c / T)$: $T = 1$ is the model's
own distribution; as $T \to 0$ all the mass goes to the most likely character (greedy, entropy
0: dull, repetitive text); as $T$ grows $p_T$ flattens towards uniform (entropy $\log_2 V$:
chaos). The entropy $-\sum_c p_T(c) \log_2 p_T(c)$ never falls as $T$ rises (with
$\beta = 1/T$, $dH/d\beta = -\beta\,\mathrm{Var}_{p_T}(z) \le 0$), so its mean over held-out
positions rises from 0 towards $\log_2 V$.

#### Where the theory comes from

| On the page | Formula | Assumes | Checked against an exact case by |
|---|---|---|---|
| uniform line | $\log_2 V$ | every symbol predicted with $1/V$ | `test_uniform_model_costs_log2_V_bits` (a model with zero read-out scores exactly $\log_2 V$ on any text) |
| n-gram lines | add-$\alpha$ counts above | counts on the training text only | `test_ngram_probabilities_match_counts_enumerated_by_hand` (a six-character text, every probability written out) and `test_ngram_unseen_context_is_uniform_and_distributions_sum_to_one` and `test_ngram_log2_prob_agrees_with_next_distribution` |
| start of the curve | near $\log_2 V$ | read-out weights scaled by 0.05, zero bias | `test_untrained_model_starts_near_log2_V` |
| entropy against $T$ | $p_T \propto e^{z/T}$, $H$ non-decreasing in $T$ | a unique largest logit for the greedy limit | `test_temperature_one_is_the_model_and_zero_is_greedy` (T = 1 gives softmax(z); T → 0 gives the argmax and entropy 0; a uniform z gives $\log_2 V$ at every T) |
| bits per character | nats / ln 2 | — | `test_bits_are_nats_over_ln2` (against PyTorch's cross-entropy on a hand-made case) |
| success | held-out bits below the named n-gram, samples with more known words | held-out = last tenth of the text | `test_default_demo_beats_the_trigram_with_more_known_words` (slow) |

Sources: A. Karpathy, J. Johnson, L. Fei-Fei, *Visualizing and Understanding Recurrent
Networks* (2015); C. Shannon, *Prediction and Entropy of Printed English* (1951) for bits per
character; the add-$\alpha$ (Lidstone) estimate as in Jurafsky & Martin, *Speech and Language
Processing*, ch. 3.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    what = {"prose": "Genesis (King James Version)", "code": "the Python standard library's "
            "source", "own": "your text"}[config.corpus]
    idle = (f"Press **Train** to train a character-level {config.cell.upper()} on {what} and "
            f"watch its held-out bits per character fall through the n-gram lines.")
    if config.corpus == "own":
        frame, idle = own_text_frame(frame, idle)
    result = run_panel(frame.lab, frame, headline=viz.headline, colors=viz.COLORS, idle=idle)
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Samples": result and (lambda: samples(result)),
        "Compare cells": result and (lambda: compare(result)),
        "Entropy": result and (lambda: entropy(result)),
    }, THEORY)


def own_text_frame(frame, idle: str):
    """Train runs on the pasted or uploaded text, and only once it is usable."""
    with st.sidebar:
        pasted = st.text_area(f"Your text (UTF-8, at least {MIN_USER_CHARS} characters)",
                              key="language-own-text", height=120,
                              max_chars=MAX_USER_BYTES)
        upload = st.file_uploader(f"…or upload a .txt file (up to {MAX_USER_BYTES // 1000:,} "
                                  "kB)", type=["txt", "md", "py", "csv"],
                                  key="language-own-file", max_upload_size=1)
    raw = upload.getvalue() if upload is not None else pasted
    if not raw:
        return (dataclasses.replace(frame, problem="corpus own needs text"),
                "Paste text or upload a file in the sidebar to train on it.")
    try:
        text = user_text(raw)
    except ValueError as err:
        st.sidebar.error(f"Cannot use this text: {escape_markdown(err)}.",
                         icon=":material/error:")
        return dataclasses.replace(frame, problem=str(err)), "Fix the text to train on it."
    st.sidebar.caption(f"{len(text):,} characters, {len(set(text))} distinct.")
    if frame.problem is not None:
        return frame, idle
    return dataclasses.replace(frame, lab=lab_for_text(text)), idle


def numbers(result) -> None:
    m = result.metrics
    n = m["success_ngram"]
    how_to_read(f"left, the training loss of each model; right, its bits per character on "
                f"{m['scored_chars']:,} held-out characters (the last tenth of the text) as it "
                f"trains, against n-gram models counted on the same {m['train_chars']:,} "
                f"training characters (add-α, α = {m['ngram_alpha']}) and the uniform model's "
                f"log2 V = {m['uniform_bits']:.2f} (V = {m['vocabulary_size']}); beside it the "
                "predictive entropy against temperature (dotted: the temperature you set), "
                "and under both the latest sample.")
    cols = st.columns(4)
    cols[0].metric("Held-out bits per char", f"{m['held_out_bits']:.3f}")
    cols[1].metric(f"{n}-gram (exact counts)", f"{m['ngram_bits'][str(n)]:.3f}",
                   help="The n-gram the success criterion names.")
    reached = m.get("steps_to_success")
    cols[2].metric(f"Below the {n}-gram", "not reached" if reached is None
                   else f"step {reached}",
                   help=None if m.get("seconds_to_success") is None
                   else f"after {m['seconds_to_success']:.1f} s of training")
    model_words, ngram_words = m["known_word_fraction"], m["ngram_known_word_fraction"]
    cols[3].metric("Known words: model / n-gram",
                   f"{_share(model_words)} / {_share(ngram_words)}",
                   help=f"Share of the words (runs of 2+ letters) in a {m['word_sample_length']}"
                        f"-character sample that occur in the training text; the {n}-gram "
                        "is sampled at the same temperature.")


def _share(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def samples(result) -> None:
    m = result.metrics
    for name, text in result.arrays.get("samples", {}).items():
        st.markdown(f"**{escape_markdown(name)}**, T = {result.config['temperature']:g}")
        st.code(text, language=None, wrap_lines=True)
    how_to_read(f"{m['word_sample_length']} characters from the trained model and from the "
                f"{m['success_ngram']}-gram, after the same opening of the training text. "
                "Change the temperature and train again to hear it go from dull to chaos.")


def compare(result) -> None:
    by_cell = result.metrics.get("by_cell", {})
    if len(by_cell) < 2:
        st.info("Switch on *Compare cells* to train the other two cells on the same text and "
                "seed, for the steps this one took.")
    show_figure(viz.compare_figure(result))
    for name, summary in by_cell.items():
        st.markdown(f"**{name}** ({summary['parameters']:,} parameters, {summary['steps']} "
                    "steps)")
        st.code(summary["sample"], language=None, wrap_lines=True)
    how_to_read("each bar is one cell's held-out bits per character after the same steps on "
                "the same text and seed; the dotted lines are the n-gram baselines.")


def entropy(result) -> None:
    curves = {name: live["entropy"] for name, live in (result.arrays.get("live") or {}).items()
              if live.get("entropy")}
    show_figure(viz.entropy_figure(curves, result.config["temperature"]))
    how_to_read(f"the mean entropy of p_T over held-out positions at T = "
                f"{', '.join(f'{t:g}' for t in ENTROPY_TEMPERATURES)}. At T → 0 sampling is "
                "greedy (entropy 0); at T = 1 it is the model's own uncertainty; high T "
                "approaches log2 V.")


page()
