"""Run a command and measure it: wall time, exit status, output, and peak memory (RSS).

Peak memory comes from `os.wait4`, the kernel's accounting of the child (and the descendants it
waited for), so no sampling can miss a short spike and nothing runs beside the measured process.
The command is started through `bench/spawn.py`, a small interpreter that spawns it and reports
its figures: started straight from the suite, a command would inherit the suite's own peak as a
floor (see spawn.py for why).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "VENV_BIN", "Measured", "median", "run"]

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
_SPAWN = Path(__file__).with_name("spawn.py")


@dataclass(frozen=True, slots=True)
class Measured:
    """One finished command."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    def check(self, what: str) -> Measured:
        """Raise with the command's stderr if it failed."""
        if self.timed_out:
            raise RuntimeError(f"{what} did not finish within its time limit "
                               f"({self.seconds:,.0f} s)")
        if self.returncode != 0:
            raise RuntimeError(f"{what} failed ({self.returncode}): {self.stderr[-2000:]}")
        return self


def run(
    command: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    timeout_s: float = 3600,
) -> Measured:
    """Run `command` to completion (killed after `timeout_s`) and measure it."""
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        started = time.perf_counter()
        timed_out = False
        process = subprocess.Popen(
            [sys.executable, "-S", str(_SPAWN), str(report), "--", *(str(c) for c in command)],
            stdout=out, stderr=err, env=full_env, cwd=cwd, start_new_session=True,
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout_s:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        peak_kb = usage.ru_maxrss
        if report.is_file():  # absent only if the command was killed at the timeout
            figures = json.loads(report.read_text(encoding="utf-8"))
            seconds, peak_kb = figures["seconds"], figures["peak_rss_kb"]
            process.returncode = figures["returncode"]
        out.seek(0)
        err.seek(0)
        return Measured(
            seconds=seconds,
            peak_rss_mb=peak_kb / 1024,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=timed_out,
        )


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
