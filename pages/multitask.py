"""Multi-task heads: one encoder, two tasks, the cosine between their gradients, and fixed or
learned loss weights."""
import streamlit as st

from core.labs import get_lab
from core.viz import multitask as viz
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.numbers import shown
from ui.run_panel import run_panel

LAB = get_lab("multitask")

THEORY = r"""
**Multi-task learning.** One encoder, two heads, loss $w\,L_{tag} + (1-w)\,L_{seq}$. The
cosine $\cos = g_{tag}\cdot g_{seq}/(|g_{tag}||g_{seq}|)$ between the two losses' gradients on
the shared weights says whether a step for one task helps (positive) or hurts (negative) the
other. Uncertainty weighting (Kendall, Gal & Cipolla 2018) learns $s_i = \log\sigma_i^2$ in
$\sum_i e^{-s_i}L_i + s_i/2$; setting the derivative $-e^{-s_i}L_i + 1/2$ to zero gives the
stationary weight $e^{-s_i} = 1/(2L_i)$: a task whose loss is small is weighted up. That is
where the weights come to rest if the losses hold still and training runs long enough; Adam
moves each $s_i$ by about its learning rate a step, so the page reports how far they got, as
$|s_i - \ln 2L_i|$ and the share of the way from $s_i = 0$. Loss curves of every weighting
show one quantity, $L_{tag} + L_{seq}$, whatever objective trains them. Two
single-task LSTMs of hidden size $h$ are matched to one shared LSTM of size $H$ by
parameters: an LSTM with $K$ inputs has $4(hK + h^2 + 2h)$ weights, each head $2h + 2$.

#### Where the theory comes from
- *Gradient cosine*: `test_cosine_by_hand` and `test_task_gradients_of_a_linear_encoder_by_hand`.
- *Stationary uncertainty weight* $1/(2L)$ (task losses held fixed):
  `test_uncertainty_weights_settle_at_one_over_twice_the_loss`.
- *LSTM parameter count*: `test_parameter_count_matches_the_modules`; every count a page
  shows is $\sum$ numel of the model's parameters, `tests/test_model_size.py`.
- *Distance to the fixed point* and *one loss quantity*:
  `tests/test_task_balance_truth.py` (by hand, and Adam on fixed losses: far after 30
  steps, at the fixed point after 400).
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS,
                       idle=("Press **Train** to train one encoder on two "
                             f"{config.relatedness} tasks beside two single-task models of "
                             "the same total size."))
    if result is not None:
        multitask_numbers(result)
    sections(frame, result, {"Gradient cosine": multitask_cosine,
                             "Loss weights": multitask_weights,
                             "Models compared": multitask_models}, THEORY)


def multitask_numbers(result) -> None:
    m = result.metrics
    how_to_read("solid lines are the tagging task, dashed the sequence task, one colour per "
                "model; the dotted black line (right axis) is the cosine between the two "
                "tasks' gradients on the shared encoder, measured on a fixed probe batch. The "
                "training loss on the left is L_tag + L_seq for every model and weighting.")
    single = m["accuracy_by_model"].get("sequence only", {}).get("seq")
    cols = st.columns(4)
    cols[0].metric("Shared: tagging", f"{m['accuracy_tag']:.2f}",
                   help=f"Always 'no repeat' scores {m['majority_tag']:.2f}.")
    cols[1].metric("Shared: sequence", f"{m['accuracy_seq']:.2f}",
                   help=f"The majority class scores {m['majority_seq']:.2f}.")
    cols[2].metric("Sequence task alone", shown(single))
    cols[3].metric("Mean gradient cosine", shown(m["cosine_mean"]),
                   help=f"Negative in {shown(m['cosine_negative_fraction'], '.0%')} of the "
                        "measurements.")


def multitask_cosine(result) -> None:
    show_figure(viz.cosine_figure(result))
    how_to_read("above zero, a step on one task's loss also lowers the other's; below, the "
                "tasks pull the shared encoder apart.")


def multitask_weights(result) -> None:
    show_figure(viz.weights_figure(result))
    how_to_read("the weight each task's loss gets. Fixed: w and 1 - w. Uncertainty: "
                "exp(-s_i), learned; the dashed lines are 1/(2 L_i) at the final test losses, "
                "the fixed point the learned weights would come to rest at if the losses held "
                "still and training ran long enough. " + weights_reading(result.metrics))


def weights_reading(m: dict) -> str:
    """How far the learned weights got towards their fixed point, from this run."""
    rows = m.get("weights_to_fixed_point")
    if not rows:
        return ""
    parts = [f"{task} {r['weight']:.3g} against {r['fixed_point']:.3g}"
             + ("" if r["travelled"] is None else f", {r['travelled']:.0%} of the way")
             for task, r in zip(("tagging", "sequence"), rows)]
    return ("Where they got, in log-weight from the start at 1: " + "; ".join(parts) + ". "
            "Adam moves each s_i by about its learning rate a step, so a fixed point far "
            "from 1 takes many steps to reach.")


def multitask_models(result) -> None:
    show_figure(viz.models_figure(result))
    how_to_read("test accuracy of each task; the two single-task models together hold about "
                "as many parameters as the shared one (counts in the labels).")


page()
