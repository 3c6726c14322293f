"""The README's "From Python or a notebook" snippet runs as written and writes its figure."""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python or a notebook", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section holds one Python block"
    return blocks[0]


def test_the_readme_snippet_trains_and_saves_the_headline(tmp_path):
    code = readme_snippet()
    assert 'result.arrays["live"]' in code and "write_html" in code
    cwd = os.getcwd()
    os.chdir(tmp_path)  # it writes its figure where it runs
    try:
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    html = (tmp_path / "gradients.html").read_text()
    assert "plotly" in html.lower()
    fig = namespace["fig"]
    # the figure holds the run's measured curve: one point per timestep
    assert len(fig.data) >= 1 and len(fig.data[0].y) == 20
    assert namespace["result"].steps > 0


def test_a_headline_takes_a_config_object_or_its_dict():
    from core.contract import config_dict
    from core.labs import get_lab
    from core.viz import gradients as viz
    lab = get_lab("gradients")
    config = lab.make_config({"seq_len": 30})
    live = {"lstm": {"grad_norms": [1.0] * 30, "step": 5}}
    by_object, by_dict = viz.headline(live, config), viz.headline(live, config_dict(config))
    assert by_object.to_json() == by_dict.to_json()


def test_cells_are_named_with_their_article():
    from core.viz.gradients import a_cell
    assert [a_cell(c) for c in ("rnn", "lstm", "gru")] == ["a tanh RNN", "an LSTM", "a GRU"]
