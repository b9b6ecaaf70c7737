"""The SPARQL behind an entity page: every query a page needs, and two ways of running them.

A `Select` runs one SELECT and returns its rows. `store_selector` reads a pyoxigraph store
directly — what a query worker uses to gather a whole page in one job, a dozen sub-millisecond
look-ups instead of a dozen round trips through the endpoint. `json_selector` goes through an
`Answerer` (the QueryService, or a remote store) and reads SPARQL JSON. Both give the same rows.

IRIs are put into queries only after they were checked against the minted-IRI pattern or came
out of the store itself (a store IRI cannot contain `>` or spaces), so no user text is ever
formatted into SPARQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import PREFIXES, VOCAB_BASE
from kg.web.entity_view import Labels, Point, Row, Term, parse_point

__all__ = [
    "SPARQL_JSON",
    "Answerer",
    "PageRows",
    "Select",
    "construct_query",
    "exists",
    "json_selector",
    "label_of",
    "labels_of",
    "page_rows",
    "store_selector",
]

#: Runs a SPARQL query and returns the body in the asked media type.
Answerer = Callable[[str, str], bytes]
#: Runs a SELECT (written with the prologue's prefixes) and returns its rows.
Select = Callable[[str], list[Row]]

SPARQL_JSON = "application/sparql-results+json"
_XSD_STRING = PREFIXES["xsd"] + "string"
_LANG_STRING = PREFIXES["rdf"] + "langString"

_PROLOGUE = "".join(
    f"PREFIX {p}: <{PREFIXES[p]}>\n"
    for p in ("rdf", "rdfs", "owl", "skos", "dcterms", "prov", "geo", "hk", "xsd")
)


def json_selector(answer: Answerer) -> Select:
    """A `Select` through `answer`, reading SPARQL JSON rows."""

    def select(query: str) -> list[Row]:
        document = json.loads(answer(_PROLOGUE + query, SPARQL_JSON))
        rows: list[Row] = []
        for binding in document["results"]["bindings"]:
            rows.append({
                var: Term(
                    kind=cell["type"] if cell["type"] != "typed-literal" else "literal",
                    value=cell["value"],
                    lang=cell.get("xml:lang", ""),
                    datatype=cell.get("datatype", ""),
                )
                for var, cell in binding.items()
            })
        return rows

    return select


def store_selector(store: ox.Store) -> Select:
    """A `Select` on `store` itself (union default graph), with the same rows as SPARQL JSON."""

    def select(query: str) -> list[Row]:
        result = store.query(_PROLOGUE + query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        for solution in result:
            row: Row = {}
            for name in names:
                term = solution[name]
                if term is not None:
                    row[name] = _term(term)
            rows.append(row)
        return rows

    return select


def _term(term: object) -> Term:
    """A pyoxigraph term as SPARQL JSON would give it (no datatype for plain or tagged strings)."""
    if isinstance(term, ox.NamedNode):
        return Term("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    assert isinstance(term, ox.Literal)
    datatype = term.datatype.value
    return Term(
        "literal",
        term.value,
        lang=term.language or "",
        datatype="" if datatype in (_XSD_STRING, _LANG_STRING) else datatype,
    )


def exists(select: Select, iri: str) -> bool:
    """Whether the graph says anything about `iri` (as subject or object)."""
    rows = select(f"SELECT ?p WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }} LIMIT 1")
    return bool(rows)


def construct_query(iri: str) -> str:
    """The CONSTRUCT behind an entity's data: its triples, the events about it, the statements
    about both, and their blank nodes (citations, time spans, geometry).

    The same text is offered in the query editor ("open this page's data"), so a reader can
    start from exactly what the page was made of.
    """
    return (
        _PROLOGUE
        + f"""CONSTRUCT {{
  ?s ?p ?o .
  ?o ?p2 ?o2 .
  ?o2 ?p3 ?o3 .
}}
WHERE {{
  {{ BIND(<{iri}> AS ?s) }}
  UNION {{ ?s rdf:subject <{iri}> ; a hk:Statement }}
  UNION {{ ?s hk:concerns <{iri}> ; a hk:Event }}
  UNION {{ ?event hk:concerns <{iri}> . ?s rdf:subject ?event ; a hk:Statement }}
  ?s ?p ?o .
  OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2 .
             OPTIONAL {{ FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 }} }}
}}"""
    )


def label_of(select: Select, iri: str, lang: str) -> tuple[str, str]:
    """The label of one IRI for a reader of `lang`."""
    return labels_of(select, [iri]).pick(iri, lang)


def labels_of(select: Select, iris: Sequence[str]) -> Labels:
    """The labels of `iris` in every language (rdfs:label, SKOS, titles, written forms)."""
    labels = Labels()
    for start in range(0, len(iris), 400):
        chunk = iris[start:start + 400]
        rows = select(
            f"""SELECT ?x ?l WHERE {{
              VALUES ?x {{ {_values(chunk)} }}
              ?x rdfs:label|skos:prefLabel|dcterms:title|hk:writtenForm ?l
            }} ORDER BY ?x ?l""",
        )
        for row in rows:
            labels.add(row["x"].value, row["l"].value, row["l"].lang)
    return labels


@dataclass(frozen=True, slots=True)
class PageRows:
    """The rows of every query an entity page needs, before the labels of what they mention."""

    out_rows: list[Row]
    in_rows: list[Row]
    statement_rows: list[Row]
    event_rows: list[Row]
    name_rows: list[Row]
    media_rows: list[Row]
    cited_rows: list[Row]
    citation_rows: list[Row]
    date_rows: list[Row]
    contradiction_rows: list[Row]
    point: Point | None
    site_points: list[Row]  # every site with a WKT point (?x ?wkt), when the entity has one

    def event_iris(self) -> list[str]:
        """The events on the page's timeline, sorted."""
        return sorted({r["ev"].value for r in self.event_rows})


