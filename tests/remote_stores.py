"""Real SPARQL stores for the backend tests: Oxigraph's server and Virtuoso, on loopback.

Each is started on free 127.0.0.1 ports with its data in a test directory, and stopped after.
Virtuoso gets its own minimal virtuoso.ini (loopback only, its own ports, DirsAllowed for bulk
loading); its HTTP endpoints need the `dba` account for writes (digest authentication), and
`kg load` reaches its bulk loader through `isql-vt` on its SQL port with a `bulk/` directory the
server may read.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["RemoteStore", "free_port", "start_oxigraph", "start_virtuoso"]

ROOT = Path(__file__).resolve().parents[1]
OXIGRAPH = ROOT / ".venv" / "bin" / "oxigraph"
_START_S = 60.0


@dataclass
class RemoteStore:
    """A running store: the `KG_*` settings that point kg at it, and its process."""

    engine: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def settings_kwargs(self) -> dict[str, str]:
        """The same settings as keyword arguments of `kg.settings.Settings`."""
        return {k.removeprefix("KG_").lower(): v for k, v in self.env.items()}

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `url` answers an ASK with 200, or fail with the store's log."""
    deadline = time.monotonic() + _START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the store exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"the store did not start: {log.read_text(errors='replace')[-2000:]}")


def start_oxigraph(directory: Path, *, timeout_s: int = 5) -> RemoteStore:
    """`oxigraph serve` on a free port with its own `--timeout-s` (it stops runaway queries)."""
    port = free_port()
    log = directory / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(OXIGRAPH), "serve", "--location", str(directory / "db"),
             "--bind", f"127.0.0.1:{port}", "--timeout-s", str(timeout_s)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/query", process, log)
    env = {
        "KG_BACKEND": "sparql",
        "KG_SPARQL_QUERY_URL": f"{base}/query",
        "KG_SPARQL_UPDATE_URL": f"{base}/update",
        "KG_SPARQL_GSP_URL": f"{base}/store",
        "KG_SPARQL_ENGINE": "oxigraph",
    }
    return RemoteStore("oxigraph", env, process)


def virtuoso_available() -> bool:
    """Whether Debian's virtuoso-opensource is installed (`make install` installs it)."""
    return shutil.which("virtuoso-t") is not None


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 10
CheckpointInterval = 0
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., {d}
SchedulerInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 30
MaxQueryCostEstimationTime = 0
DefaultQuery = select 1
"""


def start_virtuoso(directory: Path) -> RemoteStore:
    """`virtuoso-t` in the foreground with its own ini in `directory`, loopback ports only."""
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        _VIRTUOSO_INI.format(d=directory, sql_port=sql_port, http_port=http_port),
        encoding="utf-8",
    )
    log = directory / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["virtuoso-t", "-c", str(ini), "+foreground"],
            cwd=directory, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{http_port}"
    _wait(f"{base}/sparql", process, log)
    env = {
        "KG_BACKEND": "sparql",
        "KG_SPARQL_QUERY_URL": f"{base}/sparql",
        "KG_SPARQL_UPDATE_URL": f"{base}/sparql-auth",
        "KG_SPARQL_GSP_URL": f"{base}/sparql-graph-crud-auth",
        "KG_SPARQL_ENGINE": "virtuoso",
        "KG_SPARQL_USER": "dba",
        "KG_SPARQL_PASSWORD": "dba",
        "KG_SPARQL_AUTH": "digest",
        "KG_VIRTUOSO_SQL_ADDRESS": f"127.0.0.1:{sql_port}",
        "KG_VIRTUOSO_LOAD_DIR": str(directory / "bulk"),
    }
    return RemoteStore("virtuoso", env, process)
