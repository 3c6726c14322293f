"""The Seq2seq and Attention lab end to end: tiny runs, the headline figure, the probes the
page calls, the studies, the command line, and (slow) the default demo."""
import json
import math

import numpy as np
import pytest

from cli_runner import cli, sets
from core.arm_scheduler import arms_at_once
from core.contract import ConfigError, Result
from core.labs import get_lab
from core.labs.attention import SHARP_RATIO, measured_lengths
from core.labs.attention.probes import (alignment_theory, capacity_table, checkpoint_view,
                                        decode_typed)
from core.labs.attention.studies import capacity_sweep, decoding_study
from core.tasks.transduction import bits_needed
from core.text_limits import ATTENTION_INPUT_MAX_CHARS
from core.viz.attention import headline

LAB = get_lab("attention")
TINY = {"steps": 20, "eval_every": 10, "hidden": 16, "max_len": 6, "test_max_len": 8}


@pytest.fixture(scope="module")
def tiny():
    seen = []
    result = LAB.run(LAB.make_config(TINY), on_step=lambda s, m: seen.append(m))
    return result, seen


@pytest.fixture(scope="module")
def plain():
    """No attention, no rival: the bottleneck preset at tiny size."""
    return LAB.run(LAB.make_config({**TINY, "attention": "none", "compare_none": False}))


def test_tiny_run_end_to_end(tiny):
    result, seen = tiny
    m = result.metrics
    assert result.steps == 20 and {e["series"] for e in seen} == {"dot", "none"}
    assert set(m["accuracy_by_length"]) == set(range(4, 9))
    assert 0.0 < m["alignment_entropy_ratio"] <= 1.0 + 1e-9
    assert math.exp(-m["alignment_entropy_ratio"] * math.log(8)) - 1e-9 <= 1.0
    assert set(m["comparison"]) == {"dot", "none"}
    assert set(m["comparison"]["none"]["accuracy_by_length"]) == set(range(4, 9))
    assert m["comparison"]["dot"]["accuracy"] == m["accuracy"]
    cps = result.arrays["checkpoints"]
    assert cps["steps"] == [10, 20] and len(cps["attention"]) == 2
    assert np.allclose(np.asarray(cps["attention"][-1]).sum(-1), 1.0, atol=1e-2)
    assert set(result.arrays["histories"]) == {"dot", "none"}
    assert set(result.artifacts["models"]) == {"dot", "none"}
    assert 0 <= seen[-1]["progress"] <= 1
    json.loads(result.to_json())


def test_live_payload_has_the_probe_map_and_accuracy_by_length(tiny):
    result, seen = tiny
    live = result.arrays["live"]
    lengths = measured_lengths(LAB.make_config(TINY))
    assert live["dot"]["lengths"] == lengths and len(live["dot"]["accuracy"]) == len(lengths)
    assert len(live["dot"]["input"]) == TINY["max_len"] and "attention" in live["dot"]
    assert "attention" not in live["none"]  # nothing to map without attention
    assert live["dot"]["attention"] == result.arrays["checkpoints"]["attention"][-1]
    assert all("live" not in h for h in result.history)  # kept out of the history
    assert any("live" in e for e in seen)


def test_headline_draws_before_during_and_after_a_run(tiny, plain):
    result, _ = tiny
    config = result.config
    for live in ({}, {"dot": result.arrays["live"]["dot"]}, result.arrays["live"],
                 Result.from_dict(json.loads(result.to_json())).arrays["live"],
                 plain.arrays["live"]):
        fig = headline(live, config)
        layout = fig.layout
        assert layout.xaxis.title.text and layout.yaxis.title.text
        assert layout.xaxis2.title.text and layout.yaxis2.title.text
        heatmaps = [t for t in fig.data if t.type == "heatmap"]
        assert len(heatmaps) == (1 if any("attention" in d for d in live.values()) else 0)
        assert len([t for t in fig.data if t.type == "scatter"]) == len(live)


def test_no_attention_run_has_no_entropy_metric(plain):
    assert "alignment_entropy_ratio" not in plain.metrics
    assert set(plain.metrics["comparison"]) == {"none"}
    assert plain.arrays["checkpoints"]["attention"] == []


