"""The times a page quotes beside Train: each finished run's own first-figure and
whole-picture seconds, kept per identity on the server, and the bench's numbers shipped for
every lab's default demo. Nothing here asserts how long anything took, only how times are
recorded, ordered and worded."""
import functools
import json
import re
import threading
from pathlib import Path

import pytest

from core.contract import Result
from core.cpu_name import cpu_words
from core.labs import all_labs
from core.run_times import (BENCH_TIMES, RunTimes, bench_caption, bench_ranges,
                            bench_times_file, carries_figure, load_bench_times, machine_words,
                            other_cpu_words, server_caption)
from core.runs import SLOTS, Run
from core.shared_runs import SharedRuns
from test_run_limits import wait_until

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def idle_slots():
    assert wait_until(lambda: SLOTS.active == 0 and SLOTS.waiting == 0), "slots left busy"
    yield
    assert wait_until(lambda: SLOTS.active == 0 and SLOTS.waiting == 0)


def figure_job(status: str = "succeeded", figure: bool = True):
    """Two training steps, then figure data, then one more step."""
    def job(on_step, should_stop):
        on_step(1, {"loss": 2.0})
        on_step(2, {"loss": 1.5})
        if figure:
            on_step(2, {"eval": True, "accuracy": 0.5, "live": {"x": [1, 2]}})
        on_step(3, {"loss": 1.0})
        return Result("toy", {}, {}, status == "succeeded", status, 3, 0.0)
    return job


def test_a_finished_run_records_its_first_figure_before_its_whole_picture():
    run = Run(figure_job(), 3).start()
    run.join(10)
    times = run.times()
    assert times is not None and times.first_figure_s is not None
    assert 0 <= times.first_figure_s <= times.full_picture_s
    assert times.queued_s >= 0


def test_a_run_with_no_figure_data_has_no_first_figure_and_a_stopped_run_no_times():
    quiet = Run(figure_job(figure=False), 3).start()
    stopped = Run(figure_job("stopped"), 3).start()
    quiet.join(10)
    stopped.join(10)
    assert quiet.times().first_figure_s is None and quiet.times().full_picture_s >= 0
    assert stopped.times() is None  # not the whole picture: nothing to quote


def test_the_server_keeps_the_last_runs_times_per_identity():
    shared = SharedRuns()
    for _ in range(2):
        viewer, _, joined = shared.join_or_start("same", lambda: Run(figure_job(), 3))
        assert not joined
        viewer.run.join(10)
        assert wait_until(lambda: "same" not in shared._live)
        shared._finished.clear()  # a fresh Train of the same settings, not a shown Result
    other, _, _ = shared.join_or_start("other", lambda: Run(figure_job("stopped"), 3))
    other.run.join(10)
    assert wait_until(lambda: "other" not in shared._live)
    records = shared.times("same")
    assert len(records) == 2 and all(r.first_figure_s <= r.full_picture_s for r in records)
    assert shared.times("other") == [] and shared.times("never") == []


def test_a_smoke_run_of_a_real_lab_records_times():
    lab = all_labs()["bidirectional"]
    config = lab.make_config(lab.smoke)
    run = Run(functools.partial(lab.run, config), lab.total_steps(config)).start()
    run.join(120)
    times = run.times()
    assert times is not None, run.snapshot().error
    assert times.first_figure_s is not None and times.first_figure_s <= times.full_picture_s


def test_the_bench_and_the_run_share_one_definition_of_the_first_figure():
    from core.bench import ProgressClock
    clock = ProgressClock()
    clock(1, {"loss": 1.0})
    assert clock.first_figure_s is None and not carries_figure({"loss": 1.0})
    clock(1, {"live": {}})
    assert clock.first_figure_s is not None and carries_figure({"eval": True})


