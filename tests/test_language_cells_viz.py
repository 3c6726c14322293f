"""The cell-inspector figures draw the numbers they are given, with titles, axis titles and a
legend outside the plotting area."""
import numpy as np
import pytest
import torch

from char_model import CharModel
from core.analysis.cell_replay import replay
from core.analysis.char_errors import LossDifference, by_distance
from core.analysis.gate_saturation import gate_saturation
from core.viz.language_cells import (distance_bars, overlay, saturation_scatter, shown_char,
                                     text_figure, text_grid)


def _labelled(fig):
    layout = fig.layout
    assert layout.title.text and layout.xaxis.title.text and layout.yaxis.title.text
    assert layout.legend.y is None or layout.legend.y < 0  # below the plot, not over it


def test_text_grid_wraps_and_breaks_lines():
    assert text_grid("abc\nde", width=2) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert text_grid("", width=4) == []


def test_text_figure_puts_each_character_in_its_cell():
    text = "a<b\n\tc"
    values = np.array([0.5, -1.0, 0.25, 0.0, 2.0, -0.5])
    fig = text_figure(text, values, "cell 3", "h", width=3)
    _labelled(fig)
    heat = fig.data[0]
    z, chars = np.array(heat.z, dtype=float), np.array(heat.text)
    where = np.array(heat.customdata)
    for t, (r, c) in enumerate(text_grid(text, 3)):
        assert z[r, c] == values[t] and where[r, c] == t
        assert chars[r, c] == shown_char(text[t])
    # a full line of 3 wraps, so its newline starts the next row
    assert chars[0, 1] == "&lt;" and chars[1, 0] == "↵" and chars[2, 0] == "⇥"
    assert np.isnan(z[1, 1])  # after the newline the rest of that row is empty
    assert heat.zmin == -2.0 and heat.zmax == 2.0 and heat.zmid == 0


def test_text_figure_bounds_what_it_draws_and_names_bad_input():
    fig = text_figure("x" * 50, np.ones(50), "long", "c", width=10, max_chars=20)
    assert np.array(fig.data[0].z).shape == (2, 10) and "first 20 of 50" in fig.layout.title.text
    with pytest.raises(ValueError, match="3 values for a text of 2"):
        text_figure("ab", np.ones(3), "t", "h")
    assert shown_char("\x07") == "·" and shown_char("é") == "é"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_saturation_scatter_one_point_per_cell_per_gate(cell):
    torch.manual_seed(0)
    saturation = gate_saturation(replay(CharModel(cell, hidden=5, layers=2).eval(),
                                        [1, 2, 3, 4, 5]))
    fig = saturation_scatter(saturation)
    _labelled(fig)
    gates = [trace for trace in fig.data if trace.mode == "markers"]
    assert {trace.name for trace in gates} == set(saturation.left)
    for trace in gates:
        np.testing.assert_array_equal(trace.x, saturation.left[trace.name])
        np.testing.assert_array_equal(trace.y, saturation.right[trace.name])
        assert len(trace.x) == 10
    diagonal = [trace for trace in fig.data if trace.mode == "lines"][0]
    assert list(diagonal.x) == [0, 1] and list(diagonal.y) == [1, 0]


def test_saturation_scatter_for_a_tanh_rnn_says_it_has_no_gates():
    fig = saturation_scatter(None)
    _labelled(fig)
    assert len(fig.data) == 0 and "no gates" in fig.layout.annotations[0].text


def test_distance_bars_split_by_sign_and_skip_empty_buckets():
    text = "a(bc)d"
    diff = np.array([1.0, -2.0, -1.0, -3.0, 0.5])
    rows = by_distance(LossDifference(np.arange(1, 6), diff + 2, np.full(5, 2.0), diff), text)
    fig = distance_bars(rows, "trigram")
    _labelled(fig)
    better, worse = fig.data
    assert list(better.x) == ["1", "2–3"] and list(better.y) == [-2.0, -2.0]
    assert list(worse.x) == ["nothing open"] and list(worse.y) == [0.75]
    assert better.name == "model better than the trigram" and list(better.text) == ["n=1", "n=2"]
    assert worse.name == "trigram better than the model"
    summed = distance_bars(rows, "trigram", stat="sum")
    assert list(summed.data[0].y) == [-2.0, -4.0]
    with pytest.raises(ValueError, match="stat"):
        distance_bars(rows, "trigram", stat="median")


def test_overlay_draws_both_series_on_their_own_axes():
    activation, hypothesis = np.array([0.1, 0.9, 0.8, 0.0]), np.array([0, 1, 1, 0])
    fig = overlay(activation, hypothesis, "layer 0 c[3]", "inside quotes", r=0.98, text='a"b"')
    _labelled(fig)
    assert "r = 0.98" in fig.layout.title.text
    np.testing.assert_array_equal(fig.data[0].y, activation)
    np.testing.assert_array_equal(fig.data[1].y, hypothesis)
    assert fig.data[1].yaxis == "y2" and fig.layout.yaxis2.title.text == "inside quotes"
    assert list(fig.data[0].customdata) == ["a", '"', "b", '"']
    with pytest.raises(ValueError, match="same text"):
        overlay(activation, hypothesis[:2], "c", "h")


def test_hostile_text_draws_without_breaking():
    for text in ("", "x", "é漢字🙂\x00\x1b[31m\r\n<b>&amp;</b>"):
        values = np.linspace(-1, 1, len(text))
        fig = text_figure(text, values, "probe", "h", width=8)
        chars = [c for row in fig.data[0].text for c in row if c]
        assert len(chars) == len(text)
        assert not any("<" in c or ">" in c for c in chars)  # markup never reaches plotly
        fig.to_json()
    empty = overlay(np.zeros(0), np.zeros(0), "c", "h")
    assert len(empty.data[0].y) == 0
