"""query: `kg serve` vs `oxigraph serve-read-only` (and a bare FastAPI ceiling), 8 clients.

Both servers hold the same quads: the store `kg load` builds (ontology + synthetic data + the
truthy layer) is dumped to N-Quads and loaded into Oxigraph, which serves it with
`--union-default-graph` (kg's default graph is the union too). Three workloads, each replayed by
the same load generator with the same request list on every server:

(a) heavy — aggregates and joins over the whole graph, parametrised by site type, every request a
    different query text, in every run (so no result cache can help: this measures evaluation);
(b) look-ups — `SELECT ?p ?o WHERE { <entity> ?p ?o }`, each entity once (cycling only if the run
    outlasts the entity list); the bare FastAPI constant endpoint is the ceiling;
(c) scholar mix — the queries/ examples (SELECT and ASK) and entity pages, drawn with a Zipf law
    (a few very popular, a long tail), clients sending If-None-Match with the ETag they last saw.
    For Oxigraph an "entity page" is the look-up query (it has no pages). A first pass of the
    replay meets kg's result cache empty and is reported in the notes; the row's figures are the
    passes after it, the steady state of an endpoint that has been up a while.

rdflib-endpoint (its own `rdflib-endpoint serve` CLI on the same N-Quads dump, union default
graph) is measured on (b) and (c) for reference — a pure-Python SPARQL endpoint — up to a size
(default 1M), beyond which loading the dump into rdflib alone takes too long and too much memory.
"""

from __future__ import annotations

import contextlib
import random
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from bench.data import Dataset
from bench.load_gen import Throughput, drive
from bench.proc import ROOT, VENV_BIN, median
from bench.rows import Row
from bench.servers import free_port, serving
from bench.stores import Stores
from kg.examples import load_examples
from kg.namespaces import sparql_prologue
from kg.store import require_store

__all__ = ["QuerySettings", "bench_query"]

_HEAVY = (
    """SELECT ?condition (COUNT(DISTINCT ?site) AS ?sites) WHERE {
  ?site hk:siteType sitetype:TYPE .
  ?st rdf:subject ?site ; rdf:predicate hk:condition ; rdf:object ?condition ; hk:rank ?rank .
  FILTER (?rank != rank:deprecated) } GROUP BY ?condition ORDER BY DESC(?sites)""",
    """SELECT ?site (MIN(?earliest) AS ?built) WHERE {
  ?site hk:siteType sitetype:TYPE .
  ?event hk:concerns ?site ; hk:eventType eventtype:construction .
  ?st rdf:subject ?event ; rdf:predicate hk:timespan ; rdf:object ?span .
  ?span hk:earliest ?earliest } GROUP BY ?site ORDER BY ?built LIMIT 20""",
    """SELECT ?type (COUNT(*) AS ?citations) WHERE {
  ?site hk:siteType sitetype:TYPE .
  ?st rdf:subject ?site ; prov:wasDerivedFrom ?citation .
  ?citation hk:citedSource ?source . ?source hk:sourceType ?type }
GROUP BY ?type ORDER BY DESC(?citations)""",
    """SELECT ?property (COUNT(*) AS ?pairs) WHERE {
  ?a hk:contradicts ?b ; rdf:predicate ?property ; rdf:subject ?subject .
  { ?subject hk:siteType sitetype:TYPE } UNION { ?subject hk:concerns/hk:siteType sitetype:TYPE }
} GROUP BY ?property""",
    """SELECT ?script (COUNT(DISTINCT ?name) AS ?names) WHERE {
  ?site hk:siteType sitetype:TYPE ; hk:locatedIn/hk:withinPlace* ?place .
  ?place hk:hasName ?name . ?name hk:script ?script } GROUP BY ?script ORDER BY ?script""",
)
_LOOKUP = "SELECT ?p ?o WHERE { <IRI> ?p ?o }"
# At most this many distinct look-ups, evenly spread over the sorted entities: more than a run of
# 10 s can send to the fastest server measured (~9k req/s), and at 10M (~1M entities) a full list
# would cost each of wrk's 8 threads its own copy of hundreds of MB.
_MAX_LOOKUPS = 200_000
# Heavy query texts per run: more than the fastest server measured answers in a run of 10 s
# (~350 req/s at 100k), so no run repeats a text and no result cache can answer one.
_HEAVY_PER_RUN = 10_000
# rdflib-endpoint parses the whole N-Quads dump before it answers (minutes at 1M triples).
_RDFLIB_START_TIMEOUT_S = 3600


@dataclass(frozen=True, slots=True)
class QuerySettings:
    """How long and how hard to drive each server."""

    clients: int
    seconds: float
    max_requests: int
    repeat: int
    use_wrk: bool
    rdflib_endpoint_up_to: int


