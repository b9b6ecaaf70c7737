"""`kg release`: round trips, independent parsers, checksums, VoID/DCAT counts, changesets.

One store is built from the curated data and released twice (the second time after reloading the
same files, which gives every blank node a new id in the store) for the module; the changeset test
builds its own tiny store from files it edits.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from cli_runner import ROOT, run_kg_in
from rdflib.compare import isomorphic

from kg.blank_nodes import LABEL_SCHEME
from kg.errors import UserInputError
from kg.release import ReleaseOptions, ReleaseReport, kind_of_graph, make_release
from kg.release.canonical import canonical_quads
from kg.release.counts import compress_and_count
from kg.release.extsort import ExternalSorter
from kg.release.void import count_dataset
from kg.settings import Settings
from kg.store import apply_update, open_store

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _options(
    store_dir: Path, releases_dir: Path, version: str, *, validate: bool
) -> ReleaseOptions:
    settings = Settings()
    return ReleaseOptions(
        store_dir=store_dir,
        releases_dir=releases_dir,
        project_root=settings.root,
        base_url="https://example.org/kg/",
        license_iri=settings.release_license,
        publisher_iri=settings.release_publisher,
        publisher_name=settings.release_publisher_name,
        version=version,
        validate=validate,
        run_lines=2_000,  # many sorted runs on disk even for the curated data
    )


def _load(store_dir: Path, *paths: Path) -> None:
    done = run_kg_in(store_dir, "load", *paths)
    assert done.returncode == 0, done.stderr


class Released:
    """The module's store and its two releases."""

    def __init__(self, store_dir: Path, releases: Path, first: ReleaseReport,
                 second: ReleaseReport) -> None:
        self.store_dir, self.releases, self.first, self.second = store_dir, releases, first, second

    @property
    def dir(self) -> Path:
        return self.first.directory


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Released:
    base = tmp_path_factory.mktemp("release")
    store_dir, releases = base / "store", base / "releases"
    _load(store_dir)
    first = make_release(_options(store_dir, releases, "r1", validate=True))
    _load(store_dir)  # the same files again: every blank node gets a new id in the store
    second = make_release(_options(store_dir, releases, "r2", validate=False))
    return Released(store_dir, releases, first, second)


def _rdflib_term(term: object) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return rdflib.Literal(term.value, datatype=None if datatype == XSD_STRING else datatype)


def _graphs(quads: Iterable[ox.Quad]) -> dict[str, rdflib.Graph]:
    graphs: dict[str, rdflib.Graph] = {}
    for q in quads:
        assert isinstance(q.graph_name, ox.NamedNode)
        graph = graphs.setdefault(q.graph_name.value, rdflib.Graph())
        graph.add((_rdflib_term(q.subject), _rdflib_term(q.predicate), _rdflib_term(q.object)))
    return graphs


@pytest.fixture(scope="module")
def live_graphs(released: Released) -> dict[str, rdflib.Graph]:
    store = ox.Store.read_only(str((released.store_dir / "current").resolve()))
    return _graphs(store)


def _unzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _canonical(graph: rdflib.Graph) -> list[str]:
    """The graph with blank nodes canonicalised by Oxigraph (RDFC-style), as sorted lines."""
    dataset = ox.Dataset()
    for s, p, o in graph:
        dataset.add(ox.Quad(*(_ox_term(t) for t in (s, p, o))))  # type: ignore[arg-type]
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(str(q) for q in dataset)


def _ox_term(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, rdflib.Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD_STRING)))