def test_stop_request_is_honoured():
    result = LAB.run(LAB.make_config({**TINY, "steps": 500}), should_stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0
    assert result.metrics["skipped"] == ["dot: test accuracy by length", "none: not trained"]


def test_a_stop_during_the_final_measurement_ends_it_between_lengths():
    """After training, scoring 200 inputs at each of many lengths takes seconds: a Stop then
    ends it at the next length, and the run names what it did not measure."""
    calls = []

    def stop_after_training():
        calls.append(1)
        return len(calls) > TINY["steps"] + 2  # polled once per step, then per length

    with arms_at_once(1):  # the polls counted are one arm's after another's
        result = LAB.run(LAB.make_config(TINY), should_stop=stop_after_training)
    assert result.status == "stopped" and result.steps == TINY["steps"]
    assert result.metrics["skipped"]
    assert list(result.arrays["live"]) == ["dot"]  # the last held-out measurement, kept
    json.loads(result.to_json())


def test_config_refuses_contradictions_and_odd_hidden_sizes():
    with pytest.raises(ConfigError, match="min_len.*max_len"):
        LAB.make_config({"min_len": 8, "max_len": 5})
    with pytest.raises(ConfigError, match="hidden"):
        LAB.make_config({"hidden": 5})
    assert LAB.make_config({"hidden": 6}).hidden == 6
    for preset in LAB.presets:
        LAB.make_config(preset.overrides)
    LAB.make_config(LAB.smoke)
    assert LAB.picture[0] == "alignment_entropy_ratio"


def test_cli_refuses_an_odd_hidden_size_in_one_line():
    bad = cli("run", "attention", "--set", "hidden=5")
    assert bad.returncode == 2 and "hidden" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


# ---- probes the page renders ---------------------------------------------------------------

def test_decode_typed_probe_and_typed_input(tiny):
    result, _ = tiny
    shown = decode_typed(result, "")
    assert shown["is_probe"] and shown["source"] == result.arrays["probe"]
    assert shown["arm"] == "dot" and shown["target"] == shown["input"][::-1]  # reverse
    g = shown["greedy"]
    assert len(g["attention"]) == len(g["output"])
    assert len(g["step_entropy"]) == min(len(g["output"]), len(shown["input"]))
    typed = decode_typed(result, "a, b c", beam_width=1, length_alpha=0.0, temperature=0.5,
                         samples=7)
    assert typed["input"] == ["a", "b", "c"] and not typed["is_probe"]
    # beam width 1 with α = 0 is greedy decoding
    assert typed["beam"]["output"] == typed["greedy"]["output"]
    assert typed["beam"]["log_prob"] == pytest.approx(typed["greedy"]["log_prob"], abs=1e-5)
    assert typed["samples"]["count"] == 7 and 1 <= typed["samples"]["distinct"] <= 7
    assert all("name" in node for node in typed["beam"]["tree"])
    none = decode_typed(result, "abc", arm="none")
    assert none["greedy"]["attention"] is None


def test_decode_typed_names_each_problem(tiny):
    result, _ = tiny
    with pytest.raises(ValueError, match="characters"):
        decode_typed(result, "a" * (ATTENTION_INPUT_MAX_CHARS + 1))
    with pytest.raises(ValueError, match="'z'"):
        decode_typed(result, "abz")
    with pytest.raises(ValueError, match="lengths 1 to 8"):
        decode_typed(result, "a" * 9)
    with pytest.raises(ValueError, match="beam width"):
        decode_typed(result, "ab", beam_width=0)
    with pytest.raises(ValueError, match="temperature"):
        decode_typed(result, "ab", temperature=0.0)
    with pytest.raises(ValueError, match="no model 'x'"):
        decode_typed(result, "ab", arm="x")
    loaded = Result.from_dict(json.loads(result.to_json()))
    with pytest.raises(ValueError, match="no trained model"):
        decode_typed(loaded, "ab")


def test_checkpoint_view_reads_the_saved_maps(tiny):
    result, _ = tiny
    loaded = Result.from_dict(json.loads(result.to_json()))
    view = checkpoint_view(loaded)
    assert view["step"] == 20 and view["attention"] == result.arrays["checkpoints"][
        "attention"][-1]
    rows = np.asarray(view["attention"])[:len(view["input"])]
    assert view["entropy_ratio"] == pytest.approx(
        np.mean(-(rows * np.log(rows)).sum(-1)) / math.log(len(view["input"])))
    assert checkpoint_view(loaded, 10)["step"] == 10
    with pytest.raises(ValueError, match="no checkpoint at step 15"):
        checkpoint_view(loaded, 15)


def test_alignment_theory_beside_the_measured_entropy(tiny):
    result, _ = tiny
    loaded = Result.from_dict(json.loads(result.to_json()))  # lengths as string keys
    sim = alignment_theory(loaded, 1.5)
    assert sim["uniform_closed_form"] == pytest.approx([math.log(L) for L in sim["lengths"]])
    assert sim["measured_lengths"] == list(range(4, 9))
    ratios = result.metrics["alignment_entropy_ratio_by_length"]
    assert sim["measured"] == pytest.approx([ratios[L] * math.log(L) for L in range(4, 9)])
    with pytest.raises(ValueError, match="width"):
        alignment_theory(result, 0.0)


def test_capacity_table_counts_distinct_answers(tiny):
    result, _ = tiny
    rows = capacity_table(result, 2)
    assert [r["length"] for r in rows] == list(range(4, 9))
    assert all(r["capacity"] == 16 * 2 for r in rows)
    assert rows[0]["bits_needed"] == pytest.approx(4 * math.log2(8))  # reverse: T·log2 V
    sort_result = Result(**{**vars(result), "config": {**result.config, "task": "sort"}})
    sort_rows = capacity_table(sort_result, 2)
    assert sort_rows[0]["bits_needed"] == pytest.approx(bits_needed("sort", 4, 8))
    assert sort_rows[0]["bits_needed"] < rows[0]["bits_needed"]
    assert [r["fits"] for r in rows] == [r["bits_needed"] <= 32 for r in rows]


# ---- studies -------------------------------------------------------------------------------

def test_capacity_sweep_trains_one_model_per_context_size():
    config = LAB.make_config({**TINY, "steps": 5})
    r = capacity_sweep(config, hiddens=(4, 8))
    assert r.metrics["capacity_hidden"] == [4, 8] and r.status == "completed"
    assert r.steps == 10 and set(r.arrays["histories"]) == {"d_h=4", "d_h=8"}
    assert all(len(v) == 2 for v in r.arrays["capacity"]["accuracy_by_length"].values())
    assert LAB.study("capacity").total_steps(config) == 5 * 5
    json.loads(r.to_json())


def test_decoding_study_tiny():
    config = LAB.make_config({"steps": 5, "hidden": 8, "max_len": 5})
    r = decoding_study(config, n_inputs=4, n_samples=3)
    rows = r.metrics["decoding_study"]
    assert len(rows) == 8 and all(0 <= row["valid"] <= 1 for row in rows)
    assert all(row["distinct_per_input"] == 1 for row in rows if row["decoding"] == "greedy")
    assert r.metrics["study_inputs"] == 4 and r.metrics["samples_per_input"] == 3
    assert r.status == "completed" and r.steps == 10
    assert LAB.study("decoding").total_steps(config) == 10


def test_decoding_study_stops_between_decodings():
    calls = []

    def stop_after_training():
        calls.append(1)
        return len(calls) > 10 + 2  # two arms of five steps, the check between them, one

    with arms_at_once(1):  # the polls counted are one arm's after another's
        r = decoding_study(LAB.make_config({"steps": 5, "hidden": 8, "max_len": 5}),
                           should_stop=stop_after_training, n_inputs=4, n_samples=3)
    assert r.status == "stopped" and 0 < len(r.metrics["decoding_study"]) < 8


def test_cli_run_json():
    out = cli("run", "attention", "--json",
              *sets(TINY), check=True)
    metrics = json.loads(out.stdout)["metrics"]
    for key in ("accuracy", "token_accuracy", "accuracy_by_length", "alignment_entropy_ratio",
                "final_loss", "seconds_to_success"):
        assert key in metrics


@pytest.mark.slow
def test_default_demo_aligns_sharply_and_beats_the_bottleneck():
    result = LAB.run(LAB.make_config())
    m = result.metrics
    assert result.success and m["accuracy"] >= 0.9 and m["seconds_to_success"] is not None
    # the picture it ends on: held-out entropy under the stop ratio, so sharp on test too
    assert m["alignment_entropy_ratio"] < 1.5 * SHARP_RATIO
    assert m["alignment_peak_weight"] >= math.exp(-m["alignment_entropy_ratio"] * math.log(10))
    final = np.asarray(result.arrays["checkpoints"]["attention"][-1])
    L = len(result.arrays["probe"])
    assert final[np.arange(L), np.arange(L)[::-1]].mean() > 0.8  # the anti-diagonal
    # at the longest training length attention holds up where the bottleneck has collapsed
    longest = result.config["max_len"]
    none = m["comparison"]["none"]["accuracy_by_length"]
    assert m["accuracy_by_length"][longest] >= 0.7 and none[longest] <= 0.2


def test_probe_input_repeats_no_letter_more_than_it_must():
    """Each output step of the probe has one input position to look at: its letters are an
    order of the alphabet, repeated only past V letters."""
    from collections import Counter
    from core.labs.attention import make_task, probe_input
    for overrides in ({}, {"seed": 1}, {"max_len": 20, "min_len": 4}, {"symbols": 3}):
        config = LAB.make_config(overrides)
        letters = make_task(config).decode(probe_input(config))
        assert len(letters) == config.max_len
        assert max(Counter(letters).values()) == -(-config.max_len // config.symbols)
        assert set(letters) <= set(make_task(config).alphabet)
