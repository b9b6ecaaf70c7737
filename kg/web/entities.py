"""What an entity page shows, gathered from the graph with a handful of bounded SPARQL queries.

Every query goes through an `Answerer` — in the app, the QueryService (deadline, cache, metrics) —
so pages cost what queries cost and are cached with them. IRIs are put into queries only after they
were checked against the minted-IRI pattern or came out of the store itself (a store IRI cannot
contain `>` or spaces), so no user text is ever formatted into SPARQL.

The result is a plain `EntityView` of dataclasses; the templates only format it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kg.namespaces import BASE, HK, ID_BASE, PREFIXES, VOCAB_BASE

__all__ = [
    "Answerer",
    "Citation",
    "Entity",
    "EntityView",
    "Event",
    "Labels",
    "Link",
    "Name",
    "Point",
    "Statement",
    "StatementGroup",
    "Term",
    "construct_query",
    "describe_entity",
    "exists",
    "label_of",
    "labels_of",
    "select",
]

#: Runs a SPARQL query and returns the body in the asked media type.
Answerer = Callable[[str, str], bytes]

SPARQL_JSON = "application/sparql-results+json"
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCT = PREFIXES["dcterms"]
PROV = PREFIXES["prov"]
GEO = PREFIXES["geo"]

_PROLOGUE = "".join(
    f"PREFIX {p}: <{PREFIXES[p]}>\n"
    for p in ("rdf", "rdfs", "owl", "skos", "dcterms", "prov", "geo", "hk", "xsd")
)

#: Properties shown in their own section, not in the generic property table.
_OWN_SECTIONS = {
    RDF + "type", RDFS + "label", RDFS + "comment", HK + "hasName", GEO + "hasGeometry",
    SKOS + "prefLabel", SKOS + "altLabel", SKOS + "definition", DCT + "title",
    PROV + "wasDerivedFrom",
}
#: Incoming links that the statements section already shows.
_INCOMING_SHOWN_ELSEWHERE = {RDF + "subject", RDF + "object", HK + "concerns", HK + "depicts"}


@dataclass(frozen=True, slots=True)
class Term:
    """One RDF term of a SPARQL JSON result."""

    kind: str  # "uri", "literal", "bnode"
    value: str
    lang: str = ""
    datatype: str = ""

    @property
    def is_iri(self) -> bool:
        """An IRI (the JSON format calls it "uri")."""
        return self.kind == "uri"


Row = dict[str, Term]


class Labels:
    """Labels of many IRIs in many languages, and the choice of one for a reader."""

    def __init__(self) -> None:
        self._by_iri: dict[str, dict[str, str]] = {}

    def add(self, iri: str, text: str, lang: str) -> None:
        """Remember one label; the first label seen per language wins (results are sorted)."""
        self._by_iri.setdefault(iri, {}).setdefault(lang.lower(), text)

    def all(self, iri: str) -> dict[str, str]:
        """Every label of `iri`, by language tag."""
        return dict(self._by_iri.get(iri, {}))

    def pick(self, iri: str, lang: str) -> tuple[str, str]:
        """The best label of `iri` for a reader of `lang`, and its language tag.

        Order: the reader's language, English, Azerbaijani, Russian, any other, and at last the
        IRI's short form, so a page never shows an empty link.
        """
        labels = self._by_iri.get(iri, {})
        for candidate in (lang, "en", "az", "ru", ""):
            if candidate in labels:
                return labels[candidate], candidate
        if labels:
            tag = sorted(labels)[0]
            return labels[tag], tag
        return short_name(iri), ""


@dataclass(frozen=True, slots=True)
class Link:
    """A link to another resource: where it goes and what it is called for this reader."""

    iri: str
    href: str
    label: str
    lang: str
    kind: str


@dataclass(frozen=True, slots=True)
class Citation:
    """A source and the places inside it (page, folio, timestamp…) that a claim rests on."""

    source: Link
    locators: tuple[tuple[str, str], ...]  # (locator name, value)
    quotation: str = ""


@dataclass(slots=True)
class Statement:
    """One sourced claim with everything that qualifies it."""

    iri: str
    subject: Link
    predicate: Link
    value: str  # a label, or a date span
    value_link: Link | None
    value_lang: str
    rank: str  # the rank's local name: preferred, normal, deprecated
    rank_label: str
    certainty: str = ""
    verification: str = ""
    deprecation_reason: str = ""
    attributed_to: list[Link] = field(default_factory=list)
    contradicts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    earliest: str = ""


@dataclass(slots=True)
class StatementGroup:
    """The statements about one subject and predicate; more than one value means a conflict."""

    subject: Link
    predicate: Link
    statements: list[Statement]

    @property
    def conflicting(self) -> bool:
        """Sources disagree: different values, or statements that say they contradict."""
        values = {s.value for s in self.statements}
        return len(values) > 1 or any(s.contradicts for s in self.statements)


@dataclass(frozen=True, slots=True)
class Name:
    """One attested name: written form, script, type, period of use and evidence."""

    iri: str
    form: str
    lang: str
    script: str
    types: tuple[str, ...]
    period: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class Event:
    """An event on the timeline: what happened, and the dates the sources give."""

    link: Link
    types: tuple[str, ...]
    dates: tuple[str, ...]
    earliest: str


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS84 point, with the precision the data claims."""

    lon: float
    lat: float
    precision_m: str


