"""Gradient Flow: vanishing and exploding gradients, gates, supervision, truncated BPTT."""

import streamlit as st

from core.labs import get_lab
from core.labs.gradients import sweep_tbptt
from core.viz import gradients as viz
from ui.lab_page import how_to_read, lab_controls, lab_header, theory
from ui.run_panel import run_panel
from ui.figures import show_figure

LAB = get_lab("gradients")
lab_header(LAB)
config = lab_controls(LAB)
result = run_panel(LAB, config)

if result is None:
    rivals = " and the other cells on the same data" if config.compare_cells else ""
    st.info(f"Press **Train** to train a {config.cell} to recall a symbol marked "
            f"{min(config.lag, config.seq_len)} steps before the end{rivals}.")
else:
    m = result.metrics
    cols = st.columns(4)
    cols[0].metric("Held-out accuracy", f"{m['accuracy']:.2f}",
                   help=f"Chance is {m['chance_accuracy']:.2f} (1/K).")
    cols[1].metric("‖dL/dh_1‖ / ‖dL/dh_T‖", f"{m['grad_ratio_first_last']:.1e}",
                   help="How much of the gradient at the last step survives to the first.")
    cols[2].metric("Recurrent spectral radius", f"{m['recurrent_spectral_radius']:.2f}")
    cols[3].metric("Steps trained", result.steps)

    st.subheader("Where the gradient goes")
    left, right = st.columns(2)
    show_figure(viz.gradient_heatmap(result), container=left)
    show_figure(viz.gradient_curve(result), container=right)
    how_to_read("left, each row is one measurement during training and each column a "
                "timestep; colour is log10 of the gradient norm reaching h_t from the loss. "
                "Right, the same at the end of training for every cell trained in this run "
                "(log axis): a straight falling line is exponential vanishing. The marked "
                f"symbol sits at timestep {result.config['seq_len'] - min(result.config['lag'], result.config['seq_len']) + 1}"
                " in fixed mode — a cell can only learn it if gradient reaches there.")

    left, right = st.columns(2)
    gate = viz.gate_heatmap(result)
    if gate is not None:
        show_figure(gate, container=left)
        how_to_read("each row is a hidden unit, each column a timestep; values near 1 keep "
                    "the cell's memory (LSTM forget gate) or the old state (GRU update gate). "
                    "Units held near 1 across the sequence are the memory the task needs.")
    else:
        left.info("Gate activations exist for LSTM and GRU; this cell has no gates.")
    show_figure(viz.input_gradient_curve(result), container=right)
    how_to_read("how strongly the loss reacts to each input symbol; the model can only learn "
                "from inputs whose gradient is not vanishingly small.", container=right)

    st.subheader("tanh RNN vs LSTM vs GRU")
    if len(m["comparison"]) > 1:
        show_figure(viz.comparison_bars(result))
        how_to_read("each bar is a model trained for the same steps on the same seed and "
                    "data; the dotted line is guessing.")
    else:
        st.info("Turn on **Compare cells** to train the other cells side by side.")

    st.subheader("Many-to-one vs many-to-many, against the closed form")
    left, right = st.columns(2)
    show_figure(viz.linear_sweep_figure(result, "many_to_one"), container=left)
    show_figure(viz.linear_sweep_figure(result, "many_to_many"), container=right)
    how_to_read("a linear recurrence h_t = a·h_(t-1) + x_t is unrolled for each T and autograd "
                "measures the gradient reaching h_1 (dots); dashed lines are the closed forms. "
                "With one loss at the end it shrinks like |a|^(T-1); with a loss at every step "
                "it converges for |a| < 1, grows linearly at a = 1 and explodes for a > 1.")

    st.subheader("Truncated BPTT and the dependency horizon")
    show_figure(viz.mutual_information_figure(result))
    rate = m["mi_decay_rate"]
    how_to_read("each bar is the mutual information between the input at lag d and the target, "
                "estimated from 8000 sampled sequences (bias-corrected plug-in estimate). "
                + (f"A fitted decay rate λ = {rate:.3f} per step puts the horizon at "
                   f"K = ln(1/ε)/λ = {m['suggested_tbptt_k']}." if rate else
                   f"With a fixed lag only one lag is informative, so K = {m['suggested_tbptt_k']}. "
                   "Switch **Lag spread** to geometric to see a decaying curve."))

sweep = run_panel(LAB, config, key="gradients-sweep", label="Sweep truncation K",
                  job=lambda on_step, should_stop: sweep_tbptt(config, on_step=on_step,
                                                               should_stop=should_stop),
                  total_steps=config.steps * 5)
if sweep is not None:
    show_figure(viz.tbptt_sweep_figure(sweep))
    how_to_read("one model per window K, same seed and data; a window shorter than the lag "
                "cannot carry the gradient back to the marked symbol, so accuracy sits at "
                f"chance. The horizon suggested K = {sweep.metrics['suggested_tbptt_k']}.")

theory(r"""
**The loop and its Jacobian.** A recurrent cell applies the same map at every step,
$h_t = \phi(W_{hh} h_{t-1} + W_{xh} x_t + b)$. Backpropagation through time multiplies the
gradient by $\partial h_{t+1}/\partial h_t$ once per step, so the signal reaching step $t$
from a loss at step $T$ carries a product of $T-t$ Jacobians. For a linear recurrence
$h_t = a\,h_{t-1} + W x_t$ that product is exactly $a^{T-t}$:

$$\Big\|\frac{\partial L}{\partial h_t}\Big\| = |a|^{T-t}\,\Big\|\frac{\partial L}{\partial h_T}\Big\|.$$

Below 1 it vanishes exponentially (0.9 per step leaves about 0.005 after 50 steps); above 1 it
explodes. A tanh cell squashes further, since $\tanh' \le 1$.

**Supervision density.** With one loss at the end (many-to-one) the gradient reaching $h_1$
scales as $a^{T-1}$. With a loss at every step (many-to-many) it is a sum,
$\sum_{k=0}^{T-1} a^{k} = \frac{1-a^T}{1-a}$, which stays finite for $|a|<1$ (short paths from
nearby losses always exist), grows like $T$ at $a = 1$ and explodes for $|a|>1$.

**Gates.** The LSTM's cell state is updated additively, $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
so the gradient along it is scaled by the forget gate $f_t$ rather than by $W_{hh}$. A forget
gate held at 0.99 leaves $0.99^{49} \approx 0.61$ of the signal after 50 steps. A positive
forget-gate bias starts every unit near "keep", which is why it matters on long lags. The GRU's
update gate $z_t$ plays the same role: $h_t = (1-z_t)\odot n_t + z_t \odot h_{t-1}$.

**Truncated BPTT.** Cutting the backward pass after $K$ steps caps the cost but also the
longest dependency that can be learned. If the information the input at lag $d$ carries about
the target decays as $I(d) \approx I_0 e^{-\lambda d}$, the window $K = \ln(1/\varepsilon)/\lambda$
keeps every dependency worth more than a fraction $\varepsilon$ of $I_0$.
""")
