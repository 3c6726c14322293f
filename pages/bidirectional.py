"""Bidirectional RNNs: causality, the 1/K bound, future masking and short gradient paths."""
import functools

import streamlit as st
import torch

from core.analysis.bidirectional import sequence_view
from core.labs import get_lab
from core.labs.bidirectional import SWEEP_P, run_mask_sweep
from core.tasks.direction import parse_sequence, symbol_names
from core.viz import bidirectional as viz
from ui.lab_page import how_to_read, lab_controls, lab_header, theory
from ui.run_panel import run_panel
from ui.figures import show_figure
from ui.escape import escape_markdown

LAB = get_lab("bidirectional")
lab_header(LAB)
config = lab_controls(LAB)
result = run_panel(LAB, config)

if result is None:
    st.info(f"Press **Train**. The default tags each position of a sequence of "
            f"{config.symbols} symbols with the symbol {config.offset} steps ahead, with a "
            "bidirectional GRU and then a causal one of the same size on the same data.")
else:
    m = result.metrics
    if result.message:
        st.caption(result.message)
    cols = st.columns(4)
    for col, d in zip(cols, ("uni", "bi")):
        if d in m["by_direction"]:
            col.metric(f"Accuracy, {d}", f"{m['by_direction'][d]['accuracy']:.2f}",
                       help=f"{m['by_direction'][d]['parameters']} parameters.")
    if "causal_bound" in m:
        cols[2].metric("Causal bound", f"{m['causal_bound']:.3f}",
                       help="The best any model that only reads the past can do (theory).")
    cols[3].metric("Backward share", f"{m['backward_share']:.3f}",
                   help="Var(W_b h_b) / (Var(W_f h_f) + Var(W_b h_b)) of the main model, "
                        "measured on held-out positions.")

    left, right = st.columns(2)
    show_figure(viz.accuracy_by_direction(result), container=left)
    show_figure(viz.accuracy_curves(result), container=right)
    how_to_read("each bar is a model measured on 512 held-out sequences; the dashed line is "
                "the causal bound (theory): a causal reader cannot beat 1/K on lookahead "
                "because the symbol ahead is independent of everything before it. "
                "'bi, future hidden' is the same bidirectional model with the future of every "
                "position hidden from its backward pass: it falls to the bound if it relied "
                "on the future.")

    st.subheader("Two gradient paths to the first token")
    show_figure(viz.gradient_paths_figure(result))
    bi_paths = m["by_direction"].get("bi")
    how_to_read("a label equal to the first symbol is read from the final states (h_f at T, "
                "h_b at 1) of the trained models, and autograd measures the gradient at every "
                "state (left, log axis) and at every input split by the pass it travelled "
                "through (right). Solid: forward pass, dashed: backward pass. The forward "
                "path to x_1 crosses T-1 steps and shrinks; the backward pass reads x_1 last."
                + (f" Here ||dL/dx_1|| is {bi_paths['grad_x1_forward']:.1e} through the "
                   f"forward pass and {bi_paths['grad_x1_backward']:.1e} through the backward "
                   "pass." if bi_paths else ""))

    st.subheader("Look inside: type a sequence")
    models = result.artifacts.get("models", {})
    if models:
        names = symbol_names(result.artifacts["task"].symbols)
        which = st.radio("Model", list(models), horizontal=True, key="bidirectional-probe-model",
                         index=list(models).index("bi") if "bi" in models else 0)
        text = st.text_input(f"Symbols ({', '.join(names)})", value=" ".join(
            names[i % len(names)] for i in (0, 1, 2, 3, 2, 1, 0, 3, 1, 2)),
            key="bidirectional-typed")
        try:
            tokens = parse_sequence(text, len(names))
        except ValueError as e:
            st.error(escape_markdown(e))
        else:
            model = models[which]
            device = next(model.parameters()).device
            x = torch.nn.functional.one_hot(torch.tensor([tokens], device=device),
                                            len(names)).float()
            view = sequence_view(model, x)
            typed = [names[t] for t in tokens]
            show_figure(viz.sequence_states_figure(view, typed))
            if result.artifacts["task"].level == "sequence":
                st.write(f"Sequence label predicted: **{view['sequence_prediction']}**")
            else:
                task = result.artifacts["task"]
                as_symbol = task.name in ("lookahead", "causal")
                tags = [names[p] if as_symbol else f"sense {p}" for p in view["prediction"]]
                st.write("Predicted tag per position (symbol → tag): " + ", ".join(
                    f"{s}→{t}" for s, t in zip(typed, tags)))
            how_to_read("columns are positions; colour is each hidden unit's value. The "
                        "backward states at t summarise t..T, the forward ones 1..t. The bars "
                        "compare how large each half's push on the output layer is.")
    else:
        st.info("Models from a finished run in this session can be probed here; a loaded "
                "result carries numbers only.")

