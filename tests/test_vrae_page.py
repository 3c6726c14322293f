"""The VRAE page's pieces: the headline figure with and without data, the probes the page
renders (paths, reconstructions, a typed word) and every tab after a run."""
import json

import pytest

from core.contract import Result
from core.labs.vrae import probes
from core.labs.vrae import PATH_POINTS
from core.text_limits import VRAE_WORD_MAX_CHARS
from core.viz import vrae as viz
from vrae_runs import LAB, tiny_run, tiny_words  # noqa: F401 (fixtures)

TABS = ("ELBO and KL", "Latent map", "Reconstructions and samples", "Explore the latent space",
        "Which lever prevents collapse", "Compare plain autoencoders", "Theory")

def test_headline_draws_before_data_from_a_run_and_for_words(tiny_run, tiny_words):
    empty = viz.headline({}, tiny_run.config)
    assert empty.layout.xaxis.title.text and empty.layout.yaxis.title.text
    fig = viz.headline(tiny_run.arrays["live"], tiny_run.config)
    assert len(fig.data) == PATH_POINTS + 2  # the decodes and the two inputs
    assert fig.layout.xaxis.title.text == "time step"
    grid = viz.headline(tiny_words.arrays["live"], tiny_words.config)
    assert len(grid.data[0].y) == PATH_POINTS + 2  # input a, the decodes, input b
    restored = Result.from_dict(json.loads(tiny_run.to_json()))
    viz.headline(restored.arrays["live"], restored.config)  # a precomputed result draws


# -- probes ----------------------------------------------------------------------------------

def test_probes_work_on_a_trained_result(tiny_run, tiny_words):
    names = probes.example_names(tiny_run)
    path = probes.path_between(tiny_run, 0, 1, 5)
    assert len(names) == 256 and len(path["decoded"]) == 5
    assert len(probes.prior_samples(tiny_run, 3, 0.5)) == 3
    walk = probes.attribute_walk(tiny_run, 0, 1, 0, [0.0, 1.0])
    assert len(walk["decoded"]) == 2
    out = probes.typed_word(tiny_words, " Lantern ")
    assert out["input"] == "lantern" and isinstance(out["decoded"], str)


def test_probes_name_the_problem(tiny_run, tiny_words):
    cases = [(lambda: probes.path_between(tiny_run, 0, 999), "input b"),
             (lambda: probes.path_between(tiny_run, 0, 1, 99), "points"),
             (lambda: probes.prior_samples(tiny_run, 3, float("nan")), "temperature"),
             (lambda: probes.attribute_walk(tiny_run, 0, 7, 0, [1.0]), "towards"),
             (lambda: probes.typed_word(tiny_run, "cat"), "words data set"),
             (lambda: probes.typed_word(tiny_words, "café"), "'é'")]
    for call, words in cases:
        with pytest.raises(ValueError, match=words):
            call()


def test_a_typed_word_is_measured_before_any_work(tiny_words):
    """A huge paste is refused by its length alone: even a result without a model (which
    would fail later) says the text is too long."""
    no_model = Result.from_dict(json.loads(tiny_words.to_json()))
    with pytest.raises(ValueError, match=f"at most {VRAE_WORD_MAX_CHARS} characters"):
        probes.typed_word(no_model, "a" * 100_000)
    with pytest.raises(ValueError, match="no trained model"):
        probes.typed_word(no_model, "cat")


# -- studies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dataset", ["waveforms", "words"])
def test_every_tab_draws_after_a_run_and_without_the_model(dataset):
    """Each tab after Train (probes live), then from a stored copy of the same Result, which
    has no model: the explore tab says so and shows the run's own decodes."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from conftest import wait_for_result
    page = str(Path(__file__).resolve().parents[1] / "pages" / "vrae.py")
    at = AppTest.from_file(page, default_timeout=120)
    for name, value in {**LAB.smoke, "dataset": dataset}.items():
        at.session_state[f"vrae.{name}"] = value
    at.run()
    at.button(key="train:vrae").click()
    result = wait_for_result(at, "vrae")
    for stored in (False, True):
        if stored:
            at.session_state["run:vrae"] = None  # else the finished run hands its result back
            at.session_state["result:vrae"] = Result.from_dict(json.loads(result.to_json()))
        for tab in TABS:
            at.session_state["tabs:vrae"] = tab
            at.run()
            assert not at.exception, (tab, stored, at.exception)
            if tab == "Explore the latent space":
                infos = " ".join(i.value for i in at.info)
                assert ("no trained model" in infos) == stored
    at.session_state["tabs:vrae"] = "Latent map"
    at.run()
    at.selectbox(key="vrae-colour-by").set_value(list(result.arrays["latent_attributes"])[0])
    at.run()
    assert not at.exception, at.exception


def test_the_theory_names_tests_that_exist():
    """'Where the theory comes from' points at tests by name: each must be in the lab's test
    files."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    theory = (root / "pages" / "vrae.py").read_text().split("Where the theory comes from")[1]
    named = set(re.findall(r"`(test_\w+)`", theory))
    here = {name for path in Path(__file__).parent.glob("test_vrae*.py")
            for name in re.findall(r"^def (test_\w+)", path.read_text(), re.M)}
    assert named and named <= here, named - here
