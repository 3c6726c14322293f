"""Sweeps without Ray: the grid and its checks, the table's statistics, the point file and
resume, the background handle (progress, failures, Stop), and the command line with --local.
The same engine on a real Ray cluster is tested in test_sweep_ray.py."""
import json
import math
import statistics
import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.__main__ import main
from core.contract import ConfigError
from core.labs import all_labs, get_lab
from core.sweep import (SweepRun, SweepSpec, create_store, csv_table, lab_sweeps,
                        mean_and_spread, parse_vary, plan_sweep, point_key, resume_store,
                        run_point, scalar_metrics, tabulate)

GRADIENTS = get_lab("gradients")
SMOKE = {"steps": 20, "hidden": 8, "eval_every": 10, "compare_cells": False}
SMOKE_ARGS = [a for k, v in SMOKE.items() for a in ("--set", f"{k}={v}")]


def plan_of(vary, seeds=2, metric="accuracy", overrides=None):
    return plan_sweep(GRADIENTS, SweepSpec(vary=vary, seeds=seeds, metric=metric,
                                           overrides=dict(SMOKE if overrides is None
                                                          else overrides)))


# -- the grid -------------------------------------------------------------------------------

def test_grid_is_every_combination_times_every_seed_with_values_coerced():
    plan = plan_of(parse_vary(["seq_len=10,20,30", "cell=rnn,gru"]), seeds=3,
                   overrides={**SMOKE, "seed": "5"})
    assert plan.vary == (("seq_len", (10, 20, 30)), ("cell", ("rnn", "gru")))
    assert plan.seeds == (5, 6, 7) and plan.total == 18
    points = plan.points()
    assert len({p.key for p in points}) == 18
    # seed-major: the whole first curve comes before the second seed starts
    assert [p.seed for p in points[:6]] == [5] * 6
    assert plan.config_overrides(points[0]) == {**SMOKE, "seq_len": 10, "cell": "rnn"}
    assert "seed" not in plan.overrides


def test_default_seeds_start_at_the_labs_default_seed():
    assert plan_of({"cell": ("rnn",)}, seeds=2).seeds == (0, 1)


