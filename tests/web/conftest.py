"""Fixtures for the web layer: a store built by `kg load`, and the REAL server on 127.0.0.1.

`start_server(store_dir, **settings)` starts `kg serve` in a subprocess (see `live_server.py`) and
stops it after the test. `server` is one shared read-only server over a small loaded store for the
whole session; tests that write get their own through `start_server` on `writable_store`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import SUMMARY, LiveServer, StartServer, launch, load_store


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """`start_server(store_dir, admin_token=…, open_writes_for_tests="true", …)`; stopped after."""
    started: list[LiveServer] = []

    def start(store_dir: Path, **kwargs: str | None) -> LiveServer:
        server = launch(store_dir, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def loaded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built once per session from the small test dataset; copy it before writing."""
    return load_store(tmp_path_factory.mktemp("web-store") / "store")


@pytest.fixture
def writable_store(loaded_store: Path, tmp_path: Path) -> Path:
    """A private copy of the loaded store for a test that writes."""
    target = tmp_path / "store"
    shutil.copytree(loaded_store, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def server(loaded_store: Path) -> Iterator[LiveServer]:
    """One read-only server for the session (admin token set, but read-only tests never write)."""
    live = launch(loaded_store)
    yield live
    live.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the conformance pass counts the W3C runners recorded."""
    for line in SUMMARY:
        terminalreporter.write_line(line)
