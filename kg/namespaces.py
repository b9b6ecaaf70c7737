"""The canonical prefix table of heritage-kg.

One table, shared by the Turtle files (a test checks they bind these prefixes to these IRIs and no
others), the JSON-LD context, the query editor and SPARQL prologues — so a prefix means the same
thing everywhere a maintainer or a scholar meets it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BASE",
    "DATA_PREFIXES",
    "GRAPH_BASE",
    "HK",
    "ID_BASE",
    "MINTED_IRI_PATTERN",
    "MINTED_KINDS",
    "PREFIXES",
    "TRUTHY_GRAPH",
    "VOCAB_BASE",
    "sparql_prologue",
]

BASE: Final = "https://w3id.org/heritage-kg/"
HK: Final = BASE + "ontology#"
VOCAB_BASE: Final = BASE + "vocab/"
ID_BASE: Final = BASE + "id/"
GRAPH_BASE: Final = BASE + "graph/"
TRUTHY_GRAPH: Final = GRAPH_BASE + "truthy"

MINTED_KINDS: Final = (
    "site",
    "object",
    "work",
    "place",
    "name",
    "person",
    "org",
    "source",
    "media",
    "event",
    "statement",
)

MINTED_IRI_PATTERN: Final = (
    "^" + ID_BASE.replace(".", r"\.") + "(" + "|".join(MINTED_KINDS) + r")/[a-z0-9]+(-[a-z0-9]+)*$"
)

_VOCAB_SCHEMES: Final = {
    "sitetype": "site-type",
    "objecttype": "object-type",
    "worktype": "work-type",
    "placetype": "place-type",
    "eventtype": "event-type",
    "sourcetype": "source-type",
    "nametype": "name-type",
    "role": "role",
    "certainty": "certainty",
    "rank": "rank",
    "condition": "condition",
    "verification": "verification",
    "calendar": "calendar",
}

_DATA_KINDS: Final = {
    "site": "site",
    "object": "object",
    "work": "work",
    "place": "place",
    "name": "name",
    "person": "person",
    "org": "org",
    "source": "source",
    "media": "media",
    "event": "event",
    "stmt": "statement",
}

DATA_PREFIXES: Final[dict[str, str]] = {p: f"{ID_BASE}{k}/" for p, k in _DATA_KINDS.items()}

PREFIXES: Final[dict[str, str]] = {
    "hk": HK,
    "hkv": VOCAB_BASE,
    **{p: f"{VOCAB_BASE}{s}/" for p, s in _VOCAB_SCHEMES.items()},
    **DATA_PREFIXES,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "geof": "http://www.opengis.net/def/function/geosparql/",
    "crm": "http://www.cidoc-crm.org/cidoc-crm/",
    "cito": "http://purl.org/spar/cito/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "edm": "http://www.europeana.eu/schemas/edm/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
}


def sparql_prologue(prefixes: dict[str, str] | None = None) -> str:
    """Return `PREFIX` lines for the given table (default: all), for queries written by people."""
    table = PREFIXES if prefixes is None else prefixes
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in table.items())
