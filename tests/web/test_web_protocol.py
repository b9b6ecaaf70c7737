"""/sparql, /update and /store on the real server with real clients: SPARQLWrapper, rdflib's
SPARQLStore and httpx; errors, auth, CORS, the body bound, the Service Description, the switch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from live_server import ROOT, LiveServer, StartServer, kg_environment
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, XML, SPARQLWrapper

from kg.errors import ProtocolError
from kg.web.update_dataset import with_using_graphs

FORTRESS = "http://example.org/demo-fortress"
HK = "https://w3id.org/heritage-kg/ontology#"


def test_sparqlwrapper_select_ask_construct(server: LiveServer) -> None:
    client = SPARQLWrapper(server.url("/sparql"))
    client.setQuery(f"SELECT ?p WHERE {{ <{FORTRESS}> ?p ?o }} ORDER BY ?p LIMIT 1")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert rows and rows[0]["p"]["type"] == "uri"
    client.setQuery(f"ASK {{ <{FORTRESS}> ?p ?o }}")
    client.setReturnFormat(XML)
    assert client.query().convert().getElementsByTagName("boolean")[0].firstChild.data == "true"
    client.setQuery(f"CONSTRUCT {{ <{FORTRESS}> ?p ?o }} WHERE {{ <{FORTRESS}> ?p ?o }}")
    graph = client.queryAndConvert()
    assert isinstance(graph, Graph) and len(graph) > 0


def test_rdflib_sparqlstore_select_ask_construct(server: LiveServer) -> None:
    store = SPARQLStore(server.url("/sparql"))
    rows = list(store.query(f"SELECT ?o WHERE {{ <{FORTRESS}> <{HK}condition> ?o }}"))
    assert rows == [(URIRef("https://w3id.org/heritage-kg/vocab/condition/restored"),)]
    assert store.query(f"ASK {{ <{FORTRESS}> ?p ?o }}").askAnswer is True
    constructed = store.query(f"CONSTRUCT {{ <{FORTRESS}> ?p ?o }} WHERE {{ <{FORTRESS}> ?p ?o }}")
    assert constructed.graph is not None and len(constructed.graph) > 0


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json", "application/sparql-results+json"),
    ],
)
def test_results_formats(server: LiveServer, accept: str, media_type: str) -> None:
    response = httpx.get(
        server.url("/sparql"), params={"query": "SELECT (1 AS ?x) {}"}, headers={"accept": accept}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"])
def test_graph_formats_parse(server: LiveServer, fmt: str) -> None:
    response = httpx.get(
        server.url("/sparql"),
        params={"query": f"DESCRIBE <{FORTRESS}>", "format": fmt},
    )
    assert response.status_code == 200
    parsed = list(
        ox.parse(response.content, format=ox.RdfFormat.from_media_type(
            response.headers["content-type"].split(";")[0]))  # type: ignore[arg-type]
    )
    assert parsed


def test_etag_and_304(server: LiveServer) -> None:
    params = {"query": f"ASK {{ <{FORTRESS}> ?p ?o }}"}
    first = httpx.get(server.url("/sparql"), params=params)
    assert first.status_code == 200 and first.headers["etag"]
    again = httpx.get(
        server.url("/sparql"), params=params, headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_malformed_query_is_400_with_the_parsers_message_and_position(server: LiveServer) -> None:
    response = httpx.get(
        server.url("/sparql"),
        params={"query": "SELECT ?s\nWHERE { ?s ?p }"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "QuerySyntaxError"
    try:  # what pyoxigraph itself says about the user's text, without our BASE and prefixes
        ox.Store().query("SELECT ?s\nWHERE { ?s ?p }")
    except SyntaxError as exc:
        direct = str(exc)
    assert direct.startswith(f"error at {body['line']}:{body['column']}")
    assert "expected" in body["message"]


def test_not_acceptable_is_406(server: LiveServer) -> None:
    response = httpx.get(
        server.url("/sparql"), params={"query": "ASK {}"}, headers={"accept": "image/png"}
    )
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("accept", "parse_as"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_service_description(server: LiveServer, accept: str, parse_as: ox.RdfFormat) -> None:
    response = httpx.get(server.url("/sparql"), headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == parse_as.media_type
    store = ox.Store()
    store.load(response.content, format=parse_as)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    ask = store.query(
        f"ASK {{ ?s a <{sd}Service> ; <{sd}endpoint> <{server.url('/sparql')}> ; "
        f"<{sd}supportedLanguage> <{sd}SPARQL11Query> }}"
    )
    assert bool(ask)


def test_cors_on_answers_errors_and_preflight(server: LiveServer) -> None:
    origin = {"origin": "https://example.org"}
    ok = httpx.get(server.url("/sparql"), params={"query": "ASK {}"}, headers=origin)
    bad = httpx.get(server.url("/sparql"), params={"query": "ASK {"}, headers=origin)
    denied = httpx.post(server.url("/update"), content="CLEAR ALL", headers=origin)
    for response in (ok, bad, denied):
        assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        server.url("/sparql"),
        headers={
            **origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}],
)
def test_writes_without_the_token_are_401(server: LiveServer, headers: dict[str, str]) -> None:
    update = httpx.post(
        server.url("/update"),
        content="CLEAR ALL",
        headers={"content-type": "application/sparql-update", **headers},
    )
    store = httpx.get(server.url("/store"), params={"default": ""}, headers=headers)
    put = httpx.put(
        server.url("/store"),
        params={"graph": "http://example.org/g"},
        content="<http://a> <http://b> <http://c> .",
        headers={"content-type": "text/turtle", **headers},
    )
    for response in (update, store, put):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    still_there = httpx.get(
        server.url("/sparql"), params={"query": f"ASK {{ <{FORTRESS}> ?p ?o }}"}
    )
    assert still_there.json()["boolean"] is True


def test_writes_with_the_token_work(writable_store: Path, start_server: StartServer) -> None:
    server = start_server(writable_store)
    graph = "http://example.org/written"
    put = httpx.put(
        server.url("/store"),
        params={"graph": graph},
        content='<http://example.org/s> <http://example.org/p> "via GSP" .',
        headers={"content-type": "text/turtle", **server.auth()},
    )
    assert put.status_code == 201
    update = httpx.post(
        server.url("/update"),
        data={"update": f'INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/s> '
              f'<http://example.org/p> "via update" }} }}'},
        headers=server.auth(),
    )
    assert update.status_code == 204
    answer = httpx.get(
        server.url("/sparql"),
        params={"query": f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ORDER BY ?o"},
    )
    values = [b["o"]["value"] for b in answer.json()["results"]["bindings"]]
    assert values == ["via GSP", "via update"]


def test_writes_disabled_without_a_configured_token(
    writable_store: Path, start_server: StartServer
) -> None:
    server = start_server(writable_store, admin_token=None)
    response = httpx.post(
        server.url("/update"),
        content="CLEAR ALL",
        headers={"content-type": "application/sparql-update", "Authorization": "Bearer x"},
    )
    assert response.status_code == 401
    assert "disabled" in response.text


def test_request_body_bound_is_413(writable_store: Path, start_server: StartServer) -> None:
    server = start_server(writable_store, max_request_bytes="1000")
    big = "ASK {} #" + "x" * 2000
    declared = httpx.post(
        server.url("/sparql"), content=big, headers={"content-type": "application/sparql-query"}
    )
    assert declared.status_code == 413

    def chunks() -> object:
        yield b"ASK {} #"
        for _ in range(20):
            yield b"x" * 100

    streamed = httpx.post(
        server.url("/sparql"),
        content=chunks(),  # type: ignore[arg-type]
        headers={"content-type": "application/sparql-query"},
    )
    assert streamed.status_code == 413
    small = httpx.post(
        server.url("/sparql"),
        content="ASK {}",
        headers={"content-type": "application/sparql-query"},
    )
    assert small.status_code == 200


def test_open_writes_switch_refuses_a_public_host(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        env=kg_environment(tmp_path / "store", {"KG_OPEN_WRITES_FOR_TESTS": "true"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "open_writes_for_tests is only allowed with a loopback host" in result.stderr


def test_open_writes_settings_refuse_a_public_host() -> None:
    from pydantic import ValidationError

    from kg.settings import Settings

    with pytest.raises(ValidationError, match="loopback"):
        Settings(host="0.0.0.0", open_writes_for_tests=True)
    assert Settings(host="::1", open_writes_for_tests=True).open_writes_for_tests


def test_using_graphs_are_written_before_each_operation_where() -> None:
    update = (
        "PREFIX ex: <http://ex/> CLEAR ALL ;"
        ' INSERT DATA { GRAPH ex:g { ex:a ex:where "WHERE {" } } ;'
        " INSERT { GRAPH ex:o { ?s a ex:T } } WHERE { ?s a ex:U } ; DELETE WHERE { ?s ?p ?o }"
    )
    rewritten = with_using_graphs(update, ["http://ex/d"], ["http://ex/n"])
    assert rewritten.count("USING <http://ex/d> USING NAMED <http://ex/n> WHERE") == 1
    assert "DELETE WHERE { ?s ?p ?o }" in rewritten
    with pytest.raises(ProtocolError):
        with_using_graphs(
            "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://d"], []
        )
