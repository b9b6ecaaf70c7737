"""A whole entity page as ONE job for a query worker: every query of the page, in the worker.

A page needs a dozen small queries (its triples, statements, names, citations, labels…). Sent one
by one through the endpoint, each paid the guard, the cache key, a pipe round trip and a JSON
parse in the web process; in the worker they are direct look-ups on the open store (well under a
millisecond each), and the web process gets back the finished `EntityView` (or the page's graph
serialised). The deadline and the kill at the deadline apply to the job as to any query.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.web.entity_build import describe_entity
from kg.web.entity_queries import SITE_POINTS_QUERY, construct_query, exists, store_selector
from kg.web.entity_view import EntityView, Row

__all__ = ["PageJob", "PageMemo", "PageResult", "evaluate_page"]


@dataclass(frozen=True, slots=True)
class PageJob:
    """The page of `iri` on the build `build_dir`: its view in `lang`, or its graph.

    `graph_format` None asks for the HTML view model; otherwise it is the RDF media type the
    graph is serialised in.
    """

    build_dir: str
    iri: str
    lang: str
    graph_format: str | None = None


@dataclass(frozen=True, slots=True)
class PageResult:
    """What a page job found: nothing (the graph says nothing about the IRI), a view or a graph."""

    found: bool
    view: EntityView | None = None
    media_type: str = ""
    body: bytes = b""


@dataclass(slots=True)
class PageMemo:
    """What every page of one build shares, computed once per worker and build."""

    build_dir: str
    site_points: list[Row] | None = None


def evaluate_page(store: ox.Store, job: PageJob, memo: PageMemo) -> PageResult:
    """Answer `job` from `store`; `memo` must belong to the same build."""
    select = store_selector(store)
    if not exists(select, job.iri):
        return PageResult(found=False)
    if job.graph_format is not None:
        rdf_format = ox.RdfFormat.from_media_type(job.graph_format)
        if rdf_format is None:
            raise ValueError(f"not an RDF media type: {job.graph_format}")
        result = store.query(construct_query(job.iri), use_default_graph_as_union=True)
        assert isinstance(result, ox.QueryTriples)
        body = result.serialize(format=rdf_format) or b""
        return PageResult(found=True, media_type=rdf_format.media_type, body=body)

    def site_points() -> list[Row]:
        if memo.site_points is None:
            memo.site_points = select(SITE_POINTS_QUERY)
        return memo.site_points

    return PageResult(found=True, view=describe_entity(select, job.iri, job.lang, site_points))
