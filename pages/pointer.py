"""Pointer Networks: point at input positions instead of naming them from a vocabulary."""
import streamlit as st

from core.labs import get_lab
from core.labs.pointer import decode_typed
from core.viz import pointer as viz
from ui.lab_page import how_to_read, lab_controls, lab_header, theory
from ui.run_panel import run_panel
from ui.figures import show_figure
from ui.escape import escape_markdown

LAB = get_lab("pointer")
lab_header(LAB)
config = lab_controls(LAB)
result = run_panel(LAB, config)

if result is None:
    st.info("Press **Train**. The default trains a pointer network to sort 5–10 numbers, then "
            "a vocabulary decoder on the same data for as many steps, and tests both on "
            f"inputs up to {config.test_max_len} long.")
else:
    m, cfg = result.metrics, result.config
    cols = st.columns(4)
    cols[0].metric("Exact match (training lengths)", f"{m['accuracy']:.2f}",
                   help="Fraction of fresh test inputs whose whole output is right.")
    cols[1].metric("Token accuracy", f"{m['token_accuracy']:.2f}")
    cols[2].metric("Valid outputs", f"{m['valid_permutation_rate']:.2f}",
                   help="Fraction of decoded outputs that are a permutation of the input "
                        "positions (sets: distinct positions), over every tested length.")
    cols[3].metric("Steps trained", result.steps)

    st.subheader("Accuracy against input length")
    show_figure(viz.accuracy_by_length(result))
    how_to_read(f"each line is a decoder trained on lengths {cfg['min_len']}–{cfg['max_len']} "
                "(shaded) and tested on fresh inputs of every length. The vocabulary decoder "
                f"has {m['vocab_size']} output classes, so beyond length {m['vocab_size']} it "
                "cannot name the positions an answer needs; the pointer's output grows with "
                "the input.")
    show_figure(viz.training_curves(result))
    how_to_read("held-out exact match on the training lengths, measured every "
                f"{cfg['eval_every']} steps; every model trained for the same number of steps "
                "on the same data stream.")

    st.subheader("A uniform decoder scores T·log T")
    show_figure(viz.uniform_loss_bars(result))
    how_to_read(f"grey bars are closed forms for T = {cfg['max_len']}. The orange bar is "
                "measured: a copy of the trained decoder with its output layer set to zero, "
                "scored on held-out sequences "
                f"({result.arrays.get('uniform_check_task', cfg['task'])} targets, masking off). "
                "It lands on T·log T because every logit is 0. Trained decoders are measured "
                "at the same length; how far each sits below T·log T is what it learned.")

    if cfg["task"] == "select":
        st.subheader("Unordered targets: matched vs fixed-order loss")
        show_figure(viz.set_loss_bars(result))
        how_to_read("every trained model is scored both ways on the same held-out inputs. "
                    "The data lists each target set in a random order, so a fixed-order loss "
                    "cannot go below log k! (dashed, theory); the matched loss only asks for "
                    "the right positions and can reach 0.")

    st.subheader("Look inside: where does each step point?")
    names = list(result.artifacts.get("models", {}))
    if not names:
        st.info("This result was loaded without its trained models; train to probe.")
    else:
        left, right = st.columns([3, 1])
        text = left.text_input("Numbers to decode (any finite numbers; scaled to [0, 1] as "
                               "in training)", value="0.42, 0.07, 0.93, 0.35, 0.61, 0.18, 0.77",
                               key="pointer-typed")
        arm = right.selectbox("Model", names, key="pointer-arm")
        try:
            example = decode_typed(result, text, arm)
        except ValueError as e:
            st.error(escape_markdown(e))
            example = result.arrays["probes"].get(arm)
            st.caption("Showing a held-out example instead.")
        if example is not None:
            show_figure(viz.distribution_heatmap(example))
            how_to_read("each row is one decoding step and each column an input position (for "
                        "the vocabulary decoder, an output class); colour is the probability "
                        "the step gives it. Orange circles mark the right answer. A pointer's "
                        "row is its attention; with masking, columns already chosen go white.")
            show_figure(viz.permutation_arrows(example))
            how_to_read("top, the input numbers at their positions; bottom, the output steps. "
                        "Each arrow leaves the position a step chose: for sort, arrows should "
                        "fetch the numbers in increasing order.")
            st.dataframe(viz.permutation_table(example), hide_index=True)

theory(r"""
**Pointing instead of naming.** An attention decoder forms scores $u_{t,i}$ between its state
$d_t$ and every encoder state $e_i$, e.g. $u_{t,i} = v^\top \tanh(W_e e_i + W_d d_t)$, turns
them into weights $\alpha_{t,i} = \mathrm{softmax}_i(u_{t,i})$, and usually averages the
encoder states into a context $c_t = \sum_i \alpha_{t,i} e_i$ that a linear layer maps to a
fixed vocabulary. A *pointer network* (Vinyals, Fortunato & Jaitly, 2015) stops one step
earlier: $\alpha_{t,\cdot}$ *is* the output distribution. The answer "position $i$" is read
straight off the input, so the output space has exactly $n$ entries for an input of length
$n$ — whatever $n$ is. A vocabulary over position indices has a fixed size $V$ and no class at
all for position $V$ or beyond, and it must learn through its output weights which context
vector corresponds to which index.

**The uniform baseline.** If the vocabulary decoder's output layer is zero, every logit is 0
and each of $T$ steps spreads its mass evenly over $T$ classes: the loss is
$\sum_{t=1}^{T} \log T = T\log T$. The same holds for a pointer whose scoring vector $v$ is
zero. A decoder that also masks positions already chosen is uniform over the $T-t+1$ that
remain, paying $\sum_t \log(T-t+1) = \log T!$ — the entropy of a uniformly random
permutation. A trained decoder's distance below these lines is the information about the
answer it has learned to extract.

**Masking.** Setting the scores of already-emitted positions to $-\infty$ means greedy
decoding can only produce a valid permutation: validity is built into the architecture
instead of learned.

**Sets have no order.** When the target is a set (the positions of the $k$ largest numbers)
and the data lists it in arbitrary order, a fixed-order cross-entropy punishes a correct
answer emitted in another order; its best possible value is $\log k!$. A permutation-invariant
loss scores the cheapest matching between emitted steps and targets,
$\min_\sigma -\sum_t \log p_t(y_{\sigma(t)})$, which the Hungarian algorithm finds in
polynomial time instead of trying all $k!$ orders.
""")
