"""`/sparql`: the SPARQL 1.1 Protocol query operation, and the Service Description.

The handler parses the protocol (GET, POST form, POST `application/sparql-query`; `query`,
`default-graph-uri`, `named-graph-uri`, `format`, `timeout`), negotiates a format for each kind of
answer, calls `QueryService.answer` once, and turns the `Answer` into a response with an `ETag`
(or a bodiless 304). Errors are raised as `kg.errors` and mapped to statuses in `kg.web.app`.
A GET without a query answers the SPARQL Service Description of this endpoint.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Coroutine
from functools import lru_cache, partial
from typing import Any, cast

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from kg.errors import NotAcceptableError, ProtocolError, QuerySyntaxError, UserInputError
from kg.settings import Settings
from kg.web.deps import get_service, get_settings
from kg.web.negotiation import (
    GraphFormat,
    ResultFormat,
    choose_graph_format,
    choose_result_format,
)
from kg.web.protocol import read_params
from kg.web.service import FormatChoice

__all__ = ["router", "service_description"]



class _RequestOnlyRoute(APIRoute):
    """An `APIRoute` whose handler is awaited with the request and nothing else.

    The /sparql handler reads its parameters itself (the protocol's rules are stricter than
    FastAPI's: repeated and blank parameters, UTF-8 only) and declares no dependency, yet
    FastAPI's standard handler still solves an empty dependency set and parses the query
    string once more on every request: about a tenth of a look-up's CPU in the web process.
    The route keeps its methods, its name and its place in the OpenAPI schema; errors still
    reach the app's handler.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself (it takes the request and returns a `Response`)."""
        endpoint = cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)
        return endpoint


router = APIRouter(tags=["sparql"], route_class=_RequestOnlyRoute)

SPARQL_QUERY = "application/sparql-query"
_SPARQL_PATH = "/sparql"
_CONTENT_TYPES = {f.media_type: f.content_type for f in (*ResultFormat, *GraphFormat)}

_MAX_ENDPOINT_URLS = 64
_ENDPOINT_URLS: dict[tuple[object, ...], str] = {}
_LINE = re.compile(r"(\bline )(\d+)")
_SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS = "http://www.w3.org/ns/formats/"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_FORMAT_IRIS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "N-Quads",
    "TriG",
    "RDF_XML",
    "JSON-LD",
)


@router.api_route(_SPARQL_PATH, methods=["GET", "POST"], name="sparql")
async def sparql(request: Request) -> Response:
    """Answer a SPARQL query (or, for a GET without one, describe the service).

    The service and settings are read with the dependency functions called directly rather than
    declared with `Depends`: on this, the busiest route, FastAPI's dependency solving was about
    a tenth of the time of a request.
    """
    service = await get_service(request)
    settings = await get_settings(request)
    params = await read_params(request, direct_type=SPARQL_QUERY, what="query")
    if params.all("update"):
        raise ProtocolError("This is the query endpoint; send updates by POST to /update.")
    query = params.direct_text if params.direct_text is not None else params.one("query")
    if params.direct_text is not None and params.all("query"):
        raise ProtocolError("The query is given both as the body and as a query parameter.")
    fmt_param = params.one("format")
    accept = request.headers.get("accept")
    if query is None:
        if request.method == "POST":
            raise ProtocolError("No query: give a query parameter or a SPARQL body.")
        return service_description(_endpoint_url(request), accept, fmt_param, settings)
    formats = _format_choice(accept, fmt_param)
    # Relative IRIs resolve against this endpoint (the protocol lets the service choose).
    text = f"BASE <{_endpoint_url(request)}>\n{query}"
    options: dict[str, Any] = {
        "accept": formats,
        "default_graph_uris": params.all("default-graph-uri"),
        "named_graph_uris": params.all("named-graph-uri"),
        "timeout_s": _timeout(params.one("timeout")),
        "if_none_match": request.headers.get("if-none-match"),
    }
    try:
        # On the event loop when nothing needs waiting (cached, or a worker free now); else in
        # a thread, where waiting for a worker or an identical query in flight is allowed.
        answer = await service.try_answer_async(text, **options)
        if answer is None:
            answer = await run_in_threadpool(partial(service.answer, text, **options))
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(_LINE.sub(_one_line_up, str(exc))) from None
    headers = {
        "ETag": answer.etag,
        "Vary": "Accept",
        "X-Store-Version": answer.store_version,
    }
    if answer.status == 304:
        return Response(status_code=304, headers=headers)
    content_type = _CONTENT_TYPES.get(answer.media_type, answer.media_type)
    return Response(answer.body, answer.status, media_type=content_type, headers=headers)


