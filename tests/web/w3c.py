"""Replaying the W3C SPARQL 1.1 Protocol and Graph Store Protocol manifests against a server.

The manifests (`../shared/conformance/sparql11/`) describe each test as HTTP exchanges in the W3C
HTTP-in-RDF vocabulary: method, path, headers, body, and the expected status (or status class),
result kind, boolean, Content-Type and RDF body. They are read here with rdflib, as written —
nothing is re-typed by hand — and replayed with httpx, which adds no Content-Type of its own.
Checks: status, result kind by Content-Type, the ASK boolean, the media type of the expected
Content-Type, and graph isomorphism of RDF bodies.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[2]
SUITE = (ROOT / ".." / "shared" / "conformance" / "sparql11").resolve()

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

_NAMED_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}


@dataclass
class Expected:
    """What a response must show."""

    statuses: list[str] = field(default_factory=list)
    fmt: str | None = None
    boolean: bool | None = None
    content_type: str | None = None
    body: str | None = None
    location_variable: str | None = None


@dataclass
class Exchange:
    """One request of a test and its expected response."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    encoding: str
    expected: Expected


@dataclass
class W3CTest:
    """A manifest entry: its name, the graphs to load first, and its exchanges in order."""

    id: str
    name: str
    graph_data: dict[str, Path]
    exchanges: list[Exchange]


def read_manifest(path: Path) -> list[W3CTest]:
    """The tests of one manifest, in the order of its `mf:entries` list."""
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    entries = next(graph.objects(None, MF.entries), None)
    assert entries is not None, f"{path} has no mf:entries"
    return [_read_test(graph, entry) for entry in Collection(graph, entries)]


def _text(graph: Graph, node: Node, prop: URIRef) -> str | None:
    value = graph.value(node, prop)  # type: ignore[arg-type]
    return None if value is None else str(value)


def _read_test(graph: Graph, entry: Node) -> W3CTest:
    graph_data: dict[str, Path] = {}
    for data in graph.objects(entry, UT.graphData):  # type: ignore[arg-type]
        file = graph.value(data, UT.graph)  # type: ignore[arg-type]
        label = graph.value(data, RDFS.label)  # type: ignore[arg-type]
        assert file is not None and label is not None
        graph_data[str(label)] = Path(str(file).removeprefix("file://"))
    action = graph.value(entry, MF.action)  # type: ignore[arg-type]
    requests = graph.value(action, HT.requests)  # type: ignore[arg-type]
    exchanges = [_read_exchange(graph, r) for r in Collection(graph, requests)]  # type: ignore[arg-type]
    return W3CTest(
        id=str(entry).rsplit("#", 1)[-1],
        name=_text(graph, entry, MF.name) or "",
        graph_data=graph_data,
        exchanges=exchanges,
    )


def _headers(graph: Graph, node: Node | None) -> dict[str, str]:
    if node is None:
        return {}
    listed = graph.value(node, HT.headers)  # type: ignore[arg-type]
    if listed is None:
        return {}
    return {
        (_text(graph, h, HT.fieldName) or "").lower(): _text(graph, h, HT.fieldValue) or ""
        for h in Collection(graph, listed)  # type: ignore[arg-type]
    }


def _read_exchange(graph: Graph, request: Node) -> Exchange:
    body = graph.value(request, HT.body)  # type: ignore[arg-type]
    response = graph.value(request, HT.resp)  # type: ignore[arg-type]
    assert response is not None
    expected_body = graph.value(response, HT.body)  # type: ignore[arg-type]
    boolean = graph.value(response, MF.expectedBoolean)  # type: ignore[arg-type]
    expected = Expected(
        statuses=sorted(
            str(s).rsplit("#", 1)[-1]
            for s in graph.objects(response, MF.expectedStatus)  # type: ignore[arg-type]
        ),
        fmt=_text(graph, response, MF.expectedFormat),
        boolean=None if boolean is None else bool(boolean.toPython()),  # type: ignore[attr-defined]
        content_type=_headers(graph, response).get("content-type"),
        body=None if expected_body is None else _text(graph, expected_body, CNT.chars),
        location_variable=_text(graph, response, MF.expectedLocation),
    )
    return Exchange(
        method=_text(graph, request, HT.methodName) or "GET",
        path=_text(graph, request, HT.absolutePath) or "/",
        headers=_headers(graph, request),
        body=None if body is None else _text(graph, body, CNT.chars),
        encoding=(None if body is None else _text(graph, body, CNT.characterEncoding)) or "UTF-8",
        expected=expected,
    )


