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
a per-step factor of 0.9 leaves $0.9^{49} \approx 0.006$ after 50 steps. The lab fits
$\lambda$ to the measured curve by least squares on $\ln\|\partial L/\partial x_t\|$.

**The LSTM's highway.** The cell state is updated additively,
$c_t = f_t \odot c_{t-1} + i_t \odot g_t$, so the direct path from $c_{t-1}$ to $c_t$
multiplies the backward signal by the forget gate $f_t$ alone, not by $W_{hh}$. Along that
path alone
$$\frac{\partial L}{\partial c_t}\Big|_{\text{cell path}} = \Big(\prod_{k=t+1}^{T} f_k\Big) \odot \frac{\partial L}{\partial c_T},$$
so a gate held at 0.99 passes on $0.99^{49} \approx 0.61$ of it over 50 steps. Given the
gates, that is an identity: the same for any other weights, so computing it confirms the
arithmetic, not the model. It is also only one path. $c_t$ reaches the loss through
$h_t = o_t \odot \tanh(c_t)$ as well, and through the gates of every later step, and those
paths add to the direct one: the full $\|\partial L/\partial c_t\|$ of a trained LSTM need
not shrink by $f$ a step, and can grow going back from $T$. The **LSTM highway** tab shows the
full gradient, measured on the run's own model, beside the cell path alone.

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
work is a few large matrix products that parallel hardware spreads. So which kernel pays $T^2$,
and in what, is a property of the implementation: the lab times two attention kernels, one
that keeps the scores and one fused. A cost $c(T) = a\,T^b$ is a line of slope $b$ on
log-log axes; a fixed overhead $c_0$ bends it to slope $b(1 - c_0/c)$, so the lab fits $b$
only over lengths whose cost is at least ten times the shortest length's, repeats every
timed step, and shows the spread. The timings measure this machine's implementation, under
its current load, not the algorithm in general.

#### Where the theory comes from
- *The cell path alone*, $(\prod f_k)\,\partial L/\partial c_T$, $= p^{T-t}\,\partial L/\partial c_T$
  with the gate pinned at $p$: an identity of the gates, exact for any other weights. Checked
  as one, by autograd on LSTMs with the recurrence cut (the path is then the only one) for
  $p$ = 0.9, 0.99 and random gates,
  `tests/test_paths_theory.py::test_pinned_forget_gate_gives_the_closed_form` and
  `::test_cell_gradient_is_the_product_of_forget_gates`, and on two different LSTMs with
  the recurrence in place, where it is the same $p^d$ while the full ratio is not,
  `tests/test_lstm_highway_truth.py::test_the_cell_path_alone_is_an_identity_and_the_full_gradient_is_not`.
- *The full $\partial L/\partial c_t$* the tab shows: the replay's autograd on the model's
  own weights, checked against autograd on the fused `nn.LSTM` stepped one time step at a
  time, `tests/test_lstm_highway_truth.py::test_full_cell_gradient_equals_autograd_on_the_fused_lstm`;
  every run reports the largest difference it finds on its own LSTM.
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
  `::test_crossover_of_linear_and_quadratic_costs`; with an overhead $c_0 + aT^2$ the fit over
  lengths out of the overhead regime is within 0.05 of 2, and a sweep that never leaves it
  is flagged, `tests/test_cost_scaling_truth.py`. The timings themselves are measurements of
  this machine, never asserted.
