"""The Sweep tab every lab page has: one or two knobs and their values, seeds and a metric;
the grid trains in the background as one run (a training slot, the session's limits, Stop),
its curve — mean and band over seeds — grows as points finish, and the result exports like a
run, with the command line that reproduces it.
"""
from __future__ import annotations

import re

import streamlit as st

from core import settings
from core.contract import ConfigError, config_dict, knobs
from core.runs import Run
from core.shared_runs import lab_data
from core.sweep import SweepSpec, lab_sweeps, parse_vary, plan_sweep, tabulate
from core.sweep.job import sweep_command, sweep_csv, sweep_job
from core.viz.sweep import sweep_curve
from ui.escape import escape_markdown
from ui.figures import how_to_read, show_figure
from ui.labels import knob_labels, metric_label
from ui.run_panel import POLL_LATER_S, start_run

VALUES_MAX_CHARS = 200
OWN = "my own"


def sweep_tab(lab, frame, last_result) -> None:
    key = f"{lab.id}-sweep"
    run_key, result_key, plan_key = f"run:{key}", f"result:{key}", f"sweep-plan:{key}"
    st.caption("Train a grid of knob values, each with several seeds, around the settings on "
               "the left; the curve shows the mean over seeds and a band of one spread.")
    plan, problem = _plan_from_form(lab, frame, last_result)
    run: Run | None = st.session_state.get(run_key)
    snap = run.snapshot() if run is not None else None
    active = snap is not None and not snap.finished
    if snap is not None and snap.finished and snap.result is not None:
        st.session_state[result_key] = snap.result
    left, right = st.columns([3, 2])
    job = (sweep_job(plan, engine=settings.sweep_engine(), max_in_flight=settings.sweep_parallel(),
                     data=lab_data(lab)) if plan is not None else None)
    left.button("Run sweep", key=f"train:{key}", type="primary", icon=":material/play_arrow:",
                disabled=active or plan is None, width="stretch", on_click=_start,
                args=(key, job, plan))
    refused = st.session_state.pop(f"refused:{key}", None)
    if refused:
        st.warning(refused, icon=":material/block:")
    if right.button("Stop", key=f"stop:{key}", disabled=not active, icon=":material/stop:",
                    width="stretch"):
        run.stop()
    if problem:  # holds the typed values: shown as typed, never as Markdown
        st.error(escape_markdown(problem), icon=":material/error:")
    if active:
        st.fragment(run_every=POLL_LATER_S)(_live)(run, st.session_state[plan_key])
    elif snap is not None and snap.state == "failed":
        st.error(f"The sweep failed: {escape_markdown(snap.error)}. Finished points, if any, "
                 "are lost with it; check the settings and run it again.")
    result = st.session_state.get(result_key)
    if result is not None and not active:
        _finished(result, st.session_state.get(plan_key))


def _start(key: str, job, plan) -> None:
    """Start the sweep as a run (the button's callback, so the tab redraws with it going)."""
    start_run(key, job, plan.total, {})
    if f"run:{key}" in st.session_state:
        st.session_state[f"sweep-plan:{key}"] = plan


