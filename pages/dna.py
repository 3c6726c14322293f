"""CNN–RNN hybrids on DNA: a CNN, a BiLSTM and a CNN → BiLSTM hybrid read a motif grammar;
the filters as sequence logos, the hybrid's saliency along a sequence you can type."""
import streamlit as st

from core.labs import get_lab
from core.labs.dna.probes import score_typed_dna
from core.text_limits import DNA_SEQUENCE_MAX_CHARS
from core.viz import dna as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.numbers import shown
from ui.run_panel import run_panel

LAB = get_lab("dna")

THEORY = r"""
**CNN → RNN hybrids on DNA.** A convolution filter as wide as a motif responds where the
bases match it; after max-pooling, a CNN knows *which* motifs occur but, beyond its receptive
field of $w - 1 + p\,k_2$ bases (filter width $w$, pool $p$, second kernel $k_2$), not in
what order or how far apart. A recurrent layer reading the pooled motif detectors carries
that order along the sequence (the DanQ pattern, Quang & Xie 2016). On raw bases the same
BiLSTM must discover the motifs one base at a time, which is slow. Any rule that knows only
whether A and whether B occur can do no better than predicting the majority label in each
of the four presence patterns: its accuracy is
$\frac{1}{n}\sum_{\text{pattern}}\max(n^+_{\text{pattern}}, n^-_{\text{pattern}})$, the dotted line.

**Sequence logos.** A column with base probabilities $p_b$ carries
$IC = \log_2 4 - H = 2 + \sum_b p_b \log_2 p_b$ bits; each letter is drawn $p_b\cdot IC$ tall.
A planted motif's tolerant position with mismatch rate $r$ has $p = (1-r, r/3, r/3, r/3)$, so
$IC = 2 + (1-r)\log_2(1-r) + r\log_2(r/3)$: 2 bits at $r = 0$, 0 at $r = 3/4$. A filter's
logo stacks the windows where it fires at least half its maximum (DeepBind, Basset).
Saliency is gradient × input, $s_i = \sum_b x_{ib}\,\partial z/\partial x_{ib}$: to first
order, what removing base $i$ would do to the logit $z$.

#### Where the theory comes from
- *Presence-only ceiling* $\frac1n\sum\max(n^+, n^-)$ (assumes the rule sees only the two
  presence bits): `test_presence_ceiling_is_the_best_of_all_sixteen_presence_rules` checks
  it against every rule by brute force.
- *CNN receptive field* $w - 1 + p\,k_2$ (stride-1 convolutions, pooling windows that do not
  overlap):
  `test_cnn_receptive_field_is_what_the_gradient_reaches`.
- *Information content and letter heights* (probabilities from counts, no small-sample
  correction): `test_information_content_on_known_count_matrices`; the tolerant-position
  formula against the planted frequencies and against sampled motifs:
  `test_planted_motif_frequencies_and_their_information`.
- *Saliency = weight of the present base* for a model linear in its one-hot input:
  `test_saliency_of_a_linear_model_is_its_weights`.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS,
                       idle=("Press **Train** to train a CNN → BiLSTM hybrid, a CNN and a "
                             "BiLSTM on DNA where motif A must precede motif B, "
                             f"{config.gap_min}–{config.gap_max} bases later."))
    if result is not None:
        dna_numbers(result)
    sections(frame, result, {"Logos": dna_logos, "Saliency": dna_saliency,
                             "Models compared": dna_models}, THEORY)


def dna_numbers(result) -> None:
    m = result.metrics
    how_to_read("left, each model's training loss; right, its accuracy on held-out sequences "
                "as it trains. The dotted line is the best any rule that only knows which "
                "motifs occur can reach on these sequences; a model above it has learned "
                "their order and spacing.")
    acc, steps = m["accuracy_by_model"], m["steps_to_target_by_model"]
    cols = st.columns(len(acc) + 1)
    for col, name in zip(cols, acc):
        col.metric(f"{name} test accuracy", f"{acc[name]:.2f}",
                   help=f"Steps to {m['target_acc']:.2f}: {shown(steps[name], 'd')}. "
                        + _size(m, name))
    cols[-1].metric("Motif presence alone", f"{m['presence_ceiling']:.2f}",
                    help=f"On the same {m['test_size']} test sequences.")
    cnn = acc.get("CNN")
    if cnn is not None:
        side = "below" if cnn < m["presence_ceiling"] else "at or above"
        st.caption(f"After {m['steps_by_model']['CNN']} steps the CNN is at {cnn:.3f}, {side} "
                   f"the presence-only line ({m['presence_ceiling']:.3f}): that line is as "
                   "high as a model that cannot see the motifs' order can go.")


def _size(m: dict, name: str) -> str:
    """'13,265 parameters, 300 steps.' for a model the run recorded."""
    count, steps = m.get("parameters_by_model", {}).get(name), m.get("steps_by_model", {}).get(name)
    return (f"{count:,} parameters" if count is not None else "") + \
        (f", {steps:,} steps." if steps is not None else ".")


def dna_logos(result) -> None:
    logos = result.arrays.get("logos")
    if not logos:
        st.info("The run stopped before its filters were read; train it to the end.")
        return
    for model, found in logos.items():
        show_figure(viz.logo_figure(found, model))
    how_to_read("left, the planted motifs: core positions carry 2 bits, tolerant ones less "
                "(mismatch rate). Right, the first-layer filter that matches each best, "
                "read off the test windows where it fires at least half its maximum; "
                "similarity is one minus the mean total-variation distance per column.")


def dna_saliency(result) -> None:
    probe = result.arrays.get("saliency")
    if not probe:
        st.info("The run stopped before the saliency was measured; train it to the end.")
        return
    show_figure(viz.saliency_figure(probe))
    how_to_read("one bar per base, coloured by base: how much the hybrid's logit changes to "
                "first order if that base is removed. Occurrences of motif A (gold) and B "
                "(purple) are shaded; a model that reads the grammar looks there.")
    text = st.text_area("Type or paste a DNA sequence to read with the hybrid",
                        value=probe["bases"], max_chars=DNA_SEQUENCE_MAX_CHARS,
                        key="dna-typed", height=90,
                        help="A, C, G and T in any case; spaces and line breaks are ignored. "
                             "Try moving motif B before motif A.")
    if text.strip() == probe["bases"]:
        return
    try:
        typed = score_typed_dna(result, text)
    except ValueError as err:
        st.error(f"Cannot read that sequence: {escape_markdown(err)}",
                 icon=":material/error:")
        return
    show_figure(viz.saliency_figure(typed, "your sequence"), key="typed-dna-saliency")


def dna_models(result) -> None:
    show_figure(viz.accuracy_bars(result))
    how_to_read("every model trained the same steps on the same data and seed; test "
                "accuracy on fresh sequences. The models differ in size: their parameter "
                "counts are in the table.")
    m = result.metrics
    st.table({"model": list(m["accuracy_by_model"]),
              "test accuracy": [f"{v:.3f}" for v in m["accuracy_by_model"].values()],
              "parameters": [f"{m['parameters_by_model'][n]:,}" for n in m["accuracy_by_model"]],
              "steps": [f"{m['steps_by_model'][n]:,}" for n in m["accuracy_by_model"]],
              f"steps to {m['target_acc']:.2f}": [
                  shown(v, "d") for v in m["steps_to_target_by_model"].values()],
              "seconds to it on this server": [
                  shown(v, ".1f") for v in m["seconds_to_target_by_model"].values()]})
    st.table({"kind of sequence": list(result.metrics["decoy_fractions"]),
              "share of the test set": [f"{v:.1%}" for v in
                                        result.metrics["decoy_fractions"].values()]})


page()
