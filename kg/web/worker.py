"""What runs inside a query worker process: hold the live build open read-only, answer jobs.

This module is preloaded by the executor's forkserver, so it imports only what a worker needs
(pyoxigraph, the prefix table and the pure-Python page builder of `kg.web.page_work`) and a new
worker starts in milliseconds. Besides SPARQL `Job`s it answers `PageJob`s: a whole entity page
gathered on the open store in one round trip. A worker evaluates one
job at a time and sends back the result already serialised to bytes by pyoxigraph's own writers:
building Python row objects would hold the GIL and cost far more than the evaluation itself.
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kg.namespaces import PREFIXES
from kg.web.page_work import PageJob, PageMemo, PageResult, evaluate_page

__all__ = ["Job", "Outcome", "outcome_of", "serve", "syntax_message"]

_POSITION = re.compile(r"^error at (\d+):(\d+)(: )?")


@dataclass(frozen=True, slots=True)
class Job:
    """One query for a worker: which build to read, the text, the dataset and the two formats.

    `default_graphs` / `named_graphs` are None unless the request named graphs; `union` says
    whether the default graph is the union of all graphs (it is not when the query or the
    request names its own dataset). `solutions_format` / `graph_format` are media types (or None
    when the client accepts no format of that kind); the query form decides which one is used.
    """

    build_dir: str
    query: str
    union: bool
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    solutions_format: str | None
    graph_format: str | None

    def __reduce__(self) -> tuple[type[Job], tuple[object, ...]]:
        """Pickled as its fields, in order: cheaper than the default for a slotted dataclass
        (which lists `fields()` on each side), and a job crosses the pipe on every request."""
        return (Job, (self.build_dir, self.query, self.union, self.default_graphs,
                      self.named_graphs, self.solutions_format, self.graph_format))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A worker's answer: `kind` is "ok" (then `media_type` and `body` are set) or an error kind.

    Error kinds: "syntax" (the parser's message), "not_acceptable" (no format of the kind the
    query form needs), "usage" (a bad graph IRI) and "store" (the build could not be read).
    """

    kind: str
    message: str = ""
    media_type: str = ""
    body: bytes = b""
    page: PageResult | None = None  # the answer to a `PageJob`

    def __reduce__(self) -> tuple[type[Outcome], tuple[object, ...]]:
        """Pickled as its fields, in order (see `Job.__reduce__`)."""
        return (Outcome, (self.kind, self.message, self.media_type, self.body, self.page))


def serve(conn: Connection) -> None:
    """Worker main loop: answer jobs until the pipe closes or a None job asks it to stop."""
    opened: tuple[str, ox.Store] | None = None
    memo = PageMemo("")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        assert isinstance(job, Job | PageJob)
        try:
            if opened is None or opened[0] != job.build_dir:
                opened = None
                gc.collect()  # close the previous build before opening the new one
                opened = (job.build_dir, ox.Store.read_only(job.build_dir))
                memo = PageMemo(job.build_dir)
            if isinstance(job, PageJob):
                outcome = _page_outcome(opened[1], job, memo)
            else:
                outcome = evaluate(opened[1], job)
        except OSError as exc:
            opened = None
            outcome = Outcome("store", f"The store could not answer the query: {exc}")
        conn.send(outcome)


def _page_outcome(store: ox.Store, job: PageJob, memo: PageMemo) -> Outcome:
    """A page job's answer; a page query the store refuses is a store error, not a dead worker."""
    try:
        return Outcome("ok", page=evaluate_page(store, job, memo))
    except (SyntaxError, ValueError) as exc:
        return Outcome("store", f"The page of {job.iri} could not be gathered: {exc}")


def evaluate(store: ox.Store, job: Job) -> Outcome:
    """Evaluate `job` on `store` and serialise the result in the format its query form needs."""
    try:
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
        if job.default_graphs is not None:
            default_graph = [ox.NamedNode(g) for g in job.default_graphs]
        if job.named_graphs is not None:
            named_graphs = [ox.NamedNode(g) for g in job.named_graphs]
    except ValueError as exc:
        return Outcome("usage", f"A graph IRI of the request is not a valid IRI: {exc}")
    try:
        result = store.query(
            job.query,
            prefixes=PREFIXES,
            use_default_graph_as_union=job.union,
            default_graph=default_graph,
            named_graphs=named_graphs,
        )
    except SyntaxError as exc:
        return Outcome("syntax", syntax_message(str(exc.msg or exc)))
    return outcome_of(result, solutions_format=job.solutions_format, graph_format=job.graph_format)


def outcome_of(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple],
    *,
    solutions_format: str | None,
    graph_format: str | None,
) -> Outcome:
    """Serialise a result in the negotiated format of its kind (a list of triples is a graph).

    Shared with the remote backend, so the endpoint answers with the same bytes on every store.
    """
    if isinstance(result, ox.QueryTriples | list):
        rdf_format = _rdf_format(graph_format)
        if rdf_format is None:
            return Outcome(
                "not_acceptable",
                "A CONSTRUCT or DESCRIBE query returns a graph, but the request accepts none of "
                "the graph formats (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD).",
            )
        if isinstance(result, list):
            body = ox.serialize(result, format=rdf_format) or b""
        else:
            body = result.serialize(format=rdf_format) or b""
        return Outcome("ok", media_type=rdf_format.media_type, body=body)
    results_format = _results_format(solutions_format)
    if results_format is None:
        return Outcome(
            "not_acceptable",
            "A SELECT or ASK query returns solutions, but the request accepts none of the "
            "result formats (SPARQL JSON, SPARQL XML, CSV, TSV).",
        )
    body = result.serialize(format=results_format) or b""
    return Outcome("ok", media_type=results_format.media_type, body=body)


def syntax_message(message: str) -> str:
    """The parser's message with its `error at L:C` position spelled out for people."""
    match = _POSITION.match(message)
    if not match:
        return f"SPARQL syntax error: {message}"
    return (
        f"SPARQL syntax error at line {match[1]}, column {match[2]}: " + message[match.end() :]
    )


def _rdf_format(media_type: str | None) -> ox.RdfFormat | None:
    """pyoxigraph's writer for a graph media type, or None."""
    return None if media_type is None else ox.RdfFormat.from_media_type(media_type)


def _results_format(media_type: str | None) -> ox.QueryResultsFormat | None:
    """pyoxigraph's writer for a results media type, or None."""
    return None if media_type is None else ox.QueryResultsFormat.from_media_type(media_type)