def _plan_from_form(lab, frame, last_result):
    """The sweep the form describes, checked against the lab (None and why, if it is not)."""
    fields = [f for f in knobs(lab.Config) if f.name != "seed"]
    names = [f.name for f in fields]
    labels = {f.name: f.metadata["label"] for f in fields}
    named = lab_sweeps(lab)
    k1, v1, k2, v2 = (f"sweep-{part}:{lab.id}" for part in ("knob1", "values1", "knob2",
                                                             "values2"))
    st.session_state.setdefault(k1, names[0])
    st.session_state.setdefault(v1, _suggest(lab, frame.config, st.session_state[k1]))
    st.session_state.setdefault(k2, "none")
    st.session_state.setdefault(v2, "")
    st.selectbox("Start from", [OWN] + list(named), key=f"sweep-pick:{lab.id}",
                 on_change=_apply_named, args=(lab, named),
                 help="The lab's prepared sweeps fill in the form; change anything.")
    c1, c2 = st.columns(2)
    first = c1.selectbox("Vary", names, format_func=labels.get, key=k1,
                         on_change=_suggest_values, args=(lab, frame.config, k1, v1))
    first_values = c1.text_input("Values (comma-separated)", key=v1,
                                 max_chars=VALUES_MAX_CHARS)
    second = c2.selectbox("… and across", ["none"] + [n for n in names if n != first],
                          format_func=lambda n: "nothing (one curve)" if n == "none"
                          else labels[n], key=k2,
                          on_change=_suggest_values, args=(lab, frame.config, k2, v2))
    second_values = c2.text_input("Values (comma-separated)", key=v2,
                                  max_chars=VALUES_MAX_CHARS, disabled=second == "none")
    c3, c4 = st.columns(2)
    st.session_state.setdefault(f"sweep-seeds:{lab.id}", 3)
    seeds = c3.slider("Seeds per point", 1, 5, key=f"sweep-seeds:{lab.id}")
    metric = _metric_picker(lab, last_result, c4)
    try:
        pairs = [f"{first}={first_values}"] + (
            [f"{second}={second_values}"] if second != "none" else [])
        vary = parse_vary(pairs)
        defaults = config_dict(lab.Config())
        held = {k: v for k, v in config_dict(frame.config).items()
                if k not in vary and (k == "seed" or v != defaults.get(k))}
        plan = plan_sweep(lab, SweepSpec(vary=vary, seeds=seeds, metric=metric,
                                         overrides=held))
    except ConfigError as exc:
        return None, f"This sweep cannot run: {page_words(str(exc))}"
    limit = settings.max_sweep_points()
    if plan.total > limit:
        return None, (f"This sweep has {plan.total} points; this server runs at most {limit} "
                      f"per sweep. Use fewer values or seeds.")
    st.caption(f"{plan.total} points: {len(plan.combos())} combinations × {len(plan.seeds)} "
               f"seeds, each a full run of the settings on the left.")
    return plan, None


# The sweep's checks speak the command line's language; the page has fields, not flags.
_FLAG_PHRASES = (("--vary expects knob=v1,v2,..., got", "expected comma-separated values, got"),
                 ("; use --seeds N", "; set Seeds per point instead"),
                 ("also fixed by --set; choose one", "also held fixed; vary it or hold it"),
                 ("e.g. seq_len=20,40", "e.g. 20,40"))
_FLAG = re.compile(r"--[a-z][a-z-]*:?\s*")


def page_words(message: str) -> str:
    """A sweep check's message without the command-line flags it names."""
    for flag, words in _FLAG_PHRASES:
        message = message.replace(flag, words)
    return _FLAG.sub("", message)


def _suggest_values(lab, config, knob_key: str, values_key: str) -> None:
    """A newly chosen knob starts with values that make sense for it."""
    knob = st.session_state.get(knob_key)
    st.session_state[values_key] = "" if knob == "none" else _suggest(lab, config, knob)


def select_sweep(lab, name: str) -> None:
    """Fill the form with one of the lab's named sweeps and open the Sweep tab (a preset that
    is a sweep calls this)."""
    st.session_state[f"sweep-pick:{lab.id}"] = name
    _apply_named(lab, lab_sweeps(lab))
    st.session_state[f"tabs:{lab.id}"] = "Sweep"


def _apply_named(lab, named: dict) -> None:
    spec = named.get(st.session_state.get(f"sweep-pick:{lab.id}"))
    if spec is None:
        return
    knobs_varied = list(spec.vary)
    st.session_state[f"sweep-knob1:{lab.id}"] = knobs_varied[0]
    st.session_state[f"sweep-values1:{lab.id}"] = ",".join(map(str, spec.vary[knobs_varied[0]]))
    second = knobs_varied[1] if len(knobs_varied) > 1 else "none"
    st.session_state[f"sweep-knob2:{lab.id}"] = second
    st.session_state[f"sweep-values2:{lab.id}"] = (",".join(map(str, spec.vary[second]))
                                                   if second != "none" else "")
    st.session_state[f"sweep-seeds:{lab.id}"] = min(max(spec.seeds, 1), 5)
    st.session_state[f"sweep-metric:{lab.id}"] = spec.metric


