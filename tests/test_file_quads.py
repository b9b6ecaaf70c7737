"""Files parsed and labelled by worker processes give exactly what parsing them here gives."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from cli_runner import CLI_FIXTURES

from kg.blank_nodes import canonical_file_quads
from kg.dataset import SourceFile, discover_files, parse_turtle, read_turtle
from kg.errors import SourceFileError
from kg.file_quads import file_quads, parse_pool, parsed_files
from kg.namespaces import TRUTHY_GRAPH
from kg.store import load_dataset, open_store

MANY = 80  # above the size where a load starts workers
BAD = CLI_FIXTURES / "bad"


def _write_files(directory: Path, count: int) -> list[SourceFile]:
    """`count` small files, each with nested, twin and list blank nodes."""
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (directory / f"f{n:03d}.ttl").write_text(
            "@prefix ex: <http://example.org/> .\n"
            f'ex:s{n} ex:cites [ ex:page "{n}" ; ex:in [ ex:title "T" ] ] , [ ex:page "1" ] ,\n'
            f'    [ ex:page "1" ] ; ex:list ( "a" [ ex:x {n} ] ) ; ex:label "file {n}"@en .\n',
            encoding="utf-8",
        )
    return discover_files([directory], root=directory)


def test_a_pool_is_only_started_for_many_files() -> None:
    with parse_pool(3) as pool:
        assert pool is None
    with parse_pool(MANY, processes=1) as pool:
        assert pool is None
    with parse_pool(MANY, processes=2) as pool:
        assert pool is not None


def test_workers_give_the_same_quads_and_labels_in_the_same_order(tmp_path: Path) -> None:
    files = _write_files(tmp_path / "data", MANY)
    here = [file_quads(source) for source in files]
    with parse_pool(len(files), processes=2) as pool:
        assert pool is not None
        there = list(parsed_files(files, pool))
    assert there == here
    assert all(b"_:c" in parsed.nquads for parsed in there)
    assert [p.triples for p in there] == [15] * MANY


def test_the_n_quads_keep_the_canonical_labels_in_the_store(tmp_path: Path) -> None:
    files = _write_files(tmp_path / "data", MANY)
    expected = sorted(
        str(quad)
        for source in files
        for quad in ox.parse(file_quads(source).nquads, ox.RdfFormat.N_QUADS)
    )
    load_dataset(files, store_dir=tmp_path / "store")
    stored = sorted(
        str(quad)
        for quad in open_store(tmp_path / "store")
        if quad.graph_name != ox.NamedNode(TRUTHY_GRAPH)
    )
    assert stored == expected


@pytest.mark.parametrize("processes", [1, 2])
def test_the_first_bad_file_in_order_is_reported_with_its_position(
    tmp_path: Path, processes: int
) -> None:
    files = _write_files(tmp_path / "data", MANY)
    first_bad, later_bad = files[37].path, files[3 * MANY // 4].path
    first_bad.write_bytes((BAD / "unknown-prefix.ttl").read_bytes())
    later_bad.write_bytes((BAD / "malformed.ttl").read_bytes())
    with pytest.raises(SourceFileError) as expected:
        read_turtle(first_bad)
    with parse_pool(len(files), processes=processes) as pool, pytest.raises(
        SourceFileError
    ) as raised:
        for _ in parsed_files(files, pool):
            pass
    assert raised.value.path == first_bad
    assert str(raised.value) == str(expected.value)
    assert (raised.value.line, raised.value.column) == (expected.value.line, expected.value.column)
    assert raised.value.line is not None


@pytest.mark.parametrize(
    "text",
    [
        '_:a ex:p "see _:a" , "x _:a"@en , "_:a" ; ex:q [ ex:r "y .\\n _:a" ] .\nex:s ex:t _:a .\n',
        'ex:s ex:p ( [ ex:q "1" ] [ ex:q "1" ] ) ; ex:o "a\\nb" , <http://example.org/_:a> .\n',
        "_:a ex:next _:b . _:b ex:next _:a . ex:s ex:ring _:a .\n",
        'ex:s ex:p "no blank nodes here" , 1 , "x"@en-GB .\n',
    ],
)
def test_the_edited_n_quads_are_the_relabelled_quads(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\n" + text, encoding="utf-8")
    (source,) = discover_files([path], root=tmp_path)
    triples = parse_turtle(path)
    expected = canonical_file_quads(source.graph_iri, triples)
    parsed = file_quads(source)
    assert list(ox.parse(parsed.nquads, ox.RdfFormat.N_QUADS)) == expected
    assert parsed.triples == len(triples)
