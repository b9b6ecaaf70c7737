"""`kg synth`: deterministic, conforming, counted violations, loadable, unmistakably synthetic."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from cli_runner import ROOT, RunKg

from kg.namespaces import sparql_prologue
from kg.synth import MANIFEST_NAME, synthesize
from kg.synth.parts import FLAW_KINDS
from kg.validation import validate_paths

VOCAB = ROOT / "ontology" / "vocab"


def _files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _store(directory: Path) -> ox.Store:
    store = ox.Store()
    for path in sorted(directory.rglob("*.ttl")):
        store.load(path=path, format=ox.RdfFormat.TURTLE)
    for path in sorted((ROOT / "ontology").rglob("*.ttl")):
        store.load(path=path, format=ox.RdfFormat.TURTLE)
    return store


def _values(store: ox.Store, query: str) -> list[str]:
    result = store.query(sparql_prologue() + query)
    assert isinstance(result, ox.QuerySolutions)
    return [str(row[0].value) for row in result if row[0] is not None]


@pytest.fixture(scope="module")
def fifty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fifty sites: more than there are site types, so every type occurs."""
    out = tmp_path_factory.mktemp("synth") / "fifty"
    synthesize(out, sites=50, seed=7, vocab_dir=VOCAB)
    return out


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sixteen sites, half of them with one deliberate violation: each kind exactly once."""
    out = tmp_path_factory.mktemp("synth") / "flawed"
    synthesize(out, sites=16, seed=11, vocab_dir=VOCAB, violations=0.5)
    return out


def test_same_seed_gives_the_same_bytes(tmp_path: Path, fifty: Path) -> None:
    again = tmp_path / "again"
    synthesize(again, sites=50, seed=7, vocab_dir=VOCAB)
    first, second = _files(fifty), _files(again)
    assert list(first) == list(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == [], f"not byte-identical: {different[:5]}"


def test_another_seed_gives_other_data(tmp_path: Path, fifty: Path) -> None:
    other = tmp_path / "other"
    synthesize(other, sites=50, seed=8, vocab_dir=VOCAB)
    first, second = _files(fifty), _files(other)
    assert first["sites/synth-site-0.ttl"] != second["sites/synth-site-0.ttl"]


def test_manifest_counts_what_was_written(fifty: Path) -> None:
    manifest = json.loads((fifty / MANIFEST_NAME).read_text(encoding="utf-8"))
    ttl = sorted(fifty.rglob("*.ttl"))
    parsed = sum(len(list(ox.parse(path=p, format=ox.RdfFormat.TURTLE))) for p in ttl)
    assert manifest["files"] == len(ttl)
    assert manifest["triples"] == parsed
    assert manifest["violations"]["count"] == 0
    assert {p.parent.name for p in ttl} == {
        "sites", "places", "people", "organizations", "sources", "media", "objects", "works"}


def test_every_type_and_every_part_of_the_model_occurs(fifty: Path) -> None:
    store = _store(fifty)
    for scheme, prop in (("site-type", "siteType"), ("source-type", "sourceType"),
                         ("object-type", "objectType"), ("work-type", "workType")):
        missing = _values(store, f"""
            SELECT ?c WHERE {{ ?c skos:inScheme hkv:{scheme} .
                FILTER NOT EXISTS {{ ?x hk:{prop} ?c }} }}""")
        assert missing == [], f"no synthetic data uses {missing}"
    scripts = set(_values(store, "SELECT DISTINCT ?s WHERE { ?n hk:script ?s }"))
    assert {"Latn", "Cyrl", "Armn", "Arab", "Geor"} <= scripts
    for what, query in {
        "contradicting statements": "SELECT ?s WHERE { ?s hk:contradicts ?t . "
        "?t hk:contradicts ?s }",
        "deprecated statements with reasons": "SELECT ?s WHERE { ?s hk:rank rank:deprecated ; "
        "hk:deprecationReason ?r }",
        "events with time spans": "SELECT ?e WHERE { ?e a hk:Event . ?st rdf:subject ?e ; "
        "rdf:predicate hk:timespan ; rdf:object [ hk:edtf ?x ] }",
        "licensed digital objects": "SELECT ?m WHERE { ?m a hk:DigitalObject ; "
        "dcterms:license ?l }",
        "citations with locators": "SELECT ?c WHERE { ?c hk:citedSource ?s ; hk:page ?p }",
        "names used during a period": "SELECT ?n WHERE { ?n hk:usedDuring [ hk:edtf ?x ] }",
    }.items():
        assert _values(store, query + " LIMIT 1"), f"no {what}"


def test_everything_is_marked_synthetic(fifty: Path) -> None:
    store = _store(fifty)
    unmarked = _values(store, """
        SELECT ?x WHERE { ?x ?p ?o .
            FILTER (STRSTARTS(STR(?x), "https://w3id.org/heritage-kg/id/")
                    && !CONTAINS(STR(?x), "/synth-")) } LIMIT 5""")
    assert unmarked == []
    english = _values(store, """
        SELECT ?l WHERE { ?x rdfs:label ?l . FILTER (LANG(?l) = "en"
            && CONTAINS(STR(?x), "/synth-") && !STRSTARTS(?l, "Synthetic")) } LIMIT 5""")
    assert english == []


def test_violations_are_exactly_the_counted_ones(flawed: Path) -> None:
    manifest = json.loads((flawed / MANIFEST_NAME).read_text(encoding="utf-8"))
    planted = manifest["violations"]["items"]
    assert sorted(item["kind"] for item in planted) == sorted(FLAW_KINDS)
    report = validate_paths([flawed], root=ROOT, use_cache=False, with_context=False)
    found = sorted((r.file.relative_to(flawed).as_posix() if r.file else "?",
                    r.source_shape.split("[")[0]) for r in report.results)
    expected = sorted((item["file"], item["shape"]) for item in planted)
    assert found == expected
    assert not report.conforms


def test_kg_synth_and_kg_load_on_its_output(tmp_path: Path, run_kg: RunKg) -> None:
    out = tmp_path / "synth"
    made = run_kg("synth", "--sites", "5", "--seed", "1", "--out", out)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    loaded = run_kg("load", out)
    assert loaded.returncode == 0, loaded.stderr
    assert f"Loaded {manifest['triples']:,} triples from {manifest['files']:,} files" in (
        " ".join(loaded.stderr.split()))


def test_kg_synth_refuses_a_directory_it_did_not_make(tmp_path: Path, run_kg: RunKg) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_kg("synth", "--sites", "5", "--out", tmp_path)
    assert result.returncode == 2
    assert "not made by `kg synth`" in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_kg_synth_replaces_its_own_previous_output(tmp_path: Path, run_kg: RunKg) -> None:
    out = tmp_path / "synth"
    assert run_kg("synth", "--sites", "60", "--out", out).returncode == 0
    assert run_kg("synth", "--sites", "5", "--out", out).returncode == 0
    assert not (out / "sites" / "synth-site-59.ttl").exists()
    assert (out / "sites" / "synth-site-4.ttl").exists()