def _sparql_path(endpoint: str, query: str) -> str:
    return f"{endpoint}?query={urllib.parse.quote(query, safe='')}"


def _entities(stores: Stores) -> list[str]:
    """The synthetic entities (IRIs under /id/ with a synth- slug), sorted."""
    store = ox.Store.read_only(str(require_store(stores.kg_store)))
    result = store.query(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?t } FILTER (isIRI(?s) && "
        "CONTAINS(STR(?s), '/id/') && CONTAINS(STR(?s), '/synth-')) } ORDER BY ?s")
    assert isinstance(result, ox.QuerySolutions)
    return [str(row[0].value) for row in result if row[0] is not None]


@dataclass(frozen=True, slots=True)
class Workload:
    """The request paths of one workload for one server, run by run."""

    paths_of_run: Callable[[int], list[str]]  # run -1 is the warm-up
    conditional: bool  # send If-None-Match with the ETag last seen


def _heavy(endpoint: str, site_types: list[str], run: int) -> list[str]:
    """`_HEAVY_PER_RUN` query texts no other run sends (each carries its run and number)."""
    prologue = sparql_prologue()
    return [
        _sparql_path(endpoint, f"{prologue}# run {run}, request {i}\n"
                     + _HEAVY[i % len(_HEAVY)].replace("TYPE", site_types[i // len(_HEAVY)
                                                                         % len(site_types)]))
        for i in range(_HEAVY_PER_RUN)
    ]


def _workloads(endpoint: str, entities: list[str], *, pages: bool,
               site_types: list[str]) -> dict[str, Workload]:
    """Each workload's requests for one server."""
    step = max(1, len(entities) // _MAX_LOOKUPS)
    lookups = [_sparql_path(endpoint, _LOOKUP.replace("IRI", iri)) for iri in entities[::step]]
    rng = random.Random(20261123)
    examples = [e for e in load_examples(ROOT / "queries") if e.kind in ("select", "ask")]
    pool = [_sparql_path(endpoint, e.query) for e in examples]
    for iri in rng.sample(entities, min(200, len(entities))):
        if pages:
            pool.append(urllib.parse.urlsplit(iri).path.removeprefix("/heritage-kg"))
        else:
            pool.append(_sparql_path(endpoint, _LOOKUP.replace("IRI", iri)))
    rng.shuffle(pool)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(pool))]
    mix = rng.choices(pool, weights=weights, k=20_000)
    return {"heavy": Workload(partial(_heavy, endpoint, site_types), False),
            "lookups": Workload(lambda run: lookups, False),
            "mix": Workload(lambda run: mix, True)}


def _warm(port: int, paths: list[str], work: Path) -> None:
    """A few requests first, so no measured run pays for a server's first connections."""
    drive(port, paths[:50], work, clients=2, seconds=1, max_requests=50, use_wrk=False)


def _runs(port: int, workload: Workload, work: Path, settings: QuerySettings,
          count: int) -> list[Throughput]:
    """`count` runs of `workload` after a warm-up, numbered from 0 (heavy texts differ by run)."""
    _warm(port, workload.paths_of_run(-1), work)
    return [drive(port, workload.paths_of_run(number), work, clients=settings.clients,
                  seconds=settings.seconds, max_requests=settings.max_requests,
                  conditional=workload.conditional, use_wrk=settings.use_wrk)
            for number in range(count)]


def _median_run(runs: list[Throughput]) -> Throughput:
    """The run whose rate is the median's (an actual run, so its latencies go with its rate)."""
    middle = median([r.per_second for r in runs])
    return min(runs, key=lambda r: abs(r.per_second - middle))


def _interleaved(ports: dict[str, int], paths: dict[str, list[str]], work: Path,
                 settings: QuerySettings) -> tuple[dict[str, Throughput], list[dict[str, float]]]:
    """Each server's median run of `max(repeat, 3)` rounds, the servers driven in turn, and
    every round's rates (to show the spread)."""
    for name, port in ports.items():
        _warm(port, paths[name], work)
    runs: dict[str, list[Throughput]] = {name: [] for name in ports}
    for _ in range(max(settings.repeat, 3)):
        for name, port in ports.items():
            runs[name].append(drive(port, paths[name], work, clients=settings.clients,
                                    seconds=settings.seconds,
                                    max_requests=settings.max_requests,
                                    use_wrk=settings.use_wrk))
    rounds = [{name: runs[name][i].per_second for name in ports}
              for i in range(len(runs["kg"]))]
    return {name: _median_run(measured) for name, measured in runs.items()}, rounds


