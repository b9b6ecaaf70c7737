"""Validation runs, fresh or incremental, with the store and the results kept between runs.

Under the cache directory (`<root>/var/cache/validation/store/`):

- `oxigraph/` — an on-disk Oxigraph store with one named graph per validated file;
- `state.pickle` — the stamp (stat and hash, `kg.validation.stamps`) of every file in it, the
  shapes' hash, how far the shapes read from a focus node (`kg.validation.impact`, computed once
  per shapes: parsing the SPARQL constraints costs a second), the last results and where each
  was placed in the sources.

A run first stamps the files (hashing only those whose stat changed). Nothing changed: the last
results are the answer. Some files changed (and not the shapes): only those files are dropped
from the store and loaded again, and only the focus nodes they can affect
(`kg.validation.impact`) are validated again; results of all other focus nodes are kept.
SHACL-SPARQL constraints are evaluated again only for the nodes their queries can reach, or in
full when a query's reach has no bound. Anything else — no usable cache, other shapes, a
different set or order of files, an `rdfs:subClassOf` change, shapes without a reach bound, more
than a quarter of the files changed — is a fresh run, whose store then replaces the cached one.
A lock file keeps two runs from using the cache at the same time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDFS, SH, Graph
from rdflib.term import Node

from kg.validation.core import CoreEvaluator
from kg.validation.evaluate import evaluate, prepare
from kg.validation.impact import affected, reach, sparql_reach
from kg.validation.locator import Position
from kg.validation.model import Shapes
from kg.validation.placing import Placer
from kg.validation.results import RawResult
from kg.validation.sparql import SparqlConstraints
from kg.validation.stamps import Stamp, hash_file, take_stamps
from kg.validation.terms import to_rdflib
from kg.validation.union import UnionStore, graph_for

__all__ = ["Run", "cached_run", "fresh_run"]

_VERSION = "kg-validation-store-v2"
_SUBCLASS = str(RDFS.subClassOf)
_SPARQL = SH.SPARQLConstraintComponent

Placed = tuple[Path | None, Position]


@dataclass
class Run:
    """The raw results of a run and where each belongs in the sources."""

    results: list[RawResult]
    places: list[Placed]
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Reach:
    """How far the shapes read from a focus node (None: unbounded, re-validate everything)."""

    core: int | None
    objects_of: frozenset[str]
    sparql: int | None


@dataclass
class _State:
    version: str
    shapes: str
    files: list[str]
    stamps: dict[str, Stamp]
    reach: _Reach
    results: list[RawResult]
    places: list[Placed]


def fresh_run(paths: Sequence[Path], shapes: Graph) -> Run:
    """Validate in a new in-memory store (no cache)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    store = ox.Store()
    UnionStore(store).add(paths)
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    results = evaluate(store, shapes)
    timings["shacl"] = time.perf_counter() - started
    started = time.perf_counter()
    places = _place(results, Placer(store, paths, None))
    timings["place"] = time.perf_counter() - started
    return Run(results, places, timings)


