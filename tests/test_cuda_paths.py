"""What runs only on a GPU, checked on the CPU: the CUDA branches of build_seeded and of the
cost study's memory reading, driven through stand-ins for torch.cuda's counters, and the CPU
path of scripts/gpu_check.py end to end."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import torch

from core import device as device_module
from core.analysis.cost_scaling import measure_step

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_check.py"


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_seeded_puts_every_cuda_generator_back(monkeypatch):
    """torch.manual_seed reseeds each CUDA device too; build_seeded must leave those states
    as it found them, as it does the CPU's."""
    cuda_state = {"states": ["before-0", "before-1"]}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: list(cuda_state["states"]))
    monkeypatch.setattr(torch.cuda, "set_rng_state_all",
                        lambda states: cuda_state.update(states=list(states)))
    monkeypatch.setattr(torch.cuda, "manual_seed_all",
                        lambda seed: cuda_state.update(states=[f"seeded-{seed}"] * 2))
    cpu_before = torch.random.get_rng_state()

    weights = device_module.build_seeded(7, lambda: torch.nn.Linear(3, 2).weight.detach())

    assert cuda_state["states"] == ["before-0", "before-1"]
    assert torch.equal(torch.random.get_rng_state(), cpu_before)
    again = device_module.build_seeded(7, lambda: torch.nn.Linear(3, 2).weight.detach())
    assert torch.equal(weights, again)


class FakeAllocator:
    """torch.cuda's allocator counters for a step that, the first time only, allocates
    `lasting` MB that stay (gradients, optimiser moments) and each time `transient` MB that
    are freed when it ends (the activations autograd kept)."""

    def __init__(self, lasting: float, transient: float):
        self.lasting, self.transient = lasting, transient
        self.allocated = self.peak = 0.0
        self.steps = 0

    def step(self):
        if self.steps == 0:
            self.allocated += self.lasting
        self.peak = max(self.peak, self.allocated + self.transient)
        self.steps += 1

    def install(self, monkeypatch):
        mb = 2**20
        monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
        monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device=None: self.allocated * mb)
        monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: self.peak * mb)
        monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats",
                            lambda device=None: setattr(self, "peak", self.allocated))


def test_cuda_memory_of_a_step_leaves_out_what_its_first_step_allocates_for_good(monkeypatch):
    fake = FakeAllocator(lasting=100.0, transient=10.0)
    fake.install(monkeypatch)
    measured = measure_step(torch.nn.Linear(2, 2), fake.step, torch.device("cuda"), repeats=2)
    assert measured["mb"] == 10.0  # the activations, not the 100 MB of gradients
    assert measured["timed_steps"] == 2


def test_a_metric_differs_only_beyond_the_stated_tolerance():
    check = _gpu_check()
    # |d - c| > 0.05 + 0.25 |c|: at c = 1 the band is 0.3 on either side.
    assert not check.differs(1.29, 1.0) and check.differs(1.31, 1.0)
    assert not check.differs(0.71, 1.0) and check.differs(0.69, 1.0)
    assert not check.differs(0.04, 0.0) and check.differs(0.06, 0.0)
    found = check.metric_differences({"accuracy": 0.5, "loss": 1.0, "seconds_to_success": 9.0,
                                      "flag": True},
                                     {"accuracy": 1.0, "loss": 1.1, "seconds_to_success": 1.0,
                                      "flag": False})
    assert found == [{"metric": "accuracy", "device": 0.5, "cpu": 1.0}]  # clocks left out


def test_a_criterion_that_holds_on_the_cpu_only_fails_the_row():
    check = _gpu_check()
    cpu = {"smoke": {"success": True, "metrics": {"accuracy": 1.0}},
           "studies": {"sweep": {"success": True, "metrics": {}}}, "export": {"ok": True}}
    device = {"smoke": {"success": False, "metrics": {"accuracy": 0.2}},
              "studies": {"sweep": {"success": True, "metrics": {}}}, "export": {"ok": True}}
    row = check.compare("lab", device, cpu)
    assert not row["ok"] and row["criteria_lost"] == ["smoke"]
    assert row["differences"][0]["metric"] == "accuracy"
    assert check.compare("lab", cpu, cpu)["ok"]
    broken = {**cpu, "studies": {"error": "RuntimeError: Expected all tensors on one device"}}
    assert not check.compare("lab", broken, cpu)["ok"]


def test_the_check_runs_its_cpu_path_and_writes_a_table_and_json(tmp_path):
    out = tmp_path / "check.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--labs", "bidirectional",
                           "--json", str(out)], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    (row,) = report["rows"]
    assert row["lab"] == "bidirectional" and row["ok"]
    assert row["cpu"]["smoke"]["steps"] > 0 and row["cpu"]["export"]["same_after_round_trip"]
    assert row["cpu"]["device_type"] == "cpu"
    assert "| bidirectional (smoke) | yes |" in done.stdout
    if not torch.cuda.is_available():
        assert "No CUDA on this machine" in done.stderr and row["device"] is None


def test_the_check_refuses_an_unknown_lab():
    done = subprocess.run([sys.executable, str(SCRIPT), "--labs", "nope"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "unknown lab 'nope'" in done.stderr
