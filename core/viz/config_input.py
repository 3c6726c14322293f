"""The figure functions read a config as a dict (what a Result stores and the page passes);
from Python or a notebook the natural thing to hand them is the lab's Config object. One
decorator lets every headline take either."""
from __future__ import annotations

import dataclasses
import functools


def as_config_dict(config) -> dict:
    """A Config dataclass as its dict of knobs; a dict (or None) as it is."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    return dict(config or {})


def accepts_config(draw):
    """Wrap a figure function `draw(live, config)` so `config` may be a Config or a dict."""
    @functools.wraps(draw)
    def wrapper(live, config, *args, **kwargs):
        return draw(live, as_config_dict(config), *args, **kwargs)
    return wrapper
