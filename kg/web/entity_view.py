"""The view model of an entity page: plain dataclasses the templates only format.

Built by `kg.web.entity_build` from the rows of `kg.web.entity_queries`. The dataclasses are
picklable, so a query worker can build a view and send it back whole (one round trip per page).
Also here: how an IRI is named and linked (`short_name`, `href_of`, `kind_of`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.namespaces import BASE, HK, ID_BASE, PREFIXES, VOCAB_BASE

__all__ = [
    "Citation",
    "Entity",
    "EntityView",
    "Event",
    "Labels",
    "Link",
    "Media",
    "Name",
    "Point",
    "Property",
    "Row",
    "Statement",
    "StatementGroup",
    "Term",
    "href_of",
    "kind_of",
    "parse_point",
    "short_name",
]


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

