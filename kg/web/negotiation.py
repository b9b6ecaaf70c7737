"""Content negotiation for SPARQL answers: pure functions over two tables, no HTTP objects.

A SELECT or ASK answer is a *results* document (JSON, XML, CSV, TSV); a CONSTRUCT or DESCRIBE
answer, a Graph Store GET and the Service Description are *graphs* (Turtle, N-Triples, N-Quads,
TriG, RDF/XML, JSON-LD). Which of the two a query needs is known only once it is parsed, so the
request's wishes are kept as a `Preference` and resolved per kind.

Rules, in order: a `format=` parameter (a short name such as `json`, `ttl`, or a media type) wins
over the Accept header; then the Accept header with q-values (the most specific matching range
decides a format's q; ties go to the range the client listed first, then to the table's order);
no Accept, or `*/*`, gives the first row of the table (JSON for results, Turtle for graphs).
Nothing acceptable raises `NotAcceptableError` (406).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, TypeVar

import pyoxigraph as ox

from kg.errors import NotAcceptableError

__all__ = [
    "GraphFormat",
    "Kind",
    "MediaRange",
    "Preference",
    "ResultFormat",
    "choose_graph_format",
    "choose_result_format",
    "parse_accept",
]


class Kind(enum.StrEnum):
    """What an answer is: a results document or an RDF graph (dataset)."""

    results = "results"
    graph = "graph"


class _MediaFormat:
    """What both format tables hold per member: (short name, media type, input aliases)."""

    short_name: str
    media_type: str
    aliases: tuple[str, ...]

    def __init__(self, name: str, media_type: str, aliases: tuple[str, ...]) -> None:
        self.short_name = name
        self.media_type = media_type
        self.aliases = aliases

    @property
    def content_type(self) -> str:
        """The Content-Type header value of an answer in this format."""
        return _with_charset(self.media_type)


class ResultFormat(_MediaFormat, enum.Enum):
    """SPARQL results formats: (short name, media type, aliases accepted on input)."""

    JSON = ("json", "application/sparql-results+json", ("application/json",))
    XML = ("xml", "application/sparql-results+xml", ("application/xml", "text/xml"))
    CSV = ("csv", "text/csv", ())
    TSV = ("tsv", "text/tab-separated-values", ())

    @property
    def oxigraph(self) -> ox.QueryResultsFormat:
        """pyoxigraph's writer for this format."""
        return _OX_RESULTS[self]


class GraphFormat(_MediaFormat, enum.Enum):
    """RDF formats: (short name, media type, aliases accepted on input)."""

    TURTLE = ("turtle", "text/turtle", ("application/x-turtle", "ttl"))
    N_TRIPLES = ("ntriples", "application/n-triples", ("text/plain", "nt", "n-triples"))
    N_QUADS = ("nquads", "application/n-quads", ("nq", "n-quads"))
    TRIG = ("trig", "application/trig", ())
    RDF_XML = ("rdfxml", "application/rdf+xml", ("application/xml", "text/xml", "xml", "rdf"))
    JSON_LD = ("jsonld", "application/ld+json", ("application/json", "json", "json-ld"))

    @property
    def oxigraph(self) -> ox.RdfFormat:
        """pyoxigraph's writer (and parser) for this format."""
        return _OX_GRAPH[self]

    @property
    def is_dataset(self) -> bool:
        """True for formats that carry named graphs (N-Quads, TriG)."""
        return self in (GraphFormat.N_QUADS, GraphFormat.TRIG)


