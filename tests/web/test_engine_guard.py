"""The SERVICE/LOAD guard and the query size bound, read straight from `kg.web.guard`."""

from __future__ import annotations

import pytest

from kg.errors import QueryRefusedError, RequestTooLargeError
from kg.web.guard import check_query, check_update

ALLOWED = ("http://127.0.0.1:9/sparql",)


def _query(text: str, allowlist: tuple[str, ...] = ALLOWED) -> bool:
    """True if the guard lets the query through, False if it refuses it."""
    try:
        check_query(text, allowlist=allowlist, max_bytes=100_000)
    except QueryRefusedError:
        return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
        "PREFIX e: <http://example.org/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
        "BASE <http://example.org/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <relative> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE unknown:x { ?s ?p ?o } }",
        # \u escapes are decoded before parsing (Oxigraph runs SEL\u0045CT), so they count
        r"SELECT * WHERE { SERV\u0049CE <http://example.org/sparql> { ?s ?p ?o } }",
        # an escaped quote closes the string once decoded, exposing the SERVICE after it
        r'SELECT * WHERE { ?s ?p "\u0022 SERVICE <http://example.org/> { ?a ?b ?c } }',
        # the allowlist is a prefix of IRIs, not of hosts
        "SELECT * WHERE { SERVICE <http://127.0.0.2:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o } LOAD <http://example.org/data.ttl>",
    ],
)
def test_refused(text: str) -> None:
    assert not _query(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p 'SERVICE <http://example.org/>' }",
        'SELECT * WHERE { ?s ?p """LOAD <http://example.org/>\nSERVICE <x>""" }',
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://example.org/sparql>",
        "SELECT ?service ?load WHERE { ?service <http://example.org/service> ?load }",
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ex:load }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql/sub> { ?s ?p ?o } }",
    ],
)
def test_allowed(text: str) -> None:
    assert _query(text)


def test_an_empty_allowlist_refuses_every_service() -> None:
    text = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with pytest.raises(QueryRefusedError, match="empty"):
        check_query(text, allowlist=(), max_bytes=1000)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("LOAD <http://example.org/data.ttl>", True),
        ("load silent <http://example.org/data.ttl> INTO GRAPH <http://example.org/g>", True),
        ("LOAD <http://127.0.0.1:9/sparql/data.ttl>", False),
        ("INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", True),
        ("INSERT DATA { <http://example.org/a> <http://example.org/b> 'LOAD <x>' }", False),
        ("CLEAR ALL ; LOAD <http://example.org/x>", True),
    ],
)
def test_updates(text: str, refused: bool) -> None:
    if refused:
        with pytest.raises(QueryRefusedError):
            check_update(text, allowlist=ALLOWED, max_bytes=1000)
    else:
        check_update(text, allowlist=ALLOWED, max_bytes=1000)


def test_size_bound_counts_utf8_bytes() -> None:
    text = "SELECT * WHERE { ?s ?p 'ə' }"  # ə is two bytes in UTF-8
    check_query(text, allowlist=(), max_bytes=len(text) + 1)
    with pytest.raises(RequestTooLargeError, match=f"{len(text) + 1} bytes"):
        check_query(text, allowlist=(), max_bytes=len(text))
    with pytest.raises(RequestTooLargeError):
        check_update(text, allowlist=(), max_bytes=len(text))


@pytest.mark.parametrize(
    ("text", "names_dataset"),
    [
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", True),
        ("select * from named <http://example.org/g> where { graph ?g { ?s ?p ?o } }", True),
        ("SELECT * WHERE { ?s ?p 'from' }", False),
        ("SELECT ?from WHERE { ?from ?p ?o }", False),
    ],
)
def test_own_dataset_is_noticed(text: str, names_dataset: bool) -> None:
    facts = check_query(text, allowlist=(), max_bytes=1000)
    assert facts.names_dataset is names_dataset
