"""The skeleton every lab shares: training several arms, finishing a Result, named seed
streams, seeded model construction, and the Config's own validation."""
import threading
from dataclasses import dataclass

import pytest
import torch

from core.arms import Arm, Trained, finish, lab_of, run_status, train_arms
from core.contract import ConfigError, knob, make_config
from core.device import STREAMS, build_seeded, stream, stream_seed
from core.train import TrainLog, phase_reporter, train


def _fake_arm(early_stop_at: int | None = None, status: str = "completed"):
    """A train_one that 'trains' by reporting each step, stopping early if asked."""
    calls = []

    def train_one(arm, steps, report, should_stop):
        calls.append((arm.name, steps, arm.headline))
        taken = min(steps, early_stop_at) if (arm.headline and early_stop_at) else steps
        for s in range(1, taken + 1):
            report(s, {"loss": 1.0 / s})
        report(taken, {"eval": True, "live": {"arm": arm.name, "step": taken}})
        return Trained(arm, model=f"model-{arm.name}",
                       log=TrainLog(status=status if arm.headline else "completed", steps=taken,
                                    history=[{"step": taken, "loss": 0.5}]))
    return train_one, calls


def test_rivals_get_the_steps_the_headline_arm_took_and_progress_is_split():
    train_one, calls = _fake_arm(early_stop_at=30)
    seen = []
    trained = train_arms([Arm("a"), Arm("b"), Arm("c")], train_one, steps=100,
                         on_step=lambda s, m: seen.append(m))
    assert calls == [("a", 100, True), ("b", 30, False), ("c", 30, False)]
    progress = {name: [m["progress"] for m in seen if m["series"] == name] for name in "abc"}
    assert max(progress["a"]) <= 1 / 3 + 1e-9 and min(progress["b"]) > 1 / 3
    assert max(progress["c"]) == pytest.approx(1.0)
    assert [t.live for t in trained] == [{"arm": n, "step": 30} for n in "abc"]


def test_without_matching_every_arm_gets_its_own_steps():
    train_one, calls = _fake_arm(early_stop_at=30)
    train_arms([Arm("a"), Arm("b", steps=7)], train_one, steps=100, rivals_match_main=False)
    assert calls == [("a", 100, True), ("b", 7, False)]


def test_a_stopped_headline_arm_skips_the_rivals():
    train_one, calls = _fake_arm(status="stopped")
    trained = train_arms([Arm("a"), Arm("b")], train_one, steps=5)
    assert [t.name for t in trained] == ["a"] and len(calls) == 1
    assert run_status(trained, 2, success=True) == "stopped"


def _ended(*statuses):
    return [Trained(Arm(f"arm{i}"), None, TrainLog(status=s, steps=1))
            for i, s in enumerate(statuses)]


def test_one_status_rule_from_what_trained_and_what_was_planned():
    assert run_status(_ended("completed", "diverged"), 2, success=True) == "diverged"
    assert run_status(_ended("stopped"), 3, success=False) == "stopped"
    assert run_status(_ended("completed"), 2, success=True) == "stopped"  # skipped arms
    assert run_status(_ended("succeeded", "completed"), 2, success=True) == "succeeded"
    assert run_status(_ended("succeeded", "completed"), 2, success=False) == "completed"
    assert run_status([], 1, success=True) == "stopped"


def test_finish_knows_its_lab_from_the_config_package():
    from core.labs.gradients import Config
    assert lab_of(Config()) == "gradients"

    @dataclass
    class Stray:
        x: int = 1
    with pytest.raises(ValueError, match="not a lab's Config"):
        lab_of(Stray())


def test_a_diverged_arm_skips_matched_rivals_but_not_independent_arms():
    train_one, calls = _fake_arm(status="diverged")
    assert len(train_arms([Arm("a"), Arm("b")], train_one, steps=5)) == 1
    train_one, calls = _fake_arm(status="diverged")
    trained = train_arms([Arm("a"), Arm("b")], train_one, steps=5, rivals_match_main=False)
    assert [t.name for t in trained] == ["a", "b"]


def test_should_stop_between_arms_skips_the_rest():
    train_one, calls = _fake_arm()
    trained = train_arms([Arm("a"), Arm("b")], train_one, steps=5, should_stop=lambda: True)
    assert len(trained) == 1


