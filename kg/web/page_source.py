"""Where the web process gets an entity page's data: one worker job per page, or queries.

On the embedded store a page is one `PageJob` for a query worker (deadline and kill included);
on a remote store (`KG_BACKEND=sparql`) the same queries go through the QueryService one by one
(its deadline, cache and metrics), read from SPARQL JSON. Both give the same view and graph.
"""

from __future__ import annotations

from kg.web.entity_build import describe_entity
from kg.web.entity_queries import construct_query, exists, json_selector
from kg.web.entity_view import EntityView
from kg.web.page_work import PageJob, PageResult
from kg.web.service import QueryService, raise_for

__all__ = ["page_graph", "page_view"]


def page_view(service: QueryService, iri: str, lang: str) -> EntityView | None:
    """The view of `iri`'s page for a reader of `lang`, or None if the graph has nothing on it."""
    if service.remote is not None:
        select = json_selector(lambda query, media: service.answer(query, accept=media).body)
        return describe_entity(select, iri, lang) if exists(select, iri) else None
    return _run(service, iri, lang, None).view


def page_graph(service: QueryService, iri: str, media_type: str) -> bytes | None:
    """The graph behind `iri`'s page in the RDF `media_type`, or None if there is none."""
    if service.remote is not None:
        select = json_selector(lambda query, media: service.answer(query, accept=media).body)
        if not exists(select, iri):
            return None
        return service.answer(construct_query(iri), accept=media_type).body
    result = _run(service, iri, "", media_type)
    return result.body if result.found else None


def _run(service: QueryService, iri: str, lang: str, graph_format: str | None) -> PageResult:
    """One page job on the live build; again on the new live build if a swap removed this one."""
    while True:
        build = service.live.current()
        job = PageJob(build_dir=str(build), iri=iri, lang=lang, graph_format=graph_format)
        outcome = service.executor.run(job, timeout_s=service.settings.query_timeout_s)
        if outcome.kind == "store" and not build.exists():
            continue  # `kg load` swapped twice and removed this build mid-page
        raise_for(outcome)
        assert outcome.page is not None
        return outcome.page
