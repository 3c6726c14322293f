"""Recurrence vs Attention: path length against cost."""
import streamlit as st

from core.labs import get_lab
from core.viz import paths as viz
from core.viz.paths import LABELS
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel
from ui.numbers import shown

LAB = get_lab("paths")

THEORY = r"""
**Path length in a recurrence.** A recurrent cell $h_t = \phi(W_{hh} h_{t-1} + W_{xh} x_t + b)$
connects the input at step $t$ to a loss at step $T$ only through the $T-t$ steps between
them, so the gradient carries a product of $T-t$ Jacobians
$\partial h_{k}/\partial h_{k-1} = \mathrm{diag}(\phi'_k)\,W_{hh}$. When their size stays
below 1 it falls geometrically, $\|\partial L/\partial x_t\| \approx C\,e^{-\lambda (T-t)}$:
a per-step factor of 0.9 leaves $0.9^{49} \approx 0.005$ after 50 steps. The lab fits
$\lambda$ to the measured curve by least squares on $\ln\|\partial L/\partial x_t\|$.

**The LSTM's highway.** The cell state is updated additively,
$c_t = f_t \odot c_{t-1} + i_t \odot g_t$, so the direct path from $c_{t-1}$ to $c_t$
multiplies the backward signal by the forget gate $f_t$ alone, not by $W_{hh}$. Along that
path
$$\frac{\partial L}{\partial c_t} = \Big(\prod_{k=t+1}^{T} f_k\Big) \odot \frac{\partial L}{\partial c_T},$$
so a gate held at 0.99 keeps $0.99^{49} \approx 0.61$ of the signal over 50 steps. The
LSTM's other paths run through $h$ and the recurrent weights, and decay like the tanh RNN's.

**A simple RNN is a gated cell with fixed gates.** A GRU computes
$n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$ and
$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$. Hold $r_t = 1$ and $z_t = 0$ and what is left,
$h_t = \tanh(W_{in} x_t + b_{in} + W_{hn} h_{t-1} + b_{hn})$, is the vanilla tanh RNN. Gates
are what a cell adds to decide, per unit and per step, how much of its past to keep.

**Self-attention: one hop.** A causal self-attention layer computes, at every position $i$,
$\sum_{j \le i} \alpha_{ij} v_j$ with $\alpha_{i\cdot} = \mathrm{softmax}_j(q_i \cdot k_j/\sqrt{d})$.
Every earlier position is one step away, so the path from a loss to any input has the same
length, $O(1)$, and the gradient does not decay with distance. The head that has learned to
put its weight on the answer's position is visible in the attention map.

**Cost.** Attention scores every pair of positions: $O(T^2 d)$ work per layer, and $O(T^2)$
memory when the $T \times T$ weights are kept for the backward pass (a flash-style kernel
recomputes them instead, and keeps $O(T)$). A recurrence does $O(T d^2)$ work and keeps
$O(T)$ states — but its $T$ steps run one after another, whatever the hardware; attention's
work is a few large matrix products that parallel hardware spreads. A cost $c(T) = a\,T^b$
is a line of slope $b$ on log-log axes; the lab fits $b$ on the longer half of the lengths.

#### Where the theory comes from
- *Pinned forget gate*, $\partial L/\partial c_t = p^{T-t}\,\partial L/\partial c_T$: exact when
  the forget gate is held at $p$ and $h_{t-1}$ does not feed the step (the cell path is then
  the only one). Checked by autograd on such an LSTM for $p$ = 0.9, 0.99 and random gates
  ($\prod f_k$), `tests/test_paths_theory.py::test_pinned_forget_gate_gives_the_closed_form`
  and `::test_cell_gradient_is_the_product_of_forget_gates`; the table in **LSTM highway**
  measures it on the run's own LSTM.
- *Fixed gates*, GRU with $r = 1, z = 0$ = tanh RNN on the GRU's candidate weights: exact for
  any weights and inputs. Checked in float64 against PyTorch's `nn.RNN`,
  `::test_gru_with_fixed_gates_is_the_tanh_rnn`; the **Fix the gates** study reports the
  largest difference on the run's probe batch.
- *Geometric decay* $e^{-\lambda(T-t)}$: an approximation for trained cells (their Jacobians
  vary); exact for a linear recurrence $h_t = a h_{t-1} + x_t$, where $\lambda = -\ln|a|$.
  The fit is checked on exact exponentials, `::test_decay_fit_recovers_an_exact_exponential`,
  and on a linear recurrence measured by autograd,
  `::test_decay_fit_on_a_linear_recurrence_is_minus_log_a`.
- *One hop*: a causal attention model's output at $i$ depends on inputs $j \le i$ only,
  `::test_attention_is_causal`; its two kernels compute the same function,
  `::test_fused_and_explicit_attention_agree`.
- *Power-law exponents and the crossing*: the fit recovers $b$ from exact $aT^b$ curves, and
  the crossing of $c_1 T$ and $c_2 T^2$ at $T = c_1/c_2$,
  `tests/test_paths_theory.py::test_power_law_fit_on_synthetic_timings` and
  `::test_crossover_of_linear_and_quadratic_costs`. The timings themselves are measurements
  of this machine, never asserted.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    names = ", ".join(LABELS[m] for m in config.models())
    what = (f"recall a symbol marked up to {config.lag} steps back" if config.task == "recall"
            else f"copy every symbol {config.lag} steps later")
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS, idle=(
        f"Press **Train** to train {names} to {what}, on the same data, and watch how much "
        "gradient reaches each earlier position."))
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Accuracy by lag": accuracy_tab,
        "Attention map": attention_tab,
        "LSTM highway": highway_tab,
    }, THEORY, study_views={"cost": cost_study, "gates": gates_study})


def numbers(result) -> None:
    m = result.metrics
    how_to_read("left, the training loss of every model; right, the gradient reaching each "
                "earlier input from the loss at the last position, measured on a fixed probe "
                "batch (log axis). A straight falling line is geometric decay, the recurrence's "
                "long path; a level line is attention's one hop. The dotted line marks the lag.")
    models = list(m["accuracy_by_model"])
    cols = st.columns(len(models) + 1)
    for col, name in zip(cols, models):
        rate = m["path_decay_rate"].get(name)
        col.metric(f"{LABELS[name]}: test accuracy", f"{m['accuracy_by_model'][name]:.2f}",
                   help=f"On fresh sequences; chance is {m['chance_accuracy']:.3f}. "
                        f"Steps trained: {m['steps_by_model'][name]}. Fitted gradient decay "
                        + (f"λ = {rate:.3f} per step." if rate is not None else "not available."))
    contrast = m.get("reach_contrast")
    cols[-1].metric("Far gradient, attention vs tanh RNN",
                    shown(contrast, ".1f", " decades"),
                    help="log10 of (attention's far/near gradient ratio) / (the tanh RNN's): "
                         "the farthest quarter of positions against the nearest.")


def accuracy_tab(result) -> None:
    show_figure(viz.accuracy_by_lag_figure(result.metrics, "Accuracy against lag, same data "
                                                           "and seed"))
    fewest, most = result.metrics["targets_per_lag"]
    how_to_read(f"each point is the accuracy on test sequences whose answer lies that many steps "
                f"back ({fewest} to {most} targets per point, lags grouped). Where "
                "a model cannot carry the answer that far, it sits on the dotted chance line.")


def attention_tab(result) -> None:
    if "attention" not in result.arrays:
        st.info("Train the self-attention model (as the headline model or with **Compare "
                "models**) to see its attention map.")
        return
    left, right = st.columns([3, 2])
    show_figure(viz.attention_map_figure(result), container=left)
    show_figure(viz.pointing_heads_figure(result), container=right)
    view = result.arrays["attention"]
    how_to_read(f"left, the weights of the head that looks hardest at the answer (layer "
                f"{view['layer'] + 1}, head {view['head'] + 1}) on the probe sequence with the "
                "longest lag; rows are the positions looking, columns the positions looked at, "
                "crosses the answers. Right, the mean weight every head puts on the answer "
                f"over the probe batch; the best is {view['weight']:.2f}.", container=right)


def highway_tab(result) -> None:
    m = result.metrics
    if "cell_grad_norms" in m:
        left, right = st.columns(2)
        show_figure(viz.highway_figure(result), container=left)
        how_to_read("the gradient reaching the LSTM's cell state c_t and hidden state h_t from "
                    "the loss at the end, by distance. The dashed line is what the cell path "
                    "alone carries: the product of the forget gates after t times dL/dc_T.",
                    container=left)
        show_figure(viz.forget_gate_figure(result), container=right)
        how_to_read("the forget gate's mean over units at each step, and the spread across "
                    "units: near 1 the cell keeps its content and the gradient along it.",
                    container=right)
    else:
        st.info("Train the LSTM (as the headline model or with **Compare models**) to see its "
                "cell-state gradients and forget gates.")
    rows = [{"forget gate p": c["forget"], "steps": c["steps"],
             "closed form p^(steps−1)": f"{c['closed_form']:.4g}",
             "measured ‖dL/dc_1‖ / ‖dL/dc_T‖": f"{c['measured']:.4g}"}
            for c in m["highway_check"]]
    st.dataframe(rows, hide_index=True)
    how_to_read("the run's LSTM (a freshly built one when none trained) with its forget gate "
                "held at p and its recurrent weights cut, so the cell path is the only one: "
                f"autograd's measurement over {m['highway_check'][0]['steps']} steps against "
                "the closed form.")


def cost_study(study) -> None:
    m = study.metrics
    left, right = st.columns(2)
    show_figure(viz.cost_time_figure(study), container=left)
    show_figure(viz.cost_memory_figure(study), container=right)
    st.dataframe([{"attention": LABELS[kind], "against": LABELS[rec],
                   **{f"costs more in {what}": comparison(m, kind, rec, what)
                      for what in ("time", "memory")}}
                  for kind in ("attention", "attention_explicit") for rec in ("rnn", "lstm")],
                 hide_index=True)
    how_to_read(f"one training step (forward, backward, Adam) of each model on {m['cost_batch']} "
                f"sequences of length T, freshly built, on {m['device']}: the fastest of a few "
                "timed steps, the one least slowed by other work on the machine. Memory is the "
                + m["memory_measure"] + (
                    " (counted by autograd's saved-tensor hooks; parameters and short-lived "
                    "temporaries left out)" if "saved" in m["memory_measure"] else "")
                + ". Dashed lines are the power laws fitted over the longer half of the "
                "lengths; the table says where attention's curve crosses above a recurrence's. "
                "A recurrence's T steps run one after another on any hardware; attention's few "
                "large products are what a GPU runs in parallel.")
    if study.message:
        st.caption(study.message)


def comparison(m: dict, kind: str, rec: str, what: str) -> str:
    """Where an attention curve crosses above a recurrence's (measured), or that it lies
    above or below it at every length measured."""
    key = "step_ms_by_T" if what == "time" else "peak_mb_by_T"
    pairs = [(a, b) for a, b in zip(m[key][kind], m[key][rec]) if a is not None and b is not None]
    cross = m["crossover_T"][kind][rec][what]
    if cross is not None:
        return f"from T ≈ {cross:.0f}"
    if not pairs:
        return "not measured"
    if all(a >= b for a, b in pairs):
        return "at every length"
    if all(a < b for a, b in pairs):
        return "at no length"
    return "back and forth (noisy timings)"


def gates_study(study) -> None:
    m = study.metrics
    show_figure(viz.accuracy_by_lag_figure(m, "Fixed gates against free gates, same initial "
                                              "weights and data"))
    how_to_read(f"the GRU with r = 1 and z = 0 and the tanh RNN sharing its weights compute the "
                f"same outputs (largest difference on the probe batch before training: "
                f"{m['fixed_gate_max_difference']:.1e}, float32 rounding at most), so they "
                "train alike: their loss "
                "curves above lie on each other. The same GRU with its gates free starts from "
                "the same weights and can learn to keep its past.")


page()
