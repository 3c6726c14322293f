"""Language Model: a character-level RNN learns to write, against exact n-gram baselines."""
import dataclasses

import streamlit as st

from core.labs import get_lab
from core.labs.language import lab_for_text
from core.labs.language import probes
from core.labs.language.probes import ENTROPY_TEMPERATURES
from core.tasks.text_corpus import MAX_USER_BYTES, MIN_USER_CHARS, user_text
from core.viz import language as viz
from core.viz import language_cells as cells_viz
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

**Looking at one cell.** The inspector replays the trained weights one character at a time
along the first held-out characters, keeping every layer's $h_t$ (and the LSTM's $c_t$) and
gate. A cell $a$ tracks a hypothesis $y$ computed from the text (inside a quote, bracket
depth, position in the line, indentation) as far as Pearson's
$r = \sum_t (a_t - \bar a)(y_t - \bar y) / \sqrt{\sum_t (a_t - \bar a)^2 \sum_t (y_t - \bar y)^2}$
says; the compare counts the cells with $|r| \ge 0.5$. Select and match picks the cells on
(at or above the threshold) over 80% of a span and off elsewhere on average.

**Gates and errors.** A gate is left-saturated at $t$ when $g_t < 0.1$ and right-saturated
when $g_t > 0.9$; each point is one cell's two fractions of the probe. Along the probe the
model's loss $-\log_2 p(x_t \mid x_{<t})$ minus the best n-gram's says where the state knows
more than the last $n-1$ characters, summed by the distance back to the innermost open
bracket or quote.

#### Where the theory comes from

