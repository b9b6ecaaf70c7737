"""The routes of every minted IRI and vocabulary term: conditional first, then cache, then work.

`/id/{kind}/{slug}`, `/vocab/{scheme}` and `/vocab/{scheme}/{concept}` answer 200 with content
negotiation (see `kg.web.pages`). In order, each request:

1. is answered 304 if its `If-None-Match` names the page's ETag, a pure function of the store
   version, the path and the negotiated variant (`kg.web.page_cache`) — no query, no rendering;
2. is answered from the rendered-page cache (every format), keyed the same way;
3. otherwise gathers the page in ONE query-worker job (`kg.web.page_source`), renders it in the
   thread pool, and keeps the bytes for the next reader; readers asking for the same page while
   it is being made wait for it instead of making it again (`kg.web.dedupe`).

The handlers are `async`: steps 1 and 2 never block, so they do not pay a thread hop.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kg.namespaces import ID_BASE, MINTED_KINDS, VOCAB_BASE
from kg.settings import Settings
from kg.web.cache import etag_matches
from kg.web.deps import ServiceDep, SettingsDep
from kg.web.jsonld_page import compact_jsonld
from kg.web.language import catalogue
from kg.web.locator_map import locator_map_svg
from kg.web.page_cache import PageKey, RenderedPage
from kg.web.page_source import page_graph, page_view
from kg.web.pages import (
    GRAPH_FORMATS,
    GraphFormat,
    Reader,
    ReaderDep,
    choose_format,
    encode_params,
    remember_language,
    render,
    render_bytes,
    without_lang,
)
from kg.web.service import QueryService

__all__ = ["router"]

router = APIRouter()

_SLUG: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VOCAB_SEGMENT: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_HTML_VARY: Final = "Accept, Accept-Language, Cookie"
FormatParam = Annotated[str | None, Query(max_length=40)]


@router.get("/id/{kind}/{slug}", name="entity")
async def entity_page(
    request: Request, kind: str, slug: str, service: ServiceDep, reader: ReaderDep,
    settings: SettingsDep, format: FormatParam = None,
) -> Response:
    """The page of one minted IRI, in the negotiated format."""
    if kind not in MINTED_KINDS or not _SLUG.match(slug):
        return _not_found(request, reader)
    return await _resource(request, f"{ID_BASE}{kind}/{slug}", service, reader, settings, format)


@router.get("/vocab/{scheme}", name="scheme")
async def scheme_page(
    request: Request, scheme: str, service: ServiceDep, reader: ReaderDep,
    settings: SettingsDep, format: FormatParam = None,
) -> Response:
    """A SKOS concept scheme (`hkv:site-type`…)."""
    if not _VOCAB_SEGMENT.match(scheme):
        return _not_found(request, reader)
    return await _resource(request, f"{VOCAB_BASE}{scheme}", service, reader, settings, format)


@router.get("/vocab/{scheme}/{concept}", name="concept")
async def concept_page(
    request: Request, scheme: str, concept: str, service: ServiceDep, reader: ReaderDep,
    settings: SettingsDep, format: FormatParam = None,
) -> Response:
    """A SKOS concept (`sitetype:mosque`…) and everything typed with it."""
    if not (_VOCAB_SEGMENT.match(scheme) and _VOCAB_SEGMENT.match(concept)):
        return _not_found(request, reader)
    return await _resource(
        request, f"{VOCAB_BASE}{scheme}/{concept}", service, reader, settings, format
    )


async def _resource(
    request: Request, iri: str, service: QueryService, reader: Reader, settings: Settings,
    format_param: str | None,
) -> Response:
    fmt = choose_format(format_param, request.headers.get("accept"))
    path = request.url.path
    key = PageKey(
        store_version=service.store_version(),
        path=path,
        variant=f"html/{reader.lang}" if fmt.name == "html" else fmt.name,
        params=without_lang(request),
    )
    etag = key.etag()
    headers = {
        "Link": ", ".join(
            f'<{path}?format={f.name}>; rel="alternate"; type="{f.media_type}"'
            for f in GRAPH_FORMATS
        ),
        "Content-Location": f"{path}?format={fmt.name}",
        "ETag": etag,
        "Vary": _HTML_VARY if fmt.name == "html" else "Accept",
        "X-Store-Version": key.store_version,
    }
    cache = service.page_cache
    if etag_matches(request.headers.get("if-none-match"), etag):
        cache.count_not_modified()
        response = Response(status_code=304, headers=headers)
    elif (page := cache.get(key)) is not None:
        response = Response(page.body, media_type=page.media_type, headers=headers)
    else:
        page = await run_in_threadpool(
            service.page_flights.run,
            key,
            lambda: _make_page(service, iri, fmt, reader, settings, key),
            timeout_s=settings.query_timeout_s,
        )
        if page is None:
            return _not_found(request, reader, html=fmt.name == "html")
        cache.put(key, page)
        response = Response(page.body, media_type=page.media_type, headers=headers)
    if fmt.name == "html":
        remember_language(response, reader)
    return response


def _make_page(
    service: QueryService, iri: str, fmt: GraphFormat, reader: Reader, settings: Settings,
    key: PageKey,
) -> RenderedPage | None:
    """Gather and render the page (None when the graph says nothing about `iri`)."""
    if fmt.name == "jsonld":
        ntriples = page_graph(service, iri, "application/n-triples")
        if ntriples is None:
            return None
        return RenderedPage(fmt.media_type, compact_jsonld(ntriples, settings.root))
    if fmt.name != "html":
        body = page_graph(service, iri, fmt.media_type)
        return None if body is None else RenderedPage(fmt.media_type, body)
    view = page_view(service, iri, reader.lang)
    if view is None:
        return None
    map_svg = (
        locator_map_svg(view.point, view.entity.label, view.neighbours,
                        title=catalogue(reader.lang)["map_title"])
        if view.point is not None
        else ""
    )
    body = render_bytes(reader, "entity.html", {
        "view": view, "map_svg": map_svg, "formats": GRAPH_FORMATS[1:],
        "query_link": "/query?" + encode_params({"query": view.data_query}),
    }, path=key.path, query_string=key.params)
    return RenderedPage("text/html; charset=utf-8", body)


def _not_found(request: Request, reader: Reader, *, html: bool = True) -> Response:
    if not html:
        return Response(
            "Not found: the knowledge graph has nothing about this identifier.\n",
            status_code=404, media_type="text/plain",
        )
    return render(request, reader, "not_found.html", {}, status_code=404)
