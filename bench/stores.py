"""The two stores the query and release sections measure, built once per size and shared.

Both sections need the same pair: the store `kg load` builds from ontology/ + the synthetic data
(with the truthy layer), and an Oxigraph store holding exactly its quads (loaded from an N-Quads
dump of it, which rdflib-endpoint also reads). At 10M building them costs more than ten minutes,
so the suite builds them on first use at a size and removes them when the size is done. Neither
section writes to them: `kg serve`, `oxigraph serve-read-only` and `kg release` only read.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from bench.data import Dataset
from bench.proc import ROOT, VENV_BIN, run
from kg.store import require_store

__all__ = ["SharedStores", "Stores"]

_TIMEOUT_S = 4 * 3600


@dataclass(frozen=True, slots=True)
class Stores:
    """kg's store directory, Oxigraph's copy, the N-Quads dump between them, the quad count."""

    kg_store: Path
    ox_store: Path
    quads_file: Path
    quads: int


class SharedStores:
    """Builds the stores of one dataset on the first `get()`; `close()` removes them."""

    def __init__(self, data: Dataset, work: Path) -> None:
        self._data = data
        self._work = work
        self._stores: Stores | None = None
        self._failure: RuntimeError | None = None

    def get(self) -> Stores:
        """The stores, built now if this is the first call (a failed build is not retried)."""
        if self._failure is not None:
            raise RuntimeError(f"the shared stores could not be built: {self._failure}")
        if self._stores is None:
            try:
                self._stores = _build(self._data, self._work)
            except RuntimeError as error:
                self._failure = error
                raise
        return self._stores

    def close(self) -> None:
        """Remove whatever was built, or half-built by a build that failed."""
        if self._stores is not None or self._failure is not None:
            kg_store, ox_store, quads_file = _paths(self._work)
            for path in (kg_store, ox_store):
                shutil.rmtree(path, ignore_errors=True)
            quads_file.unlink(missing_ok=True)
            self._stores = None


def _paths(work: Path) -> tuple[Path, Path, Path]:
    return work / "shared-kg-store", work / "shared-oxigraph-store", work / "shared-dump.nq"


def _build(data: Dataset, work: Path) -> Stores:
    kg_store, ox_store, quads_file = _paths(work)
    for directory in (kg_store, ox_store):
        shutil.rmtree(directory, ignore_errors=True)
    run([VENV_BIN / "kg", "load", ROOT / "ontology", data.directory],
        env={"KG_STORE_DIR": str(kg_store)}, timeout_s=_TIMEOUT_S).check("kg load (stores)")
    store = ox.Store.read_only(str(require_store(kg_store)))
    quads = len(store)
    store.dump(str(quads_file), ox.RdfFormat.N_QUADS)
    del store
    run([VENV_BIN / "oxigraph", "load", "--location", ox_store, "--file", quads_file],
        timeout_s=_TIMEOUT_S).check("oxigraph load (stores)")
    return Stores(kg_store, ox_store, quads_file, quads)
