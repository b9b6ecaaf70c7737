"""The benchmark suite's quick mode runs end to end (it proves the harness works, times nothing).

`python -m bench --quick` generates a small synthetic dataset and runs every comparison — load
(Oxigraph given one TriG file, one N-Quads file and the files one by one), validate, query (with
the Python load generator; rdflib-endpoint too), release when `kg release` exists — then writes
the report and the scaling plot. Plain pyshacl is left out here (`--pyshacl-up-to none`): on this
data it alone takes a minute, and `make bench` runs it. No figure is asserted: only that each row
was measured (the one-file Oxigraph loads are checked, inside the suite, to hold exactly the
data's triples).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

from cli_runner import ROOT


def test_quick_suite_writes_a_report_with_every_section(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    plot = tmp_path / "results" / "scaling.svg"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--pyshacl-up-to", "none",
         "--work", str(tmp_path / "work"), "--out", str(out), "--plot", str(plot),
         "--analysis", str(tmp_path / "no-analysis.md")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    for heading in ("## Machine", "## Versions", "## Settings of this run", "## Results",
                    "## Targets"):
        assert heading in report
    rows = [line for line in report.splitlines() if line.startswith("| ")]
    sections = {line.split("|")[1].strip() for line in rows[1:]}
    assert {"synth", "load", "validate", "query", "release"} <= sections
    measured = {line.split("|")[3].strip(): line for line in rows[1:]}
    for workload in ("full validation, cold cache", "re-validate after a one-file change",
                     "(a) heavy queries (joins, aggregates)", "(b) unique entity look-ups",
                     "(b) look-ups vs bare FastAPI constant",
                     "(c) scholar mix (Zipf, conditional)",
                     "(b) unique entity look-ups vs rdflib-endpoint (reference)",
                     "(c) scholar mix vs rdflib-endpoint (reference)"):
        assert workload in measured, f"no row for {workload}"
        assert "— (kg" not in measured[workload], f"{workload} was not measured"
    assert "the first pass (kg's result cache empty)" in measured[
        "(c) scholar mix (Zipf, conditional)"], "the mix reports its cold first pass apart"
    assert "kg / ceiling per round" in measured["(b) look-ups vs bare FastAPI constant"]
    planted = next(line for line in rows if "full validation, cold cache" in line)
    found, was = planted.split("kg validate found ")[1].split(" results; ")
    assert found == was.split(" were planted")[0], planted
    for workload in ("vs oxigraph load: one TriG file", "vs oxigraph load: one N-Quads file",
                     "vs oxigraph load: the same files, one by one"):
        assert workload in measured, f"no row for {workload}"
        assert "— (oxigraph load)" not in measured[workload], f"{workload} was not measured"
    svg = ElementTree.parse(plot).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    ours = svg.findall(".//{http://www.w3.org/2000/svg}circle")
    theirs = svg.findall(".//{http://www.w3.org/2000/svg}rect[@stroke]")
    assert len(ours) >= 10 and len(theirs) >= 10, "one point per measured figure"
    assert "](results/scaling.svg)" in report, "the report links the plot"
    cached = list((tmp_path / "work" / "data").glob("*/bench-synth.json"))
    assert len(cached) == 1, "the generated data is kept, stamped, for the next run to reuse"


def test_budget_skips_only_what_the_previous_size_says_is_over_it() -> None:
    from bench.budget import Budget

    budget = Budget(100)
    assert budget.skip_reason("kg validate", 10_000_000) is None, "nothing measured yet: run"
    budget.record("kg validate", "1M", 1_000_000, 20.0)
    assert budget.skip_reason("kg validate", 4_000_000) is None  # 80 s <= 100 s
    reason = budget.skip_reason("kg validate", 10_000_000)
    assert reason is not None and "extrapolated 200 s" in reason and "from 1M" in reason
    assert budget.skip_reason("kg release", 10_000_000) is None, "budgets are per command"
    unlimited = Budget(None)
    unlimited.record("kg validate", "1M", 1_000_000, 20.0)
    assert unlimited.skip_reason("kg validate", 10_000_000) is None


def test_plot_draws_each_side_and_marks_extrapolated_figures_hollow(tmp_path: Path) -> None:
    from bench.plot import write_plot
    from bench.rows import Row

    def row(size: str, ours: float, theirs: float, estimated: bool) -> Row:
        return Row("validate", size, "full validation, cold cache", "s", ours, theirs,
                   "kg validate", "plain pyshacl", higher_is_better=False,
                   theirs_estimated=estimated)

    rows = [row("100k", 10.0, 400.0, False), row("1M", 60.0, 4000.0, True),
            Row("query", "1M", "(b) unique entity look-ups", "req/s", 500.0, None, "kg serve",
                "oxigraph serve")]
    path = tmp_path / "scaling.svg"
    assert write_plot(rows, {"100k": 100_000, "1M": 1_000_000}, path) == 2
    svg = ElementTree.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f".//{ns}polyline")) == 2, "ours and theirs across the two sizes"
    squares = svg.findall(f".//{ns}rect[@stroke]")
    assert sorted(s.get("fill") for s in squares if s.get("width") == "6") == [
        "#c0392b", "white"], "the measured pyshacl point filled, the extrapolated one hollow"
    assert len(svg.findall(f".//{ns}circle")) == 3, "kg's three figures, one per panel point"
    assert write_plot([], {}, tmp_path / "none.svg") == 0
    assert not (tmp_path / "none.svg").exists()


def test_one_file_keeps_each_files_graph_and_its_own_blank_nodes(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from bench.data import Dataset
    from bench.one_file import expected_quads, one_file
    from kg.dataset import graph_iri_for

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    body = ("@prefix ex: <https://example.org/> .\n"
            "ex:{name} ex:label \"{name}\" ; ex:note [ ex:text \"same text\" ] .\n")
    for name in ("a", "b"):
        (data_dir / f"{name}.ttl").write_text(body.format(name=name), encoding="utf-8")
    with (data_dir / "a.ttl").open("a", encoding="utf-8") as again:
        again.write('ex:a ex:label "a" .\n')  # stated twice: one quad in any store
    (data_dir / "synth-manifest.json").write_text("{}", encoding="utf-8")
    data = Dataset("tiny", data_dir, 1, 7, 2, 0, 0.0, 0.0)
    assert expected_quads(data) == 6
    for extension, kind in (("trig", ox.RdfFormat.TRIG), ("nq", ox.RdfFormat.N_QUADS)):
        store = ox.Store()
        store.load(path=one_file(data, extension), format=kind)
        assert len(store) == 6
        graphs = {str(g.value) for g in store.named_graphs()}
        assert graphs == {graph_iri_for(data_dir / f"{n}.ttl", root=ROOT) for n in "ab"}
        notes = {q.object for q in store.quads_for_pattern(
            None, ox.NamedNode("https://example.org/note"), None)}
        assert len(notes) == 2, "each file's [ … ] stays its own blank node"


def test_a_failed_section_becomes_a_row_with_its_reason() -> None:
    from bench.rows import Row
    from bench.suite import _section

    def broken() -> list[Row]:
        raise RuntimeError("kg release failed (1): something\nwent wrong")

    rows = _section("release", "10M", broken)
    assert [(r.section, r.size, r.workload) for r in rows] == [("release", "10M", "failed")]
    assert rows[0].notes == ["kg release failed (1): something went wrong"]
    measured = [Row("release", "10M", "dump the whole store", "quads/s", 1.0, 2.0, "a", "b")]
    assert _section("release", "10M", lambda: measured) == measured


def test_measured_rows_say_how_much_cpu_the_hypervisor_took() -> None:
    from bench.rows import Row
    from bench.steal import CpuTimes, stolen_share
    from bench.suite import _section

    assert stolen_share(CpuTimes(total=1000, steal=10), CpuTimes(total=1400, steal=110)) == 0.25
    assert stolen_share(None, CpuTimes(total=1, steal=0)) is None
    assert stolen_share(CpuTimes(total=5, steal=0), CpuTimes(total=5, steal=0)) is None
    def measure() -> list[Row]:
        time.sleep(0.1)  # at least a few clock ticks pass, so the share is known
        return [Row("release", "10M", "dump the whole store", "quads/s", 1.0, 2.0, "a", "b")]

    notes = _section("release", "10M", measure)[0].notes
    assert len(notes) == 1 and notes[0].startswith(
        "CPU stolen by the hypervisor during this section: ")


def test_a_reference_server_that_finished_nothing_is_said_so_not_timed() -> None:
    from bench.data import Dataset
    from bench.load_gen import Throughput
    from bench.query import QuerySettings, _reference_row

    data = Dataset("100k", Path("."), 1, 100_000, 1, 0, 1.0, None)
    settings = QuerySettings(clients=8, seconds=6, max_requests=10, repeat=1, use_wrk=True,
                             rdflib_endpoint_up_to=100_000)
    ours = Throughput(60, 10.0, 4.0, 9.0, 0, "wrk")
    silent = _reference_row(data, "(c) scholar mix (Zipf, conditional)", ours,
                            Throughput(0, 0.0, 0.0, 0.0, 0, "wrk"), settings)
    assert silent.extra == {} and silent.notes == [
        "rdflib-endpoint finished no request within the 6 s run (8 clients; wrk counts no request "
        "still in flight when the run ends)"]
    answered = _reference_row(data, "(c) scholar mix (Zipf, conditional)", ours,
                              Throughput(3, 0.5, 900.0, 1900.0, 0, "wrk"), settings)
    assert answered.workload == "(c) scholar mix vs rdflib-endpoint (reference)"
    assert answered.extra["p50 ms (kg / rdflib-endpoint)"] == "4.0 / 900.0"


def test_heavy_queries_never_repeat_a_text_within_or_across_runs() -> None:
    from bench.query import _workloads

    entities = ["https://w3id.org/heritage-kg/id/synth-site-1"]
    workloads = _workloads("/sparql", entities, pages=True, site_types=["fortress", "mosque"])
    heavy = workloads["heavy"]
    runs = [heavy.paths_of_run(number) for number in (-1, 0, 1, 2)]
    texts = [path for run in runs for path in run]
    assert len(set(texts)) == len(texts) and not heavy.conditional
    # The mix replays the same requests every run: repeats are what its cache is measured on.
    assert workloads["mix"].paths_of_run(0) == workloads["mix"].paths_of_run(1)
    assert workloads["mix"].conditional


def test_error_answers_are_failures_not_throughput(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bench.load_gen import drive

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status = 503 if self.path == "/late" else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = drive(server.server_address[1], ["/fine", "/late"], tmp_path, clients=1,
                       seconds=5, max_requests=40, use_wrk=False)
    finally:
        server.shutdown()
        server.server_close()
    assert (result.requests, result.failures) == (20, 20)
