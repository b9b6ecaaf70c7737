"""`/store`: the SPARQL 1.1 Graph Store HTTP Protocol, for the admin token only.

Graphs are named indirectly (`/store?graph=<IRI>`, `/store?default`) or directly (the request URL
`/store/<path>` is the graph IRI). GET/HEAD read the live build (404 for a graph that does not
exist); PUT replaces, POST adds (a `multipart/form-data` POST adds every part; a POST to `/store`
itself creates a new graph and answers 201 with its `Location`), DELETE drops (404 if absent).
Every write goes through `kg.store.apply_write`: a new build, switched atomically.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kg.errors import NotFoundError, ProtocolError, UnsupportedMediaTypeError, UserInputError
from kg.store import apply_write, open_store
from kg.web.deps import AdminDep, EmbeddedOnlyDep, SettingsDep
from kg.web.negotiation import GraphFormat, choose_graph_format
from kg.web.protocol import media_type_of

__all__ = ["router"]

router = APIRouter(tags=["graph store"])

_GRAPH_ONLY = tuple(f for f in GraphFormat if not f.is_dataset)
_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


@dataclass(frozen=True, slots=True)
class _Payload:
    """One RDF document of a request body."""

    data: bytes
    fmt: GraphFormat


GraphName = ox.NamedNode | ox.DefaultGraph


@router.api_route("/store", methods=_METHODS, name="graph_store")
async def indirect(
    request: Request, settings: SettingsDep, _: AdminDep, __: EmbeddedOnlyDep
) -> Response:
    """Indirect identification: `?graph=<IRI>` or `?default`; a bare POST creates a graph."""
    graphs = request.query_params.getlist("graph")
    default = "default" in request.query_params
    if len(graphs) + default > 1:
        raise ProtocolError("Name one graph: ?graph=<IRI> once, or ?default.")
    if graphs:
        target: GraphName = _named(graphs[0])
    elif default:
        target = ox.DefaultGraph()
    elif request.method == "POST":
        iri = f"{request.url_for('graph_store')}/{uuid.uuid4()}"
        await _write(request, settings.store_dir, _named(iri), replace=False, base=iri)
        return Response(status_code=201, headers={"Location": iri})
    else:
        raise ProtocolError("Name a graph: ?graph=<IRI> or ?default.")
    return await _handle(request, settings.store_dir, target)


@router.api_route("/store/{path:path}", methods=_METHODS)
async def direct(
    request: Request, settings: SettingsDep, _: AdminDep, __: EmbeddedOnlyDep, path: str
) -> Response:
    """Direct identification: the request URL (without its query) is the graph IRI."""
    return await _handle(request, settings.store_dir, _named(str(request.url.replace(query=""))))


async def _handle(request: Request, store_dir: Path, target: GraphName) -> Response:
    """Dispatch on the method for one identified graph."""
    base = target.value if isinstance(target, ox.NamedNode) else str(request.url)
    if request.method in ("GET", "HEAD"):
        fmt = choose_graph_format(request.headers.get("accept"), request.query_params.get("format"))
        body = await run_in_threadpool(_read_graph, store_dir, target, fmt)
        headers = {"Content-Length": str(len(body))}
        if request.method == "HEAD":
            return Response(media_type=fmt.content_type, headers=headers)
        return Response(body, media_type=fmt.content_type)
    if request.method == "DELETE":
        await run_in_threadpool(_delete, store_dir, target)
        return Response(status_code=204)
    existed = await _write(request, store_dir, target, replace=request.method == "PUT", base=base)
    return Response(status_code=204 if existed else 201)


def _named(iri: str) -> ox.NamedNode:
    """A graph IRI from the request; refused with 400 if it is not an absolute IRI."""
    try:
        node = ox.NamedNode(iri)
    except ValueError as exc:
        raise ProtocolError(f"{iri!r} is not a valid graph IRI: {exc}") from None
    if ":" not in iri:
        raise ProtocolError(f"{iri!r} is not an absolute IRI.")
    return node


def _exists(store: ox.Store, target: GraphName) -> bool:
    """The default graph always exists; a named graph if the store knows it."""
    return isinstance(target, ox.DefaultGraph) or store.contains_named_graph(target)


def _read_graph(store_dir: Path, target: GraphName, fmt: GraphFormat) -> bytes:
    """The graph serialised in `fmt` (graph formats only; N-Quads/TriG put it in its graph)."""
    store = open_store(store_dir)
    if not _exists(store, target):
        raise NotFoundError(f"No graph {target} in the store.")
    if fmt.is_dataset:  # keep the graph name: dump the quads of that graph
        quads = store.quads_for_pattern(None, None, None, target)
        return ox.serialize(quads, format=fmt.oxigraph) or b""
    return store.dump(format=fmt.oxigraph, from_graph=target) or b""


def _delete(store_dir: Path, target: GraphName) -> None:
    """Drop a named graph (404 if absent) or empty the default graph."""

    def change(store: ox.Store) -> bool:
        if isinstance(target, ox.DefaultGraph):
            store.clear_graph(target)
            return True
        if not store.contains_named_graph(target):
            return False
        store.remove_graph(target)
        return True

    if not _exists_now(store_dir, target):
        raise NotFoundError(f"No graph {target} in the store.")
    _, removed = apply_write(store_dir, change)
    if not removed:
        raise NotFoundError(f"No graph {target} in the store.")


def _exists_now(store_dir: Path, target: GraphName) -> bool:
    """Whether the live build has the graph (saves a build for a DELETE of nothing)."""
    return _exists(open_store(store_dir), target)


async def _payloads(request: Request) -> list[_Payload]:
    """The RDF documents of the body: one, or one per part of a multipart/form-data body."""
    media_type, _ = media_type_of(request.headers.get("content-type"))
    if media_type == "multipart/form-data":
        form = await request.form()
        parts: list[_Payload] = []
        for value in form.values():
            if isinstance(value, UploadFile):
                part_type, _ = media_type_of(value.content_type)
                parts.append(_Payload(await value.read(), _payload_format(part_type)))
        return parts
    return [_Payload(await request.body(), _payload_format(media_type))]


def _payload_format(media_type: str | None) -> GraphFormat:
    """The RDF format of a body by its media type; 415 for anything else."""
    for fmt in _GRAPH_ONLY:
        if media_type in (fmt.media_type, *fmt.aliases):
            return fmt
    raise UnsupportedMediaTypeError(
        f"Content-Type {media_type} is not an RDF graph format; use one of "
        + ", ".join(f.media_type for f in _GRAPH_ONLY)
        + "."
    )


async def _write(
    request: Request, store_dir: Path, target: GraphName, *, replace: bool, base: str
) -> bool:
    """PUT (`replace`) or POST the body into `target`; return whether the graph existed."""
    payloads = await _payloads(request)
    staged = await run_in_threadpool(_parse, payloads, target, base)

    def change(store: ox.Store) -> bool:
        existed = _exists(store, target)
        if replace and existed:
            store.clear_graph(target)
        if isinstance(target, ox.NamedNode):
            store.add_graph(target)
        store.extend(staged)
        return existed

    _, existed = await run_in_threadpool(apply_write, store_dir, change)
    return existed


def _parse(payloads: Sequence[_Payload], target: GraphName, base: str) -> list[ox.Quad]:
    """Parse every payload strictly (400 with the parser's message) into quads of `target`."""
    quads: list[ox.Quad] = []
    for payload in payloads:
        try:
            parsed = ox.parse(payload.data, format=payload.fmt.oxigraph, base_iri=base)
            quads.extend(ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed)
        except SyntaxError as exc:
            raise UserInputError(f"The {payload.fmt.short_name} body is not valid: {exc}") from None
    return quads
