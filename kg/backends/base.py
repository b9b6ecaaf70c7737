"""The operations every store backend offers the commands: load, query, count, snapshot, version.

Kept to what the commands actually need, so a backend is small: a dataset is loaded atomically
(readers see the old graphs or the new ones, never a mix), a query runs under a deadline and comes
back serialised in the requested format, and a *snapshot* is an `ox.Store` holding exactly the
live graphs of one store version — what `kg stats` counts and `kg release` dumps.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from kg.dataset import SourceFile
from kg.query import OutputFormat, QueryResult
from kg.store import GraphCount, LoadProgress, LoadReport

__all__ = ["Backend", "Snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The live graphs of one store version, readable with pyoxigraph's API."""

    version: str
    store: ox.Store


class Backend(Protocol):
    """A place the knowledge graph is stored and queried."""

    @property
    def name(self) -> str:
        """`embedded` or `sparql`."""

    def location(self) -> str:
        """Where the data lives, for messages (a directory or an endpoint URL)."""

    def version(self) -> str:
        """The live store version (changes with every load); `StoreNotBuiltError` if none."""

    def load(
        self, files: Sequence[SourceFile], *, progress: LoadProgress | None = None
    ) -> LoadReport:
        """Replace the live graphs with `files` (a graph each) and the truthy layer, atomically."""

    def query(self, query: str, *, fmt: OutputFormat, timeout_s: float) -> QueryResult:
        """Evaluate on the union of the live graphs; `QueryTimeoutError` after `timeout_s`."""

    def graph_counts(self) -> tuple[GraphCount, ...]:
        """Triples per live graph, sorted by graph IRI."""

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """The live graphs of one version as an `ox.Store` (read-only use)."""

    def close(self) -> None:
        """Release connections."""
