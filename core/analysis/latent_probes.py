"""Walks through a trained VRAE's latent space: reconstruction, interpolation between two real
inputs, samples from the prior with a temperature, and attribute arithmetic z + α·v.

Every decode is free-running from z (the model feeds back its own output), so what is shown is
what the latent vector alone carries, not a copy of the input through teacher forcing.
Interpolation follows z_λ = (1 − λ) z_a + λ z_b between the posterior means of two inputs.
Attribute vectors are differences of class means of μ (Bowman et al. 2016; White 2016).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from core.analysis.latent import interpolate, path_max_jump
from core.models.vrae import VRAE, decoded_ids_to_words, ends_cleanly
from core.tasks.words import encode, load_words


@dataclass
class LatentProbe:
    model: VRAE
    task: object  # Waveforms or Words
    examples: object  # a held-out batch the page picks inputs from

    @property
    def discrete(self) -> bool:
        return self.task.kind == "discrete"

    def describe(self, i: int) -> str:
        return self.task.describe(self.examples, i)

    def labels(self) -> list[int]:
        return self.examples.label.tolist()

    @torch.no_grad()
    def encode_mean(self, batch) -> torch.Tensor:
        self.model.eval()
        mu, _ = self.model.encode(batch)
        self.model.train()
        return mu

    @torch.no_grad()
    def generate(self, z: torch.Tensor, label: int | None = None) -> torch.Tensor:
        self.model.eval()
        cond = None
        if self.model.classes:
            cond = torch.full((z.shape[0],), int(label or 0), dtype=torch.long, device=z.device)
        out = self.model.generate(z, self.task.seq_len, cond)
        self.model.train()
        return out

    def decode(self, z: torch.Tensor, label: int | None = None) -> list:
        """Curves (lists of values) or words decoded from each row of z."""
        out = self.generate(z, label)
        return decoded_ids_to_words(out) if self.discrete else out.tolist()

    def _label(self, i: int) -> int:
        return int(self.examples.label[i])

    def input_of(self, i: int):
        return self.examples.words[i] if self.discrete else self.examples.x[i, :, 0].tolist()

    def reconstruct(self, i: int) -> dict:
        z = self.encode_mean(self.examples.subset([i]))
        return {"input": self.input_of(i), "decoded": self.decode(z, self._label(i))[0]}

    def reconstruct_word(self, text: str, label: int | None = None) -> dict:
        """A typed word through the model; raises ValueError naming what is wrong with it."""
        if not self.discrete:
            raise ValueError("typed input needs the words data set")
        batch = encode([text], self.model.head.weight.device)
        z = self.encode_mean(batch)
        cls = int(batch.label[0]) if label is None else label
        return {"input": batch.words[0], "decoded": self.decode(z, cls)[0]}

    def interpolation(self, i: int, j: int, points: int = 9) -> dict:
        mu = self.encode_mean(self.examples.subset([i, j]))
        path = interpolate(mu[0], mu[1], points)
        raw = self.generate(path, self._label(i))
        decoded = decoded_ids_to_words(raw) if self.discrete else raw.tolist()
        out = {"start": self.describe(i), "end": self.describe(j),
               "inputs": [self.input_of(i), self.input_of(j)],
               "lambda": torch.linspace(0, 1, points).tolist(), "decoded": decoded,
               "z_path": path.tolist()}
        out.update(self.path_quality(decoded, raw))
        return out

    def path_quality(self, decoded: list, raw: torch.Tensor) -> dict:
        """Smoothness and validity of a decoded path.

        Waveforms: largest jump between neighbours as a fraction of the end-to-end distance
        (1/(points − 1) is perfectly even) and the fraction of curves inside the data's range.
        Words: the fraction of strings that end cleanly with letters only, and the fraction
        that are words in the shipped list."""
        if self.discrete:
            known = set(load_words())
            changes = sum(a != b for a, b in zip(decoded, decoded[1:]))
            return {"valid_fraction": sum(ends_cleanly(raw)) / len(decoded),
                    "real_word_fraction": sum(w in known for w in decoded) / len(decoded),
                    "changes": changes}
        in_range = [max(abs(v) for v in curve) <= 1.25 for curve in decoded]
        return {"valid_fraction": sum(in_range) / len(decoded),
                "max_jump": path_max_jump(decoded)}

    def prior_samples(self, n: int, temperature: float, seed: int, label: int = 0) -> list:
        """Decodes of z = temperature·ε, ε ~ N(0, I): temperature 1 samples the prior itself."""
        gen = torch.Generator().manual_seed(int(seed))
        device = self.model.head.weight.device
        z = temperature * torch.randn(n, self.model.latent_dim, generator=gen).to(device)
        return self.decode(z, label)

    def attribute_vector(self, class_to: int, class_from: int) -> torch.Tensor:
        """v = mean μ over held-out inputs of class `class_to` minus that of `class_from`."""
        mu = self.encode_mean(self.examples)
        labels = self.examples.label
        if not (labels == class_to).any() or not (labels == class_from).any():
            raise ValueError("the held-out examples lack one of the two classes")
        return mu[labels == class_to].mean(0) - mu[labels == class_from].mean(0)

    def arithmetic(self, i: int, class_to: int, class_from: int, alphas: list) -> dict:
        v = self.attribute_vector(class_to, class_from)
        z = self.encode_mean(self.examples.subset([i]))[0]
        path = torch.stack([z + a * v for a in alphas])
        return {"input": self.input_of(i), "alphas": list(alphas),
                "decoded": self.decode(path, self._label(i)),
                "from": self.task.class_names[class_from], "to": self.task.class_names[class_to]}
