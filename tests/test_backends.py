"""Every command on every backend: embedded Oxigraph, Oxigraph's server and Virtuoso, for real.

Each remote store is started on loopback for this module (see `remote_stores.py`), loaded with the
real `kg load`, and stopped after. The example queries of `queries/` must give their expected
results (the embedded store's, checked by test_examples.py) on every backend; where an engine
genuinely differs, the difference is listed in `KNOWN_DIFFERENCES` with its reason, and the test
fails if the list is wrong either way.

`kg load` reaches Virtuoso through its bulk loader (isql on its SQL port, `kg.backends.
virtuoso_bulk`), the other stores through SPARQL Update; the atomic switch is the same.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from kg.errors import QueryTimeoutError, StoreError
from kg.examples import Example, default_directory, load_examples, render_result
from kg.query import OutputFormat
from kg.release import ReleaseOptions, make_release
from kg.settings import Settings
from kg.stats import collect_stats
from kg.store import GraphCount

# Example id -> why this engine's answer differs from the embedded store's. Empty: none differ.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "oxigraph": {},
    "virtuoso": {
        "010-construction-dates-that-disagree": "Virtuoso 7.2 evaluates EXISTS to the integers "
        "1/0, not the xsd:boolean true/false SPARQL 1.1 defines",
        "021-conflicting-conditions": "Virtuoso 7.2 refuses `EXISTS {…} || EXISTS {…}` inside "
        "BIND (SQ074, an error of its SPARQL-to-SQL compiler)",
        "024-sites-within-km-of-a-place": "Virtuoso 7.2 has no GeoSPARQL functions: "
        "geof:distance is an undefined procedure (SR185); its own is bif:st_distance",
    },
}
# Engine -> how the store changes the data it is given, and why (None: it keeps them exactly).
KNOWN_DATA_CHANGES: dict[str, str | None] = {
    "oxigraph": None,
    "virtuoso": "Virtuoso 7.2 stores every geo:wktLiteral as its own virtrdf:Geometry with "
    "single-precision coordinates (POINT(44.517 40.181) comes back as "
    "POINT(44.516998291016 40.180999755859)), on any insert path",
}
WKT_TYPES = {
    "http://www.opengis.net/ont/geosparql#wktLiteral",
    "http://www.openlinksw.com/schemas/virtrdf#Geometry",
}
_TOKEN = "backend-test-token"
# Never finishes on ~11k triples (a triple cross product): for the deadline tests.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _kg(*args: str, env: dict[str, str], store_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `kg` command."""
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        cwd=ROOT, env=kg_environment(store_dir, env), capture_output=True, text=True,
        timeout=300, check=False,
    )


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
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


def _render(backend: RemoteBackend, example: Example) -> str | None:
    """The example's result from the remote store, as the text of its expected sidecar; None
    when the store refuses the query."""
    try:
        result = backend.evaluate(example.query, timeout_s=60)
    except StoreError:
        return None
    if isinstance(result, list):
        return render_result(result)  # type: ignore[arg-type]  # a list of triples renders alike
    return render_result(result)


def _same(example: Example, actual: str | None) -> bool:
    """The comparison of kg.examples.check_example: graphs as sets, the rest as text."""
    if actual is None:
        return False
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
    # The same dataset up to blank-node labels (RDFC-1.0): an embedded build keeps the load-time
    # labels of its files, a copy from a remote store is relabelled by the release.
    assert _canonical(there_dump) == _canonical(here_dump)
    there_points, here_points = _points(there_dump), _points(here_dump)
    assert len(there_points) == len(here_points) > 0
    if KNOWN_DATA_CHANGES[remote.engine] is None:
        assert there_points == here_points
    else:
        assert there_points != here_points, "the store keeps WKT now: update KNOWN_DATA_CHANGES"
        for got, expected in zip(there_points, here_points, strict=True):
            assert got == pytest.approx(expected, abs=1e-5)
    stats_cli = _kg("stats", env=remote.env, store_dir=embedded_dir)
    assert stats_cli.returncode == 0, stats_cli.stderr


def _wkt_free(quad: ox.Quad) -> ox.Quad:
    """The quad with a WKT literal (either engine's datatype) written as one fixed token: what
    a store that rewrites WKT (KNOWN_DATA_CHANGES) must keep is everything else."""
    obj = quad.object
    if isinstance(obj, ox.Literal) and obj.datatype.value in WKT_TYPES:
        return ox.Quad(quad.subject, quad.predicate, ox.Literal("WKT"), quad.graph_name)
    return quad


