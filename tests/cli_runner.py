"""`python -m core ...` run in the test's own process: the same `core.__main__.main`, its
stdout, stderr and exit code, without a fresh interpreter importing torch for every call
(seconds each). tests/test_cli_every_lab.py keeps one real subprocess, so the entry point
itself stays tested."""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def cli(*argv: str, check: bool = False) -> Ran:
    from core.__main__ import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as stop:  # argparse's usage errors exit 2
            code = stop.code if isinstance(stop.code, int) else 1
    ran = Ran(code or 0, out.getvalue(), err.getvalue())
    if check:
        assert ran.returncode == 0, (argv, ran.stderr)
    return ran


def sets(values: dict) -> list[str]:
    """--set key=value for every entry, as a command line spells them."""
    return sum((["--set", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
                for k, v in values.items()), [])
