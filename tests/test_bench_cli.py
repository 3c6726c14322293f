"""The benchmark command runs and reports its columns (it measures; nothing here asserts a
time)."""
import json
import subprocess
import sys


def test_bench_reports_each_requested_lab():
    out = subprocess.run([sys.executable, "-m", "core", "bench", "bidirectional", "--json"],
                         capture_output=True, text=True, check=True)
    (row,) = json.loads(out.stdout)
    assert row["lab"] == "bidirectional" and row["steps"] > 0
    assert set(row) >= {"success", "seconds_to_success", "steps_per_s", "wall_s"}


def test_bench_table_has_a_row_per_lab():
    out = subprocess.run([sys.executable, "-m", "core", "bench", "bidirectional"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[1].startswith("| lab | success |") and out[3].startswith("| bidirectional |")


def test_bench_of_an_unknown_lab_exits_2_naming_it(capsys):
    from core.__main__ import main
    assert main(["bench", "bidirectional", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no empty table that looks like a measurement
    assert captured.err.startswith("error: unknown lab 'nope'; known labs: gradients")


def test_a_long_lab_name_is_quoted_short(capsys):
    from core.__main__ import main
    name = "x" * 10_000
    for argv in (["run", name], ["knobs", name], ["study", name, "tbptt"],
                 ["sweep", name, "--vary", "steps=1"], ["precompute", name]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "unknown lab 'xxxx" in err and "(… 10000 characters)" in err
        assert len(err) < 400 and "Traceback" not in err
