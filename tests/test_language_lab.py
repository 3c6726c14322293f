"""The Language lab end to end: tiny runs on every corpus, the comparison of cells, own text,
carried and reset state, the headline figure, and (slow) the default demo's success."""
import json
import math

import pytest
import torch

from core.contract import ConfigError
from core.labs import get_lab
from core.labs.language import lab_for_text
from core.labs.language.training import SUCCESS_NGRAM, chunk_batches
from core.viz.language import compare_figure, headline, sample_markup

LAB = get_lab("language")
OWN = ("It was the best of times, it was the worst of times; \"said he\" (and she). " * 12)


@pytest.fixture(scope="module")
def smoke():
    seen = []
    result = LAB.run(LAB.make_config(LAB.smoke), on_step=lambda s, m: seen.append(m))
    return result, seen


def test_smoke_run_reports_bits_baselines_and_samples(smoke):
    r, seen = smoke
    m = r.metrics
    assert r.steps == LAB.smoke["steps"]
    assert m["uniform_bits"] == pytest.approx(math.log2(m["vocabulary_size"]))
    bits = [m["ngram_bits"][str(n)] for n in range(1, 6)]
    assert all(b < m["uniform_bits"] for b in bits)
    assert bits[0] > bits[1] > bits[2]  # on 135,000 characters more context helps to n = 3
    assert 0 < m["held_out_bits"] < m["uniform_bits"] + 0.1
    live = r.arrays["live"]["lstm"]
    assert live["step"] == [5, 10] and len(live["bits"]) == 2
    assert len(live["sample"]) == 200 and live["sample_step"] == 10
    assert live["entropy"]["temperature"][0] < live["entropy"]["temperature"][-1]
    assert set(r.arrays["samples"]) == {"model", f"{SUCCESS_NGRAM}-gram"}
    assert any("live" in e for e in seen)
    json.loads(r.to_json())


def test_the_first_measurement_of_an_untrained_model_is_near_log2_V():
    r = LAB.run(LAB.make_config({**LAB.smoke, "steps": 0}))
    assert r.metrics["held_out_bits"] == pytest.approx(r.metrics["uniform_bits"], abs=0.05)


def test_compare_trains_every_cell_for_the_same_steps():
    r = LAB.run(LAB.make_config({**LAB.smoke, "compare": True, "cell": "gru"}))
    by_cell = r.metrics["by_cell"]
    assert list(by_cell) == ["gru", "lstm", "rnn"]
    assert {s["steps"] for s in by_cell.values()} == {LAB.smoke["steps"]}
    counts = {name: s["parameters"] for name, s in by_cell.items()}
    assert counts["lstm"] > counts["gru"] > counts["rnn"]
    fig = compare_figure(r)
    assert "params" in fig.data[0].x[0]


def test_code_corpus_and_no_carried_state_run():
    r = LAB.run(LAB.make_config({**LAB.smoke, "corpus": "code", "carry_state": False,
                                 "cell": "rnn"}))
    assert r.metrics["vocabulary_size"] > 60
    assert math.isfinite(r.metrics["held_out_bits"])


def test_own_text_needs_text_and_trains_on_it():
    with pytest.raises(ConfigError, match="needs text"):
        LAB.run(LAB.make_config({**LAB.smoke, "corpus": "own"}))
    lab = lab_for_text(OWN)
    r = lab.run(lab.make_config({**LAB.smoke, "corpus": "own", "min_count": 1}))
    assert r.arrays["vocabulary"][1:] and set(r.arrays["vocabulary"][1:]) <= set(OWN)
    assert r.metrics["train_chars"] == int(len(OWN) * 0.9)


def test_chunks_follow_each_stream_and_restart_at_its_end():
    ids = torch.arange(100)
    at = chunk_batches(ids, batch=2, seq_len=10, offset=0)
    x, y, fresh = at(1)
    assert fresh and x[0].tolist() == list(range(10)) and x[1].tolist() == list(range(50, 60))
    assert torch.equal(y, x + 1)
    x2, _, fresh2 = at(2)
    assert not fresh2 and x2[0].tolist() == list(range(10, 20))  # the next chunk of stream 0
    _, _, again = at(1 + 4)  # (50 - 1) // 10 = 4 chunks per stream
    assert again


def test_headline_draws_idle_and_live(smoke):
    r, _ = smoke
    assert headline({}, r.config).layout.title.text
    fig = headline(r.arrays["live"], r.config)
    names = [t.name for t in fig.data]
    assert any("params" in n and "steps" in n for n in names)
    assert "n-gram lines, exact counts" in names and "uniform log2 V" in names
    assert "<" not in sample_markup("<b>x</b>\n")


@pytest.mark.slow
def test_default_demo_beats_the_trigram_with_more_known_words():
    r = LAB.run(LAB.make_config({}))
    m = r.metrics
    assert r.success and r.status == "succeeded"
    assert m["success_ngram"] == 3
    assert m["held_out_bits"] < m["ngram_bits"]["3"]
    assert m["known_word_fraction"] > m["ngram_known_word_fraction"]
    assert m["steps_to_success"] is not None and m["steps_to_success"] <= r.steps


def test_runs_with_the_default_device_set_to_meta():
    """Every tensor is created on an explicit device: with the default device set to meta,
    one that is not would fail to mix with the CPU model."""
    torch.set_default_device("meta")
    try:
        r = LAB.run(LAB.make_config(LAB.smoke))
    finally:
        torch.set_default_device(None)
    assert r.status == "completed" and math.isfinite(r.metrics["held_out_bits"])


def test_stop_keeps_the_model_and_measures_it():
    calls = []
    r = LAB.run(LAB.make_config({**LAB.smoke, "compare": True}),
                should_stop=lambda: calls.append(1) or len(calls) > 3)
    assert r.status == "stopped" and list(r.metrics["by_cell"]) == ["lstm"]
    assert r.history[-1]["eval"] and math.isfinite(r.metrics["held_out_bits"])
