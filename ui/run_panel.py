"""The live run panel: Train / Stop, queue position, progress, live loss chart, export, A/B.

The run trains in a background thread (core.runs.Run); this panel only reads snapshots, from a
fragment that reruns on a timer while the run is active, so moving a slider does not stop
training and the rest of the page is not redrawn on every tick.
"""
from __future__ import annotations

import functools
import uuid

import streamlit as st

from core import settings
from core.contract import config_dict
from core.precompute import load_cached
from core.runs import SLOTS, Run, RunRefused, max_concurrent_runs
from core.viz.common import live_loss_chart
from ui.compare import ab_section
from ui.escape import escape_markdown
from ui.export import export_panel

# Redraw fast while a run starts (the first chart within a second of Train), then slower:
# every open tab re-renders its panel on this timer, and a class shares one server.
POLL_FIRST_S, POLL_LATER_S, POLL_QUEUED_S = 0.25, 1.0, 2.0
FAST_POLL_WINDOW_S = 3.0
# No snapshot read for this long means the tab is gone, and the run stops itself.
ABANDON_AFTER_S = settings.abandon_seconds()
# A shared server gives each run at most this much training time (the largest settings would
# otherwise hold a slot for the better part of an hour).
MAX_RUN_S = settings.max_run_seconds()

_STATUS = {
    "succeeded": (st.success, "Reached the lab's success criterion after {steps} steps."),
    "completed": (st.info, "Finished all {steps} steps without reaching the success criterion."),
    "stopped": (st.warning, "Stopped after {steps} steps; the figures show the model as it "
                            "was. {message}"),
    "diverged": (st.error, "Training diverged: {message}. Lower the learning rate or turn "
                           "gradient clipping on, then train again."),
}


def run_panel(lab, config, *, key: str | None = None, job=None, label: str = "Train",
              total_steps: int | None = None):
    """Start/stop a run of `job(on_step, should_stop)` (default: the lab with `config`) and
    return the Result to show: this session's last finished run, or, for the lab's own panel,
    a precomputed run of exactly the current settings."""
    key = key or lab.id
    run_key, result_key = f"run:{key}", f"result:{key}"
    run: Run | None = st.session_state.get(run_key)
    state = run.snapshot().state if run is not None else None
    active = state in ("queued", "running")

    left, right, _ = st.columns([max(1.0, len(label) / 9), 1, 4])  # room for long labels
    if left.button(label, key=f"train:{key}", type="primary", disabled=active,
                   icon=":material/play_arrow:"):
        job = job or functools.partial(lab.run, config)
        steps = total_steps if total_steps is not None else lab.total_steps(config)
        try:
            run = Run(job, steps, label=key, abandon_after_s=ABANDON_AFTER_S,
                      max_seconds=MAX_RUN_S, owner=_session_id(),
                      address=st.context.ip_address).start()
            st.session_state[run_key] = run
            state, active = "queued", True
        except RunRefused as refused:
            st.warning(refused.message, icon=":material/block:")
    if right.button("Stop", key=f"stop:{key}", disabled=not active, icon=":material/stop:"):
        run.stop()

    if run is not None:
        st.fragment(run_every=_poll_interval(run, state) if active else None)(_live_view)(
            run, key, result_key)

    result = st.session_state.get(result_key)
    if job is None and not active:
        result = _with_precomputed(lab, config, result)
    if result is not None:
        export_panel(lab, config, result, key)
        ab_section(st.session_state.get(f"previous:{key}"), st.session_state.get(result_key),
                   key)
    return result


def _session_id() -> str:
    """Who the per-session run limit counts against: this browser tab's session."""
    return st.session_state.setdefault("run-owner", uuid.uuid4().hex)


def _poll_interval(run: Run, state: str) -> float:
    if state == "queued" and SLOTS.active >= max_concurrent_runs():
        return POLL_QUEUED_S  # really waiting; a free slot means it starts within a moment
    return POLL_FIRST_S if run.running_for() < FAST_POLL_WINDOW_S else POLL_LATER_S


def _with_precomputed(lab, config, result):
    """Prefer a precomputed run of the current settings over a session run of other ones."""
    if result is not None and result.config == config_dict(config):
        return result
    cached = load_cached(lab.id, config)
    if cached is not None:
        st.info("Showing a precomputed run of exactly these settings — press **Train** to "
                "retrain it live.", icon=":material/bolt:")
        return cached
    if result is not None:
        st.caption("The figures below are from the last run; some settings have changed "
                   "since. Press **Train** to run the current ones.")
    return result


def _live_view(run: Run, key: str, result_key: str) -> None:
    snap = run.snapshot()
    if snap.state == "queued":
        st.info(f"Queued: position {snap.queue_position or 1} — this server trains at most "
                f"{max_concurrent_runs()} models at once.", icon=":material/hourglass_top:")
    elif snap.state == "running":
        progress = snap.latest.get("progress")
        if progress is None:
            progress = snap.step / snap.total_steps if snap.total_steps else 0.0
        st.progress(min(max(float(progress), 0.0), 1.0),
                    text=f"Training — step {snap.step}"
                         + (f" of {snap.total_steps}" if snap.total_steps else ""))
    elif snap.state == "failed":
        st.error(f"The run failed: {escape_markdown(snap.error)}. Earlier results are kept; change the "
                 "settings named in the error, or press Train to try again.")
    elif snap.result is not None:
        show, text = _STATUS.get(snap.state, (st.info, "{status}"))
        message = snap.result.message
        if snap.state == "stopped" and message.startswith("stopped by request"):
            message = ""  # the Stop button's own doing: nothing to add
        show(text.format(steps=snap.result.steps, message=message, status=snap.state))
    if snap.history:
        st.altair_chart(live_loss_chart(snap.history), width="stretch", key=f"live:{key}")
    if snap.finished and snap.result is not None and \
            st.session_state.get(result_key) is not snap.result:
        if st.session_state.get(result_key) is not None:
            st.session_state[f"previous:{key}"] = st.session_state[result_key]  # A for A/B
        st.session_state[result_key] = snap.result
        st.rerun()  # redraw the whole page with the finished run's figures
