"""Each source file checked, parsed and labelled, by a pool of processes feeding `kg load`'s writer.

Per file, `kg load` parses the Turtle strictly, gives its blank nodes their canonical labels
(`kg.blank_nodes`) and puts its triples in the file's graph. That is Python work per triple, and
one process cannot do it while it also feeds the store's bulk writer, so worker processes do it
and hand each file back as N-Quads bytes, which keep the labels (pyoxigraph's N-Quads parser does
not rename blank nodes; its store loaders do) and cross a pipe cheaply. The writer parses them back
in Rust.

Files come back in the order they were given, so the first bad file in that order is the one
reported, with its `file:line:column`, whatever the workers happened to finish first. Only a few
chunks of files are in flight at a time, so memory does not grow with the dataset. Small loads
(tests, a few files) are done in the calling process: starting workers would cost more.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path

import pyoxigraph as ox

from kg.blank_nodes import canonical_file_quads, has_blank_nodes
from kg.dataset import SourceFile, parse_turtle
from kg.errors import SourceFileError

__all__ = ["FileQuads", "ParsePool", "file_quads", "parse_pool", "parsed_files"]

_CHUNK_FILES = 16
"""Files per task: enough to make the per-task cost (a pickle, a pipe round trip) negligible."""
_IN_FLIGHT_PER_WORKER = 3
"""Chunks queued or being parsed per worker: keeps every worker busy while the writer is busy,
and bounds what waits in memory (a chunk's N-Quads are a few MB)."""
_POOL_MIN_FILES = 4 * _CHUNK_FILES
"""Below this many files the pool's start-up costs more than it saves."""
_MAX_WORKERS = 4
"""More workers than this only compete with the writer and RocksDB's own threads."""


@dataclass(frozen=True, slots=True)
class FileQuads:
    """One checked file: how many triples the parser read, and its quads as N-Quads."""

    source: SourceFile
    triples: int
    nquads: bytes


@dataclass(frozen=True, slots=True)
class _Failure:
    """A `SourceFileError` raised in a worker, in a form that crosses the pipe intact."""

    path: Path
    reason: str
    line: int | None
    column: int | None

    def error(self) -> SourceFileError:
        """The error as the calling process raises it."""
        return SourceFileError(self.path, self.reason, line=self.line, column=self.column)


def file_quads(source: SourceFile) -> FileQuads:
    """Parse one file strictly (`kg.dataset.parse_turtle`), label its blank nodes canonically and
    return its quads, in its graph, as N-Quads."""
    triples = parse_turtle(source.path)
    if has_blank_nodes(triples):
        quads = canonical_file_quads(source.graph_iri, triples)
    else:
        graph = ox.NamedNode(source.graph_iri)
        quads = [ox.Quad(s, p, o, graph) for s, p, o, _ in triples]
    nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert nquads is not None  # serialize returns bytes when given no output
    return FileQuads(source=source, triples=len(triples), nquads=nquads)


class ParsePool:
    """Worker processes that parse files for one load; a context manager that stops them."""

    def __init__(self, processes: int) -> None:
        """Fork `processes` workers now (see `parse_pool` for when)."""
        self.processes = processes
        self._pool = multiprocessing.get_context("fork").Pool(processes)

    def __enter__(self) -> ParsePool:
        """The pool itself."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the workers, also when the load failed half-way."""
        self._pool.terminate()
        self._pool.join()

    def submit(self, chunk: list[SourceFile]) -> AsyncResult[list[FileQuads] | _Failure]:
        """Parse `chunk` in a worker."""
        return self._pool.apply_async(_parse_chunk, (chunk,))


@contextlib.contextmanager
def parse_pool(files: int, *, processes: int | None = None) -> Iterator[ParsePool | None]:
    """Worker processes for a load of `files` files, or None when they would not pay.

    Enter it before taking locks or opening the store: the workers are forked, and a forked
    worker would otherwise hold the load lock or RocksDB's files for as long as it lives. They
    exit by themselves when the loading process dies (their task pipe closes).
    """
    workers = processes if processes is not None else min(os.cpu_count() or 1, _MAX_WORKERS)
    if workers < 2 or files < _POOL_MIN_FILES:
        yield None
        return
    with ParsePool(workers) as pool:
        yield pool


def parsed_files(files: Sequence[SourceFile], pool: ParsePool | None) -> Iterator[FileQuads]:
    """Every file's `FileQuads`, in the order of `files`; raises the first bad file's
    `SourceFileError`. With no pool, the files are parsed here, one by one."""
    if pool is None:
        for source in files:
            yield file_quads(source)
        return
    in_flight: deque[AsyncResult[list[FileQuads] | _Failure]] = deque()
    limit = _IN_FLIGHT_PER_WORKER * pool.processes
    for start in range(0, len(files), _CHUNK_FILES):
        in_flight.append(pool.submit(list(files[start : start + _CHUNK_FILES])))
        if len(in_flight) >= limit:
            yield from _unpack(in_flight.popleft().get())
    while in_flight:
        yield from _unpack(in_flight.popleft().get())


def _unpack(outcome: list[FileQuads] | _Failure) -> list[FileQuads]:
    if isinstance(outcome, _Failure):
        raise outcome.error()
    return outcome


def _parse_chunk(chunk: list[SourceFile]) -> list[FileQuads] | _Failure:
    """In a worker: the chunk's files in order, or the first bad one's error."""
    parsed = []
    for source in chunk:
        try:
            parsed.append(file_quads(source))
        except SourceFileError as exc:
            return _Failure(path=exc.path, reason=exc.reason, line=exc.line, column=exc.column)
    return parsed
