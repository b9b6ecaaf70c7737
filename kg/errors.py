"""The errors heritage-kg raises on purpose, mapped to exit codes and HTTP statuses in one place.

Everything a user can get wrong (a path, a Turtle file, a query) is a `UserInputError`: the CLI
prints its message as one paragraph and exits 2; the web layer answers 400. Anything else is a bug
or a storage fault and must surface as such, never be dressed up as bad input.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuthError",
    "KgError",
    "NotAcceptableError",
    "NotFoundError",
    "NotSupportedError",
    "ProtocolError",
    "QueryRefusedError",
    "QuerySyntaxError",
    "QueryTimeoutError",
    "RequestTooLargeError",
    "ServiceBusyError",
    "SourceFileError",
    "StoreError",
    "StoreNotBuiltError",
    "UnsupportedMediaTypeError",
    "UserInputError",
]


class KgError(Exception):
    """Base class of every error heritage-kg raises deliberately."""


class UserInputError(KgError):
    """Input that the user can fix: a missing path, a malformed file or query, a bad option."""


class SourceFileError(UserInputError):
    """A data file that cannot be read as RDF; carries the position the parser reported.

    `line` and `column` are 1-based, as editors and CI annotations expect.
    """

    def __init__(
        self,
        path: Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.reason = message
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class QuerySyntaxError(UserInputError):
    """A SPARQL query or update the parser rejected; the message is the parser's own."""


class StoreError(KgError):
    """The store is missing, locked or damaged: not the user's input, but not a bug either."""


class StoreNotBuiltError(UserInputError):
    """A command needs the store but `kg load` has not built one yet in the configured directory.

    It is the user's to fix (run `kg load`, or point `KG_STORE_DIR` at the right place), so it
    exits 2 like other usage errors rather than looking like a fault of the store.
    """


class QueryTimeoutError(UserInputError):
    """A query ran past the configured deadline and was stopped; the user can narrow it."""


class ServiceBusyError(QueryTimeoutError):
    """No query worker became free before the request's deadline (or admission wait) ran out.

    A kind of timeout, so it maps to 503 wherever timeouts do: the wait for a worker counts
    against the query's own deadline.
    """


class QueryRefusedError(UserInputError):
    """A query or update the endpoint will not run (SERVICE/LOAD off the allowlist, too large)."""


class ProtocolError(UserInputError):
    """An HTTP request that breaks the SPARQL protocol: two queries, a GET update, a bad charset."""


class RequestTooLargeError(UserInputError):
    """A request body larger than `Settings.max_request_bytes`; it is refused before parsing."""


class UnsupportedMediaTypeError(ProtocolError):
    """A request body in a media type the endpoint cannot read."""


class NotAcceptableError(ProtocolError):
    """No format the endpoint can produce satisfies the request's Accept header."""


class NotFoundError(UserInputError):
    """The named thing (a graph in the Graph Store Protocol) does not exist."""


class NotSupportedError(KgError):
    """A request this server cannot serve with its configured backend (HTTP 501): /update,
    /store and /search need the embedded store; a remote store is written by `kg load`."""


class AuthError(KgError):
    """A write without the admin bearer token, or with a wrong one."""