@pytest.mark.parametrize("vary, overrides, seeds, fragment", [
    ({"cel": ("rnn",)}, {}, 1, "--vary: unknown knob 'cel'"),
    ({"seq_len": ("10", "2000")}, {}, 1, "--vary seq_len: 2000 is above the maximum 300"),
    ({"cell": ("rnn", "tcn")}, {}, 1, "--vary cell: 'tcn' is not one of"),
    ({"seq_len": ("10", "10")}, {}, 1, "lists a value twice"),
    ({"seed": (1, 2)}, {}, 1, "use --seeds"),
    ({"cell": ("rnn",)}, {"cell": "gru"}, 1, "also fixed by --set"),
    ({"cell": ("rnn",)}, {"stepz": "3"}, 1, "--set: unknown knob 'stepz'"),
    ({"cell": ("rnn",)}, {"steps": "many"}, 1, "--set steps: expected a whole number"),
    ({"cell": ("rnn",)}, {}, 0, "--seeds: expected a whole number from 1"),
    ({"cell": ("rnn",)}, {}, 101, "--seeds"),
    ({}, {}, 1, "name at least one knob"),
    ({"cell": "rnn"}, {}, 1, "needs a list of values"),
    ({"seq_len": tuple(range(5, 300)), "hidden": tuple(range(4, 100, 4))}, {}, 1,
     "the grid has"),
])
def test_bad_sweeps_are_refused_naming_the_problem(vary, overrides, seeds, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        plan_sweep(GRADIENTS, SweepSpec(vary=vary, seeds=seeds, overrides=overrides))


@pytest.mark.parametrize("items, fragment", [
    (["seq_len"], "expects knob=v1,v2"), (["seq_len=10,,20"], "empty value"),
    (["seq_len=10", "seq_len=20"], "given twice")])
def test_vary_syntax_errors(items, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_vary(items)


@pytest.mark.parametrize("lab_id, spec", [(lab.id, spec) for lab in all_labs().values()
                                          for spec in lab.sweeps])
def test_named_sweeps_fit_their_labs(lab_id, spec):
    lab = get_lab(lab_id)
    assert lab_sweeps(lab)[spec.name] is spec
    assert plan_sweep(lab, spec).total == spec.seeds * math.prod(map(len, spec.vary.values()))


# -- statistics and the table ---------------------------------------------------------------

def test_mean_and_spread_exact_case():
    mean, spread = mean_and_spread([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and spread == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    assert mean_and_spread([0.7]) == (0.7, None) and mean_and_spread([]) == (None, None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=12))
def test_mean_and_spread_match_the_statistics_module(values):
    mean, spread = mean_and_spread(values)
    assert mean == pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-9)
    assert spread == pytest.approx(statistics.stdev(values), rel=1e-7, abs=1e-6)


def _record(plan, combo, seed, value, status="ok"):
    return {"key": point_key(combo, seed), "combo": combo, "seed": seed, "status": status,
            "metrics": {} if value is None else {"accuracy": value}, "attempts": 1}


def test_table_rows_follow_the_grid_and_skip_missing_values():
    plan = plan_of({"cell": ("rnn", "lstm")}, seeds=3)
    records = [_record(plan, {"cell": "rnn"}, 0, 0.2), _record(plan, {"cell": "rnn"}, 1, 0.4),
               _record(plan, {"cell": "rnn"}, 2, None, status="failed"),
               _record(plan, {"cell": "lstm"}, 0, 0.9)]
    rnn, lstm = tabulate(plan, records)
    assert rnn["cell"] == "rnn" and rnn["values"] == [0.2, 0.4, None]
    assert rnn["n"] == 2 and rnn["failed"] == 1 and rnn["mean"] == pytest.approx(0.3)
    assert rnn["spread"] == pytest.approx(math.sqrt(0.02))
    assert rnn["sem"] == pytest.approx(math.sqrt(0.02) / math.sqrt(2))
    assert lstm["n"] == 1 and lstm["spread"] is None and lstm["values"] == [0.9, None, None]
    lines = csv_table(plan, [rnn, lstm]).splitlines()
    assert lines[0] == "cell,metric,n,mean,spread,sem,failed,seed_0,seed_1,seed_2"
    assert lines[2] == "lstm,accuracy,1,0.9,,,0,0.9,,"


def test_scalar_metrics_flatten_nested_numbers_only():
    flat = scalar_metrics({"accuracy": 0.5, "ok": True, "bad": float("nan"), "curve": [1, 2],
                           "name": "x", "comparison": {"rnn": {"accuracy": 0.25}}})
    assert flat == {"accuracy": 0.5, "ok": 1.0, "bad": None, "comparison.rnn.accuracy": 0.25}


# -- the point file and resume --------------------------------------------------------------

def test_store_resume_keeps_finished_points_and_reruns_failed_ones(tmp_path):
    plan = plan_of({"cell": ("rnn", "lstm")}, seeds=2)
    path = tmp_path / "points.jsonl"
    store = create_store(path, plan)
    a, b = plan.points()[:2]
    store.append(_record(plan, a.combo, a.seed, 0.3))
    store.append(_record(plan, b.combo, b.seed, None, status="failed"))
    with path.open("a") as fh:
        fh.write('{"key": "torn')  # the process died mid-line
    again, done = resume_store(path, plan)
    assert [r["key"] for r in done] == [a.key]
    again.append(_record(plan, b.combo, b.seed, 0.6))  # the rerun succeeds: latest record wins
    _, done = resume_store(path, plan)
    assert sorted(r["key"] for r in done) == sorted([a.key, b.key])
    with pytest.raises(ConfigError, match="already exists"):
        create_store(path, plan)


@pytest.mark.parametrize("other, fragment", [
    ({"vary": {"cell": ("rnn", "gru")}}, "varies cell over rnn, lstm, this sweep over rnn, gru"),
    ({"vary": {"seq_len": (10, 20)}}, "it varies cell, this sweep varies seq_len"),
    ({"seeds": 3}, "seeds"),
    ({"overrides": {**SMOKE, "hidden": 16}}, "it fixes"),
])
def test_resume_refuses_a_different_grid(tmp_path, other, fragment):
    plan = plan_of({"cell": ("rnn", "lstm")}, seeds=2)
    create_store(tmp_path / "p.jsonl", plan)
    args = {"vary": {"cell": ("rnn", "lstm")}, "seeds": 2, "overrides": SMOKE, **other}
    with pytest.raises(ConfigError, match=fragment):
        resume_store(tmp_path / "p.jsonl", plan_of(**args))


def test_resume_refuses_a_file_that_is_not_a_point_file(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}\n')
    with pytest.raises(ConfigError, match="not a sweep point file"):
        resume_store(tmp_path / "x.json", plan_of({"cell": ("rnn",)}))


# -- the background handle, with points that do not train -----------------------------------

def fake_point(lab_id, overrides, seed, should_stop=None):
    if overrides.get("cell") == "gru" and seed == 1:
        raise ValueError("this point is broken")
    return {"run_status": "completed", "metrics": {"accuracy": overrides["seq_len"] / 100 + seed},
            "wall_s": 0.0, "worker": "here"}


def test_handle_reports_every_point_including_failures():
    plan = plan_of({"seq_len": (10, 20), "cell": ("rnn", "gru")}, seeds=2)
    seen = []
    run = SweepRun(plan, engine="local", point_fn=fake_point, on_point=seen.append).start()
    run.join(30)
    snap = run.snapshot()
    assert snap.state == "done" and snap.engine == "local"
    assert (snap.total, snap.done, snap.failed) == (8, 6, 2) and snap.progress == 1.0
    assert [r["key"] for r in seen] == [p.key for p in plan.points()]
    broken = [r for r in snap.records if r["status"] == "failed"]
    assert {(r["combo"]["cell"], r["seed"]) for r in broken} == {("gru", 1)}
    assert broken[0]["error"] == "ValueError: this point is broken"
    row = tabulate(plan, snap.records)[0]
    assert row["values"] == [0.1, 1.1]


def test_stop_keeps_finished_points_and_a_resume_runs_only_the_rest(tmp_path):
    plan = plan_of({"seq_len": (10, 20, 30)}, seeds=2)
    third_started, release = threading.Event(), threading.Event()
    calls = []

    def slow_third(lab_id, overrides, seed, should_stop=None):
        calls.append((overrides["seq_len"], seed))
        if len(calls) == 3:
            third_started.set()
            while not should_stop():  # a long point: only Stop ends it
                release.wait(0.01)
        return {"metrics": {"accuracy": 0.5}, "wall_s": 0.0, "worker": "here"}

    path = tmp_path / "p.jsonl"
    run = SweepRun(plan, engine="local", point_fn=slow_third,
                   store=create_store(path, plan)).start()
    assert third_started.wait(30)
    mid = run.snapshot()
    assert mid.state == "running" and mid.done == 2 and mid.eta_s is not None
    run.stop()
    run.join(30)
    snap = run.snapshot()
    assert snap.state == "stopped" and snap.done == 2  # the interrupted point is not a result
    _, done = resume_store(path, plan)
    assert sorted(r["key"] for r in done) == sorted(r["key"] for r in snap.records)
    calls.clear()
    rest = SweepRun(plan, engine="local", point_fn=fake_point, done=done).start()
    rest.join(30)
    after = rest.snapshot()
    assert after.state == "done" and after.done == 6 and after.resumed == 2
    assert len(after.records) == 6


def test_a_metric_the_lab_does_not_report_fails_after_the_first_point():
    plan = plan_of({"seq_len": (10, 20, 30)}, seeds=2, metric="acuracy")
    run = SweepRun(plan, engine="local", point_fn=fake_point).start()
    run.join(30)
    snap = run.snapshot()
    assert snap.state == "failed" and len(snap.records) == 1
    assert snap.error == "--metric: gradients does not report 'acuracy'; it reports: accuracy"


# -- real points ----------------------------------------------------------------------------

def test_a_point_is_the_labs_own_run():
    overrides = {**SMOKE, "cell": "gru", "seq_len": 10}
    point = run_point("gradients", overrides, seed=3)
    result = GRADIENTS.run(GRADIENTS.make_config({**overrides, "seed": 3}))
    assert point["metrics"]["accuracy"] == result.metrics["accuracy"]
    assert point["metrics"]["final_loss"] == result.metrics["final_loss"]
    assert point["metrics"]["steps"] == result.steps and point["run_status"] == result.status


def test_cli_local_sweep_saves_resumes_and_writes_csv(tmp_path, capsys):
    out, csv_path = tmp_path / "p.jsonl", tmp_path / "t.csv"
    argv = ["sweep", "gradients", "--vary", "seq_len=10,20", "--seeds", "2", "--local",
            *SMOKE_ARGS]
    assert main([*argv, "--out", str(out), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["engine"] == "local" and first["done"] == 4 and len(first["rows"]) == 2
    assert [r["n"] for r in first["rows"]] == [2, 2]
    assert len(out.read_text().splitlines()) == 5  # header + one line per point
    # nothing left to train: the table comes from the file, for another metric too
    assert main([*argv, "--resume", str(out), "--metric", "final_loss",
                 "--csv", str(csv_path)]) == 0
    printed = capsys.readouterr().out
    assert "4 resumed" in printed and "| seq_len | n | mean final_loss |" in printed
    saved = {json.loads(line)["key"]: json.loads(line) for line in out.read_text().splitlines()[1:]}
    row = csv_path.read_text().splitlines()[1].split(",")
    expected = [saved[point_key({"seq_len": 10}, s)]["metrics"]["final_loss"] for s in (0, 1)]
    assert [float(v) for v in row[-2:]] == expected


@pytest.mark.parametrize("extra, fragment", [
    (["--vary", "sq_len=10"], "--vary: unknown knob 'sq_len'"),
    (["--vary", "seq_len=10", "--set", "hidden=1"], "--set hidden: 1 is below the minimum"),
    (["--vary", "seq_len=10", "--resume", "/nonexistent/p.jsonl"], "--resume: no such file"),
    (["--vary", "seq_len=10", "--out", "/nonexistent/p.jsonl"], "--out: no directory"),
    (["--spec", "nope"], "--spec: gradients has no sweep named 'nope'"),
    (["--vary", "seq_len=10", "--address", "nonsense"], "expected host:port"),
])
def test_cli_refuses_bad_input_before_training(extra, fragment, capsys):
    local = [] if "--address" in extra else ["--local"]
    assert main(["sweep", "gradients", *local, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_sweeps_do_not_import_ray_until_one_starts():
    code = ("import sys, core.sweep, core.cli_sweep, core.__main__; "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_without_ray_the_sweep_runs_in_process_and_says_why(monkeypatch):
    import core.sweep
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    monkeypatch.setitem(sys.modules, "core.sweep.ray_engine", None)
    monkeypatch.delattr(core.sweep, "ray_engine", raising=False)  # imported by an earlier test
    monkeypatch.delenv("RNNLAB_RAY_ADDRESS", raising=False)
    plan = plan_of({"seq_len": (10, 20)}, seeds=1)
    run = SweepRun(plan, point_fn=fake_point).start()
    run.join(30)
    snap = run.snapshot()
    assert snap.state == "done" and snap.engine == "local" and snap.done == 2
    assert "Ray is not installed" in snap.note
    asked = SweepRun(plan, engine="ray", point_fn=fake_point).start()  # asked for: an error
    asked.join(30)
    assert asked.snapshot().state == "failed"
    assert "Ray is not installed here" in asked.snapshot().error


def test_an_address_where_nothing_listens_fails_in_seconds():
    import socket
    with socket.socket() as s:  # a port nobody listens on once this block closes it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = SweepRun(plan_of({"seq_len": (10,)}, seeds=1), address=f"127.0.0.1:{port}",
                   point_fn=fake_point).start()
    run.join(60)
    snap = run.snapshot()
    assert snap.state == "failed" and not snap.records
    assert snap.error.startswith(f"could not join the Ray cluster at 127.0.0.1:{port}: "
                                 f"nothing answers")
