"""Exports of a run that need no Streamlit: metrics as CSV, weights as safetensors (loaded
back without unpickling), and the command line that reproduces the run."""
from __future__ import annotations

import csv
import io
import reprlib
import shlex

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from core.contract import Result, config_dict

# The largest model any lab trains (attention at d_h = 256 with its no-attention rival) saves
# to about 4.4 MiB; the server's upload limit (.streamlit/config.toml) is this same 8 MiB.
MAX_CHECKPOINT_BYTES = 8 * 1024 * 1024


def metrics_csv(result: Result) -> str:
    """One row per number: `metric,value`, with lists as name[i] and mappings as name.key."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value"])
    for name, value in _flatten(result.to_dict()["metrics"]):
        writer.writerow([name, value])
    return out.getvalue()


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, value


def command_line(lab, config) -> str:
    """`python3 -m core run LAB --set ...` with every knob that differs from its default."""
    defaults = config_dict(lab.Config())
    parts = ["python3", "-m", "core", "run", lab.id]  # the interpreter name scripts/ use
    for name, value in config_dict(config).items():
        if value != defaults[name] or name == "seed":
            text = str(value).lower() if isinstance(value, bool) else str(value)
            parts += ["--set", f"{name}={text}"]
    return shlex.join(parts + ["--json"])


def trained_modules(result: Result) -> dict[str, torch.nn.Module]:
    """The networks a run left in its artifacts, by name (a dict of models is flattened)."""
    found = {}
    for name, value in result.artifacts.items():
        if isinstance(value, torch.nn.Module):
            found[name] = value
        elif isinstance(value, dict):
            found.update({f"{name}.{k}": v for k, v in value.items()
                          if isinstance(v, torch.nn.Module)})
    return found


def weights_bytes(modules: dict[str, torch.nn.Module]) -> bytes:
    tensors = {f"{name}/{k}": v.detach().cpu().contiguous().clone()
               for name, module in modules.items() for k, v in module.state_dict().items()}
    return save_safetensors(tensors)


def load_weights(modules: dict[str, torch.nn.Module], data: bytes) -> int:
    """Load a safetensors checkpoint into `modules`; every tensor must be present with the
    same shape and hold finite floats, else ValueError naming what does not fit, and nothing
    is loaded. Returns the number of tensors."""
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"the file is {len(data) / 2**20:.0f} MB; checkpoints here are at most "
                         f"{MAX_CHECKPOINT_BYTES // 2**20} MB")
    try:
        tensors = load_safetensors(data)
    except (SafetensorError, ValueError, OSError) as exc:
        detail = str(exc)  # may quote a tensor name from the file, which can be any length
        detail = detail if len(detail) <= 160 else detail[:160] + "…"
        raise ValueError(f"not a safetensors file ({detail})") from None
    expected = {f"{name}/{k}": v for name, module in modules.items()
                for k, v in module.state_dict().items()}
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    wrong = sorted(k for k in set(expected) & set(tensors)
                   if tuple(expected[k].shape) != tuple(tensors[k].shape))
    if missing or extra or wrong:
        problems = []
        if missing:
            problems.append(f"missing {len(missing)} tensors (e.g. {missing[0]})")
        if extra:
            problems.append(f"{len(extra)} tensors this model does not have "
                            f"(e.g. {reprlib.repr(extra[0])})")
        if wrong:
            k = wrong[0]
            problems.append(f"{len(wrong)} tensors of another shape (e.g. {k}: file "
                            f"{tuple(tensors[k].shape)}, model {tuple(expected[k].shape)})")
        raise ValueError("this checkpoint does not fit the current configuration: "
                         + "; ".join(problems))
    _check_values(expected, tensors)
    for name, module in modules.items():
        prefix = f"{name}/"
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        module.load_state_dict(state)
    return len(tensors)


def _check_values(expected: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor]) -> None:
    """Refuse a checkpoint whose values would break the trained model once copied in: a
    non-float tensor (integers, booleans, complex) where the model has floats, or a value that
    is NaN or infinite in the model's own dtype (float64 1e300 is inf in float32)."""
    floats = [k for k in sorted(expected) if expected[k].is_floating_point()]
    wrong_kind = [k for k in floats if not tensors[k].is_floating_point()]
    if wrong_kind:
        k = wrong_kind[0]
        raise ValueError(f"{len(wrong_kind)} tensors hold {tensors[k].dtype} values where the "
                         f"model has floats (e.g. {k})")
    non_finite = [k for k in floats
                  if not bool(torch.isfinite(tensors[k].to(expected[k].dtype)).all())]
    if non_finite:
        raise ValueError(f"{len(non_finite)} tensors hold NaN or infinite values "
                         f"(e.g. {non_finite[0]})")
