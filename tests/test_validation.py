"""The validation engine: same answers as plain pyshacl, located in the source, in four formats."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Graph

from kg.dataset import discover_files
from kg.errors import SourceFileError
from kg.validation import ValidationReport, render, validate_paths
from kg.validation.engine import default_ontology_paths, default_shape_paths
from kg.validation.evaluate import evaluate
from kg.validation.reference import reference_validate
from kg.validation.results import RawResult, canonical
from kg.validation.sources import load_file
from kg.validation.sparql import split_sparql_constraints
from kg.validation.terms import to_rdflib
from kg.validation.union import UnionStore

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "validation"
SHAPES = FIX / "shapes"
ONTOLOGY = [FIX / "ontology" / "onto.ttl"]

Key = tuple[str, ...]


def _keys(results: Iterable[RawResult], graphs: Sequence[Graph]) -> Counter[Key]:
    """Results as a multiset of parse-independent (focus, path, value, shape, component, sev)."""
    return Counter(
        tuple(
            canonical(term, *graphs)
            for term in (r.focus, r.path, r.value, r.source_shape, r.component, r.severity)
        )
        for r in results
    )


def _fast_raw(
    data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path]
) -> tuple[bool, Counter[Key]]:
    """The engine's raw results, before locating, with the graphs it built (to describe bnodes)."""
    store = ox.Store()
    UnionStore(store).add(list(dict.fromkeys([*data, *ontology])))
    shapes_graph = Graph()
    for path in shapes:
        for triple in load_file(path, cache_dir=None).triples:
            shapes_graph.add(triple)
    raw = evaluate(store, shapes_graph)
    return not raw, _keys(raw, [store_graph(store), shapes_graph])


def store_graph(store: ox.Store) -> Graph:
    """The store's union as an rdflib graph, literals as the files wrote them."""
    graph = Graph()
    for quad in store:
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def _assert_same_as_pyshacl(
    data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path]
) -> int:
    reference = reference_validate(data, shapes, ontology)
    expected = _keys(reference.results, [reference.data, reference.shapes])
    conforms, got = _fast_raw(data, shapes, ontology)
    assert conforms == reference.conforms
    assert got == expected, (
        f"only in kg: {sorted((got - expected).elements())}\n"
        f"only in pyshacl: {sorted((expected - got).elements())}"
    )
    return sum(expected.values())


def _fixture_report(folder: str) -> ValidationReport:
    return validate_paths(
        [FIX / folder], root=FIX, shapes_dir=SHAPES, ontology_paths=ONTOLOGY, use_cache=False
    )


# -- same answers as plain pyshacl -------------------------------------------------------------


@pytest.mark.parametrize("folder", ["good", "bad"])
def test_results_equal_plain_pyshacl_on_fixtures(folder: str) -> None:
    data = sorted((FIX / folder).glob("*.ttl"))
    count = _assert_same_as_pyshacl(data, sorted(SHAPES.glob("*.ttl")), ONTOLOGY)
    assert (count == 0) == (folder == "good")


def test_fixture_exercises_both_engines() -> None:
    """The bad fixture must produce SHACL-SPARQL results and SHACL Core ones."""
    components = {r.constraint_component for r in _fixture_report("bad").results}
    assert "sh:SPARQLConstraintComponent" in components
    assert {"sh:OrConstraintComponent", "sh:ClassConstraintComponent"} <= components


def test_sparql_constraints_are_moved_out_of_the_core_shapes() -> None:
    shapes = Graph().parse(SHAPES / "shapes.ttl")
    core, moved = split_sparql_constraints(shapes)
    assert len(moved.constraints) == 2
    assert not list(core.subject_objects(rdflib.SH.sparql))


def test_shapes_referenced_elsewhere_keep_their_sparql_constraint() -> None:
    """A shape reached through sh:node is evaluated inside another constraint: not movable (and
    the Core evaluator then refuses it loudly, see test_validation_engine.py)."""
    shapes = Graph().parse(SHAPES / "shapes.ttl")
    link = rdflib.URIRef("https://w3id.org/heritage-kg/ontology#StatementLinkShape")
    shapes.add((rdflib.URIRef("urn:x:outer"), rdflib.SH.node, link))
    _, moved = split_sparql_constraints(shapes)
    assert [str(c.shape) for c in moved.constraints] == [
        "https://w3id.org/heritage-kg/ontology#StatementRangeShape"
    ]


_CURATED = sorted((ROOT / "data" / "ttl").rglob("*.ttl"))


