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
