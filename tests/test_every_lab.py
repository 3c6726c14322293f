"""What every lab must do, checked once over the registry on each lab's `LAB.smoke` settings
(a new lab is covered by being registered): it trains with the default device set to meta,
so no tensor is made without an explicit device. Opening and training each page is
tests/test_pages.py's."""
from __future__ import annotations

import pytest
import torch

from core.labs import all_labs

LABS = list(all_labs().values())
STATUSES = ("succeeded", "completed")


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_runs_with_the_default_device_set_to_meta(lab):
    torch.set_default_device("meta")
    try:
        result = lab.run(lab.make_config(lab.smoke))
    finally:
        torch.set_default_device(None)
    assert result.lab == lab.id and result.status in STATUSES, (result.status, result.message)

