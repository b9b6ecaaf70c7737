"""Talking to a SPARQL 1.1 store over HTTP: Query, Update and Graph Store Protocol requests.

Only this module knows the wire. Every answer is parsed with pyoxigraph's own parsers into
pyoxigraph result objects (and re-serialised by the callers with the same writers the embedded
store uses), so a remote store answers with the same bytes. What engines do differently is handled
here, from measurements (see /work/shared/notes/pyoxigraph-and-peers.md and docs/deploy.md):

- Virtuoso answers whatever the Accept header prefers, even N-Triples for a SELECT, so the query
  form is read from the text first and only the matching kind of format is asked for;
- Virtuoso labels blank nodes `nodeID://b10000` and types literals `typed-literal` in SPARQL JSON,
  which pyoxigraph's strict parser refuses: labels are rewritten, types renamed;
- Virtuoso's `timeout` parameter (ms) makes it return *partial* results with
  `X-SQL-State: S1TAT`: that header is a timeout, never an answer;
- Oxigraph's server sends 200 before evaluating and cuts the body at its own `--timeout-s`: a
  body that does not parse after a 200 is reported as the store's timeout, never as an answer;
- a direct `application/sparql-query` POST hangs on Virtuoso 7.2, so queries are form-encoded.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pyoxigraph as ox

from kg.errors import QuerySyntaxError, QueryTimeoutError, StoreError

__all__ = ["QueryForm", "SparqlClient", "query_form"]

QueryForm = Literal["select", "ask", "construct", "describe"]
SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
_FORM = re.compile(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b")
_NOT_CODE = re.compile(
    r"""\#[^\n\r]*|<[^<>"{}|^`\\\x00-\x20]*>|'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'"""
    r"""|"(?:[^"\\\n]|\\.)*\"""",
    re.DOTALL,
)
_CONNECT_S = 5.0
_ERROR_TEXT = 2000  # characters of a store's error body kept in a message


def query_form(query: str) -> QueryForm:
    """The query form (the first form keyword outside comments, IRIs and strings).

    Needed before sending, because some engines answer in whatever format Accept prefers.
    """
    match = _FORM.search(_NOT_CODE.sub(" ", query))
    if match is None:
        raise QuerySyntaxError(
            "SPARQL syntax error: no SELECT, ASK, CONSTRUCT or DESCRIBE in the query."
        )
    form = match[1].lower()
    assert form in ("select", "ask", "construct", "describe")
    return form  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Dataset:
    """The dataset a query runs on: the union of all graphs, or the graphs a request names."""

    union: bool = True
    default_graphs: Sequence[str] | None = None
    named_graphs: Sequence[str] | None = None


