"""Shared fixtures: a private store directory and a way to run `kg` against it.

CLI tests run `python -m kg` in a subprocess with `KG_STORE_DIR` pointing into `tmp_path`, so they
exercise the real entry point, exit codes and stderr, and never touch the developer's `var/store`.
The plain helpers are in `cli_runner.py`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from cli_runner import RunKg, run_kg_in


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """A store directory private to one test."""
    return tmp_path / "store"


@pytest.fixture
def run_kg(store_dir: Path) -> RunKg:
    """`run_kg("load", path)` runs the CLI against this test's private store."""

    def run(*args: str | Path, env: Mapping[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_kg_in(store_dir, *args, env=env, timeout=timeout)

    return run
