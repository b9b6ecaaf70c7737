"""`/dumps/…` on the real server: files with ETag/Last-Modified, 304, HEAD, Range, `latest`,
`/.well-known/void`, the DCAT catalogue, the AS2 change feed, and odd paths that must be 404.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import rdflib
from live_server import LiveServer, launch

from kg.release import ReleaseOptions, make_release
from kg.settings import Settings
from kg.web.dumps import PAGE_SIZE

SECRET = "not-for-download-3f1c"


@pytest.fixture(scope="module")
def releases(loaded_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two releases of the web test store, plus traps: links out of the release directory."""
    releases_dir = tmp_path_factory.mktemp("dumps") / "releases"
    settings = Settings()
    for version in ("v1", "v2"):
        make_release(ReleaseOptions(
            store_dir=loaded_store, releases_dir=releases_dir, project_root=settings.root,
            base_url="https://example.org/kg/", license_iri=settings.release_license,
            publisher_iri=settings.release_publisher,
            publisher_name=settings.release_publisher_name, version=version, validate=False,
        ))
    outside = releases_dir.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "release.json").write_text("{}")
    os.symlink(outside / "secret.txt", releases_dir / "v1" / "secret.txt")
    os.symlink(outside, releases_dir / "linked")
    (releases_dir / ".hidden").mkdir()
    (releases_dir / ".hidden" / "secret.txt").write_text(SECRET)
    return releases_dir


@pytest.fixture(scope="module")
def dumps_server(loaded_store: Path, releases: Path) -> Iterator[LiveServer]:
    live = launch(loaded_store, releases_dir=str(releases), public_base_url="https://example.org/kg/")
    yield live
    live.stop()


def _get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url(path), headers=headers, timeout=30)


def test_a_release_file_with_validators(dumps_server: LiveServer, releases: Path) -> None:
    response = _get(dumps_server, "/dumps/v1/dataset.nq.gz")
    assert response.status_code == 200
    assert response.content == (releases / "v1" / "dataset.nq.gz").read_bytes()
    assert response.headers["etag"] and response.headers["last-modified"]
    assert response.headers["accept-ranges"] == "bytes"
    head = httpx.head(dumps_server.url("/dumps/v1/dataset.nq.gz"), timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(response.content))
    assert head.headers["etag"] == response.headers["etag"]


def test_conditional_get(dumps_server: LiveServer) -> None:
    first = _get(dumps_server, "/dumps/v1/void.ttl")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert _get(dumps_server, "/dumps/v1/void.ttl", **{"If-None-Match": etag}).status_code == 304
    assert _get(dumps_server, "/dumps/v1/void.ttl",
                **{"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert _get(dumps_server, "/dumps/v1/void.ttl",
                **{"If-None-Match": '"other"'}).status_code == 200
    assert _get(dumps_server, "/dumps/v1/void.ttl",
                **{"If-Modified-Since": modified}).status_code == 304
    old = formatdate(0, usegmt=True)
    assert _get(dumps_server, "/dumps/v1/void.ttl", **{"If-Modified-Since": old}).status_code == 200


def test_range_requests(dumps_server: LiveServer, releases: Path) -> None:
    data = (releases / "v1" / "dataset.nq.gz").read_bytes()
    part = _get(dumps_server, "/dumps/v1/dataset.nq.gz", Range="bytes=10-19")
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = _get(dumps_server, "/dumps/v1/dataset.nq.gz", Range="bytes=-5")
    assert tail.status_code == 206 and tail.content == data[-5:]
    resume = _get(dumps_server, "/dumps/v1/dataset.nq.gz", Range="bytes=100-")
    assert resume.status_code == 206 and resume.content == data[100:]
    bad = _get(dumps_server, "/dumps/v1/dataset.nq.gz", Range=f"bytes={len(data) + 10}-")
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(data)}"
    stale = _get(dumps_server, "/dumps/v1/dataset.nq.gz", Range="bytes=0-9",
                 **{"If-Range": '"stale"'})
    assert stale.status_code == 200 and stale.content == data