class SparqlClient:
    """One HTTP connection pool to a store's Query, Update and Graph Store endpoints.

    Thread-safe (httpx.Client is); `close()` releases the connections.
    """

    def __init__(
        self,
        *,
        query_url: str,
        update_url: str | None,
        gsp_url: str | None,
        auth: httpx.Auth | None,
        engine: str,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url
        self.gsp_url = gsp_url
        self.engine = engine
        self._http = httpx.Client(auth=auth, follow_redirects=False)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def query(
        self, query: str, *, timeout_s: float, dataset: Dataset | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Evaluate `query` remotely; solutions/boolean, or a list of triples for a graph.

        Raises `QueryTimeoutError` when `timeout_s` passes (HTTP timeout, the store's own timeout
        or a cut-off answer), `QuerySyntaxError` when the store refuses the text, `StoreError`
        when it cannot be reached or fails.
        """
        chosen = dataset if dataset is not None else Dataset()
        form = query_form(query)
        graph = form in ("construct", "describe")
        fields: list[tuple[str, str]] = [("query", query)]
        fields += [("default-graph-uri", g) for g in chosen.default_graphs or ()]
        fields += [("named-graph-uri", g) for g in chosen.named_graphs or ()]
        if chosen.union and self.engine == "oxigraph":
            fields.append(("union-default-graph", ""))
        if self.engine == "virtuoso":
            fields.append(("timeout", str(max(1, int(timeout_s * 1000)))))
        body, headers = self._post(
            self.query_url,
            fields,
            accept=N_TRIPLES if graph else SPARQL_JSON,
            timeout_s=timeout_s,
            what="query",
        )
        if headers.get("x-sql-state") == "S1TAT":
            raise _timeout(timeout_s, "the store stopped it at its own timeout")
        try:
            if graph:
                return list(ox.parse(body, ox.RdfFormat.N_TRIPLES))
            return ox.parse_query_results(
                _strict_json(body, ask=form == "ask"), ox.QueryResultsFormat.JSON
            )
        except (SyntaxError, ValueError):
            raise _timeout(
                timeout_s, "the store cut its answer off (its own timeout, or it failed mid-way)"
            ) from None

    def select_rows(self, query: str, *, timeout_s: float = 30.0) -> list[dict[str, str]]:
        """A SELECT's rows as {variable: lexical value or IRI}, for the backend's own queries."""
        result = self.query(query, timeout_s=timeout_s)
        assert isinstance(result, ox.QuerySolutions)
        variables = [v.value for v in result.variables]
        rows = []
        for solution in result:
            row = {}
            for name in variables:
                term = solution[name]
                if term is not None:
                    row[name] = term.value if not isinstance(term, ox.Triple) else str(term)
            rows.append(row)
        return rows

    def update(self, update: str, *, timeout_s: float = 300.0) -> None:
        """Run one SPARQL Update request (one request: the unit the engine applies at once)."""
        url = self._need(self.update_url, "KG_SPARQL_UPDATE_URL", "update")
        self._post(url, [("update", update)], accept="*/*", timeout_s=timeout_s, what="update")

    def put_graph(self, graph_iri: str, ntriples: bytes, *, timeout_s: float = 300.0) -> None:
        """Graph Store Protocol PUT: replace `graph_iri` with the N-Triples (sent as Turtle)."""
        url = self._need(self.gsp_url, "KG_SPARQL_GSP_URL", "upload graphs")
        try:
            response = self._http.put(
                url,
                params={"graph": graph_iri},
                content=ntriples,
                # N-Triples is Turtle; every engine knows text/turtle, not all application/n-triples
                headers={"Content-Type": "text/turtle; charset=utf-8"},
                timeout=httpx.Timeout(timeout_s, connect=_CONNECT_S),
            )
        except httpx.TransportError as exc:
            raise StoreError(f"The SPARQL store at {url} cannot be reached: {exc}") from exc
        _raise_for_status(response, url, "graph upload")

    def get_graph(self, graph_iri: str, *, timeout_s: float = 300.0) -> list[ox.Triple]:
        """The triples of one graph: Graph Store GET, or a CONSTRUCT without a GSP endpoint."""
        if self.gsp_url is None:
            result = self.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}",
                timeout_s=timeout_s,
                dataset=Dataset(union=False),
            )
            assert isinstance(result, list)
            return result
        try:
            response = self._http.get(
                self.gsp_url,
                params={"graph": graph_iri},
                headers={"Accept": N_TRIPLES},
                timeout=httpx.Timeout(timeout_s, connect=_CONNECT_S),
            )
        except httpx.TransportError as exc:
            raise StoreError(f"The SPARQL store at {self.gsp_url} cannot be reached: {exc}") from (
                exc
            )
        _raise_for_status(response, self.gsp_url, "graph download")
        try:
            return list(ox.parse(response.content, ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise StoreError(
                f"The store sent graph {graph_iri} in unreadable N-Triples: {exc}"
            ) from None

    def _post(
        self,
        url: str,
        fields: list[tuple[str, str]],
        *,
        accept: str,
        timeout_s: float,
        what: str,
    ) -> tuple[bytes, httpx.Headers]:
        """POST a form and read the whole answer before `timeout_s` has passed."""
        deadline = time.monotonic() + timeout_s
        chunks: list[bytes] = []
        try:
            with self._http.stream(
                "POST",
                url,
                data=dict(_group(fields)),
                headers={"Accept": accept},
                timeout=httpx.Timeout(timeout_s, connect=min(_CONNECT_S, timeout_s)),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for_status(response, url, what)
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise _timeout(timeout_s, "the answer was still arriving")
                return b"".join(chunks), response.headers
        except httpx.TimeoutException:
            raise _timeout(timeout_s, "the store did not answer in time") from None
        except httpx.TransportError as exc:
            raise StoreError(f"The SPARQL store at {url} cannot be reached: {exc}") from exc

    @staticmethod
    def _need(url: str | None, setting: str, action: str) -> str:
        """The URL, or a configuration error naming the missing setting."""
        if url is None:
            raise StoreError(f"Set {setting}: the remote store needs it to {action}.")
        return url


def _group(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields with repeated names (default-graph-uri…) as httpx expects them."""
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped


def _timeout(timeout_s: float, why: str) -> QueryTimeoutError:
    """The same timeout message whatever stopped the query."""
    return QueryTimeoutError(
        f"The query did not finish within {timeout_s:g} s and was stopped ({why}). Narrow it "
        "(a more selective pattern, a LIMIT) or ask for less."
    )


def _raise_for_status(response: httpx.Response, url: str, what: str) -> None:
    """Map the store's HTTP errors: 400 is the caller's text, the rest the store's fault."""
    if response.status_code < 400:
        return
    text = response.text.strip()[:_ERROR_TEXT]
    if response.status_code == 400 and what == "query":
        from kg.web.worker import syntax_message  # the same wording as the embedded store

        raise QuerySyntaxError(syntax_message(text.removeprefix("Parsing error: ")))
    if response.status_code in (401, 403):
        raise StoreError(
            f"The SPARQL store at {url} refused the {what} ({response.status_code}): check "
            f"KG_SPARQL_USER / KG_SPARQL_PASSWORD / KG_SPARQL_AUTH. {text}"
        )
    raise StoreError(
        f"The SPARQL store at {url} failed the {what} ({response.status_code}): {text}"
    )


def _strict_json(body: bytes, *, ask: bool = False) -> bytes:
    """SPARQL JSON that pyoxigraph's strict parser reads: Virtuoso's dialect rewritten.

    Blank-node labels like `nodeID://b10000` become `b<hash>` (the same label for the same node
    within one answer, which is all a label means); `typed-literal` becomes `literal`. Virtuoso
    7.2 answers an ASK asked for in JSON as a SELECT of one variable `__ASK_RETVAL` (one row
    `1` when true, no row when false): that becomes the boolean it means.
    """
    document: dict[str, Any] = json.loads(body)
    if ask and "boolean" not in document:
        return _ask_as_boolean(document, body)
    results = document.get("results")
    if not isinstance(results, dict):
        return body  # ASK, or something the parser will judge
    for binding in results.get("bindings", ()):
        for term in binding.values():
            _fix_term(term)
    return json.dumps(document).encode("utf-8")


def _ask_as_boolean(document: dict[str, Any], body: bytes) -> bytes:
    """Virtuoso's `__ASK_RETVAL` table as a SPARQL JSON boolean; anything else unchanged."""
    head = document.get("head")
    results = document.get("results")
    if not isinstance(head, dict) or head.get("vars") != ["__ASK_RETVAL"]:
        return body
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        return body
    values = [
        str(row.get("__ASK_RETVAL", {}).get("value", "")) for row in results["bindings"]
    ]
    answer = any(value not in ("", "0", "false") for value in values)
    return json.dumps({"head": {}, "boolean": answer}).encode("utf-8")


def _fix_term(term: dict[str, Any]) -> None:
    """Rewrite one JSON term in place (and the parts of a quoted triple)."""
    kind = term.get("type")
    if kind == "typed-literal":
        term["type"] = "literal"
    elif kind == "bnode":
        label = str(term.get("value", ""))
        if not re.fullmatch(r"[A-Za-z0-9_]+", label):
            term["value"] = "b" + hashlib.sha256(label.encode("utf-8")).hexdigest()[:24]
    elif kind == "triple" and isinstance(term.get("value"), dict):
        for part in term["value"].values():
            _fix_term(part)
