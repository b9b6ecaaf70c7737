"""`/update`: the SPARQL 1.1 Protocol update operation, for the admin token only.

POST form (`update=`) or `application/sparql-update`; `using-graph-uri` / `using-named-graph-uri`.
The update passes the guard (LOAD off the allowlist is refused even for the admin: the server
would fetch it) and is applied by `kg.store.apply_update` to a copy of the live build, which then
becomes live atomically — readers never see a half-applied update. Relative IRIs resolve against
this endpoint's URL. Success is 204 No Content.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from kg.errors import ProtocolError
from kg.store import apply_update
from kg.web.deps import AdminDep, EmbeddedOnlyDep, SettingsDep
from kg.web.guard import check_update
from kg.web.protocol import read_params
from kg.web.update_dataset import with_using_graphs

__all__ = ["router"]

router = APIRouter(tags=["sparql"])

SPARQL_UPDATE = "application/sparql-update"


@router.post("/update", name="update", status_code=204)
async def update(
    request: Request, settings: SettingsDep, _: AdminDep, __: EmbeddedOnlyDep
) -> Response:
    """Apply one SPARQL update (several operations separated by `;` are one atomic update)."""
    params = await read_params(request, direct_type=SPARQL_UPDATE, what="update")
    if params.all("query"):
        raise ProtocolError("This is the update endpoint; send queries to /sparql.")
    text = params.direct_text if params.direct_text is not None else params.one("update")
    if params.direct_text is not None and params.all("update"):
        raise ProtocolError("The update is given both as the body and as an update parameter.")
    if text is None:
        raise ProtocolError("No update: give an update parameter or a SPARQL Update body.")
    check_update(
        text, allowlist=settings.federation_allowlist, max_bytes=settings.max_query_bytes
    )
    text = with_using_graphs(
        text, params.all("using-graph-uri"), params.all("using-named-graph-uri")
    )
    version = await run_in_threadpool(
        apply_update, settings.store_dir, text, base_iri=str(request.url_for("update"))
    )
    return Response(status_code=204, headers={"X-Store-Version": version})