def _canonical(dump: bytes) -> set[ox.Quad]:
    """The dump's quads, WKT literals set apart, with RDFC-1.0 canonical blank-node labels."""
    dataset = ox.Dataset(_wkt_free(q) for q in ox.parse(dump, ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def _points(dump: bytes) -> list[tuple[float, ...]]:
    """The coordinates of every WKT literal of the dump, sorted."""
    return sorted(
        tuple(float(n) for n in re.findall(r"-?[0-9.]+", q.object.value))
        for q in ox.parse(dump, ox.RdfFormat.N_QUADS)
        if isinstance(q.object, ox.Literal) and q.object.datatype.value in WKT_TYPES
    )


class _FailAt:
    """A load progress that raises at the `n`-th stage starting with `prefix`: a failure there."""

    def __init__(self, prefix: str, n: int = 1) -> None:
        self.prefix = prefix
        self.left = n

    def checked(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def loading(self, total_triples: int) -> None:
        """Ignore."""

    def loaded(self, file: SourceFile, triples: int) -> None:
        """Ignore."""

    def stage(self, description: str) -> None:
        """Fail at the n-th matching stage."""
        if description.startswith(self.prefix):
            self.left -= 1
            if self.left == 0:
                raise RuntimeError("load interrupted")


def _assert_untouched(
    backend: RemoteBackend, version: str, counts: tuple[GraphCount, ...]
) -> None:
    """Same version, same counts, no staged graph left."""
    assert backend.version() == version
    assert backend.graph_counts() == counts
    leftovers = backend.client.select_rows(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{STAGING_BASE}")) }}'
    )
    assert leftovers == []


@pytest.mark.parametrize(
    "stage",
    ["uploaded batch 3/", "verifying the staged graphs", "switching to the new graphs"],
)
def test_a_failed_load_leaves_the_served_data_intact(
    remote: RemoteStore, backend: RemoteBackend, stage: str
) -> None:
    """Interrupted mid-upload (update path), with everything staged, or just before the switch."""
    if stage.startswith("uploaded batch") and backend.bulk_loader is not None:
        pytest.skip("the bulk loader uploads in one step: no batch to interrupt")
    version, counts = backend.version(), backend.graph_counts()
    settings = Settings()
    files = discover_files(settings.data_paths, root=settings.root)
    with pytest.raises(RuntimeError, match="load interrupted"):
        push_dataset(backend, files, progress=_FailAt(stage))
    _assert_untouched(backend, version, counts)


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
    env = kg_environment(
        store_dir,
        {**remote.env, "KG_WORKERS": "1", "KG_QUERY_TIMEOUT_S": "2", "KG_ADMIN_TOKEN": _TOKEN},
    )
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
    """Answers, ETag keyed by the store version, 304, SERVICE refused (403), deadline (503);
    /update, /store and /search (embedded only) refused with 501."""
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
        admin = {"Authorization": f"Bearer {_TOKEN}"}
        writes = [
            httpx.post(
                f"{base}/update", content="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                headers={"Content-Type": "application/sparql-update", **admin}, timeout=30,
            ),
            httpx.put(
                f"{base}/store", params={"graph": "urn:g"}, content="<urn:a> <urn:b> <urn:c> .",
                headers={"Content-Type": "application/n-triples", **admin}, timeout=30,
            ),
            httpx.get(f"{base}/store", params={"default": ""}, headers=admin, timeout=30),
            httpx.get(f"{base}/search", params={"q": "fortress"}, timeout=30),
        ]
        assert [w.status_code for w in writes] == [501, 501, 501, 501], [w.text for w in writes]
        assert all("kg load" in w.text for w in writes)
        assert backend.version() == first.headers["x-store-version"]  # nothing was written
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_refused_bulk_load_leaves_the_served_data_intact(
    remote: RemoteStore, tmp_path: Path
) -> None:
    """The server cannot see the file (a wrong KG_VIRTUOSO_SERVER_LOAD_DIR): a clear error,
    nothing changed, the staged file removed."""
    if remote.engine != "virtuoso":
        pytest.skip("the bulk loader is Virtuoso's")
    settings = Settings(  # type: ignore[arg-type]
        **{**remote.settings_kwargs(), "virtuoso_server_load_dir": str(tmp_path / "nowhere")}
    )
    backend = RemoteBackend.from_settings(settings)
    try:
        version, counts = backend.version(), backend.graph_counts()
        with pytest.raises(StoreError, match=r"Virtuoso .* refused the bulk load"):
            backend.load(discover_files(settings.data_paths, root=settings.root))
        _assert_untouched(backend, version, counts)
        assert settings.virtuoso_load_dir is not None
        assert list(settings.virtuoso_load_dir.iterdir()) == []
    finally:
        backend.close()


# The W3C Protocol tests `kg serve` fails in front of each store, and why. The update tests go to
# /update, which a remote-fronted server refuses (501, see docs/deploy.md) — the store is written by
# `kg load` only.
_UPDATE_TESTS = {
    name: "an update: /update answers 501 in front of a remote store"
    for name in (
        "bad_multiple_updates", "bad_update_dataset_conflict", "bad_update_missing_form_type",
        "bad_update_non_utf8", "bad_update_syntax", "update_base_uri",
        "update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_full",
        "update_dataset_named_graphs", "update_post_direct", "update_post_form",
    )
}
W3C_KNOWN_FAILURES: dict[str, dict[str, str]] = {
    "oxigraph": _UPDATE_TESTS,
    "virtuoso": _UPDATE_TESTS,
}


def _w3c_protocol() -> tuple[list[Any], Any, Any]:
    """The protocol manifest, the replayer and the /sparql-/update router of the web suite."""
    sys.path.insert(0, str(ROOT / "tests" / "web"))
    from test_w3c_protocol import TESTS, route
    from w3c import replay

    return TESTS, replay, route


def _replace_test_data(
    backend: RemoteBackend, graphs: dict[str, Path], loaded: set[str], version: str
) -> None:
    """Put a W3C test's graphs in the store in place of the last test's, under a new version."""
    from kg.backends.remote import META_GRAPH, STORE_NODE, VERSION

    operations = [f"DROP SILENT GRAPH <{g}>" for g in sorted(loaded | {META_GRAPH})]
    inserts = " ".join(f"GRAPH <{iri}> {{ {file.read_text()} }}" for iri, file in graphs.items())
    operations.append(
        f'INSERT DATA {{ {inserts} GRAPH <{META_GRAPH}> {{ <{STORE_NODE}> <{VERSION}> '
        f'"{version}" }} }}'
    )
    backend.client.update(" ;\n".join(operations))
    loaded.clear()
    loaded.update(graphs)


def test_w3c_protocol_suite_through_kg_serve(remote: RemoteStore, tmp_path: Path) -> None:
    """The W3C SPARQL 1.1 Protocol suite against `kg serve` in front of a fresh store of the same
    engine; the failures are exactly the listed ones."""
    tests, replay, route = _w3c_protocol()
    start = start_oxigraph if remote.engine == "oxigraph" else start_virtuoso
    (tmp_path / "store").mkdir()
    store = start(tmp_path / "store")
    backend = RemoteBackend.from_settings(Settings(**store.settings_kwargs()))  # type: ignore[arg-type]
    loaded: set[str] = set()
    _replace_test_data(backend, {}, loaded, "w3c-0")
    process, base = _serve(store, tmp_path / "unused")
    failures: dict[str, str] = {}
    try:
        admin = {"Authorization": f"Bearer {_TOKEN}"}
        with httpx.Client(base_url=base, timeout=60) as client:
            for number, test in enumerate(tests, 1):
                if test.graph_data:
                    _replace_test_data(backend, test.graph_data, loaded, f"w3c-{number}")
                failure = replay(
                    client, test, route=route,
                    auth=lambda path: admin if path.startswith("/update") else {},
                )
                if failure is not None:
                    failures[test.id] = failure
    finally:
        process.terminate()
        process.wait(timeout=30)
        backend.close()
        store.stop()
    print(f"W3C SPARQL 1.1 Protocol via kg serve on {remote.engine}: "
          f"{len(tests) - len(failures)}/{len(tests)} passed")
    for test_id, failure in sorted(failures.items()):
        print(f"  {test_id}: {failure[:160]}")
    assert set(failures) == set(W3C_KNOWN_FAILURES[remote.engine]), failures
    assert all("/update" in f and "status 501" in f for f in failures.values()), failures


def test_the_virtuoso_switch_is_all_or_nothing(backend: RemoteBackend) -> None:
    """The switching operations run as one SQL transaction: a failing one undoes the others."""
    if backend.bulk_loader is None:
        pytest.skip("the SQL-transaction switch is Virtuoso's")
    graph = "urn:kg-test:switch"
    with pytest.raises(StoreError, match="refused the switch"):
        backend.bulk_loader.run_in_one_transaction(
            [f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}", "NOT SPARQL"],
            name="test-rollback",
        )
    assert not bool(backend.client.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", timeout_s=30))
