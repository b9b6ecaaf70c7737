"""Running a SPARQL query against the live store, with a deadline, in a chosen output format.

pyoxigraph cannot cancel a running query from Python (see the shared pyoxigraph notes), so the
query is evaluated in a forked child process that is killed at the deadline. The child serialises
the result straight to bytes with pyoxigraph's own writers (SPARQL JSON/CSV/TSV, Turtle, N-Triples);
only the human `table` format is built in the parent, from the SPARQL JSON.

Queries see the union of all named graphs as their default graph, and the canonical prefixes of
`kg.namespaces` are declared for them, so `hk:HeritageSite` works without a prologue (a query's own
`PREFIX` lines still win).
"""

from __future__ import annotations

import enum
import json
import multiprocessing
import re
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import QuerySyntaxError, QueryTimeoutError, StoreError, UserInputError
from kg.namespaces import sparql_prologue
from kg.store import open_store, require_store

__all__ = [
    "OutputFormat",
    "QueryResult",
    "ResultKind",
    "read_query",
    "run_query",
    "serialise",
]


class OutputFormat(enum.StrEnum):
    """The formats `kg query --format` offers."""

    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    turtle = "turtle"
    ntriples = "ntriples"


class ResultKind(enum.StrEnum):
    """What the query form returns."""

    solutions = "solutions"  # SELECT
    boolean = "boolean"  # ASK
    triples = "triples"  # CONSTRUCT, DESCRIBE