def test_the_shipped_bench_times_cover_every_lab_with_first_before_full():
    data = load_bench_times()
    assert data, f"{BENCH_TIMES} missing or unreadable"
    assert set(data["labs"]) == set(all_labs())
    assert data["machine"] and data["cpu_cores"] and data["device"] and data["torch"]
    for lab, row in data["labs"].items():
        assert 0 <= row["first_figure_s"] <= row["full_picture_s"], lab


def test_the_bench_times_match_the_readme_table():
    """The README's table and the shipped file are one measurement: regenerate both."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Measured on this project's machine"):]
    data = load_bench_times()
    for lab, row in data["labs"].items():
        cells = re.search(rf"^\| {lab} \| \w+ \| ([\d.—]+) \| [\d.—]+ \| ([\d.]+) \|", table,
                          re.M)
        assert cells, lab
        assert float(cells[1]) == pytest.approx(row["first_figure_s"], abs=0.051), lab
        assert float(cells[2]) == pytest.approx(row["full_picture_s"], abs=0.051), lab


def test_captions_say_where_the_times_were_measured():
    data = load_bench_times()
    row = data["labs"]["gradients"]
    assert bench_caption(data, "gradients").startswith(
        f"Measured by the bench on this project's 2-core machine ({data['cpu']}): first figure "
        f"after {row['first_figure_s']:.1f} s, the whole picture after "
        f"{row['full_picture_s']:.1f} s (this default demo; longer while others train).")
    assert "first figure in under 0.1 s" in bench_caption(data, "vrae")
    assert bench_caption(data, "no-such-lab") == "" and bench_caption({}, "gradients") == ""
    assert server_caption([RunTimes(1.8, 14.3)]) == (
        "On this server: first figure after 1.8 s, the whole picture after 14.3 s "
        "(last run of these settings).")
    said = server_caption([RunTimes(1.0, 12.0), RunTimes(2.0, 20.5, queued_s=12.4)])
    assert "waited 12 s in the queue" in said and "the last 2 took 12.0–20.5 s" in said


def test_save_times_writes_a_file_the_page_reads(tmp_path):
    from core.bench import save_times
    path = tmp_path / "times.json"
    path.write_text(json.dumps({"labs": {"stack": {"first_figure_s": 0.2,
                                                   "full_picture_s": 18.5}}}))
    save_times([{"lab": "gradients", "first_figure_s": 1.234, "full_picture_s": 14.31,
                 "success": True}], str(path))
    data = load_bench_times(path)
    assert data["labs"]["gradients"]["full_picture_s"] == 14.31
    assert data["labs"]["stack"]["full_picture_s"] == 18.5  # a lab not benched keeps its row
    assert data["date"] and data["torch"] and data["cpu_cores"]
    assert bench_caption(data, "gradients").startswith("Measured by the bench on this project's")


def test_bench_times_file_rounds_and_keeps_the_machine():
    data = bench_times_file([{"lab": "x", "first_figure_s": None, "full_picture_s": 3.14159,
                              "success": False}], machine="m", cpu_cores=2, device="CPU",
                            torch_version="t", date="d")
    assert data["labs"]["x"] == {"first_figure_s": None, "full_picture_s": 3.14,
                                 "success": False}
    assert bench_caption(data, "x") == (
        "Measured by the bench on this project's 2-core machine: the whole picture after 3.1 s "
        "(this default demo; longer while others train).")


def test_a_time_from_another_cpu_says_so():
    data = {**bench_times_file([{"lab": "x", "first_figure_s": 0.5, "full_picture_s": 9.0,
                                 "success": True}], machine="m", cpu_cores=2, device="CPU",
                               torch_version="t", date="d", cpu="Intel Xeon, AVX-512")}
    assert machine_words(data) == "this project's 2-core machine (Intel Xeon, AVX-512)"
    assert other_cpu_words(data, "Intel Xeon, AVX-512") == ""
    assert other_cpu_words(data, "AMD EPYC, AVX2") == (
        " This server has another CPU (AMD EPYC, AVX2): its times can differ by 2x or more.")
    assert other_cpu_words({"labs": {}}, "AMD EPYC, AVX2") == ""  # no CPU recorded: say nothing


def test_the_cpu_in_a_few_words():
    xeon = ("model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz\n"
            "flags\t\t: fpu sse avx avx2 avx512f\n")
    assert cpu_words(xeon) == "Intel Xeon Platinum 8375C, AVX-512"
    epyc = "model name\t: AMD EPYC 7B13 64-Core Processor\nflags\t\t: fpu avx avx2\n"
    assert cpu_words(epyc) == "AMD EPYC 7B13, AVX2"
    assert cpu_words("model name\t: AMD EPYC\nflags\t\t: fpu sse2\n") == "AMD EPYC"


def test_the_headline_done_line_names_the_rivals_steps():
    from ui.run_panel import headline_done
    assert headline_done([{"loss": 1.0, "series": "lstm"}]) is None
    said = headline_done([{"loss": 1.0}, {"series": "lstm · init 2", "headline": "lstm",
                                          "headline_done": 625, "rivals_same_steps": True},
                          {"loss": 2.0}])
    assert said.startswith("The headline model (lstm) is done; its rivals train the same 625")


@pytest.mark.parametrize("at_once", [1, 2])
def test_train_arms_says_when_the_headline_is_done(at_once):
    from core.arm_scheduler import arms_at_once
    from core.arms import Arm, Trained, train_arms
    from core.train import TrainLog

    def train_one(arm, steps, report, should_stop):
        for step in range(1, steps + 1):
            report(step, {"loss": 1.0 / step})
        return Trained(arm, None, TrainLog(steps=steps, status="completed"))
    entries, lock = [], threading.Lock()

    def on_step(step, metrics):
        with lock:
            entries.append(dict(metrics))
    with arms_at_once(at_once):
        train_arms([Arm("main"), Arm("rival")], train_one, steps=4, on_step=on_step)
    marks = [i for i, e in enumerate(entries) if "headline_done" in e]
    assert len(marks) == 1
    mark = entries[marks[0]]
    assert mark["headline_done"] == 4 and mark["rivals_same_steps"]
    assert mark["series"] == mark["headline"] == "main"
    assert all(e["series"] != "main" or "loss" not in e for e in entries[marks[0]:])


def sidebar_captions(at) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_the_page_quotes_the_bench_for_the_default_demo_only_then_its_own_runs():
    from conftest import wait_for_result
    from test_pages import open_page, set_knob
    at = open_page("bidirectional")
    shipped = bench_caption(load_bench_times(), "bidirectional")
    assert shipped.startswith("Measured by the bench on this project's 2-core machine (")
    assert shipped in sidebar_captions(at)
    lab = all_labs()["bidirectional"]
    for name, value in lab.smoke.items():
        set_knob(at, f"bidirectional.{name}", value)
    at.run()
    assert not any(c.startswith(("Measured", "On this server")) for c in sidebar_captions(at))
    at.button(key="train:bidirectional").click()
    wait_for_result(at, "bidirectional")
    at.run()
    (said,) = [c for c in sidebar_captions(at) if c.startswith("On this server: ")]
    assert "the whole picture after" in said and "(last run of these settings" in said


def test_the_home_page_and_readme_quote_the_measured_times():
    from test_pages import open_page
    first, shortest, longest = bench_ranges(load_bench_times())
    at = open_page("home")
    text = " ".join(m.value for m in at.markdown)
    assert (f"first figure within {first:.1f} s of the start of training and its whole picture "
            f"after {shortest:.1f}–{longest:.1f} s") in text
    readme = (ROOT / "README.md").read_text()
    top = readme[:readme.index("![")]
    assert f"full picture at {shortest:.1f}–{longest:.1f} s" in top
    worst = re.search(r"with a class pressing Train on the same server it took up to (\d+) s",
                      text)
    assert worst and f"{worst[1]} s with a class pressing Train" in top  # the browser's number
    for claim in ("within seconds", "a few seconds", "show at once", "in seconds"):
        assert claim not in text.lower() and claim not in top.lower(), claim
