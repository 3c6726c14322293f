"""Export and import for a finished run: Result JSON, metrics CSV, weights, command line."""
from __future__ import annotations

import streamlit as st

from core.export import (MAX_CHECKPOINT_BYTES, command_line, load_weights, metrics_csv,
                         trained_modules, weights_bytes)
from ui.escape import escape_markdown


def export_panel(lab, config, result, key: str) -> None:
    with st.expander("Export and reproduce", icon=":material/ios_share:"):
        cols = st.columns(3)
        cols[0].download_button("Result (JSON)", result.to_json(indent=1),
                                file_name=f"{key}-result.json", mime="application/json",
                                key=f"download:{key}")
        cols[1].download_button("Metrics (CSV)", metrics_csv(result),
                                file_name=f"{key}-metrics.csv", mime="text/csv",
                                key=f"csv:{key}")
        modules = trained_modules(result)
        if modules:
            cols[2].download_button("Weights (safetensors)", weights_bytes(modules),
                                    file_name=f"{key}-weights.safetensors",
                                    mime="application/octet-stream", key=f"weights:{key}")
        else:
            cols[2].caption("No trained weights in this session (a precomputed result).")
        st.markdown("The command that reproduces this run:")
        st.code(command_line(lab, _run_config(lab, result, config)), language="bash")
        st.caption("Figures: use the camera button on each figure; PNG or SVG is chosen in "
                   "the sidebar.")
        upload = st.file_uploader("Load weights into this run's model (.safetensors)",
                                  type=["safetensors"], key=f"upload:{key}",
                                  max_upload_size=MAX_CHECKPOINT_BYTES // 2**20)
        if upload is not None and modules:
            try:
                count = load_weights(modules, upload.getvalue())
                st.success(f"Loaded {count} tensors; the interactive views on this page now "
                           "use these weights (the training curves are the run's own).")
            except ValueError as exc:
                st.error(f"{escape_markdown(f'{upload.name}: {exc}')}. The trained model is "
                         "unchanged.")
        elif upload is not None:
            st.error("Train first: weights are loaded into the model of the current run.")


def _run_config(lab, result, config):
    """The configuration the result was made with (the knobs may have moved since)."""
    try:
        return lab.make_config(result.config)
    except Exception:  # a stored result from another version of the lab
        return config
