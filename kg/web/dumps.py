"""`/dumps/…`: releases for data partners — files, index, DCAT catalogue, VoID and change feed.

Files are served only through `kg.release.layout.release_file`, which accepts a plain version name
(or `latest`) and a plain file name and returns a regular file directly inside that release
directory — anything else (`..`, encoded slashes, absolute paths, NUL bytes, links pointing
anywhere) is a 404, decided before the filesystem is touched beyond `lstat`. Every file answer
carries `ETag` and `Last-Modified`, honours `If-None-Match` / `If-Modified-Since` (304) and single
`Range` requests (206, 416 when unsatisfiable; Starlette's `FileResponse` does the byte ranges and
HEAD), so a harvester can resume a download and skip unchanged files.

The change feed is an Activity Streams 2.0 `OrderedCollection` in the IIIF Change Discovery /
Linked Art pattern: pages of Create/Update/Delete activities, oldest first, built from each
release's `activity.jsonl`.
"""

from __future__ import annotations

import html
import json
import os
from email.utils import formatdate, parsedate_to_datetime
from io import StringIO
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from kg.errors import NotFoundError
from kg.namespaces import PREFIXES
from kg.release.jsonld import JsonLdCompactor, write_jsonld
from kg.release.layout import LATEST, ReleaseEntry, latest_version, list_releases, release_file
from kg.web.deps import SettingsDep

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(tags=["dumps"])

PAGE_SIZE = 1000
_AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
_AS_MEDIA = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
_MEDIA_TYPES = (
    (".gz", "application/gzip"),
    (".ttl", "text/turtle; charset=utf-8"),
    (".jsonl", "application/jsonl; charset=utf-8"),
    (".json", "application/json"),
)
_GET_HEAD = ["GET", "HEAD"]


def _media_type(name: str) -> str:
    for suffix, media_type in _MEDIA_TYPES:
        if name.endswith(suffix):
            return media_type
    return "text/plain; charset=utf-8"


def _etag(stat: os.stat_result) -> str:
    return f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(mtime) <= since
    return False


def _file_response(request: Request, path: Path, *, immutable: bool) -> Response:
    stat = path.stat()
    etag = _etag(stat)
    headers = {
        "etag": etag,
        "last-modified": formatdate(stat.st_mtime, usegmt=True),
        "cache-control": "public, max-age=31536000, immutable" if immutable else "no-cache",
        "accept-ranges": "bytes",
    }
    if _not_modified(request, etag, stat.st_mtime):
        return Response(status_code=304, headers=headers)
    return FileResponse(
        path, media_type=_media_type(path.name), headers=headers, stat_result=stat
    )


def _release_path(settings: SettingsDep, version: str, name: str) -> Path:
    path = release_file(settings.releases_dir, version, name)
    if path is None:
        raise NotFoundError(f"No file {name!r} in release {version!r}.")
    return path


@router.api_route("/dumps/{version}/{name}", methods=_GET_HEAD, include_in_schema=False)
def dump_file(request: Request, version: str, name: str, settings: SettingsDep) -> Response:
    """One file of a release; `latest` is the newest release."""
    path = _release_path(settings, version, name)
    return _file_response(request, path, immutable=version != LATEST)


@router.api_route("/.well-known/void", methods=_GET_HEAD, include_in_schema=False)
def well_known_void(request: Request, settings: SettingsDep) -> Response:
    """The VoID + DCAT description of the latest release."""
    return _file_response(request, _release_path(settings, LATEST, "void.ttl"), immutable=False)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>\n"
    )


