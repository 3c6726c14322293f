"""Gradient Flow: vanishing and exploding gradients, gates, supervision, truncated BPTT."""
import streamlit as st

from core.labs import get_lab
from core.viz import gradients as viz
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel

LAB = get_lab("gradients")

THEORY = r"""
**The loop and its Jacobian.** A recurrent cell applies the same map at every step,
$h_t = \phi(W_{hh} h_{t-1} + W_{xh} x_t + b)$. Backpropagation through time multiplies the
gradient by $\partial h_{t+1}/\partial h_t$ once per step, so the signal reaching step $t$
from a loss at step $T$ carries a product of $T-t$ Jacobians. For a tanh cell each factor is
$\mathrm{diag}(1-h_{t+1}^2)\,W_{hh}$: when the spectral radius of $W_{hh}$ is below 1 (and
$\tanh' \le 1$ only shrinks further) the product vanishes exponentially; far above 1 it can
explode. A per-step factor of 0.9 leaves $0.9^{49} \approx 0.005$ after 50 steps.

**Supervision density.** For the linear cell $h_t = a\,h_{t-1} + W x_t + b$ every step back
multiplies by $a$, so the gradient at step $t$ collects the read-out gradients $g_s$ of every
later step that carries a loss:
$$\frac{\partial L}{\partial h_t} = \sum_{s \ge t} a^{\,s-t}\, g_s .$$
With one loss at the end (many-to-one) this is $a^{T-t} g_T$, vanishing for $|a|<1$ and
exploding for $|a|>1$. With a loss at every step from the mark on (many-to-many) each step adds
its own term; with equal $g$ the sum reaching $h_1$ is $\sum_{k=0}^{T-1} a^{k} = (1-a^T)/(1-a)$,
which stays finite for $|a|<1$ — short paths from nearby losses always exist — grows like $T$
at $a=1$ and explodes for $|a|>1$.

**Gates.** The LSTM's cell state is updated additively, $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
so the gradient along it is scaled by the forget gate $f_t$ rather than by $W_{hh}$: a gate held
at 0.99 leaves $0.99^{49} \approx 0.61$ of the signal after 50 steps. A positive forget-gate bias
starts every unit near "keep", which is why it matters on long lags. The GRU's update gate
$z_t$ plays the same role: $h_t = (1-z_t)\odot n_t + z_t \odot h_{t-1}$. For a gated cell no
single spectral radius tells the story — the gates do.

**Truncated BPTT.** A window of $K$ steps sends the last step's gradient back exactly $K$
steps, so the mark is reachable only in sequences whose lag is at most $K$. With lags spread
geometrically (ratio $q = 1 - 1/\bar d$, overshoots past $T$ redrawn uniformly) that share is
$p_K = P(\text{lag} \le K) = 1 - q^K + K q^T/T$, and learning exactly those dependencies would
give accuracy $p_K + (1-p_K)/S$ with $S$ symbols — a reference, not a ceiling: a cell that has
learned to hold a symbol inside the window can keep holding it beyond. The information the
input at lag $d$ carries about the target is $I(d) = P(\text{lag}=d)\,\ln S$, decaying like
$q^d = e^{-\lambda d}$; the window $K = \ln(1/\varepsilon)/\lambda$ keeps every dependency worth
more than a fraction $\varepsilon$ of the first.

**Where the theory comes from.**
- *Linear-cell theory line* (dashed, headline figure, linear cell): $\|\sum_{s\ge t} a^{s-t} g_s\|$
  with the model's own read-out gradients $g_s$ on the probe batch. Assumes the recurrence is
  exactly linear with $a$ fixed (this cell); checked against autograd in float64 under both
  supervisions (`tests/test_gradient_theory.py`).
- *Closed forms against $T$* (Supervision tab): $|a|^{T-1}$ and $|\sum_{k<T} a^k|$ for equal
  per-step read-out gradients; checked against autograd for $a \in \{0.9, 1, 1.1\}$.
- *In-window reference* (truncation sweep): $p_K + (1-p_K)/S$ from the task's exact lag
  distribution, assuming many-to-one supervision and a uniform guess outside the window;
  $p_K$ is checked against the sampler's frequencies (`tests/test_truncation_theory.py`).
- *Horizon* $K = \ln(1/\varepsilon)/\lambda$: assumes $I(d)$ decays exponentially; the fitted
  $\lambda$ is checked against $-\ln(1-1/\bar d)$ on the geometric preset.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    rivals = " and the other cells on the same data" if config.compare_cells else ""
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.CELL_COLORS, idle=(
        f"Press **Train** to train {viz.a_cell(config.cell)} to recall a symbol marked "
        f"{min(config.lag, config.seq_len)} steps before the end{rivals}."))
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Over training": over_training,
        "Gates and inputs": gates_and_inputs,
        "Cells compared": cells_compared,
        "Supervision": supervision,
        "Truncation horizon": truncation_horizon,
    }, THEORY, study_views={"tbptt": tbptt_sweep})


def numbers(result) -> None:
    m = result.metrics
    how_to_read("left, the training loss of every cell as it trains; right, the gradient "
                "reaching each timestep from the loss at the end, measured on a fixed probe "
                "batch at the latest measurement (log axis). A straight falling line is "
                "exponential vanishing; the dotted line marks where the symbol to recall sits.")
    cols = st.columns(4)
    cols[0].metric("Test accuracy", f"{m['accuracy']:.2f}",
                   help=f"On fresh sequences; chance is {m['chance_accuracy']:.2f} (1/K).")
    cols[1].metric("‖dL/dh_1‖ / ‖dL/dh_T‖", f"{m['grad_ratio_first_last']:.1e}",
                   help="How much of the gradient at the last step survives to the first.")
    by_gate = m.get("recurrent_spectral_radius_by_gate") or {}
    gated = result.config["cell"] in ("lstm", "gru")
    cols[2].metric("Gate spectral radius, largest" if gated
                   else "Recurrent spectral radius", f"{m['recurrent_spectral_radius']:.2f}",
                   help=("Per gate block: " + ", ".join(f"{g} {r:.2f}" for g, r in
                                                       by_gate.items()) +
                         ". For a gated cell no single radius sets the decay: the forget or "
                         "update gate does.") if gated else
                   "Below 1 the tanh cell's step Jacobian shrinks the gradient every step.")
    cols[3].metric("Steps trained", result.steps)


def over_training(result) -> None:
    if result.arrays.get("grad_heatmap_truncated"):
        left, right = st.columns(2)
        show_figure(viz.gradient_heatmap(result), container=left)
        show_figure(viz.gradient_heatmap(result, truncated=True), container=right)
        how_to_read("each row is one measurement during training, each column a timestep; "
                    "colour is log10 of the gradient norm reaching h_t from the loss. Left, "
                    "through the whole unrolled sequence, for reference; right, through the "
                    "graph truncated training actually backpropagates: nothing reaches the "
                    f"steps behind the window. {result.metrics['tbptt_window_fraction']:.0%} "
                    "of the sequences have their mark inside it.")
    else:
        show_figure(viz.gradient_heatmap(result))
        how_to_read("each row is one measurement during training and each column a timestep; "
                    "colour is log10 of the gradient norm reaching h_t from the loss.")


def gates_and_inputs(result) -> None:
    left, right = st.columns(2)
    gate = viz.gate_heatmap(result)
    if gate is not None:
        show_figure(gate, container=left)
        how_to_read("each row is a hidden unit, each column a timestep; values near 1 keep "
                    "the cell's memory (LSTM forget gate) or the old state (GRU update gate).",
                    container=left)
    else:
        left.info("Gate activations exist for LSTM and GRU; this cell has no gates.")
    show_figure(viz.input_gradient_curve(result), container=right)
    how_to_read("how strongly the loss reacts to each input symbol; the model can only learn "
                "from inputs whose gradient is not vanishingly small.", container=right)


def cells_compared(result) -> None:
    if len(result.metrics["comparison"]) > 1:
        show_figure(viz.comparison_bars(result))
        how_to_read("each bar is a model trained for the same steps on the same seed and "
                    "data, measured on fresh test sequences; the dotted line is guessing.")
    elif result.config["compare_cells"]:
        st.info("The run ended before the other cells trained; train again to compare.")
    else:
        st.info("Turn on **Compare cells** to train the other cells side by side.")


def supervision(result) -> None:
    left, right = st.columns(2)
    show_figure(viz.linear_sweep_figure(result, "many_to_one"), container=left)
    show_figure(viz.linear_sweep_figure(result, "many_to_many"), container=right)
    how_to_read("a linear recurrence h_t = a·h_(t-1) + x_t is unrolled for each T and autograd "
                "measures the gradient reaching h_1 (dots); dashed lines are the closed forms. "
                "With one loss at the end it shrinks like |a|^(T-1); with a loss at every step "
                "it converges for |a| < 1, grows linearly at a = 1 and explodes for a > 1.")


def truncation_horizon(result) -> None:
    m = result.metrics
    show_figure(viz.mutual_information_figure(result))
    rate = m["mi_decay_rate"]
    how_to_read(f"each bar is the mutual information between the input at lag d and the "
                f"target, estimated from {m['information_samples']} sampled sequences "
                "(bias-corrected plug-in estimate). "
                + (f"A fitted decay rate λ = {rate:.3f} per step puts the horizon at "
                   f"K = ln(1/ε)/λ = {m['suggested_tbptt_k']}." if rate else
                   f"With a fixed lag only one lag is informative, so K = "
                   f"{m['suggested_tbptt_k']}. Set **Lag spread** to geometric to see a "
                   "decaying curve."))


def tbptt_sweep(sweep) -> None:
    show_figure(viz.tbptt_sweep_figure(sweep))
    how_to_read("one model per window K, same seed and data, measured on fresh test "
                "sequences. A window of K steps carries the gradient back K steps from the "
                "loss, so it reaches the mark only in sequences whose lag is at most K — with "
                "a spread of lags that is a share of them, not none. The dashed line is what "
                "learning exactly those would give; a cell that learns to hold a symbol inside "
                "the window can keep holding it beyond, so it is a reference, not a ceiling. "
                f"The information horizon suggested K = {sweep.metrics['suggested_tbptt_k']}.")


page()
