"""Sorting more lines than fit in memory: sorted runs on disk, then one streaming merge.

Releases are written in a canonical order so that two releases can be compared with a single
streaming merge (the changeset) and so that the TriG and JSON-LD writers see each graph and each
subject as one contiguous run. The store's own index order is useless for that (it orders terms by
internal ids, and blank-node ids differ between loads), so the canonical lines are sorted here with
memory bounded by `run_lines`, whatever the size of the dataset.
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["ExternalSorter"]


class ExternalSorter:
    """Collects lines (without newlines), then yields them sorted (by code point) and unique.

    At most `run_lines` lines are held in memory; full runs are sorted and spilled to temporary
    files under `work_dir`, which are merged lazily by `sorted_unique`.
    """

    def __init__(self, work_dir: Path, *, run_lines: int = 100_000) -> None:
        self._work_dir = work_dir
        self._run_lines = run_lines
        self._buffer: list[str] = []
        self._runs: list[Path] = []

    def add(self, line: str) -> None:
        """Add one line; it must not contain a newline."""
        self._buffer.append(line)
        if len(self._buffer) >= self._run_lines:
            self._spill()

    def _spill(self) -> None:
        """Sort the buffer and write it as one run."""
        self._buffer.sort()
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on disk
            "w", encoding="utf-8", dir=self._work_dir, prefix="run-", suffix=".txt", delete=False
        )
        with handle:
            for line in self._buffer:
                handle.write(line)
                handle.write("\n")
        self._runs.append(Path(handle.name))
        self._buffer = []

    def sorted_unique(self) -> Iterator[str]:
        """Yield every added line once, in sorted order; the runs are removed afterwards."""
        if not self._runs:
            self._buffer.sort()
            previous: str | None = None
            for line in self._buffer:
                if line != previous:
                    yield line
                    previous = line
            self._buffer = []
            return
        if self._buffer:
            self._spill()
        handles: list[IO[str]] = [run.open(encoding="utf-8") for run in self._runs]
        try:
            previous = None
            for raw in heapq.merge(*handles):
                line = raw[:-1]
                if line != previous:
                    yield line
                    previous = line
        finally:
            for handle in handles:
                handle.close()
            for run in self._runs:
                run.unlink(missing_ok=True)
            self._runs = []
