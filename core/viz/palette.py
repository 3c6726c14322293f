"""One colour-blind-safe palette for every figure: the same model is the same colour, dash and
marker in every lab.

The colours are Okabe and Ito's set ("Color Universal Design", 2008), chosen so that people
with the common red-green deficiencies still tell every pair apart; a test checks that under
a simulated deuteranopia. Each series also gets its own dash and marker, so a figure reads in
greyscale and on a washed-out projector too. Reference lines (theory, chance, targets) use a
mid grey that stays visible on the light and the dark theme alike.
"""
from __future__ import annotations

from dataclasses import dataclass

ORANGE, SKY_BLUE, BLUISH_GREEN = "#E69F00", "#56B4E9", "#009E73"
YELLOW, BLUE, VERMILLION, REDDISH_PURPLE = "#F0E442", "#0072B2", "#D55E00", "#CC79A7"
OKABE_ITO = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE)
# a mid grey has enough contrast on white and on Streamlit's dark background
REFERENCE = "#8c8c8c"
# drawn on a heatmap's dark colours, not on the page: white reads there on either theme
ON_HEATMAP = "white"
LEGEND_BACKGROUND = "rgba(140,140,140,0.15)"  # a legend drawn over curves, on either theme


@dataclass(frozen=True)
class Series:
    color: str
    dash: str = "solid"
    marker: str = "circle"


_RNN = Series(VERMILLION, "solid", "circle")
_LSTM = Series(BLUE, "solid", "square")
_GRU = Series(BLUISH_GREEN, "solid", "diamond")
_ATTENTION = Series(ORANGE, "solid", "triangle-up")
_POINTER, _VOCAB = Series(BLUE, "solid", "square"), Series(VERMILLION, "dash", "circle")

# Every model or method name a lab gives its series. Names that mean the same model in
# different labs (rnn and "tanh RNN") share one entry.
MODELS: dict[str, Series] = {
    # recurrent cells
    "rnn": _RNN, "tanh RNN": _RNN, "lstm": _LSTM, "LSTM": _LSTM, "gru": _GRU, "GRU": _GRU,
    "linear": Series(REDDISH_PURPLE, "dash", "x"),
    "GRU gates fixed": Series(SKY_BLUE, "dash", "diamond-open"),
    "GRU gates free": _GRU,
    # attention and the models built on it
    "attention": _ATTENTION, "self-attention": _ATTENTION,
    "attention_explicit": Series(SKY_BLUE, "dash", "triangle-down"),
    "dot": _ATTENTION, "additive": Series(SKY_BLUE, "dash", "square"),
    "general": Series(REDDISH_PURPLE, "dot", "diamond"),
    "none": Series(VERMILLION, "dashdot", "circle"),
    # one direction or both
    "uni": Series(VERMILLION, "solid", "circle"), "bi": Series(BLUE, "solid", "square"),
    "bi, future hidden": Series(ORANGE, "dot", "star"),
    "forward": Series(SKY_BLUE, "solid", "triangle-right"),
    "backward": Series(REDDISH_PURPLE, "dash", "triangle-left"),
    # pointing or naming from a vocabulary
    "pointer": _POINTER, "vocab": _VOCAB, "pointer · hungarian": _POINTER,
    "vocab · hungarian": _VOCAB,
    "pointer · fixed": Series(BLUISH_GREEN, "dot", "diamond"),
    "vocab · fixed": Series(REDDISH_PURPLE, "dashdot", "x"),
    # forecasting
    "iterative": Series(VERMILLION, "solid", "circle"),
    "direct": Series(BLUE, "solid", "square"),
    "persistence": Series(REFERENCE, "dot", "x"),
    "truth": Series(REFERENCE, "solid", "circle"),
    # latent-variable and memory models
    "vrae": Series(BLUE, "solid", "circle"),
    "stack": Series(BLUISH_GREEN, "solid", "diamond"),
    # the Applications labs: DNA, multi-task heads, rare events, anomaly detection
    "CNN → BiLSTM": Series(BLUE, "solid", "square"), "CNN": Series(ORANGE, "dash", "circle"),
    "BiLSTM": Series(BLUISH_GREEN, "dot", "diamond"),
    "shared": Series(BLUE, "solid", "square"),
    "tagging only": Series(REDDISH_PURPLE, "dash", "x"),
    "sequence only": Series(ORANGE, "dot", "circle"),
    "plain": Series(VERMILLION, "solid", "circle"), "weighted": Series(SKY_BLUE, "dash", "square"),
    "focal": Series(BLUISH_GREEN, "dot", "diamond"),
    "every step": Series(BLUE, "solid", "square"),
    "every k steps": Series(ORANGE, "dash", "circle"),
    "end only": Series(BLUISH_GREEN, "dot", "diamond"),
    "repeat": Series(BLUE, "solid", "square"), "sequence": Series(VERMILLION, "dash", "circle"),
    "autoregressive": Series(BLUISH_GREEN, "dot", "diamond"),
}


def series(name: str, i: int = 0) -> Series:
    """The look of a named series; a name no lab declared takes the i-th colour of the set."""
    found = MODELS.get(name)
    if found is not None:
        return found
    return Series(OKABE_ITO[i % len(OKABE_ITO)])


def color(name: str, i: int = 0) -> str:
    return series(name, i).color


def line(name: str, i: int = 0, **extra) -> dict:
    """A plotly `line` for the series: its colour and dash (extra keys override)."""
    look = series(name, i)
    return {"color": look.color, "dash": look.dash, **extra}


def colors_for(names) -> dict[str, str]:
    """name -> colour for a lab's series, the mapping the live loss chart is given."""
    return {name: color(name, i) for i, name in enumerate(names)}
