"""The CPU in a few words ("Intel Xeon, AVX-512"): the bench times differ by more than 2x
between two 2-core machines of this project (a Xeon with AVX-512 and an AMD EPYC with AVX2
at the same PyTorch build), so a time quoted from the bench says which CPU measured it.
No torch here: the page reads this before torch has loaded."""
from __future__ import annotations

import functools
import platform
import re
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# the widest vector instructions the CPU offers, which PyTorch's CPU kernels pick by
VECTOR_FLAGS = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"), ("neon", "NEON"),
                ("asimd", "NEON"))


def cpu_words(cpuinfo: str | None = None) -> str:
    """Vendor and family, and its widest vector instructions; the machine type when
    /proc/cpuinfo is missing (not Linux)."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text(errors="replace")
        except OSError:
            return platform.machine() or "unknown CPU"
    model = _field(cpuinfo, "model name") or _field(cpuinfo, "Hardware") or platform.machine()
    flags = set((_field(cpuinfo, "flags") or _field(cpuinfo, "Features") or "").split())
    vector = next((name for flag, name in VECTOR_FLAGS if flag in flags), None)
    return f"{_short(model)}, {vector}" if vector else _short(model)


@functools.cache
def this_cpu() -> str:
    """This machine's CPU in a few words, read once (a page's caption asks on every rerun)."""
    return cpu_words()


def _field(cpuinfo: str, name: str) -> str | None:
    match = re.search(rf"^{re.escape(name)}\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return match.group(1).strip() if match else None


def _short(model: str) -> str:
    """"Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz" -> "Intel Xeon Platinum 8375C"."""
    model = re.sub(r"\((R|TM|tm|r)\)", "", model)
    model = re.sub(r"\s+CPU\b.*$|\s+@.*$|\s+\d+-Core Processor.*$", "", model)
    return re.sub(r"\s+", " ", model).strip() or "unknown CPU"