@dataclass(frozen=True, slots=True)
class Media:
    """A digital object depicting the entity."""

    link: Link
    url: str
    media_type: str
    license: str
    rights: str


@dataclass(frozen=True, slots=True)
class Property:
    """One row of the generic property table."""

    predicate: Link
    values: tuple[Link | str, ...]


@dataclass(slots=True)
class Entity:
    """The heading of a page: the entity, its labels, classes and description."""

    iri: str
    kind: str
    label: str
    label_lang: str
    labels: dict[str, str]
    classes: list[Link]
    description: str
    description_lang: str


@dataclass(slots=True)
class EntityView:
    """Everything an entity page shows."""

    entity: Entity
    point: Point | None
    neighbours: list[tuple[Link, Point]]
    names: list[Name]
    statement_groups: list[StatementGroup]
    events: list[Event]
    media: list[Media]
    properties: list[Property]
    citations: list[Citation]
    cited_by: list[tuple[Link, Link | None, tuple[tuple[str, str], ...]]]
    incoming: list[tuple[Link, list[Link]]]
    data_query: str


def select(answer: Answerer, query: str) -> list[Row]:
    """Run a SELECT through `answer` and read its SPARQL JSON rows."""
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


def exists(answer: Answerer, iri: str) -> bool:
    """Whether the graph says anything about `iri` (as subject or object)."""
    rows = select(
        answer, f"SELECT ?p WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }} LIMIT 1"
    )
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


def label_of(answer: Answerer, iri: str, lang: str) -> tuple[str, str]:
    """The label of one IRI for a reader of `lang`."""
    labels = labels_of(answer, [iri])
    return labels.pick(iri, lang)