- *Accuracy against lag*: a group of $n$ targets counts as at chance $c$ when its accuracy is
  within $3\sqrt{c(1-c)/n}$ of $c$ (a guesser's binomial spread); the page says the curve falls
  with lag only when the shortest lags are above chance and the longest at it,
  `tests/test_lag_reading.py`.
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
        size = m.get("parameters_by_model", {}).get(name)
        col.metric(f"{LABELS[name]}: test accuracy", f"{m['accuracy_by_model'][name]:.2f}",
                   help=f"On fresh sequences; chance is {m['chance_accuracy']:.3f}. "
                        f"Steps trained: {m['steps_by_model'][name]}"
                        + (f"; {size:,} parameters (width {m['width_by_model'][name]})"
                           if size else "") + ". Fitted gradient decay "
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
    readings = " ".join(lag_reading_text(LABELS[name], reading)
                        for name, reading in result.metrics.get("accuracy_reading", {}).items())
    how_to_read(f"each point is the accuracy on test sequences whose answer lies that many steps "
                f"back ({fewest} to {most} targets per point, lags grouped; legend: "
                "parameters and steps trained). " + readings)


def lag_reading_text(label: str, reading: dict) -> str:
    """What one model's curve shows, from core.analysis.lag_reading."""
    short = f"{reading['short_lags'][0]:.1f}–{reading['short_lags'][1]:.1f}"
    long = f"{reading['long_lags'][0]:.1f}–{reading['long_lags'][1]:.1f}"
    if reading["kind"] == "chance everywhere":
        return (f"{label} is at chance at every lag, the shortest ({short}) too: it has not "
                "learned the task at any distance, so its curve does not show how far it can "
                "carry an answer (the preset **short lags** trains it on lags up to 4).")
    if reading["kind"] == "falls with lag":
        return (f"{label} falls from {reading['short']:.2f} at lags {short} to chance at "
                f"{long}: accuracy lost with the distance of the answer.")
    if reading["kind"] == "above chance everywhere":
        return (f"{label} is above chance at every lag ({reading['long']:.2f} at the longest, "
                f"{long}).")
    return (f"{label}: {reading['short']:.2f} at lags {short}, {reading['long']:.2f} at "
            f"{long}.")


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
                    "the loss at the end, by distance, measured on the trained model along "
                    "every path. The dashed line is the part the direct cell path alone "
                    "carries, the forget gates' product times dL/dc_T: fixed by the gates "
                    "whatever the other weights, so it is an identity, not a measurement.",
                    container=left)
        show_figure(viz.forget_gate_figure(result), container=right)
        how_to_read("the forget gate's mean over units at each step, and the spread across "
                    "units: near 1 the cell keeps its content and the gradient along it.",
                    container=right)
        if "cell_grad_ratio" in m:  # a run saved before the full ratio was measured has none
            st.dataframe(highway_rows(m, float(result.config.get("pin_forget") or 0)),
                         hide_index=True)
            how_to_read(highway_reading(m))
    else:
        st.info("Train the LSTM (as the headline model or with **Compare models**) to see its "
                "cell-state gradients and forget gates.")
    rows = [{"forget gate p": c["forget"], "steps": c["steps"],
             "p^(steps−1)": f"{c['closed_form']:.4g}",
             "‖dL/dc_1‖ / ‖dL/dc_T‖, recurrence cut": f"{c['measured']:.4g}"}
            for c in m["highway_check"]]
    st.dataframe(rows, hide_index=True)
    how_to_read("an identity, checked: with the forget gate held at p and the recurrent "
                "weights cut, the cell path is the only one and the ratio is p^(steps−1) for "
                "any LSTM (a freshly built one gives the same). It checks the arithmetic of "
                f"the replay over {m['highway_check'][0]['steps']} steps; it says nothing "
                "about what the trained LSTM does, which the table above measures.")


def highway_rows(m: dict, pin: float) -> list[dict]:
    """The full ratio ||dL/dc_t|| / ||dL/dc_T|| against the cell path's alone, by distance."""
    alone = f"cell path alone: {pin:g}^d (identity)" if pin else "cell path alone: ∏ f (identity)"
    return [{"distance d = T − t": d,
             "full ‖dL/dc_t‖ / ‖dL/dc_T‖ (measured)": f"{m['cell_grad_ratio'][d]:.3g}",
             alone: f"{m['cell_path_ratio'][d]:.3g}"} for d in m["highway_distances"]]


def highway_reading(m: dict) -> str:
    """Why the measured full gradient and the cell path alone differ, from this run."""
    far = m["highway_distances"][-1]
    full, alone = m["cell_grad_ratio"][far], m["cell_path_ratio"][far]
    trend = ("grows going back" if full > 1 else "shrinks going back, but not as the cell path "
             "alone does" if abs(full - alone) > 0.05 * alone else "follows the cell path")
    return (f"mean over the probe batch of each sequence's ratio. At distance {far} the full "
            f"gradient is {full:.3g} × ‖dL/dc_T‖ and the cell path alone {alone:.3g} ×: the "
            f"full one {trend}, because c_t also reaches the loss through h_t = o_t·tanh(c_t) "
            "and through the gates of every later step, and those paths add to the direct one. "
            "The full gradient is autograd on a replay of the model's own steps; on this run it "
            f"agrees with autograd on the fused nn.LSTM to {m['replay_fused_difference']:.0e} "
            "(relative).")


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
    st.dataframe(cost_rows(m), hide_index=True)
    how_to_read(f"one training step (forward, backward, Adam) of each model on {m['cost_batch']} "
                f"sequences of length T, freshly built, on {m['device']}: the fastest of "
                "repeated timed steps, the bar up to the slowest. Memory is the "
                + m["memory_measure"] + (
                    " (counted by autograd's saved-tensor hooks; parameters and short-lived "
                    "temporaries left out)" if "saved" in m["memory_measure"] else "")
                + ". Dashed lines are the power laws fitted over the lengths whose cost is at "
                "least ten times the shortest's, out of the fixed-overhead regime. These fits "
                "measure this machine's implementation of each kernel under its current load, "
                "not the algorithm: which one pays T², and in what, is read off them above. "
                "A recurrence's T steps run one after another on any hardware; attention's few "
                "large products are what a GPU runs in parallel.")
    if study.message:
        st.caption(study.message)


def cost_rows(m: dict) -> list[dict]:
    """Each model's fitted exponents and what it pays T² in, on this machine."""
    rows = []
    for name, verdict in m.get("pays_quadratic", {}).items():
        spread = m["time_exponent_range"].get(name)
        time_fit, memory_fit = m["time_fit"].get(name), m["memory_fit"].get(name)
        paid = [what for what in ("time", "memory") if verdict[what]]
        rows.append({
            "model": LABELS[name],
            "time ∝ T^b": "not measured" if time_fit is None else
            f"{time_fit['exponent']:.2f}" + (f" ({spread[0]:.2f}–{spread[1]:.2f} over repeats)"
                                               if spread else "")
            + (", overhead-bound" if time_fit.get("overhead_bound") else ""),
            "memory ∝ T^b": "not measured" if memory_fit is None else
            f"{memory_fit['exponent']:.2f}",
            "pays T² in": " and ".join(paid) if paid else
            ("neither" if time_fit and memory_fit else "—")})
    return rows


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
