"""Seq2seq and Attention: the fixed-context bottleneck, attention maps, decoding."""
import pandas as pd
import streamlit as st

from core.labs import get_lab
from core.labs.attention.probes import (MAX_BEAM_WIDTH, alignment_theory, capacity_table,
                                        checkpoint_view, decode_typed)
from core.text_limits import ATTENTION_INPUT_MAX_CHARS
from core.viz import attention as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel
from ui.numbers import shown

LAB = get_lab("attention")

THEORY = r"""
**The bottleneck.** A sequence-to-sequence model reads $x_{1:T_x}$ with an encoder and hands
the decoder one vector $c$, here the encoder's final state. Everything the decoder writes must
pass through $c$. Count what it must carry: to be right on every input of length $T$, $c$ needs
a different value for every different right answer. Copy, reverse and interleave rearrange
positions, so each of the $V^T$ inputs has its own answer: $T\log_2 V$ bits. Sort's answer is
the input's letters in order, so inputs with the same letters share it: $\log_2\binom{T+V-1}{V-1}$
bits. A vector of $d_h$ numbers with $q$ usable bits each takes at most $2^{d_h q}$ values. In
practice the fixed vector gives out long before this count, because packing and unpacking the
symbols has to be learned.

**Attention.** Instead, every decoder step $t$ looks at all encoder states $h_i$: scores
$e_{ti}$ (additive $v^\top\tanh(W_q s_t + W_k h_i)$, dot $s_t^\top h_i$, or general
$s_t^\top W h_i$), weights $\alpha_t = \mathrm{softmax}(e_t)$ and a fresh context
$c_t = \sum_i \alpha_{ti} h_i$. Nothing has to be squeezed into one vector.

**Alignment entropy.** $H(\alpha_t) = -\sum_i \alpha_{ti}\ln\alpha_{ti}$ measures how focused a
step is. A decoder that knows nothing about where to look has the uniform alignment, whose
entropy is the largest possible, $\ln T_x$. A Gaussian alignment of width $\sigma$ has about
$\tfrac12\ln(2\pi e\sigma^2)$, which does not grow with $T_x$, so the ratio $H/\ln T_x$ falls
as inputs get longer. A low entropy also means a clear heatmap: a row's largest weight is at
least $e^{-H(\alpha_t)}$, so rows of mean entropy $\bar H$ hold on average at least
$e^{-\bar H} = T_x^{-r}$ of their weight on one position, where $r = \bar H/\ln T_x$. That is
why training goes on after the accuracy criterion until $r$ is small: the picture the run ends
on is a sharp alignment, not a blurred band.

**Decoding.** The model defines $p(y\mid x)$; greedy decoding takes the most probable token at
each step. Beam search keeps the $B$ best prefixes by $\log p$ and can recover from a locally
attractive mistake; with $B=1$ it *is* greedy. Raw $\log p$ favours short outputs, so finished
hypotheses are compared by $\log p / |y|^\alpha$. Sampling with temperature $\tau$ draws from
$p^{1/\tau}$: diversity at the cost of accuracy. When several outputs are valid (shuffle: any
order of the input's letters), one can train for diversity instead: cross-entropy plus
$\lambda\,(H(p_\theta) - H^{\ast})^2$, where $H^{\ast}$ is the target's own entropy per step.
For $m$ letters with counts $n_k$, a random order is uniform over $m!/\prod_k n_k!$ orders, so
over the $m+1$ steps (the last emits the end token, with no choice)
$H^{\ast} = \ln(m!/\prod_k n_k!)/(m+1)$.

**Where the theory comes from.**
- *Uniform alignment, $\ln T_x$* (dashed lines in the entropy figures): the entropy of $T_x$
  equal weights; exact. `test_uniform_alignment_entropy_is_log_T` computes it from the matrix.
- *Gaussian alignment, $\tfrac12\ln(2\pi e\sigma^2)$* (dotted line of the alignment figure): the
  entropy of a continuous Gaussian, a good value for weights on unit bins when $\sigma \gtrsim 1$
  and the centre is far from the edges (near an edge the row is cut and its entropy lower).
  `test_gaussian_alignment_entropy_matches_closed_form_away_from_edges` checks it against the
  discretised matrix.
- *Largest weight $\ge e^{-\bar H}$* (the stop rule): min-entropy never exceeds Shannon
  entropy, and Jensen's inequality for the convex $e^{-H}$; equality for rows uniform over $k$
  positions. `test_peak_weight_floor_holds_and_is_met_by_uniform_rows` checks both on random and
  exact rows.
- *Bits needed* (capacity table): a counting bound; $q$ is a knob, not a measurement.
  `test_bits_needed_counts_the_distinct_answers` enumerates every input by brute force.
- *Target entropy $H^{\ast}$* (decoding study): exact for uniformly random orders.
  `test_closed_form_matches_the_recursion_on_small_multisets` compares it with the chain rule
  step by step.
- *Beam width 1 is greedy*: `test_beam_width_one_is_greedy` decodes both ways.
"""


