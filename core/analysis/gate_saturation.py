"""How often each gate of each cell saturates, as in Karpathy, Johnson & Fei-Fei (2015,
"Visualizing and Understanding Recurrent Networks", Fig. 3): over the T positions of a text,

    left-saturated fraction  = #{t : g_t < 0.1} / T
    right-saturated fraction = #{t : g_t > 0.9} / T

for every gate g in [0, 1] of every cell. A right-saturated forget gate keeps its cell state
almost unchanged (an integrator that can remember across a long span); a gate saturated both
ways, left + right = 1, acts as a switch; the rest respond to their input gradually. A tanh
RNN has no gates, so it has nothing to report here: gate_saturation returns None for it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.cell_replay import Replay

LEFT, RIGHT = 0.1, 0.9


@dataclass
class GateSaturation:
    layer: np.ndarray  # (N,) the layer of each cell (units of every layer, first layer first)
    unit: np.ndarray  # (N,) the unit within its layer
    left: dict  # gate name -> (N,) fraction of positions with the gate < LEFT
    right: dict  # gate name -> (N,) fraction of positions with the gate > RIGHT


def saturation_fractions(gate: np.ndarray, low: float = LEFT, high: float = RIGHT):
    """(left, right) fractions per cell of one gate's activations (T, H): the share of
    positions strictly below `low` and strictly above `high`."""
    g = np.asarray(gate, dtype=float)
    if g.ndim != 2 or g.shape[0] == 0:
        raise ValueError("gate activations must be (positions, cells) with at least one "
                         "position")
    if not 0 <= low < high <= 1:
        raise ValueError(f"the saturation bounds must satisfy 0 <= low < high <= 1, "
                         f"not {low} and {high}")
    return (g < low).mean(axis=0), (g > high).mean(axis=0)


def gate_saturation(result: Replay, low: float = LEFT,
                    high: float = RIGHT) -> GateSaturation | None:
    """Every gate's saturation fractions over the replayed text, for all layers; None for a
    tanh RNN, which has no gates."""
    if not result.layers or not result.layers[0].gates:
        return None
    left, right, layer, unit = {}, {}, [], []
    for k, trace in enumerate(result.layers):
        H = trace.h.shape[1]
        layer += [k] * H
        unit += list(range(H))
        for name, gate in trace.gates.items():
            lo, hi = saturation_fractions(gate, low, high)
            left.setdefault(name, []).append(lo)
            right.setdefault(name, []).append(hi)
    return GateSaturation(layer=np.array(layer), unit=np.array(unit),
                          left={k: np.concatenate(v) for k, v in left.items()},
                          right={k: np.concatenate(v) for k, v in right.items()})
