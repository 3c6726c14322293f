"""Anomaly detection with sequence autoencoders: trained on normal waves, scored by what they
cannot reconstruct."""
import streamlit as st

from core.labs import get_lab
from core.viz import anomaly as viz
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.numbers import shown
from ui.run_panel import run_panel

LAB = get_lab("anomaly")

THEORY = r"""
**Anomaly detection by reconstruction.** An autoencoder trained on normal windows only
reconstructs what it has seen; a step's score is its squared error averaged over the
windows that contain it (Malhotra et al. 2016). The repeat decoder must squeeze a window
into one code (`return_sequences=False`); the sequence decoder reads every encoder state
(`return_sequences=True`), has no bottleneck, and can copy an anomaly through; the
autoregressive decoder is scored as it runs at test time, from its own previous outputs. The
threshold is the 99th percentile of clean scores, so 1% of clean steps raise a false alarm on
the series it was fitted to: that is its target, not a measurement. The page reports the
rate on the test probes' normal steps, which the threshold never saw.

#### Where the theory comes from
- *Per-step score as a window average* and the *quantile threshold's false-alarm rate*:
  `test_fold_mean_matches_brute_force` and `test_quantile_threshold_false_alarm_rate`; on
  held-out normal steps the rate is measured, not the target,
  `test_false_alarm_rate_on_held_out_series_is_not_the_fitted_target`; the autoregressive
  decoder scored free running, `test_the_autoregressive_autoencoder_is_scored_from_its_own_outputs`.
"""


def page() -> None:
    frame = lab_frame(LAB)
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS,
                       idle=("Press **Train** to train a sequence autoencoder on normal "
                             "waves and score a series with injected anomalies."))
    if result is not None:
        anomaly_numbers(result)
    sections(frame, result, {"ROC": anomaly_roc, "By anomaly kind": anomaly_kinds}, THEORY)


def anomaly_numbers(result) -> None:
    m = result.metrics
    how_to_read("grey is one probe series with anomalies injected in the shaded stretches; "
                "coloured lines are each decoder's anomaly score along it (right axis, log); "
                "the dashed line is the headline decoder's threshold.")
    cols = st.columns(4)
    cols[0].metric("ROC AUC", f"{m['roc_auc']:.2f}",
                   help=f"Over every step of {m['test_probes']} test probes.")
    cols[1].metric("Recall at threshold", f"{m['recall']:.2f}")
    cols[2].metric("Precision at threshold", shown(m["precision"]))
    cols[3].metric("False alarms, held out", f"{m['false_alarm_rate']:.1%}",
                   help=f"Normal steps of the {m['test_probes']} test probes flagged at the "
                        f"threshold, which never saw them. The threshold's target is "
                        f"{m['false_alarm_target']:.0%}: it is the "
                        f"{m['threshold_quantile']:.0%} quantile of clean validation series, "
                        f"so it flags {m['false_alarm_fitted']:.1%} of those by construction. "
                        f"On fresh clean series it flags "
                        f"{m['false_alarm_clean_held_out']:.1%}.")


def anomaly_roc(result) -> None:
    show_figure(viz.roc_figure(result))
    how_to_read("true-positive rate (anomalous steps flagged) against false-positive rate "
                "(normal steps flagged) as the threshold falls; × marks each decoder's 99% "
                "threshold from clean series.")


def anomaly_kinds(result) -> None:
    show_figure(viz.kinds_figure(result))
    how_to_read("the share of injected anomalies of each kind with at least one step above "
                "the threshold, over the test probes.")


page()
