"""Claim-level rules of docs/spec.md that SHACL does not express, checked on the curated data.

- `hk:contradicts` is symmetric: a disagreement recorded on one side only would let a reader of the
  other statement believe it is uncontested.
- A renaming event names what it introduced (`hk:resultingName`) and dates itself through a
  `hk:timespan` statement, so the name history of a place can be read as a timeline.
- A name's written form is tagged with the script `hk:script` declares (default script of the
  language, or the explicit BCP 47 script subtag), so "Шуша"@ru is never mislabelled Latn.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF

from kg.namespaces import HK, PREFIXES

DATA = Path(__file__).resolve().parents[1] / "data" / "ttl"
RENAMING = rdflib.URIRef(PREFIXES["eventtype"] + "renaming")
HKNS = rdflib.Namespace(HK)

# Default script of the languages the data uses; a tag with a script subtag overrides it.
DEFAULT_SCRIPT = {
    "az": "Latn",
    "en": "Latn",
    "tr": "Latn",
    "fr": "Latn",
    "de": "Latn",
    "ru": "Cyrl",
    "hy": "Armn",
    "fa": "Arab",
    "ar": "Arab",
    "ka": "Geor",
}


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for path in sorted(DATA.rglob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def expected_script(lang: str) -> str | None:
    """Script a BCP 47 tag implies: its 4-letter subtag, else the language's default (if known)."""
    parts = lang.split("-")
    for sub in parts[1:]:
        if len(sub) == 4 and sub.isalpha():
            return sub.title()
    return DEFAULT_SCRIPT.get(parts[0].lower())


def test_expected_script_reads_subtags() -> None:
    assert expected_script("ru") == "Cyrl"
    assert expected_script("az-Cyrl") == "Cyrl"
    assert expected_script("az-arab") == "Arab"
    assert expected_script("xx") is None


def test_contradicts_is_symmetric(graph: rdflib.Graph) -> None:
    one_sided = sorted(
        f"{a} -> {b}"
        for a, b in graph.subject_objects(HKNS.contradicts)
        if (b, HKNS.contradicts, a) not in graph
    )
    assert not one_sided, "add the reverse hk:contradicts link: " + "; ".join(one_sided)


def test_renaming_events_have_result_and_date(graph: rdflib.Graph) -> None:
    problems = []
    for event in graph.subjects(HKNS.eventType, RENAMING):
        if (event, HKNS.resultingName, None) not in graph:
            problems.append(f"{event}: no hk:resultingName")
        dated = any(
            (stmt, RDF.predicate, HKNS.timespan) in graph
            for stmt in graph.subjects(RDF.subject, event)
        )
        if not dated:
            problems.append(f"{event}: no hk:timespan statement")
    assert not problems, "; ".join(problems)


def test_written_form_matches_declared_script(graph: rdflib.Graph) -> None:
    problems = []
    for name, form in graph.subject_objects(HKNS.writtenForm):
        script = graph.value(name, HKNS.script)
        lang = getattr(form, "language", None)
        if script is None or not lang:
            continue  # cardinality is the shapes' job
        expected = expected_script(lang)
        if expected is not None and expected != str(script):
            problems.append(f"{name}: @{lang} implies {expected}, hk:script says {script}")
    assert not problems, "; ".join(problems)
