"""The live run panel: Train / Stop, queue position, progress, the live loss chart and the
lab's headline figure growing as the model trains.

The run trains in a background thread (core.runs.Run); this panel only reads snapshots, from a
fragment that reruns on a timer while the run is active, so moving a slider does not stop
training and the rest of the page is not redrawn on every tick. A lab's evaluations send
figure data ("live" in their metrics); the headline figure is drawn from the latest of it
while training and from the finished Result's `arrays["live"]` afterwards, by one function.
"""
from __future__ import annotations

import functools
import uuid
from typing import Callable

import streamlit as st

from core import settings
from core.contract import config_dict
from core.precompute import load_cached
from core.runs import SLOTS, Run, RunRefused, max_concurrent_runs
from core.viz.common import live_loss_chart
from ui.escape import escape_markdown

# Redraw fast while a run starts (the first chart within a second of Train), then slower:
# every open tab re-renders its panel on this timer, and a class shares one server.
POLL_FIRST_S, POLL_LATER_S, POLL_QUEUED_S = 0.25, 1.5, 2.0
FAST_POLL_WINDOW_S = 3.0
# No snapshot read for this long means the tab is gone, and the run stops itself.
ABANDON_AFTER_S = settings.abandon_seconds()
# A shared server gives each run at most this much training time (the largest settings would
# otherwise hold a slot for the better part of an hour).
MAX_RUN_S = settings.max_run_seconds()
HEADLINE_HEIGHT = 340
LIVE_CHART_HEIGHT = 250

_STATUS = {
    "succeeded": (st.success, "Reached the lab's success criterion; {steps} steps trained."),
    "completed": (st.info, "Finished all {steps} steps without reaching the success criterion."),
    "stopped": (st.warning, "Stopped after {steps} steps; the figures show the model as it "
                            "was. {message}"),
    "diverged": (st.error, "Training diverged: {message}. Lower the learning rate or turn "
                           "gradient clipping on, then train again."),
}

Headline = Callable[[dict, dict], object]  # (live data by series, config dict) -> figure


def run_panel(lab, frame, *, headline: Headline | None = None, colors: dict | None = None,
              idle: str = ""):
    """The lab's main run: Train and Stop beside the knobs, the live view in the main area,
    and `idle` (what Train will do) until there is something to show. `colors` (series name
    -> colour) keeps the live loss chart in the headline figure's colours. Returns the Result to
    show: this session's last finished run, or a precomputed run of exactly the current
    settings."""
    config = frame.config
    return _panel(lab, config, key=lab.id, job=functools.partial(lab.run, config),
                  total_steps=lab.total_steps(config), label="Train", buttons=frame.buttons,
                  headline=(headline, colors), blocked=frame.problem, precomputed=True,
                  idle=idle, phone_buttons=getattr(frame, "phone_buttons", None))


def study_panel(lab, frame, name: str):
    """One of the lab's declared studies, inline: its button, progress and live loss."""
    study = lab.study(name)
    config = frame.config
    st.caption(study.about)
    return _panel(lab, config, key=f"{lab.id}-{study.name}",
                  job=functools.partial(study.run, config),
                  total_steps=study.total_steps(config), label=study.label,
                  buttons=st.container(), headline=(None, None), blocked=frame.problem,
                  precomputed=False)


def _panel(lab, config, *, key: str, job, total_steps: int, label: str, buttons,
           headline, blocked: str | None, precomputed: bool, idle: str = "",
           phone_buttons=None):
    run_key, result_key = f"run:{key}", f"result:{key}"
    run: Run | None = st.session_state.get(run_key)
    snap = run.snapshot() if run is not None else None
    state = snap.state if snap is not None else None
    active = state in ("queued", "running")
    if snap is not None and snap.finished:
        _keep(snap, key, result_key)

    start = functools.partial(start_run, key, job, total_steps, config_dict(config))
    _train_stop(buttons, key, label, active, blocked, start, run)
    if phone_buttons is not None:
        _train_stop(phone_buttons, key, label, active, blocked, start, run, where="phone")
    refused = st.session_state.pop(f"refused:{key}", None)
    if refused:
        buttons.warning(refused, icon=":material/block:")
        if phone_buttons is not None:
            phone_buttons.warning(refused, icon=":material/block:")

    result = st.session_state.get(result_key)
    if precomputed and not active:
        result = _with_precomputed(lab, config, result)
    view = st.container()
    if active:
        trained = st.session_state.get(f"run-config:{key}") or config_dict(config)
        with view:
            _live_view(run, key, result_key, headline, trained, _poll_interval(run, state))
    elif run is not None or result is not None:
        with view:
            _finished_view(run, result, headline, study=not precomputed)
    elif idle:
        view.info(idle, icon=":material/play_arrow:")
        if headline[0] is not None:
            # the empty figures hold the place (and load their drawing code) before Train,
            # so the first live chart appears without a jump or a wait
            with view:
                _charts([], {}, config_dict(config), headline, "idle")
    return result


