"""The W3C SPARQL 1.1 Protocol suite (34 tests), replayed against the real server.

Queries go to /sparql, updates (and the update error cases) to /update with the admin token, as
the manifest allows ("an endpoint being tested may require different endpoints to be used for
Query and Update requests"). Each test's `ut:graphData` is loaded first through /update. The whole
suite runs once per module, in manifest order (updates change the store); the pass count is
printed, and each test is also reported on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from live_server import SUMMARY, LiveServer, launch, load_store
from w3c import SUITE, Exchange, W3CTest, read_manifest, replay

MANIFEST = SUITE / "protocol" / "manifest.ttl"
TESTS = read_manifest(MANIFEST)
_UPDATE_MARKERS = ("update=", "using-graph-uri=", "using-named-graph-uri=")


def route(exchange: Exchange) -> str:
    """/sparql/… → /sparql or /update, by whether the request is an update operation."""
    parts = urlsplit(exchange.path)
    query = f"?{parts.query}" if parts.query else ""
    content_type = exchange.headers.get("content-type", "")
    is_update = (
        content_type.startswith("application/sparql-update")
        or (exchange.body or "").startswith("update=")
        or any(marker in parts.query for marker in _UPDATE_MARKERS)
    )
    return ("/update" if is_update else "/sparql") + query


def load_graph_data(client: httpx.Client, server: LiveServer, test: W3CTest) -> None:
    """Replace the store's content with the test's graphs, through the admin-token /update."""
    inserts = " ".join(
        f"GRAPH <{iri}> {{ {file.read_text()} }}"
        for iri, file in test.graph_data.items()
    )
    response = client.post(
        "/update",
        content=f"DROP ALL ; INSERT DATA {{ {inserts} }}",
        headers={"content-type": "application/sparql-update", **server.auth()},
    )
    assert response.status_code == 204, response.text


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str | None]]:
    """Run the whole suite once against a private server; map test id → failure (or None)."""
    store = load_store(tmp_path_factory.mktemp("w3c-protocol") / "store")
    server = launch(store)
    results: dict[str, str | None] = {}
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            for test in TESTS:
                if test.graph_data:
                    load_graph_data(client, server, test)
                results[test.id] = replay(
                    client,
                    test,
                    route=route,
                    auth=lambda path: server.auth() if path.startswith("/update") else {},
                )
    finally:
        server.stop()
    passed = sum(1 for failure in results.values() if failure is None)
    SUMMARY.append(f"W3C SPARQL 1.1 Protocol: {passed}/{len(TESTS)} passed")
    yield results


def test_the_manifest_lists_34_tests() -> None:
    assert len(TESTS) == 34


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol(test: W3CTest, outcomes: dict[str, str | None]) -> None:
    assert outcomes[test.id] is None, outcomes[test.id]

