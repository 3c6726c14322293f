"""What each model trained with, as `core.arms.finish` records it and the page says it: an
arm whose spec trains it differently from the run's knobs (a smaller batch, a matched width)
says both values, and what the arm's name already says, or a knob that does not act on it,
is left out. Every lab's records on its smoke run: tests/test_every_lab.py; on the page:
tests/test_pages.py."""
from __future__ import annotations

import dataclasses

import torch

from core.arms import Arm, Trained, trained_with
from core.labs.gradients import LAB, CellSpec
from core.labs.pointer import LAB as POINTER
from core.train import TrainLog
from ui.trained_with import trained_with_lines


def _trained(name: str, spec, steps: int, *, headline=False, status="completed",
             reached=None, lr=0.003) -> Trained:
    log = TrainLog(status=status, steps=steps, wall_s=1.25, lr=lr, parameters=7,
                   steps_to_success=reached)
    return Trained(Arm(name, spec=spec, headline=headline), torch.nn.Linear(3, 2), log)


def test_a_rival_trained_with_a_smaller_batch_says_so_beside_the_knob():
    config = LAB.Config()
    trained = [_trained("lstm", CellSpec(config, "lstm", "cpu"), 625, headline=True,
                        status="succeeded", reached=625),
               _trained("rnn", CellSpec(dataclasses.replace(config, cell="rnn", batch=16),
                                        "rnn", "cpu"), 625)]
    main, rival = trained_with(config, trained)
    assert main["knobs"] == {"batch": 64, "seq_len": 80, "hidden": 64, "lr": 0.003}
    assert main["run_values"] == {} and main["parameters"] == 8  # nn.Linear(3, 2): 6 + 2
    assert rival["knobs"]["batch"] == 16 and rival["run_values"] == {"batch": 64}  # not cell
    result = type("R", (), {"lab": "gradients", "arrays": {"trained_with": [main, rival]}})
    assert trained_with_lines(result, LAB) == [
        "LSTM — 625 steps × batch 64, T = 80, hidden 64, lr 0.003 · 8 parameters · 1.2 s"
        " · stopped early: criterion met at step 625",
        "tanh RNN — 625 steps × batch 16 (knob: 64), T = 80, hidden 64, lr 0.003"
        " · 8 parameters · 1.2 s"]


def test_a_knob_that_does_not_act_on_the_arm_is_not_said_to_differ():
    from core.labs.pointer import DecoderSpec
    config = POINTER.Config()  # a sequence task: the set loss does not apply
    spec = DecoderSpec(config, None, "cpu", "pointer", "fixed")
    [record] = trained_with(config, [_trained("pointer", spec, 10, headline=True,
                                                        lr=config.lr)])
    assert "set_loss" not in record["knobs"] and record["run_values"] == {}


def test_records_the_page_cannot_read_are_left_out():
    result = type("R", (), {"lab": "gradients",
                            "arrays": {"trained_with": [{"name": "x"}, "junk", None]}})
    assert trained_with_lines(result, LAB) == []
    assert trained_with_lines(type("R", (), {"arrays": []})) == []