def _train_stop(container, key: str, label: str, active: bool, blocked, start, run,
                where: str = "") -> None:
    """Train and Stop side by side. Train starts the run in its callback, before the page
    redraws, so the same redraw already shows Train disabled and the run queued or training.
    A page draws them twice, in the sidebar and (`where="phone"`) in the main area, where the
    page's style shows them only on a small screen whose sidebar is folded away."""
    suffix = f"-{where}" if where else ""
    left, right = container.columns(2)
    left.button(label, key=f"train{suffix}:{key}", type="primary",
                disabled=active or bool(blocked), icon=":material/play_arrow:",
                width="stretch", on_click=start)
    if right.button("Stop", key=f"stop{suffix}:{key}", disabled=not active,
                    icon=":material/stop:", width="stretch"):
        run.stop()


def start_run(key: str, job, total_steps: int, trained_config: dict) -> None:
    """Start a panel's run (a button's callback); a refusal is kept for the panel to show."""
    try:
        run = Run(job, total_steps, label=key, abandon_after_s=ABANDON_AFTER_S,
                  max_seconds=MAX_RUN_S, owner=_session_id(),
                  address=st.context.ip_address).start()
    except RunRefused as refusal:
        st.session_state[f"refused:{key}"] = refusal.message
        return
    st.session_state[f"run:{key}"] = run
    # the live headline draws with the settings the run trains, not later slider moves
    st.session_state[f"run-config:{key}"] = trained_config


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


def _live_view(run: Run, key: str, result_key: str, headline, config: dict,
               interval: float) -> None:
    """One fragment on the polling timer draws the status, the live loss and the headline
    figure from one snapshot. (One, not one per figure: when the run ends it redraws the
    whole page, and a second fragment's pending timer would race that redraw.)"""
    st.fragment(run_every=interval)(_live_fragment)(run, key, result_key, headline, config,
                                                   interval)


def _live_fragment(run: Run, key: str, result_key: str, headline, config: dict,
                   interval: float) -> None:
    snap = run.snapshot()
    if snap.finished:
        _keep(snap, key, result_key)
        st.rerun()  # redraw the page with the finished run, and stop polling
    if _poll_interval(run, snap.state) != interval:
        st.rerun()  # the timer is fixed when the fragment is drawn: draw it anew
    if snap.state == "queued":
        st.info(f"Queued: position {snap.queue_position or 1} — this server trains at most "
                f"{max_concurrent_runs()} models at once.", icon=":material/hourglass_top:")
    else:
        progress = snap.latest.get("progress")
        if progress is None:
            progress = snap.step / snap.total_steps if snap.total_steps else 0.0
        st.progress(min(max(float(progress), 0.0), 1.0),
                    text=f"Training — step {snap.step}"
                         + (f" of {snap.total_steps}" if snap.total_steps else ""))
    _charts(snap.history, snap.live, config, headline, key)


def _keep(snap, key: str, result_key: str) -> None:
    """Store a finished run's Result once, keeping the one before it for A/B."""
    if snap.result is not None and st.session_state.get(result_key) is not snap.result:
        if st.session_state.get(result_key) is not None:
            st.session_state[f"previous:{key}"] = st.session_state[result_key]
        st.session_state[result_key] = snap.result


def _finished_view(run: Run | None, result, headline, study: bool = False) -> None:
    snap = run.snapshot() if run is not None else None
    if snap is not None and snap.state == "failed":
        st.error(f"The run failed: {escape_markdown(snap.error)}. Earlier results are kept; "
                 "change the settings named in the error, or press Train to try again.")
    elif snap is not None and snap.stop_reason not in (None, "stop") and snap.stop_message:
        st.warning(escape_markdown(snap.stop_message), icon=":material/timer_off:")
    elif result is not None:
        show, text = _STATUS.get(result.status, (st.info, "{status}"))
        if study and result.status in ("completed", "succeeded"):
            # a study trains several models to the end: there is no criterion to reach
            show, text = st.success, "Finished: {steps} training steps over its models."
        message = result.message
        if result.status == "stopped" and message.startswith("stopped by request"):
            message = ""  # the Stop button's own doing: nothing to add
        show(text.format(steps=result.steps, message=message, status=result.status))
    if result is not None:
        history = [dict(h, series=name) for name, hist in
                   (result.arrays.get("histories") or {"": result.history}).items()
                   for h in hist]
        _charts(history, result.arrays.get("live") or {}, result.config, headline,
                f"done:{result.lab}")


def _charts(history: list, live: dict, config: dict, headline, key: str) -> None:
    """The loss beside the headline figure: one row, so both are in the first screen.
    (The keyed containers let the browser test find both on the screen.)"""
    draw, colors = headline
    slug = key.replace(":", "-")
    if draw is None:
        if history:
            st.altair_chart(live_loss_chart(history, LIVE_CHART_HEIGHT, colors), width="stretch",
                            height=LIVE_CHART_HEIGHT, key=f"live:{key}")
        return
    left, right = st.columns([2, 3])
    with left.container(key=f"live-loss-{slug}"):
        st.altair_chart(live_loss_chart(history, LIVE_CHART_HEIGHT, colors),
                        width="stretch", height=LIVE_CHART_HEIGHT + 60, key=f"live:{key}")
    with right.container(key=f"headline-{slug}"):
        _headline_figure(draw, live, config, key)


def _headline_figure(draw, live: dict, config: dict, key: str) -> None:
    from ui.figures import show_figure  # plotly loads with the first figure, not the router
    fig = draw(live, config)
    fig.update_layout(height=HEADLINE_HEIGHT, showlegend=True)
    show_figure(fig, key=f"headline:{key}", live=True)
