"""The store build: one graph per file, the truthy layer, atomic switching, clean-up, locking."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from cli_runner import CLI_FIXTURES, ROOT

from kg.dataset import discover_files
from kg.errors import SourceFileError, StoreError, StoreNotBuiltError
from kg.namespaces import GRAPH_BASE, HK, TRUTHY_GRAPH
from kg.store import (
    BUILDS_DIR,
    apply_update,
    canonical_labels,
    current_build,
    load_dataset,
    open_store,
    require_store,
)

GOOD = discover_files([CLI_FIXTURES / "good"], root=ROOT)
FORTRESS_GRAPH = GRAPH_BASE + "tests/fixtures/cli/good/sites/demo-fortress.ttl"
SOURCE_GRAPH = GRAPH_BASE + "tests/fixtures/cli/good/sources/demo-source.ttl"

Snapshot = dict[str, tuple[int, frozenset[ox.Quad]]]


def snapshot(store_dir: Path) -> Snapshot:
    """Per graph: the number of quads and the quads without blank nodes (labels may differ)."""
    store = open_store(store_dir)
    graphs: dict[str, list[ox.Quad]] = {}
    for quad in store:
        assert isinstance(quad.graph_name, ox.NamedNode), "kg never writes the default graph"
        graphs.setdefault(quad.graph_name.value, []).append(quad)
    return {
        graph: (
            len(quads),
            frozenset(
                q for q in quads
                if not isinstance(q.subject, ox.BlankNode)
                and not isinstance(q.object, ox.BlankNode)
            ),
        )
        for graph, quads in graphs.items()
    }


def test_each_file_goes_to_its_own_graph_and_truthy_is_derived(tmp_path: Path) -> None:
    report = load_dataset(GOOD, store_dir=tmp_path)
    counts = {g.graph_iri: g.triples for g in report.graphs}
    assert counts == {FORTRESS_GRAPH: 23, SOURCE_GRAPH: 6, TRUTHY_GRAPH: 1}
    assert report.truthy_triples == 1
    assert report.parsed_triples == 29
    store = open_store(tmp_path)
    truthy = list(store.quads_for_pattern(None, None, None, ox.NamedNode(TRUTHY_GRAPH)))
    # the preferred statement wins over the normal one (best rank)
    assert [(q.subject.value, q.predicate.value, q.object.value) for q in truthy] == [
        (
            "http://example.org/demo-fortress",
            HK + "condition",
            "https://w3id.org/heritage-kg/vocab/condition/restored",
        )
    ]


def test_loading_twice_gives_the_same_store(tmp_path: Path) -> None:
    load_dataset(GOOD, store_dir=tmp_path)
    first = snapshot(tmp_path)
    first_build = current_build(tmp_path)
    load_dataset(GOOD, store_dir=tmp_path)
    assert current_build(tmp_path) != first_build
    assert snapshot(tmp_path) == first
    assert sum(n for n, _ in first.values()) == 30


def test_a_bad_file_aborts_before_anything_is_built(tmp_path: Path) -> None:
    load_dataset(GOOD, store_dir=tmp_path)
    before = snapshot(tmp_path)
    live = current_build(tmp_path)
    bad = discover_files([CLI_FIXTURES / "bad" / "unknown-prefix.ttl"], root=ROOT)
    with pytest.raises(SourceFileError):
        load_dataset([*GOOD, *bad], store_dir=tmp_path)
    assert current_build(tmp_path) == live
    assert [p for p in (tmp_path / BUILDS_DIR).iterdir()] == [live]
    assert snapshot(tmp_path) == before


def test_the_previous_build_is_kept_and_older_and_partial_ones_removed(tmp_path: Path) -> None:
    first = load_dataset(GOOD, store_dir=tmp_path).build_dir
    abandoned = tmp_path / BUILDS_DIR / "00000000T000000.000000Z-1"  # as a kill -9 leaves it
    abandoned.mkdir()
    (abandoned / "000001.sst").write_bytes(b"partial")
    second = load_dataset(GOOD, store_dir=tmp_path).build_dir
    assert sorted((tmp_path / BUILDS_DIR).iterdir()) == sorted([first, second])
    third = load_dataset(GOOD, store_dir=tmp_path).build_dir
    assert sorted((tmp_path / BUILDS_DIR).iterdir()) == sorted([second, third])
    assert os.readlink(tmp_path / "current") == f"{BUILDS_DIR}/{third.name}"


def test_reading_before_the_first_load_says_to_run_kg_load(tmp_path: Path) -> None:
    with pytest.raises(StoreNotBuiltError, match="run `kg load` first"):
        open_store(tmp_path)


def test_a_second_concurrent_load_is_refused(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    with (tmp_path / "load.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="Another `kg load`"):
            load_dataset(GOOD, store_dir=tmp_path)
    assert current_build(tmp_path) is None
    assert not (tmp_path / BUILDS_DIR).exists()


def test_a_current_that_is_not_our_link_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "current").mkdir(parents=True)
    with pytest.raises(StoreError, match="not a link made by `kg load`"):
        load_dataset(GOOD, store_dir=tmp_path)
    assert (tmp_path / "current").is_dir()
    shutil.rmtree(tmp_path / "current")


# --- canonical blank-node labels given at load (kg.blank_nodes) -----------------------------------

_PREFIXES = "@prefix ex: <http://example.org/> .\n"


def _load_texts(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    """Load `files` (relative name -> Turtle, always in the same folder, so the same graph IRIs)
    into a fresh store under tmp_path/name."""
    data = tmp_path / "data"
    shutil.rmtree(data, ignore_errors=True)
    for relative, text in files.items():
        path = data / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_PREFIXES + text, encoding="utf-8")
    store_dir = tmp_path / name
    load_dataset(discover_files([data], root=tmp_path), store_dir=store_dir)
    return store_dir


def _quads(store_dir: Path) -> list[str]:
    """Every quad as N-Quads text, sorted: equal lists mean equal stores, blank labels included."""
    return sorted(str(q) for q in open_store(store_dir))


def test_reloading_the_same_files_gives_the_same_blank_node_labels(tmp_path: Path) -> None:
    load_dataset(GOOD, store_dir=tmp_path / "a")
    load_dataset(GOOD, store_dir=tmp_path / "b")
    first, second = _quads(tmp_path / "a"), _quads(tmp_path / "b")
    assert any("_:c" in line for line in first)
    assert first == second


def test_labels_do_not_depend_on_statement_order(tmp_path: Path) -> None:
    one = 'ex:s ex:cites [ ex:page "1" ; ex:in [ ex:title "T" ] ] ; ex:span [ ex:from "1900" ] .\n'
    two = 'ex:s ex:span [ ex:from "1900" ] ; ex:cites [ ex:in [ ex:title "T" ] ; ex:page "1" ] .\n'
    assert _quads(_load_texts(tmp_path, "a", {"f.ttl": one})) == _quads(
        _load_texts(tmp_path, "b", {"f.ttl": two})
    )


def test_identical_blank_nodes_in_two_files_stay_two_nodes(tmp_path: Path) -> None:
    text = 'ex:s ex:cites [ ex:page "1" ] .\n'
    store_dir = _load_texts(tmp_path, "s", {"a.ttl": text, "b.ttl": text})
    store = open_store(store_dir)
    cites = ox.NamedNode("http://example.org/cites")
    objects = {q.object for q in store.quads_for_pattern(None, cites, None, None)}
    assert len(objects) == 2 and all(isinstance(o, ox.BlankNode) for o in objects)


def test_twin_blank_nodes_are_kept_apart(tmp_path: Path) -> None:
    text = 'ex:s ex:cites [ ex:page "1" ] , [ ex:page "1" ] , [ ex:page "2" ] .\n'
    store_dir = _load_texts(tmp_path, "s", {"a.ttl": text})
    store = open_store(store_dir)
    cites = ox.NamedNode("http://example.org/cites")
    assert len(list(store.quads_for_pattern(None, cites, None, None))) == 3
    assert len(store) == 6
    assert _quads(store_dir) == _quads(_load_texts(tmp_path, "again", {"a.ttl": text}))


def test_a_cycle_of_blank_nodes_loads_whole(tmp_path: Path) -> None:
    text = "_:a ex:next _:b . _:b ex:next _:a . ex:s ex:ring _:a .\n"
    store_dir = _load_texts(tmp_path, "s", {"a.ttl": text})
    labels = {q.object.value for q in open_store(store_dir) if isinstance(q.object, ox.BlankNode)}
    assert len(labels) == 2 and all(label.startswith("x") for label in labels)


def test_a_load_marks_its_labels_and_a_web_write_does_not(tmp_path: Path) -> None:
    load_dataset(GOOD, store_dir=tmp_path)
    assert canonical_labels(require_store(tmp_path))
    apply_update(tmp_path, "INSERT DATA { GRAPH <http://example.org/g> { [] <http://e/p> 1 } }")
    assert not canonical_labels(require_store(tmp_path))