def _suggest(lab, config, name: str) -> str:
    """Every choice of a choice knob; otherwise the current value and its neighbours."""
    f = next((f for f in knobs(lab.Config) if f.name == name), None)
    if f is None:
        return ""
    if f.metadata["choices"] is not None:
        return ",".join(map(str, f.metadata["choices"]))
    current = getattr(config, name)
    if isinstance(current, bool):
        return "false,true"
    return str(current)


def _metric_picker(lab, last_result, container) -> str:
    from core.sweep import scalar_metrics
    known = sorted(scalar_metrics(last_result.metrics)) if last_result is not None else []
    default = (lab.picture[0] if lab.picture else None) or "accuracy"
    options = known or [default]
    chosen = st.session_state.get(f"sweep-metric:{lab.id}")
    if chosen and chosen not in options:
        options = [chosen] + options
    if f"sweep-metric:{lab.id}" not in st.session_state:
        st.session_state[f"sweep-metric:{lab.id}"] = default if default in options else options[0]
    return container.selectbox("Metric", options, key=f"sweep-metric:{lab.id}",
                               help="Any scalar the lab reports; train once to list them all.")


def _live(run: Run, plan) -> None:
    snap = run.snapshot()
    if snap.finished:
        st.rerun()
    live = next(iter(snap.live.values()), {})
    records = live.get("records", [])
    if snap.state == "queued":
        st.info(f"Queued: position {snap.queue_position or 1} for a training slot.",
                icon=":material/hourglass_top:")
    else:
        eta = snap.latest.get("eta_s")
        where = live.get("where") or "starting the sweep engine…"
        st.progress(min(max(float(snap.latest.get("progress", 0.0)), 0.0), 1.0),
                    text=f"Sweep — {snap.step} of {plan.total} points"
                         + (f", about {eta:.0f} s left" if eta else "") + f" · {where}")
    show_figure(sweep_curve(tabulate(plan, records), list(plan.knobs), plan.metric,
                            len(records), plan.total, labels=_labels(plan.lab, plan.metric)),
                key="sweep-live")


def _finished(result, plan) -> None:
    m = result.metrics
    text = (f"Sweep {result.status}: {m['points_done']} of {m['points_total']} points"
            + (f", {m['points_failed']} failed" if m["points_failed"] else "")
            + f", in {result.wall_s:.0f} s on {m['where'] or 'this machine'}.")
    (st.success if result.success else st.warning)(text + (
        " " + escape_markdown(result.message) if result.message else ""))
    show_figure(sweep_curve(m["rows"], result.arrays["knobs"], m["metric"],
                            labels=_labels(result.lab, m["metric"])), key="sweep-done")
    how_to_read("each dot is one seed's run, the line their mean and the band one spread "
                "(sample standard deviation over seeds) either side. Every point trained the "
                "settings on the left with the knobs shown changed; seed i is the same for every "
                "point, so a difference between points is the knob's doing.")
    if plan is None:
        return
    labels = _labels(result.lab, m["metric"])
    st.dataframe([{**{labels.get(k, k): r[k] for k in result.arrays["knobs"]}, "seeds": r["n"],
                   f"mean {labels[m['metric']]}": _number(r["mean"]),
                   "spread": _number(r["spread"]),
                   "values": ", ".join(_number(v) for v in r["values"])}
                  for r in m["rows"]], hide_index=True)
    cols = st.columns(2)
    cols[0].download_button("Sweep (JSON)", result.to_json(indent=1),
                            file_name=f"{result.lab}-sweep.json", mime="application/json")
    cols[1].download_button("Table (CSV)", sweep_csv(plan, result),
                            file_name=f"{result.lab}-sweep.csv", mime="text/csv")
    st.markdown("The command that reproduces this sweep:")
    st.code(sweep_command(plan), language="bash")



def _labels(lab_id: str, metric: str) -> dict:
    """Knob labels and the metric's, by raw name, for the curve's axes and the table."""
    from core.labs import get_lab
    return {**knob_labels(get_lab(lab_id)), metric: metric_label(metric)}


def _number(value) -> str:
    """A table cell: four significant digits, "—" where a value is missing (one seed has no
    spread, a failed point no value)."""
    return "—" if value is None else f"{value:.4g}"
