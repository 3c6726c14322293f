"""A/B: the run before this one is kept, and the two are overlaid with the change named."""
from __future__ import annotations

import streamlit as st

from core.viz.compare import (changed_knobs, curve_metrics, loss_overlay, metric_overlay,
                              run_labels, scalar_table)
from ui.figures import how_to_read, show_figure
from ui.labels import metric_label


def ab_section(previous, current, key: str) -> None:
    if previous is None or current is None or previous.lab != current.lab:
        return
    changed = changed_knobs(previous.config, current.config)
    if not changed:
        title = "A/B: the previous run had the same settings"
    else:
        title = "A/B: previous run (A) vs this run (B) — changed " + ", ".join(
            f"{k}: {va} → {vb}" for k, (va, vb) in changed.items())
    with st.expander(title, expanded=len(changed) == 1, icon=":material/compare_arrows:"):
        if len(changed) > 1:
            st.warning("More than one knob changed, so a difference cannot be pinned on one "
                       "of them. For a clean comparison change one knob and train again.")
        label_a, label_b = run_labels(previous, current)
        rows = [{**row, "metric": metric_label(row["metric"])}
                for row in scalar_table(previous, current)]
        st.dataframe(rows, hide_index=True,
                     column_config={"A": label_a, "B": label_b})
        show_figure(loss_overlay(previous, current), key=f"ab-loss:{key}")
        names = curve_metrics(previous, current)
        if names:
            chosen = st.selectbox("Overlay a measured curve", names, key=f"ab-metric:{key}")
            show_figure(metric_overlay(previous, current, chosen), key=f"ab-curve:{key}")
        how_to_read("A is dotted, B solid; both used the seed shown in their labels, so with "
                    "one knob changed any difference is that knob's doing (plus the different "
                    "random draws a changed seed brings).")