_SOLUTION_FORMATS = {
    OutputFormat.csv: ox.QueryResultsFormat.CSV,
    OutputFormat.tsv: ox.QueryResultsFormat.TSV,
    OutputFormat.json: ox.QueryResultsFormat.JSON,
    OutputFormat.table: ox.QueryResultsFormat.JSON,  # the parent draws the table from JSON
}
_GRAPH_FORMATS = {
    OutputFormat.turtle: ox.RdfFormat.TURTLE,
    OutputFormat.ntriples: ox.RdfFormat.N_TRIPLES,
    OutputFormat.table: ox.RdfFormat.N_TRIPLES,  # the parent draws the table from N-Triples
}
# The prologue is one line, so positions in the user's query shift by exactly one line.
_PROLOGUE = sparql_prologue().replace("\n", " ") + "\n"
_POSITION = re.compile(r"^error at (\d+):(\d+)")


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A serialised result: `body` is in `fmt`, except for `table`, where it is JSON/N-Triples."""

    kind: ResultKind
    fmt: OutputFormat
    body: bytes

    def table_rows(self) -> tuple[list[str], list[list[str]]]:
        """Column names and rows of cell texts, for drawing the result as a table."""
        if self.kind is ResultKind.triples:
            rows = [_split_ntriple(line) for line in self.body.decode().splitlines() if line]
            return ["subject", "predicate", "object"], rows
        document: dict[str, Any] = json.loads(self.body)
        if self.kind is ResultKind.boolean:
            return ["result"], [["true" if document["boolean"] else "false"]]
        variables: list[str] = document["head"]["vars"]
        rows = [
            [_cell(binding.get(var)) for var in variables]
            for binding in document["results"]["bindings"]
        ]
        return variables, rows


def read_query(text_or_path: str) -> str:
    """The query text: the `.rq` file named, the query of the example file named, or the argument.

    An example of `queries/` (`NNN-slug.ttl`, see `kg.examples`) runs as it is, so a scholar can
    try any example from the command line exactly as CI checks it.
    """
    if "\n" in text_or_path:  # a file name never spans lines; the query text often does
        return text_or_path
    candidate = Path(text_or_path)
    if text_or_path.endswith(".ttl"):
        from kg.examples import load_example  # only needed for example files

        if not _is_file(candidate):
            raise UserInputError(f"{text_or_path}: no such example file.")
        return load_example(candidate).query
    if text_or_path.endswith(".rq") or _is_file(candidate):
        try:
            return candidate.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserInputError(f"{text_or_path}: no such query file.") from None
        except UnicodeDecodeError:
            raise UserInputError(f"{text_or_path}: the query file is not UTF-8.") from None
    return text_or_path


def _is_file(candidate: Path) -> bool:
    """Whether the argument names a file; a long one-line query is simply not a file name."""
    try:
        return candidate.is_file()
    except OSError:  # e.g. ENAMETOOLONG
        return False


def run_query(
    query: str,
    *,
    store_dir: Path,
    fmt: OutputFormat = OutputFormat.table,
    timeout_s: float,
) -> QueryResult:
    """Evaluate `query` on the live store in a child process killed after `timeout_s` seconds.

    Raises `QuerySyntaxError` with the parser's message (positions refer to the user's text),
    `UserInputError` for a format that does not fit the query form, `QueryTimeoutError` at the
    deadline, and `StoreNotBuiltError` before the first `kg load`.
    """
    require_store(store_dir)  # fail here, with the clear "run kg load" message
    # fork, not spawn: a spawned child would re-import the whole CLI (~1 s). The parent holds no
    # store and runs no threads at this point, which is what makes forking safe.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_evaluate_in_child, args=(sender, str(store_dir), query, fmt.value), daemon=True
    )
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise QueryTimeoutError(
                f"The query did not finish within {timeout_s:g} s and was stopped. Narrow it "
                "(a LIMIT, a more selective pattern) or raise KG_QUERY_TIMEOUT_S."
            )
        try:
            outcome: tuple[str, str, bytes | str] = receiver.recv()
        except EOFError:
            raise StoreError(
                f"The query process ended without an answer (exit code {worker.exitcode})."
            ) from None
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()
    status, kind, payload = outcome
    if status == "ok":
        assert isinstance(payload, bytes)
        return QueryResult(kind=ResultKind(kind), fmt=fmt, body=payload)
    assert isinstance(payload, str)
    if kind == "syntax":
        raise QuerySyntaxError(payload)
    if kind == "usage":
        raise UserInputError(payload)
    raise StoreError(payload)


def _evaluate_in_child(sender: Connection, store_dir: str, query: str, fmt_name: str) -> None:
    """Child-process body: evaluate, serialise, send one ("ok"|"error", kind, payload) tuple."""
    try:
        sender.send(("ok", *evaluate(open_store(Path(store_dir)), query, OutputFormat(fmt_name))))
    except SyntaxError as exc:
        sender.send(("error", "syntax", _user_position(str(exc.msg or exc))))
    except UserInputError as exc:
        sender.send(("error", "usage", str(exc)))
    except OSError as exc:
        sender.send(("error", "store", f"The store could not answer the query: {exc}"))
    finally:
        sender.close()


def evaluate(store: ox.Store, query: str, fmt: OutputFormat) -> tuple[str, bytes]:
    """Evaluate on the union of the named graphs; return (result kind, serialised bytes)."""
    return serialise(store.query(_PROLOGUE + query, use_default_graph_as_union=True), fmt)


def serialise(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple],
    fmt: OutputFormat,
) -> tuple[str, bytes]:
    """(result kind, bytes in `fmt`) of a result; a list of triples is a graph result.

    Shared by every backend, so the same answer prints the same bytes wherever it was computed.
    """
    if isinstance(result, ox.QueryTriples | list):
        graph_format = _GRAPH_FORMATS.get(fmt)
        if graph_format is None:
            raise UserInputError(
                f"A CONSTRUCT or DESCRIBE query returns triples; --format {fmt} is for SELECT and "
                "ASK. Use table, turtle or ntriples."
            )
        if isinstance(result, list):
            return ResultKind.triples.value, ox.serialize(result, format=graph_format) or b""
        return ResultKind.triples.value, result.serialize(format=graph_format) or b""
    results_format = _SOLUTION_FORMATS.get(fmt)
    if results_format is None:
        raise UserInputError(
            f"A SELECT or ASK query returns solutions; --format {fmt} is for CONSTRUCT and "
            "DESCRIBE. Use table, csv, tsv or json."
        )
    kind = ResultKind.boolean if isinstance(result, ox.QueryBoolean) else ResultKind.solutions
    return kind.value, result.serialize(format=results_format) or b""


def _user_position(message: str) -> str:
    """Shift the parser's `error at L:C` back by the one prologue line we prepended."""
    match = _POSITION.match(message)
    if not match:
        return f"SPARQL syntax error: {message}"
    line = int(match[1]) - 1
    return f"SPARQL syntax error at line {line}, column {match[2]}" + message[match.end() :]


def _cell(term: dict[str, str] | None) -> str:
    """A SPARQL JSON term as a reader expects to see it in a table."""
    if term is None:
        return ""
    value = term["value"]
    if term["type"] == "uri":
        return f"<{value}>"
    if term["type"] == "bnode":
        return f"_:{value}"
    if "xml:lang" in term:
        return f'"{value}"@{term["xml:lang"]}'
    datatype = term.get("datatype")
    if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
        return f'"{value}"^^<{datatype}>'
    return value


def _split_ntriple(line: str) -> list[str]:
    """Split one N-Triples line into its three terms (the object may contain spaces)."""
    subject, predicate, rest = line.split(" ", 2)
    return [subject, predicate, rest.removesuffix(" .").rstrip()]