def _endpoint_url(request: Request) -> str:
    """This endpoint's absolute URL as the client addressed it (what `url_for` gives, cheaper).

    `request.base_url` depends only on the scheme, the server address, the root path and the
    Host header, which a client repeats on every request: the URL is remembered per such tuple
    (a bounded number of them, since the Host header is the client's to choose).
    """
    scope = request.scope
    key = (
        scope.get("scheme"),
        scope.get("server"),
        scope.get("app_root_path", scope.get("root_path", "")),
        request.headers.get("host"),
    )
    url = _ENDPOINT_URLS.get(key)
    if url is None:
        url = f"{str(request.base_url).rstrip('/')}{_SPARQL_PATH}"
        if len(_ENDPOINT_URLS) >= _MAX_ENDPOINT_URLS:
            _ENDPOINT_URLS.clear()
        _ENDPOINT_URLS[key] = url
    return url


def _one_line_up(match: re.Match[str]) -> str:
    """Undo the one line the BASE declaration added, so positions refer to the user's text."""
    return f"{match[1]}{int(match[2]) - 1}"


@lru_cache(maxsize=256)
def _format_choice(accept: str | None, fmt_param: str | None) -> FormatChoice:
    """The format for each kind of answer; 406 now if neither kind has an acceptable one.

    A pure function of two headers that clients repeat: remembered for the most recent ones.
    """
    solutions: str | None
    graph: str | None
    try:
        solutions = choose_result_format(accept, fmt_param).media_type
    except NotAcceptableError:
        solutions = None
    try:
        graph = choose_graph_format(accept, fmt_param).media_type
    except NotAcceptableError as exc:
        if solutions is None:
            raise exc from None
        graph = None
    return FormatChoice(solutions=solutions, graph=graph)


def _timeout(value: str | None) -> float | None:
    """The `timeout` parameter in seconds (it may only shorten the configured deadline)."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise UserInputError(f"timeout must be a number of seconds, not {value!r}.") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise UserInputError(f"timeout must be a positive number of seconds, not {value!r}.")
    return seconds


def service_description(
    endpoint: str, accept: str | None, fmt_param: str | None, settings: Settings
) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in the negotiated RDF format.

    A browser asking for HTML gets Turtle rather than 406: the description is for reading too.
    """
    try:
        fmt = choose_graph_format(accept, fmt_param)
    except NotAcceptableError:
        fmt = GraphFormat.TURTLE
    service = ox.BlankNode()
    dataset = ox.BlankNode()
    default_graph = ox.BlankNode()

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(_SD + name)

    triples = [
        ox.Triple(service, _RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, _RDF_TYPE, sd("Graph")),
    ]
    if settings.federation_allowlist:
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for name in _FORMAT_IRIS:
        triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(_FORMATS + name)))
    if fmt.is_dataset:
        body = ox.serialize(
            (ox.Quad(t.subject, t.predicate, t.object) for t in triples), format=fmt.oxigraph
        )
    else:
        body = ox.serialize(
            triples, format=fmt.oxigraph, prefixes={"sd": _SD, "formats": _FORMATS}
        )
    return Response(body, media_type=fmt.content_type, headers={"Vary": "Accept"})
