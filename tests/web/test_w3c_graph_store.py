"""The W3C SPARQL 1.1 Graph Store Protocol tests (13: 9 indirect, 4 direct) against the real server.

The server runs with the loopback-only test switch that opens writes without a token (the token
path is tested in test_web_auth.py). The manifests' /gsp maps to /store; each test starts from an
empty store (DROP ALL through /update), since several expect their first PUT to create the graph.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from live_server import SUMMARY, launch, load_store
from w3c import SUITE, Exchange, W3CTest, read_manifest, replay

MANIFESTS = ("manifest-indirect.ttl", "manifest-direct.ttl")
TESTS = [t for m in MANIFESTS for t in read_manifest(SUITE / "graph-store-protocol" / m)]


def route(exchange: Exchange) -> str:
    """/gsp… → /store…"""
    assert exchange.path.startswith("/gsp")
    return "/store" + exchange.path.removeprefix("/gsp")


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str | None]]:
    """Run the 13 tests once against a private server with open writes; id → failure or None."""
    store = load_store(tmp_path_factory.mktemp("w3c-gsp") / "store")
    server = launch(store, admin_token=None, open_writes_for_tests="true")
    results: dict[str, str | None] = {}
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            for test in TESTS:
                reset = client.post(
                    "/update",
                    content="DROP ALL",
                    headers={"content-type": "application/sparql-update"},
                )
                assert reset.status_code == 204, reset.text
                results[test.id] = replay(client, test, route=route, auth=lambda path: {})
    finally:
        server.stop()
    passed = sum(1 for failure in results.values() if failure is None)
    line = f"W3C SPARQL 1.1 Graph Store Protocol: {passed}/{len(TESTS)} passed"
    SUMMARY.append(line)
    yield results


def test_the_manifests_list_13_tests() -> None:
    assert len(TESTS) == 13


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_graph_store(test: W3CTest, outcomes: dict[str, str | None]) -> None:
    assert outcomes[test.id] is None, outcomes[test.id]
