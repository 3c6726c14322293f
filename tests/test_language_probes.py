"""The Language lab's cell probes on a trained smoke result (the three cells compared): the
replay along the probe text, the hypothesis ranking, select and match, gate saturation, the
loss difference against the best n-gram, the interpretable-cell counts, and the inspection a
stored run keeps."""
import numpy as np
import pytest
import torch

from core.contract import Result
from core.labs import get_lab
from core.labs.language import probes

LAB = get_lab("language")


@pytest.fixture(scope="module")
def compared():
    result = LAB.run(LAB.make_config({**LAB.smoke, "compare": True}))
    return result, result.artifacts["data"], result.artifacts["cell_views"]


def test_the_probe_replay_is_the_trained_model(compared):
    result, data, views = compared
    for name, model in result.artifacts["models"].items():
        view = views[name]
        assert view.ids == probes.probe_ids(data) and len(view.ids) == probes.PROBE_CHARS
        with torch.no_grad():
            fused, _ = model(torch.tensor([view.ids]))
        assert np.allclose(view.replay.logits, fused[0].double().numpy(), atol=1e-4)
        states = 2 if name == "lstm" else 1
        assert view.activations.shape == (len(view.ids), states * result.config["hidden"])


def test_ranking_is_by_absolute_pearson_r(compared):
    _, _, views = compared
    view = views["lstm"]
    ranking = probes.rank_for(view, "position in line", top=8)
    y = view.hypotheses["position in line"]
    for row in ranking.rows:
        column = view.activations[:, view.cells.index(row["cell"])]
        assert row["r"] == pytest.approx(np.corrcoef(column, y)[0, 1], abs=1e-9)
    assert [row["abs_r"] for row in ranking.rows] == sorted(
        (row["abs_r"] for row in ranking.rows), reverse=True)
    with pytest.raises(ValueError, match="unknown hypothesis"):
        probes.rank_for(view, "sentiment")


def test_select_and_match_picks_cells_on_inside_and_off_outside(compared):
    _, _, views = compared
    view = views["gru"]
    found = probes.match_span(view, 30, 40, 0.0)
    for cell in found.cells:
        column = view.activations[:, view.cells.index(cell)]
        assert (column[30:40] >= 0.0).mean() >= 0.8
        assert np.delete(column, range(30, 40)).mean() < 0.0
    assert all(e <= 30 or s >= 40 for s, e in found.spans)
    with pytest.raises(ValueError, match="not a non-empty part"):
        probes.match_span(view, 40, 40, 0.0)


def test_gate_saturation_counts_the_replayed_gates(compared):
    _, _, views = compared
    lstm = probes.saturation(views["lstm"])
    forget = views["lstm"].replay.layers[0].gates["forget"]
    assert set(lstm.left) == {"input", "forget", "output"}
    assert np.array_equal(lstm.left["forget"], (forget < 0.1).mean(axis=0))
    assert np.array_equal(lstm.right["forget"], (forget > 0.9).mean(axis=0))
    assert probes.saturation(views["rnn"]) is None
    assert set(probes.saturation(views["gru"]).left) == {"reset", "update"}


def test_errors_are_against_the_best_ngram(compared):
    _, data, views = compared
    found = probes.errors(views["lstm"], data)
    assert found["order"] == min(data.ngram_bits, key=data.ngram_bits.get)
    diff = found["difference"]
    ngram = -data.ngrams[found["order"]].log2_prob(np.array(views["lstm"].ids))
    assert np.allclose(diff.ngram_bits, ngram[-len(diff.ngram_bits):])
    assert sum(row["count"] for row in found["by_distance"]) == len(diff.diff)
    assert found["summary"]["mean_difference"] == pytest.approx(
        found["summary"]["model_bits_per_char"] - found["summary"]["ngram_bits_per_char"])


def test_interpretable_counts_in_the_result(compared):
    result, _, views = compared
    counts = result.metrics["interpretable_cells"]
    assert set(counts) == {"lstm", "gru", "rnn"}
    for name, view in views.items():
        hits = np.zeros(len(view.cells), dtype=bool)
        for hypothesis, values in view.hypotheses.items():
            r = np.array([np.corrcoef(view.activations[:, j], values)[0, 1]
                          if np.ptp(view.activations[:, j]) and np.ptp(values) else 0.0
                          for j in range(len(view.cells))])
            hit = np.abs(r) >= probes.INTERPRETABLE_R
            assert counts[name][hypothesis] == int(hit.sum())
            hits |= hit
        assert counts[name]["any hypothesis"] == int(hits.sum())
        assert counts[name]["cells"] == len(view.cells)


def test_a_stored_run_keeps_its_inspection(compared):
    result, _, views = compared
    stored = Result.from_dict(result.to_dict()).arrays["inspection"]
    view = views[result.config["cell"]]
    assert stored["text"] == view.text
    for name, entry in stored["ranked"].items():
        best = entry["rows"][0]["index"] if entry["rows"] else None
        if best is not None:
            assert np.allclose(entry["best"], view.activations[:, best], atol=5e-4)
    gates = probes.stored_saturation(stored["gates"])
    assert np.allclose(gates.right["forget"], probes.saturation(view).right["forget"],
                       atol=5e-4)
    assert len(stored["errors"]["along_text"]) == len(view.text)