def cached_run(
    directory: Path,
    paths: Sequence[Path],
    shapes: Graph,
    shape_paths: Sequence[Path],
    parse_cache: Path | None,
) -> Run:
    """Validate `paths`, reusing and updating the cache in `directory` (see module doc)."""
    directory.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with _locked(directory):
        started = time.perf_counter()
        shapes_key = hashlib.sha256("".join(hash_file(p) for p in shape_paths).encode()).hexdigest()
        files = [str(p) for p in paths]
        state = _read_state(directory)
        usable = state is not None and state.shapes == shapes_key
        stamps = take_stamps(paths, state.stamps if state is not None and usable else {})
        timings["hash"] = time.perf_counter() - started
        store_dir = directory / "oxigraph"
        store: ox.Store | None = None
        known: dict[Node, Placed] = {}
        reach = state.reach if state is not None and usable else None
        if state is not None and usable and state.files == files and store_dir.is_dir():
            changed = [Path(f) for f in files if state.stamps[f].digest != stamps[f].digest]
            if not changed:
                if stamps != state.stamps:  # stat-only changes: remember the new stats
                    _write_state(directory, replace(state, stamps=stamps))
                return Run(state.results, state.places, timings)
            if len(changed) <= max(1, len(files) // 4):
                assert reach is not None
                found = _incremental(store_dir, state.results, changed, shapes, reach, timings)
                if found is not None:
                    store, results, mentioned = found
                    # A focus node no changed triple mentions keeps its place, unless that
                    # place is in a changed file.
                    edited = set(changed)
                    known = {
                        r.focus: place
                        for r, place in zip(state.results, state.places, strict=True)
                        if r.focus not in mentioned and place[0] not in edited
                    }
        if store is None:
            store, results = _fresh_on_disk(directory, paths, shapes, timings)
        started = time.perf_counter()
        places = _place(results, Placer(store, paths, parse_cache), known)
        timings["place"] = time.perf_counter() - started
        del store  # closes the store before the lock is released
        if reach is None:
            started = time.perf_counter()
            reach = _reach_of(shapes)
            timings["reach"] = time.perf_counter() - started
        state = _State(_VERSION, shapes_key, files, stamps, reach, results, places)
        _write_state(directory, state)
        return Run(results, places, timings)


def _reach_of(shapes: Graph) -> _Reach:
    """The shapes' reach bounds (`kg.validation.impact`), kept in the state for later runs."""
    prepared = prepare(shapes)
    model, constraints = prepared.shapes, prepared.constraints
    objects_of = frozenset(str(p) for s in model.by_node.values() for p in s.target_objects_of)
    reaches = [sparql_reach(c.query) for c in constraints.constraints]
    sparql = None if not reaches or any(r is None for r in reaches) else max(
        r for r in reaches if r is not None
    )
    return _Reach(reach(model), objects_of, sparql)


def _incremental(
    store_dir: Path,
    previous: list[RawResult],
    changed: list[Path],
    shapes: Graph,
    bounds: _Reach,
    timings: dict[str, float],
) -> tuple[ox.Store, list[RawResult], set[Node]] | None:
    started = time.perf_counter()
    try:
        store = ox.Store(str(store_dir))
    except OSError:
        return None
    removed = [q for p in changed for q in store.quads_for_pattern(None, None, None, graph_for(p))]
    # From here the store no longer matches the saved state: a crash before the new state is
    # written must lead to a fresh run, not to results for a half-updated store.
    (store_dir.parent / "state.pickle").unlink(missing_ok=True)
    union = UnionStore(store)
    for path in changed:
        union.remove(path)
    union.add(changed)
    added = [q for p in changed for q in store.quads_for_pattern(None, None, None, graph_for(p))]
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    prepared = prepare(shapes)
    hops = bounds.core
    if hops is None or any(q.predicate.value == _SUBCLASS for q in [*removed, *added]):
        results = evaluate(store, prepared)
    else:
        nodes = affected(store, removed, added, hops, set(bounds.objects_of))
        terms = {to_rdflib(n) for n in nodes}
        kept = [r for r in previous if r.component != _SPARQL and r.focus not in terms]
        fresh = evaluate(store, prepared, only=nodes, sparql=False)
        again = _sparql_again(
            store, prepared.shapes, prepared.constraints, bounds.sparql, previous, removed, added
        )
        results = kept + fresh + again
        timings["affected-nodes"] = float(len(nodes))
    timings["shacl"] = time.perf_counter() - started
    mentioned = {to_rdflib(t) for q in [*removed, *added] for t in (q.subject, q.object)}
    return store, results, mentioned


def _sparql_again(
    store: ox.Store,
    model: Shapes,
    constraints: SparqlConstraints,
    hops: int | None,
    previous: list[RawResult],
    removed: list[ox.Quad],
    added: list[ox.Quad],
) -> list[RawResult]:
    """SHACL-SPARQL results after a change: only for the nodes the change can reach when every
    query's reach is bounded (`sparql_reach`, given as `hops`), else all of them again."""
    evaluator = CoreEvaluator(store, model)
    if hops is None:
        return constraints.run(store, lambda n: evaluator.focus_nodes(model.get(n)))
    nodes = affected(store, removed, added, hops, set())
    terms = {to_rdflib(n) for n in nodes}
    kept = [r for r in previous if r.component == _SPARQL and r.focus not in terms]
    return kept + constraints.run(
        store, lambda n: [f for f in nodes if evaluator.is_focus(model.get(n), f)]
    )


def _fresh_on_disk(
    directory: Path, paths: Sequence[Path], shapes: Graph, timings: dict[str, float]
) -> tuple[ox.Store, list[RawResult]]:
    """Load and validate in memory (loading into RocksDB directly is several times slower),
    then copy the store to disk in one bulk write for the next run."""
    started = time.perf_counter()
    (directory / "state.pickle").unlink(missing_ok=True)
    store = ox.Store()
    UnionStore(store).add(paths)
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    results = evaluate(store, shapes)
    timings["shacl"] = time.perf_counter() - started
    started = time.perf_counter()
    building = directory / f"oxigraph.{os.getpid()}.tmp"
    shutil.rmtree(building, ignore_errors=True)
    disk = ox.Store(str(building))
    disk.bulk_extend(store)
    disk.flush()
    del disk
    target = directory / "oxigraph"
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    timings["persist"] = time.perf_counter() - started
    return store, results


def _place(
    results: list[RawResult], placer: Placer, known: dict[Node, Placed] | None = None
) -> list[Placed]:
    memo: dict[Node, Placed] = dict(known or {})
    out = []
    for raw in results:
        found = memo.get(raw.focus)
        if found is None:
            found = memo[raw.focus] = placer.place(raw.focus)
        out.append(found)
    return out


def _read_state(directory: Path) -> _State | None:
    try:
        with (directory / "state.pickle").open("rb") as handle:
            state = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        return None
    if not isinstance(state, _State) or state.version != _VERSION:
        return None
    return state


def _write_state(directory: Path, state: _State) -> None:
    partial = directory / f"state.{os.getpid()}.tmp"
    with partial.open("wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(directory / "state.pickle")


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with (directory / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
