"""FastAPI dependencies: the settings, the query service and the admin-token check.

Handlers declare what they need (`settings: SettingsDep`, `service: ServiceDep`, `_: AdminDep`)
and never reach into `app.state` themselves, so a test can build an app with any settings.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from kg.errors import AuthError, NotSupportedError
from kg.settings import Settings
from kg.web.service import QueryService

__all__ = [
    "AdminDep",
    "EmbeddedOnlyDep",
    "ServiceDep",
    "SettingsDep",
    "get_service",
    "get_settings",
    "require_admin",
    "require_embedded",
]


# The dependencies are `async def` on purpose: they only read app state, and FastAPI runs a plain
# `def` dependency in the thread pool — a thread hop per dependency per request, measured at about
# 2 ms of the endpoint's per-request overhead.


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


async def get_service(request: Request) -> QueryService:
    """The app's one query service (started in the lifespan)."""
    service = request.app.state.query_service
    assert isinstance(service, QueryService)
    return service


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def require_embedded(request: Request) -> None:
    """Refuse (501) what works on the embedded store only when the app fronts a remote store.

    /update and /store write the embedded builds and /search reads their full-text index: run
    against a remote store they would change, or read, a local store nobody is served from.
    """
    settings = await get_settings(request)
    if settings.backend != "embedded":
        raise NotSupportedError(
            f"{request.url.path} is not available on this server: it fronts the SPARQL store at "
            f"{settings.sparql_query_url}, and {request.url.path} works on the embedded store "
            "only. Load data into the remote store with `kg load` (docs/deploy.md)."
        )


EmbeddedOnlyDep = Annotated[None, Depends(require_embedded)]
ServiceDep = Annotated[QueryService, Depends(get_service)]


async def require_admin(request: Request, settings: SettingsDep) -> None:
    """Let a write through only with `Authorization: Bearer <KG_ADMIN_TOKEN>`; else `AuthError`.

    The token is compared in constant time (`hmac.compare_digest`) so response timing says
    nothing about how much of a guess was right. Without a configured token writes are disabled,
    except under the loopback-only test switch `open_writes_for_tests`.
    """
    if settings.open_writes_for_tests:
        return
    if settings.admin_token is None:
        raise AuthError("Writes are disabled on this endpoint (no KG_ADMIN_TOKEN is configured).")
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    expected = settings.admin_token.get_secret_value().encode()
    given = credentials.strip().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected):
        raise AuthError("This operation needs the admin bearer token (Authorization: Bearer …).")


AdminDep = Annotated[None, Depends(require_admin)]
