"""The example queries of `queries/`: each is well described, self-contained, ordered, and gives
exactly its expected result on the curated data; and the loader behind them (`kg.examples`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from cli_runner import ROOT, run_kg_in

from kg.examples import (
    UPDATE_COMMAND,
    Example,
    ExampleError,
    check_example,
    load_example,
    load_examples,
    main,
    reference_store,
    write_expected,
)
from kg.namespaces import PREFIXES
from kg.settings import Settings

QUERIES = ROOT / "queries"
EXAMPLE_FILES = sorted(p for p in QUERIES.glob("*.ttl") if not p.name.endswith(".expected.ttl"))
_PREFIX_LINE = re.compile(
    r"^\s*PREFIX\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE
)


@pytest.fixture(scope="module")
def curated_store() -> Iterator[ox.Store]:
    """The curated data as `kg load` builds it (one graph per file, the truthy layer derived)."""
    settings = Settings()
    with reference_store(settings.data_paths, root=settings.root) as store:
        yield store


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    """All examples of `queries/`, loaded once."""
    return load_examples(QUERIES)


def _example(path: Path) -> Example:
    return load_example(path)


# --- the library of examples ------------------------------------------------------------------


def test_there_are_at_least_22_examples_with_unique_numbers(examples: list[Example]) -> None:
    assert len(examples) >= 22
    numbers = [e.id[:3] for e in examples]
    assert len(numbers) == len(set(numbers)), f"two examples share a number: {numbers}"


def test_every_sidecar_belongs_to_an_example(examples: list[Example]) -> None:
    sidecars = {e.expected_path.name for e in examples}
    stray = [p.name for p in QUERIES.iterdir() if ".expected." in p.name and p.name not in sidecars]
    assert not stray, f"expected-result files without an example (or of the wrong kind): {stray}"


def test_the_readme_lists_every_example(examples: list[Example]) -> None:
    readme = (QUERIES / "README.md").read_text(encoding="utf-8")
    missing = [e.path.name for e in examples if f"]({e.path.name})" not in readme]
    assert not missing, f"queries/README.md does not list {missing}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_is_described(path: Path) -> None:
    example = _example(path)
    assert len(example.title) >= 10, "the title (rdfs:label) says what the query asks"
    assert len(example.description) >= 40, "the description (rdfs:comment) says why and how"
    assert example.keywords, "schema:keywords help find the example in the query editor"
    assert example.target == "https://w3id.org/heritage-kg/sparql"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_query_is_self_contained_and_uses_the_canonical_prefixes(path: Path) -> None:
    example = _example(path)
    declared = dict(_PREFIX_LINE.findall(example.query))
    for prefix, iri in declared.items():
        assert PREFIXES.get(prefix) == iri, (
            f"{path.name}: PREFIX {prefix}: <{iri}> differs from kg/namespaces.py "
            f"({PREFIXES.get(prefix)!r})"
        )
    # Parsing on an empty store, with no prologue added, proves the query declares every prefix
    # it uses and can be pasted into any endpoint.
    try:
        ox.Store().query(example.query)
    except SyntaxError as exc:
        pytest.fail(f"{path.name}: the query does not parse on its own: {exc}")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_select_queries_are_ordered(path: Path) -> None:
    example = _example(path)
    if example.kind == "select":
        assert re.search(r"\bORDER\s+BY\b", example.query, re.IGNORECASE), (
            f"{path.name}: a SELECT example needs ORDER BY, or its expected rows are not exact"
        )


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_gives_exactly_its_expected_result(path: Path, curated_store: ox.Store) -> None:
    example = _example(path)
    assert example.expected is not None, (
        f"{path.name} has no expected result ({example.expected_path.name}); "
        f"run {UPDATE_COMMAND} and review the file it writes"
    )
    mismatch = check_example(example, curated_store)
    assert mismatch is None, (
        f"{path.name} no longer gives its expected result. If the data changed on purpose, run "
        f"{UPDATE_COMMAND} and review the diff of {example.expected_path.name}.\n{mismatch.diff}"
    )


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_expected_result_is_not_empty(path: Path) -> None:
    """An empty expected result tests nothing; an ASK states its absence as `false` instead."""
    example = _example(path)
    assert example.expected is not None
    if example.kind == "select":
        assert len(example.expected.splitlines()) >= 2, f"{path.name}: no rows expected"
    elif example.kind == "construct":
        assert list(ox.parse(example.expected, ox.RdfFormat.TURTLE)), f"{path.name}: no triples"


# --- the loader, on small examples written here --------------------------------------------------

_HEAD = """@prefix ex: <https://w3id.org/heritage-kg/.well-known/sparql-examples/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
"""
_DATA = """@prefix hk: <https://w3id.org/heritage-kg/ontology#> .
@prefix site: <https://w3id.org/heritage-kg/id/site/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
site:b a hk:HeritageSite ; rdfs:label "B"@en .
site:a a hk:HeritageSite ; rdfs:label "A"@en .
"""
_SELECT = (
    "PREFIX hk: <https://w3id.org/heritage-kg/ontology#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?site ?label WHERE { ?site a hk:HeritageSite ; rdfs:label ?label } ORDER BY ?label"
)


def _write_example(
    directory: Path,
    name: str,
    *,
    kind: str = "select",
    query: str = _SELECT,
    title: str | None = "Sites and labels",
    extra: str = "",
) -> Path:
    kind_class = {"select": "Select", "ask": "Ask", "construct": "Construct"}[kind]
    stem = name.removesuffix(".ttl")
    lines = [f"ex:{stem} a sh:SPARQLExecutable, sh:SPARQL{kind_class}Executable ;"]
    if title is not None:
        lines.append(f'    rdfs:label "{title}"@en ;')
    lines += [
        '    rdfs:comment "Every site with its label, in label order."@en ;',
        '    schema:keywords "sites", "labels" ;',
        f"{extra}    sh:{kind} '''{query}''' .",
    ]
    path = directory / name
    path.write_text(_HEAD + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_store() -> ox.Store:
    store = ox.Store()
    store.load(_DATA, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g"))
    return store


def test_loader_reads_metadata_and_kind(tmp_path: Path) -> None:
    path = _write_example(tmp_path, "001-sites.ttl")
    (example,) = load_examples(tmp_path)
    assert example.id == "001-sites"
    assert example.iri == "https://w3id.org/heritage-kg/.well-known/sparql-examples/001-sites"
    assert example.path == path
    assert example.title == "Sites and labels"
    assert example.keywords == ("labels", "sites")
    assert example.kind == "select"
    assert example.query == _SELECT + "\n"
    assert example.target is None
    assert example.expected is None
    assert example.expected_path == tmp_path / "001-sites.expected.tsv"


def test_expected_result_round_trip_and_readable_mismatch(
    tmp_path: Path, small_store: ox.Store
) -> None:
    _write_example(tmp_path, "001-sites.ttl")
    example = load_example(tmp_path / "001-sites.ttl")
    mismatch = check_example(example, small_store)
    assert mismatch is not None  # no sidecar yet
    assert write_expected(example, small_store) is True
    written = example.expected_path.read_text(encoding="utf-8")
    assert written == (
        "?site\t?label\n"
        '<https://w3id.org/heritage-kg/id/site/a>\t"A"@en\n'
        '<https://w3id.org/heritage-kg/id/site/b>\t"B"@en\n'
    )
    reloaded = load_example(example.path)
    assert check_example(reloaded, small_store) is None
    assert write_expected(reloaded, small_store) is False
    # Row order is part of the contract: the same rows reversed are a mismatch, shown as a diff.
    header, first, second = written.splitlines(keepends=True)
    example.expected_path.write_text(header + second + first, encoding="utf-8")
    mismatch = check_example(load_example(example.path), small_store)
    assert mismatch is not None
    assert '-<https://w3id.org/heritage-kg/id/site/a>\t"A"@en' in mismatch.diff
    assert '+<https://w3id.org/heritage-kg/id/site/a>\t"A"@en' in mismatch.diff


def test_ask_and_construct_results(tmp_path: Path, small_store: ox.Store) -> None:
    ask = _write_example(
        tmp_path, "001-any.ttl", kind="ask", query="ASK { ?s ?p ?o }", title="Anything at all"
    )
    construct_query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }"
    )
    construct = _write_example(tmp_path, "002-labels.ttl", kind="construct", query=construct_query)
    for path in (ask, construct):
        write_expected(load_example(path), small_store)
    assert (tmp_path / "001-any.expected.srj").read_text() == '{"head":{},"boolean":true}\n'
    turtle = (tmp_path / "002-labels.expected.ttl").read_text()
    assert turtle.startswith("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
    # A graph is compared as a set of triples: a reordered file still matches.
    lines = turtle.splitlines(keepends=True)
    header = [line for line in lines if line.startswith("@prefix")]
    body = [line for line in lines if not line.startswith("@prefix")]
    (tmp_path / "002-labels.expected.ttl").write_text("".join(header + body[::-1]))
    assert check_example(load_example(construct), small_store) is None
    (tmp_path / "002-labels.expected.ttl").write_text("".join(header + body[:1]))
    assert check_example(load_example(construct), small_store) is not None


def test_construct_with_blank_nodes_is_refused(tmp_path: Path, small_store: ox.Store) -> None:
    query = "CONSTRUCT { [] ?p ?o } WHERE { ?s ?p ?o }"
    path = _write_example(tmp_path, "001-blank.ttl", kind="construct", query=query)
    example = load_example(path)
    write_expected(example, small_store)
    with pytest.raises(ExampleError, match="blank node"):
        check_example(load_example(path), small_store)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("sites.ttl", {}, "named NNN-slug.ttl"),
        ("001-sites.ttl", {"title": None}, "rdfs:label"),
        ("001-sites.ttl", {"extra": "    sh:ask 'ASK {}' ;\n"}, "exactly one of sh:select"),
    ],
)
def test_malformed_examples_are_refused(
    tmp_path: Path, name: str, kwargs: dict[str, str | None], message: str
) -> None:
    _write_example(tmp_path, name, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ExampleError, match=message):
        load_examples(tmp_path)


def test_wrong_class_and_bad_turtle_are_refused(tmp_path: Path) -> None:
    path = _write_example(tmp_path, "001-sites.ttl", kind="ask", query="ASK {}")
    path.write_text(path.read_text().replace("sh:ask", "sh:select").replace("ASK {}", _SELECT))
    with pytest.raises(ExampleError, match="SPARQLSelectExecutable"):
        load_example(path)
    path.write_text("ex:001-sites a .\n")
    with pytest.raises(ExampleError, match=r"001-sites\.ttl"):
        load_example(path)
    with pytest.raises(ExampleError, match="no such directory"):
        load_examples(tmp_path / "missing")


def test_update_command_writes_and_then_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sites.ttl").write_text(_DATA, encoding="utf-8")
    _write_example(tmp_path / "queries", "001-sites.ttl")
    settings = Settings(root=tmp_path, data_paths=(Path("data"),))
    assert main([], settings=settings) == 1
    assert UPDATE_COMMAND in capsys.readouterr().out
    assert main(["--update"], settings=settings) == 0
    assert "updated  001-sites" in capsys.readouterr().out
    assert main([], settings=settings) == 0
    assert "ok        001-sites" in capsys.readouterr().out


# --- `kg query FILE.ttl` runs an example as CI checks it --------------------------------------


@pytest.fixture(scope="module")
def curated_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A live store of the curated data built by `kg load`, for the CLI."""
    store = tmp_path_factory.mktemp("examples-cli") / "store"
    result = run_kg_in(store, "load")
    assert result.returncode == 0, result.stderr
    return store


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("013-people-and-the-sites-they-are-linked-to.ttl", "tsv"),
        ("026-every-statement-cites-a-source.ttl", "json"),
    ],
)
def test_kg_query_runs_an_example_file(curated_store_dir: Path, name: str, fmt: str) -> None:
    example = load_example(QUERIES / name)
    result = run_kg_in(curated_store_dir, "query", QUERIES / name, "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (example.expected or "").strip()


def test_kg_query_runs_a_construct_example(curated_store_dir: Path) -> None:
    example = load_example(QUERIES / "027-architects-and-their-sites-graph.ttl")
    result = run_kg_in(curated_store_dir, "query", example.path, "--format", "ntriples")
    assert result.returncode == 0, result.stderr
    got = set(ox.parse(result.stdout, ox.RdfFormat.N_TRIPLES))
    assert got == set(ox.parse(example.expected or "", ox.RdfFormat.TURTLE))


def test_kg_query_refuses_a_turtle_file_that_is_not_an_example(curated_store_dir: Path) -> None:
    result = run_kg_in(curated_store_dir, "query", ROOT / "ontology" / "heritage.ttl")
    assert result.returncode == 2
    assert "NNN-slug.ttl" in result.stderr
    result = run_kg_in(curated_store_dir, "query", QUERIES / "999-missing.ttl")
    assert result.returncode == 2
    assert "no such example file" in result.stderr
