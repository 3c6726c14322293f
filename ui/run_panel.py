"""The live run panel: Train / Stop, queue position, progress, the live loss chart and the
lab's headline figure growing as the model trains.

The run trains in a background thread (core.runs.Run); this panel only reads snapshots, from a
fragment that reruns on a timer while the run is active, so moving a slider does not stop
training and the rest of the page is not redrawn on every tick. A lab's evaluations send
figure data ("live" in their metrics); the headline figure is drawn from the latest of it
while training and from the finished Result's `arrays["live"]` afterwards, by one function.

Identical Trains share one run (core.shared_runs): the session holds a `Viewer` of it, and a
page showing a run another page started cannot tell, except for the watchers counted in the
sidebar. "Train again with a fresh seed" is the student's way to a run of their own.
"""
from __future__ import annotations

import functools
import random
import uuid
from typing import Callable

import streamlit as st

from core import settings
from core.contract import config_dict
from core.measure import skipped_note
from core.precompute import load_cached
from core.runs import SLOTS, Run, RunRefused, Viewer, max_concurrent_runs
from core.shared_runs import SHARED, lab_data, run_identity
from core.viz.common import live_loss_chart
from ui.client import browser_id, client_address
from ui.escape import escape_markdown
from ui.times_caption import times_caption
from ui.trained_with import show_trained_with

# Redraw fast while a run starts (the first chart within a second of Train), then slower:
# every open tab re-renders its panel on this timer, and a class shares one server.
POLL_FIRST_S, POLL_LATER_S, POLL_QUEUED_S = 0.25, 1.5, 2.0
FAST_POLL_WINDOW_S = 3.0
# No snapshot read for this long means the tab is gone, and the run stops itself.
ABANDON_AFTER_S = settings.abandon_seconds()
# A shared server gives each run at most this much training time (the largest settings would
# otherwise hold a slot for the better part of an hour).
MAX_RUN_S = settings.max_run_seconds()
HEADLINE_HEIGHT = 400  # at 340 a projector's legend of four models left the plot 130 px
LIVE_CHART_HEIGHT = 250