def page_rows(select: Select, iri: str, site_points: Callable[[], list[Row]]) -> PageRows:
    """Run the page's queries for `iri`; `site_points` gives every site's point (memoised)."""
    out_rows = select(f"SELECT DISTINCT ?p ?o WHERE {{ <{iri}> ?p ?o }} ORDER BY ?p ?o")
    in_rows = select(
        f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{iri}> FILTER(isIRI(?s)) }} "
        "ORDER BY ?p ?s LIMIT 2000",
    )
    statement_rows = _statement_rows(select, iri)
    event_rows = select(
        f"""SELECT DISTINCT ?ev ?type WHERE {{
          {{ ?ev hk:concerns <{iri}> }} UNION {{ ?ev hk:tookPlaceAt <{iri}> }}
          UNION {{ ?st rdf:subject ?ev ; rdf:object <{iri}> . ?ev a hk:Event }}
          UNION {{ BIND(<{iri}> AS ?ev) ?ev a hk:Event }}
          OPTIONAL {{ ?ev hk:eventType ?type }}
        }} ORDER BY ?ev""",
    )
    name_rows = select(
        f"""SELECT ?name ?form ?script ?type ?edtf WHERE {{
          <{iri}> hk:hasName ?name . ?name hk:writtenForm ?form .
          OPTIONAL {{ ?name hk:script ?script }}
          OPTIONAL {{ ?name hk:nameType ?type }}
          OPTIONAL {{ ?name hk:usedDuring/hk:edtf ?edtf }}
        }} ORDER BY ?form ?name""",
    )
    media_rows = select(
        f"""SELECT ?m ?url ?format ?license ?rights WHERE {{
          ?m hk:depicts <{iri}> .
          OPTIONAL {{ ?m hk:accessURL ?url }} OPTIONAL {{ ?m dcterms:format ?format }}
          OPTIONAL {{ ?m dcterms:license ?license }} OPTIONAL {{ ?m dcterms:rights ?rights }}
        }} ORDER BY ?m""",
    )
    cited_rows = select(
        f"""SELECT DISTINCT ?x ?about ?c ?lp ?loc WHERE {{
          ?c hk:citedSource <{iri}> . ?x prov:wasDerivedFrom ?c .
          OPTIONAL {{ ?x rdf:subject ?about }}
          OPTIONAL {{ ?about hk:hasName ?x }}
          OPTIONAL {{ ?x hk:concerns ?about }}
          OPTIONAL {{ ?c ?lp ?loc . ?lp rdfs:subPropertyOf+ hk:locator }}
        }} ORDER BY ?x LIMIT 2000""",
    )
    point = _point(select, iri)
    statement_iris = sorted({r["st"].value for r in statement_rows})
    name_iris = sorted({r["name"].value for r in name_rows})
    event_iris = sorted({r["ev"].value for r in event_rows})
    return PageRows(
        out_rows=out_rows,
        in_rows=in_rows,
        statement_rows=statement_rows,
        event_rows=event_rows,
        name_rows=name_rows,
        media_rows=media_rows,
        cited_rows=cited_rows,
        citation_rows=_citation_rows(select, [iri, *statement_iris, *name_iris]),
        date_rows=_event_date_rows(select, event_iris),
        contradiction_rows=_contradictions(select, statement_iris),
        point=point,
        site_points=site_points() if point is not None else [],
    )


