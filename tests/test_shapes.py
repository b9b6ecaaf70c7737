"""The SHACL shapes in ontology/shapes/ do what docs/spec.md says, checked shape by shape.

Every node shape with a target has a conforming fixture (no results) and a non-conforming one whose
results are exactly the expected set of (focus node, result path, constraint component). Around
that: the shapes graph is valid SHACL, every class of the spec has a shape, every constraint tells
the maintainer what to write instead, the minted-IRI patterns follow kg/namespaces.py, the truthy
rule covers every hk:StatementProperty of the ontology, and the ontology and vocabularies conform.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH, SKOS
from rdflib.term import Node
from shapes.harness import (
    FIXTURES,
    ROOT,
    W3C,
    WORLD,
    Fixture,
    Run,
    as_expectations,
    fixture_graph,
    fixtures,
    ontology_graph,
    prefixed,
    results,
    run_fixtures,
    run_pyshacl,
    shapes_graph,
)

from kg.namespaces import HK, MINTED_IRI_PATTERN, MINTED_KINDS, PREFIXES

HKNS = Namespace(HK)
GEO = Namespace(PREFIXES["geo"])
ALL = fixtures()
VALID = [f for f in ALL if f.valid]
INVALID = [f for f in ALL if not f.valid]

# Parameters that make a shape a constraint (sh:property only groups property shapes).
CONSTRAINT_PARAMETERS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minExclusive,
    SH.minInclusive, SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern,
    SH.languageIn, SH.uniqueLang, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
    SH["not"], SH["and"], SH["or"], SH.xone, SH.node, SH.qualifiedValueShape, SH.closed,
    SH.hasValue, SH["in"], SH.sparql,
}  # fmt: skip


def _id(fixture: Fixture) -> str:
    return fixture.path.name


@pytest.fixture(scope="module")
def valid_run() -> Run:
    return run_fixtures([f.path for f in VALID])


@pytest.fixture(scope="module")
def invalid_run() -> Run:
    return run_fixtures([f.path for f in INVALID])


def _targeted_node_shapes(shapes: Graph) -> set[Node]:
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
    return {s for t in targets for s in shapes.subjects(t, None)}


def _instances(cls: Node, data: Graph, ontology: Graph) -> set[Node]:
    """SHACL instances of ``cls`` in ``data``, following rdfs:subClassOf in both graphs."""
    schema = ontology + data
    classes = set(schema.transitive_subjects(RDFS.subClassOf, cls))
    return {s for c in classes for s in data.subjects(RDF.type, c)}


def _focus_nodes(shape: Node, data: Graph) -> set[Node]:
    shapes = shapes_graph()
    found: set[Node] = set()
    for cls in shapes.objects(shape, SH.targetClass):
        found |= _instances(cls, data, ontology_graph())
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        found |= set(data.subjects(prop, None))
    return found


def _shape_iri(fixture: Fixture) -> URIRef:
    return URIRef(HK + fixture.shape.removeprefix("hk:"))


# --- the fixtures themselves ------------------------------------------------------------------


def test_every_targeted_node_shape_has_both_fixtures() -> None:
    shapes = {prefixed(s) for s in _targeted_node_shapes(shapes_graph())}
    valid = {f.shape for f in VALID}
    invalid = {f.shape for f in INVALID}
    assert shapes == valid, f"valid fixtures missing: {shapes - valid}; stray: {valid - shapes}"
    assert shapes == invalid, f"invalid missing: {shapes - invalid}; stray: {invalid - shapes}"
    missing = [f.path.name for f in INVALID if not f.expected_path.exists()]
    assert not missing, f"invalid fixtures without an .expected.json: {missing}"


@pytest.mark.parametrize("kind", ["valid", "invalid"])
def test_fixtures_of_one_run_describe_disjoint_subjects(kind: str) -> None:
    """Combined runs are only sound if no fixture adds to another's (or the world's) nodes."""
    group = [WORLD, *(f.path for f in ALL if f.valid == (kind == "valid"))]
    home: dict[Node, Path] = {}
    clashes = []
    for path in group:
        for subject in {s for s in fixture_graph(path).subjects() if isinstance(s, URIRef)}:
            if subject in home:
                clashes.append(f"{prefixed(subject)} in {home[subject].name} and {path.name}")
            home.setdefault(subject, path)
    assert not clashes, clashes
    # A link may dangle (to provoke sh:class results) but must not reach into another fixture.
    leaks = []
    for path in group[1:]:
        for obj in set(fixture_graph(path).objects()):
            if obj in home and home[obj] not in (path, WORLD):
                leaks.append(f"{path.name} links to {prefixed(obj)} of {home[obj].name}")
    assert not leaks, leaks


@pytest.mark.parametrize("fixture", VALID, ids=_id)
def test_valid_fixture_conforms(fixture: Fixture, valid_run: Run) -> None:
    if _shape_iri(fixture) != HKNS.TruthyRuleShape:  # its targets are exactly the violations
        assert _focus_nodes(_shape_iri(fixture), fixture_graph(fixture.path)), (
            f"{fixture.path.name} has no focus node of {fixture.shape}: it tests nothing"
        )
    got = sorted(map(str, as_expectations(valid_run.by_fixture[fixture.path], valid_run.data)))
    assert not got, f"{fixture.path.name} should conform but gives: {got}"


@pytest.mark.parametrize("fixture", INVALID, ids=_id)
def test_invalid_fixture_gives_exactly_the_expected_results(
    fixture: Fixture, invalid_run: Run
) -> None:
    found = invalid_run.by_fixture[fixture.path]
    got = as_expectations(found, invalid_run.data)
    expected = fixture.expected()
    assert got == expected, (
        f"{fixture.path.name}: unexpected {sorted(map(str, got - expected))}, "
        f"missing {sorted(map(str, expected - got))}"
    )
    shape = _shape_iri(fixture)
    own = {shape, *shapes_graph().objects(shape, SH.property)}
    assert any(r.source_shape in own for r in found), f"no result comes from {fixture.shape}"


def test_the_world_ontology_and_vocabularies_conform(valid_run: Run, invalid_run: Run) -> None:
    """Nothing outside the fixtures is reported: world.ttl, heritage.ttl and ontology/vocab/."""
    for run in (valid_run, invalid_run):
        stray = sorted(map(str, as_expectations(run.unowned, run.data)))
        assert not stray, f"results outside the fixtures: {stray}"
    alone = sorted(map(str, as_expectations(results(run_pyshacl(Graph())), ontology_graph())))
    assert not alone, f"the ontology or the vocabularies do not conform: {alone}"


@pytest.mark.parametrize("name", ["StatementShape", "TimeSpanShape", "GeometryShape"])
def test_a_fixture_validated_alone_gives_the_same_results(name: str, invalid_run: Run) -> None:
    """The combined run changes nothing: spot-check fixtures with blank nodes and SPARQL."""
    path = FIXTURES / f"{name}.invalid.ttl"
    alone = run_fixtures([path])
    assert as_expectations(alone.by_fixture[path], alone.data) == as_expectations(
        invalid_run.by_fixture[path], invalid_run.data
    )


def test_a_defect_in_a_valid_fixture_is_reported() -> None:
    """The harness can fail: dropping the site type from a valid site fixture is caught."""
    broken = Graph() + fixture_graph(FIXTURES / "HeritageSiteShape.valid.ttl")
    site = URIRef(PREFIXES["site"] + "fixture-fortress")
    broken.remove((site, HKNS.siteType, None))
    data = broken + fixture_graph(WORLD)
    got = as_expectations(results(run_pyshacl(data)), data)
    assert got == {("site:fixture-fortress", "hk:siteType", "sh:MinCountConstraintComponent")}


# --- the shapes graph -------------------------------------------------------------------------


def test_shapes_are_valid_shacl() -> None:
    from pyshacl import validate

    shacl_shacl = Graph().parse(W3C / "shacl-shacl.ttl")
    conforms, _, text = validate(shapes_graph(), shacl_graph=shacl_shacl, inference="none")
    assert conforms, text


def _spec_classes() -> list[str]:
    spec = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    section = spec.split("## Classes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.M)


def test_every_class_of_the_spec_has_a_node_shape() -> None:
    classes = _spec_classes()
    assert len(classes) >= 15, "could not read the class table of docs/spec.md"
    targeted = set(shapes_graph().objects(None, SH.targetClass))
    wanted: set[Node] = {URIRef(HK + c) for c in classes}
    wanted |= {GEO.Geometry, SKOS.Concept, SKOS.ConceptScheme}
    assert not wanted - targeted, f"classes without a shape: {sorted(map(str, wanted - targeted))}"


def _constraint_shapes(shapes: Graph) -> Iterator[Node]:
    """Shapes that carry constraints themselves, not those nested in sh:or/sh:not/qualified."""
    nested: set[Node] = set()
    for p in (SH["or"], SH["and"], SH.xone):
        for lst in shapes.objects(None, p):
            nested |= set(shapes.items(lst))
    for p in (SH["not"], SH.qualifiedValueShape, SH.sparql):
        nested |= set(shapes.objects(None, p))
    frontier = set(nested)
    while frontier:  # property shapes of nested shapes are nested too
        frontier = {ps for s in frontier for ps in shapes.objects(s, SH.property)} - nested
        nested |= frontier
    for s in set(shapes.subjects()) - nested:
        if any((s, p, None) in shapes for p in CONSTRAINT_PARAMETERS - {SH.sparql}):
            yield s
    yield from shapes.objects(None, SH.sparql)


def test_every_constraint_has_an_english_message() -> None:
    shapes = shapes_graph()
    silent = []
    for shape in _constraint_shapes(shapes):
        messages = [m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)]
        if not any(m.language == "en" and len(m) > 20 for m in messages):
            silent.append(prefixed(shape) if isinstance(shape, URIRef) else f"[{shape.n3()}]")
    assert not silent, f"constraints without an sh:message @en: {silent}"


def test_named_shapes_are_documented_and_severities_are_violations() -> None:
    shapes = shapes_graph()
    named = {
        s
        for t in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, t)
        if isinstance(s, URIRef)
    }
    assert named
    for shape in named:
        assert str(shape).startswith(HK) and str(shape).endswith("Shape"), shape
        for p in (RDFS.label, RDFS.comment):
            assert any(getattr(o, "language", None) == "en" for o in shapes.objects(shape, p)), (
                f"{prefixed(shape)} needs an English {prefixed(p)}"
            )
    severities = set(shapes.objects(None, SH.severity))
    assert severities <= {SH.Violation}, f"only sh:Violation is used: {severities}"


def _pattern(shape: Node) -> str:
    value = shapes_graph().value(shape, SH.pattern)
    assert value is not None, f"{prefixed(shape)} has no sh:pattern"
    return str(value)


@pytest.mark.parametrize(
    ("shape", "kinds"),
    [
        ("HeritageSiteShape", "site"),
        ("MovableObjectShape", "object"),
        ("WorkShape", "work"),
        ("PlaceShape", "place"),
        ("NameShape", "name"),
        ("AgentShape", "(person|org)"),
        ("PersonShape", "person"),
        ("OrganizationShape", "org"),
        ("SourceShape", "source"),
        ("DigitalObjectShape", "media"),
        ("EventShape", "event"),
        ("StatementShape", "statement"),
    ],
)
def test_minted_iri_patterns_follow_kg_namespaces(shape: str, kinds: str) -> None:
    assert _pattern(HKNS.MintedIRIShape) == MINTED_IRI_PATTERN
    general = "(" + "|".join(MINTED_KINDS) + ")"
    assert _pattern(HKNS[shape]) == MINTED_IRI_PATTERN.replace(general, kinds, 1)


def test_truthy_rule_covers_exactly_the_statement_properties() -> None:
    shapes = shapes_graph()
    declared = set(ontology_graph().subjects(RDF.type, HKNS.StatementProperty))
    assert len(declared) >= 9
    targets = set(shapes.objects(HKNS.TruthyRuleShape, SH.targetSubjectsOf))
    forbidden = {
        shapes.value(ps, SH.path)
        for ps in shapes.objects(HKNS.TruthyRuleShape, SH.property)
        if shapes.value(ps, SH.maxCount) == Literal(0)
    }
    assert targets == declared, f"targets differ from the ontology: {targets ^ declared}"
    assert forbidden == declared, f"maxCount-0 paths differ: {forbidden ^ declared}"
    assert all((p, RDF.type, OWL.ObjectProperty) in ontology_graph() for p in declared)


def _property_pattern(node_shape: Node, path: Node) -> re.Pattern[str]:
    shapes = shapes_graph()
    for ps in shapes.objects(node_shape, SH.property):
        if shapes.value(ps, SH.path) == path:
            return re.compile(_pattern(ps))
    raise AssertionError(f"{prefixed(node_shape)} has no property shape on {prefixed(path)}")


EDTF_OK = [
    "1768", "1768~", "1768?", "1768%", "188X", "18XX", "1920-05", "1920-05-12", "1985-04-XX",
    "1985-XX-XX", "2004-XX", "2001-21", "-0500", "Y170000002", "Y-170000002", "1883/1885",
    "1991/..", "../1883", "1883/", "/1883", "2004-06~/2004-06-11?", "1985-04-12T23:20:30Z",
]  # fmt: skip
EDTF_BAD = [
    "", "176", "17680", "1768-13", "1768-02-32", "1768-1-1", "c. 1768", "1768 ", "1768??",
    "1985-XX-12", "1XX8", "Y1234", "2001-25", "1768/1770/1772", "../..", "/", "1768-1770",
]  # fmt: skip


@pytest.mark.parametrize("value", EDTF_OK)
def test_edtf_pattern_accepts_level_0_and_1(value: str) -> None:
    assert _property_pattern(HKNS.TimeSpanShape, HKNS.edtf).search(value)


@pytest.mark.parametrize("value", EDTF_BAD)
def test_edtf_pattern_rejects_other_text(value: str) -> None:
    assert not _property_pattern(HKNS.TimeSpanShape, HKNS.edtf).search(value)


WKT_OK = ["POINT(46.7527 39.7596)", "POINT(-180 -90)", "POINT(180.0 90.000)", "POINT (0 0)"]
WKT_BAD = ["POINT(39.7596 246.7527)", "POINT(181 0)", "POINT(0 90.1)", "POINT(46.7 , 39.7)",
           "LINESTRING(0 0, 1 1)", "POINT(46.7527)", "point(46 39)"]  # fmt: skip


@pytest.mark.parametrize("value", WKT_OK)
def test_wkt_pattern_accepts_points_in_range(value: str) -> None:
    assert _property_pattern(HKNS.GeometryShape, GEO.asWKT).search(value)


@pytest.mark.parametrize("value", WKT_BAD)
def test_wkt_pattern_rejects_points_out_of_range(value: str) -> None:
    assert not _property_pattern(HKNS.GeometryShape, GEO.asWKT).search(value)


def test_blank_node_description_names_the_holding_triple() -> None:
    data = fixture_graph(FIXTURES / "TimeSpanShape.valid.ttl")
    spans = list(data.subjects(RDF.type, HKNS.TimeSpan))
    from shapes.harness import describe

    names = {describe(s, data) for s in spans}
    assert all(isinstance(s, BNode) for s in spans)
    assert names == {
        "[stmt:fixture-mosque-construction-timespan-1 rdf:object]",
        "[stmt:fixture-mosque-construction-timespan-2 rdf:object]",
    }
