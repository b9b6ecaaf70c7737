"""Validate shape fixtures with the project's shapes and describe the results comparably.

Why a harness: every node shape has a conforming and a non-conforming fixture, and each expected
result is written as (focus node, result path, constraint component) in the prefixed form a
maintainer reads. Blank-node focus nodes (citations, time spans, geometries) have no name, so they
are described by the triple that holds them: ``[stmt:x rdf:object]`` is the blank node that is the
rdf:object of stmt:x.

Why the ontology and vocabularies are added to the data graph: pyshacl 0.40.1's ``ont_graph=``
copies only RDFS/OWL axioms into the data graph (rdfs:subClassOf, rdfs:range, owl:Class typing …),
not a concept's skos:Concept typing and skos:inScheme nor a property's hk:StatementProperty typing,
which the shapes consult. The intended semantics ("the ontology is mixed into the data graph") is a
plain union, so the harness builds that union and still passes ``ont_graph=`` as the CLI does.

Why one validation run per fixture kind: validating the ontology and the ~250 concepts of the
vocabularies costs ~0.6 s per pyshacl run, so the fixtures of one kind (all valid ones, all invalid
ones) are validated together and the results are split by the fixture that holds the focus node.
That is sound because fixtures describe disjoint subjects and link only to their own nodes or to
the shared world (tests check both), so no result of one fixture can depend on another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import rdflib
from pyshacl import validate
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kg.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[2]
SHAPES_DIR = ROOT / "ontology" / "shapes"
ONTOLOGY_FILES = (
    ROOT / "ontology" / "heritage.ttl",
    *sorted((ROOT / "ontology" / "vocab").glob("*.ttl")),
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORLD = FIXTURES / "world.ttl"
W3C = ROOT / ".." / "shared" / "vocabularies" / "w3c-ns"

# A result as the fixtures write it: focus node, result path (None on node-level constraints),
# source constraint component — all in prefixed form.
Expectation = tuple[str, str | None, str]


@dataclass(frozen=True)
class Fixture:
    """One fixture file: which node shape it exercises and whether it should conform."""

    shape: str  # prefixed shape IRI, e.g. "hk:HeritageSiteShape"
    valid: bool
    path: Path

    @property
    def expected_path(self) -> Path:
        return self.path.with_name(self.path.name.replace(".invalid.ttl", ".expected.json"))

    def expected(self) -> set[Expectation]:
        """The exact result set an invalid fixture must produce (empty for a valid one)."""
        if self.valid:
            return set()
        rows = json.loads(self.expected_path.read_text(encoding="utf-8"))["violations"]
        return {(focus, path, component) for focus, path, component in rows}


def fixtures() -> list[Fixture]:
    """Every fixture on disk, named ``<ShapeLocalName>.valid.ttl`` / ``.invalid.ttl``."""
    found = []
    for path in sorted(FIXTURES.glob("*.ttl")):
        if path == WORLD:
            continue
        local, kind, _ = path.name.split(".")
        found.append(Fixture(shape=f"hk:{local}", valid=kind == "valid", path=path))
    return found


def _parse(paths: Iterable[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@cache
def shapes_graph() -> Graph:
    """All shapes files, as the CLI reads them."""
    return _parse(sorted(SHAPES_DIR.glob("*.ttl")))


@cache
def ontology_graph() -> Graph:
    """The ontology and every vocabulary file, as the CLI reads them."""
    return _parse(ONTOLOGY_FILES)


@cache
def fixture_graph(path: Path) -> Graph:
    """One fixture, parsed on its own (its blank nodes stay distinct from every other file's)."""
    return _parse([path])


def run_pyshacl(data: Graph) -> Graph:
    """Validate ``data`` plus the ontology with all shapes, as `kg validate` does."""
    mixed = Graph()
    mixed += data
    mixed += ontology_graph()
    _conforms, report, _text = validate(
        mixed,
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=False,
    )
    assert isinstance(report, Graph)
    return report


def prefixed(term: Node) -> str:
    """The prefixed form of an IRI (longest matching namespace of kg.namespaces.PREFIXES)."""
    text = str(term)
    best = max(
        ((p, ns) for p, ns in PREFIXES.items() if text.startswith(ns)),
        key=lambda item: len(item[1]),
        default=None,
    )
    return f"{best[0]}:{text[len(best[1]) :]}" if best else f"<{text}>"


def describe(node: Node, data: Graph) -> str:
    """A stable, readable name for a focus node; blank nodes by the one triple that holds them."""
    if isinstance(node, URIRef):
        return prefixed(node)
    if isinstance(node, Literal):
        return repr(node)
    holders = list(data.subject_predicates(node))
    if not holders:  # a top-level `[] a hk:X` node: name it by its types
        types = sorted(prefixed(t) for t in data.objects(node, RDF.type))
        return "[a " + ", ".join(types) + "]"
    if len(holders) > 1:
        return f"[blank node held by {len(holders)} triples]"
    subject, predicate = holders[0]
    return f"[{describe(subject, data)} {prefixed(predicate)}]"


def _path(report: Graph, result: Node) -> str | None:
    path = report.value(result, SH.resultPath)
    if path is None:
        return None
    if isinstance(path, URIRef):
        return prefixed(path)
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        members = rdflib.collection.Collection(report, alternatives)
        return "(" + " | ".join(prefixed(m) for m in members) + ")"
    return f"<complex path {path}>"


@dataclass(frozen=True)
class Result:
    """One validation result, with the raw nodes kept for grouping and checks."""

    focus: Node
    path: str | None
    component: str
    source_shape: Node
    severity: Node
    message: str | None


def _required(report: Graph, result: Node, predicate: URIRef) -> Node:
    value = report.value(result, predicate)
    assert value is not None, f"a validation result without {prefixed(predicate)}"
    return value


def results(report: Graph) -> list[Result]:
    """The top-level results of a pyshacl report graph."""
    found = []
    for result in report.objects(None, SH.result):
        message = report.value(result, SH.resultMessage)
        found.append(
            Result(
                focus=_required(report, result, SH.focusNode),
                path=_path(report, result),
                component=prefixed(_required(report, result, SH.sourceConstraintComponent)),
                source_shape=_required(report, result, SH.sourceShape),
                severity=_required(report, result, SH.resultSeverity),
                message=None if message is None else str(message),
            )
        )
    return found


@dataclass(frozen=True)
class Run:
    """A combined validation of several fixtures, with results split by owning fixture."""

    data: Graph
    by_fixture: dict[Path, list[Result]]
    unowned: list[Result]


def run_fixtures(paths: Sequence[Path]) -> Run:
    """Validate the world plus ``paths`` in one pyshacl run; split results by owning fixture.

    A result belongs to the fixture in which its focus node is a subject (or, for a blank node,
    where it occurs at all); results on the world, the ontology or the vocab are ``unowned``.
    """
    data = Graph()
    owners: dict[Node, Path] = {}
    for path in [WORLD, *paths]:
        graph = fixture_graph(path)
        data += graph
        if path == WORLD:
            continue
        for node in {*graph.subjects(), *graph.objects()}:
            if isinstance(node, BNode) or (node, None, None) in graph:
                owners.setdefault(node, path)
    by_fixture: dict[Path, list[Result]] = {p: [] for p in paths}
    unowned: list[Result] = []
    for result in results(run_pyshacl(data)):
        owner = owners.get(result.focus)
        (by_fixture[owner] if owner else unowned).append(result)
    return Run(data=data, by_fixture=by_fixture, unowned=unowned)


def as_expectations(found: Iterable[Result], data: Graph) -> set[Expectation]:
    """Results in the fixtures' comparable form."""
    return {(describe(r.focus, data), r.path, r.component) for r in found}


def typed_subjects(graph: Graph) -> set[Node]:
    """Subjects with an rdf:type in ``graph``: the nodes a fixture describes."""
    return set(graph.subjects(RDF.type, None))
