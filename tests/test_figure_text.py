"""Every figure's text alternative: its title and what its axes show, for screen readers."""
from __future__ import annotations

import plotly.graph_objects as go

from ui.figures import describe


def _figure(title: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    fig.update_layout(title=title, xaxis_title="timestep t", yaxis_title="‖dL/dh_t‖")
    return fig


def test_the_description_names_the_title_and_both_axes():
    assert describe(_figure("Gradient <b>per cell</b>")) == (
        "Chart: Gradient per cell. ‖dL/dh_t‖ against timestep t.")


def test_a_live_description_leaves_out_the_numbers_that_change_every_redraw():
    early, late = _figure("KL = 12.2 at step 100"), _figure("KL = 11.8 at step 625")
    assert describe(early, live=True) == describe(late, live=True)
    assert "12.2" in describe(early) and "12.2" not in describe(early, live=True)


def test_every_lab_headline_has_a_description():
    from core.viz import attention, bidirectional, forecast, gradients, paths, pointer, stack, vrae
    for module in (attention, bidirectional, forecast, gradients, paths, pointer, stack, vrae):
        text = describe(module.headline({}, {}))
        assert text.startswith("Chart: ") and text != "Chart: Figure.", module.__name__
