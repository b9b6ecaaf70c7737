"""Which per-kind Turtle file a graph's triples go to.

Per-kind Turtle files group triples by the *folder of the file they come from* (the graph IRI
names it): `data/ttl/sites/…` → `sites.ttl.gz`, likewise places, people, sources, objects, works,
organizations; `ontology/…` → `ontology.ttl.gz`; the derived truthy graph → `truthy.ttl.gz`;
anything else (e.g. files loaded from outside the project) → `other.ttl.gz`. Folder, not
`rdf:type`, because the folder is where a maintainer put the whole description of an entity
(its statements, citations and events included), so each file is a complete, self-contained slice.
"""

from __future__ import annotations

import re

from kg.namespaces import GRAPH_BASE, TRUTHY_GRAPH

__all__ = ["kind_of_graph"]

_DATA_FOLDER = GRAPH_BASE + "data/ttl/"
_KIND = re.compile(r"[a-z0-9-]+")


def kind_of_graph(graph_iri: str) -> str:
    """Which per-kind Turtle file a graph's triples go to (see the module docstring)."""
    if graph_iri == TRUTHY_GRAPH:
        return "truthy"
    if graph_iri.startswith(GRAPH_BASE + "ontology/"):
        return "ontology"
    if graph_iri.startswith(_DATA_FOLDER):
        folder = graph_iri.removeprefix(_DATA_FOLDER).split("/", 1)
        if len(folder) == 2 and _KIND.fullmatch(folder[0]):
            return folder[0]
    return "other"
