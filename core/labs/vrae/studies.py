"""Plain sequence autoencoders beside the VRAE: reconstruction error against sequence length
for the three decoder forms of core.models.seq_autoencoder.

Each form trains on the same stream of waveforms (same seed, same batches) whose length is
drawn from LENGTHS each step, then is measured on test waveforms of every length. The
autoregressive form is measured free-running (feeding back its own output), as it would be
used; its teacher-forced error is reported beside it, since the gap is exposure bias.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from core.arms import Arm, Trained, finish, run_status, train_arms
from core.contract import Result
from core.device import build_seeded, pick_device, stream
from core.models.seq_autoencoder import FORMS, SequenceAutoencoder
from core.tasks.waveforms import Waveforms
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.vrae import Config

LENGTHS = (8, 16, 32, 64)
TEST_PER_LENGTH = 256


@torch.no_grad()
def error_by_length(model: SequenceAutoencoder, test: dict, teacher_forcing: bool) -> list:
    """Mean squared reconstruction error per test length."""
    model.eval()
    try:
        return [float(F.mse_loss(model(test[T].x, teacher_forcing=teacher_forcing), test[T].x))
                for T in LENGTHS]
    finally:
        model.train()


@dataclass(frozen=True)
class FormSpec:
    """What one arm of the autoencoder study trains (its decoder form is the arm's name): the
    run's Config, the device, and the test waveforms by length every form is measured on."""
    config: "Config"
    device: object
    test: dict


def _train_form(arm: Arm, steps: int, report, should_stop) -> Trained:
    spec: FormSpec = arm.spec
    config, device, test = spec.config, spec.device, spec.test
    task = Waveforms()
    with torch.device(device):
        model = build_seeded(config.seed, lambda: SequenceAutoencoder(arm.name, config.hidden))
    data_gen = stream(config.seed, "train")

    def step_fn(step: int):
        pick = torch.randint(0, len(LENGTHS), (1,), generator=data_gen, device=data_gen.device)
        b = task.sample(config.batch, data_gen, device, seq_len=LENGTHS[int(pick)])
        return F.mse_loss(model(b.x), b.x)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=config.clip,
                on_step=report, should_stop=should_stop, log_every=5)
    return Trained(arm, model, log, summary={
        "by_length": error_by_length(model, test, teacher_forcing=False),
        "teacher_forced_by_length": error_by_length(model, test, teacher_forcing=True)})


def compare_autoencoders(config, on_step=None, should_stop=None) -> Result:
    """Train each decoder form for `config.ae_steps` steps on the same data and seed, then
    measure its error at every test length."""
    start = time.perf_counter()
    device = pick_device()
    gen = stream(config.seed, "test")
    task = Waveforms()
    test = {T: task.sample(TEST_PER_LENGTH, gen, device, seq_len=T) for T in LENGTHS}
    arms = [Arm(form, spec=FormSpec(config, device, test)) for form in FORMS]
    trained = train_arms(arms, _train_form, steps=config.ae_steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    forms = {t.name: t.summary for t in trained}
    by_length = {f: r["by_length"] for f, r in forms.items()}
    forced = {f: r["teacher_forced_by_length"] for f, r in forms.items()}
    return finish(config, start, trained,
                  metrics={"reconstruction_by_length": by_length,
                           "teacher_forced_by_length": forced,
                           "lengths": list(LENGTHS), "test_per_length": TEST_PER_LENGTH},
                  arrays={"autoencoders": {"lengths": list(LENGTHS), "forms": forms}},
                  success=len(trained) == len(arms),
                  status=run_status(trained, len(arms), success=False),
                  steps=sum(t.log.steps for t in trained))
