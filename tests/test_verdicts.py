"""Every lab ends its run with one sentence: it names the success criterion and carries the
numbers the run measured against it, formatted from the Result's own metrics."""
import pytest

from core.labs import all_labs
from core.verdict import number, steps_by_model

# the measured number each lab's sentence must carry, read from the Result
MEASURED = {
    "gradients": lambda m: number(m["accuracy"]),
    "paths": lambda m: number(m["accuracy"]),
    "attention": lambda m: number(m["accuracy"]),
    "pointer": lambda m: number(m["accuracy"]),
    "stack": lambda m: number(m["accuracy"]),
    "bidirectional": lambda m: number(m["accuracy"]),
    "vrae": lambda m: number(m["kl"]),
    "forecast": lambda m: f"{m['one_step_error_iterative']:.3g}" if m["system"] == "csv"
    else f"{m['growth_rate_iterative']:.3f}",
    "language": lambda m: number(m["held_out_bits"]),
    "dna": lambda m: number(m["presence_ceiling"]),
    "multitask": lambda m: number(m["accuracy_tag"]),
    "anomaly": lambda m: number(m["roc_auc"]),
    "events": lambda m: number(m["score"]),
}


@pytest.mark.parametrize("lab", list(all_labs().values()), ids=lambda lab: lab.id)
def test_the_verdict_names_the_criterion_and_the_measured_numbers(lab):
    result = lab.run(lab.make_config(lab.smoke))
    said = lab.verdict(result)
    metrics = dict(result.metrics, system=result.arrays.get("system"))
    assert said.startswith("Criterion: ")
    assert MEASURED[lab.id](metrics) in said
    assert all(f"{steps} steps" in said for steps in steps_by_model(result).values())
    assert said.endswith(("criterion met.", "criterion not met.", "training diverged."))
    assert ("criterion met." in said) == result.success


def test_numbers_keep_tiny_ratios_readable():
    assert number(1e-16) == "1.0e-16"
    assert number(0.32) == "0.32"
    assert number(None) == "not measured"
    assert number(float("nan")) == "not measured"
