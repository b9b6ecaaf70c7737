"""`/query`: the YASGUI editor, served from the npm package the Makefile installs (no CDN).

The editor points at this server's `/sparql`, knows the canonical prefixes
(`kg.namespaces.PREFIXES`), offers every example of `queries/` in a picker, and opens with the
`?query=` text when a page links here ("open this page's data in the query editor").
"""

from __future__ import annotations

import json
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

from kg.examples import default_directory, load_examples
from kg.namespaces import PREFIXES
from kg.web.pages import ReaderDep, SettingsDep, render

__all__ = ["YASGUI_BUILD", "router"]

router = APIRouter()

#: Where `npm ci` (run by `make install`) puts YASGUI, relative to the checkout.
YASGUI_BUILD: Final = ("web", "node_modules", "@zazuko", "yasgui", "build")
_ASSETS: Final = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
}

_DEFAULT_QUERY: Final = """SELECT ?site ?label WHERE {
  ?site a hk:HeritageSite ; rdfs:label ?label .
  FILTER(lang(?label) = "en")
} ORDER BY ?label LIMIT 20"""


@router.get("/query", name="query_ui")
def query_page(
    request: Request, reader: ReaderDep, settings: SettingsDep,
    query: Annotated[str | None, Query(max_length=100_000)] = None,
) -> Response:
    """The editor page, with the examples and prefixes embedded as JSON."""
    examples = [
        {"id": e.id, "title": e.title, "description": e.description, "query": e.query}
        for e in load_examples(default_directory(settings.root))
    ]
    config = {
        "endpoint": str(request.base_url).rstrip("/") + "/sparql",
        "prefixes": PREFIXES,
        "examples": examples,
        "query": query if query is not None else _DEFAULT_QUERY,
    }
    return render(request, reader, "query.html", {
        "config_json": json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
        "examples": examples,
    })


@router.get("/query/assets/{name}", name="query_assets", include_in_schema=False)
def query_asset(name: str, settings: SettingsDep) -> Response:
    """YASGUI's script and stylesheet (a fixed list, so no path leaves the package)."""
    if name not in _ASSETS:
        raise HTTPException(status_code=404)
    path = settings.root.joinpath(*YASGUI_BUILD, name)
    if not path.is_file():
        raise HTTPException(
            status_code=503, detail="YASGUI is not installed: run `make install` (npm ci)."
        )
    return FileResponse(path, media_type=_ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})
