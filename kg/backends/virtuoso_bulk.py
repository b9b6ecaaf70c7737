"""Staging graphs into Virtuoso with its bulk loader, because its SPARQL Update cannot take them.

Virtuoso 7.2 refuses the upload `kg load` sends other stores: blank nodes in `INSERT DATA`
(SP031), updates whose generated SQL passes 10,000 lines (SP031), and batched
`INSERT {…} WHERE {}` templates of these data (SR002). Its documented way in is the bulk loader:
`ld_dir` registers a file in `DB.DBA.load_list`, `rdf_loader_run()` parses it inside the server
(1M triples in ~11 s here), and a `checkpoint` makes it durable (the loader writes no transaction
log). So the staged dataset is written as ONE N-Quads file — one file, because blank-node labels
are scoped to a file and the truthy layer shares blank nodes with the source graphs — into a
directory Virtuoso may read (`DirsAllowed`), and those SQL calls run through `isql` on Virtuoso's
SQL port. The staged graphs are then counted like on any store (`kg.backends.remote_load`), and
the switching operations (the MOVEs and the metadata graph) run as one SQL transaction through
isql too, because one HTTP update of a thousand MOVEs is too large for Virtuoso's compiler.

The SQL account is the store account of the HTTP endpoints (`KG_SPARQL_USER`/`_PASSWORD`; dba by
default in Virtuoso); isql takes it on its command line (docs/deploy.md says what that means).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from kg.errors import StoreError
from kg.settings import Settings

__all__ = ["VirtuosoBulkLoader"]

_MARK = "KGLOADSTATE"
_ISQL_TIMEOUT_S = 3600.0
_ERROR_TEXT = 2000


@dataclass(frozen=True, slots=True)
class VirtuosoBulkLoader:
    """How to reach Virtuoso's bulk loader: isql, its SQL port and a directory both can see."""

    isql: str
    sql_address: str
    user: str
    password: str
    local_dir: Path
    server_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> VirtuosoBulkLoader | None:
        """The loader the `KG_VIRTUOSO_*` settings describe, or None when they are not set."""
        if settings.virtuoso_sql_address is None or settings.virtuoso_load_dir is None:
            return None
        password = settings.sparql_password.get_secret_value() if settings.sparql_password else ""
        return cls(
            isql=settings.virtuoso_isql,
            sql_address=settings.virtuoso_sql_address,
            user=settings.sparql_user or "dba",
            password=password,
            local_dir=settings.virtuoso_load_dir,
            server_dir=settings.virtuoso_server_load_dir or str(settings.virtuoso_load_dir),
        )

    def load(self, quads: Iterator[ox.Quad], *, name: str, default_graph: str) -> None:
        """Load `quads` (already under their staging graph IRIs) into the store, durably.

        Raises `StoreError` with Virtuoso's own message when the loader refuses the file; the
        file and its `load_list` entry are removed whatever happens.
        """
        file_name = f"{name}.nq"
        local = self.local_dir / file_name
        server_file = str(PurePosixPath(self.server_dir) / file_name)
        self.local_dir.mkdir(parents=True, exist_ok=True)
        try:
            with local.open("wb") as out:
                ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)
            output = self._run(
                f"delete from DB.DBA.load_list where ll_file = {_sql(server_file)};\n"
                f"ld_dir({_sql(self.server_dir)}, {_sql(file_name)}, {_sql(default_graph)});\n"
                "rdf_loader_run();\n"
                "checkpoint;\n"
                f"select {_sql(_MARK)}, ll_state, coalesce(ll_error, '-') "
                f"from DB.DBA.load_list where ll_file = {_sql(server_file)};\n"
            )
            _check_loaded(output, server_file)
        finally:
            with contextlib.suppress(OSError):
                local.unlink()
            with contextlib.suppress(StoreError):
                self._run(f"delete from DB.DBA.load_list where ll_file = {_sql(server_file)};\n")

    def run_in_one_transaction(self, operations: list[str], *, name: str) -> None:
        """Run SPARQL Update operations as ONE SQL transaction: all of them, or none.

        Why not one HTTP update request: Virtuoso's compiler refuses a request of about a
        thousand MOVEs ("SQ156 Query too large"). Here each operation is compiled on its own
        (`exec`) inside one stored procedure, whose exit handler rolls everything back on the
        first error; readers (read committed) see the old graphs until the commit.
        """
        procedure = "DB.DBA.KG_SWITCH_" + "".join(c if c.isalnum() else "_" for c in name)
        body = "\n".join(f"  exec ({_sql('sparql ' + op)});" for op in operations)
        try:
            self._run(
                f"create procedure {procedure} () {{\n"
                "  declare exit handler for sqlstate '*' { rollback work; resignal; };\n"
                f"{body}\n"
                "  commit work;\n"
                "};\n"
                f"{procedure} ();\n",
                what="switch",
            )
        finally:
            with contextlib.suppress(StoreError):
                self._run(f"drop procedure {procedure};\n")

    def _run(self, script: str, *, what: str = "bulk load") -> str:
        """Run an SQL script through isql; any SQL error in it is a `StoreError`."""
        command = [
            self.isql, self.sql_address, self.user, self.password,
            "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT",
        ]
        try:
            done = subprocess.run(
                command, input=script, capture_output=True, text=True,
                timeout=_ISQL_TIMEOUT_S, check=False,
            )
        except FileNotFoundError:
            raise StoreError(
                f"{self.isql!r} is not installed: Virtuoso's isql (Debian virtuoso-opensource "
                "ships isql-vt) is needed to load Virtuoso (KG_VIRTUOSO_ISQL)."
            ) from None
        except subprocess.TimeoutExpired:
            raise StoreError(
                f"Virtuoso's bulk loader did not finish within {_ISQL_TIMEOUT_S:g} s."
            ) from None
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise StoreError(
                f"Virtuoso at {self.sql_address} (SQL port, via {self.isql}) refused the {what}: "
                f"{output.strip()[:_ERROR_TEXT]}"
            )
        return output


def _check_loaded(output: str, server_file: str) -> None:
    """The file's `load_list` row says loaded (state 2) with no error, or the load stops."""
    rows = [line.split(None, 2) for line in output.splitlines() if line.startswith(_MARK)]
    if len(rows) != 1 or len(rows[0]) != 3:
        raise StoreError(
            f"Virtuoso did not register {server_file} for loading: is its directory in "
            f"DirsAllowed of virtuoso.ini (KG_VIRTUOSO_SERVER_LOAD_DIR)? {output.strip()[:500]}"
        )
    _, state, error = rows[0]
    if state != "2" or error.strip() != "-":
        raise StoreError(f"Virtuoso's bulk loader failed on {server_file}: {error.strip()}")


def _sql(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