def bench_query(data: Dataset, stores: Stores, work: Path,
                settings: QuerySettings) -> list[Row]:
    """Run the workloads against Oxigraph, kg serve, the FastAPI ceiling and rdflib-endpoint.

    Heavy queries and the mix get a freshly started server each: a heavy query the clients gave
    up on keeps a worker busy after its run ends, and must not slow the next workload down.
    Look-ups leave nothing behind, so kg, Oxigraph and the FastAPI ceiling serve them together
    and are driven in turn (see `_interleaved`). rdflib-endpoint
    (reference, look-ups and mix only) is started once for both: it parses the whole dump into
    memory at start, and its look-ups leave nothing running behind them.
    """
    entities = _entities(stores)
    site_types = _site_types()

    def command_of(name: str, port: int) -> tuple[list[str | Path], str, dict[str, str]]:
        if name == "oxigraph":
            return ([VENV_BIN / "oxigraph", "serve-read-only", "--location", stores.ox_store,
                     "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                    "/query?query=ASK%7B%7D", {})
        return ([VENV_BIN / "kg", "serve", "--port", str(port)], "/health",
                {"KG_STORE_DIR": str(stores.kg_store)})

    results: dict[str, dict[str, Throughput]] = {"oxigraph": {}, "kg": {}}
    loads = {name: _workloads("/query" if name == "oxigraph" else "/sparql", entities,
                              pages=name == "kg", site_types=site_types)
             for name in ("oxigraph", "kg")}
    # The mix gets one run more, first: its first pass meets kg's result cache empty (reported
    # in the notes); the runs after it meet the steady state of an endpoint that has been up a
    # while (the same popular requests again). Both sides get the same passes.
    first_pass: dict[str, Throughput] = {}
    for name in ("oxigraph", "kg"):
        for workload in ("heavy", "mix"):
            port = free_port()
            command, ready, env = command_of(name, port)
            with serving(command, port, ready, work / f"{name}-serve.log", env=env):
                extra = 1 if workload == "mix" else 0
                runs = _runs(port, loads[name][workload], work, settings,
                             settings.repeat + extra)
            if extra:
                first_pass[name] = runs[0]
            results[name][workload] = _median_run(runs[extra:])
    # Look-ups leave nothing running behind them, so the three servers can be up together and
    # driven in turn (kg, Oxigraph, the ceiling, kg, …): on a shared VM the CPU the hypervisor
    # steals changes from minute to minute, and runs taken side by side in time see the same.
    ports = {name: free_port() for name in ("oxigraph", "kg", "ceiling")}
    with contextlib.ExitStack() as servers:
        for name in ("oxigraph", "kg"):
            command, ready, env = command_of(name, ports[name])
            servers.enter_context(serving(command, ports[name], ready,
                                          work / f"{name}-serve.log", env=env))
        servers.enter_context(serving(
            [VENV_BIN / "python", "-m", "bench.ceiling", str(ports["ceiling"])],
            ports["ceiling"], "/constant", work / "ceiling.log"))
        lookups, rounds = _interleaved(
            ports, {"oxigraph": loads["oxigraph"]["lookups"].paths_of_run(0),
                    "kg": loads["kg"]["lookups"].paths_of_run(0), "ceiling": ["/constant"]},
            work, settings)
    results["oxigraph"]["lookups"], results["kg"]["lookups"] = lookups["oxigraph"], lookups["kg"]
    ceiling = lookups["ceiling"]
    reference: dict[str, Throughput] | None = None
    if data.nominal <= settings.rdflib_endpoint_up_to:
        reference = _rdflib_endpoint(stores, entities, site_types, work, settings)
    spread = ", ".join(f"{r['kg'] / r['ceiling']:.2f}x" for r in rounds if r["ceiling"])
    return _rows(data, results, ceiling, reference, settings,
                 mix_note=_first_pass_note(first_pass["kg"], first_pass["oxigraph"], settings),
                 lookup_note=f"kg, Oxigraph and the ceiling driven in turn, {len(rounds)} rounds "
                 f"of {settings.seconds:g} s; kg / ceiling per round: {spread}")


def _rdflib_endpoint(stores: Stores, entities: list[str], site_types: list[str], work: Path,
                     settings: QuerySettings) -> dict[str, Throughput]:
    """rdflib-endpoint's CLI serving the same quads (a Dataset whose default graph is the union,
    like kg's), driven with the look-ups and the mix exactly as Oxigraph is."""
    loads = _workloads("/", entities, pages=False, site_types=site_types)
    port = free_port()
    command: list[str | Path] = [VENV_BIN / "rdflib-endpoint", "serve", stores.quads_file,
                                 "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, port, "/?query=ASK%7B%7D", work / "rdflib-endpoint.log",
                 timeout_s=_RDFLIB_START_TIMEOUT_S):
        return {workload: _median_run(_runs(port, loads[workload], work, settings,
                                            settings.repeat))
                for workload in ("lookups", "mix")}


def _site_types() -> list[str]:
    concepts = ox.Store()
    concepts.load(path=ROOT / "ontology" / "vocab" / "site-type.ttl", format=ox.RdfFormat.TURTLE)
    result = concepts.query(
        "SELECT ?c WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?s } ORDER BY ?c")
    assert isinstance(result, ox.QuerySolutions)
    return [str(row[0].value).rsplit("/", 1)[-1] for row in result if row[0] is not None]


def _rows(data: Dataset, results: dict[str, dict[str, Throughput]], ceiling: Throughput,
          reference: dict[str, Throughput] | None, settings: QuerySettings, *,
          lookup_note: str = "", mix_note: str = "") -> list[Row]:
    rows = []
    for name, label, factor in (
        ("heavy", "(a) heavy queries (joins, aggregates)", 0.9),
        ("lookups", "(b) unique entity look-ups", 0.0),
        ("mix", "(c) scholar mix (Zipf, conditional)", 2.0),
    ):
        ours, theirs = results["kg"][name], results["oxigraph"][name]
        row = Row("query", data.label, label, "req/s", ours.per_second, theirs.per_second,
                  "kg serve", "oxigraph serve", target=f">= {factor}x" if factor else "")
        row.extra = _latencies("oxigraph", ours, theirs)
        row.notes.append(f"{ours.requests:,} / {theirs.requests:,} requests "
                         f"answered ({ours.driver}); failures {ours.failures} / {theirs.failures}")
        if factor:
            row.met = row.ratio is not None and row.ratio >= factor
        if name == "mix" and mix_note:
            row.notes.append(mix_note)
        rows.append(row)
        if name == "lookups":
            versus = Row("query", data.label, "(b) look-ups vs bare FastAPI constant", "req/s",
                         ours.per_second, ceiling.per_second, "kg serve", "FastAPI constant",
                         target=">= 0.7x")
            versus.met = versus.ratio is not None and versus.ratio >= 0.7
            versus.extra = _latencies("ceiling", ours, ceiling)
            if lookup_note:
                versus.notes.append(lookup_note)
            rows.append(versus)
        if name in ("lookups", "mix"):
            rows.append(_reference_row(data, label, ours,
                                       None if reference is None else reference[name], settings))
    return rows


def _first_pass_note(ours: Throughput, theirs: Throughput, settings: QuerySettings) -> str:
    """The mix's first pass (kg's cache empty), beside the steady-state runs the row reports."""
    ratio = f"{ours.per_second / theirs.per_second:.2f}x" if theirs.per_second else "—"
    return (f"figures are the median of {settings.repeat} replays after a first pass; the first "
            f"pass (kg's result cache empty): {ours.per_second:,.0f} / {theirs.per_second:,.0f} "
            f"req/s, {ratio}; p99 {ours.p99_ms:,.0f} / {theirs.p99_ms:,.0f} ms")


def _latencies(other: str, ours: Throughput, theirs: Throughput) -> dict[str, str]:
    return {f"p50 ms (kg / {other})": f"{ours.p50_ms:.1f} / {theirs.p50_ms:.1f}",
            f"p99 ms (kg / {other})": f"{ours.p99_ms:.1f} / {theirs.p99_ms:.1f}"}


def _reference_row(data: Dataset, label: str, ours: Throughput, theirs: Throughput | None,
                   settings: QuerySettings) -> Row:
    """kg serve vs rdflib-endpoint: for reference (no target), or why it was not run."""
    workload = label.split(" (")[0] if label.startswith("(c)") else label
    row = Row("query", data.label, f"{workload} vs rdflib-endpoint (reference)", "req/s",
              ours.per_second, None if theirs is None else theirs.per_second, "kg serve",
              "rdflib-endpoint")
    if theirs is None:
        row.notes.append(f"not run: above --rdflib-endpoint-up-to "
                         f"({settings.rdflib_endpoint_up_to:,} triples); rdflib holds the whole "
                         "dataset in Python objects")
        return row
    if theirs.requests == 0 and theirs.failures == 0:
        row.notes.append(f"rdflib-endpoint finished no request within the {settings.seconds:g} s "
                         f"run ({settings.clients} clients; wrk counts no request still in "
                         "flight when the run ends)")
        return row
    row.extra = _latencies("rdflib-endpoint", ours, theirs)
    row.notes.append(f"{ours.requests:,} / {theirs.requests:,} requests answered "
                     f"({theirs.driver}); failures {ours.failures} / {theirs.failures}; entity "
                     "pages asked of kg are look-up queries for rdflib-endpoint")
    return row
