"""Reconstruction error against sequence length for the three sequence-autoencoder forms.

Each form trains on the same stream of waveforms (same seed, same batches) whose length is
drawn from LENGTHS each step, then is measured on held-out waveforms of every length. The
autoregressive form is measured free-running (feeding back its own output), as it would be
used; its teacher-forced error is reported beside it, since the gap is exposure bias.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.device import seed_everything, seeded_generator
from core.models.seq_autoencoder import FORMS, SequenceAutoencoder
from core.tasks.waveforms import Waveforms
from core.train import train

LENGTHS = (8, 16, 32, 64)


@torch.no_grad()
def error_by_length(model: SequenceAutoencoder, held_out: dict, teacher_forcing: bool) -> list:
    """Mean squared reconstruction error per held-out length."""
    model.eval()
    errors = [float(F.mse_loss(model(held_out[T].x, teacher_forcing=teacher_forcing),
                               held_out[T].x)) for T in LENGTHS]
    model.train()
    return errors


def compare_decoder_forms(*, hidden: int, steps: int, batch: int, lr: float, clip: float,
                          seed: int, device, on_step=None, should_stop=None) -> dict:
    """Train each form for `steps` steps and measure; returns per-form errors and histories."""
    task = Waveforms()
    held_out = {T: task.sample(256, seeded_generator(seed + 10 + T), device, seq_len=T)
                for T in LENGTHS}
    results = {}
    for i, form in enumerate(FORMS):
        if should_stop is not None and should_stop():
            break
        seed_everything(seed)
        model = SequenceAutoencoder(form, hidden).to(device)
        data_gen = seeded_generator(seed)

        def step_fn(step: int, model=model, data_gen=data_gen):
            T = LENGTHS[int(torch.randint(0, len(LENGTHS), (1,), generator=data_gen))]
            b = task.sample(batch, data_gen, device, seq_len=T)
            return F.mse_loss(model(b.x), b.x)

        def report(step: int, metrics: dict, form=form, i=i) -> None:
            if on_step is not None:
                on_step(step, {**metrics, "series": form,
                               "progress": (i + step / max(steps, 1)) / len(FORMS)})

        log = train(list(model.parameters()), step_fn, steps=steps, lr=lr, clip=clip,
                    on_step=report, should_stop=should_stop, log_every=5)
        results[form] = {
            "by_length": error_by_length(model, held_out, teacher_forcing=False),
            "teacher_forced_by_length": error_by_length(model, held_out, teacher_forcing=True),
            "history": log.history, "status": log.status, "steps": log.steps}
    return {"lengths": list(LENGTHS), "forms": results}
