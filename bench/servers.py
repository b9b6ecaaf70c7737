"""Start and stop the servers under test on 127.0.0.1 with a free port."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bench.proc import ROOT

__all__ = ["free_port", "serving"]


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(command: Sequence[str | Path], port: int, ready_path: str, log: Path,
            env: Mapping[str, str] | None = None, timeout_s: float = 120) -> Iterator[int]:
    """Run a server until the block ends; yield its pid once `ready_path` answers."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(c) for c in command], stdout=sink, stderr=sink, cwd=ROOT,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )
        try:
            _wait_ready(process, port, ready_path, timeout_s, log)
            yield process.pid
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], port: int, path: str, timeout_s: float,
                log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}): "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} not ready after {timeout_s} s")
