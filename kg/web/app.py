"""The application factory: `create_app(settings)` wires routers, CORS, limits and error mapping.

Nothing is built at import time. The `QueryService` (and its worker processes) starts in the
lifespan and stops with it; settings and the service live on `app.state`, reached by the
dependencies of `kg.web.deps`. This module is also the ONE place where `kg.errors` classes become
HTTP statuses (`STATUS_BY_ERROR`), so routers just raise.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from kg.errors import (
    AuthError,
    KgError,
    NotAcceptableError,
    NotFoundError,
    NotSupportedError,
    ProtocolError,
    QueryRefusedError,
    QueryTimeoutError,
    RequestTooLargeError,
    StoreNotBuiltError,
    UnsupportedMediaTypeError,
    UserInputError,
)
from kg.settings import Settings, is_loopback
from kg.web import (
    dumps,
    entity_routes,
    graph_store,
    ops,
    pages,
    query_ui,
    search,
    sparql,
    update,
)
from kg.web.limits import BodySizeLimit
from kg.web.service import QueryService

__all__ = ["STATUS_BY_ERROR", "create_app", "status_for"]

# Routers in the order they are matched; other surfaces add one line here.
ROUTERS: tuple[APIRouter, ...] = (
    sparql.router,
    update.router,
    graph_store.router,
    ops.router,
    dumps.router,
    entity_routes.router,  # /id/…, /vocab/…
    pages.router,  # /ontology, the indexes, /static/…
    search.router,  # /search
    query_ui.router,  # /query (YASGUI)
)

# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[KgError], int], ...] = (
    (AuthError, 401),
    (StoreNotBuiltError, 503),
    (QueryTimeoutError, 503),  # includes ServiceBusyError: never a truncated 200
    (QueryRefusedError, 403),
    (RequestTooLargeError, 413),
    (UnsupportedMediaTypeError, 415),
    (NotAcceptableError, 406),
    (NotFoundError, 404),
    (ProtocolError, 400),
    (UserInputError, 400),  # QuerySyntaxError and every other fixable input
    (NotSupportedError, 501),
    (KgError, 500),
)

_POSITION = re.compile(r"(?:line (\d+), column (\d+))|(?:error at (\d+):(\d+))")


def status_for(exc: KgError) -> int:
    """The HTTP status of a deliberate error."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500  # pragma: no cover - KgError is the last row


def create_app(settings: Settings) -> FastAPI:
    """Build the web application for `settings`; the query workers start with the app."""
    if settings.open_writes_for_tests and not is_loopback(settings.host):
        # Settings refuse this too; checked again because the app is what actually opens writes.
        raise ValueError("open_writes_for_tests is only allowed with a loopback host")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = QueryService(settings)
        app.state.query_service = service
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="heritage-kg SPARQL endpoint",
        summary="Read-only SPARQL 1.1 over sourced heritage claims; writes need the admin token.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(KgError, _kg_error_response)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    # Outermost, so error answers (413, 401…) carry CORS headers too.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "Location", "Content-Type", "WWW-Authenticate"],
        max_age=3600,
    )
    return app


async def _kg_error_response(request: Request, exc: Exception) -> Response:
    """The one error handler: status from `STATUS_BY_ERROR`, a JSON or plain-text body."""
    assert isinstance(exc, KgError)
    status = status_for(exc)
    message = str(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = 'Bearer realm="heritage-kg"'
    if status == 503:
        headers["Retry-After"] = "1"
    body: dict[str, Any] = {"error": type(exc).__name__, "status": status, "message": message}
    position = _POSITION.search(message)
    if position:
        line, column = (g for g in position.groups() if g is not None)
        body.update(line=int(line), column=int(column))
    accept = request.headers.get("accept", "")
    if "json" in accept:
        return JSONResponse(body, status_code=status, headers=headers)
    return PlainTextResponse(f"{status} {body['error']}: {message}\n", status, headers=headers)