def describe_entity(answer: Answerer, iri: str, lang: str) -> EntityView:
    """Gather what the page of `iri` shows, in the reader's language `lang`."""
    out_rows = select(answer, f"SELECT DISTINCT ?p ?o WHERE {{ <{iri}> ?p ?o }} ORDER BY ?p ?o")
    in_rows = select(
        answer,
        f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{iri}> FILTER(isIRI(?s)) }} "
        "ORDER BY ?p ?s LIMIT 2000",
    )
    statement_rows = _statement_rows(answer, iri)
    event_rows = select(
        answer,
        f"""SELECT DISTINCT ?ev ?type WHERE {{
          {{ ?ev hk:concerns <{iri}> }} UNION {{ ?ev hk:tookPlaceAt <{iri}> }}
          UNION {{ ?st rdf:subject ?ev ; rdf:object <{iri}> . ?ev a hk:Event }}
          UNION {{ BIND(<{iri}> AS ?ev) ?ev a hk:Event }}
          OPTIONAL {{ ?ev hk:eventType ?type }}
        }} ORDER BY ?ev""",
    )
    name_rows = select(
        answer,
        f"""SELECT ?name ?form ?script ?type ?edtf WHERE {{
          <{iri}> hk:hasName ?name . ?name hk:writtenForm ?form .
          OPTIONAL {{ ?name hk:script ?script }}
          OPTIONAL {{ ?name hk:nameType ?type }}
          OPTIONAL {{ ?name hk:usedDuring/hk:edtf ?edtf }}
        }} ORDER BY ?form ?name""",
    )
    media_rows = select(
        answer,
        f"""SELECT ?m ?url ?format ?license ?rights WHERE {{
          ?m hk:depicts <{iri}> .
          OPTIONAL {{ ?m hk:accessURL ?url }} OPTIONAL {{ ?m dcterms:format ?format }}
          OPTIONAL {{ ?m dcterms:license ?license }} OPTIONAL {{ ?m dcterms:rights ?rights }}
        }} ORDER BY ?m""",
    )
    cited_rows = select(
        answer,
        f"""SELECT DISTINCT ?x ?about ?c ?lp ?loc WHERE {{
          ?c hk:citedSource <{iri}> . ?x prov:wasDerivedFrom ?c .
          OPTIONAL {{ ?x rdf:subject ?about }}
          OPTIONAL {{ ?about hk:hasName ?x }}
          OPTIONAL {{ ?x hk:concerns ?about }}
          OPTIONAL {{ ?c ?lp ?loc . ?lp rdfs:subPropertyOf+ hk:locator }}
        }} ORDER BY ?x LIMIT 2000""",
    )
    point = _point(answer, iri)
    neighbours_rows = (
        select(
            answer,
            """SELECT ?x ?wkt WHERE { ?x a hk:HeritageSite ; geo:hasGeometry/geo:asWKT ?wkt }
               ORDER BY ?x""",
        )
        if point is not None
        else []
    )

    statement_iris = sorted({r["st"].value for r in statement_rows})
    name_iris = sorted({r["name"].value for r in name_rows})
    event_iris = sorted({r["ev"].value for r in event_rows})
    citation_rows = _citation_rows(answer, [iri, *statement_iris, *name_iris])
    date_rows = _event_date_rows(answer, event_iris)
    contradiction_rows = _contradictions(answer, statement_iris)

    mentioned: set[str] = {iri}
    for rows in (out_rows, in_rows, statement_rows, event_rows, name_rows, media_rows,
                 cited_rows, citation_rows, neighbours_rows):
        for row in rows:
            mentioned.update(t.value for t in row.values() if t.is_iri)
    labels = labels_of(answer, sorted(mentioned))
    link = _linker(labels, lang)

    entity = _entity(iri, out_rows, labels, link, lang)
    citations_by_node = _citations(citation_rows, link)
    statements = _statements(statement_rows, contradiction_rows, citations_by_node, link, lang)
    return EntityView(
        entity=entity,
        point=point,
        neighbours=_neighbours(neighbours_rows, point, iri, link),
        names=_names(name_rows, citations_by_node, link),
        statement_groups=_group(statements),
        events=_events(event_iris, event_rows, date_rows, link),
        media=[
            Media(
                link=link(r["m"].value),
                url=r["url"].value if "url" in r else "",
                media_type=r["format"].value if "format" in r else "",
                license=r["license"].value if "license" in r else "",
                rights=r["rights"].value if "rights" in r else "",
            )
            for r in media_rows
        ],
        properties=_properties(out_rows, link),
        citations=citations_by_node.get(iri, []),
        cited_by=_cited_by(cited_rows, link),
        incoming=_incoming(in_rows, link),
        data_query=construct_query(iri),
    )


# --- queries ---------------------------------------------------------------------------------


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def labels_of(answer: Answerer, iris: Sequence[str]) -> Labels:
    """The labels of `iris` in every language (rdfs:label, SKOS, titles, written forms)."""
    labels = Labels()
    for start in range(0, len(iris), 400):
        chunk = iris[start:start + 400]
        rows = select(
            answer,
            f"""SELECT ?x ?l WHERE {{
              VALUES ?x {{ {_values(chunk)} }}
              ?x rdfs:label|skos:prefLabel|dcterms:title|hk:writtenForm ?l
            }} ORDER BY ?x ?l""",
        )
        for row in rows:
            labels.add(row["x"].value, row["l"].value, row["l"].lang)
    return labels


