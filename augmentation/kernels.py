"""Same seed, same bytes on every x86 machine: pin the numeric libraries' CPU kernels before they load.

OpenBLAS (numpy, scipy), numpy's own loops (exp, log, ... have AVX-512 versions), MKL and PyTorch's
kernels each pick their code path from the CPU they find (OpenBLAS: Haswell, SkylakeX, Zen, ...). The paths
sum in different orders, and O²'s optimiser turns a last-digit difference into different rows: on this
project's data O² wrote other bytes (and a diagnostics file one byte shorter) with OpenBLAS's Sandybridge
kernel than with its Haswell one, so a fresh clone on a machine with another CPU rewrote dvc.lock. Where the
CPU has AVX2 and FMA (every x86 server of the last ten years), OpenBLAS, numpy (its AVX-512 targets switched
off) and PyTorch's own kernels are pinned to their AVX2 paths. MKL (PyTorch's matrix products, DAVID's
training) is pinned to its COMPATIBLE branch: MKL honours an ISA branch such as AVX2 on Intel CPUs only and
runs its own choice (AUTO) on AMD ones, so DAVID's weights differed between an AMD EPYC and an Intel Xeon with
MKL_CBWR=AVX2 (measured); COMPATIBLE is the one branch MKL keeps the same on both. Thread counts do not change
the bytes (measured), so they are left alone. A value the user set wins. Only stdlib here: this must run
before numpy is first imported, which is why ``augmentation/__init__`` calls it first, and ``tasks``,
``flows`` and the test suite's conftest import ``augmentation`` first.
"""

from __future__ import annotations

import os
import platform

PINS = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def cpu_has_avx2() -> bool:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:  # not Linux: the libraries choose (bytes may then differ across CPUs)
        return False
    return "avx2" in flags and "fma" in flags


def pin() -> dict[str, str]:
    """Set every pin the user has not set (inherited by the stages `dvc repro` starts); return what is in force."""
    if not cpu_has_avx2():
        return {}
    for name, value in PINS.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in PINS}
