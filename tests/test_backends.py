"""Every command on every backend: embedded Oxigraph, Oxigraph's server and Virtuoso, for real.

Each remote store is started on loopback for this module (see `remote_stores.py`), loaded with the
real `kg load`, and stopped after. The example queries of `queries/` must give their expected
results (the embedded store's, checked by test_examples.py) on every backend; where an engine
genuinely differs, the difference is listed in `KNOWN_DIFFERENCES` with its reason, and the test
fails if the list is wrong either way.

Virtuoso 7.2 is not yet a working target of `kg load` (see `test_virtuoso_load_is_refused_cleanly`
and docs/deploy.md): the upload requests it refuses are recorded there, and the test checks that the
refusal leaves nothing half-loaded.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from cli_runner import ROOT, kg_environment
from remote_stores import (
    RemoteStore,
    free_port,
    start_oxigraph,
    start_virtuoso,
    virtuoso_available,
)

from kg.backends.remote import STAGING_BASE, RemoteBackend
from kg.backends.remote_load import push_dataset
from kg.dataset import SourceFile, discover_files
from kg.errors import QueryTimeoutError
from kg.examples import Example, default_directory, load_examples, render_result
from kg.query import OutputFormat
from kg.release import ReleaseOptions, make_release
from kg.settings import Settings
from kg.stats import collect_stats

# Example id -> why this engine's answer differs from the embedded store's. Empty: none differ.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {"oxigraph": {}}
# Never finishes on ~11k triples (a triple cross product): for the deadline tests.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _kg(*args: str, env: dict[str, str], store_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `kg` command."""
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        cwd=ROOT, env=kg_environment(store_dir, env), capture_output=True, text=True,
        timeout=300, check=False,
    )


@pytest.fixture(scope="module", params=["oxigraph"])
def remote(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RemoteStore]:
    """A running store of each engine, loaded by `kg load` with the project's data."""
    engine: str = request.param
    if engine == "virtuoso" and not virtuoso_available():
        pytest.fail("virtuoso-t is missing: `make install` installs virtuoso-opensource")
    directory = tmp_path_factory.mktemp(engine)
    store = start_oxigraph(directory) if engine == "oxigraph" else start_virtuoso(directory)
    try:
        loaded = _kg("load", env=store.env, store_dir=directory / "unused")
        assert loaded.returncode == 0, loaded.stderr
        assert "as version" in loaded.stderr
        yield store
    finally:
        store.stop()


@pytest.fixture
def backend(remote: RemoteStore) -> Iterator[RemoteBackend]:
    """The library's remote backend for that store."""
    client = RemoteBackend.from_settings(Settings(**remote.settings_kwargs()))  # type: ignore[arg-type]
    yield client
    client.close()


@pytest.fixture(scope="module")
def embedded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded store built from the same data by `kg load`."""
    store_dir = tmp_path_factory.mktemp("embedded") / "store"
    loaded = _kg("load", env={}, store_dir=store_dir)
    assert loaded.returncode == 0, loaded.stderr
    return store_dir


def _render(backend: RemoteBackend, example: Example) -> str:
    """The example's result from the remote store, as the text of its expected sidecar."""
    result = backend.evaluate(example.query, timeout_s=60)
    if isinstance(result, list):
        return render_result(result)  # type: ignore[arg-type]  # a list of triples renders alike
    return render_result(result)


def _same(example: Example, actual: str) -> bool:
    """The comparison of kg.examples.check_example: graphs as sets, the rest as text."""
    if example.kind == "construct":
        return set(ox.parse(actual, ox.RdfFormat.TURTLE)) == set(
            ox.parse(example.expected or "", ox.RdfFormat.TURTLE)
        )
    return actual == example.expected


def test_examples_give_the_same_results(remote: RemoteStore, backend: RemoteBackend) -> None:
    """Every example of queries/ gives the embedded store's result, bar the listed differences."""
    examples = load_examples(default_directory(ROOT))
    assert len(examples) >= 20
    differing = {e.id for e in examples if not _same(e, _render(backend, e))}
    assert differing == set(KNOWN_DIFFERENCES[remote.engine])


def test_kg_query_prints_the_same_bytes(remote: RemoteStore, embedded_dir: Path) -> None:
    """`kg query FILE --format F` prints byte-identical output on the remote store."""
    example = next(e for e in load_examples(default_directory(ROOT)) if e.kind == "select")
    for fmt in ("tsv", "json", "csv"):
        here = _kg("query", str(example.path), "--format", fmt, env={}, store_dir=embedded_dir)
        there = _kg(
            "query", str(example.path), "--format", fmt, env=remote.env, store_dir=embedded_dir
        )
        assert here.returncode == there.returncode == 0, there.stderr
        assert there.stdout == here.stdout
    bad = _kg("query", "SELECT * WHERE { ?s ?p", env=remote.env, store_dir=embedded_dir)
    assert bad.returncode == 2 and "syntax" in bad.stderr.lower()


