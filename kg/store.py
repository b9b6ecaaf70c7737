"""Building the embedded Oxigraph store atomically, and opening the live one for reading.

Layout of the store directory (`KG_STORE_DIR`, default `var/store/`)::

    builds/<UTC timestamp>-<pid>/   one complete, frozen RocksDB store per successful `kg load`
    builds/<…>/blank-node-labels    the labelling scheme of its blank nodes (`kg.blank_nodes`)
    current -> builds/<…>           the live store; readers open it read-only
    load.lock                       held (flock) by the one `kg load` allowed at a time

A load builds a *new* directory beside the live one, checking each file as it writes it, closes
it and only then swaps the `current` link with an atomic rename. Whatever happens before the
rename (a bad file, a crash, `kill -9`) leaves `current` pointing at the previous complete store.
A build directory is never written again after the swap, which is what makes `Store.read_only`
safe for readers (see `/work/shared/notes/pyoxigraph-and-peers.md`). The previous build is kept
so a reader that opened it just before a swap keeps working; older builds and abandoned partial
builds are deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

import pyoxigraph as ox

from kg.blank_nodes import LABEL_SCHEME, canonical_file_quads, has_blank_nodes
from kg.dataset import SourceFile, TurtleDocument, read_turtle, syntax_error
from kg.errors import QuerySyntaxError, StoreError, StoreNotBuiltError
from kg.file_quads import ParsePool, parse_pool, parsed_files
from kg.search import SEARCH_INDEX_FILE, build_search_index

__all__ = [
    "BLANK_NODE_MARKER",
    "BUILDS_DIR",
    "CURRENT_LINK",
    "GraphCount",
    "LoadProgress",
    "LoadReport",
    "SilentProgress",
    "apply_update",
    "apply_write",
    "canonical_labels",
    "current_build",
    "graph_counts",
    "load_dataset",
    "open_store",
    "read_documents",
    "require_store",
    "stage_in_memory",
]

BUILDS_DIR = "builds"
BLANK_NODE_MARKER = "blank-node-labels"
_BULK_BATCH = 200_000
"""Quads per `bulk_extend`: the bulk loader buffers what it is given (~1 GB for 1M quads in one
call), so the dataset goes in fixed-size batches — memory stays flat, at a fixed cost per batch
(new SST files that RocksDB later merges: 50k-quad batches cost ~40% more CPU than 250k ones)."""
CURRENT_LINK = "current"
_LOCK_FILE = "load.lock"
_TMP_LINK_PREFIX = ".current.tmp-"
_T = TypeVar("_T")


class LoadProgress(Protocol):
    """What `load_dataset` reports while it works; the CLI draws it, tests may record it."""

    def checked(self, file: SourceFile, triples: int) -> None:
        """A file parsed cleanly and holds `triples` triples."""

    def loading(self, total_triples: int) -> None:
        """All files are good; loading their `total_triples` triples starts."""

    def loaded(self, file: SourceFile, triples: int) -> None:
        """A file's triples are in the new store."""

    def stage(self, description: str) -> None:
        """A named step after loading (deriving the truthy layer, optimizing, switching)."""


