"""A sweep's point file or output path that cannot serve is refused with one line and exit
code 2 before anything trains: a binary file, a header of the wrong shape, a directory where a
CSV file should go."""
from __future__ import annotations

import json

import pytest

from core.__main__ import main
from core.sweep.store import FORMAT

SWEEP = ["sweep", "gradients", "--local", "--vary", "seq_len=10", "--seeds", "1",
         "--set", "steps=5", "--set", "hidden=8", "--set", "eval_every=5",
         "--set", "compare_cells=false"]


def _header(**sweep) -> str:
    return json.dumps({"format": FORMAT, "sweep": sweep, "metric": "accuracy"}) + "\n"


@pytest.mark.parametrize("content, fragment", [
    (b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary", "not UTF-8 text"),
    (json.dumps({"format": FORMAT, "sweep": [1, 2], "metric": "accuracy"}).encode() + b"\n",
     '"sweep" is list'),
    (_header(lab="gradients", vary="abc").encode(), '"vary" is not a list of [knob, values]'),
    (_header(lab="gradients", vary=[["seq_len"]]).encode(), '"vary" is not a list'),
    (_header(lab="gradients", vary=[[1, [2]]]).encode(), '"vary" is not a list'),
    (b"[" * 100_000 + b"\n", "not a sweep point file"),
], ids=["binary", "sweep-list", "vary-text", "vary-pair-short", "vary-knob-number", "deep"])
def test_resume_from_a_file_that_cannot_be_one_exits_2(tmp_path, capsys, content, fragment):
    path = tmp_path / "points.jsonl"
    path.write_bytes(content)
    assert main([*SWEEP, "--resume", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --resume:") and fragment in err[0]


def test_resume_skips_point_records_of_the_wrong_shape(tmp_path, capsys):
    out = tmp_path / "points.jsonl"
    assert main([*SWEEP, "--out", str(out)]) == 0
    with out.open("a") as fh:
        fh.write(json.dumps({"key": ["unhashable"], "status": "ok"}) + "\n")
        fh.write(json.dumps({"key": "x", "status": "ok", "metrics": []}) + "\n")
    capsys.readouterr()
    assert main([*SWEEP, "--resume", str(out)]) == 0
    assert "1 resumed" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--csv", "--out"])
def test_an_output_that_is_a_directory_is_refused_before_training(tmp_path, capsys, flag):
    assert main([*SWEEP, "--set", "steps=5000", flag, str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {flag}: {tmp_path} is a directory; give a file name"]
