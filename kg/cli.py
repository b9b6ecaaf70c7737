"""The `kg` command: load, validate, query and count the knowledge graph.

Each command parses its arguments, calls one library function and prints the result. Errors are
mapped to exit codes in one place (`_App.__call__`): anything the user can fix (`UserInputError`)
becomes a one-paragraph message on stderr and exit 2; other deliberate errors (`KgError`, e.g. a
locked or damaged store) a message and exit 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import enum
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from kg.errors import KgError, SourceFileError, UserInputError
from kg.query import OutputFormat
from kg.settings import Settings

__all__ = ["app"]

EXIT_OK = 0
EXIT_FAILED = 1  # violations, uncited statements, a store fault
EXIT_USAGE = 2  # bad input: paths, Turtle, queries, options


class _App(typer.Typer):
    """The typer app with the one place where deliberate errors become exit codes."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the CLI; turn `KgError`s into messages, let real bugs raise."""
        try:
            return super().__call__(*args, **kwargs)
        except UserInputError as exc:
            _fail(exc, EXIT_USAGE)
        except KgError as exc:
            _fail(exc, EXIT_FAILED)


def _fail(exc: KgError, code: int) -> NoReturn:
    """Print `exc` (and any notes added on the way up) as one paragraph and exit."""
    text = _describe(exc)
    notes = getattr(exc, "__notes__", [])
    sentences = [" ".join(part.split()) for part in [text, *notes]]
    paragraph = " ".join(s if s.endswith((".", "!", "?")) else s + "." for s in sentences if s)
    sys.stderr.write(f"kg: error: {paragraph}\n")
    raise SystemExit(code)


def _describe(exc: KgError) -> str:
    """The message, with a source file shown relative to the working directory when inside it."""
    if not isinstance(exc, SourceFileError):
        return str(exc)
    try:
        where = str(exc.path.relative_to(Path.cwd()))
    except ValueError:
        where = str(exc.path)
    for position in (exc.line, exc.column):
        if position is None:
            break
        where += f":{position}"
    return f"{where}: {exc.reason}"


app = _App(
    name="kg",
    help="heritage-kg: build, check and query the knowledge graph of sourced heritage claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_out = Console()
_err = Console(stderr=True)


@app.callback()
def _settings(ctx: typer.Context) -> None:
    """Read the KG_* settings once, for every command."""
    try:
        ctx.obj = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"KG_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise UserInputError(f"Invalid setting: {problems}.") from None


def _settings_of(ctx: typer.Context) -> Settings:
    """The settings the callback put on the context."""
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Turtle files or directories (searched recursively for *.ttl). "
        "Default: ontology/ and data/ttl/ (KG_DATA_PATHS).",
        show_default=False,
    ),
]


@app.command()
def load(ctx: typer.Context, paths: PathsArgument = None) -> None:
    """Build a new store from the Turtle files, one named graph per file, and switch to it.

    Every file is parsed strictly; one bad file stops the load, its partial build is deleted and
    the live store stays as it was. The switch is atomic, so an interrupted load never leaves a
    half-built store live.
    """
    from kg.backends import backend_for
    from kg.console import RichLoadProgress, graphs_table
    from kg.dataset import discover_files

    settings = _settings_of(ctx)
    files = discover_files(paths or settings.data_paths, root=settings.root)
    backend = backend_for(settings)
    try:
        with RichLoadProgress(_err) as progress:
            report = backend.load(files, progress=progress)
    except UserInputError as exc:
        exc.add_note("Nothing was loaded; the live store is unchanged.")
        raise
    finally:
        backend.close()
    where = (
        str(report.build_dir)
        if backend.name == "embedded"
        else f"{backend.location()} as version {report.build_dir.name}"
    )
    _out.print(graphs_table(report.graphs, title="triples per graph"))
    rate = report.parsed_triples / report.seconds if report.seconds > 0 else 0.0
    _err.print(
        f"Loaded {report.parsed_triples:,} triples from {report.files:,} files "
        f"(+{report.truthy_triples:,} derived truthy triples) in {report.seconds:.2f} s "
        f"({rate:,.0f} triples/s) into {where}."
    )


