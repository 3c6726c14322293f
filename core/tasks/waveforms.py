"""Families of waveforms: a continuous data set whose generating factors are known.

Each sequence is one waveform x_t = f(2π t / P + φ) with a shape f (sine, soft square,
triangle, sawtooth), a period P in steps and a phase φ. Three factors of variation, so a
latent space of a few dimensions can hold everything, and the latent map can be coloured by
a factor the model never saw as a label.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

SHAPES = ("sine", "square", "triangle", "sawtooth")


def waveform(shape_id: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Values in [-1, 1] of each shape at the given angles (radians); shape_id broadcasts."""
    unit = torch.remainder(angle, 2 * math.pi) / (2 * math.pi)  # position in the cycle, [0, 1)
    sine = torch.sin(angle)
    square = torch.tanh(4.0 * sine)  # smoothed edges: a continuous decoder can follow them
    triangle = 1.0 - 4.0 * torch.abs(unit - 0.5)
    sawtooth = 2.0 * unit - 1.0
    stacked = torch.stack([sine, square, triangle, sawtooth])
    index = shape_id.expand_as(angle).unsqueeze(0)
    return stacked.gather(0, index).squeeze(0)


@dataclass
class WaveBatch:
    x: torch.Tensor  # (B, T, 1) values
    shape_id: torch.Tensor  # (B,) index into SHAPES; also the class of the conditional model
    period: torch.Tensor  # (B,) steps per cycle
    phase: torch.Tensor  # (B,) radians

    @property
    def label(self) -> torch.Tensor:
        return self.shape_id

    def attributes(self) -> dict:
        return {"shape": [SHAPES[i] for i in self.shape_id.tolist()],
                "period": self.period.tolist(), "phase": self.phase.tolist()}

    def subset(self, index) -> "WaveBatch":
        return WaveBatch(self.x[index], self.shape_id[index], self.period[index],
                         self.phase[index])


@dataclass(frozen=True)
class Waveforms:
    seq_len: int = 32
    min_period: float = 8.0
    max_period: float = 24.0

    kind = "continuous"
    classes = len(SHAPES)
    class_names = SHAPES
    attribute = "shape"

    def sample(self, n: int, gen: torch.Generator, device=None,
               seq_len: int | None = None) -> WaveBatch:
        T = seq_len or self.seq_len
        on = gen.device  # drawn where the generator lives, then moved: never on a default device
        shape_id = torch.randint(0, len(SHAPES), (n,), generator=gen, device=on)
        period = self.min_period + (self.max_period - self.min_period) * torch.rand(
            n, generator=gen, device=on)
        phase = 2 * math.pi * torch.rand(n, generator=gen, device=on)
        t = torch.arange(T, dtype=torch.float32, device=on)
        angle = 2 * math.pi * t.unsqueeze(0) / period.unsqueeze(1) + phase.unsqueeze(1)
        x = waveform(shape_id.unsqueeze(1), angle).unsqueeze(-1)
        batch = WaveBatch(x, shape_id, period, phase)
        if device is not None:
            batch = WaveBatch(*(v.to(device) for v in (x, shape_id, period, phase)))
        return batch

    def describe(self, batch: WaveBatch, i: int) -> str:
        return (f"{SHAPES[int(batch.shape_id[i])]}, period {float(batch.period[i]):.1f}, "
                f"phase {float(batch.phase[i]):.2f}")
