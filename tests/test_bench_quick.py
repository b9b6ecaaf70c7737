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
