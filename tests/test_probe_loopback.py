"""A tiny run of the loopback class probe (tests/probe_loopback.py): against a real
`streamlit run` server, three websocket sessions pressing Train on the same settings train one
run between them, a fourth on other settings its own, every viewer sees a trained step, and
the sidebar of a fresh page shows the slots free afterwards."""
import pytest

from core.labs import get_lab
from probe_loopback import probe

pytestmark = [pytest.mark.browser, pytest.mark.alone]  # a real server, measured


def test_identical_trains_share_one_run_over_loopback():
    smoke = get_lab("bidirectional").smoke
    report = probe(same=3, different=1, newcomers=1, same_lab="bidirectional",
                   same_params={**smoke, "seed": 4242}, other_lab="bidirectional",
                   other_params=smoke)
    assert report["all_finished"], report
    assert report["runs_trained_same_preset"] == 1, report
    assert report["runs_trained"] == 2, report
    assert report["joined_a_run_training"] + report["shown_a_run_just_finished"] == 2, report
    assert report["viewers_with_a_first_step"] == 4, report
    slots = report["slots_after"]
    assert slots is not None and (slots["active"], slots["waiting"]) == (0, 0), report
    assert not report["page_errors"], report