st.subheader("Future masking: how much comes from the backward half?")
st.caption(f"Trains a bidirectional model at each p in {list(SWEEP_P)} for "
           f"{config.steps} steps each on the task chosen above (no early stop).")
sweep = run_panel(LAB, config, key="bidirectional-sweep", label="Sweep mask p",
                  job=functools.partial(run_mask_sweep, config),
                  total_steps=config.steps * len(SWEEP_P))
if sweep is not None:
    show_figure(viz.mask_sweep_figure(sweep))
    how_to_read("one model per p, same seed and data. Left, the backward half's share of "
                "the output layer's input variance, measured with the future masked as in "
                "training (solid) and with the full future shown (dotted). Middle, the two "
                "halves' variances themselves on a log axis: when neither half can predict "
                "the target (p = 1 on lookahead) both are tiny and the share compares two "
                "noises. Right, accuracy with the future shown and hidden. On 'causal' the "
                "share stays near 0 at every p: the future carries nothing the target needs.")

theory(r"""
**Causal and bidirectional readers.** A forward RNN computes
$\overrightarrow{h}_t = f(\overrightarrow{h}_{t-1}, x_t)$, so its output at $t$ is a function of
$x_{1..t}$ only: it is *causal*. A bidirectional RNN adds a second pass read from the end,
$\overleftarrow{h}_t = g(\overleftarrow{h}_{t+1}, x_t)$, and the output layer sees both,
$z_t = W_f \overrightarrow{h}_t + W_b \overleftarrow{h}_t + b$. Here both models have the same
number of hidden units $H$: the bidirectional one gives $H/2$ to each pass.

**The causal bound.** On *lookahead* the label is $y_t = x_{t+d}$ with symbols drawn uniformly
and independently from $K$. For a causal model, $y_t$ is independent of everything it has read,
so no function of $x_{1..t}$ predicts it better than a guess: accuracy $\le 1/K$. A bidirectional
model reads $x_{t+d}$ in its backward pass $d$ steps before reaching $t$, and can be perfect.
That is the price side too: it needs the whole sequence before it can answer, so it cannot run
in real time.

**Future masking.** Hiding the future inputs of the backward pass with probability $p$ during
training moves the model between the two extremes. At a masked position the backward state is
computed as if $x_{t+1..T}$ were blank. If the target is causal (it depends on $x_{\le t}$ only),
the backward pass's future information is useless and the output layer learns to ignore it; with
$p=1$ it never sees a future at all. Either way the backward pathway is shut down and the model
behaves as a causal one. We measure this as the backward share
$\mathrm{Var}(W_b \overleftarrow{h}) / (\mathrm{Var}(W_f \overrightarrow{h}) + \mathrm{Var}(W_b \overleftarrow{h}))$
over held-out positions: a constant contribution is just a bias, so variance is what carries
information.

**Short gradient paths.** For a label that depends on the first token, the forward pass must
carry $x_1$ through $T-1$ steps, and the gradient returning to it is multiplied by $T-1$
Jacobians, shrinking (or growing) geometrically. The backward pass reads $x_1$ at its last step,
one step from its final state: a path of length one. Palindromes show the same idea: a forward
reader must compare $x_i$ with $x_{T+1-i}$ after holding $x_i$ for $T-i$ steps. Read from the
final states, the forward pass holds $x_{T+1-i}$ and the backward pass holds $x_i$ at the same
age, $i-1$ steps back, so each pair is compared between equally fresh memories.
""")
