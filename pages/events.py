"""Rare events and supervision density: plain, class-weighted and focal loss on rare events,
and labels at every step, every k steps or at the end only."""
import streamlit as st

from core.labs import get_lab
from core.viz import rare_events as viz
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.numbers import shown
from ui.run_panel import run_panel

LAB = get_lab("events")

THEORY = r"""
**Rare events.** With positive rate $\rho$, the classifier that always says "no" has accuracy
$1-\rho$ and, ranking every step the same, average precision (PR-AUC) exactly $\rho$ — the
baselines any detector must beat. A model that predicts $p = \rho$ everywhere, knowing
nothing about the stream, already has plain cross-entropy
$H(\rho) = -\rho\ln\rho - (1-\rho)\ln(1-\rho)$, 0.031 nats at $\rho = 0.5\%$, close to what a
perfect detector would reach; and the positives supply only a fraction $\rho$ of the terms of
its gradient. So plain cross-entropy first learns the prior, and its probabilities stay
below ½ for a long time: at threshold ½ it predicts "never". Class weighting multiplies the
positive term by $w = (1-\rho)/\rho$ ($\rho$ measured on sampled streams), so positives and
negatives weigh the same in total ($w\rho = 1-\rho$). Focal loss (Lin et al. 2017) is
$-\alpha_t (1-p_t)^\gamma \log p_t$: the factor $(1-p_t)^\gamma$ silences the many easy
negatives; $\gamma = 0$, $\alpha = ½$ is half the plain loss. Average precision is
$\sum_n (R_n - R_{n-1}) P_n$ over the thresholds.

**Supervision density.** A label at every step puts a loss next to every event; a label at
the end reaches an early step only through every Jacobian in between, a product that
shrinks as it goes back (see the Gradient Flow lab). The measured gradient reaching the
first tenth of the steps, relative to the last tenth, shows it.

#### Where the theory comes from
- *Focal, weighted and plain losses*: `test_losses_match_hand_computation`; balance
  $w\rho = 1-\rho$: `test_balanced_weight_equalises_the_classes`.
- *All-negative baselines* accuracy $1-\rho$ and AP $=\rho$, AP as the step sum, ROC AUC as the
  Mann-Whitney statistic: `test_average_precision_and_roc_auc_against_brute_force` and
  `test_all_negative_classifier_baselines`; the prior's loss $H(\rho)$:
  `test_predicting_the_prior_costs_the_binary_entropy`.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS,
                       idle=("Press **Train** to train event detectors on streams where a "
                             f"step starts an event with probability {config.event_pct}%."))
    if result is not None:
        events_numbers(result)
    losses = result is not None and result.config["compare"] == "losses"
    sections(frame, result, {"Precision-recall": events_pr if losses else None,
                             "Gradient through time": events_gradients}, THEORY)


def events_numbers(result) -> None:
    m = result.metrics
    cols = st.columns(4)
    if result.config["compare"] == "losses":
        how_to_read("solid lines are each loss's PR-AUC on validation streams, dotted its "
                    "recall when it calls an event at probability ½ or more; the grey line is "
                    "the all-negative classifier's PR-AUC, which equals the event rate.")
        for col, name in zip(cols, m["score_by_model"]):
            col.metric(f"{name}: PR-AUC", f"{m['score_by_model'][name]:.2f}",
                       help=f"Recall at ½: {shown(m['recall_by_model'][name])}, precision "
                            f"{shown(m['precision_by_model'][name])}, accuracy "
                            f"{m['accuracy_by_model'][name]:.4f}.")
        cols[3].metric("All-negative accuracy", f"{m['all_negative_accuracy']:.4f}",
                       help=f"Its PR-AUC is the event rate, {m['all_negative_pr_auc']:.4f} "
                            f"({m['test_events']} events in {m['test_streams']} test streams).")
    else:
        how_to_read("each line is one supervision density: how well its detector tells "
                    "streams with an event from streams without (ROC AUC, 0.5 is chance), "
                    "scored by its largest output over the steps it was supervised at.")
        ratio = m["early_late_gradient_by_model"]
        for col, name in zip(cols, m["score_by_model"]):
            col.metric(f"{name}: AUC", f"{m['score_by_model'][name]:.2f}",
                       help=f"Gradient reaching the first tenth of the steps / the last "
                            f"tenth: {shown(ratio[name], '.1e')}.")
        cols[3].metric("Streams with an event", f"{m['streams_with_event']:.0%}")


def events_pr(result) -> None:
    show_figure(viz.pr_curves(result))
    m = result.metrics
    best = ", ".join(f"{n} {v:.2f}" for n, v in m["best_f1_by_model"].items())
    how_to_read(f"each curve sweeps the threshold from high to low. The best F1 along each "
                f"curve: {best} — a model that says 'never' at ½ may still rank events well.")


def events_gradients(result) -> None:
    show_figure(viz.gradient_profiles(result))
    how_to_read("how strongly each model's loss reacts to the input at each step, on a probe "
                "batch; a curve that falls toward the left means early steps barely get a "
                "learning signal.")


page()
