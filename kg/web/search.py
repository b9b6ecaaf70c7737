"""`/search`: find an entity by any of its names, in any script, through the name index.

The index (`kg.search`) is a file inside the live build, so a search always reads the index of
the same build the pages query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kg.search import SEARCH_INDEX_FILE, search
from kg.store import require_store
from kg.web.deps import EmbeddedOnlyDep
from kg.web.entity_view import Link, href_of, kind_of
from kg.web.pages import AnswererDep, ReaderDep, SettingsDep, labels_of_iris, render

__all__ = ["router"]

router = APIRouter()


@router.get("/search", name="search")
def search_page(
    request: Request, answer: AnswererDep, reader: ReaderDep, settings: SettingsDep,
    _: EmbeddedOnlyDep, q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Entities whose names contain every word of `q` as word prefixes, in the reader's labels."""
    index = require_store(settings.store_dir) / SEARCH_INDEX_FILE
    hits = search(index, q, limit=50) if q.strip() else []
    labels = labels_of_iris(answer, [h.iri for h in hits])
    results = []
    for hit in hits:
        text, tag = labels.pick(hit.iri, reader.lang)
        link = Link(iri=hit.iri, href=href_of(hit.iri), label=text, lang=tag,
                    kind=kind_of(hit.iri))
        results.append((link, hit.text))
    return render(request, reader, "search.html", {"q": q, "hits": results})
