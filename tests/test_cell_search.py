"""Cell search on a synthetic text with a planted cell, select and match, and the count of
interpretable cells, against correlations computed independently."""
import numpy as np
import pytest

from core.analysis.cell_replay import Cell
from core.analysis.cell_search import (interpretable_cells, pearson_columns, rank_cells,
                                       select_and_match)
from core.analysis.text_hypotheses import bracket_depth, inside_quotes, text_hypotheses

TEXT = ('He said "stop here" and left. Then (she wrote "go on" twice) and '
        'they read "the end" at last, (calmly).\n' * 3)
PLANTED = 17


def _planted(seed: int = 0, cells: int = 40):
    """Noise cells, and one unit equal to the quote indicator plus noise."""
    rng = np.random.default_rng(seed)
    activations = rng.normal(0.0, 0.3, (len(TEXT), cells))
    activations[:, PLANTED] = inside_quotes(TEXT) + rng.normal(0.0, 0.1, len(TEXT))
    names = [Cell(0, j, "h") for j in range(cells)]
    return activations, names


def test_pearson_matches_numpy_and_handles_constants():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 4))
    a[:, 2] = 3.0  # a constant cell
    y = rng.normal(size=50)
    r, defined = pearson_columns(a, y)
    for j in (0, 1, 3):
        assert r[j] == pytest.approx(np.corrcoef(a[:, j], y)[0, 1], abs=1e-12)
    assert not defined[2] and r[2] == 0.0 and np.isfinite(r).all()
    r, defined = pearson_columns(a, np.ones(50))
    assert not defined.any() and (r == 0).all()
    with pytest.raises(ValueError, match="must match"):
        pearson_columns(a, y[:10])


def test_search_ranks_the_planted_quote_cell_first():
    activations, names = _planted()
    ranking = rank_cells(activations, names, inside_quotes(TEXT), "inside quotes", top=5)
    assert ranking.rows[0]["cell"] == Cell(0, PLANTED, "h")
    assert ranking.rows[0]["r"] > 0.9
    assert ranking.rows[1]["abs_r"] < 0.3  # the noise cells do not track quotes
    assert [row["abs_r"] for row in ranking.rows] == sorted(
        (row["abs_r"] for row in ranking.rows), reverse=True)
    assert ranking.message is None and len(ranking.rows) == 5


def test_a_negatively_tracking_cell_ranks_by_magnitude_and_keeps_its_sign():
    activations, names = _planted()
    activations[:, 3] = -bracket_depth(TEXT) + 0.01 * activations[:, 0]
    ranking = rank_cells(activations, names, bracket_depth(TEXT), "bracket depth")
    assert ranking.rows[0]["cell"] == Cell(0, 3, "h") and ranking.rows[0]["r"] < -0.99


def test_constant_hypothesis_and_constant_cells_say_so():
    activations, names = _planted()
    ranking = rank_cells(activations, names, np.zeros(len(TEXT)), "indentation")
    assert ranking.rows == [] and "indentation is constant" in ranking.message
    activations[:, [5, 6]] = 0.25
    ranking = rank_cells(activations, names, inside_quotes(TEXT))
    assert len(ranking.rows) == 38 and "2 of 40 cells are constant" in ranking.message
    assert all(np.isfinite(row["r"]) for row in ranking.rows)


def test_select_and_match_finds_the_other_quotes():
    activations, names = _planted()
    first = TEXT.index('"stop')
    end = TEXT.index('"', first + 1)  # the closing mark is outside the quote
    match = select_and_match(activations, names, first, end, threshold=0.5)
    assert match.cells == [Cell(0, PLANTED, "h")]
    quoted = inside_quotes(TEXT).astype(bool)
    starts = [t for t in range(len(TEXT)) if quoted[t] and (t == 0 or not quoted[t - 1])]
    expected = [(s, s + int(np.argmin(quoted[s:]))) for s in starts if s != first]
    assert match.spans == expected and len(expected) == 8
    np.testing.assert_array_equal(match.on, quoted)
    # the quotes are "stop here", "go on", "the end": 10, 6 and 8 characters from the mark
    longer = select_and_match(activations, names, first, end, threshold=0.5, min_length=7)
    assert longer.spans == [(s, e) for s, e in expected if e - s >= 7] and len(longer.spans) == 5


def test_select_and_match_with_nothing_selected_or_a_bad_span():
    activations, names = _planted()
    match = select_and_match(activations, names, 0, 2, threshold=5.0)
    assert match.cells == [] and match.spans == [] and "no cell is on" in match.message
    with pytest.raises(ValueError, match="selection"):
        select_and_match(activations, names, 10, 10, threshold=0.5)
    with pytest.raises(ValueError, match="selection"):
        select_and_match(activations, names, 0, len(TEXT) + 1, threshold=0.5)


def test_interpretable_cells_counts_against_corrcoef():
    activations, names = _planted()
    activations[:, 3] = bracket_depth(TEXT) + np.random.default_rng(2).normal(0, .2, len(TEXT))
    activations[:, 4] = 1.0  # constant: counted nowhere
    hypotheses = text_hypotheses(TEXT)
    counts = interpretable_cells(activations, hypotheses, threshold=0.5)
    for name, values in hypotheses.items():
        if np.ptp(values) == 0:
            assert counts[name] == 0
            continue
        expected = sum(abs(np.corrcoef(activations[:, j], values)[0, 1]) >= 0.5
                       for j in range(40) if j != 4)
        assert counts[name] == expected, name
    assert counts["inside quotes"] >= 1 and counts["bracket depth"] >= 1
    assert counts["any hypothesis"] >= 2
    assert interpretable_cells(activations, hypotheses, threshold=1.01)["any hypothesis"] == 0