_STATUS = {
    "succeeded": (st.success, "Reached the lab's success criterion; {steps} steps trained."),
    "completed": (st.info, "Finished all {steps} steps without reaching the success criterion."),
    "stopped": (st.warning, "Stopped after {steps} steps. {message}"),
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
    result = _panel(lab, config, key=lab.id, job=functools.partial(lab.run, config),
                    total_steps=lab.total_steps(config), label="Train", buttons=frame.buttons,
                    headline=(headline, colors), blocked=frame.problem, precomputed=True,
                    idle=idle, identity=run_identity(lab.id, config, lab_data(lab)),
                    phone_buttons=getattr(frame, "phone_buttons", None))
    # a run whose measurements a stop skipped has only its loss and headline: the page's
    # other figures need the measurements (the status line names what was skipped)
    return None if skipped_note(result) else result


def study_panel(lab, frame, name: str):
    """One of the lab's declared studies, inline: its button, progress and live loss."""
    study = lab.study(name)
    config = frame.config
    st.caption(study.about)
    result = _panel(lab, config, key=f"{lab.id}-{study.name}",
                    job=functools.partial(study.run, config),
                    total_steps=study.total_steps(config), label=study.label,
                    buttons=st.container(), headline=(None, None), blocked=frame.problem,
                    precomputed=False,
                    identity=run_identity(lab.id, config, lab_data(lab), part=study.name))
    return None if skipped_note(result) else result


def _panel(lab, config, *, key: str, job, total_steps: int, label: str, buttons,
           headline, blocked: str | None, precomputed: bool, idle: str = "",
           identity: str | None = None, phone_buttons=None):
    run_key, result_key = f"run:{key}", f"result:{key}"
    if st.session_state.pop(f"train-next:{key}", False) and not blocked:
        start_run(key, job, total_steps, config_dict(config), identity)  # a fresh seed's Train
    run: Viewer | None = st.session_state.get(run_key)
    snap = run.snapshot() if run is not None else None
    state = snap.state if snap is not None else None
    active = state in ("queued", "running")
    if snap is not None and snap.finished:
        _keep(snap, key, result_key)

    train_args = (key, job, total_steps, config_dict(config), identity)
    places = [(buttons, "")] + ([(phone_buttons, "phone")] if phone_buttons is not None else [])
    refused = st.session_state.pop(f"refused:{key}", None)
    shared = st.session_state.pop(f"shared:{key}", None)
    for place, where in places:
        if _buttons(place, key, label, active, bool(blocked), train_args, fresh=precomputed,
                    where=where):
            run.stop()  # this page stops watching; the run stops when nobody else watches
        if refused:
            place.warning(refused, icon=":material/block:")
        if shared:
            place.info(shared, icon=":material/group:")
    if precomputed:  # the main run: how long it takes, beside its Train button
        said = times_caption(lab, config, identity)
        for place, _ in places if said else ():  # a phone's Train too
            place.caption(said)

    result = st.session_state.get(result_key)
    if precomputed and not active:
        same = st.session_state.get(f"result-identity:{key}") == identity
        result = _with_precomputed(lab, config, result, same)
    view = st.container()
    if active:
        trained = st.session_state.get(f"run-config:{key}") or config_dict(config)
        with view:
            _live_view(run, key, result_key, headline, trained, _poll_interval(run, state))
    elif run is not None or result is not None:
        with view:
            _finished_view(run, result, headline, study=not precomputed,
                           verdict=None if not precomputed else lab.verdict, lab=lab, key=key)
    elif idle:
        view.info(idle, icon=":material/play_arrow:")
        if headline[0] is not None:
            # the empty figures hold the place (and load their drawing code) before Train,
            # so the first live chart appears without a jump or a wait
            with view:
                _charts([], {}, config_dict(config), headline, "idle")
    return result


def _buttons(buttons, key: str, label: str, active: bool, blocked: bool, train_args: tuple,
             fresh: bool, where: str = "") -> bool:
    """Train, Stop and (for the main run) Train again with a fresh seed; True when Stop was
    pressed. Train starts the run in its callback, before the page redraws, so the same
    redraw already shows Train disabled and the run queued or training. A page draws them
    twice, in the sidebar and (`where="phone"`) in the main area, where the page's style
    shows them only on a small screen whose sidebar is folded away."""
    suffix = f"-{where}" if where else ""
    left, right = buttons.columns(2)
    left.button(label, key=f"train{suffix}:{key}", type="primary", disabled=active or blocked,
                icon=":material/play_arrow:", width="stretch", on_click=start_run,
                args=train_args)
    stop = right.button("Stop", key=f"stop{suffix}:{key}", disabled=not active,
                        icon=":material/stop:", width="stretch")
    if fresh:
        buttons.button("Train again with a fresh seed", key=f"fresh{suffix}:{key}",
                       disabled=active or blocked, icon=":material/casino:", width="stretch",
                       on_click=_fresh_seed, args=(key,),
                       help="A new seed (new data and initial weights): a run of your own "
                            "rather than the one others with these settings share.")
    return stop


def _fresh_seed(key: str) -> None:
    from ui.links import SEED_MAX
    seed, fresh = int(st.session_state.get("seed", 0)), random.randint(0, SEED_MAX)
    st.session_state["seed"] = fresh if fresh != seed else (seed + 1) % (SEED_MAX + 1)
    st.session_state[f"train-next:{key}"] = True  # trained by the redraw, with the new seed


def start_run(key: str, job, total_steps: int, trained_config: dict,
              identity: str | None = None) -> None:
    """Start a panel's run (a button's callback), or join the identical run that is training
    or show the one that finished; a refusal is kept for the panel to show."""
    def new_run() -> Run:
        return Run(job, total_steps, label=key, abandon_after_s=ABANDON_AFTER_S,
                   max_seconds=MAX_RUN_S, owner=_session_id(), address=client_address(),
                   browser=browser_id())
    try:
        if identity is None:
            run = new_run()
            viewer, result, joined = run.watch(), None, False
            run.start()
        else:
            viewer, result, joined = SHARED.join_or_start(identity, new_run)
    except RunRefused as refusal:
        st.session_state[f"refused:{key}"] = refusal.message
        return
    if result is not None:  # the same run finished on this server: shown at once
        _store_result(key, result, identity)
        st.session_state.pop(f"run:{key}", None)
        st.session_state[f"shared:{key}"] = (
            "This exact run (same settings, seed, data and code) finished on this server a "
            "moment ago: shown at once. Train again with a fresh seed for a run of your own.")
        return
    if joined:
        st.session_state[f"shared:{key}"] = (
            "Someone on this server is already training exactly this run: you are watching "
            "it with them. Train again with a fresh seed for a run of your own.")
    st.session_state[f"run:{key}"] = viewer
    st.session_state[f"run-identity:{key}"] = identity
    # the live headline draws with the settings the run trains, not later slider moves
    st.session_state[f"run-config:{key}"] = trained_config


def _session_id() -> str:
    """Who the per-session run limit counts against: this browser tab's session."""
    return st.session_state.setdefault("run-owner", uuid.uuid4().hex)


def _poll_interval(run: Viewer, state: str) -> float:
    if state == "queued" and SLOTS.active >= max_concurrent_runs():
        return POLL_QUEUED_S  # really waiting; a free slot means it starts within a moment
    return POLL_FIRST_S if run.running_for() < FAST_POLL_WINDOW_S else POLL_LATER_S


def _with_precomputed(lab, config, result, same: bool):
    """Prefer a precomputed run of the current settings over a session run of other ones
    (`same`: the session's run is of this identity, data included)."""
    if result is not None and same and result.config == config_dict(config):
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


def _live_view(run: Viewer, key: str, result_key: str, headline, config: dict,
               interval: float) -> None:
    """One fragment on the polling timer draws the status, the live loss and the headline
    figure from one snapshot. (One, not one per figure: when the run ends it redraws the
    whole page, and a second fragment's pending timer would race that redraw.)"""
    st.fragment(run_every=interval)(_live_fragment)(run, key, result_key, headline, config,
                                                   interval)


def _live_fragment(run: Viewer, key: str, result_key: str, headline, config: dict,
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
        # in the progress bar's own line: a line more here would push the headline figure
        # below a projector's first screen
        done = headline_done(snap.history)
        st.progress(min(max(float(progress), 0.0), 1.0),
                    text=f"Training — step {snap.step}"
                         + (f" of {snap.total_steps}" if snap.total_steps else "")
                         + (f". {done}" if done else ""))
    _charts(snap.history, snap.live, config, headline, key)


def headline_done(history: list) -> str | None:
    """While a run's rivals train after its headline model: a line saying so (the headline
    figure already shows the headline model finished). None before that, or with no rivals."""
    entry = next((h for h in reversed(history) if "headline_done" in h), None)
    if entry is None:
        return None
    name = str(entry.get("headline") or entry.get("series") or "headline model")
    if entry.get("rivals_same_steps"):
        return (f"The headline model ({name}) is done; its rivals train the same "
                f"{entry['headline_done']} steps")
    return f"The headline model ({name}) is done; the models it is compared with still train"


def _keep(snap, key: str, result_key: str) -> None:
    """Store a finished run's Result once, keeping the one before it for A/B."""
    if snap.result is not None:
        _store_result(key, snap.result, st.session_state.get(f"run-identity:{key}"))


def _store_result(key: str, result, identity: str | None) -> None:
    result_key = f"result:{key}"
    if st.session_state.get(result_key) is not result:
        if st.session_state.get(result_key) is not None:
            st.session_state[f"previous:{key}"] = st.session_state[result_key]
        st.session_state[result_key] = result
        st.session_state[f"result-identity:{key}"] = identity


def _finished_view(run: Viewer | None, result, headline, study: bool = False,
                   verdict=None, lab=None, key: str = "") -> None:
    snap = run.snapshot() if run is not None else None
    # The figures come first, the verdict right under them, on every screen: on a projector
    # (720 pixels, present mode's larger type) a verdict of three or four lines above them
    # pushed the headline's foot off the screen (Forecast's Lorenz preset ended at 749 px),
    # and on a phone it pushed the whole headline below the first screen.
    _result_charts(result, headline)
    _status_lines(snap, result, study, verdict)
    # what each model was trained with, under its verdict (a study's panel has its own key)
    show_trained_with(result, lab, key or result.lab)


def _status_lines(snap, result, study: bool, verdict) -> None:
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
        said = _verdict_line(verdict, result)
        if said and result.status in ("succeeded", "completed"):
            text = "{verdict}"  # it names the criterion, the numbers and each model's steps
        show(text.format(steps=result.steps, message=message, status=result.status,
                         verdict=escape_markdown(said)))
    if skipped_note(result):
        st.warning(escape_markdown(skipped_note(result)), icon=":material/block:")


def _result_charts(result, headline) -> None:
    if result is not None:
        history = [dict(h, series=name) for name, hist in
                   (result.arrays.get("histories") or {"": result.history}).items()
                   for h in hist]
        _charts(history, result.arrays.get("live") or {}, result.config, headline,
                f"done:{result.lab}")


def _verdict_line(verdict, result) -> str:
    """The lab's one-sentence verdict on a finished run ("" without one, or when the Result
    lacks what it reads: a precomputed run from older code)."""
    if verdict is None or result is None:
        return ""
    try:
        return verdict(result)
    except (KeyError, TypeError, ValueError, IndexError):
        return ""


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
