"""How the CLI draws things with rich: the load progress bar and the result tables.

Kept apart from `kg.cli` so the commands stay a thin parse → call → print layer and the drawing can
be changed (or reused by another face) without touching them.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from kg.dataset import SourceFile
from kg.namespaces import GRAPH_BASE, TRUTHY_GRAPH
from kg.stats import StoreStats
from kg.store import GraphCount

__all__ = ["RichLoadProgress", "graph_label", "graphs_table", "rows_table", "stats_tables"]


class _TriplesPerSecond(ProgressColumn):
    """The loader's speed, the figure maintainers compare between machines and data sizes."""

    def render(self, task: Task) -> Text:
        """`12,345 triples/s`, or nothing before the first file is in."""
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} triples/s", style="progress.data.speed")


class RichLoadProgress:
    """A `kg.store.LoadProgress` that draws a rich progress bar on the given console."""

    def __init__(self, console: Console) -> None:
        """Create the (not yet started) progress display."""
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _TriplesPerSecond(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._checking: TaskID | None = None
        self._files_checked = 0
        self._loading: TaskID | None = None

    def __enter__(self) -> RichLoadProgress:
        """Nothing is drawn until the first file is checked (a bad first file prints no bar)."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop drawing, leaving the last state on screen."""
        if self._checking is not None:
            self._progress.stop()

    def checked(self, file: SourceFile, triples: int) -> None:
        """Count one more file parsed."""
        if self._checking is None:
            self._progress.start()
            self._checking = self._progress.add_task("checking files", total=None)
        self._files_checked += 1
        self._progress.advance(self._checking, 1)

    def loading(self, total_triples: int) -> None:
        """Switch from checking to the triples bar."""
        if self._checking is not None:
            self._progress.update(self._checking, total=self._files_checked)
        self._loading = self._progress.add_task("loading triples", total=total_triples)

    def loaded(self, file: SourceFile, triples: int) -> None:
        """Advance the triples bar by one file's triples."""
        if self._loading is not None:
            self._progress.advance(self._loading, triples)

    def stage(self, description: str) -> None:
        """Name the step after loading in the bar's description."""
        if self._loading is not None:
            self._progress.update(self._loading, description=description)


def graph_label(graph_iri: str) -> str:
    """A graph as a maintainer thinks of it: the file path, or `truthy (derived)`."""
    if graph_iri == TRUTHY_GRAPH:
        return "truthy (derived)"
    if graph_iri.startswith(GRAPH_BASE):
        return graph_iri.removeprefix(GRAPH_BASE)
    if graph_iri.startswith("file:"):
        return unquote(urlsplit(graph_iri).path)
    return graph_iri


def graphs_table(graphs: Sequence[GraphCount], *, title: str) -> Table:
    """Triples per named graph with a total row."""
    table = Table(title=title, title_justify="left")
    table.add_column("graph (source file)")
    table.add_column("triples", justify="right")
    for graph in graphs:
        table.add_row(graph_label(graph.graph_iri), f"{graph.triples:,}")
    table.add_section()
    table.add_row("total", f"{sum(g.triples for g in graphs):,}", style="bold")
    return table


def rows_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A query result as a table, with the row count as its caption."""
    table = Table(caption=f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def stats_tables(stats: StoreStats) -> list[Table]:
    """The summary, per-graph, per-class and uncited-statement tables of `kg stats`."""
    summary = Table(title="store", title_justify="left", show_header=False)
    summary.add_column("what")
    summary.add_column("count", justify="right")
    summary.add_row("triples", f"{stats.triples:,}")
    summary.add_row("named graphs", f"{len(stats.graphs):,}")
    summary.add_row("hk: entities", f"{sum(n for _, n in stats.entities_per_class):,}")
    summary.add_row(
        "statements without a citation",
        Text(f"{len(stats.uncited_statements):,}", style="green" if stats.ok else "bold red"),
    )
    classes = Table(title="entities per class", title_justify="left")
    classes.add_column("class")
    classes.add_column("entities", justify="right")
    for name, count in stats.entities_per_class:
        classes.add_row(name, f"{count:,}")
    tables = [summary, graphs_table(stats.graphs, title="triples per graph"), classes]
    if not stats.ok:
        uncited = Table(title="statements without a citation (must be none)", title_justify="left")
        uncited.add_column("statement", style="red")
        for statement in stats.uncited_statements:
            uncited.add_row(statement)
        tables.append(uncited)
    return tables
