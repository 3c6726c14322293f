"""Shared test setup: one torch thread per process so parallel work does not oversubscribe
the two cores, and small helpers for driving pages under AppTest."""
import re
import time

import pytest
import torch

torch.set_num_threads(1)


def wait_for_result(at, key: str, timeout_s: float = 240.0):
    """Rerun an AppTest page until the run panel `key` has stored a finished Result."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if f"result:{key}" in at.session_state:
            return at.session_state[f"result:{key}"]
        run = at.session_state[f"run:{key}"] if f"run:{key}" in at.session_state else None
        if run is not None and run.snapshot().state == "failed":
            pytest.fail(f"run {key} failed: {run.snapshot().error}")
        time.sleep(0.3)
    pytest.fail(f"no result for {key} within {timeout_s}s")


def shown_text(markdown: str) -> str:
    """The text a reader sees for Markdown whose only markup is backslash escapes and
    invisible word joiners (how pages show user text, ui.escape): CommonMark drops a
    backslash before ASCII punctuation, and U+2060 has no glyph."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")
