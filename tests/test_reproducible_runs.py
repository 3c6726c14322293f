"""Two runs of the same link at once on a shared server give exactly what each gives alone,
for every lab: every draw comes from the run's own named streams, models are built off the
process-wide generator (core.device.build_seeded), and no run draws from it while it trains."""
import threading

import pytest
import torch

from core.labs import all_labs


def losses(lab, config) -> list:
    return [h["loss"] for h in lab.run(config).history if "loss" in h]


@pytest.mark.parametrize("lab", list(all_labs().values()), ids=lambda lab: lab.id)
def test_a_run_beside_another_gives_the_same_numbers_as_alone(lab):
    config = lab.make_config(lab.smoke)
    before = torch.random.get_rng_state()
    alone = losses(lab, config)
    assert alone, "the smoke run logged no training loss"
    assert torch.equal(torch.random.get_rng_state(), before)  # no process-wide draws
    together = {}

    def run(i):
        together[i] = losses(lab, config)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together[0] == alone and together[1] == alone
