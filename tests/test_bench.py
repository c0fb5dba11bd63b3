"""The benchmarks stay runnable: each imports the project and parses its options (they print
figures and are run by hand, so nothing else would notice one going stale)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
# Modules the benchmarks use, not benchmarks: a raw HTTP client, and the floor app that
# `reads.py` serves with uvicorn.
MODULES = ("rawhttp.py", "reads_floor.py")
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name not in MODULES)


def test_every_benchmark_is_listed() -> None:
    assert SCRIPTS == [
        "export.py",
        "http_floor.py",
        "login.py",
        "reads.py",
        "transfers.py",
        "transfers_floor.py",
    ]


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_starts(script: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


@pytest.mark.parametrize("module", MODULES)
def test_benchmark_modules_import(module: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own modules
        [sys.executable, "-c", f"import runpy; runpy.run_path({str(BENCH / module)!r})"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