def test_latest_and_well_known_void(dumps_server: LiveServer, releases: Path) -> None:
    latest = _get(dumps_server, "/dumps/latest/void.ttl")
    assert latest.status_code == 200
    assert latest.content == (releases / "v2" / "void.ttl").read_bytes()
    assert latest.headers["cache-control"] == "no-cache"
    well_known = _get(dumps_server, "/.well-known/void")
    assert well_known.content == latest.content
    assert well_known.headers["content-type"].startswith("text/turtle")
    void = rdflib.Graph().parse(data=well_known.text, format="turtle")
    assert len(void) > 0


def test_index_pages(dumps_server: LiveServer) -> None:
    index = _get(dumps_server, "/dumps/")
    assert index.status_code == 200 and "v1" in index.text and "v2" in index.text
    listing = _get(dumps_server, "/dumps/v2/")
    assert listing.status_code == 200 and 'href="dataset.nq.gz"' in listing.text
    assert "secret" not in _get(dumps_server, "/dumps/v1/").text


def test_catalogue_in_turtle_and_jsonld(dumps_server: LiveServer) -> None:
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    turtle = rdflib.Graph().parse(data=_get(dumps_server, "/dumps/catalog").text, format="turtle")
    catalog = rdflib.URIRef("https://example.org/kg/dumps/catalog#catalog")
    assert (catalog, rdflib.RDF.type, dcat.Catalog) in turtle
    assert len(list(turtle.objects(catalog, dcat.dataset))) == 2
    response = _get(dumps_server, "/dumps/catalog", Accept="application/ld+json")
    assert response.headers["content-type"].startswith("application/ld+json")
    jsonld = rdflib.Graph().parse(data=response.text, format="json-ld")
    assert len(jsonld) == len(turtle)


def test_change_feed(dumps_server: LiveServer, releases: Path) -> None:
    collection = _get(dumps_server, "/dumps/activity").json()
    assert collection["type"] == "OrderedCollection"
    lines = [json.loads(line) for v in ("v1", "v2")
             for line in (releases / v / "activity.jsonl").read_text().splitlines()]
    assert collection["totalItems"] == len(lines) > 0
    items = []
    url: str | None = collection["first"]["id"]
    pages = 0
    while url and pages < 100:
        page = httpx.get(url, timeout=30).json()
        assert page["type"] == "OrderedCollectionPage" and page["partOf"]["id"] == collection["id"]
        assert len(page["orderedItems"]) <= PAGE_SIZE
        items.extend(page["orderedItems"])
        url = page.get("next", {}).get("id")
        pages += 1
    assert items == lines
    assert all(i["type"] in {"Create", "Update", "Delete"} and i["endTime"] and i["object"]["id"]
               for i in items)
    assert collection["last"]["id"].endswith(f"/page/{pages - 1}")
    assert _get(dumps_server, f"/dumps/activity/page/{pages}").status_code == 404


ODD_PATHS = [
    "/dumps/v1/../../outside/secret.txt",
    "/dumps/v1/%2e%2e/%2e%2e/outside/secret.txt",
    "/dumps/v1/..%2F..%2Foutside%2Fsecret.txt",
    "/dumps/v1/%2e%2e%2f%2e%2e%2foutside%2fsecret.txt",
    "/dumps/..%2Foutside/secret.txt",
    "/dumps//etc/passwd",
    "/dumps/v1//etc/passwd",
    "/dumps/%2Fetc/passwd",
    "/dumps/v1/%2Fetc%2Fpasswd",
    "/dumps/v1/secret.txt",  # a link inside the release pointing outside
    "/dumps/linked/secret.txt",  # a release directory that is a link
    "/dumps/linked/release.json",
    "/dumps/.hidden/secret.txt",
    "/dumps/v1/.",
    "/dumps/v1/..",
    "/dumps/v1/dataset.nq.gz%00.txt",
    "/dumps/v1%00/dataset.nq.gz",
    "/dumps/latest/../v1/void.ttl%2F..%2F..%2Fsecret.txt",
]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_paths_are_404(dumps_server: LiveServer, path: str) -> None:
    parts = urlsplit(dumps_server.url("/"))
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path)  # sent as written: no client-side normalisation
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 404, (path, response.status)
    assert SECRET.encode() not in body and b"root:" not in body