def test_stats_and_release_match_the_embedded_store(
    remote: RemoteStore, backend: RemoteBackend, embedded_dir: Path, tmp_path: Path
) -> None:
    """Same counts, and the same canonical N-Quads dump, from either store."""
    from kg.backends.embedded import EmbeddedBackend

    embedded = EmbeddedBackend(embedded_dir)
    assert backend.graph_counts() == embedded.graph_counts()
    dumps = []
    for name, source in (("embedded", embedded), ("remote", backend)):
        with source.snapshot() as snapshot:
            assert collect_stats(snapshot.store) == collect_stats(snapshot.store)
            stats = collect_stats(snapshot.store)
            report = make_release(
                ReleaseOptions(
                    store_dir=embedded_dir, releases_dir=tmp_path / name, project_root=ROOT,
                    base_url="https://w3id.org/heritage-kg/",
                    license_iri="https://creativecommons.org/licenses/by/4.0/",
                    publisher_iri="https://w3id.org/heritage-kg/", publisher_name="test",
                    version="1", validate=False,
                ),
                snapshot,
            )
        dumps.append((stats, gzip.decompress((report.directory / "dataset.nq.gz").read_bytes())))
    (here_stats, here_dump), (there_stats, there_dump) = dumps
    assert there_stats == here_stats and there_stats.ok
    assert there_dump == here_dump
    stats_cli = _kg("stats", env=remote.env, store_dir=embedded_dir)
    assert stats_cli.returncode == 0, stats_cli.stderr


class _FailAfter:
    """A load progress that raises after `n` graphs were uploaded: a failure mid-upload."""

    def __init__(self, n: int) -> None:
        self.left = n

    def checked(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def loading(self, total_triples: int) -> None:
        """Ignore."""

    def loaded(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def stage(self, description: str) -> None:
        """Count uploaded batches; fail after the n-th."""
        if description.startswith("uploaded batch"):
            self.left -= 1
            if self.left == 0:
                raise RuntimeError("upload interrupted")


def test_a_failed_upload_leaves_the_served_data_intact(backend: RemoteBackend) -> None:
    """Interrupted after 3 upload requests: same version, same counts, no staged graph left."""
    version, counts = backend.version(), backend.graph_counts()
    settings = Settings()
    files = discover_files(settings.data_paths, root=settings.root)
    with pytest.raises(RuntimeError, match="upload interrupted"):
        push_dataset(backend, files, progress=_FailAfter(3))
    assert backend.version() == version
    assert backend.graph_counts() == counts
    leftovers = backend.client.select_rows(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{STAGING_BASE}")) }}'
    )
    assert leftovers == []


def test_a_reload_switches_version_and_keeps_the_counts(backend: RemoteBackend) -> None:
    """A second complete load replaces the graphs (no duplicates) under a new version."""
    version, counts = backend.version(), backend.graph_counts()
    settings = Settings()
    report = backend.load(discover_files(settings.data_paths, root=settings.root))
    assert backend.version() == report.build_dir.name != version
    assert backend.graph_counts() == counts


def test_the_store_deadline_stops_a_runaway_query(backend: RemoteBackend) -> None:
    """The client's deadline (and the store's own timeout) end a query that never finishes."""
    with pytest.raises(QueryTimeoutError):
        backend.query(RUNAWAY, fmt=OutputFormat.json, timeout_s=1.0)
    assert backend.version()  # the store still answers


def _serve(remote: RemoteStore, store_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`kg serve` in front of the remote store on a free loopback port."""
    port = free_port()
    env = kg_environment(store_dir, {**remote.env, "KG_WORKERS": "1", "KG_QUERY_TIMEOUT_S": "2"})
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError("kg serve did not start")


def test_kg_serve_keeps_its_rules_in_front_of_the_store(
    remote: RemoteStore, backend: RemoteBackend, tmp_path: Path
) -> None:
    """Answers, ETag keyed by the store version, 304, SERVICE refused (403), deadline (503)."""
    process, base = _serve(remote, tmp_path / "unused")
    try:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a hk:HeritageSite }"
        first = httpx.get(f"{base}/sparql", params={"query": query}, timeout=30)
        assert first.status_code == 200, first.text
        assert first.headers["x-store-version"] == backend.version()
        n = json.loads(first.content)["results"]["bindings"][0]["n"]["value"]
        assert n == "45"
        again = httpx.get(
            f"{base}/sparql", params={"query": query},
            headers={"If-None-Match": first.headers["etag"]}, timeout=30,
        )
        assert again.status_code == 304
        service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
        refused = httpx.get(f"{base}/sparql", params={"query": service}, timeout=30)
        assert refused.status_code == 403
        slow = httpx.get(f"{base}/sparql", params={"query": RUNAWAY}, timeout=60)
        assert slow.status_code == 503
        bad = httpx.get(f"{base}/sparql", params={"query": "SELECT * WHERE {"}, timeout=30)
        assert bad.status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_virtuoso_load_is_refused_cleanly(tmp_path: Path) -> None:
    """KNOWN LIMITATION: Virtuoso 7.2 fails an upload request (SR002 inside its SPARQL-to-SQL
    compiler on blank-node templates); the load stops before the switch, leaving no version and
    no staged graph behind. When this starts passing the load, move virtuoso into `remote`."""
    if not virtuoso_available():
        pytest.fail("virtuoso-t is missing: `make install` installs virtuoso-opensource")
    store = start_virtuoso(tmp_path)
    try:
        loaded = _kg("load", env=store.env, store_dir=tmp_path / "unused")
        assert loaded.returncode == 1
        assert "Virtuoso" in loaded.stderr and "failed the update" in loaded.stderr
        backend = RemoteBackend.from_settings(Settings(**store.settings_kwargs()))  # type: ignore[arg-type]
        try:
            from kg.errors import StoreNotBuiltError

            with pytest.raises(StoreNotBuiltError):
                backend.version()
            leftovers = backend.client.select_rows(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f'FILTER(STRSTARTS(STR(?g), "{STAGING_BASE}")) }}'
            )
            assert leftovers == []
        finally:
            backend.close()
    finally:
        store.stop()