@router.api_route("/dumps", methods=_GET_HEAD, include_in_schema=False)
@router.api_route("/dumps/", methods=_GET_HEAD, include_in_schema=False)
def index(settings: SettingsDep) -> HTMLResponse:
    """The browsable list of releases, newest first."""
    releases = list_releases(settings.releases_dir)
    latest = latest_version(settings.releases_dir)
    rows = []
    for entry in reversed(releases):
        v = html.escape(entry.version)
        changes = entry.manifest.get("changes", {})
        note = " (latest)" if entry.version == latest else ""
        rows.append(
            f'<tr><td><a href="/dumps/{v}/">{v}</a>{note}</td>'
            f"<td>{html.escape(entry.issued)}</td><td>{entry.manifest.get('triples', '')}</td>"
            f"<td>+{changes.get('added_quads', 0)} / -{changes.get('removed_quads', 0)}</td></tr>"
        )
    body = (
        '<p>Stable addresses: <a href="/dumps/latest/">/dumps/latest/</a> · '
        '<a href="/dumps/catalog">DCAT catalogue</a> · <a href="/.well-known/void">VoID</a> · '
        '<a href="/dumps/activity">change feed (Activity Streams)</a></p>'
        "<table><thead><tr><th>version</th><th>issued</th><th>quads</th>"
        "<th>changes</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    if not releases:
        body += "<p>No release yet: run <code>kg release</code>.</p>"
    return _page("heritage-kg releases", body)


@router.api_route("/dumps/catalog", methods=_GET_HEAD, include_in_schema=False)
def catalog(request: Request, settings: SettingsDep) -> Response:
    """A DCAT catalogue of every release: Turtle, or JSON-LD for Accept/format= JSON-LD."""
    store = ox.Store()
    base = settings.public_base_url
    catalog_node = ox.NamedNode(f"{base}dumps/catalog#catalog")
    dcat, dcterms = PREFIXES["dcat"], PREFIXES["dcterms"]
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    store.add(ox.Quad(catalog_node, rdf_type, ox.NamedNode(dcat + "Catalog")))
    title = ox.Literal("heritage-kg releases", language="en")
    store.add(ox.Quad(catalog_node, ox.NamedNode(dcterms + "title"), title))
    for entry in list_releases(settings.releases_dir):
        void = release_file(settings.releases_dir, entry.version, "void.ttl")
        if void is None:
            continue
        store.load(path=str(void), format=ox.RdfFormat.TURTLE)
        dataset = ox.NamedNode(f"{base}dumps/{entry.version}/void.ttl#dataset")
        store.add(ox.Quad(catalog_node, ox.NamedNode(dcat + "dataset"), dataset))
    wants_jsonld = request.query_params.get("format") in ("jsonld", "json-ld") or (
        "application/ld+json" in request.headers.get("accept", "")
    )
    if not wants_jsonld:
        body = ox.serialize(
            (ox.Triple(q.subject, q.predicate, q.object) for q in store),
            format=ox.RdfFormat.TURTLE,
            prefixes={**PREFIXES, "spdx": "http://spdx.org/rdf/terms#"},
        )
        return Response(body or b"", media_type="text/turtle; charset=utf-8")
    context = json.loads((settings.root / "ontology" / "context.jsonld").read_text("utf-8"))
    quads = sorted(store, key=lambda q: (str(q.subject), str(q.predicate), str(q.object)))
    text = StringIO()
    write_jsonld(iter(quads), text, compactor=JsonLdCompactor(context["@context"]))
    return Response(text.getvalue(), media_type="application/ld+json")


def _pages(entries: list[ReleaseEntry]) -> list[tuple[ReleaseEntry, int]]:
    """Every page of the feed as (release, first activity index in its activity.jsonl)."""
    pages: list[tuple[ReleaseEntry, int]] = []
    for entry in entries:
        count = int(entry.manifest.get("activities", 0))
        pages.extend((entry, start) for start in range(0, count, PAGE_SIZE))
    return pages


def _feed_url(request: Request, suffix: str = "") -> str:
    return f"{str(request.base_url).rstrip('/')}/dumps/activity{suffix}"


@router.api_route("/dumps/activity", methods=_GET_HEAD, include_in_schema=False)
def activity_collection(request: Request, settings: SettingsDep) -> Response:
    """The change feed's OrderedCollection: total, first and last page."""
    entries = list_releases(settings.releases_dir)
    pages = _pages(entries)
    collection: dict[str, Any] = {
        "@context": _AS_CONTEXT,
        "id": _feed_url(request),
        "type": "OrderedCollection",
        "totalItems": sum(int(e.manifest.get("activities", 0)) for e in entries),
    }
    if pages:
        collection["first"] = {"id": _feed_url(request, "/page/0"), "type": "OrderedCollectionPage"}
        last = f"/page/{len(pages) - 1}"
        collection["last"] = {"id": _feed_url(request, last), "type": "OrderedCollectionPage"}
    return Response(json.dumps(collection, indent=2), media_type=_AS_MEDIA)


@router.api_route("/dumps/activity/page/{number}", methods=_GET_HEAD, include_in_schema=False)
def activity_page(request: Request, number: int, settings: SettingsDep) -> Response:
    """One page of activities, oldest first, with prev/next links."""
    entries = list_releases(settings.releases_dir)
    pages = _pages(entries)
    if not 0 <= number < len(pages):
        raise NotFoundError(f"The change feed has no page {number}.")
    entry, start = pages[number]
    path = _release_path(settings, entry.version, "activity.jsonl")
    with path.open(encoding="utf-8") as handle:
        items = [json.loads(line) for line in islice(handle, start, start + PAGE_SIZE)]
    page: dict[str, Any] = {
        "@context": _AS_CONTEXT,
        "id": _feed_url(request, f"/page/{number}"),
        "type": "OrderedCollectionPage",
        "partOf": {"id": _feed_url(request), "type": "OrderedCollection"},
        "startIndex": sum(
            min(PAGE_SIZE, int(e.manifest.get("activities", 0)) - s) for e, s in pages[:number]
        ),
    }
    if number > 0:
        page["prev"] = {"id": _feed_url(request, f"/page/{number - 1}"),
                        "type": "OrderedCollectionPage"}
    if number < len(pages) - 1:
        page["next"] = {"id": _feed_url(request, f"/page/{number + 1}"),
                        "type": "OrderedCollectionPage"}
    page["orderedItems"] = items
    return Response(json.dumps(page, indent=1, ensure_ascii=False), media_type=_AS_MEDIA)


@router.api_route("/dumps/{version}", methods=_GET_HEAD, include_in_schema=False)
def release_without_slash(version: str) -> RedirectResponse:
    """`/dumps/v1` → `/dumps/v1/` (relative links in the listing need the slash)."""
    return RedirectResponse(f"/dumps/{version}/", status_code=308)


@router.api_route("/dumps/{version}/", methods=_GET_HEAD, include_in_schema=False)
def release_index(version: str, settings: SettingsDep) -> HTMLResponse:
    """The files of one release, with sizes."""
    manifest = _release_path(settings, version, "release.json")
    names = sorted(
        p.name for p in manifest.parent.iterdir()
        if release_file(settings.releases_dir, version, p.name) is not None
    )
    rows = "".join(
        f'<li><a href="{html.escape(n)}">{html.escape(n)}</a> '
        f"({(manifest.parent / n).stat().st_size:,} bytes)</li>"
        for n in names
    )
    resolved = manifest.parent.name
    title = f"heritage-kg release {resolved}" + (" (latest)" if version == LATEST else "")
    return _page(title, f'<p><a href="/dumps/">all releases</a></p><ul>{rows}</ul>')
