"""ontology/context.jsonld turns short JSON keys into exactly the IRIs the ontology defines.

The context is what a web client or a JSON-LD export leans on; if a term pointed at the wrong IRI,
or a date lost its datatype, the data would still parse but mean something else. So the tests
expand real documents with it (rdflib's JSON-LD parser, the context passed as a dict: no network)
and compare the triples with the same data written in Turtle.
"""

# ruff: noqa: RUF001  (fixtures hold Azerbaijani and Russian letters and en dashes on purpose)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.namespaces import HK, PREFIXES

ROOT = Path(__file__).parents[1]
CONTEXT_FILE = ROOT / "ontology" / "context.jsonld"
ONTOLOGY = ROOT / "ontology" / "heritage.ttl"

# rdflib 7.6's own JSON-LD parser builds a ConjunctiveGraph internally; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

# hk: local names that are also prefixes of the table (rank:preferred…) cannot be terms too: one
# JSON key cannot be both. These are their short terms instead.
RENAMED = {
    "rank": "hasRank",
    "certainty": "hasCertainty",
    "verification": "hasVerification",
    "condition": "hasCondition",
    "calendar": "hasCalendar",
    "role": "roleConcept",
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    document = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    assert set(document) == {"@context"}
    ctx: dict[str, Any] = document["@context"]
    return ctx


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def term_iri(definition: str | dict[str, Any]) -> str:
    """The compact IRI a term definition maps to, whether written as a string or an object."""
    return definition if isinstance(definition, str) else str(definition["@id"])


def expand_curie(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


def parse_jsonld(document: dict[str, Any], context: dict[str, Any]) -> Graph:
    return Graph().parse(data=json.dumps(document), format="json-ld", context=context)


def test_prefixes_agree_with_kg_namespaces(context: dict[str, Any]) -> None:
    for prefix, iri in PREFIXES.items():
        assert context.get(prefix) == iri, f"context {prefix!r} is {context.get(prefix)!r}"
    prefix_like = {
        key
        for key, value in context.items()
        if isinstance(value, str) and value.endswith(("/", "#")) and not key.startswith("@")
    }
    assert prefix_like == set(PREFIXES), "prefixes in the context that kg.namespaces lacks"


def test_keywords_and_aliases(context: dict[str, Any]) -> None:
    assert context["@version"] == 1.1
    assert context["id"] == "@id"
    assert context["type"] == "@type"
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}


def test_every_hk_term_has_one_short_term(context: dict[str, Any], ontology: Graph) -> None:
    defined = {
        str(s)[len(HK) :] for s in ontology.subjects(RDF.type, None) if str(s).startswith(HK)
    }
    by_local: dict[str, list[str]] = {}
    for key, definition in context.items():
        if key.startswith("@") or key in PREFIXES or key in ("id", "type"):
            continue
        curie = term_iri(definition)
        if curie.startswith("hk:"):
            by_local.setdefault(curie[3:], []).append(key)
    assert set(by_local) == defined, (
        f"missing {sorted(defined - set(by_local))}, unknown {sorted(set(by_local) - defined)}"
    )
    for local, keys in by_local.items():
        assert keys == [RENAMED.get(local, local)], f"hk:{local} has short terms {keys}"
    assert all(local in PREFIXES for local in RENAMED), "a rename without a clash"


def test_term_typing_follows_the_ontology(context: dict[str, Any], ontology: Graph) -> None:
    """Object properties take IRIs, typed literals keep their type, langStrings a language map."""
    problems = []
    for key, definition in context.items():
        if key.startswith("@") or not term_iri(definition).startswith("hk:"):
            continue
        term = URIRef(expand_curie(term_iri(definition)))
        kinds = set(ontology.objects(term, RDF.type))
        spec = definition if isinstance(definition, dict) else {}
        rng = ontology.value(term, RDFS.range)
        if OWL.Class in kinds:
            wanted: dict[str, str] = {}
        elif OWL.ObjectProperty in kinds or OWL.AnnotationProperty in kinds:
            wanted = {"@type": "@id"}
        elif rng == RDF.langString:
            wanted = {"@container": "@language"}
        elif rng is None or rng == XSD.string:
            wanted = {}
        else:
            wanted = {"@type": "xsd:" + str(rng)[len(str(XSD)) :]}
        got = {k: v for k, v in spec.items() if k != "@id"}
        if got != wanted:
            problems.append(f"{key}: want {wanted}, got {got}")
    assert not problems, "\n".join(problems)


SITE_JSONLD: dict[str, Any] = {
    "@graph": [
        {
            "id": "site:yukhari-govhar-agha-mosque",
            "type": "HeritageSite",
            "label": {"en": "Yukhari Govhar Agha Mosque", "az": "Yuxarı Gövhərağa məscidi"},
            "siteType": "sitetype:mosque",
            "locatedIn": "place:shusha",
            "hasGeometry": {
                "type": "Geometry",
                "asWKT": "POINT(46.7527 39.7596)",
                "precisionMeters": 50.5,
            },
        },
        {"id": "place:shusha", "hasName": "name:shusha-az-cyrl-shusha"},
        {
            "id": "name:shusha-az-cyrl-shusha",
            "type": "Name",
            "writtenForm": {"az-Cyrl": "Шуша"},
            "script": "Cyrl",
            "nameType": "nametype:historical",
        },
        {
            "id": "stmt:yukhari-govhar-agha-mosque-construction-timespan-1",
            "type": "Statement",
            "rdf:subject": {"@id": "event:yukhari-govhar-agha-mosque-construction"},
            "rdf:predicate": {"@id": "hk:timespan"},
            "rdf:object": {
                "type": "TimeSpan",
                "edtf": "1883/1885",
                "earliest": "1883-01-01",
                "latest": "1885-12-31",
                "sourceWording": {"en": "1883–1885"},
                "hasCalendar": "calendar:gregorian",
            },
            "hasRank": "rank:normal",
            "hasCertainty": "certainty:probable",
            "hasVerification": "verification:unverified",
            "wasDerivedFrom": {
                "type": "Citation",
                "citedSource": "source:example-book",
                "page": "45",
                "accessedOn": "2024-05-01",
            },
        },
        {"id": "hk:architect", "roleConcept": "role:architect"},
    ]
}

SITE_TURTLE = """\
@prefix hk: <https://w3id.org/heritage-kg/ontology#> .
@prefix site: <https://w3id.org/heritage-kg/id/site/> .
@prefix place: <https://w3id.org/heritage-kg/id/place/> .
@prefix name: <https://w3id.org/heritage-kg/id/name/> .
@prefix event: <https://w3id.org/heritage-kg/id/event/> .
@prefix stmt: <https://w3id.org/heritage-kg/id/statement/> .
@prefix source: <https://w3id.org/heritage-kg/id/source/> .
@prefix sitetype: <https://w3id.org/heritage-kg/vocab/site-type/> .
@prefix nametype: <https://w3id.org/heritage-kg/vocab/name-type/> .
@prefix rank: <https://w3id.org/heritage-kg/vocab/rank/> .
@prefix certainty: <https://w3id.org/heritage-kg/vocab/certainty/> .
@prefix verification: <https://w3id.org/heritage-kg/vocab/verification/> .
@prefix calendar: <https://w3id.org/heritage-kg/vocab/calendar/> .
@prefix role: <https://w3id.org/heritage-kg/vocab/role/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

site:yukhari-govhar-agha-mosque a hk:HeritageSite ;
    rdfs:label "Yukhari Govhar Agha Mosque"@en , "Yuxarı Gövhərağa məscidi"@az ;
    hk:siteType sitetype:mosque ;
    hk:locatedIn place:shusha ;
    geo:hasGeometry [ a geo:Geometry ;
        geo:asWKT "POINT(46.7527 39.7596)"^^geo:wktLiteral ;
        hk:precisionMeters "50.5"^^xsd:decimal ] .

place:shusha hk:hasName name:shusha-az-cyrl-shusha .

name:shusha-az-cyrl-shusha a hk:Name ;
    hk:writtenForm "Шуша"@az-Cyrl ;
    hk:script "Cyrl" ;
    hk:nameType nametype:historical .

stmt:yukhari-govhar-agha-mosque-construction-timespan-1 a hk:Statement ;
    rdf:subject event:yukhari-govhar-agha-mosque-construction ;
    rdf:predicate hk:timespan ;
    rdf:object [ a hk:TimeSpan ;
        hk:edtf "1883/1885" ;
        hk:earliest "1883-01-01"^^xsd:date ;
        hk:latest "1885-12-31"^^xsd:date ;
        hk:sourceWording "1883–1885"@en ;
        hk:calendar calendar:gregorian ] ;
    hk:rank rank:normal ;
    hk:certainty certainty:probable ;
    hk:verification verification:unverified ;
    prov:wasDerivedFrom [ a hk:Citation ;
        hk:citedSource source:example-book ;
        hk:page "45" ;
        hk:accessedOn "2024-05-01"^^xsd:date ] .

hk:architect hk:role role:architect .
"""


def test_expansion_matches_the_turtle(context: dict[str, Any]) -> None:
    from_jsonld = parse_jsonld(SITE_JSONLD, context)
    from_turtle = Graph().parse(data=SITE_TURTLE, format="turtle")
    assert len(from_jsonld) == len(from_turtle)
    if not isomorphic(from_jsonld, from_turtle):
        only_jsonld = set(to_isomorphic(from_jsonld)) - set(to_isomorphic(from_turtle))
        only_turtle = set(to_isomorphic(from_turtle)) - set(to_isomorphic(from_jsonld))
        pytest.fail(f"only in JSON-LD: {only_jsonld}\nonly in Turtle: {only_turtle}")


def test_a_wrong_term_is_noticed(context: dict[str, Any]) -> None:
    """The comparison above can fail: a date given as a plain string is not the same graph."""
    broken = dict(context, earliest="hk:earliest")
    from_jsonld = parse_jsonld(SITE_JSONLD, broken)
    from_turtle = Graph().parse(data=SITE_TURTLE, format="turtle")
    assert not isomorphic(from_jsonld, from_turtle)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("type", "Person", (RDF.type, URIRef(HK + "Person"))),
        ("hasRole", "role:poet", (URIRef(HK + "hasRole"), URIRef(PREFIXES["role"] + "poet"))),
        ("birth", {"edtf": "1832"}, (URIRef(HK + "birth"), None)),
        ("url", "https://example.org/a", (URIRef(HK + "url"), URIRef("https://example.org/a"))),
        ("heldBy", "org:x", (URIRef(HK + "heldBy"), URIRef(PREFIXES["org"] + "x"))),
    ],
)
def test_single_terms_expand(
    context: dict[str, Any], key: str, value: object, expected: tuple[URIRef, URIRef | None]
) -> None:
    graph = parse_jsonld({"id": "person:example", key: value}, context)
    subject = URIRef(PREFIXES["person"] + "example")
    predicate, obj = expected
    objects = list(graph.objects(subject, predicate))
    assert len(objects) == 1
    if obj is not None:
        assert objects[0] == obj
