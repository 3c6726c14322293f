"""The line beside Train: how long a run takes to its first figure and to its whole picture."""
from __future__ import annotations

import functools

from core.contract import config_dict
from core.run_times import bench_caption, load_bench_times, server_caption
from core.shared_runs import SHARED, lab_data


def times_caption(lab, config, identity: str | None) -> str:
    """How long Train takes to the first figure and to the whole picture, from the best
    source there is: the last runs of exactly these settings on this server, else, for the
    lab's default demo, the bench's numbers shipped with the code (and the machine they were
    measured on). Other settings on a server that has not run them: nothing ("")."""
    if identity is not None:
        records = SHARED.times(identity)
        if records:
            return server_caption(records)
    if lab_data(lab) or config_dict(config) != _default_config(lab):
        return ""
    return bench_caption(_bench_times(), lab.id)


def _default_config(lab) -> dict:
    return config_dict(lab.make_config({}))


@functools.cache
def _bench_times() -> dict:
    return load_bench_times()
