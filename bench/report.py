"""The results as a plain-text table (stdout) and as BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bench.proc import VENV_BIN
from bench.rows import Row

__all__ = ["machine", "markdown", "table", "versions"]


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, OS — what a reader needs to compare with their machine."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.M)
        memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB" if found else memory
    return {"CPU": cpu, "cores": str(os.cpu_count()), "RAM": memory,
            "OS": f"{platform.system()} {platform.release()}"}


def versions() -> dict[str, str]:
    """Versions of everything measured."""
    found = {"Python": platform.python_version()}
    for package in ("pyoxigraph", "oxigraph", "pyshacl", "rdflib", "fastapi", "uvicorn"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    oxigraph = shutil.which("oxigraph", path=str(VENV_BIN))
    if oxigraph:
        out = subprocess.run([oxigraph, "--version"], capture_output=True, text=True, check=False)
        found["oxigraph CLI"] = out.stdout.strip()
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        found["wrk"] = (out.stdout or out.stderr).split("\n")[0].strip()
    found["executable"] = sys.executable
    return found


def _number(value: float | None, metric: str) -> str:
    if value is None:
        return "—"
    if metric in ("triples/s", "req/s"):
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _verdict(row: Row) -> str:
    if not row.target:
        return ""
    return f"{row.target}: " + {True: "met", False: "NOT met", None: "—"}[row.met]


def _cells(row: Row) -> list[str]:
    ratio = row.ratio
    extra = "; ".join(f"{k} {v}" for k, v in row.extra.items())
    notes = "; ".join([*([extra] if extra else []), *row.notes])
    return [row.section, row.size, row.workload, row.metric,
            f"{_number(row.ours, row.metric)} ({row.ours_name})",
            ("~" if row.theirs_estimated and row.theirs is not None else "")
            + f"{_number(row.theirs, row.metric)} ({row.theirs_name})"
            + (" extrapolated" if row.theirs_estimated and row.theirs is not None else ""),
            "—" if ratio is None else f"{ratio:.2f}x", _verdict(row), notes]


_HEADERS = ["section", "size", "workload", "metric", "ours", "theirs", "ratio (>1 = ours ahead)",
            "target", "notes"]


def table(rows: Sequence[Row]) -> str:
    """A fixed-width text table for the terminal (without the long notes)."""
    cells = [_cells(r)[:8] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(_HEADERS[:8])]
    lines = ["  ".join(h.ljust(w) for h, w in zip(_HEADERS[:8], widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    return "\n".join(lines) + "\n"


def markdown(rows: Sequence[Row], *, title: str, preface: str, settings: dict[str, str],
             machine_info: dict[str, str], version_info: dict[str, str], analysis: str,
             plot: str | None = None) -> str:
    """BENCHMARKS.md: how it was run, on what, the table, the plot, the targets, the analysis."""
    out = [f"# {title}\n", preface, "\n## Machine\n"]
    out += [f"- {k}: {v}" for k, v in machine_info.items()]
    out.append("\n## Versions\n")
    out += [f"- {k}: {v}" for k, v in version_info.items()]
    out.append("\n## Settings of this run\n")
    out += [f"- {k}: {v}" for k, v in settings.items()]
    out.append("\n## Results\n")
    out.append("| " + " | ".join(_HEADERS) + " |")
    out.append("|" + "---|" * len(_HEADERS))
    out += ["| " + " | ".join(c.replace("|", "/") for c in _cells(r)) + " |" for r in rows]
    if plot:
        out.append("\n## Scaling\n")
        out.append("Every measure against data size, log-log: heritage-kg solid with dots, the "
                   "other side dashed with squares, hollow where extrapolated (not measured). "
                   "Sizes where a side was not run have no point (the table says why).\n")
        out.append(f"![every measure against data size, log-log]({plot})")
    out.append("\n## Targets\n")
    for row in rows:
        if row.target:
            out.append(f"- {row.section} {row.size}, {row.workload}: {_verdict(row)}"
                       + ("" if row.ratio is None else f" (ratio {row.ratio:.2f}x)"))
    if analysis:
        out.append("\n" + analysis.strip())
    return "\n".join(out) + "\n"
