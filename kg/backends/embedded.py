"""The default backend: the embedded Oxigraph builds of `kg.store`, exactly as before.

Every method is a direct call into the existing modules (`kg.store`, `kg.query`), so choosing the
embedded backend costs nothing over calling them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from kg.backends.base import Snapshot
from kg.dataset import SourceFile
from kg.errors import StoreError
from kg.query import OutputFormat, QueryResult, run_query
from kg.store import (
    GraphCount,
    LoadProgress,
    LoadReport,
    graph_counts,
    load_dataset,
    open_store,
    require_store,
)

__all__ = ["EmbeddedBackend"]


class EmbeddedBackend:
    """Immutable pyoxigraph builds in `store_dir`, switched by the `current` link."""

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir

    @property
    def name(self) -> str:
        """`embedded`."""
        return "embedded"

    def location(self) -> str:
        """The store directory."""
        return str(self.store_dir)

    def version(self) -> str:
        """The name of the build `current` points at."""
        return require_store(self.store_dir).name

    def load(
        self, files: Sequence[SourceFile], *, progress: LoadProgress | None = None
    ) -> LoadReport:
        """`kg.store.load_dataset`: a new build, then one atomic rename of `current`."""
        return load_dataset(files, store_dir=self.store_dir, progress=progress)

    def query(self, query: str, *, fmt: OutputFormat, timeout_s: float) -> QueryResult:
        """`kg.query.run_query`: a forked child on the live build, killed at the deadline."""
        return run_query(query, store_dir=self.store_dir, fmt=fmt, timeout_s=timeout_s)

    def graph_counts(self) -> tuple[GraphCount, ...]:
        """Counted on the live build."""
        return graph_counts(open_store(self.store_dir))

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The live build opened read-only; the link is resolved once, so name and data agree."""
        build = require_store(self.store_dir)
        try:
            store = ox.Store.read_only(str(build))
        except OSError as exc:
            raise StoreError(f"The store in {build} cannot be opened: {exc}") from exc
        yield Snapshot(version=build.name, store=store)

    def close(self) -> None:
        """Nothing to release: every call opens what it needs."""