@pytest.mark.skipif(not _CURATED, reason="no curated data yet")
def test_results_equal_plain_pyshacl_on_curated_data() -> None:
    data = [f.path for f in discover_files([ROOT / "data" / "ttl"], root=ROOT)]
    _assert_same_as_pyshacl(data, default_shape_paths(ROOT), default_ontology_paths(ROOT))


def test_conforming_fixture_conforms() -> None:
    report = _fixture_report("good")
    assert report.conforms
    assert report.results == ()


def test_literal_normalisation_flag_is_restored() -> None:
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        _fixture_report("bad")
        assert rdflib.NORMALIZE_LITERALS is False
    finally:
        rdflib.NORMALIZE_LITERALS = saved


# -- locations ---------------------------------------------------------------------------------

# (file, line, column, focus node, constraint component), checked by hand against the fixtures.
EXPECTED_LOCATIONS = {
    ("bad/site.ttl", 9, 1, "site:Bad_Slug", "sh:PatternConstraintComponent"),
    ("bad/site.ttl", 15, 1, "site:no-label", "sh:MinCountConstraintComponent"),
    ("bad/site.ttl", 19, 9, "[]", "sh:PatternConstraintComponent"),  # second geometry's [
    ("bad/site.ttl", 22, 1, "site:two-labels", "sh:UniqueLangConstraintComponent"),
    ("bad/site.ttl", 22, 1, "site:two-labels", "sh:MaxCountConstraintComponent"),
    ("bad/statements.ttl", 13, 1, "stmt:ev-timespan-1", "sh:SPARQLConstraintComponent"),
    ("bad/statements.ttl", 15, 16, "[]", "sh:LessThanOrEqualsConstraintComponent"),
    ("bad/statements.ttl", 18, 9, "[]", "sh:MinCountConstraintComponent"),  # 2nd citation
    ("bad/statements.ttl", 22, 1, "stmt:ev-architect-1", "sh:OrConstraintComponent"),
    ("bad/statements.ttl", 22, 1, "stmt:ev-architect-1", "sh:SPARQLConstraintComponent"),
    ("bad/statements.ttl", 25, 25, "[]", "sh:NodeKindConstraintComponent"),
    ("bad/statements.ttl", 27, 1, "[]", "sh:ClassConstraintComponent"),  # top-level [ … ] .
    ("bad/statements.ttl", 30, 1, "[]", "sh:MaxCountConstraintComponent"),  # _:orphan
    ("bad/statements.ttl", 31, 1, "stmt:uses-orphan", "sh:SPARQLConstraintComponent"),
    ("bad/statements.ttl", 35, 16, "[]", "sh:MinCountConstraintComponent"),  # nested time span
    ("bad/statements.ttl", 36, 25, "[]", "sh:ClassConstraintComponent"),  # ( … ) list head
}


def test_results_land_on_the_expected_lines() -> None:
    report = _fixture_report("bad")
    found = {
        (
            r.file.relative_to(FIX).as_posix() if r.file else "",
            r.line,
            r.column,
            r.focus_node,
            r.constraint_component,
        )
        for r in report.results
    }
    assert found >= EXPECTED_LOCATIONS


def test_every_result_points_at_its_focus_node() -> None:
    """At each reported position the source text starts with the focus node (or its `[`/`(`)."""
    report = _fixture_report("bad")
    assert report.results
    for r in report.results:
        assert r.file is not None, r
        line = r.file.read_text(encoding="utf-8").splitlines()[r.line - 1]
        at = line[r.column - 1 :]
        if r.focus_node == "[]":
            assert at[:1] in "[(" or at.startswith("_:"), (r, at)
        else:
            assert at.startswith(r.focus_node) or at.startswith("<"), (r, at)


# -- output formats ----------------------------------------------------------------------------


def test_json_format_is_stable_and_complete() -> None:
    report = _fixture_report("bad")
    data = json.loads(render(report, "json"))
    assert data["schemaVersion"] == 1
    assert data["conforms"] is False
    assert data["resultCount"] == len(report.results) == len(data["results"])
    first = data["results"][0]
    assert set(first) == {
        "file",
        "line",
        "column",
        "severity",
        "focusNode",
        "path",
        "value",
        "sourceShape",
        "constraintComponent",
        "message",
    }
    assert first["file"].startswith("bad/")


def test_sarif_format_structure() -> None:
    report = _fixture_report("bad")
    sarif = json.loads(render(report, "sarif"))
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kg validate"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert len(run["results"]) == len(report.results)
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == "error"
        location = result["locations"][0]["physicalLocation"]
        assert not Path(location["artifactLocation"]["uri"]).is_absolute()
        assert location["region"]["startLine"] >= 1
        assert location["region"]["startColumn"] >= 1


