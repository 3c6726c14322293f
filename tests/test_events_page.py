"""The Rare Events page trains from its Train button and draws every tab; comparing densities
it has no precision-recall tab, and a bad combination of knobs is refused before Train."""
from application_pages import check_trains_and_draws_its_tabs


def test_trains_and_draws_its_tabs():
    check_trains_and_draws_its_tabs("events", ("Precision-recall", "Gradient through time"))


def test_densities_have_no_precision_recall_tab_and_a_bad_combination_is_refused():
    at, _ = check_trains_and_draws_its_tabs(
        "events", ("Gradient through time",),
        {"compare": "densities", "label_every": 10, "stream_len": 40})
    labels = [t.label for t in at.tabs]
    assert "Gradient through time" in labels and "Precision-recall" not in labels
    at.session_state["events.label_every"] = 60  # not below the stream length 40
    at.run()
    assert not at.exception
    assert any("label_every" in e.value for e in at.error)
    assert at.button(key="train:events").disabled
