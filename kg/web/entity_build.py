"""An entity page's view, built from the rows of its queries: labels picked for the reader,
statements grouped by subject and predicate, citations attached, events put on a timeline.

`describe_entity` runs the page's queries through any `Select` (in the app: inside a query
worker, see `kg.web.worker`) and returns a plain `EntityView`; nothing here formats HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kg.namespaces import HK, PREFIXES
from kg.web.entity_queries import (
    SITE_POINTS_QUERY,
    PageRows,
    Select,
    construct_query,
    labels_of,
    page_rows,
)
from kg.web.entity_view import (
    Citation,
    Entity,
    EntityView,
    Event,
    Labels,
    Link,
    Media,
    Name,
    Point,
    Property,
    Row,
    Statement,
    StatementGroup,
    href_of,
    kind_of,
    parse_point,
    short_name,
)

__all__ = ["describe_entity"]

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCT = PREFIXES["dcterms"]
PROV = PREFIXES["prov"]
GEO = PREFIXES["geo"]

#: Properties shown in their own section, not in the generic property table.
_OWN_SECTIONS = {
    RDF + "type", RDFS + "label", RDFS + "comment", HK + "hasName", GEO + "hasGeometry",
    SKOS + "prefLabel", SKOS + "altLabel", SKOS + "definition", DCT + "title",
    PROV + "wasDerivedFrom",
}
#: Incoming links that the statements section already shows.
_INCOMING_SHOWN_ELSEWHERE = {RDF + "subject", RDF + "object", HK + "concerns", HK + "depicts"}


def describe_entity(
    select: Select, iri: str, lang: str,
    site_points: Callable[[], list[Row]] | None = None,
) -> EntityView:
    """Gather what the page of `iri` shows, in the reader's language `lang`.

    `site_points` may give the rows of `SITE_POINTS_QUERY` from a memo (they are the same for
    every page of a build); by default they are queried.
    """
    rows = page_rows(select, iri, site_points or (lambda: select(SITE_POINTS_QUERY)))
    point = rows.point
    nearby = _nearby(rows.site_points, point, iri)

    mentioned: set[str] = {iri, *(x for x, _ in nearby)}
    for found in (rows.out_rows, rows.in_rows, rows.statement_rows, rows.event_rows,
                  rows.name_rows, rows.media_rows, rows.cited_rows, rows.citation_rows):
        for row in found:
            mentioned.update(t.value for t in row.values() if t.is_iri)
    labels = labels_of(select, sorted(mentioned))
    link = _linker(labels, lang)
    return _view(iri, rows, nearby, labels, link, lang)


def _view(
    iri: str, rows: PageRows, nearby: list[tuple[str, Point]], labels: Labels,
    link: Callable[[str], Link], lang: str,
) -> EntityView:
    entity = _entity(iri, rows.out_rows, labels, link, lang)
    citations_by_node = _citations(rows.citation_rows, link)
    statements = _statements(
        rows.statement_rows, rows.contradiction_rows, citations_by_node, link, lang
    )
    return EntityView(
        entity=entity,
        point=rows.point,
        neighbours=[(link(x), p) for x, p in nearby],
        names=_names(rows.name_rows, citations_by_node, link),
        statement_groups=_group(statements),
        events=_events(rows.event_iris(), rows.event_rows, rows.date_rows, link),
        media=[
            Media(
                link=link(r["m"].value),
                url=r["url"].value if "url" in r else "",
                media_type=r["format"].value if "format" in r else "",
                license=r["license"].value if "license" in r else "",
                rights=r["rights"].value if "rights" in r else "",
            )
            for r in rows.media_rows
        ],
        properties=_properties(rows.out_rows, link),
        citations=citations_by_node.get(iri, []),
        cited_by=_cited_by(rows.cited_rows, link),
        incoming=_incoming(rows.in_rows, link),
        data_query=construct_query(iri),
    )


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


def _nearby(rows: list[Row], point: Point | None, iri: str) -> list[tuple[str, Point]]:
    """Sites with coordinates near `point` (within about 100 km), for the locator map.

    Only these are labelled and linked, not every site of `rows`.
    """
    if point is None:
        return []
    found = []
    for row in rows:
        parsed = parse_point(row["wkt"].value)
        if parsed is None or row["x"].value == iri:
            continue
        lon, lat = parsed
        if abs(lon - point.lon) <= 1.2 and abs(lat - point.lat) <= 0.9:
            found.append((row["x"].value, Point(lon=lon, lat=lat, precision_m="")))
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