def test_junit_format_parses() -> None:
    report = _fixture_report("bad")
    suite = ET.fromstring(render(report, "junit"))
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert {c.get("name") for c in cases} >= {"bad/site.ttl", "bad/statements.ttl"}
    assert len(suite.findall("testcase/failure")) == len(report.results)
    assert suite.get("failures") == str(len(report.results))


def test_text_format_groups_by_file_with_positions() -> None:
    text = render(_fixture_report("bad"), "text")
    assert "bad/site.ttl:9:1: Violation" in text
    assert text.index("bad/site.ttl\n") < text.index("bad/statements.ttl\n")
    assert "\x1b[" not in text  # no colour codes
    assert render(_fixture_report("good"), "text").startswith("Conforms:")


# -- parsing, errors, cache --------------------------------------------------------------------


def test_parse_error_carries_a_position(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://ex/> .\nex:a ex:b ex:c ;\n  ex:d .\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as caught:
        validate_paths(
            [broken], root=tmp_path, shapes_dir=SHAPES, ontology_paths=ONTOLOGY, use_cache=False
        )
    assert caught.value.path == broken
    assert caught.value.line is not None


def test_cache_reparses_only_changed_files(tmp_path: Path) -> None:
    shutil.copytree(FIX, tmp_path / "fx", ignore=shutil.ignore_patterns("var"))
    root = tmp_path / "fx"

    def run() -> ValidationReport:
        return validate_paths(
            [root / "bad"],
            root=root,
            shapes_dir=root / "shapes",
            ontology_paths=[root / "ontology" / "onto.ttl"],
        )

    first = run()
    cache = root / "var" / "cache" / "validation"
    entries = set(cache.iterdir())
    # Parsed for the locator: the two data files with results and the shapes; and the store.
    assert len(entries) == 4
    site = root / "bad" / "site.ttl"
    site.write_text(
        site.read_text(encoding="utf-8").replace("site:Bad_Slug", "site:good-slug"),
        encoding="utf-8",
    )
    second = run()
    assert len(set(cache.iterdir()) - entries) == 1  # only the edited file was parsed again
    pattern = "sh:PatternConstraintComponent"
    before = [r for r in first.results if r.constraint_component == pattern]
    after = [r for r in second.results if r.constraint_component == pattern]
    assert len(after) == len(before) - 1


def test_wrong_scheme_concept_is_one_result_in_the_data_file(tmp_path: Path) -> None:
    """An sh:node failure is reported once, where the concept is used — not again (from its
    nested sh:detail) in the vocabulary file that defines the concept. The file is validated in
    the context of the curated data, so its link to place:shusha is not reported as dangling."""
    sites = tmp_path / "sites"
    sites.mkdir()
    bad = sites / "wrong-type.ttl"
    bad.write_text(
        "@prefix hk: <https://w3id.org/heritage-kg/ontology#> .\n"
        "@prefix site: <https://w3id.org/heritage-kg/id/site/> .\n"
        "@prefix place: <https://w3id.org/heritage-kg/id/place/> .\n"
        "@prefix condition: <https://w3id.org/heritage-kg/vocab/condition/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "site:wrong-type a hk:HeritageSite ;\n"
        '    rdfs:label "Wrong type"@en ;\n'
        "    hk:locatedIn place:shusha ;\n"
        "    hk:siteType condition:ruined .\n",
        encoding="utf-8",
    )
    report = validate_paths([bad], root=ROOT, use_cache=False)
    assert not report.conforms
    located = [(r.file, r.line, r.path) for r in report.results]
    assert located == [(bad, 6, "hk:siteType")], located


def test_a_file_alone_reports_its_dangling_links(tmp_path: Path) -> None:
    site = tmp_path / "lonely.ttl"
    site.write_text(
        "@prefix hk: <https://w3id.org/heritage-kg/ontology#> .\n"
        "@prefix site: <https://w3id.org/heritage-kg/id/site/> .\n"
        "@prefix place: <https://w3id.org/heritage-kg/id/place/> .\n"
        "@prefix sitetype: <https://w3id.org/heritage-kg/vocab/site-type/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "site:lonely a hk:HeritageSite ;\n"
        '    rdfs:label "Lonely"@en ;\n'
        "    hk:locatedIn place:shusha ;\n"
        "    hk:siteType sitetype:mosque .\n",
        encoding="utf-8",
    )
    with_context = validate_paths([site], root=ROOT, use_cache=False)
    alone = validate_paths([site], root=ROOT, use_cache=False, with_context=False)
    assert with_context.conforms and not with_context.results
    assert not alone.conforms
    assert [(r.line, r.path) for r in alone.results] == [(6, "hk:locatedIn")]
