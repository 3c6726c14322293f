"""A tiny run of the class probe (tests/probe_class.py): three sessions pressing Train on the
same settings train one run between them, a fourth on other settings its own, every viewer
sees a trained step, and the slots are free afterwards."""
from core.labs import get_lab
from probe_class import probe


def test_identical_trains_share_one_run_in_the_class_probe():
    smoke = get_lab("bidirectional").smoke
    report = probe(same=3, different=1, newcomers=1, same_lab="bidirectional",
                   same_params={**smoke, "seed": 4242}, other_lab="bidirectional",
                   other_params=smoke)
    assert report["all_finished"], report
    assert report["runs_trained_same_preset"] == 1
    assert report["runs_trained"] == 2
    assert report["viewers_with_a_first_step"] == 4
    assert report["slots_after"] == {"active": 0, "waiting": 0}
