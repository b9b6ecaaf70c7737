"""Running `kg` as a user does, from tests: the project root, the CLI fixtures, the subprocess.

Plain helpers live here rather than in `conftest.py`: `tests/` and `tests/web/` each have a
conftest, both importable as `conftest`, so `from conftest import …` would depend on collection
order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["CLI_FIXTURES", "ROOT", "RunKg", "kg_environment", "run_kg_in"]

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