class _Row(Protocol):
    """What the choosing functions need of a table row."""

    @property
    def short_name(self) -> str:
        """The `format=` name."""

    @property
    def media_type(self) -> str:
        """The canonical media type."""

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names and media types accepted for it."""


F = TypeVar("F", bound=_Row)

_OX_RESULTS = {
    ResultFormat.JSON: ox.QueryResultsFormat.JSON,
    ResultFormat.XML: ox.QueryResultsFormat.XML,
    ResultFormat.CSV: ox.QueryResultsFormat.CSV,
    ResultFormat.TSV: ox.QueryResultsFormat.TSV,
}
_OX_GRAPH = {
    GraphFormat.TURTLE: ox.RdfFormat.TURTLE,
    GraphFormat.N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    GraphFormat.N_QUADS: ox.RdfFormat.N_QUADS,
    GraphFormat.TRIG: ox.RdfFormat.TRIG,
    GraphFormat.RDF_XML: ox.RdfFormat.RDF_XML,
    GraphFormat.JSON_LD: ox.RdfFormat.JSON_LD,
}


def _with_charset(media_type: str) -> str:
    """Text formats say they are UTF-8; binary-safe `application/*` ones need no parameter."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One element of an Accept header: `type/subtype` (either may be `*`) and its q-value."""

    type: str
    subtype: str
    q: float
    position: int

    def specificity(self, media_type: str) -> int | None:
        """2 for an exact match, 1 for `type/*`, 0 for `*/*`, None if it does not match."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != main:
            return None
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else None


def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """The media ranges of an Accept header; malformed elements are skipped, as RFC 9110 allows.

    An absent or empty header is `*/*`.
    """
    if header is None or not header.strip():
        return (MediaRange("*", "*", 1.0, 0),)
    ranges: list[MediaRange] = []
    for position, element in enumerate(header.split(",")):
        media, *params = (part.strip() for part in element.split(";"))
        main, slash, sub = media.lower().partition("/")
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q, position))
    return tuple(ranges)


def _pick(table: tuple[F, ...], ranges: tuple[MediaRange, ...], accept: str | None) -> F:
    """The table row the ranges like best; `NotAcceptableError` if none is acceptable."""
    best: tuple[float, int, int] | None = None
    chosen: F | None = None
    for order, fmt in enumerate(table):
        decisive = _decisive_range(fmt, ranges)
        if decisive is None or decisive.q <= 0:
            continue
        # Higher q first, then the range the client listed earlier, then our table order.
        key = (decisive.q, -decisive.position, -order)
        if best is None or key > best:
            best, chosen = key, fmt
    if chosen is None:
        offered = ", ".join(f.media_type for f in table)
        raise NotAcceptableError(f"No acceptable format for Accept: {accept}. Offered: {offered}.")
    return chosen


def _decisive_range(fmt: _Row, ranges: tuple[MediaRange, ...]) -> MediaRange | None:
    """The most specific range matching `fmt` (its q-value counts), or None.

    The canonical media type matches at any specificity; an alias (`application/json` for JSON-LD)
    only when named exactly, since the answer is labelled with the canonical type.
    """
    scored: list[tuple[int, int, MediaRange]] = []
    for r in ranges:
        specificity = r.specificity(fmt.media_type)
        if specificity is None and any(
            r.specificity(alias) == 2 for alias in fmt.aliases if "/" in alias
        ):
            specificity = 2
        if specificity is not None:
            scored.append((specificity, -r.position, r))
    return max(scored, key=lambda item: (item[0], item[1]))[2] if scored else None


def _by_name(table: tuple[F, ...], name: str) -> F | None:
    """The row whose short name, media type or alias is `name` (case-insensitive)."""
    wanted = name.strip().lower().partition(";")[0].strip()
    for fmt in table:
        if wanted in (fmt.short_name, fmt.media_type, *fmt.aliases):
            return fmt
    return None


_RESULT_TABLE = tuple(ResultFormat)
_GRAPH_TABLE = tuple(GraphFormat)


def choose_result_format(accept: str | None, format_param: str | None = None) -> ResultFormat:
    """The results format for a SELECT or ASK answer."""
    if format_param:
        fmt: ResultFormat | None = _by_name(_RESULT_TABLE, format_param)
        if fmt is None:
            raise NotAcceptableError(
                f"format={format_param} is not a SPARQL results format; use one of "
                + ", ".join(f.short_name for f in _RESULT_TABLE)
                + "."
            )
        return fmt
    return _pick(_RESULT_TABLE, parse_accept(accept), accept)


def choose_graph_format(accept: str | None, format_param: str | None = None) -> GraphFormat:
    """The RDF format for a CONSTRUCT or DESCRIBE answer, a graph download or a description."""
    if format_param:
        found: GraphFormat | None = _by_name(_GRAPH_TABLE, format_param)
        if found is None:
            raise NotAcceptableError(
                f"format={format_param} is not an RDF format; use one of "
                + ", ".join(f.short_name for f in _GRAPH_TABLE)
                + "."
            )
        return found
    return _pick(_GRAPH_TABLE, parse_accept(accept), accept)


@dataclass(frozen=True, slots=True)
class Preference:
    """A request's format wishes, resolved once the answer's kind is known."""

    accept: str | None = None
    format_param: str | None = None

    def for_kind(self, kind: Kind) -> ResultFormat | GraphFormat:
        """The format for an answer of `kind`."""
        if kind is Kind.results:
            return choose_result_format(self.accept, self.format_param)
        return choose_graph_format(self.accept, self.format_param)