def _isomorphic(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    """rdflib's `compare.isomorphic`, except where it is pathologically slow.

    The truthy graph has ~200 blank objects with nothing below them in that graph, all alike;
    rdflib's algorithm takes over a minute on it, so graphs with more blank nodes than that are
    compared after Oxigraph's canonicalisation instead (the same question, answered in Rust).
    """
    blanks = {t for triple in a for t in triple if isinstance(t, rdflib.BNode)}
    if len(blanks) > 100:
        return len(a) == len(b) and _canonical(a) == _canonical(b)
    return isomorphic(a, b)


def _assert_same_graphs(got: dict[str, rdflib.Graph], live: dict[str, rdflib.Graph]) -> None:
    assert sorted(got) == sorted(live)
    different = [g for g in live if not _isomorphic(live[g], got[g])]
    assert different == [], f"{len(different)} graphs differ, e.g. {different[:3]}"


def test_nquads_loaded_into_a_fresh_store_is_the_live_dataset(
    released: Released, live_graphs: dict[str, rdflib.Graph]
) -> None:
    fresh = ox.Store()
    fresh.load(_unzip(released.dir / "dataset.nq.gz"), ox.RdfFormat.N_QUADS)
    _assert_same_graphs(_graphs(fresh), live_graphs)


@pytest.mark.parametrize(("name", "fmt"), [("dataset.trig.gz", "trig"),
                                           ("dataset.jsonld.gz", "json-ld")])
def test_rdflib_reads_trig_and_jsonld_as_the_live_dataset(
    released: Released, live_graphs: dict[str, rdflib.Graph], name: str, fmt: str
) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(data=_unzip(released.dir / name).decode("utf-8"), format=fmt)
    got = {str(g.identifier): g for g in dataset.graphs() if len(g)}
    _assert_same_graphs(got, live_graphs)


def test_per_kind_turtle_holds_the_graphs_of_its_folder(
    released: Released, live_graphs: dict[str, rdflib.Graph]
) -> None:
    kinds: dict[str, rdflib.Graph] = {}
    for iri, graph in live_graphs.items():
        union = kinds.setdefault(kind_of_graph(iri), rdflib.Graph())
        for triple in graph:
            union.add(triple)
    assert {"sites", "places", "people", "sources", "ontology", "truthy"} <= set(kinds)
    for kind, expected in kinds.items():
        got = rdflib.Graph().parse(data=_unzip(released.dir / f"{kind}.ttl.gz"), format="turtle")
        assert _isomorphic(got, expected), kind


def test_jsonld_is_compacted_with_the_project_context(released: Released) -> None:
    document = json.loads(_unzip(released.dir / "dataset.jsonld.gz"))
    context = json.loads((ROOT / "ontology" / "context.jsonld").read_text("utf-8"))["@context"]
    assert document["@context"] == context
    nodes = [n for g in document["@graph"] for n in g["@graph"]]
    site = next(n for n in nodes if n["id"] == "site:shusha-fortress")
    assert site["type"] == "HeritageSite"
    assert isinstance(site["label"], dict) and "en" in site["label"]  # a @language container
    assert not any(key.startswith("http") for n in nodes for key in n)


def _rapper_count(data: bytes, syntax: str) -> int:
    rapper = shutil.which("rapper")
    if rapper is None:
        pytest.fail("rapper (raptor2-utils) is missing: `make install` installs it")
    done = subprocess.run([rapper, "-i", syntax, "-c", "-", "https://example.org/"],
                          input=data, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    match = re.search(rb"returned (\d+) (?:triples|statements)", done.stderr)
    assert match, done.stderr.decode()
    return int(match[1])


def test_rapper_reads_every_rdf_dump(released: Released,
                                     live_graphs: dict[str, rdflib.Graph]) -> None:
    total = sum(len(g) for g in live_graphs.values())
    assert _rapper_count(_unzip(released.dir / "dataset.nq.gz"), "nquads") == total
    assert _rapper_count(_unzip(released.dir / "dataset.trig.gz"), "trig") == total
    for kind_file in sorted(released.dir.glob("*.ttl.gz")):
        expected = len(rdflib.Graph().parse(data=_unzip(kind_file), format="turtle"))
        assert _rapper_count(_unzip(kind_file), "turtle") == expected, kind_file.name
    void = (released.dir / "void.ttl").read_bytes()
    assert _rapper_count(void, "turtle") == len(rdflib.Graph().parse(data=void, format="turtle"))


def test_checksums_verify(released: Released) -> None:
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=released.dir,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    sums = (released.dir / "SHA256SUMS").read_text().splitlines()
    listed = {line.split("  ")[1] for line in sums}
    assert listed == {p.name for p in released.dir.iterdir()} - {"SHA256SUMS"}


def test_void_and_dcat_match_the_dump(released: Released,
                                      live_graphs: dict[str, rdflib.Graph]) -> None:
    void = rdflib.Graph().parse(released.dir / "void.ttl", format="turtle")
    dataset = rdflib.URIRef("https://example.org/kg/dumps/r1/void.ttl#dataset")
    assert (dataset, rdflib.RDF.type, DCAT.Dataset) in void
    quads = [(s, p, o, g) for g, graph in live_graphs.items() for s, p, o in graph]

    def value(p: rdflib.URIRef, node: rdflib.term.Node = dataset) -> rdflib.term.Node:
        found = void.value(node, p)
        assert found is not None, p
        return found

    assert int(value(VOID.triples)) == len(quads)
    assert int(value(VOID.entities)) == len({s for s, *_ in quads if isinstance(s, rdflib.URIRef)})
    assert str(value(DCTERMS.license)) == Settings().release_license
    assert str(value(DCAT.version)) == "r1"
    assert value(DCTERMS.publisher) and value(DCTERMS.issued) and value(DCTERMS.modified)
    classes = {}
    for part in void.objects(dataset, VOID.classPartition):
        classes[value(VOID["class"], part)] = int(value(VOID.entities, part))
    expected_classes: dict[rdflib.term.Node, set[rdflib.term.Node]] = {}
    for s, p, o, _ in quads:
        if p == rdflib.RDF.type and isinstance(o, rdflib.URIRef):
            expected_classes.setdefault(o, set()).add(s)
    assert classes == {c: len(s) for c, s in expected_classes.items()}
    properties = {value(VOID.property, part): int(value(VOID.triples, part))
                  for part in void.objects(dataset, VOID.propertyPartition)}
    expected_properties: dict[rdflib.term.Node, int] = {}
    for _, p, _, _ in quads:
        expected_properties[p] = expected_properties.get(p, 0) + 1
    assert properties == expected_properties
    distributions = list(void.objects(dataset, DCAT.distribution))
    names = set()
    for dist in distributions:
        urls = sorted(str(u) for u in void.objects(dist, DCAT.downloadURL))
        name = urls[0].rsplit("/", 1)[1]
        names.add(name)
        assert urls == [f"https://example.org/kg/dumps/latest/{name}",
                        f"https://example.org/kg/dumps/r1/{name}"]
        path = released.dir / name
        assert int(value(DCAT.byteSize, dist)) == path.stat().st_size
        checksum = value(SPDX.checksum, dist)
        assert str(value(SPDX.checksumValue, checksum)) == hashlib.sha256(
            path.read_bytes()).hexdigest()
        assert str(value(DCAT.mediaType, dist)).startswith("https://www.iana.org/assignments/")
    assert {"dataset.nq.gz", "dataset.trig.gz", "dataset.jsonld.gz", "sites.ttl.gz"} <= names
    report = json.loads((released.dir / "validation.json").read_text("utf-8"))
    assert report["conforms"] is True and released.first.validation is not None
    assert released.first.validation.conforms
    assert value(DCTERMS.conformsTo)


def test_a_reload_of_the_same_files_gives_an_empty_changeset(released: Released) -> None:
    second = released.second.directory
    assert released.second.changes.empty and released.second.previous == "r1"
    assert _unzip(second / "changes-added.nq.gz") == b""
    assert _unzip(second / "changes-removed.nq.gz") == b""
    assert (second / "activity.jsonl").read_bytes() == b""
    assert (second / "dataset.nq.gz").read_bytes() == (released.dir / "dataset.nq.gz").read_bytes()
    first_manifest = json.loads((released.dir / "release.json").read_text())
    second_manifest = json.loads((second / "release.json").read_text())
    assert second_manifest["modified"] == first_manifest["modified"]
    assert (released.releases / "latest").readlink() == Path("r2")


def test_first_release_creates_every_entity(released: Released) -> None:
    activities = [json.loads(line) for line in
                  (released.dir / "activity.jsonl").read_text("utf-8").splitlines()]
    assert {a["type"] for a in activities} == {"Create"}
    assert len(activities) == released.first.entities
    site = next(a for a in activities
                if a["object"]["id"] == "https://w3id.org/heritage-kg/id/site/shusha-fortress")
    assert site["object"]["type"] == "HeritageSite" and site["endTime"].endswith("Z")


def test_versions_are_checked_and_immutable(released: Released) -> None:
    for bad in ("latest", "../x", ".hidden", "a/b", "x\x00"):
        with pytest.raises(UserInputError):
            make_release(_options(released.store_dir, released.releases, bad, validate=False))
    with pytest.raises(UserInputError, match="already exists"):
        make_release(_options(released.store_dir, released.releases, "r1", validate=False))


SITE = "https://w3id.org/heritage-kg/id/site/"
PROLOGUE = """@prefix hk: <https://w3id.org/heritage-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix site: <https://w3id.org/heritage-kg/id/site/> .
"""


def _lines(path: Path) -> set[str]:
    return set(_unzip(path).decode("utf-8").splitlines())


def test_changeset_after_editing_files(tmp_path: Path) -> None:
    data, store_dir, releases = tmp_path / "data", tmp_path / "store", tmp_path / "releases"
    data.mkdir()
    one, two, three = data / "one.ttl", data / "two.ttl", data / "three.ttl"
    one.write_text(PROLOGUE + 'site:t-one a hk:HeritageSite ;\n  rdfs:label "One"@en ;\n'
                   '  geo:hasGeometry [ a geo:Geometry ;\n'
                   '    geo:asWKT "POINT(1 2)"^^geo:wktLiteral ] .\n')
    two.write_text(PROLOGUE + 'site:t-two a hk:HeritageSite ; rdfs:label "Two"@en .\n')
    _load(store_dir, data)
    make_release(_options(store_dir, releases, "a", validate=False))
    one.write_text(one.read_text().replace('"One"@en', '"Uno"@en'))
    two.unlink()
    three.write_text(PROLOGUE + 'site:t-three a hk:HeritageSite ; rdfs:label "Three"@en .\n')
    _load(store_dir, data)
    report = make_release(_options(store_dir, releases, "b", validate=False))

    g1, g2, g3 = (f"<{p.resolve().as_uri()}>" for p in (one, two, three))
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    a_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    site_class = "<https://w3id.org/heritage-kg/ontology#HeritageSite>"
    assert _lines(report.directory / "changes-added.nq.gz") == {
        f'<{SITE}t-one> {label} "Uno"@en {g1} .',
        f"<{SITE}t-three> {a_type} {site_class} {g3} .",
        f'<{SITE}t-three> {label} "Three"@en {g3} .',
    }
    assert _lines(report.directory / "changes-removed.nq.gz") == {
        f'<{SITE}t-one> {label} "One"@en {g1} .',
        f"<{SITE}t-two> {a_type} {site_class} {g2} .",
        f'<{SITE}t-two> {label} "Two"@en {g2} .',
    }
    activities = [json.loads(line) for line in
                  (report.directory / "activity.jsonl").read_text().splitlines()]
    assert {(a["type"], a["object"]["id"]) for a in activities} == {
        ("Update", f"{SITE}t-one"), ("Delete", f"{SITE}t-two"), ("Create", f"{SITE}t-three")}
    assert report.changes.added_quads == 3 and report.changes.removed_quads == 3


def test_a_change_inside_a_blank_node_updates_its_owner(tmp_path: Path) -> None:
    data, store_dir, releases = tmp_path / "data", tmp_path / "store", tmp_path / "releases"
    data.mkdir()
    one = data / "one.ttl"
    one.write_text(PROLOGUE + 'site:t-one a hk:HeritageSite ;\n'
                   '  geo:hasGeometry [ a geo:Geometry ;\n'
                   '    geo:asWKT "POINT(1 2)"^^geo:wktLiteral ] .\n')
    _load(store_dir, data)
    make_release(_options(store_dir, releases, "a", validate=False))
    one.write_text(one.read_text().replace("POINT(1 2)", "POINT(3 4)"))
    _load(store_dir, data)
    report = make_release(_options(store_dir, releases, "b", validate=False))
    activities = (report.directory / "activity.jsonl").read_text().splitlines()
    assert [json.loads(a)["type"] for a in activities] == ["Update"]
    assert json.loads(activities[0])["object"]["id"] == f"{SITE}t-one"


def _canonical_lines(turtle: str) -> list[str]:
    store = ox.Store()
    store.load(turtle, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g"))
    return sorted(q.line for q in canonical_quads(store))


def test_identical_blank_siblings_stay_distinct_and_labels_do_not_depend_on_ids() -> None:
    turtle = PROLOGUE + """site:x hk:p [ a hk:Citation ; hk:citedSource site:s ] ,
                                      [ a hk:Citation ; hk:citedSource site:s ] ;
                             hk:q ( site:a site:b ) .
site:y hk:p [ a hk:Citation ; hk:citedSource site:s ] .
"""
    lines = _canonical_lines(turtle)
    assert len(lines) == len(set(lines)) == 14
    assert _canonical_lines(turtle) == lines  # a fresh parse: new blank ids, same labels
    assert len({w for line in lines for w in line.split() if w.startswith("_:")}) == 5


def test_cyclic_blank_nodes_still_get_valid_distinct_labels() -> None:
    lines = _canonical_lines(PROLOGUE + "_:a hk:p _:b . _:b hk:p _:a . _:a hk:q site:x .\n")
    assert len(lines) == 3
    parsed = list(ox.parse("\n".join(lines), ox.RdfFormat.N_QUADS))
    assert len({q.subject for q in parsed}) == 2


def test_external_sorter_spills_and_merges(tmp_path: Path) -> None:
    sorter = ExternalSorter(tmp_path, run_lines=7)
    items = [f"line {i % 23:03d}" for i in range(100)]
    for item in items:
        sorter.add(item)
    assert list(sorter.sorted_unique()) == sorted(set(items))
    assert list(tmp_path.iterdir()) == []


def test_cli_release_reports_and_refuses_a_bad_version(released: Released) -> None:
    env = {"KG_RELEASES_DIR": str(released.releases)}
    done = run_kg_in(released.store_dir, "release", "--version", "cli", "--no-validate", env=env)
    assert done.returncode == 0, done.stderr
    assert "Release cli:" in done.stderr and "+0/-0 quads" in done.stderr
    bad = run_kg_in(released.store_dir, "release", "--version", "../up", env=env)
    assert bad.returncode == 2 and "not a valid release version" in bad.stderr


def test_a_loaded_store_is_released_from_its_own_dump(released: Released) -> None:
    manifest = json.loads((released.dir / "release.json").read_text())
    assert manifest["blank_node_labels"] == LABEL_SCHEME
    assert manifest["nquads_order"] == "sorted-bytes"
    lines = _unzip(released.dir / "dataset.nq.gz").splitlines()
    assert lines == sorted(set(lines))


def test_a_store_changed_by_a_web_write_is_relabelled_at_release(tmp_path: Path) -> None:
    store_dir, releases = tmp_path / "store", tmp_path / "releases"
    _load(store_dir, ROOT / "tests" / "fixtures" / "cli" / "good")
    apply_update(store_dir, "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> "
                            "<http://example.org/p> [ <http://example.org/q> 1 ] } }")
    report = make_release(_options(store_dir, releases, "w", validate=False))
    manifest = json.loads((report.directory / "release.json").read_text())
    assert manifest["blank_node_labels"] == "release"
    fresh = ox.Store()
    fresh.load(_unzip(report.directory / "dataset.nq.gz"), ox.RdfFormat.N_QUADS)
    _assert_same_graphs(_graphs(fresh), _graphs(open_store(store_dir)))
    again = make_release(_options(store_dir, releases, "w2", validate=False))
    assert again.changes.empty


def test_a_previous_release_in_the_older_graph_first_order_is_compared_right(
    tmp_path: Path,
) -> None:
    store_dir, releases = tmp_path / "store", tmp_path / "releases"
    _load(store_dir, ROOT / "tests" / "fixtures" / "cli" / "good")
    first = make_release(_options(store_dir, releases, "new", validate=False))
    old = releases / "old"
    shutil.copytree(first.directory, old)
    lines = _unzip(old / "dataset.nq.gz").decode().splitlines()
    by_graph = sorted(lines, key=lambda line: (line.rsplit(" ", 2)[-2], line))
    assert by_graph != lines  # the test means something only if the orders differ
    with gzip.open(old / "dataset.nq.gz", "wb") as out:
        out.write("".join(f"{line}\n" for line in by_graph).encode())
    manifest = json.loads((old / "release.json").read_text())
    del manifest["nquads_order"]
    (old / "release.json").write_text(json.dumps(manifest))
    (releases / "latest").unlink()
    (releases / "latest").symlink_to("old")
    report = make_release(_options(store_dir, releases, "after-old", validate=False))
    assert report.previous == "old" and report.changes.empty


def test_counts_read_off_the_sorted_dump_equal_the_sparql_counts(
    released: Released, tmp_path: Path
) -> None:
    store = open_store(released.store_dir)
    dump = tmp_path / "dump.nq"
    store.dump(str(dump), ox.RdfFormat.N_QUADS)
    sorted_dump = tmp_path / "sorted.nq"
    with dump.open("rb") as source, sorted_dump.open("wb") as target:
        subprocess.run(["sort", "-u"], stdin=source, stdout=target, check=True,
                       env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    counted = compress_and_count(sorted_dump, tmp_path / "sorted.nq.gz", tmp_path)
    assert counted == count_dataset(store)
    assert counted.classes and counted.properties and counted.distinct_objects > 0
    assert gzip.decompress((tmp_path / "sorted.nq.gz").read_bytes()) == sorted_dump.read_bytes()