class ValidationFormat(enum.StrEnum):
    """Output formats of `kg validate`."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


@app.command()
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Turtle files or directories to validate. Default: the validator's "
            "(data/ttl/).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ValidationFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ValidationFormat.text,
    context: Annotated[
        bool,
        typer.Option(
            "--context/--no-context",
            help="Load the rest of data/ttl/ beside the given paths, so links into it resolve; "
            "only the given files' results are reported.",
        ),
    ] = True,
) -> None:
    """Check the data against the SHACL shapes in ontology/shapes/.

    Exit 0 when the data conforms, 1 when there are violations, 2 on a usage or parse error.
    Each violation names file:line:column, the path, the offending value and the shape's message.
    """
    from kg.validation import render, validate_paths

    settings = _settings_of(ctx)
    report = validate_paths(list(paths or []), root=settings.root, with_context=context)
    rendered = render(report, fmt.value)
    sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
    sys.stdout.flush()
    raise typer.Exit(EXIT_OK if report.conforms else EXIT_FAILED)


@app.command()
def query(
    ctx: typer.Context,
    query_or_file: Annotated[
        str,
        typer.Argument(
            metavar="QUERY|FILE.rq",
            help="A SPARQL query, or a file holding one. The canonical prefixes (hk:, site:, …) "
            "are declared for you; the default graph is the union of all graphs.",
        ),
    ],
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="table, or csv/tsv/json (SPARQL results) for SELECT and ASK, "
            "turtle/ntriples for CONSTRUCT and DESCRIBE.",
        ),
    ] = OutputFormat.table,
) -> None:
    """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query against the live store."""
    from kg.backends import backend_for
    from kg.console import rows_table
    from kg.query import read_query

    settings = _settings_of(ctx)
    text = read_query(query_or_file)
    backend = backend_for(settings)
    try:
        result = backend.query(
            text, fmt=fmt, timeout_s=settings.query_timeout_s
        )
    finally:
        backend.close()
    if fmt is OutputFormat.table:
        columns, rows = result.table_rows()
        _out.print(rows_table(columns, rows))
    else:
        sys.stdout.buffer.write(result.body)
        sys.stdout.buffer.flush()


@app.command()
def stats(ctx: typer.Context) -> None:
    """Count triples, triples per graph, entities per class, and statements without a citation.

    Exits 1 if any statement lacks a citation: every claim in the graph must name its source.
    """
    from kg.backends import backend_for
    from kg.console import stats_tables
    from kg.stats import collect_stats

    backend = backend_for(_settings_of(ctx))
    try:
        with backend.snapshot() as snapshot:
            result = collect_stats(snapshot.store)
    finally:
        backend.close()
    for table in stats_tables(result):
        _out.print(table)
    if not result.ok:
        _err.print(
            f"{len(result.uncited_statements)} statement(s) cite no source; "
            "add prov:wasDerivedFrom [ a hk:Citation ; hk:citedSource … ] to each."
        )
        raise typer.Exit(EXIT_FAILED)


@app.command()
def release(
    ctx: typer.Context,
    version: Annotated[
        str | None,
        typer.Option(help="Release version (letters, digits, . _ -). Default: the UTC time."),
    ] = None,
    validate: Annotated[
        bool, typer.Option(help="Run the SHACL shapes over the release (slow on large data).")
    ] = True,
) -> None:
    """Write a release of the live store to KG_RELEASES_DIR/<version>/ and make it `latest`.

    Dumps (N-Quads, TriG, per-kind Turtle, compacted JSON-LD), VoID + DCAT, SHA256SUMS, the SHACL
    report, and the changes since the previous release (quads and per-entity activities).
    """
    from kg.backends import backend_for
    from kg.release import ReleaseOptions, make_release

    settings = _settings_of(ctx)
    backend = backend_for(settings)
    with contextlib.closing(backend), backend.snapshot() as snapshot:
        report = make_release(
            ReleaseOptions(
                store_dir=settings.store_dir,
                releases_dir=settings.releases_dir,
                project_root=settings.root,
                base_url=settings.public_base_url,
                license_iri=settings.release_license,
                publisher_iri=settings.release_publisher,
                publisher_name=settings.release_publisher_name,
                version=version,
                validate=validate,
            ),
            snapshot,
        )
    c = report.changes
    verdict = "not validated" if report.validation is None else (
        "conforms" if report.validation.conforms else
        f"does NOT conform ({report.validation.results} results)"
    )
    _err.print(
        f"Release {report.version}: {report.triples:,} quads, {report.entities:,} entities, "
        f"{verdict}; since {report.previous or 'nothing'}: +{c.added_quads:,}/-{c.removed_quads:,} "
        f"quads, {c.created:,} created, {c.updated:,} updated, {c.deleted:,} deleted; "
        f"{sum(size for _, size in report.files):,} bytes in {report.seconds:.1f} s "
        f"→ {report.directory}"
    )


@app.command()
def synth(
    ctx: typer.Context,
    sites: Annotated[int, typer.Option("--sites", min=1, help="How many heritage sites.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (new, empty, or a "
                                      "previous `kg synth` output, which is replaced).")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 0,
    violations: Annotated[
        float,
        typer.Option("--violations", min=0.0, max=1.0,
                     help="Share of sites given one deliberate SHACL violation each "
                     "(counted in synth-manifest.json)."),
    ] = 0.0,
) -> None:
    """Write synthetic heritage data (for benchmarks and tests) in data/ttl/'s layout.

    Every entity is marked synthetic (IRI slugs `synth-…`, labels "Synthetic …"); the output
    conforms to ontology/shapes/ apart from the counted deliberate violations.
    """
    from kg.synth import synthesize

    settings = _settings_of(ctx)
    report = synthesize(out, sites=sites, seed=seed, violations=violations,
                        vocab_dir=settings.root / "ontology" / "vocab")
    rate = report.triples / report.seconds if report.seconds > 0 else 0.0
    _err.print(
        f"Wrote {report.triples:,} triples in {report.files:,} files to {report.out_dir} in "
        f"{report.seconds:.2f} s ({rate:,.0f} triples/s); {report.violations:,} deliberate "
        "violation(s)."
    )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (KG_HOST, default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on, 0 for any free one (KG_PORT).")
    ] = None,
) -> None:
    """Serve the live store: SPARQL 1.1 Protocol at /sparql, and /update and /store for the admin.

    Queries are public and read-only; writes need KG_ADMIN_TOKEN as a bearer token. Stop with
    Ctrl-C.
    """
    import uvicorn

    from kg.web.app import create_app

    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    try:
        settings = Settings(**overrides) if overrides else _settings_of(ctx)
    except ValidationError as exc:
        raise UserInputError(f"Invalid setting: {exc.errors()[0]['msg']}.") from None
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
