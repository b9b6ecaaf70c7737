"""Content negotiation as a table: Accept header / format= parameter → chosen format, or 406."""

from __future__ import annotations

import pytest

from kg.errors import NotAcceptableError
from kg.web.negotiation import (
    GraphFormat,
    Kind,
    Preference,
    ResultFormat,
    choose_graph_format,
    choose_result_format,
    parse_accept,
)

R, G = ResultFormat, GraphFormat

RESULT_CASES: list[tuple[str | None, str | None, ResultFormat]] = [
    (None, None, R.JSON),
    ("", None, R.JSON),
    ("*/*", None, R.JSON),
    ("application/sparql-results+json", None, R.JSON),
    ("application/json", None, R.JSON),
    ("application/sparql-results+xml", None, R.XML),
    ("application/xml", None, R.XML),
    ("text/xml", None, R.XML),
    ("text/csv", None, R.CSV),
    ("text/tab-separated-values", None, R.TSV),
    ("text/*", None, R.CSV),  # the first row whose own media type is text/*; aliases need exact
    ("text/csv;q=0.5, text/tab-separated-values", None, R.TSV),
    ("application/sparql-results+xml, application/sparql-results+json", None, R.XML),
    ("application/sparql-results+json;q=0.1, application/sparql-results+xml;q=0.9", None, R.XML),
    ("text/html, */*;q=0.1", None, R.JSON),  # a browser: nothing specific, the default wins
    (
        "application/sparql-results+json,application/json,text/javascript,application/javascript",
        None,
        R.JSON,
    ),  # SPARQLWrapper's JSON header
    ("text/csv; charset=utf-8", None, R.CSV),
    ("garbage, text/csv", None, R.CSV),  # a malformed element is skipped
    ("application/sparql-results+xml", "json", R.JSON),  # format= wins over Accept
    (None, "csv", R.CSV),
    (None, "TSV", R.TSV),
    (None, "application/sparql-results+xml", R.XML),
]

GRAPH_CASES: list[tuple[str | None, str | None, GraphFormat]] = [
    (None, None, G.TURTLE),
    ("*/*", None, G.TURTLE),
    ("text/turtle", None, G.TURTLE),
    ("application/x-turtle", None, G.TURTLE),
    ("application/n-triples", None, G.N_TRIPLES),
    ("text/plain", None, G.N_TRIPLES),
    ("application/n-quads", None, G.N_QUADS),
    ("application/trig", None, G.TRIG),
    ("application/rdf+xml", None, G.RDF_XML),
    ("application/xml", None, G.RDF_XML),
    ("application/ld+json", None, G.JSON_LD),
    ("application/json", None, G.JSON_LD),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.9", None, G.TURTLE),
    ("application/*", None, G.N_TRIPLES),  # the first application/* row of the table
    ("text/turtle;q=0, */*", None, G.N_TRIPLES),  # q=0 excludes Turtle explicitly
    (None, "ttl", G.TURTLE),
    (None, "nt", G.N_TRIPLES),
    (None, "jsonld", G.JSON_LD),
    (None, "json", G.JSON_LD),
    (None, "xml", G.RDF_XML),
    (None, "trig", G.TRIG),
    (None, "nquads", G.N_QUADS),
    ("text/turtle", "application/ld+json", G.JSON_LD),
]


@pytest.mark.parametrize(("accept", "param", "expected"), RESULT_CASES)
def test_result_format(accept: str | None, param: str | None, expected: ResultFormat) -> None:
    assert choose_result_format(accept, param) is expected


@pytest.mark.parametrize(("accept", "param", "expected"), GRAPH_CASES)
def test_graph_format(accept: str | None, param: str | None, expected: GraphFormat) -> None:
    assert choose_graph_format(accept, param) is expected


@pytest.mark.parametrize(
    ("accept", "param"),
    [
        ("text/html", None),
        ("image/png, text/html;q=0.9", None),
        ("application/sparql-results+json;q=0", None),
        (None, "turtle"),  # a graph format for a results answer
        (None, "docx"),
    ],
)
def test_results_not_acceptable(accept: str | None, param: str | None) -> None:
    with pytest.raises(NotAcceptableError):
        choose_result_format(accept, param)


@pytest.mark.parametrize(
    ("accept", "param"),
    [("text/html", None), ("text/csv", None), (None, "csv"), (None, "tsv")],
)
def test_graph_not_acceptable(accept: str | None, param: str | None) -> None:
    with pytest.raises(NotAcceptableError):
        choose_graph_format(accept, param)


def test_preference_resolves_per_kind() -> None:
    preference = Preference(accept="application/json")
    assert preference.for_kind(Kind.results) is R.JSON
    assert preference.for_kind(Kind.graph) is G.JSON_LD


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        (R.JSON, "application/sparql-results+json"),
        (R.CSV, "text/csv; charset=utf-8"),
        (G.TURTLE, "text/turtle; charset=utf-8"),
        (G.RDF_XML, "application/rdf+xml"),
    ],
)
def test_content_type_header(fmt: ResultFormat | GraphFormat, content_type: str) -> None:
    assert fmt.content_type == content_type


def test_parse_accept_reads_q_values_and_order() -> None:
    ranges = parse_accept("text/turtle;q=0.3, application/*;q=bad, */*")
    assert [(r.type, r.subtype, r.q, r.position) for r in ranges] == [
        ("text", "turtle", 0.3, 0),
        ("application", "*", 0.0, 1),
        ("*", "*", 1.0, 2),
    ]
