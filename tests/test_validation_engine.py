"""The Oxigraph-based engine: the literal trap, loud failures, synthetic data, incremental runs."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal

from kg.synth import synthesize
from kg.validation import validate_paths
from kg.validation.engine import default_ontology_paths, default_shape_paths
from kg.validation.evaluate import evaluate
from kg.validation.impact import sparql_reach
from kg.validation.model import UnsupportedShapeError, read_shapes
from kg.validation.numbers import candidates
from kg.validation.reference import reference_validate
from kg.validation.results import RawResult, canonical
from kg.validation.sources import load_file
from kg.validation.terms import to_rdflib
from kg.validation.union import UnionStore, native_safe

ROOT = Path(__file__).resolve().parents[1]
LITERALS = ROOT / "tests" / "fixtures" / "validation" / "literals"

Key = tuple[str, ...]


def _store(paths: Sequence[Path]) -> ox.Store:
    store = ox.Store()
    UnionStore(store).add(list(paths))
    return store


def _graph_of(store: ox.Store) -> Graph:
    graph = Graph()
    for quad in store:
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def _shapes(paths: Sequence[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        for triple in load_file(path, cache_dir=None).triples:
            graph.add(triple)
    return graph


def _keys(results: Sequence[RawResult], *graphs: Graph) -> Counter[Key]:
    return Counter(
        tuple(
            canonical(t, *graphs)
            for t in (r.focus, r.path, r.value, r.source_shape, r.component, r.severity)
        )
        for r in results
    )


def _same_as_pyshacl(data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path]) -> int:
    reference = reference_validate(data, shapes, ontology)
    expected = _keys(reference.results, reference.data, reference.shapes)
    store = _store(list(dict.fromkeys([*data, *ontology])))
    shapes_graph = _shapes(shapes)
    got = _keys(evaluate(store, shapes_graph), _graph_of(store), shapes_graph)
    assert got == expected, (
        f"only in kg: {sorted((got - expected).elements())}\n"
        f"only in pyshacl: {sorted((expected - got).elements())}"
    )
    return sum(expected.values())


# -- the literal trap --------------------------------------------------------------------------


def test_oxigraph_rewrites_literals_when_it_stores_them() -> None:
    """The fact the engine is built around (pyoxigraph 0.5.13); if this changes, re-check."""
    store = ox.Store()
    store.load((LITERALS / "data.ttl").read_bytes(), ox.RdfFormat.TURTLE)
    stored = {str(q.object) for q in store}
    assert '"11.1"^^<http://www.w3.org/2001/XMLSchema#decimal>' in stored
    assert '"5"^^<http://www.w3.org/2001/XMLSchema#integer>' in stored  # was positiveInteger
    assert '"2020-01-01Z"^^<http://www.w3.org/2001/XMLSchema#date>' in stored
    assert '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>' not in stored


def test_the_union_store_keeps_the_files_literals() -> None:
    """Read back, every literal is the one rdflib's own parser builds from the file (as RDF 1.1
    terms: "x" and "x"^^xsd:string are one literal, language tags are case-blind)."""
    store = _store([LITERALS / "data.ttl"])
    ours = {t for t in _graph_of(store).objects() if isinstance(t, Literal)}
    rdflib_own = {t for t in Graph().parse(LITERALS / "data.ttl").objects()}
    assert {canonical(t) for t in ours} == {
        canonical(t) for t in rdflib_own if isinstance(t, Literal)
    }


@pytest.mark.parametrize(
    "text",
    [
        "<a:x> <a:p> 007 , -0 , +5 , true .",
        "<a:x> <a:p> 00099999999999999999999 , 1.50 , 1e0 .",
        "<a:x> <a:p> 1.50 , 100.0 , 1e0 , -.5E-2 , +7.25 , 1.E3 .",
        "<a:x> <a:p> (1.5.5 2.50) , [ <a:q> 3.0 ] .",
        "<a:x> <a:p> 1.0 , 1.00 .",  # one value to Oxigraph, two to rdflib
        '<a:x> <a:p> 1.0 ; <a:q> "1.00" . # 1.000',
        "<a:x> <a:p> 2.50 . # 2.5e0 and 2.5 in a comment",
    ],
)
def test_bare_numbers_read_back_as_rdflib_reads_them(tmp_path: Path, text: str) -> None:
    """Bare integers and booleans load natively (same canonical form in both libraries);
    decimals and doubles load natively and get their written form back where it is certain,
    integers beyond 64 bits take the Python road (Oxigraph keeps them as written)."""
    path = tmp_path / "numbers.ttl"
    path.write_text(text + "\n", encoding="utf-8")
    ours = {canonical(t) for t in _graph_of(_store([path])).objects()}
    assert ours == {canonical(t) for t in Graph().parse(path).objects()}


def test_bare_decimals_keep_the_native_road(tmp_path: Path) -> None:
    """A file whose numbers' spellings are certain is not reloaded through Python (whose blank
    node labels are `f<hash>b<n>`), and the numbers are stored as written."""
    path = tmp_path / "numbers.ttl"
    path.write_text(
        '<a:x> <a:p> [ <a:q> 100.0 ] ; <a:wkt> "POINT(45.9967 40.9493)" , 1e3 .\n',
        encoding="utf-8",
    )
    store = _store([path])
    assert not any(
        re.fullmatch(r"f[0-9a-f]{12}b[0-9]+", q.subject.value)
        for q in store
        if isinstance(q.subject, ox.BlankNode)
    )
    written = {q.object.value for q in store if isinstance(q.object, ox.Literal)}
    assert {"100.0", "1e3"} <= written


def test_number_candidates_cover_every_token() -> None:
    tokens = candidates(b'<a:x> <a:p> (1.5.5) , -.5E-2 ; <a:q> "v2.0" . # 7.')
    assert tokens is not None
    assert {"1.5", ".5", "-.5E-2", "2.0"} <= tokens
    assert "7." not in tokens and "7" not in tokens
    assert candidates(b"# " + b"-" * 100) == set()  # no dot, no exponent: nothing
    assert candidates(b"# " + b"-.-" * 30) is None  # a long run: give up, take the Python road


def test_natively_loaded_dates_and_strings_answer_as_pyshacl(tmp_path: Path) -> None:
    """Values a query may pass without the exact check (canonical dates, plain strings, typed
    instances) and look-alikes that must get it ("2021-02-30" is no date; "x"@en no string)."""
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix ex: <http://example.org/s#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'ex:a a ex:T ; ex:day "2021-02-28"^^xsd:date , "2021-02-30"^^xsd:date ,\n'
        '    "2020-02-29"^^xsd:date ;\n'
        '    ex:text "plain" , "tagged"@en ; ex:link ex:b , ex:c , [ a ex:C ] .\n'
        "ex:b a ex:C .\nex:c a ex:D .\n"
        "ex:D <http://www.w3.org/2000/01/rdf-schema#subClassOf> ex:C .\n",
        encoding="utf-8",
    )
    assert native_safe(data.read_bytes())
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        _PREFIXES
        + "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        + "ex:S a sh:NodeShape ; sh:targetClass ex:T ;\n"
        + "  sh:property [ sh:path ex:day ; sh:datatype xsd:date ] ,\n"
        + "    [ sh:path ex:text ; sh:datatype xsd:string ] ,\n"
        + "    [ sh:path ex:text ;\n"
        + "      sh:datatype <http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> ] ,\n"
        + "    [ sh:path ex:link ; sh:class ex:C ; sh:nodeKind sh:IRI ] .\n",
        encoding="utf-8",
    )
    assert _same_as_pyshacl([data], [shapes], []) == 4


def test_literal_components_answer_as_pyshacl_on_the_files_literals() -> None:
    count = _same_as_pyshacl([LITERALS / "data.ttl"], [LITERALS / "shapes.ttl"], [])
    assert count >= 8  # the fixture is built to fail often


_XSD = b"@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        (_XSD + b'<a:x> <a:p> "2020-01-01"^^xsd:date .', True),
        (_XSD + b'<a:x> <a:p> "2020-1-1"^^xsd:date .', False),
        (
            b'@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n<a:x> <a:p> "1.0"^^xsd:decimal .',
            False,
        ),
        (
            b"@prefix g: <http://www.opengis.net/ont/geosparql#> .\n"
            b'<a:x> <a:p> "POINT(1 2)"^^g:wktLiteral .',
            True,
        ),
        (b'<a:x> <a:p> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .', False),
        (
            b'@prefix x: <http://www.w3.org/2001/XMLSchema#> .\n<a:x> <a:p> """01"""^^x:integer .',
            False,
        ),
        (b'<a:x> <a:p> "no typed literal at all" .', True),
    ],
)
def test_native_loading_is_chosen_only_when_provably_exact(text: bytes, safe: bool) -> None:
    assert native_safe(text) is safe


# -- loud failures -----------------------------------------------------------------------------

_PREFIXES = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/s#> .\n"


@pytest.mark.parametrize(
    "shapes",
    [
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:rule [ a sh:TripleRule ] .",
        "ex:S a sh:NodeShape ; sh:target [ a ex:Custom ] .",
        "ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:p ] .",
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:unknownThing 1 .",
    ],
)
def test_unsupported_shapes_fail_loudly(shapes: str) -> None:
    graph = Graph().parse(data=_PREFIXES + shapes, format="turtle")
    with pytest.raises(UnsupportedShapeError):
        read_shapes(graph)


def test_nested_sparql_constraint_fails_loudly() -> None:
    graph = Graph().parse(
        data=_PREFIXES
        + "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:node ex:T .\n"
        + 'ex:T a sh:NodeShape ; sh:sparql [ sh:select "SELECT $this WHERE { }" ] .',
        format="turtle",
    )
    store = ox.Store()
    store.add(
        ox.Quad(
            ox.NamedNode("http://example.org/s#a"),
            ox.NamedNode("http://example.org/s#p"),
            ox.Literal("x"),
        )
    )
    with pytest.raises(UnsupportedShapeError):
        evaluate(store, graph)


# -- synthetic data with planted violations ----------------------------------------------------


def test_synthetic_data_gives_pyshacl_results(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    synthesize(out, sites=12, seed=3, vocab_dir=ROOT / "ontology" / "vocab", violations=0.5)
    data = sorted(out.rglob("*.ttl"))
    count = _same_as_pyshacl(data, default_shape_paths(ROOT), default_ontology_paths(ROOT))
    assert count >= 3


# -- incremental runs --------------------------------------------------------------------------


def test_incremental_run_equals_a_fresh_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    data = root / "data" / "ttl"
    synthesize(data, sites=12, seed=5, vocab_dir=ROOT / "ontology" / "vocab", violations=0.5)

    def run(cache: bool) -> tuple[Counter[tuple[object, ...]], dict[str, float]]:
        report = validate_paths([], root=root, use_cache=cache)
        keys = Counter(
            (r.file, r.line, r.focus_node, r.path, r.value, r.source_shape, r.constraint_component)
            for r in report.results
        )
        return keys, report.timings

    first, timings = run(True)
    assert "affected-nodes" not in timings
    again, timings = run(True)
    assert again == first and "load" not in timings  # nothing changed: the cached answer
    sites = sorted((data / "sites").glob("*.ttl"))
    # Break one site: drop its place.
    broken = sites[0]
    text = broken.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "hk:locatedIn" not in line]
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    incremental, timings = run(True)
    assert "affected-nodes" in timings
    fresh, _ = run(False)
    assert incremental == fresh
    assert incremental != first
    # A SHACL-SPARQL violation: a statement contradicting one about another site.
    with_statements = [
        (path, found[0])
        for path in sorted(data.rglob("*.ttl"))
        if path != broken
        and (found := re.findall(r"^(stmt:\S+) a hk:Statement", path.read_text(), re.M))
    ]
    (edited, ours), (_, theirs) = with_statements[:2]
    with edited.open("a", encoding="utf-8") as handle:
        handle.write(f"{ours} hk:contradicts {theirs} .\n")
    incremental, _ = run(True)
    fresh, _ = run(False)
    assert incremental == fresh
    assert "sh:SPARQLConstraintComponent" in {key[-1] for key in incremental}


def test_sparql_constraints_have_a_reach_bound() -> None:
    """The shapes' SHACL-SPARQL queries read by subject from $this (reach 2 and 1); queries that
    read backwards or from a constant get no bound, so they are re-run in full."""
    prologue = (
        "PREFIX ex: <http://example.org/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    )
    assert (
        sparql_reach(prologue + "SELECT $this WHERE { $this ex:p ?a . ?a ex:q ?b . ?b ex:r ?c }")
        == 2
    )
    assert sparql_reach(prologue + "SELECT $this WHERE { $this ex:p/rdfs:subClassOf* ?c }") == 0
    assert sparql_reach(prologue + "SELECT $this WHERE { ?x ex:p $this }") is None
    assert sparql_reach(prologue + "SELECT $this WHERE { $this ^ex:p ?x }") is None
    assert sparql_reach(prologue + "SELECT $this WHERE { ex:k ex:p ?x }") is None
    assert sparql_reach(prologue + "SELECT $this WHERE { $this ex:p+ ?x }") is None


# -- the copy of pyshacl's literal comparison --------------------------------------------------

_XSD = "http://www.w3.org/2001/XMLSchema#"
_COMPARED = [
    Literal("5", datatype=f"{_XSD}integer"),
    Literal("05", datatype=f"{_XSD}integer"),
    Literal("5.0", datatype=f"{_XSD}decimal"),
    Literal("4.99", datatype=f"{_XSD}decimal"),
    Literal("1e1", datatype=f"{_XSD}double"),
    Literal("abc", datatype=f"{_XSD}integer"),
    Literal("2020-01-01", datatype=f"{_XSD}date"),
    Literal("2020-01-02", datatype=f"{_XSD}date"),
    Literal("2020-01-01T10:00:00", datatype=f"{_XSD}dateTime"),
    Literal("2020-01-01T10:00:00Z", datatype=f"{_XSD}dateTime"),
    Literal("2020-01-01T09:00:00+01:00", datatype=f"{_XSD}dateTime"),
    Literal("10:00:00", datatype=f"{_XSD}time"),
    Literal("09:00:00Z", datatype=f"{_XSD}time"),
    Literal("2020", datatype=f"{_XSD}gYear"),
    Literal("true", datatype=f"{_XSD}boolean"),
    Literal("a"),
    Literal("b"),
    Literal("a", lang="en"),
]


def _outcome(compare: object, a: Literal, b: Literal) -> object:
    assert callable(compare)
    try:
        return compare(a, b)
    except (TypeError, NotImplementedError) as exc:
        return type(exc)


def test_literal_comparison_is_pyshacls() -> None:
    from pyshacl.rdfutil.compare import compare_literal

    from kg.validation.core import _compare

    ours = {(a, b): _outcome(_compare, a, b) for a in _COMPARED for b in _COMPARED}
    theirs = {(a, b): _outcome(compare_literal, a, b) for a in _COMPARED for b in _COMPARED}
    assert ours == theirs
    assert set(ours.values()) > {-1, 0, 1}  # the table reaches every outcome, errors included


def test_wrapped_dates_compare_as_pyshacl_compares_them(tmp_path: Path) -> None:
    """A bare decimal sends the file the Python road, so its dates are stored wrapped; the
    sh:lessThanOrEquals pre-filter reads those as dates and must still find every violation."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/> .\n"
        "ex:Span a sh:NodeShape ; sh:targetClass ex:Span ;\n"
        "    sh:property [ sh:path ex:earliest ; sh:lessThanOrEquals ex:latest ; sh:minCount 1 ] ;"
        "\n    sh:property [ sh:path ex:first ; sh:lessThan ex:latest ] .\n",
        encoding="utf-8",
    )
    pairs = [
        ('"2020-01-01"', '"2020-01-02"'), ('"2020-01-02"', '"2020-01-01"'),
        ('"2020-01-01"', '"2020-01-01"'), ('"2020-03-01"', '"2020-02-29"'),
        ('"0999-01-01"', '"1000-01-01"'), ('"1999-12-31"', '"2000-01-01"'),
    ]  # fmt: skip
    lines = [
        "@prefix ex: <http://example.org/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "ex:precise ex:precision 100.0 .",
    ]
    for i, (early, late) in enumerate(pairs):
        lines.append(
            f"ex:s{i} a ex:Span ; ex:earliest {early}^^xsd:date ; ex:first {early}^^xsd:date ; "
            f"ex:latest {late}^^xsd:date ."
        )
    data = tmp_path / "data.ttl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = _store([data])
    assert any(q.object.datatype.value.startswith("urn:kg:") for q in store if
               isinstance(q.object, ox.Literal))  # fmt: skip
    assert _same_as_pyshacl([data], [shapes], []) == 5  # 2 + 3 (lessThan on equal dates)
