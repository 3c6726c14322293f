"""What each of the four Applications labs (DNA, Multi-task, Rare Events, Anomaly Detection)
checks of its own tiny run, written once: the Result serialises with one history and one live
series per model, the headline draws empty, with one model and finished, no run draws from
torch's global generator, Stop returns what it has, the Config holds only the lab's knobs,
the theory names tests in the lab's own test files, and the lab's modules stay small. (The
run with the default device set to meta is every lab's, in tests/test_every_lab.py.)"""
from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from core.contract import knobs, validate_value

ROOT = Path(__file__).resolve().parents[1]
# the one Applications lab's names for knobs that each lab now has without the prefix
OLD_PREFIXED = ("dna_length", "dna_matched", "mt_length", "event_compare", "event_loss",
                "ae_form")


def check_runs_and_serialises(r, lab, steps: int, colors: dict) -> None:
    assert r.lab == lab.id
    assert r.steps == steps and r.status in ("completed", "succeeded")
    data = json.loads(r.to_json())
    assert set(data["arrays"]["histories"]) == set(r.artifacts["models"])
    assert set(r.arrays["live"]) == set(r.artifacts["models"])
    assert set(r.arrays["live"]) <= set(colors)


def check_headline_draws_empty_one_arm_and_finished(r, headline) -> None:
    config = r.config
    titled = lambda fig: (any(ax.title.text for ax in fig.select_xaxes())
                          and any(ax.title.text for ax in fig.select_yaxes()))
    empty = headline({}, config)
    assert titled(empty)
    first = next(iter(r.arrays["live"]))
    one = headline({first: r.arrays["live"][first]}, config)
    done = headline(r.arrays["live"], config)
    assert len(done.data) >= len(one.data) >= 1
    assert done.layout.title.text and titled(done)


def check_no_draw_from_the_global_generator(lab, overrides: dict) -> None:
    before = torch.random.get_rng_state()
    lab.run(lab.make_config({**overrides, "steps": 5, "eval_every": 5}))
    assert torch.equal(torch.random.get_rng_state(), before)


def check_stop_returns_what_it_has(lab, overrides: dict) -> None:
    r = lab.run(lab.make_config({**overrides, "steps": 500}), should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0
    assert r.metrics["skipped"]  # Stop means stop: what was not measured is named
    json.loads(r.to_json())


def check_config_is_the_labs_own(lab, foreign: tuple[str, ...]) -> None:
    """Every preset and the smoke settings make a Config, the defaults sit on their sliders'
    grids, and no knob of another Applications lab is here, nor the one lab's `section` and
    prefixed names."""
    for preset in lab.presets:
        lab.make_config(preset.overrides)
    lab.make_config(lab.smoke)
    defaults = lab.Config()
    names = {f.name for f in knobs(lab.Config)}
    for f in knobs(lab.Config):
        validate_value(f, getattr(defaults, f.name))
        assert set(f.metadata["visible_if"]) <= names, f.name  # hidden only by its own knobs
    gone = {"section", *OLD_PREFIXED, *foreign}
    assert not names & gone, names & gone
    assert lab.group == "Applications" and 3 <= len(lab.primary) <= 6


def check_theory_names_tests_that_exist(lab_id: str) -> None:
    page = (ROOT / "pages" / f"{lab_id}.py").read_text(encoding="utf-8")
    theory = page[page.index("Where the theory comes from"):]
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", theory))
    defined = set()
    for path in ROOT.glob(f"tests/test_{lab_id}_*.py"):
        defined |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(encoding="utf-8"),
                                  re.M))
    assert named and named <= defined, named - defined


def check_modules_stay_small(lab_id: str) -> None:
    for path in list((ROOT / "core" / "labs" / lab_id).glob("*.py")) + [
            ROOT / "pages" / f"{lab_id}.py"]:
        assert len(path.read_text(encoding="utf-8").splitlines()) < 330, path.name
