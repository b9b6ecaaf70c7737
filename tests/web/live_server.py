"""The REAL server for web tests: `kg serve` in a subprocess on 127.0.0.1 and a free port.

`launch(store_dir, **settings)` runs `python -m kg serve --port 0` (uvicorn, the app factory, the
query worker processes — all as in production) with `KG_*` settings, reads the port uvicorn
actually bound from its log, and waits until the app answers. Used by `conftest.py`'s fixtures;
test modules import `LiveServer`, `ADMIN_TOKEN` and helpers from here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
WEB_DATA = ROOT / "tests" / "fixtures" / "cli" / "good"
ADMIN_TOKEN = "test-admin-token-0123456789"
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
_STARTUP_S = 60.0
SUMMARY: list[str] = []  # lines for the end of the run (conformance pass counts)


@dataclass
class LiveServer:
    """A running `kg serve`: its base URL, store, token and process."""

    base_url: str
    store_dir: Path
    admin_token: str | None
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The absolute URL of `path` (which starts with /)."""
        return self.base_url + path

    def auth(self) -> dict[str, str]:
        """The Authorization header with the admin token."""
        assert self.admin_token is not None
        return {"Authorization": f"Bearer {self.admin_token}"}

    def stop(self) -> None:
        """SIGTERM (graceful: the workers are closed), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def launch(
    store_dir: Path, *, admin_token: str | None = ADMIN_TOKEN, **settings: str
) -> LiveServer:
    """Start `kg serve` on a free loopback port; wait until it accepts connections."""
    extra = {f"KG_{key.upper()}": value for key, value in settings.items()}
    if admin_token is not None:
        extra["KG_ADMIN_TOKEN"] = admin_token
    extra.setdefault("KG_WORKERS", "2")
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        env=kg_environment(store_dir, extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    log: list[str] = []
    port: int | None = None
    deadline = time.monotonic() + _STARTUP_S
    while port is None:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=5)
            raise RuntimeError("kg serve exited during start-up:\n" + "".join(log))
        log.append(line)
        match = _LISTENING.search(line)
        if match:
            port = int(match[1])
        elif time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("kg serve did not start in time:\n" + "".join(log))
    # Keep draining the log so the server never blocks on a full pipe.
    threading.Thread(target=_drain, args=(process, log), daemon=True).start()
    server = LiveServer(f"http://127.0.0.1:{port}", store_dir, admin_token, process, log)
    _wait_healthy(server)
    return server


def _drain(process: subprocess.Popen[str], log: list[str]) -> None:
    """Collect the rest of the server's output (shown when a test fails)."""
    assert process.stdout is not None
    for line in process.stdout:
        log.append(line)


def _wait_healthy(server: LiveServer) -> None:
    """Wait until the app answers (the lifespan has started the query service)."""
    deadline = time.monotonic() + _STARTUP_S
    while True:
        try:
            response = httpx.get(server.url("/sparql"), params={"query": "ASK {}"}, timeout=10)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("kg serve never answered:\n" + "".join(server.log))
        time.sleep(0.1)


def kg_environment(store_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """Our environment minus any KG_* setting, plus the store and the test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["KG_STORE_DIR"] = str(store_dir)
    env.update(extra)
    return env


def load_store(store_dir: Path, *paths: Path) -> Path:
    """Build a store in `store_dir` with `kg load` (the real command) and return the directory."""
    result = subprocess.run(
        [sys.executable, "-m", "kg", "load", *map(str, paths or (WEB_DATA,))],
        cwd=ROOT,
        env=kg_environment(store_dir, {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return store_dir


def pid_exists(pid: int) -> bool:
    """Whether a process with `pid` exists (for tests that prove a worker is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by someone else
        return True
    return True


StartServer = Callable[..., LiveServer]
"""The `start_server` fixture: `start_server(store_dir, admin_token=…, …) -> LiveServer`."""