#: Every heritage site with a WKT point; the same for every page of one build.
SITE_POINTS_QUERY = (
    "SELECT ?x ?wkt WHERE { ?x a hk:HeritageSite ; geo:hasGeometry/geo:asWKT ?wkt } ORDER BY ?x"
)


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _statement_rows(select: Select, iri: str) -> list[Row]:
    """The statements about `iri` (or with it as value, or about its events), with qualifiers.

    Asked in two steps: which statements, then their details for exactly those (`VALUES`).
    Written as one query, Oxigraph joined every statement of the store before the union that
    selects a handful (0.5-1 s per page at 100k triples, against a few ms in two steps). A
    statement that is a blank node cannot be named in `VALUES`; then the one-query form is used.
    """
    which = select(
        f"""SELECT DISTINCT ?st WHERE {{
          {{ ?st rdf:subject <{iri}> }} UNION {{ ?st rdf:object <{iri}> }}
          UNION {{ ?ev hk:concerns <{iri}> . ?st rdf:subject ?ev }}
        }}""",
    )
    if not which:
        return []
    if all(r["st"].is_iri for r in which):
        chosen = f"VALUES ?st {{ {_values(r['st'].value for r in which)} }}"
    else:
        chosen = f"""{{ ?st rdf:subject <{iri}> }} UNION {{ ?st rdf:object <{iri}> }}
          UNION {{ ?ev hk:concerns <{iri}> . ?st rdf:subject ?ev }}"""
    return select(
        f"""SELECT DISTINCT ?st ?subj ?pred ?obj ?rank ?cert ?ver ?reason ?who
                 ?edtf ?earliest ?wording ?orig WHERE {{
          {chosen}
          ?st a hk:Statement ; rdf:subject ?subj ; rdf:predicate ?pred ; rdf:object ?obj .
          OPTIONAL {{ ?st hk:rank ?rank }}
          OPTIONAL {{ ?st hk:certainty ?cert }}
          OPTIONAL {{ ?st hk:verification ?ver }}
          OPTIONAL {{ ?st hk:deprecationReason ?reason }}
          OPTIONAL {{ ?st prov:wasAttributedTo ?who }}
          OPTIONAL {{ ?obj hk:edtf ?edtf }}
          OPTIONAL {{ ?obj hk:earliest ?earliest }}
          OPTIONAL {{ ?obj hk:sourceWording ?wording }}
          OPTIONAL {{ ?obj hk:originalDating ?orig }}
        }} ORDER BY ?subj ?pred ?st LIMIT 5000""",
    )


def _citation_rows(select: Select, nodes: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(nodes), 300):
        chunk = nodes[start:start + 300]
        rows += select(
            f"""SELECT DISTINCT ?x ?c ?src ?lp ?loc ?quote WHERE {{
              VALUES ?x {{ {_values(chunk)} }}
              ?x prov:wasDerivedFrom ?c . ?c hk:citedSource ?src .
              OPTIONAL {{ ?c ?lp ?loc . ?lp rdfs:subPropertyOf+ hk:locator }}
              OPTIONAL {{ ?c hk:quotation ?quote }}
            }} ORDER BY ?x ?src ?c ?lp""",
        )
    return rows


def _event_date_rows(select: Select, events: Sequence[str]) -> list[Row]:
    if not events:
        return []
    return select(
        f"""SELECT DISTINCT ?ev ?st ?edtf ?earliest ?wording ?orig WHERE {{
          VALUES ?ev {{ {_values(events)} }}
          ?st rdf:subject ?ev ; rdf:predicate hk:timespan ; rdf:object ?obj ; hk:rank ?rank .
          FILTER(?rank != <{VOCAB_BASE}rank/deprecated>)
          ?obj hk:edtf ?edtf .
          OPTIONAL {{ ?obj hk:earliest ?earliest }}
          OPTIONAL {{ ?obj hk:sourceWording ?wording }}
          OPTIONAL {{ ?obj hk:originalDating ?orig }}
        }} ORDER BY ?ev ?st""",
    )


def _contradictions(select: Select, statements: Sequence[str]) -> list[Row]:
    if not statements:
        return []
    return select(
        f"""SELECT DISTINCT ?a ?b WHERE {{
          VALUES ?a {{ {_values(statements)} }} ?a hk:contradicts|^hk:contradicts ?b
        }}""",
    )


def _point(select: Select, iri: str) -> Point | None:
    rows = select(
        f"""SELECT ?wkt ?precision WHERE {{
          <{iri}> geo:hasGeometry ?g . ?g geo:asWKT ?wkt .
          OPTIONAL {{ ?g hk:precisionMeters ?precision }}
        }} LIMIT 1""",
    )
    if not rows:
        return None
    parsed = parse_point(rows[0]["wkt"].value)
    if parsed is None:
        return None
    precision = rows[0].get("precision")
    return Point(lon=parsed[0], lat=parsed[1], precision_m=precision.value if precision else "")
