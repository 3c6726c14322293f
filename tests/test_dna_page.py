"""The DNA page trains from its Train button, draws every tab, and reads a typed sequence."""
from application_pages import check_trains_and_draws_its_tabs, page_test
from conftest import shown_text, wait_for_result


def test_trains_and_draws_its_tabs():
    check_trains_and_draws_its_tabs("dna", ("Logos", "Saliency", "Models compared"))


def test_a_typed_sequence_is_read_and_a_bad_one_named_without_losing_the_run():
    at = page_test("dna")
    at.run()
    at.button(key="train:dna").click()
    result = wait_for_result(at, "dna")
    at.session_state["tabs:dna"] = "Saliency"
    at.run()
    charts = len(at.get("plotly_chart"))
    box = at.text_area(key="dna-typed")
    assert box.value == result.arrays["saliency"]["bases"]
    box.set_value("acgt" * 15).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == charts + 1
    at.text_area(key="dna-typed").set_value("ACGTXACGT").run()
    assert not at.exception
    assert any("base 5 is 'X'" in shown_text(e.value) for e in at.error)
    assert at.session_state["result:dna"] is result
