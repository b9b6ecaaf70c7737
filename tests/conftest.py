"""Shared fixtures: the project root, the CLI fixtures, and a way to run `kg` as a user does.

CLI tests run `python -m kg` in a subprocess with `KG_STORE_DIR` pointing into `tmp_path`, so they
exercise the real entry point, exit codes and stderr, and never touch the developer's `var/store`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI_FIXTURES = ROOT / "tests" / "fixtures" / "cli"

RunKg = Callable[..., subprocess.CompletedProcess[str]]


def kg_environment(store_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a `kg` subprocess: ours, minus any KG_* setting, plus the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["KG_STORE_DIR"] = str(store_dir)
    env["COLUMNS"] = "200"  # keep rich tables on one line per row, whatever the terminal
    env.update(extra or {})
    return env


def run_kg_in(store_dir: Path, *args: str | Path, env: Mapping[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m kg ARGS` against `store_dir` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "kg", *map(str, args)],
        capture_output=True,
        text=True,
        env=kg_environment(store_dir, env),
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


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