class SilentProgress:
    """The progress reporter used when nobody is watching."""

    def checked(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def loading(self, total_triples: int) -> None:
        """Ignore."""

    def loaded(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def stage(self, description: str) -> None:
        """Ignore."""


@dataclass(frozen=True, slots=True)
class GraphCount:
    """How many triples one named graph holds."""

    graph_iri: str
    triples: int


@dataclass(frozen=True, slots=True)
class LoadReport:
    """The outcome of one successful `load_dataset`."""

    build_dir: Path
    files: int
    parsed_triples: int
    truthy_triples: int
    graphs: tuple[GraphCount, ...]
    seconds: float

    @property
    def total_triples(self) -> int:
        """All quads in the new store, the truthy layer included."""
        return sum(g.triples for g in self.graphs)


def load_dataset(
    files: Sequence[SourceFile],
    *,
    store_dir: Path,
    progress: LoadProgress | None = None,
) -> LoadReport:
    """Build a new store from `files` (one named graph each) and make it the live one.

    Raises `SourceFileError` for the first bad file (in the order of `files`), and `StoreError`
    if another load holds the lock or the store directory is not ours. On any failure the live
    store is untouched and the partial build is removed: the files are checked while the new build
    is written, which is never published unless every file was good.
    """
    report_to: LoadProgress = progress if progress is not None else SilentProgress()
    started = time.perf_counter()

    store_dir.mkdir(parents=True, exist_ok=True)
    with parse_pool(len(files)) as pool, _exclusive_lock(store_dir):  # pool first: see parse_pool
        builds = store_dir / BUILDS_DIR
        builds.mkdir(exist_ok=True)
        build_dir = builds / _build_name()
        try:
            parsed, truthy, graphs = _build(build_dir, files, pool, report_to)
            report_to.stage("switching to the new store")
            _fsync_tree(build_dir)
            previous = current_build(store_dir)
            _switch_current(store_dir, build_dir)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        _remove_stale_builds(store_dir, keep={build_dir, previous})
    return LoadReport(
        build_dir=build_dir,
        files=len(files),
        parsed_triples=parsed,
        truthy_triples=truthy,
        graphs=graphs,
        seconds=time.perf_counter() - started,
    )


def read_documents(
    files: Sequence[SourceFile], progress: LoadProgress
) -> list[tuple[SourceFile, TurtleDocument]]:
    """Read and strictly check every file before anything is built (the first bad one raises)."""
    documents: list[tuple[SourceFile, TurtleDocument]] = []
    for source in files:
        document = read_turtle(source.path)
        progress.checked(source, document.triples)
        documents.append((source, document))
    return documents


def stage_in_memory(
    documents: Sequence[tuple[SourceFile, TurtleDocument]], progress: LoadProgress
) -> tuple[ox.Store, int]:
    """Parse the checked bytes into an in-memory store, one named graph per file, and derive the
    truthy layer there; return the store and the number of truthy triples.

    The remote loader builds from this staging store; the embedded build streams the same quads
    (`kg.file_quads`, same labels) straight to disk instead, so both hold the same quads. Each
    file's blank nodes get canonical labels (`kg.blank_nodes`) that depend on its graph IRI and
    content only, so files never share one and reloading identical files gives identical quads.
    """
    from kg.truthy import materialize_truthy  # the derived layer is the truthy module's business

    progress.loading(sum(d.triples for _, d in documents))
    staging = ox.Store()
    for source, document in documents:
        try:
            _stage_file(staging, source, document)
        except SyntaxError as exc:  # pragma: no cover - read_turtle parsed the same bytes
            raise syntax_error(source.path, exc) from None
        progress.loaded(source, document.triples)
    progress.stage("deriving the truthy layer")
    return staging, materialize_truthy(staging)


def _stage_file(staging: ox.Store, source: SourceFile, document: TurtleDocument) -> None:
    """Add one file to its graph, its blank nodes labelled canonically (`kg.blank_nodes`).

    A file without blank nodes is handed to the Rust parser whole; the others go through
    Python once, to be relabelled.
    """
    graph = ox.NamedNode(source.graph_iri)
    if b"[" not in document.data and b"_:" not in document.data and b"(" not in document.data:
        staging.load(document.data, ox.RdfFormat.TURTLE, to_graph=graph)
        return
    triples = list(ox.parse(document.data, ox.RdfFormat.TURTLE))
    if not has_blank_nodes(triples):
        staging.load(document.data, ox.RdfFormat.TURTLE, to_graph=graph)
        return
    staging.extend(canonical_file_quads(source.graph_iri, triples))


def canonical_labels(build_dir: Path) -> bool:
    """Whether a build's blank nodes carry the load-time canonical labels of `kg.blank_nodes`.

    Builds written by `apply_write` (SPARQL Update, Graph Store writes) lack the marker: their
    new blank nodes have whatever ids the update gave them.
    """
    marker = build_dir / BLANK_NODE_MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == LABEL_SCHEME


def _build(
    build_dir: Path,
    files: Sequence[SourceFile],
    pool: ParsePool | None,
    progress: LoadProgress,
) -> tuple[int, int, tuple[GraphCount, ...]]:
    """Write the files to `build_dir` in one streaming bulk write, then derive truthy and index.

    Returns the triples parsed, the truthy triples derived and the triples per graph.

    Files are checked, parsed and labelled (`kg.file_quads`, in worker processes when there are
    many) while this process writes what they give back: each file is parsed once, and only a
    few files' worth of quads are in memory at a time. The quads go to `bulk_extend` in batches
    (not one bulk write per file: each has a fixed cost, new SST files); a store parser
    (`bulk_load`) would rename the blank nodes and lose their canonical labels, while
    `ox.parse` of the workers' N-Quads keeps them. The truthy layer is then derived in the new
    build itself.
    """
    from kg.truthy import materialize_truthy

    store = ox.Store(str(build_dir))
    try:
        counted = _write_files(store, files, pool, progress)
        progress.loading(sum(triples for _, triples in counted))
        for source, triples in counted:
            progress.loaded(source, triples)
        progress.stage("optimizing the store")
        store.optimize()  # first: the rule's joins ran ~2x slower on the freshly bulk-written SSTs
        progress.stage("deriving the truthy layer")
        truthy = materialize_truthy(store)
        graphs = graph_counts(store)
        progress.stage("indexing names for search")
        build_search_index(store, build_dir / SEARCH_INDEX_FILE)  # swaps with the store
        store.flush()
        (build_dir / BLANK_NODE_MARKER).write_text(LABEL_SCHEME + "\n", encoding="utf-8")
    finally:
        del store
        gc.collect()  # drop every reference so RocksDB closes before the directory is published
    return sum(triples for _, triples in counted), truthy, graphs


def _write_files(
    store: ox.Store, files: Sequence[SourceFile], pool: ParsePool | None, progress: LoadProgress
) -> list[tuple[SourceFile, int]]:
    """Bulk-write every file's quads in batches of about `_BULK_BATCH`; return each file's
    parsed triple count. Progress hears of each file as it is checked."""
    counted: list[tuple[SourceFile, int]] = []
    batch: list[bytes] = []
    batch_quads = 0
    for parsed in parsed_files(files, pool):
        progress.checked(parsed.source, parsed.triples)
        counted.append((parsed.source, parsed.triples))
        batch.append(parsed.nquads)
        batch_quads += parsed.triples
        if batch_quads >= _BULK_BATCH:
            store.bulk_extend(_parsed_nquads(batch))
            batch.clear()
            batch_quads = 0
    if batch:
        store.bulk_extend(_parsed_nquads(batch))
    return counted


def _parsed_nquads(parts: list[bytes]) -> Iterator[ox.Quad]:
    """The quads of N-Quads texts, labels kept (no joined copy of the batch in memory)."""
    for part in parts:
        yield from ox.parse(part, ox.RdfFormat.N_QUADS)


def apply_update(store_dir: Path, update: str, *, base_iri: str | None = None) -> str:
    """Apply a SPARQL Update to a copy of the live build and make the copy live; return its name.

    Raises `QuerySyntaxError` with the parser's message (nothing is switched), `StoreNotBuiltError`
    before the first `kg load`. Relative IRIs in the update resolve against `base_iri`.
    """

    def run(store: ox.Store) -> None:
        try:
            store.update(update, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"SPARQL update syntax error: {exc.msg or exc}") from None

    version, _ = apply_write(store_dir, run)
    return version


def apply_write(
    store_dir: Path, change: Callable[[ox.Store], _T], *, lock_wait_s: float = 30.0
) -> tuple[str, _T]:
    """Run `change` on a new build copied from the live one, then switch `current` to it.

    Builds are never written after they are published (readers hold them open read-only), so a
    write is a small load: `Store.backup` of the live build (hard links) into a new build
    directory, `change` on it, the truthy layer and the search index derived again as `kg load`
    derives them, then the same atomic switch. It takes the load lock (waiting up to `lock_wait_s`
    for another writer), so writes and loads never interleave. Whatever `change` raises leaves
    `current` untouched. Returns the new build's name (the store version) and `change`'s result.
    """
    from kg.truthy import materialize_truthy

    require_store(store_dir)
    with _exclusive_lock(store_dir, wait_s=lock_wait_s):
        source = require_store(store_dir)  # again under the lock: a load may have switched it
        build_dir = store_dir / BUILDS_DIR / _build_name()
        try:
            reader = ox.Store.read_only(str(source))
            reader.backup(str(build_dir))
            del reader
            store = ox.Store(str(build_dir))
            try:
                outcome = change(store)
                materialize_truthy(store)
                build_search_index(store, build_dir / SEARCH_INDEX_FILE)
                store.flush()
            finally:
                del store
                gc.collect()  # RocksDB must be closed before the directory is published
            _fsync_tree(build_dir)
            _switch_current(store_dir, build_dir)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        _remove_stale_builds(store_dir, keep={build_dir, source})
    return build_dir.name, outcome


def graph_counts(store: ox.Store) -> tuple[GraphCount, ...]:
    """Triples per named graph, sorted by graph IRI (the default graph is not used by kg)."""
    result = store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    assert isinstance(result, ox.QuerySolutions)
    counts = []
    for row in result:
        graph, count = row["g"], row["n"]
        assert isinstance(graph, ox.NamedNode | ox.BlankNode) and isinstance(count, ox.Literal)
        counts.append(GraphCount(graph_iri=graph.value, triples=int(count.value)))
    return tuple(counts)


def current_build(store_dir: Path) -> Path | None:
    """The build directory `current` points at, or None before the first load."""
    link = store_dir / CURRENT_LINK
    if not link.is_symlink():
        if link.exists():
            raise StoreError(f"{link} exists but is not a link made by `kg load`; move it away.")
        return None
    return (store_dir / os.readlink(link)).resolve()


def require_store(store_dir: Path) -> Path:
    """The live build directory; raise `StoreNotBuiltError` if `kg load` never ran here."""
    build = current_build(store_dir)
    if build is None or not build.is_dir():
        raise StoreNotBuiltError(
            f"No store in {store_dir}: run `kg load` first (or set KG_STORE_DIR to the directory "
            "where it built one)."
        )
    return build


def open_store(store_dir: Path) -> ox.Store:
    """Open the live store read-only; raise `StoreNotBuiltError` if `kg load` never ran here.

    The link is resolved once, before opening, so a load that swaps `current` meanwhile cannot make
    this reader see half of one build and half of another.
    """
    build = require_store(store_dir)
    try:
        return ox.Store.read_only(str(build))
    except OSError as exc:
        raise StoreError(f"The store in {build} cannot be opened: {exc}") from exc


@contextlib.contextmanager
def _exclusive_lock(store_dir: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Allow one writer per store directory; the kernel releases the lock even on `kill -9`.

    A load fails at once if the lock is taken; a web write (`wait_s` > 0) waits its turn.
    """
    deadline = time.monotonic() + wait_s
    with (store_dir / _LOCK_FILE).open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Another `kg load` is building a store in {store_dir}; wait for it to "
                        "finish."
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_name() -> str:
    """A unique, chronologically sortable directory name."""
    now = datetime.now(tz=UTC)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond:06d}Z-{os.getpid()}"


def _switch_current(store_dir: Path, build_dir: Path) -> None:
    """Point `current` at `build_dir` in one atomic rename, then make the rename durable."""
    tmp = store_dir / f"{_TMP_LINK_PREFIX}{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(build_dir.relative_to(store_dir), tmp)
    os.replace(tmp, store_dir / CURRENT_LINK)
    _fsync_dir(store_dir)


def _remove_stale_builds(store_dir: Path, *, keep: set[Path | None]) -> None:
    """Delete builds other than `keep`: older ones and partial builds left by a killed load."""
    for build in (store_dir / BUILDS_DIR).iterdir():
        if build.resolve() not in keep:
            shutil.rmtree(build, ignore_errors=True)
    for stale_link in store_dir.glob(f"{_TMP_LINK_PREFIX}*"):
        stale_link.unlink(missing_ok=True)


def _fsync_tree(directory: Path) -> None:
    """Flush a finished build to disk, so a power cut cannot publish a hollow store."""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