def _statement_rows(answer: Answerer, iri: str) -> list[Row]:
    return select(
        answer,
        f"""SELECT DISTINCT ?st ?subj ?pred ?obj ?rank ?cert ?ver ?reason ?who
                 ?edtf ?earliest ?wording ?orig WHERE {{
          {{ ?st rdf:subject <{iri}> }} UNION {{ ?st rdf:object <{iri}> }}
          UNION {{ ?ev hk:concerns <{iri}> . ?st rdf:subject ?ev }}
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


def _citation_rows(answer: Answerer, nodes: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(nodes), 300):
        chunk = nodes[start:start + 300]
        rows += select(
            answer,
            f"""SELECT DISTINCT ?x ?c ?src ?lp ?loc ?quote WHERE {{
              VALUES ?x {{ {_values(chunk)} }}
              ?x prov:wasDerivedFrom ?c . ?c hk:citedSource ?src .
              OPTIONAL {{ ?c ?lp ?loc . ?lp rdfs:subPropertyOf+ hk:locator }}
              OPTIONAL {{ ?c hk:quotation ?quote }}
            }} ORDER BY ?x ?src ?c ?lp""",
        )
    return rows


def _event_date_rows(answer: Answerer, events: Sequence[str]) -> list[Row]:
    if not events:
        return []
    return select(
        answer,
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


def _contradictions(answer: Answerer, statements: Sequence[str]) -> list[Row]:
    if not statements:
        return []
    return select(
        answer,
        f"""SELECT DISTINCT ?a ?b WHERE {{
          VALUES ?a {{ {_values(statements)} }} ?a hk:contradicts|^hk:contradicts ?b
        }}""",
    )


def _point(answer: Answerer, iri: str) -> Point | None:
    rows = select(
        answer,
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


def parse_point(wkt: str) -> tuple[float, float] | None:
    """(lon, lat) of a WKT `POINT(lon lat)`, or None for any other geometry."""
    text = wkt.strip()
    if text.startswith("<"):  # an optional CRS IRI before the geometry
        text = text.split(">", 1)[-1].strip()
    if not text.upper().startswith("POINT") or "(" not in text:
        return None
    inner = text[text.index("(") + 1:text.rindex(")")].split()
    try:
        return float(inner[0]), float(inner[1])
    except (IndexError, ValueError):
        return None


# --- shaping ---------------------------------------------------------------------------------


def short_name(iri: str) -> str:
    """`prefix:local` for IRIs in our prefix table, else the IRI itself."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def href_of(iri: str) -> str:
    """Where our server shows `iri`: minted IRIs and vocabulary terms are local pages."""
    if iri.startswith(BASE):
        path = iri[len(BASE) - 1:]
        if iri.startswith(HK):
            return "/ontology#" + iri[len(HK):]
        return path
    return iri


def kind_of(iri: str) -> str:
    """site, place… for minted IRIs; vocab, ontology or external otherwise."""
    if iri.startswith(ID_BASE):
        return iri[len(ID_BASE):].split("/", 1)[0]
    if iri.startswith(VOCAB_BASE):
        return "vocab"
    if iri.startswith(HK):
        return "ontology"
    return "external"


def _linker(labels: Labels, lang: str) -> Callable[[str], Link]:
    def link(iri: str) -> Link:
        text, tag = labels.pick(iri, lang)
        return Link(iri=iri, href=href_of(iri), label=text, lang=tag, kind=kind_of(iri))

    return link


def _pick_literal(rows: Iterable[Row], var: str, lang: str) -> tuple[str, str]:
    found: dict[str, str] = {}
    for row in rows:
        if var in row:
            found.setdefault(row[var].lang.lower(), row[var].value)
    for candidate in (lang, "en", "az", "ru", ""):
        if candidate in found:
            return found[candidate], candidate
    if found:
        tag = sorted(found)[0]
        return found[tag], tag
    return "", ""


def _entity(
    iri: str, out_rows: list[Row], labels: Labels, link: Callable[[str], Link], lang: str
) -> Entity:
    label, label_lang = labels.pick(iri, lang)
    comments = [
        {"o": r["o"]} for r in out_rows if r["p"].value in (RDFS + "comment", SKOS + "definition")
    ]
    description, description_lang = _pick_literal(comments, "o", lang)
    return Entity(
        iri=iri,
        kind=kind_of(iri),
        label=label,
        label_lang=label_lang,
        labels=labels.all(iri),
        classes=[link(r["o"].value) for r in out_rows
                 if r["p"].value == RDF + "type" and r["o"].is_iri],
        description=description,
        description_lang=description_lang,
    )


def _citations(rows: list[Row], link: Callable[[str], Link]) -> dict[str, list[Citation]]:
    grouped: dict[tuple[str, str], tuple[str, list[tuple[str, str]], str]] = {}
    for row in rows:
        key = (row["x"].value, row["c"].value)
        src, locators, quote = grouped.setdefault(key, (row["src"].value, [], ""))
        if "lp" in row:
            locator = (short_name(row["lp"].value).removeprefix("hk:"), row["loc"].value)
            if locator not in locators:
                locators.append(locator)
        if "quote" in row and not quote:
            grouped[key] = (src, locators, row["quote"].value)
    result: dict[str, list[Citation]] = {}
    for (node, _), (src, locators, quote) in grouped.items():
        result.setdefault(node, []).append(
            Citation(source=link(src), locators=tuple(locators), quotation=quote)
        )
    return result


def _date_text(rows: list[Row]) -> str:
    first = rows[0]
    edtf = first["edtf"].value if "edtf" in first else ""
    wordings = sorted({r["wording"].value for r in rows if "wording" in r})
    original = first["orig"].value if "orig" in first else ""
    text = edtf
    if original:
        text += f" ({original})"
    if wordings:
        text += " — “" + "”, “".join(wordings) + "”"
    return text


def _statements(
    rows: list[Row],
    contradiction_rows: list[Row],
    citations: dict[str, list[Citation]],
    link: Callable[[str], Link],
    lang: str,
) -> list[Statement]:
    by_statement: dict[str, list[Row]] = {}
    for row in rows:
        by_statement.setdefault(row["st"].value, []).append(row)
    contradicts: dict[str, list[str]] = {}
    for row in contradiction_rows:
        contradicts.setdefault(row["a"].value, []).append(row["b"].value)
    statements = []
    for iri, st_rows in by_statement.items():
        first = st_rows[0]
        obj = first["obj"]
        value_link: Link | None = None
        if obj.is_iri:
            target = link(obj.value)
            value_link, value, value_lang = target, target.label, target.lang
        elif obj.kind == "bnode":
            value_link, value, value_lang = None, _date_text(st_rows), ""
        else:
            value_link, value, value_lang = None, obj.value, obj.lang
        rank = first["rank"].value if "rank" in first else ""
        reason, _ = _pick_literal(st_rows, "reason", lang)
        statements.append(Statement(
            iri=iri,
            subject=link(first["subj"].value),
            predicate=link(first["pred"].value),
            value=value,
            value_link=value_link,
            value_lang=value_lang,
            rank=rank.rsplit("/", 1)[-1],
            rank_label=link(rank).label if rank else "",
            certainty=link(first["cert"].value).label if "cert" in first else "",
            verification=link(first["ver"].value).label if "ver" in first else "",
            deprecation_reason=reason,
            attributed_to=[
                link(w) for w in sorted({r["who"].value for r in st_rows if "who" in r})
            ],
            contradicts=sorted(contradicts.get(iri, [])),
            citations=citations.get(iri, []),
            earliest=first["earliest"].value if "earliest" in first else "",
        ))
    return statements


def _group(statements: list[Statement]) -> list[StatementGroup]:
    groups: dict[tuple[str, str], StatementGroup] = {}
    for statement in statements:
        key = (statement.subject.iri, statement.predicate.iri)
        group = groups.setdefault(
            key, StatementGroup(subject=statement.subject, predicate=statement.predicate,
                                statements=[])
        )
        group.statements.append(statement)
    order = {"preferred": 0, "normal": 1, "deprecated": 2}
    for group in groups.values():
        group.statements.sort(key=lambda s: (order.get(s.rank, 3), s.earliest, s.iri))
    return list(groups.values())


def _names(
    rows: list[Row], citations: dict[str, list[Citation]], link: Callable[[str], Link]
) -> list[Name]:
    by_name: dict[str, list[Row]] = {}
    for row in rows:
        by_name.setdefault(row["name"].value, []).append(row)
    names = []
    for iri, name_rows in by_name.items():
        first = name_rows[0]
        names.append(Name(
            iri=iri,
            form=first["form"].value,
            lang=first["form"].lang,
            script=first["script"].value if "script" in first else "",
            types=tuple(sorted({link(r["type"].value).label for r in name_rows if "type" in r})),
            period=first["edtf"].value if "edtf" in first else "",
            citations=tuple(citations.get(iri, [])),
        ))
    return names


def _events(
    event_iris: list[str],
    rows: list[Row],
    date_rows: list[Row],
    link: Callable[[str], Link],
) -> list[Event]:
    dated: dict[str, dict[str, list[Row]]] = {}
    for row in date_rows:
        dated.setdefault(row["ev"].value, {}).setdefault(row["st"].value, []).append(row)
    events = []
    for iri in event_iris:
        types = tuple(sorted({link(r["type"].value).label for r in rows
                              if r["ev"].value == iri and "type" in r}))
        spans = sorted(dated.get(iri, {}).values(),
                       key=lambda rs: rs[0]["earliest"].value if "earliest" in rs[0] else "")
        dates = tuple(dict.fromkeys(_date_text(rs) for rs in spans))
        earliest = min((rs[0]["earliest"].value for rs in spans if "earliest" in rs[0]),
                       default="")
        events.append(Event(link=link(iri), types=types, dates=dates, earliest=earliest))
    events.sort(key=lambda e: (e.earliest == "", e.earliest, e.link.label))
    return events


def _neighbours(
    rows: list[Row], point: Point | None, iri: str, link: Callable[[str], Link]
) -> list[tuple[Link, Point]]:
    """Sites with coordinates near `point` (within about 100 km), for the locator map."""
    if point is None:
        return []
    found = []
    for row in rows:
        parsed = parse_point(row["wkt"].value)
        if parsed is None or row["x"].value == iri:
            continue
        lon, lat = parsed
        if abs(lon - point.lon) <= 1.2 and abs(lat - point.lat) <= 0.9:
            found.append((link(row["x"].value), Point(lon=lon, lat=lat, precision_m="")))
    return found


def _properties(rows: list[Row], link: Callable[[str], Link]) -> list[Property]:
    by_predicate: dict[str, list[Link | str]] = {}
    for row in rows:
        predicate, obj = row["p"].value, row["o"]
        if predicate in _OWN_SECTIONS or obj.kind == "bnode":
            continue
        value: Link | str = link(obj.value) if obj.is_iri else obj.value
        by_predicate.setdefault(predicate, []).append(value)
    return [Property(predicate=link(p), values=tuple(v)) for p, v in by_predicate.items()]


def _cited_by(
    rows: list[Row], link: Callable[[str], Link]
) -> list[tuple[Link, Link | None, tuple[tuple[str, str], ...]]]:
    grouped: dict[str, tuple[str | None, list[tuple[str, str]]]] = {}
    for row in rows:
        about = row["about"].value if "about" in row else None
        _, locators = grouped.setdefault(row["x"].value, (about, []))
        if "lp" in row:
            locator = (short_name(row["lp"].value).removeprefix("hk:"), row["loc"].value)
            if locator not in locators:
                locators.append(locator)
    return [
        (link(x), link(about) if about else None, tuple(locators))
        for x, (about, locators) in grouped.items()
    ]


def _incoming(rows: list[Row], link: Callable[[str], Link]) -> list[tuple[Link, list[Link]]]:
    by_predicate: dict[str, list[Link]] = {}
    for row in rows:
        predicate = row["p"].value
        if predicate in _INCOMING_SHOWN_ELSEWHERE or predicate == PROV + "wasDerivedFrom":
            continue
        by_predicate.setdefault(predicate, []).append(link(row["s"].value))
    return [(link(p), sorted(v, key=lambda x: x.label)) for p, v in by_predicate.items()]