def page() -> None:
    frame = lab_frame(LAB)
    c = frame.config
    rival = (", and the same network without attention on the same data"
             if c.attention != "none" and c.compare_none else "")
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS, idle=(
        f"Press **Train** to train a seq2seq with {c.attention} attention to {c.task} inputs "
        f"of {c.min_len} to {c.max_len} letters{rival}."))
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Over training": over_training,
        "Accuracy by length": accuracy_by_length,
        "Alignment entropy": alignment_entropy,
        "Capacity": capacity,
        "Your input": your_input,
    }, THEORY, study_views={"capacity": capacity_sweep, "decoding": decoding_study})


def numbers(result) -> None:
    m = result.metrics
    how_to_read("left, the training loss of every model; right, the attention map of one "
                "probe input at the latest measurement (each row an output step, each column "
                "an input position; dark is where that step looked) beside the exact-match "
                "accuracy on held-out inputs of each length. For reverse, look for the "
                "anti-diagonal; without attention, look for accuracy falling with length.")
    cols = st.columns(4)
    comparison = m.get("comparison") or {}
    main = result.config["attention"]
    cols[0].metric(f"Test accuracy ({main})", shown(m["accuracy"]),
                   help=f"Exact match over the training lengths, {m['test_per_length']} fresh "
                        "inputs per length.")
    if main != "none" and "none" in comparison:
        cols[1].metric("Test accuracy (none)", shown(comparison["none"]["accuracy"]),
                       help="The same network without attention, same data and steps.")
    if m.get("alignment_entropy_ratio") is not None:
        cols[2].metric("Alignment entropy / ln T_x", f"{m['alignment_entropy_ratio']:.2f}",
                       help=f"1 is the uniform alignment, 0 a single position. Training goes "
                            f"on after the accuracy criterion until it is at most "
                            f"{m['sharp_ratio']} on held-out inputs. Rows hold on average "
                            f"{m['alignment_peak_weight']:.2f} of their weight on one input "
                            "position.")
    seconds = m.get("seconds_to_success")
    cols[3].metric("Time to criterion", shown(seconds, ".1f", " s"),
                   help=f"Training time until held-out accuracy first reached "
                        f"{m['stop_accuracy']:.0%}"
                        + ("" if m.get("steps_to_success") is None
                           else f", at step {m['steps_to_success']}")
                        + f"; the run took {result.steps} steps.")


def over_training(result) -> None:
    steps = result.arrays["checkpoints"]["steps"]
    if not steps:
        st.info("This run saved no measurement.")
        return
    step = st.select_slider("Measurement (training step)", options=steps, value=steps[-1],
                            key="attention-scrub")
    view = checkpoint_view(result, step)
    if view["attention"] is None:
        st.info("Without attention there is no alignment to show: the decoder sees only the "
                f"encoder's final state. At step {step} it wrote "
                f"**{' '.join(view['output'])}** for **{' '.join(view['input'])}**.")
    else:
        left, right = st.columns(2)
        show_figure(viz.attention_heatmap(view["attention"], view["input"], view["output"],
                                          f"Attention on the probe at step {step}"),
                    container=left)
        show_figure(viz.step_entropy_figure(view["step_entropy"], len(view["input"])),
                    container=right)
        how_to_read(f"drag the slider to watch the alignment form. Right: each output step's "
                    f"entropy; mean / ln T_x = {view['entropy_ratio']:.2f} at this step "
                    "(1 is uniform, 0 a single position).")
    show_figure(viz.training_curve_figure(result.arrays["histories"],
                                          result.metrics.get("sharp_ratio")))
    how_to_read(f"held-out accuracy over the training lengths "
                f"({result.metrics['validation_per_length']} inputs per length) at each "
                "measurement, and the attention's entropy ratio falling as it learns where "
                "to look; training stops once the accuracy criterion holds and the ratio is "
                "under the dashed line.")


def accuracy_by_length(result) -> None:
    show_figure(viz.accuracy_by_length_figure(result.metrics, result.arrays["train_lengths"]))
    how_to_read(f"greedy decoding of {result.metrics['test_per_length']} fresh inputs per "
                "length after training, every model trained on the same data for the same "
                "steps. Look for where the no-attention curve collapses while attention "
                "holds, and for both fading beyond the shaded training lengths.")


def alignment_entropy(result) -> None:
    width = st.slider("Width σ of the simulated Gaussian alignment", 0.3, 5.0, 1.0, 0.1,
                      key="attention-sigma")
    sim = alignment_theory(result, width)
    show_figure(viz.alignment_simulation_figure(sim, width))
    how_to_read(f"markers are entropies computed from simulated alignment matrices (Gaussian "
                f"rows centred on {sim['centres']}), dashed and dotted lines their closed "
                "forms, the blue line the trained model on the test inputs. The closed form "
                "½ln(2πeσ²) holds for σ ≳ 1 away from the edges; look for the gap to ln T_x "
                "growing with length.")


