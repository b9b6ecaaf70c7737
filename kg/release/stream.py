"""One pass over the store's N-Quads feeds every file of a release, in bounded memory.

The dump (from `Store.dump`, which streams from Rust with the GIL released) is copied, 8 KB at a
time, into two pipes:

- GNU `sort -u` (`LC_ALL=C`, byte order, a bounded buffer spilling to the work directory) makes the
  sorted, duplicate-free `dataset.nq.gz`: sorted text, so two releases are compared by one merge
  (`comm`) and unchanged data gives byte-identical files;
- a child process (`kg.release.writers`) writes TriG, per-kind Turtle and compacted JSON-LD from
  the dump order (graphs and subjects contiguous) and emits one line per quad for the per-entity
  summary, which a second `sort` groups by entity.

So the work runs on both cores at once, and neither the dataset size nor the number of graphs
changes the memory used: the sorts spill to disk, the child holds one subject at a time.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from kg.errors import StoreError
from kg.release.changes import write_entity_index
from kg.release.counts import compress_and_count
from kg.release.gnusort import c_locale, sort_command
from kg.release.gz import gzip_out
from kg.release.void import DatasetCounts

__all__ = ["SortedRelease", "stream_release"]

_CHUNK = 1 << 20


class _Tee:
    """A binary sink that copies every write into several pipes (what `Store.dump` writes to)."""

    def __init__(self, *pipes: IO[bytes]) -> None:
        self._pipes = pipes

    def write(self, data: bytes) -> int:
        for pipe in self._pipes:
            pipe.write(data)
        return len(data)

    def flush(self) -> None:
        for pipe in self._pipes:
            pipe.flush()


class SortedRelease:
    """What `stream_release` leaves: the sorted N-Quads in the work directory, counts, kinds."""

    def __init__(self, sorted_nquads: Path, counts: DatasetCounts, entities: int,
                 kinds: list[str], steps: tuple[tuple[str, float], ...]) -> None:
        self.sorted_nquads = sorted_nquads
        self.steps = steps  # (what, wall seconds), in order
        self.counts = counts
        self.entities = entities
        self.kinds = kinds


def _pump_stderr(process: subprocess.Popen[bytes], into: list[bytes]) -> threading.Thread:
    def read() -> None:
        assert process.stderr is not None
        into.append(process.stderr.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def stream_release(
    feed: Callable[[IO[bytes]], None],
    *,
    out: Path,
    work: Path,
    context_file: Path,
    nquads_name: str,
    entities_name: str,
) -> SortedRelease:
    """Run the pipeline of the module docstring; `feed(sink)` writes the N-Quads, grouped by graph
    then subject, into `sink`. Writes `out/<nquads_name>`, `out/<entities_name>` and the grouped
    formats; raises `StoreError` if a helper process fails."""
    sorted_path = work / "sorted.nq"
    entities_path = work / "entities.sorted"
    env = c_locale()
    with sorted_path.open("wb") as sorted_out, entities_path.open("wb") as entities_out:
        sort_nq = subprocess.Popen(sort_command(work), stdin=subprocess.PIPE, stdout=sorted_out,
                                   stderr=subprocess.PIPE, env=env)
        sort_entities = subprocess.Popen(sort_command(work), stdin=subprocess.PIPE,
                                         stdout=entities_out, stderr=subprocess.PIPE, env=env)
        assert sort_entities.stdin is not None and sort_nq.stdin is not None
        writer = subprocess.Popen(
            [sys.executable, "-m", "kg.release.writers", str(out), str(context_file)],
            stdin=subprocess.PIPE, stdout=sort_entities.stdin, stderr=subprocess.PIPE,
        )
        sort_entities.stdin.close()  # the writer holds its own copy
        assert writer.stdin is not None
        errors: dict[str, list[bytes]] = {"sort": [], "writers": [], "entity sort": []}
        readers = [
            _pump_stderr(sort_nq, errors["sort"]),
            _pump_stderr(writer, errors["writers"]),
            _pump_stderr(sort_entities, errors["entity sort"]),
        ]
        counts = None
        steps: list[tuple[str, float]] = []
        try:
            try:
                started = time.perf_counter()
                feed(cast(IO[bytes], _Tee(sort_nq.stdin, writer.stdin)))
                steps.append(("dump into sort and writer", time.perf_counter() - started))
            finally:
                for pipe in (sort_nq.stdin, writer.stdin):
                    with contextlib.suppress(BrokenPipeError):
                        pipe.close()
            started = time.perf_counter()
            codes = {"sort": sort_nq.wait()}
            steps.append(("sort -u after the dump", time.perf_counter() - started))
            if codes["sort"] == 0:  # compress while the writer process finishes its formats
                started = time.perf_counter()
                counts = compress_and_count(sorted_path, out / nquads_name, work)
                steps.append(("gzip + counts of the sorted dump", time.perf_counter() - started))
            started = time.perf_counter()
            codes["writers"] = writer.wait()
            codes["entity sort"] = sort_entities.wait()
            steps.append(("writer process after that", time.perf_counter() - started))
        except BaseException:
            for process in (sort_nq, writer, sort_entities):
                process.kill()
                process.wait()
            raise
        finally:
            for thread in readers:
                thread.join()
    failed = {name: code for name, code in codes.items() if code != 0}
    if failed:
        name = next(iter(failed))
        message = b"".join(errors[name]).decode("utf-8", "replace").strip()
        raise StoreError(f"`kg release` failed in its {name} step (exit {failed[name]}): {message}")
    started = time.perf_counter()
    with gzip_out(out / entities_name) as target:
        entities = write_entity_index(_lines(entities_path), target)
    steps.append(("entity index", time.perf_counter() - started))
    entities_path.unlink()
    kinds = sorted(p.name.removesuffix(".ttl.gz") for p in out.glob("*.ttl.gz"))
    assert counts is not None  # the sort succeeded
    return SortedRelease(sorted_path, counts, entities, kinds, tuple(steps))


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield line.rstrip("\n")
