"""Same bytes on every machine: the numeric kernels are pinned before numpy loads, by every entry point."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from augmentation import kernels

ROOT = Path(__file__).resolve().parents[1]
PROBE = ("import sys, os, json\nimport {module}\nimport numpy, threadpoolctl\n"
         "blas = [i for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']\n"
         "print(json.dumps({{'env': {{k: os.environ.get(k) for k in {pins}}},"
         " 'openblas': blas[0]['architecture'] if blas else None}}))")


@pytest.mark.skipif(not kernels.cpu_has_avx2(), reason="the pins apply to x86 CPUs with AVX2 and FMA only")
@pytest.mark.parametrize("module", ["tasks.ingest", "flows.cli", "augmentation"])
def test_every_entry_point_pins_the_kernels_before_numpy_loads(module):
    env = {k: v for k, v in os.environ.items() if k not in kernels.PINS}
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module, pins=list(kernels.PINS))], cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["env"] == kernels.PINS
    assert probe["openblas"] == "Haswell"  # OpenBLAS read the pin: it chose its AVX2 kernel whatever the CPU


def test_a_users_own_setting_wins(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Sandybridge")
    pinned = kernels.pin()
    assert os.environ["OPENBLAS_CORETYPE"] == "Sandybridge"
    assert pinned.get("OPENBLAS_CORETYPE", "Sandybridge") == "Sandybridge"
