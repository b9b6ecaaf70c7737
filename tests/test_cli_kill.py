"""`kill -9` during `kg load` must leave the previous store live, answering, and replaceable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runner import CLI_FIXTURES, ROOT, kg_environment, run_kg_in

SITES_QUERY = CLI_FIXTURES / "sites-by-label.rq"
SITES_CSV = "site,label\nhttp://example.org/demo-fortress,Demo Fortress\n"
FILES = 20
TRIPLES_PER_FILE = 10_000


def generate_large_dataset(directory: Path) -> int:
    """Write FILES Turtle files of TRIPLES_PER_FILE triples each; return the triple count."""
    directory.mkdir(parents=True)
    for n in range(FILES):
        lines = ["@prefix ex: <http://example.org/generated/> .\n"]
        lines += [
            f'ex:e{n}-{i} ex:p{i % 7} "value {i} of file {n}"@en .\n'
            for i in range(TRIPLES_PER_FILE)
        ]
        (directory / f"part-{n:02d}.ttl").write_text("".join(lines), encoding="utf-8")
    return FILES * TRIPLES_PER_FILE


def start_load(store_dir: Path, *paths: Path) -> subprocess.Popen[bytes]:
    """Start `kg load` in the background, as a user's terminal would."""
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "load", *map(str, paths)],
        env=kg_environment(store_dir),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_new_build(store_dir: Path, known: set[str], process: subprocess.Popen[bytes]) -> None:
    """Return as soon as the load has created its new build directory (it is writing the store)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if {p.name for p in (store_dir / "builds").iterdir()} - known:
            return
        assert process.poll() is None, "the load ended before it started building"
        time.sleep(0.005)
    pytest.fail("the load never started building")


@pytest.fixture(scope="module")
def large_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 200k triples in 20 files, generated once for this module."""
    directory = tmp_path_factory.mktemp("large") / "ttl"
    assert generate_large_dataset(directory) == 200_000
    return directory


def test_kill_9_during_load_keeps_the_previous_store(tmp_path: Path, large_dataset: Path) -> None:
    store_dir = tmp_path / "store"
    assert run_kg_in(store_dir, "load", CLI_FIXTURES / "good").returncode == 0
    live = os.readlink(store_dir / "current")

    # Killed as soon as it starts writing the new store, then again a little later in the build.
    for delay_s in (0.0, 0.5):
        process = start_load(store_dir, CLI_FIXTURES / "good", large_dataset)
        wait_for_new_build(store_dir, {Path(live).name}, process)
        time.sleep(delay_s)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL, "the load finished before the kill"

        assert os.readlink(store_dir / "current") == live
        answer = run_kg_in(store_dir, "query", SITES_QUERY, "--format", "csv")
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout == SITES_CSV

    reload = run_kg_in(store_dir, "load", CLI_FIXTURES / "good", CLI_FIXTURES / "uncited")
    assert reload.returncode == 0, reload.stderr  # the killed loads left no lock behind
    current = os.readlink(store_dir / "current")
    assert current != live
    count = run_kg_in(store_dir, "query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "-f", "csv")
    assert count.stdout.splitlines() == ["n", str(30 + 5)]  # + the uncited file (no new truthy)
    # the killed builds are gone; the previous one is kept for readers that still have it open
    assert sorted(p.name for p in (store_dir / "builds").iterdir()) == sorted(
        [Path(live).name, Path(current).name]
    )