def _status_ok(status: int, expected: list[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode") and name.endswith("xx"):
            if status // 100 == int(name[len("StatusCode")]):
                return True
        elif _NAMED_STATUS.get(name) == status:
            return True
    return False


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check(response: httpx.Response, expected: Expected) -> str | None:
    """None if the response meets `expected`, else why not."""
    if not _status_ok(response.status_code, expected.statuses):
        return f"status {response.status_code}, expected {expected.statuses}: {response.text[:300]}"
    media = _media(response.headers.get("content-type"))
    if expected.fmt == "boolean" or expected.boolean is not None:
        try:
            value = _boolean(media, response.content)
        except (ValueError, KeyError, ET.ParseError) as exc:
            return f"not a boolean result ({media}): {exc}"
        if expected.boolean is not None and value is not expected.boolean:
            return f"boolean {value}, expected {expected.boolean}"
    elif expected.fmt == "tabular" and media not in RESULT_TYPES:
        return f"Content-Type {media} is not a SPARQL results format"
    elif expected.fmt == "RDF":
        if media not in RDF_TYPES:
            return f"Content-Type {media} is not an RDF format"
        try:
            list(ox.parse(response.content, format=RDF_TYPES[media]))
        except SyntaxError as exc:
            return f"the RDF body does not parse: {exc}"
    if expected.content_type is not None and media != _media(expected.content_type):
        return f"Content-Type {media}, expected {expected.content_type}"
    if expected.body is not None:
        fmt = {"text/turtle": "turtle", "application/n-triples": "nt"}.get(media, media)
        got = Graph().parse(data=response.text, format=fmt)
        want = Graph().parse(data=expected.body, format="turtle")
        if not isomorphic(got, want):
            return f"graph differs:\n{response.text}"
    return None


def _boolean(media: str, body: bytes) -> bool:
    if media in ("application/sparql-results+json", "application/json"):
        value = json.loads(body)["boolean"]
        if not isinstance(value, bool):
            raise ValueError("boolean is not a JSON boolean")
        return value
    if media in ("application/sparql-results+xml", "application/xml", "text/xml"):
        found = ET.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
        if found is None or found.text not in ("true", "false"):
            raise ValueError("no <boolean> element")
        return found.text == "true"
    raise ValueError(f"{media} is not a boolean results format")


def replay(
    client: httpx.Client,
    test: W3CTest,
    *,
    route: Callable[[Exchange], str],
    auth: Callable[[str], dict[str, str]],
) -> str | None:
    """Run a test's exchanges in order; None if all pass, else the first failure.

    `route` maps an exchange to the server path (the manifests use /sparql/ and /gsp); `auth`
    gives the extra headers for a path (the admin token on write endpoints).
    """
    variables: dict[str, str] = {}
    for number, exchange in enumerate(test.exchanges, start=1):
        path = route(exchange)
        body = exchange.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name, value) if body is not None else None
        headers = {**exchange.headers, **auth(path)}
        content = None if body is None else body.encode(exchange.encoding.lower())
        response = client.request(exchange.method, path, headers=headers, content=content)
        problem = check(response, exchange.expected)
        if problem is not None:
            return f"request {number} ({exchange.method} {path}): {problem}"
        if exchange.expected.location_variable:
            location = response.headers.get("location")
            if not location:
                return f"request {number}: no Location header"
            variables[exchange.expected.location_variable] = location
    return None
