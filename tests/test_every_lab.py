"""What every lab must do, checked once over the registry on each lab's `LAB.smoke` settings
(a new lab is covered by being registered), through the command line a reader would use:
`python -m core run LAB --json` trains it with the default device set to meta, so no tensor
is made without an explicit device, and prints a Result carrying the lab's benchmark metric
and what each of its models trained with;
an unknown knob is refused with exit code 2 and its name. The command runs in this process
(tests/cli_runner.py); one test starts a real interpreter, so the entry point is tested too.
Opening and training each page is tests/test_pages.py's."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from cli_runner import cli, sets
from core.contract import config_dict
from core.labs import all_labs

LABS = list(all_labs().values())
STATUSES = ("succeeded", "completed")


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_command_line_run_with_the_default_device_set_to_meta(lab):
    torch.set_default_device("meta")
    try:
        ran = cli("run", lab.id, "--json", *sets(lab.smoke))
    finally:
        torch.set_default_device(None)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["lab"] == lab.id and result["status"] in STATUSES, (result["status"],
                                                                      result["message"])
    assert result["config"] == json.loads(json.dumps(config_dict(lab.make_config(lab.smoke))))
    assert isinstance(result["success"], bool) and result["wall_s"] > 0
    if lab.picture:  # (metric, what it says): the number `python -m core bench` reports
        assert lab.picture[0] in result["metrics"], (lab.id, lab.picture[0])
    assert_trained_with_every_arm(result)


def assert_trained_with_every_arm(result: dict) -> None:
    """Each model the run trained says what it trained with (the page's line under the
    figures): its steps are its own history's last step, it has parameters, and the size
    knobs it trained with are there."""
    histories, records = result["arrays"]["histories"], result["arrays"]["trained_with"]
    assert [r["name"] for r in records] == list(histories), (records, list(histories))
    assert records[0]["headline"] and not any(r["headline"] for r in records[1:])
    for record in records:
        last = max(h["step"] for h in histories[record["name"]])
        assert record["steps"] == last, (result["lab"], record["name"], record["steps"], last)
        assert record["parameters"] > 0 and record["seconds"] >= 0, record
        assert record["knobs"]["batch"] > 0 and record["knobs"]["lr"] > 0, record


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_command_line_refuses_an_unknown_knob_by_name(lab):
    bad = cli("run", lab.id, "--set", "no_such_knob=1")
    assert bad.returncode == 2 and "unknown knob 'no_such_knob'" in bad.stderr, bad.stderr


def test_the_entry_point_runs_in_its_own_interpreter():
    lab = LABS[0]
    out = subprocess.run([sys.executable, "-m", "core", "run", lab.id, "--json",
                          *sets(lab.smoke)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["lab"] == lab.id
    listed = subprocess.run([sys.executable, "-m", "core", "list"], capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0 and listed.stdout.split()[0] == lab.id
