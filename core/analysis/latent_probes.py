"""Walks through a trained VRAE's latent space: reconstruction, interpolation between two real
inputs, samples from the prior with a temperature, and attribute arithmetic z + α·v.

Every decode is free-running from z (the model feeds back its own output), so what is shown is
what the latent vector alone carries, not a copy of the input through teacher forcing.
Interpolation follows z_λ = (1 − λ) z_a + λ z_b between the posterior means of two inputs.
Attribute vectors are differences of class means of μ (Bowman et al. 2016; White 2016).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.analysis.latent import active_units, interpolate, path_max_jump, project_2d
from core.device import stream
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

    def pair_of_two_classes(self) -> tuple[int, int]:
        """The default path: the first example of the first class (a sine wave, a short
        word) and, of the second class (a square wave, a long word), the example whose input
        is nearest it — so the path shows the class changing rather than, say, the phase.
        Chosen from the inputs alone, never from what the model does with them."""
        labels = self.labels()
        classes = sorted(set(labels))
        if len(classes) < 2:
            return 0, min(1, len(labels) - 1)
        i = labels.index(classes[0])
        others = [k for k, c in enumerate(labels) if c == classes[1]]
        if self.discrete:
            words = self.examples.words
            distance = [sum(a != b for a, b in zip(words[i], words[k])) for k in others]
        else:
            x = self.examples.x[..., 0]
            distance = (x[others] - x[i]).pow(2).sum(1).tolist()
        return i, others[min(range(len(others)), key=distance.__getitem__)]

    @torch.no_grad()
    def measure(self, obs_std: float, gen: torch.Generator, decodes: int = 256) -> dict:
        """The ELBO's terms on these examples (z sampled with `gen`), the KL per dimension,
        the active units, and how well the latent mean alone brings each input back when the
        decoder runs free (no teacher forcing) on the first `decodes` of them."""
        model, held = self.model, self.examples
        model.eval()
        try:
            terms = model.elbo_terms(held, obs_std=obs_std, gen=gen)
            recon, kl_dims = terms.reconstruction.mean(), terms.kl.mean(0)
            n_active, variances = active_units(terms.mu)
            n = min(decodes, len(held.label))
            decoded = model.generate(terms.mu[:n], self.task.seq_len,
                                     held.label[:n] if model.classes else None)
        finally:
            model.train()
        if self.discrete:
            target = held.target[:n]
            mask = target != 0
            quality = {"free_running_letter_accuracy":
                       float(((decoded == target) & mask).sum() / mask.sum())}
        else:
            quality = {"free_running_rmse":
                       float((decoded - held.x[:n, :, 0]).pow(2).mean().sqrt())}
        kl = float(kl_dims.sum())
        return {"elbo": -float(recon) - kl, "reconstruction": float(recon), "kl": kl,
                "kl_per_dim": kl_dims.tolist(), "active_units": n_active,
                "unit_variances": variances, "examples_measured": len(held.label), **quality}

    def views(self, seed: int, pair: tuple[int, int]) -> dict:
        """What the page draws from a finished run without the model: the latent map (with
        every attribute it can be coloured by), prior samples, reconstructions and an
        attribute walk, all decoded free-running by the trained model."""
        mu = self.encode_mean(self.examples).cpu().numpy()
        xy, explained = project_2d(mu)
        labels = self.labels()
        i = pair[0]
        to_class = next((c for c in labels if c != labels[i]), labels[i])
        return {
            "latent_2d": xy.tolist(), "latent_explained": explained,
            "latent_classes": [self.task.class_names[c] for c in labels],
            "latent_attributes": self.examples.attributes(),
            "prior_samples": self.prior_samples(8, 1.0, seed),
            "reconstructions": [self.reconstruct(k) for k in range(min(4, len(labels)))],
            "arithmetic": self.arithmetic(i, to_class, labels[i], [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]),
            "examples": [self.describe(k) for k in range(len(labels))],
        }

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
        names = self.task.class_names
        out = {"start": self.describe(i), "end": self.describe(j),
               "classes": [names[self._label(i)], names[self._label(j)]],
               "inputs": [self.input_of(i), self.input_of(j)],
               "lambda": torch.linspace(0, 1, points, device="cpu").tolist(), "decoded": decoded,
               "z_path": path.tolist(),
               # the share of the end-to-end distance each step takes on an evenly paced path
               "even_step": 1 / (points - 1)}
        out.update(self.path_quality(decoded, raw, out["inputs"]))
        return out

    def path_payload(self, i: int, j: int, points: int) -> dict:
        """The path from `interpolation`, small and JSON-able (values to 3 decimals): the
        data of the lab's live headline figure."""
        path = self.interpolation(i, j, points)
        keep = ("lambda", "decoded", "inputs", "start", "end", "classes")
        out = {"kind": self.task.kind, **{k: path[k] for k in keep}}
        if not self.discrete:
            for k in ("decoded", "inputs"):
                out[k] = [[round(v, 3) for v in curve] for curve in path[k]]
        return out

    def path_quality(self, decoded: list, raw: torch.Tensor, inputs: list | None = None) -> dict:
        """Smoothness and validity of a decoded path.

        Waveforms: largest jump between neighbours as a fraction of the end-to-end distance
        (1/(points − 1) is perfectly even), the fraction of curves inside the data's range,
        and the RMSE of the path's two ends against the two inputs (how plainly the path
        starts at one input and ends at the other).
        Words: the fraction of strings that end cleanly with letters only, and the fraction
        that are words in the shipped list."""
        if self.discrete:
            known = set(load_words())
            changes = sum(a != b for a, b in zip(decoded, decoded[1:]))
            return {"valid_fraction": sum(ends_cleanly(raw)) / len(decoded),
                    "real_word_fraction": sum(w in known for w in decoded) / len(decoded),
                    "changes": changes}
        in_range = [max(abs(v) for v in curve) <= 1.25 for curve in decoded]
        out = {"valid_fraction": sum(in_range) / len(decoded), "max_jump": path_max_jump(decoded)}
        if inputs is not None:
            ends = np.asarray([decoded[0], decoded[-1]], dtype=float)
            out["end_rmse"] = float(np.sqrt(((ends - np.asarray(inputs, dtype=float)) ** 2).mean()))
        return out

    def prior_samples(self, n: int, temperature: float, seed: int, label: int = 0) -> list:
        """Decodes of z = temperature·ε, ε ~ N(0, I): temperature 1 samples the prior itself.
        ε comes from the run's "examples" stream, so a temperature change rescales the same
        draws instead of drawing new ones."""
        gen = stream(seed, "examples")
        device = self.model.head.weight.device
        z = temperature * torch.randn(n, self.model.latent_dim, generator=gen,
                                      device=gen.device).to(device)
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