def capacity(result) -> None:
    q = st.slider("Usable bits per unit q", 1, 32, 2, key="attention-q")
    rows = capacity_table(result, q)
    d_h = result.config["hidden"]
    st.dataframe(pd.DataFrame({
        "input length T": [r["length"] for r in rows],
        "bits needed": [round(r["bits_needed"], 1) for r in rows],
        f"capacity d_h·q ({d_h}·{q})": [r["capacity"] for r in rows],
        "fits": ["yes" if r["fits"] else "no" for r in rows]}), hide_index=True, height=260)
    how_to_read("bits needed is log₂ of the number of different right answers at that length "
                "(T·log₂V for copy, reverse and interleave; fewer for sort, whose inputs with "
                "the same letters share an answer). A context of d_h numbers with q usable bits "
                "each cannot tell more inputs apart. At float precision the bound is far from "
                "binding: the measured collapse comes long before, because the encoder must "
                "learn to pack the symbols and the decoder to unpack them. The d_h sweep tab "
                "measures it.")


def your_input(result) -> None:
    if not (result.artifacts.get("models") or {}):
        st.info("Decoding your own input needs the trained model; press **Train**.")
        return
    typed = st.text_input("Type an input (letters; leave empty for the probe input)",
                          key="attention-typed", max_chars=ATTENTION_INPUT_MAX_CHARS)
    c1, c2, c3 = st.columns(3)
    width = c1.slider("Beam width", 1, MAX_BEAM_WIDTH, 3, key="attention-beam")
    alpha = c2.slider("Length normalisation α", 0.0, 1.5, 0.6, 0.1, key="attention-alpha")
    temperature = c3.slider("Sampling temperature τ", 0.1, 3.0, 1.0, 0.1,
                            key="attention-temp")
    try:
        shown = decode_typed(result, typed, width, alpha, temperature)
    except ValueError as err:
        st.error(escape_markdown(str(err)), icon=":material/error:")
        return
    g = shown["greedy"]
    st.markdown(f"Input **{' '.join(shown['input'])}** · target "
                f"**{' '.join(shown['target'])}** · greedy **{' '.join(g['output'])}** "
                f"({'correct' if g['correct'] else 'wrong'}, log p = {g['log_prob']:.3f})")
    if g["attention"] is not None:
        left, right = st.columns(2)
        show_figure(viz.attention_heatmap(g["attention"], shown["input"], g["output"],
                                          f"Attention of the trained {shown['arm']} model"),
                    container=left)
        show_figure(viz.step_entropy_figure(g["step_entropy"], len(shown["input"])),
                    container=right)
    beam = shown["beam"]
    st.markdown(f"Beam search: **{' '.join(beam['output'])}** (log p = {beam['log_prob']:.3f}, "
                f"score = {beam['score']:.3f})")
    show_figure(viz.beam_tree_figure(beam["tree"], beam["width"]))
    st.dataframe(pd.DataFrame([{"hypothesis": " ".join(h["output"]),
                                "log p": round(h["log_prob"], 3),
                                "score log p/|y|^α": round(h["score"], 3)}
                               for h in beam["hypotheses"]]), hide_index=True)
    s = shown["samples"]
    st.markdown(f"{s['count']} samples at τ = {s['temperature']:g}: {s['correct']} correct, "
                f"{s['distinct']} distinct.")
    how_to_read("the beam tree shows every prefix the beam kept, by step and rank; squares "
                "ended with </s>, hover for the cumulative log-probability. Width 1 is greedy "
                "decoding. Higher temperature flattens the distribution: more distinct "
                "outputs, fewer correct ones on a task with one right answer.")


def capacity_sweep(sweep) -> None:
    show_figure(viz.capacity_figure(sweep.arrays["capacity"]))
    how_to_read(f"each curve is one input length: the no-attention model's sequence accuracy "
                f"on {sweep.metrics['test_per_length']} fresh inputs per length, trained at "
                "each context size on the same data. Look for longer inputs needing a larger "
                "d_h.")


def decoding_study(study) -> None:
    m = study.metrics
    st.dataframe(pd.DataFrame(m["decoding_study"]), hide_index=True)
    how_to_read(f"measured on {m['study_inputs']} inputs × {m['samples_per_input']} decodings "
                f"each. The target entropy H* = {m['target_entropy']:.3f} nats per step is "
                f"exact for a random order, averaged over {m['reference_inputs']} inputs. "
                "Look for the trade-off: greedy is valid but never varies; hotter sampling "
                "varies more and breaks more outputs.")


page()