def test_finish_fills_what_every_result_carries():
    train_one, _ = _fake_arm()
    trained = train_arms([Arm("a"), Arm("b")], train_one, steps=4)
    trained[0].log.message = "main note"

    @dataclass
    class Cfg:
        x: int = 1
    Cfg.__module__ = "core.labs.lab"  # as if defined in the package core/labs/lab/
    result = finish(Cfg(), 0.0, trained, metrics={"accuracy": 0.5}, success=True,
                    notes=["capped"])
    assert result.lab == "lab" and result.config == {"x": 1} and result.status == "completed" and result.steps == 4
    assert result.metrics["final_loss"] == 0.5 and result.metrics["accuracy"] == 0.5
    assert set(result.arrays["histories"]) == {"a", "b"}
    assert result.arrays["live"]["b"] == {"arm": "b", "step": 4}
    assert result.artifacts["models"] == {"a": "model-a", "b": "model-b"}
    assert result.message == "main note capped"
    result.to_json()


def test_phase_reporter_maps_nested_progress_and_names():
    seen = []
    outer = phase_reporter(lambda s, m: seen.append(m), "L=1.1", steps=10, base=0.5, span=0.5)
    outer(3, {"loss": 1.0})
    outer(3, {"loss": 1.0, "series": "direct", "progress": 0.5})
    assert seen[0]["progress"] == pytest.approx(0.65) and seen[0]["series"] == "L=1.1"
    assert seen[1]["progress"] == pytest.approx(0.75)
    assert seen[1]["series"] == "L=1.1 · direct"


def test_live_figure_data_reaches_watchers_but_not_the_history():
    p = torch.nn.Parameter(torch.ones(1))
    seen = []
    log = train([p], lambda s: (p ** 2).sum(), steps=2, lr=0.1, eval_every=1,
                evaluate=lambda s: {"value": p.item(), "live": {"p": p.item()}},
                on_step=lambda s, m: seen.append(m))
    assert any("live" in m for m in seen)
    assert all("live" not in h for h in log.history)


def test_streams_are_named_independent_and_train_is_the_seed_itself():
    assert stream_seed(7, "train") == 7
    seeds = {stream_seed(7, name) for name in STREAMS}
    assert len(seeds) == len(STREAMS)
    # seed + 1 was the old held-out stream: it must not be another seed's training data
    assert stream_seed(0, "validation") != stream_seed(1, "train")
    a = torch.rand(3, generator=stream(3, "test"))
    b = torch.rand(3, generator=stream(3, "test"))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="unknown stream"):
        stream(0, "heldout")


def test_seeded_construction_is_the_same_alone_and_in_parallel_threads():
    alone = build_seeded(5, lambda: torch.nn.LSTM(8, 16)).weight_hh_l0.detach().clone()
    results, barrier = {}, threading.Barrier(4)

    def build(i):
        barrier.wait()
        results[i] = [build_seeded(5 if i % 2 == 0 else 6, lambda: torch.nn.LSTM(8, 16))
                      for _ in range(20)]
    threads = [threading.Thread(target=build, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in (0, 2):
        assert all(torch.equal(m.weight_hh_l0, alone) for m in results[i])
    assert not torch.equal(results[1][0].weight_hh_l0, alone)


def test_seeded_construction_leaves_the_process_wide_generator_as_it_was():
    before = torch.random.get_rng_state()
    build_seeded(11, lambda: torch.nn.GRU(4, 4))
    assert torch.equal(torch.random.get_rng_state(), before)


@dataclass
class _Config:
    hidden: int = knob(8, "Hidden", "even", min=4, max=64, step=4)
    rate: float = knob(0.5, "Rate", "", min=0.0, max=1.0, step=0.05)
    low: int = knob(1, "Low", "", min=1, max=10)
    high: int = knob(5, "High", "", min=1, max=10)

    def check(self) -> None:
        if self.low > self.high:
            raise ConfigError(f"low ({self.low}) is above high ({self.high})")


def test_values_off_the_step_grid_are_refused_with_the_knob_named():
    assert make_config(_Config, {"hidden": "12", "rate": "0.35"}).hidden == 12
    with pytest.raises(ConfigError, match="hidden: 5 is not a multiple of 4"):
        make_config(_Config, {"hidden": 5})
    with pytest.raises(ConfigError, match="rate"):
        make_config(_Config, {"rate": 0.333})


def test_knobs_are_checked_against_each_other():
    with pytest.raises(ConfigError, match="low \\(7\\) is above high \\(2\\)"):
        make_config(_Config, {"low": 7, "high": 2})


def test_a_stop_between_measurements_measures_nothing_more():
    p = torch.nn.Parameter(torch.ones(1))
    stop_after = iter([False] * 8 + [True] * 10)  # 7 steps and the measurement at 5
    log = train([p], lambda s: (p ** 2).sum(), steps=100, lr=0.1, eval_every=5,
                evaluate=lambda s: {"value": p.item()}, should_stop=lambda: next(stop_after))
    evals = [h["step"] for h in log.history if h.get("eval")]
    assert log.status == "stopped" and log.steps == 7 and evals == [5]
    assert log.skipped == [7]  # the parameters it stopped with were not measured
