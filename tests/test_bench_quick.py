"""The benchmark suite's quick mode runs end to end (it proves the harness works, times nothing).

`python -m bench --quick` generates a small synthetic dataset and runs every comparison — load,
validate, query (with the Python load generator), release when `kg release` exists — then writes
the report. Plain pyshacl is left out here (`--pyshacl-up-to none`): on this data it alone takes a
minute, and `make bench` runs it. No figure is asserted: only that each row was measured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli_runner import ROOT


def test_quick_suite_writes_a_report_with_every_section(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--pyshacl-up-to", "none",
         "--work", str(tmp_path / "work"), "--out", str(out),
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
                     "(c) scholar mix (Zipf, conditional)"):
        assert workload in measured, f"no row for {workload}"
        assert "— (kg" not in measured[workload], f"{workload} was not measured"
    planted = next(line for line in rows if "full validation, cold cache" in line)
    found, was = planted.split("kg validate found ")[1].split(" results; ")
    assert found == was.split(" were planted")[0], planted
    assert not (tmp_path / "work" / "data-quick").exists(), "the data is removed after the run"
