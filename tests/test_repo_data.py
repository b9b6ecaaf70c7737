"""The repository's own RDF is tested like code.

Every Turtle file in `ontology/` and `data/ttl/` parses, binds the canonical prefixes (a prefix
means the same IRI in every file), sits in the folder of the kind it describes, and is named after
the entity it describes; the curated data conforms to the shapes. Failure messages name the file
and what to change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.namespaces import DATA_PREFIXES, PREFIXES

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "ttl"
TURTLE_FILES = sorted([*(ROOT / "ontology").rglob("*.ttl"), *DATA.rglob("*.ttl")])
DATA_FILES = sorted(DATA.rglob("*.ttl"))

PREFIX_LINE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.M)

# Folder → (the class its main entity has, the prefix of its IRIs).
FOLDERS = {
    "sites": ("HeritageSite", "site"),
    "objects": ("MovableObject", "object"),
    "works": ("Work", "work"),
    "places": ("Place", "place"),
    "people": ("Person", "person"),
    "organizations": ("Organization", "org"),
    "sources": ("Source", "source"),
    "media": ("DigitalObject", "media"),
}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", TURTLE_FILES, ids=_rel)
def test_file_parses_strictly(path: Path) -> None:
    try:
        list(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    except SyntaxError as err:
        pytest.fail(f"{_rel(path)} does not parse: {err}")


@pytest.mark.parametrize("path", TURTLE_FILES, ids=_rel)
def test_file_binds_canonical_prefixes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    canonical_by_iri = {iri: p for p, iri in PREFIXES.items()}
    problems = []
    for prefix, iri in PREFIX_LINE.findall(text):
        prefix = prefix or ""
        if prefix in PREFIXES and PREFIXES[prefix] != iri:
            problems.append(f"'{prefix}:' must be <{PREFIXES[prefix]}>, not <{iri}>")
        elif iri in canonical_by_iri and canonical_by_iri[iri] != prefix:
            problems.append(f"<{iri}> must be bound to '{canonical_by_iri[iri]}:', not '{prefix}:'")
    declared = [p for p, _ in PREFIX_LINE.findall(text)]
    duplicates = sorted({p for p in declared if declared.count(p) > 1})
    if duplicates:
        problems.append(f"prefixes declared more than once: {duplicates}")
    assert not problems, f"{_rel(path)}: " + "; ".join(problems) + " (see kg/namespaces.py)"


def test_data_files_sit_in_known_folders() -> None:
    stray = [_rel(p) for p in DATA_FILES if p.parent.name not in FOLDERS or p.parent.parent != DATA]
    assert not stray, f"put each data file in one of data/ttl/{{{','.join(FOLDERS)}}}/: {stray}"


@pytest.mark.parametrize("path", DATA_FILES, ids=_rel)
def test_file_is_named_after_its_entity(path: Path) -> None:
    if path.parent.name not in FOLDERS:
        pytest.skip("stray file, reported by test_data_files_sit_in_known_folders")
    cls, prefix = FOLDERS[path.parent.name]
    entity = ox.NamedNode(DATA_PREFIXES[prefix] + path.stem)
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    types = {
        t.object.value
        for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE)
        if t.subject == entity and t.predicate == rdf_type
    }
    assert PREFIXES["hk"] + cls in types, (
        f"{_rel(path)} must describe {prefix}:{path.stem} as a hk:{cls} "
        f"(one file per entity, named after its slug)"
    )


def test_every_minted_iri_has_one_home_file() -> None:
    """An entity is described in exactly one file, so edits and diffs have one place to go."""
    homes: dict[str, list[str]] = {}
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    for path in DATA_FILES:
        subjects = {
            t.subject.value
            for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE)
            if t.predicate == rdf_type and isinstance(t.subject, ox.NamedNode)
        }
        for s in subjects:
            homes.setdefault(s, []).append(_rel(path))
    twice = {s: files for s, files in homes.items() if len(files) > 1}
    assert not twice, f"entities typed in more than one file: {twice}"


def test_referenced_entities_exist() -> None:
    """Every minted IRI used as an object is described somewhere (no dangling links)."""
    described: set[str] = set()
    used: dict[str, str] = {}
    id_base = DATA_PREFIXES["site"].rsplit("/", 2)[0] + "/"
    for path in DATA_FILES:
        for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            if isinstance(t.subject, ox.NamedNode):
                described.add(t.subject.value)
            if isinstance(t.object, ox.NamedNode) and t.object.value.startswith(id_base):
                used.setdefault(t.object.value, _rel(path))
    dangling = {iri: f for iri, f in used.items() if iri not in described}
    assert not dangling, f"links to entities no file describes: {dangling}"


@pytest.mark.skipif(not DATA_FILES, reason="no curated data yet")
def test_curated_data_conforms_to_the_shapes() -> None:
    from kg.validation import render, validate_paths

    report = validate_paths([DATA], root=ROOT)
    assert report.conforms, "kg validate data/ttl reports:\n" + render(report, "text")
