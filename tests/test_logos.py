"""Sequence-logo letters: a letter's hole is left empty by the fill rule, not painted over, so
the page's background shows through it in the light and the dark theme alike."""
import plotly.graph_objects as go

from core.viz.logos import BASE_COLORS, add_logo


def _subpaths(xs, ys):
    path, out = [], []
    for x, y in zip(xs, ys):
        if x is None:
            out.append(path)
            path = []
        else:
            path.append((x, y))
    return out + ([path] if path else [])


def _signed_area(points):
    pairs = zip(points, points[1:] + points[:1])
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs)


def test_the_a_hole_is_in_the_letters_own_trace_wound_the_other_way():
    fig = go.Figure()
    add_logo(fig, [[1.5, 0.0, 0.0, 0.0]])
    filled = [t for t in fig.data if t.fill == "toself"]
    assert [t.fillcolor for t in filled] == [BASE_COLORS["A"]]  # no trace painted over it
    outline, hole = _subpaths(list(filled[0].x), list(filled[0].y))
    assert _signed_area(outline) * _signed_area(hole) < 0
    assert abs(_signed_area(hole)) < abs(_signed_area(outline))
