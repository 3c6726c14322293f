"""The palette: every model name a lab draws has one colour-blind-safe look, and no two
colours of the set collapse into one under a simulated red-green deficiency."""
from __future__ import annotations

import ast
import itertools
import pathlib
import re

import numpy as np
import pytest

from core.viz import palette as pal

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Machado, Oliveira and Fernandes (2009), full deuteranopia and protanopia, on linear RGB
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
# CIE76 colour difference under the simulation; plotly's old red and green lines measure 7
MIN_DIFFERENCE = 15.0


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(linear_rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_as(matrix: np.ndarray, a: str, b: str) -> float:
    return float(np.linalg.norm(_lab(matrix @ _linear(a)) - _lab(matrix @ _linear(b))))


def test_the_check_catches_a_red_green_pair():
    """The old tanh RNN red and GRU green: distinct to most eyes, one olive to deuteranopes."""
    assert seen_as(np.eye(3), "#d62728", "#2ca02c") > 50
    assert seen_as(DEUTERANOPIA, "#d62728", "#2ca02c") < MIN_DIFFERENCE


@pytest.mark.parametrize("matrix", [DEUTERANOPIA, PROTANOPIA], ids=["deuteranopia", "protanopia"])
def test_no_two_series_colours_merge_for_red_green_deficient_eyes(matrix):
    for a, b in itertools.combinations(pal.OKABE_ITO, 2):
        assert seen_as(matrix, a, b) >= MIN_DIFFERENCE, (a, b)


def test_every_palette_colour_comes_from_the_safe_set_or_is_the_reference_grey():
    for name, look in pal.MODELS.items():
        assert look.color in pal.OKABE_ITO + (pal.REFERENCE,), name


def test_the_same_model_has_the_same_look_under_each_of_its_names():
    for a, b in (("rnn", "tanh RNN"), ("lstm", "LSTM"), ("gru", "GRU"),
                 ("attention", "self-attention")):
        assert pal.series(a) == pal.series(b)


def test_series_in_one_lab_differ_by_colour_or_by_dash_and_marker():
    """Within a figure's set of models no two looks are identical."""
    from core.viz import (anomaly, attention, bidirectional, dna, forecast, gradients,
                          multitask, paths, pointer, rare_events, stack)
    for module, mapping in ((gradients, gradients.CELL_COLORS), (paths, paths.COLORS),
                            (attention, attention.COLORS), (forecast, forecast.COLORS),
                            (bidirectional, bidirectional.COLORS), (stack, stack.MODEL_COLORS),
                            (pointer, pointer.COLORS), (dna, dna.COLORS),
                            (multitask, multitask.COLORS), (rare_events, rare_events.COLORS),
                            (anomaly, anomaly.COLORS)):
        names = list(mapping)
        looks = [pal.series(n) for n in names]
        for (a, la), (b, lb) in itertools.combinations(zip(names, looks), 2):
            same_model = la is lb  # two names of one model (rnn and tanh RNN)
            assert same_model or la != lb or _never_in_one_figure(a, b), (module.__name__, a, b)


def _never_in_one_figure(a: str, b: str) -> bool:
    """Rare Events compares losses or densities, never both in one run: 'focal' and 'end only'
    never share a figure."""
    compared = [{"plain", "weighted", "focal"}, {"every step", "every k steps", "end only"}]
    return not any(a in s and b in s for s in compared)


def test_every_model_a_lab_names_has_a_palette_entry():
    """The model names the labs give their series (their arms' names and cell choices)."""
    from core.viz import (anomaly, attention, bidirectional, dna, forecast, gradients,
                          multitask, paths, pointer, rare_events, stack, vrae)
    for mapping in (gradients.CELL_COLORS, paths.COLORS, attention.COLORS, forecast.COLORS,
                    bidirectional.COLORS, stack.MODEL_COLORS, pointer.COLORS, dna.COLORS,
                    multitask.COLORS, rare_events.COLORS, anomaly.COLORS, vrae.COLORS):
        for name in mapping:
            assert name in pal.MODELS, name
    from core.labs import gradients as gradients_lab
    cells = [f for f in gradients_lab.Config.__dataclass_fields__.values() if f.name == "cell"]
    for cell in cells[0].metadata["choices"]:
        assert cell in pal.MODELS, cell


def test_no_figure_module_defines_its_own_colours():
    """Colours live in the palette: no hex colour or named colour literal elsewhere in viz."""
    named = re.compile(r'"(black|white|red|green|blue|orange|gr[ae]y|#[0-9a-fA-F]{3,8})"')
    for path in (ROOT / "core" / "viz").glob("*.py"):
        if path.name == "palette.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not named.fullmatch(f'"{node.value}"'), (path.name, node.value)