| On the page | Formula | Assumes | Checked against an exact case by |
|---|---|---|---|
| uniform line | $\log_2 V$ | every symbol predicted with $1/V$ | `test_uniform_model_costs_log2_V_bits` (a model with zero read-out scores exactly $\log_2 V$ on any text) |
| n-gram lines | add-$\alpha$ counts above | counts on the training text only | `test_ngram_probabilities_match_counts_enumerated_by_hand` (a six-character text, every probability written out) and `test_ngram_unseen_context_is_uniform_and_distributions_sum_to_one` and `test_ngram_log2_prob_agrees_with_next_distribution` |
| start of the curve | near $\log_2 V$ | read-out weights scaled by 0.05, zero bias | `test_untrained_model_starts_near_log2_V` |
| entropy against $T$ | $p_T \propto e^{z/T}$, $H$ non-decreasing in $T$ | a unique largest logit for the greedy limit | `test_temperature_one_is_the_model_and_zero_is_greedy` (T = 1 gives softmax(z); T → 0 gives the argmax and entropy 0; a uniform z gives $\log_2 V$ at every T) |
| bits per character | nats / ln 2 | — | `test_bits_are_nats_over_ln2` (against PyTorch's cross-entropy on a hand-made case) |
| cells and their hypotheses | Pearson $r$ above | the replay is the trained model | `test_replay_equals_fused_kernel`, `test_pearson_matches_numpy_and_handles_constants`, `test_search_ranks_the_planted_quote_cell_first` (a synthetic text with a planted quote cell), `test_select_and_match_finds_the_other_quotes` |
| gate saturation | fractions below 0.1, above 0.9 | — | `test_fractions_by_hand`, `test_lstm_gates_recomputed_from_the_weights` |
| model minus n-gram | $b_m(t) - b_n(t)$ in bits | the n-gram's smoothing gives every character some probability | `test_difference_against_a_unigram_by_hand`, `test_table_by_distance_by_hand`, `test_difference_from_a_replayed_model_matches_torch_cross_entropy` |
| success | held-out bits below the named n-gram, samples with more known words | held-out = last tenth of the text | `test_default_demo_beats_the_trigram_with_more_known_words` (slow) |

Sources: A. Karpathy, J. Johnson, L. Fei-Fei, *Visualizing and Understanding Recurrent
Networks* (2015) for the cells, the gate saturation scatter and the comparison with n-grams;
H. Strobelt et al., *LSTMVis* (2018) for select and match; C. Shannon, *Prediction and
Entropy of Printed English* (1951) for bits per character; the add-$\alpha$ (Lidstone)
estimate as in Jurafsky & Martin, *Speech and Language Processing*, ch. 3.
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
    sections(frame, result, {"Cells": cells, "Samples": samples, "Gates": gates,
                             "Errors": errors, "Compare cells": compare, "Entropy": entropy},
             THEORY)


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
    counts = result.metrics.get("interpretable_cells", {})
    st.dataframe([{"cell": name, "bits per char": round(summary["held_out_bits"], 3),
                   "states": counts[name]["cells"], **{k: v for k, v in counts[name].items()
                                                        if k != "cells"}}
                  for name, summary in by_cell.items() if name in counts],
                 hide_index=True, width="stretch")
    for name, summary in by_cell.items():
        st.markdown(f"**{name}** ({summary['parameters']:,} parameters, {summary['steps']} "
                    "steps)")
        st.code(summary["sample"], language=None, wrap_lines=True)
    how_to_read("each bar is one cell's held-out bits per character after the same steps on "
                "the same text and seed; the dotted lines are the n-gram baselines. The table "
                "counts each model's states (c and h) with |Pearson r| ≥ "
                f"{result.metrics.get('interpretable_r', probes.INTERPRETABLE_R)} with a "
                f"hypothesis along {result.metrics.get('probe_chars', 0):,} held-out "
                "characters.")


def _inspection(result) -> dict | None:
    found = result.arrays.get("inspection")
    if found is None:
        st.info("This run has no cell inspection: press **Train** to make one.")
    return found


def cells(result) -> None:
    found = _inspection(result)
    if found is None:
        return
    ranked = found["ranked"]
    views = result.artifacts.get("cell_views") or {}
    view = views.get(result.config["cell"])
    left, right = st.columns([1, 2])
    hypothesis = left.selectbox("Hypothesis", list(ranked), key="language-hypothesis",
                                help="Computed from the probe text itself.")
    entry = ranked[hypothesis]
    if entry["message"]:
        left.caption(escape_markdown(entry["message"]))
    left.dataframe([{"cell": row["cell"], "Pearson r": round(row["r"], 3)}
                    for row in entry["rows"]], hide_index=True, width="stretch")
    values, name = entry["best"], entry["rows"][0]["cell"] if entry["rows"] else None
    if view is not None:
        names = [c.name() for c in view.cells]
        default = entry["rows"][0]["index"] if entry["rows"] else 0
        pick = left.selectbox("Cell (c: LSTM cell state, h: hidden state)", range(len(names)),
                              index=default, format_func=names.__getitem__,
                              key=f"language-cell-{hypothesis}")
        values, name = probes.cell_activation(view, pick).tolist(), names[pick]
    else:
        left.caption("A stored run shows each hypothesis's best cell; train to choose any.")
    with right:
        if values is None:
            st.info(f"No cell can be ranked against {hypothesis} on this text.")
        else:
            show_figure(cells_viz.text_figure(found["text"], values,
                                              f"{name} along the probe text", "activation"))
    how_to_read(f"the first {len(found['text']):,} held-out characters, each coloured by one "
                f"cell's activation (blue above 0, red below); the table ranks the "
                f"{found['cells']} cells by Pearson r with the hypothesis.")
    if view is not None:
        match(view)


def match(view) -> None:
    st.markdown("**Select and match**: the cells on over a span and off elsewhere on "
                "average, and the other places they are all on.")
    cols = st.columns(3)
    T = len(view.text)
    start = cols[0].number_input("Span start", 0, T - 2, 0, key="language-span-start")
    end = cols[1].number_input("Span end", start + 1, T, min(start + 20, T),
                               key="language-span-end")
    threshold = cols[2].slider("On above", -1.0, 1.0, 0.5, 0.05, key="language-threshold")
    found = probes.match_span(view, int(start), int(end), float(threshold))
    st.code(view.text[int(start):int(end)], language=None, wrap_lines=True)
    if found.message:
        st.caption(escape_markdown(found.message))
    if found.cells:
        st.caption(f"{len(found.cells)} cells: "
                   + ", ".join(c.name() for c in found.cells[:12]))
        for s, e in found.spans[:8]:
            st.code(f"{s}–{e}: {view.text[max(s - 10, 0):e + 10]}", language=None)


def gates(result) -> None:
    found = _inspection(result)
    if found is None:
        return
    show_figure(cells_viz.saturation_scatter(probes.stored_saturation(found["gates"]),
                                             f"Gate saturation of the {result.config['cell']}"))
    how_to_read(f"one point per cell and gate: the share of the {len(found['text']):,} probe "
                "characters where the gate is below 0.1 (left) and above 0.9 (right). A "
                "forget gate high on the right keeps its cell for long; on the dashed line "
                "a gate is a switch.")


def errors(result) -> None:
    found = _inspection(result)
    if found is None:
        return
    e = found["errors"]
    n, summary = e["order"], e["summary"]
    left, right = st.columns(2)
    with left:
        show_figure(cells_viz.text_figure(found["text"], e["along_text"],
                                          f"Model minus {n}-gram, bits per character",
                                          "bits"))
    with right:
        show_figure(cells_viz.distance_bars(e["by_distance"], f"{n}-gram"))
    how_to_read(f"the {n}-gram is the best of the n-gram lines on held-out text. Red: the "
                f"model spends fewer bits than it, blue: more. Over the probe text the model "
                f"averages {summary['model_bits_per_char']:.2f} bits, the {n}-gram "
                f"{summary['ngram_bits_per_char']:.2f}; the model is better on "
                f"{summary['model_better_fraction']:.0%} of the characters.")


def entropy(result) -> None:
    curves = {name: live["entropy"] for name, live in (result.arrays.get("live") or {}).items()
              if live.get("entropy")}
    show_figure(viz.entropy_figure(curves, result.config["temperature"]))
    how_to_read(f"the mean entropy of p_T over held-out positions at T = "
                f"{', '.join(f'{t:g}' for t in ENTROPY_TEMPERATURES)}. At T → 0 sampling is "
                "greedy (entropy 0); at T = 1 it is the model's own uncertainty; high T "
                "approaches log2 V.")


page()
